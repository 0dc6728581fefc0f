"""How long the run history of live batches is kept (`RUN_HISTORY_DAYS`).

A watcher fed a batch every two seconds records some 43,000 runs a day, each with its files'
fingerprints. Past a few weeks a batch's run tells nothing the data does not: the watcher deletes
the runs of batches finished longer ago than the setting, with their fingerprints (a batch sent
again after that is loaded again, and its rows, unchanged, change nothing). It keeps every run that
quarantined rows (the Admin page lists their rows), every run by hand, failed runs, and every run
that defines a data version: the newest, and those that changed the warehouse beyond their own
days (data/version.py keys cached answers by them, and an older version must never come back).
"""
from __future__ import annotations

PRUNE_BATCH = 5000  # runs per statement: short transactions beside the loads
PRUNE = """
WITH old AS (
    SELECT r.run_id FROM etl.runs r
    WHERE r.arrived_at IS NOT NULL AND r.status = 'succeeded'
      AND r.finished_at < now() - make_interval(days => %(days)s)
      AND (r.by_orders OR NOT r.changed)
      AND r.run_id < (SELECT max(run_id) FROM etl.runs)
      AND NOT EXISTS (SELECT 1 FROM etl.quarantine q WHERE q.run_id = r.run_id)
    ORDER BY r.run_id LIMIT %(limit)s
), files AS (
    DELETE FROM etl.files f USING old WHERE f.run_id = old.run_id
)
DELETE FROM etl.runs r USING old WHERE r.run_id = old.run_id
"""


def prune(conn, days: int) -> int:
    """Delete the runs of live batches finished more than `days` days ago (0: keep everything), a
    few thousand per transaction, through autocommit connection `conn`; return how many."""
    if days <= 0:
        return 0
    deleted = 0
    while True:
        count = conn.execute(PRUNE, {"days": days, "limit": PRUNE_BATCH}).rowcount
        deleted += count
        if count < PRUNE_BATCH:
            return deleted
