"""Load a folder of Olist exports into the warehouse in one transaction.

Stages: extract (recognise files by header, fingerprint them), stage and validate (`etl.stage`:
COPY into the run's scratch schema, parse, give each bad row a reason, settle duplicate keys; two
kinds at a time), load (unknown members, upserts, derived columns, rollups, quarantine), then
commit. The warehouse is written only by the load step, inside one transaction: anything that
goes wrong before the commit leaves it exactly as it was, and the run is still recorded in
`etl.runs` (through a second connection) as failed. A run that commits records its outcome in
that same transaction, so once the data is in, the run says succeeded and the data version has
moved, whatever happens to the process afterwards.
"""
from __future__ import annotations

import getpass
import json
import queue
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from data import audit, db, migrate
from data.semantic.catalogue import CATALOGUE
from etl import extract, formats, rollups, semantic_rollups
from etl import typing_sql as ts
from etl import warehouse_sql as ws
from etl.progress import Reporter
from etl.stage import stage_kind

LOAD_LOCK = 7_320_002
DATE_FORMATS = ("auto", "mdy", "dmy")
STAGING_WORKERS = 2  # the machines this runs on have two cores
WORK_MEM = "1GB"  # per hash table of the loader's sessions: keeps million-row aggregates in memory


class LoadError(Exception):
    """The run failed and changed nothing; the message says why and what to do."""


class DatabaseLost(LoadError):
    """The database went away during the run, which changed nothing: the same files may be loaded
    again once it is back (the watcher waits and retries; it does not call the batch failed)."""


class Busy(LoadError):
    """Another load holds the warehouse: this one changed nothing and may simply be tried again."""


class Connections:
    """The connections a run uses: one for the run's transaction, one autocommit "book" that records
    the run whatever happens to the transaction, and a few for staging kinds in parallel.

    `load` opens a set for one run and closes it after; the watcher keeps one set for all its runs,
    so a micro-batch pays no connection set-up, migration check or process start.
    """

    def __init__(self, url: str):
        self.url = url
        self.book = db.connect(url, autocommit=True)
        try:
            self.conn = db.connect(url)
        except BaseException:
            self.book.close()
            raise
        self._staging: queue.SimpleQueue = queue.SimpleQueue()
        self._opened = [self.book, self.conn]

    @contextmanager
    def staging(self):
        """A connection for staging one kind, returned to the set afterwards (with nothing open)."""
        try:
            conn = self._staging.get_nowait()
        except queue.Empty:
            conn = db.connect(self.url)
            self._opened.append(conn)
        try:
            yield conn
        finally:
            if not conn.closed:
                try:
                    conn.rollback()
                except psycopg.Error:
                    conn.close()
            if not conn.closed:
                self._staging.put(conn)

    def begin(self) -> None:
        """Make the run's connection as a new one would be: no temporary tables or settings left by
        the last run on it."""
        self.conn.rollback()
        self.conn.autocommit = True  # DISCARD ALL refuses to run inside a transaction
        try:
            self.conn.execute("DISCARD ALL")
        finally:
            self.conn.autocommit = False

    def close(self) -> None:
        for conn in self._opened:
            try:
                conn.close()
            except psycopg.Error:
                pass


@dataclass
class TableCounts:
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    skipped: int = 0
    unknown_members: int = 0
    seconds: float = 0.0  # staging, validating and writing this table (shared steps excluded)

    @property
    def loaded(self) -> int:
        return self.inserted + self.updated


@dataclass
class RunResult:
    run_id: int
    status: str
    dry_run: bool
    changed: bool
    files: list = field(default_factory=list)
    tables: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0
    days_touched: int = 0  # purchase days the run's changes touched
    orders_refreshed: int = 0  # orders whose rows the rollups were refreshed by (0: refreshed by day)

    def as_json(self) -> dict:
        return {
            "run_id": self.run_id, "status": self.status, "dry_run": self.dry_run,
            "changed": self.changed, "seconds": round(self.seconds, 3), "files": self.files,
            "days_touched": self.days_touched, "orders_refreshed": self.orders_refreshed,
            "tables": {t: {**c.__dict__, "seconds": round(c.seconds, 3), "loaded": c.loaded}
                       for t, c in self.tables.items()},
            "warnings": self.warnings, "error": self.error,
        }


def load(url: str, source: Path, *, dry_run: bool = False, date_format: str = "auto",
         force: bool = False, reporter: Reporter | None = None, fail_at: str | None = None,
         connections: Connections | None = None, arrived_at=None) -> RunResult:
    """Load the files under `source`; return the run's result, or raise LoadError having changed nothing.

    `connections` are kept by the caller across runs (the watcher, which migrated the database when
    it started); without them the run migrates, opens its own and closes them. `arrived_at` is when
    the batch appeared, recorded with the run. `fail_at` names a stage at which to fail on purpose;
    tests use it to prove the rollback.
    """
    if date_format not in DATE_FORMATS:
        raise LoadError(f"--date-format must be one of {', '.join(DATE_FORMATS)}")
    reporter = reporter or Reporter(quiet=True)
    started = time.monotonic()
    files, warnings = extract.discover(Path(source))
    own = connections is None
    if own:
        migrate.upgrade_url(url)
        connections = Connections(url)
    else:
        try:
            connections.begin()
        except psycopg.OperationalError as exc:
            raise DatabaseLost(db.unavailable_message(url, exc)) from None
    book, conn = connections.book, connections.conn
    try:
        conn.execute(f"SET work_mem = '{WORK_MEM}'")
        conn.execute("SET client_encoding = 'UTF8'")
        conn.execute("SET DateStyle = 'ISO, MDY'")
        if not conn.execute("SELECT pg_try_advisory_xact_lock(%s)", (LOAD_LOCK,)).fetchone()[0]:
            other = book.execute("SELECT run_id, started_at FROM etl.runs WHERE status = 'running' "
                                 "ORDER BY run_id DESC LIMIT 1").fetchone()
            which = f" (run {other[0]}, started {other[1]:%Y-%m-%d %H:%M:%S})" if other else ""
            raise Busy(f"another load is running{which}: wait for it to finish, then try again")
        # We hold the lock, so any run still marked running was killed: say so, and clear its scratch.
        for (leftover,) in book.execute(
                "SELECT nspname FROM pg_namespace WHERE nspname ~ '^etl_run_[0-9]+$'").fetchall():
            _drop_scratch(book, leftover)
        book.execute("UPDATE etl.runs SET status = 'abandoned', finished_at = now(), "
                     "error = 'the loader stopped before finishing; nothing it did was kept' "
                     "WHERE status = 'running'")
        run_id = book.execute(
            "INSERT INTO etl.runs (status, dry_run, source, files, arrived_at) VALUES ('running', %s, %s, %s, %s) "
            "RETURNING run_id",
            (dry_run, str(source), json.dumps([{"file": f.name, "kind": f.kind.key} for f in files]), arrived_at),
        ).fetchone()[0]
        result = RunResult(run_id, "running", dry_run, False, warnings=list(warnings))
        schema = f"etl_run_{int(run_id)}"  # the run's scratch tables; dropped when it ends
        book.execute(f"CREATE SCHEMA {schema}")
        conn.execute(f"SET search_path = {schema}, public")
        try:
            _run(conn, connections, schema, files, result, date_format, force, reporter, fail_at)
            if dry_run:
                conn.rollback()
                result.changed = False
                result.status = "succeeded"
            else:
                _fail(fail_at, "commit")
                result.status = "succeeded"
                _record(conn, result, started)  # the outcome and the data version commit with the data
                conn.commit()
        except BaseException as exc:
            conn.rollback()
            _drop_scratch(book, schema)
            result.status, result.changed = "failed", False
            result.error = _message(exc)
            _finish(book, result, started)
            if isinstance(exc, (LoadError, extract.ExtractError, db.DatabaseUnavailable)):
                raise (DatabaseLost if isinstance(exc, (DatabaseLost, db.DatabaseUnavailable)) else LoadError)(
                    result.error) from None
            if isinstance(exc, psycopg.OperationalError):
                raise DatabaseLost(f"lost the database connection during the load ({result.error}); "
                                   "nothing was changed: try again") from None
            raise
        _drop_scratch(book, schema)
        if dry_run:
            _finish(book, result, started)
        return result
    except psycopg.OperationalError as exc:  # the book itself lost the database
        raise DatabaseLost(f"lost the database connection during the load ({_message(exc)}); "
                           "nothing was changed: try again") from None
    finally:
        if own:
            connections.close()


def _drop_scratch(book, schema: str) -> None:
    try:
        book.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    except psycopg.Error:
        pass  # the database went away: the next run clears it


def _message(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _fail(fail_at: str | None, stage: str) -> None:
    if fail_at == stage:
        raise RuntimeError(f"failure injected at {stage}")


def _record(conn, result: RunResult, started: float) -> None:
    """Write the run's outcome (and its audit entry) through `conn`: inside the load's transaction
    for a run that commits, so the data, the run's status and the data version move together."""
    result.seconds = time.monotonic() - started
    conn.execute(
        "UPDATE etl.runs SET status = %s, finished_at = clock_timestamp(), tables = %s, changed = %s, "
        "by_orders = %s, warnings = %s, error = %s, files = %s WHERE run_id = %s",
        (result.status, json.dumps(result.as_json()["tables"]), result.changed,
         result.changed and result.orders_refreshed > 0, json.dumps(result.warnings), result.error,
         json.dumps(result.files), result.run_id),
    )
    audit.record(conn, "load", actor=_operator(), target=f"run {result.run_id}",
                         detail={"status": result.status, "dry_run": result.dry_run, "changed": result.changed,
                                 "files": len(result.files), "seconds": round(result.seconds, 1),
                                 "rows": {t: c.loaded for t, c in result.tables.items()},
                                 "quarantined": sum(c.quarantined for c in result.tables.values()),
                                 "error": result.error})


def _operator() -> str:
    try:
        return f"etl:{getpass.getuser()}"
    except Exception:  # noqa: BLE001 - no login name (a container)
        return "etl"


def _finish(book, result: RunResult, started: float) -> None:
    """Record a run that changed nothing (failed, or a dry run) through the autocommit connection."""
    try:
        _record(book, result, started)
    except psycopg.Error:
        pass  # the database went away: the next run marks this one abandoned


def _run(conn, connections: Connections, schema: str, files, result: RunResult, date_format, force,
         reporter: Reporter, fail_at) -> None:
    cur = conn.cursor()
    for f in files:
        f.content_hash = extract.fingerprint(f.path)
    known = set()
    if not force:
        rows = cur.execute("SELECT content_hash FROM etl.files WHERE content_hash = ANY(%s)",
                           ([f.content_hash for f in files],)).fetchall()
        known = {r[0] for r in rows}
    todo = [f for f in files if f.content_hash not in known]
    for f in files:
        result.files.append({"file": f.name, "kind": f.kind.key, "bytes": f.size,
                             "skipped_unchanged": f.content_hash in known})
    if not todo:
        result.warnings.append("nothing to do: every file was loaded before unchanged (use --force to load again)")
        reporter.step("nothing to do: every file was loaded before unchanged")
        return
    for f in files:
        if f.content_hash in known:
            reporter.step(f"skip {f.name}: loaded before, unchanged")

    kinds = [k for k in formats.KINDS if any(f.kind is k for f in todo)]
    staged = _stage_all(connections, schema, kinds, todo, date_format, reporter, fail_at)
    for kind in kinds:
        st = staged[kind.key]
        counts = result.tables.setdefault(kind.table, TableCounts())
        counts.read += st.read
        counts.skipped += st.skipped
        counts.seconds += st.seconds
        result.warnings += st.warnings

    cur.execute(ws.TOUCH_TABLES)
    cur.execute("CREATE TEMP TABLE stg_breaks (_file smallint, rec_from bigint, delta bigint)")
    cur.execute("CREATE TEMP TABLE stg_files (_file smallint PRIMARY KEY, file_name text)")
    with cur.copy("COPY stg_files FROM STDIN") as cp:
        for st in staged.values():
            for row in st.files:
                cp.write_row(row)
    with cur.copy("COPY stg_breaks FROM STDIN") as cp:
        for st in staged.values():
            for row in st.breaks:
                cp.write_row(row)

    # On a first load every order is new: its child totals are exact at insert, no bookkeeping needed.
    orders_all_new = not cur.execute("SELECT EXISTS (SELECT 1 FROM warehouse.fact_orders)").fetchone()[0]
    by_orders = not orders_all_new and _remember_orders(cur, {k.key for k in kinds}, reporter)
    reporter.step("writing the warehouse")
    for kind in kinds:
        began = time.monotonic()
        _upsert(cur, kind, result.tables, kinds, orders_all_new)
        result.tables[kind.table].seconds += time.monotonic() - began
        reporter.step(f"wrote {kind.table} ({time.monotonic() - began:.1f}s)")
        _fail(fail_at, f"upsert:{kind.key}")
    if "categories" in {k.key for k in kinds}:
        cur.execute(ws.RETRANSLATE)
    cur.execute(ws.CHILD_TOTALS)
    # What the load touched, counted, so that a delta's few keys are looked up by index, not joined
    # to every order.
    cur.execute("ANALYZE touched_orders, child_orders, chg_customers, chg_products, chg_sellers")
    cur.execute(ws.TOUCHED_DATES)
    if orders_all_new:  # a first load touched every day there is
        cur.execute("INSERT INTO touched_dates SELECT DISTINCT purchase_date FROM warehouse.fact_orders")
    # A delta lists the people it touched, whose orders alone are listed again; a first load, or new
    # category names (which reach every order of a product), lists everyone's.
    people = not orders_all_new and not cur.execute("SELECT EXISTS (TABLE chg_categories)").fetchone()[0]
    if people:
        cur.execute(ws.TOUCHED_PEOPLE)
    result.days_touched = cur.execute("SELECT count(DISTINCT purchase_date) FROM touched_dates").fetchone()[0]
    if by_orders and not cur.execute(ws.BY_ORDER_HOLDS).fetchone()[0]:
        by_orders = False
        reporter.step("the load reached beyond the orders it named: refreshing the rollups by day")
    if by_orders and not result.days_touched:
        reporter.step("nothing changed: the rollups are as they were")
    elif by_orders:
        result.orders_refreshed = cur.execute("SELECT count(*) FROM affected_orders").fetchone()[0]
        rollups.refresh_by_orders(cur, step=reporter.step)
        semantic_rollups.refresh_by_orders(cur, CATALOGUE, step=reporter.step)
        reporter.step(f"refreshed rollups for {result.orders_refreshed:,} orders")
    else:
        days = result.days_touched = rollups.refresh(cur, rebuilt=_indexes_rebuilt, step=reporter.step, people=people)
        semantic_rollups.refresh(cur, CATALOGUE, step=reporter.step)
        reporter.step(f"refreshed rollups for {days} days")
    _fail(fail_at, "rollups")

    for kind in kinds:
        counts = result.tables[kind.table]
        sql = ws.QUARANTINE_TYPED if staged[kind.key].raw_source == "typed" else ws.QUARANTINE
        cur.execute(sql.format(typ=ts.typed_table(kind), stg=ts.staging_table(kind)),
                    {"run_id": result.run_id, "table": kind.table})
        counts.quarantined += cur.rowcount
        if kind.key != "geolocation":
            row = cur.execute(f"SELECT count(*) FROM {ts.typed_table(kind)} "
                              "WHERE duplicate AND reason IS NULL").fetchone()
            counts.skipped += row[0]
        misfits = staged[kind.key].extra_quarantine
        if misfits:
            cur.executemany("INSERT INTO etl.quarantine (run_id, file_name, line_number, table_name, reason, raw) "
                            "VALUES (%s, %s, %s, %s, %s, %s)",
                            [(result.run_id, file_name, line, table, reason,
                              json.dumps({"fields": [x.replace("\x00", "") for x in fields]}))
                             for file_name, line, table, reason, fields in misfits])
            counts.quarantined += len(misfits)

    result.changed = any(c.loaded or c.unknown_members for c in result.tables.values())
    if result.changed and result.orders_refreshed:
        cur.execute(ws.CHANGED_DAYS, {"run_id": result.run_id})
    # Remember cleanly loaded files, so loading them again is a quick no-op.
    dirty = {r[0] for r in cur.execute("SELECT DISTINCT file_name FROM etl.quarantine WHERE run_id = %s",
                                       (result.run_id,)).fetchall()}
    for f in todo:
        if f.name not in dirty:
            cur.execute("INSERT INTO etl.files (content_hash, kind, file_name, run_id) VALUES (%s, %s, %s, %s) "
                        "ON CONFLICT (content_hash) DO UPDATE SET run_id = EXCLUDED.run_id, loaded_at = now()",
                        (f.content_hash, f.kind.key, f.name, result.run_id))
    _fail(fail_at, "end")


# Up to this many orders (with their people's other orders) a delta refreshes the rollups by order;
# more (a month's file, say) cost less by day.
BY_ORDERS_LIMIT = 20_000


def _remember_orders(cur, keys: set[str], reporter: Reporter) -> bool:
    """Before a delta writes: when it holds only kinds whose rows name their orders, and few enough,
    list the orders it may change and keep what the rollups hold for them (the refresh by order
    then adds the difference); False to refresh by day."""
    if not keys <= ws.BY_ORDER_KINDS:
        return False
    cur.execute(ws.affected(keys))
    if cur.execute("SELECT count(*) FROM affected_orders").fetchone()[0] > BY_ORDERS_LIMIT:
        return False
    return semantic_rollups.remember(cur, CATALOGUE, step=reporter.step)


def _stage_all(connections: Connections, schema, kinds, todo, date_format, reporter, fail_at) -> dict:
    """Stage every kind, two at a time, each on its own connection; return their outcomes by kind."""
    numbers = iter(range(1, 32_000))
    jobs = []
    for kind in kinds:
        kind_files = [f for f in todo if f.kind is kind]
        jobs.append((kind, kind_files, [next(numbers) for _ in kind_files]))
    # The biggest kinds first, so the two workers finish together.
    jobs.sort(key=lambda j: -sum(f.size for f in j[1]))
    with reporter.staging(), ThreadPoolExecutor(max_workers=STAGING_WORKERS) as pool:
        futures = {pool.submit(stage_kind, connections.staging, schema, kind, kind_files, nums, date_format, reporter, fail_at): kind
                   for kind, kind_files, nums in jobs}
        try:
            return {futures[f].key: f.result() for f in as_completed(futures)}
        except BaseException:
            for f in futures:
                f.cancel()
            raise


@contextmanager
def _indexes_rebuilt(cur, table: str, active: bool):
    """For a bulk load into an empty table: drop its keys and indexes, and build them again after.

    Building an index once over sorted data is several times cheaper than growing it row by row.
    It all happens inside the load's transaction, so a failure restores the indexes too.
    """
    if not active:
        yield
        return
    rel = f"warehouse.{table}"
    constraints = cur.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype IN ('p', 'u')", (rel,)).fetchall()
    indexes = cur.execute(
        "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
        "WHERE x.indrelid = %s::regclass AND NOT EXISTS "
        "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)", (rel,)).fetchall()
    for name, _ in constraints:
        cur.execute(f'ALTER TABLE {rel} DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        cur.execute(f'DROP INDEX warehouse."{name}"')
    yield
    for name, definition in constraints:
        cur.execute(f'ALTER TABLE {rel} ADD CONSTRAINT "{name}" {definition}')
    for _, definition in indexes:
        cur.execute(definition)
    # Autovacuum cannot see inside this transaction: without statistics the next statements would
    # plan a million-row table as a small one (nested loops instead of hash joins).
    cur.execute(f"ANALYZE {rel}")


def _upsert(cur, kind, tables: dict, kinds, orders_all_new: bool) -> None:
    """Write one kind's good rows: unknown members first, then the upsert, then the counts."""
    keys = {k.key for k in kinds}
    typ = ts.typed_table(kind)
    counts = tables[kind.table]

    def unknown(column: str, dim: str) -> None:
        n = cur.execute(ws.unknown_members(typ, column, dim)).fetchone()[0]
        tables.setdefault(dim, TableCounts()).unknown_members += n

    statements = []
    if kind.key == "categories":
        statements = ws.categories_sql(kind)
    elif kind.key == "geolocation":
        statements = [ws.geolocation_sql()]
    elif kind.key in ("customers", "sellers"):
        statements = [ws.dimension_sql(kind)]
    elif kind.key == "products":
        statements = ws.products_sql(kind)
    elif kind.key == "orders":
        unknown("customer_id", "dim_customers")
        statements = ws.orders_sql("items" in keys, "payments" in keys, "reviews" in keys,
                                   capture=not orders_all_new)
    else:
        cur.execute(ws.orphans(typ))
        if kind.key == "items":
            unknown("product_id", "dim_products")
            unknown("seller_id", "dim_sellers")
        statements = [ws.child_sql(kind, capture=not orders_all_new)]
    inserted = updated = 0
    empty = not cur.execute(f"SELECT EXISTS (SELECT 1 FROM warehouse.{kind.table})").fetchone()[0]
    with _indexes_rebuilt(cur, kind.table, empty):
        for sql in statements:
            cur.execute(ws.bulk(sql) if empty and "/*conflict*/" in sql else sql)
            if "(xmax = 0)" in sql:
                inserted, updated = cur.fetchone()
    counts.inserted += inserted
    counts.updated += updated
    if not empty:  # into an empty table every good row was inserted: nothing is unchanged
        source = "geo_prefixes" if kind.key == "geolocation" else f"{typ} WHERE {ws.GOOD}"
        good = cur.execute(f"SELECT count(*) FROM {source}").fetchone()[0]
        counts.unchanged += max(0, good - inserted - updated)

