"""The data version: the id of the latest successful ETL run that changed the warehouse.

Cache keys include it, so a load that changes data makes every cached answer unreachable at
once, while a reload that changed nothing keeps the cache warm. A load that refreshed the rollups
by order (a live batch) changed only the purchase days of its orders, and says which
(`etl.changed_days`): an answer over a range is keyed by the latest run that changed a day of it
or changed everything (`Versions.of`), so a past quarter's answers stay warm while today moves.
Open pages follow it: each asks every second whether it moved (`Newest`), and a new version
refreshes their cards in place.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import date

# The runs that changed the warehouse (as the partial indexes of migrations 0020 and 0021 say).
CHANGED = "status = 'succeeded' AND changed AND NOT dry_run"
QUERY = f"SELECT coalesce(max(run_id), 0) FROM etl.runs WHERE {CHANGED}"
LATEST = f"SELECT run_id, finished_at FROM etl.runs WHERE {CHANGED} ORDER BY run_id DESC LIMIT 1"


# One read: the latest run that changed data, the latest that changed everything, and the days
# changed by order since (a row per day; one row of NULL days when there are none).
VERSIONS = f"""
WITH v AS (
    SELECT ({QUERY}) AS latest, ({QUERY} AND NOT by_orders) AS everywhere)
SELECT v.latest, v.everywhere, d.purchase_date, d.run_id
FROM v LEFT JOIN etl.changed_days d ON d.run_id > v.everywhere
"""


@dataclass(frozen=True)
class Versions:
    """The data's versions as one read saw them: the latest, the latest that changed everything,
    and per day the latest run that changed that day alone since."""

    latest: int
    everywhere: int
    days: tuple[tuple[date, int], ...] = ()

    def of(self, start: date | None = None, end: date | None = None) -> int:
        """The version of an answer over purchase days `start` to `end` (None: one that reads beyond
        any range, whose version is the latest)."""
        if start is None or end is None:
            return self.latest
        return max([self.everywhere, *(run for day, run in self.days if start <= day <= end)])


def versions(conn) -> Versions:
    """The data's versions through a psycopg or SQLAlchemy connection."""
    rows = (conn.exec_driver_sql(VERSIONS) if hasattr(conn, "exec_driver_sql") else conn.execute(VERSIONS)).fetchall()
    return Versions(rows[0][0], rows[0][1], tuple((day, run) for _l, _e, day, run in rows if day is not None))


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
