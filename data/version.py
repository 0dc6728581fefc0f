"""The data version: the id of the latest successful ETL run that changed the warehouse.

Cache keys include it, so a load that changes data makes every cached answer unreachable at
once, while a reload that changed nothing keeps the cache warm.
"""
from __future__ import annotations

QUERY = ("SELECT coalesce(max(run_id), 0) FROM etl.runs "
         "WHERE status = 'succeeded' AND changed AND NOT dry_run")


def data_version(conn) -> int:
    """Return the data version through a psycopg or SQLAlchemy connection."""
    if hasattr(conn, "exec_driver_sql"):
        return conn.exec_driver_sql(QUERY).scalar_one()
    return conn.execute(QUERY).fetchone()[0]
