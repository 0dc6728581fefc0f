"""Read what ops want to know about the warehouse: row counts, data version, recent runs."""
from __future__ import annotations

from data import db, migrate
from data.version import data_version

TABLES = ["dim_date", "dim_categories", "dim_geolocation", "dim_customers", "dim_sellers", "dim_products",
          "fact_orders", "fact_order_items", "fact_payments", "fact_reviews",
          "repeat_buyer_orders", "unreconciled_orders",
          "customer_orders", "order_categories", "agg_daily_single_ltv", "low_reviews"]
WITH_UNKNOWN = ["dim_customers", "dim_sellers", "dim_products"]


def status(url: str, runs: int = 10) -> dict:
    """Return counts per table, unknown members, the data version and the latest runs."""
    revision = migrate.upgrade_url(url)
    with db.connect(url) as conn:
        counts = {t: conn.execute(f"SELECT count(*) FROM warehouse.{t}").fetchone()[0] for t in TABLES}
        unknown = {t: conn.execute(f"SELECT count(*) FROM warehouse.{t} WHERE is_unknown").fetchone()[0]
                   for t in WITH_UNKNOWN}
        rows = conn.execute(
            "SELECT r.run_id, r.started_at, extract(epoch FROM r.finished_at - r.started_at), r.status, "
            "r.dry_run, r.changed, r.error, (SELECT count(*) FROM etl.quarantine q WHERE q.run_id = r.run_id) "
            "FROM etl.runs r ORDER BY r.run_id DESC LIMIT %s", (runs,)).fetchall()
        version = data_version(conn)
    return {
        "data_version": version, "schema_revision": revision, "tables": counts, "unknown_members": unknown,
        "runs": [{"run_id": r[0], "started_at": r[1], "seconds": float(r[2]) if r[2] is not None else None,
                  "status": r[3], "dry_run": r[4], "changed": r[5], "error": r[6], "quarantined": r[7]}
                 for r in rows],
    }
