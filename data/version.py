"""The data version: the id of the latest successful ETL run that changed the warehouse.

Cache keys include it, so a load that changes data makes every cached answer unreachable at
once, while a reload that changed nothing keeps the cache warm. Open pages follow it: each asks
every second whether it moved (`Newest`), and a new version refreshes their cards in place.
"""
from __future__ import annotations

import threading
import time

QUERY = ("SELECT coalesce(max(run_id), 0) FROM etl.runs "
         "WHERE status = 'succeeded' AND changed AND NOT dry_run")
LATEST = ("SELECT run_id, finished_at FROM etl.runs WHERE status = 'succeeded' AND changed AND NOT dry_run "
          "ORDER BY run_id DESC LIMIT 1")


def data_version(conn) -> int:
    """Return the data version through a psycopg or SQLAlchemy connection."""
    if hasattr(conn, "exec_driver_sql"):
        return conn.exec_driver_sql(QUERY).scalar_one()
    return conn.execute(QUERY).fetchone()[0]


def latest(conn) -> dict:
    """The data version and when its run committed (ISO 8601 with its zone; None before any load),
    through a psycopg connection."""
    row = conn.execute(LATEST).fetchone()
    return {"version": row[0], "at": row[1].isoformat()} if row else {"version": 0, "at": None}


class Newest:
    """The latest data version, read for a whole process at most once per `ttl` seconds.

    Every open page asks each second whether the data moved; the pages of one process share one
    small read (an index-only look at `etl.runs`, on a connection of its own that gives up within
    seconds, as the outage check does), so a hundred open pages cost the database two reads a
    second, and never touch the warehouse's tables. None while the database does not answer.
    """

    def __init__(self, url, ttl: float = 0.5):
        self.url, self.ttl = url, ttl  # url(): the database's URL (resolved on first use)
        self.lock = threading.Lock()
        self.value: dict | None = None
        self.read_at = float("-inf")

    def __call__(self) -> dict | None:
        from data.db import DatabaseUnavailable, probe

        with self.lock:
            if time.monotonic() - self.read_at >= self.ttl:
                try:
                    self.value = probe(self.url(), read=latest)
                except DatabaseUnavailable:
                    self.value = None
                self.read_at = time.monotonic()
            return self.value
