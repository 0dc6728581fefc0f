"""Load a folder of Olist exports into the warehouse in one transaction.

Stages: extract (recognise files by header, fingerprint them), stage (COPY the raw text into
temp tables), validate (parse in SQL, give each bad row a reason, settle duplicate keys), load
(unknown members, upserts, derived columns, rollups, quarantine), then commit. Anything that
goes wrong before the commit rolls the whole run back: the warehouse is exactly as it was, and
the run is still recorded in `etl.runs` (through a second connection) as failed.
"""
from __future__ import annotations

import json
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import errors

from data import db, migrate
from etl import extract, formats, rollups
from etl import typing_sql as ts
from etl import warehouse_sql as ws
from etl.progress import Reporter

LOAD_LOCK = 7_320_002
DATE_FORMATS = ("auto", "mdy", "dmy")
SAMPLE = 20_000


class LoadError(Exception):
    """The run failed and changed nothing; the message says why and what to do."""


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

    def as_json(self) -> dict:
        return {
            "run_id": self.run_id, "status": self.status, "dry_run": self.dry_run,
            "changed": self.changed, "seconds": round(self.seconds, 3), "files": self.files,
            "tables": {t: {**c.__dict__, "seconds": round(c.seconds, 3), "loaded": c.loaded}
                       for t, c in self.tables.items()},
            "warnings": self.warnings, "error": self.error,
        }


def load(url: str, source: Path, *, dry_run: bool = False, date_format: str = "auto",
         force: bool = False, reporter: Reporter | None = None, fail_at: str | None = None) -> RunResult:
    """Load the files under `source`; return the run's result, or raise LoadError having changed nothing.

    `fail_at` names a stage at which to fail on purpose; tests use it to prove the rollback.
    """
    if date_format not in DATE_FORMATS:
        raise LoadError(f"--date-format must be one of {', '.join(DATE_FORMATS)}")
    reporter = reporter or Reporter(quiet=True)
    started = time.monotonic()
    files, warnings = extract.discover(Path(source))
    migrate.upgrade_url(url)
    book = db.connect(url, autocommit=True)
    conn = db.connect(url)
    try:
        conn.execute("SET temp_buffers = '512MB'")
        conn.execute("SET work_mem = '256MB'")
        conn.execute("SET client_encoding = 'UTF8'")
        conn.execute("SET DateStyle = 'ISO, MDY'")
        if os.environ.get("ETL_LOG_SQL"):
            conn.execute("SET log_min_duration_statement = 100")
        if not conn.execute("SELECT pg_try_advisory_xact_lock(%s)", (LOAD_LOCK,)).fetchone()[0]:
            other = book.execute("SELECT run_id, started_at FROM etl.runs WHERE status = 'running' "
                                 "ORDER BY run_id DESC LIMIT 1").fetchone()
            which = f" (run {other[0]}, started {other[1]:%Y-%m-%d %H:%M:%S})" if other else ""
            raise LoadError(f"another load is running{which}: wait for it to finish, then try again")
        # We hold the lock, so any run still marked running was killed: say so.
        book.execute("UPDATE etl.runs SET status = 'abandoned', finished_at = now(), "
                     "error = 'the loader stopped before finishing; nothing it did was kept' "
                     "WHERE status = 'running'")
        run_id = book.execute(
            "INSERT INTO etl.runs (status, dry_run, source, files) VALUES ('running', %s, %s, %s) RETURNING run_id",
            (dry_run, str(source), json.dumps([{"file": f.name, "kind": f.kind.key} for f in files])),
        ).fetchone()[0]
        result = RunResult(run_id, "running", dry_run, False, warnings=list(warnings))
        try:
            _run(conn, files, result, date_format, force, reporter, fail_at)
            if dry_run:
                conn.rollback()
                result.changed = False
            else:
                _fail(fail_at, "commit")
                conn.commit()
            result.status = "succeeded"
        except BaseException as exc:
            conn.rollback()
            result.status, result.changed = "failed", False
            result.error = _message(exc)
            _finish(book, result, started)
            if isinstance(exc, (LoadError, extract.ExtractError, db.DatabaseUnavailable)):
                raise LoadError(result.error) from None
            if isinstance(exc, psycopg.OperationalError):
                raise LoadError(f"lost the database connection during the load ({result.error}); "
                                "nothing was changed: try again") from None
            raise
        _finish(book, result, started)
        return result
    finally:
        conn.close()
        book.close()


def _message(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _fail(fail_at: str | None, stage: str) -> None:
    if fail_at == stage:
        raise RuntimeError(f"failure injected at {stage}")


def _finish(book, result: RunResult, started: float) -> None:
    result.seconds = time.monotonic() - started
    try:
        book.execute(
            "UPDATE etl.runs SET status = %s, finished_at = now(), tables = %s, changed = %s, "
            "warnings = %s, error = %s, files = %s WHERE run_id = %s",
            (result.status, json.dumps(result.as_json()["tables"]), result.changed,
             json.dumps(result.warnings), result.error, json.dumps(result.files), result.run_id),
        )
    except psycopg.Error:
        pass  # the database went away: the next run marks this one abandoned


def _run(conn, files, result: RunResult, date_format, force, reporter: Reporter, fail_at) -> None:
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

    cur.execute(ws.TOUCH_TABLES)
    cur.execute("CREATE TEMP TABLE stg_breaks (_file smallint, rec_from bigint, delta bigint)")
    cur.execute("CREATE TEMP TABLE stg_files (_file smallint PRIMARY KEY, file_name text)")
    kinds = [k for k in formats.KINDS if any(f.kind is k for f in todo)]
    extra_quarantine = []
    raw_source = {}  # kind key -> "typed" (fast path) or "staged" (raw text kept for quarantine)
    file_numbers = iter(range(1, 32_000))
    for kind in kinds:
        counts = result.tables.setdefault(kind.table, TableCounts())
        began = time.monotonic()
        kind_files = [f for f in todo if f.kind is kind]
        if all(extract.sample_is_clean(f) for f in kind_files) and _stage_fast(cur, kind, kind_files, file_numbers, counts, reporter):
            raw_source[kind.key] = "typed"
        else:
            raw_source[kind.key] = "staged"
            cur.execute(ts.staging_ddl(kind))
            for f in kind_files:
                _stage(cur, kind, f, next(file_numbers), counts, extra_quarantine, reporter)
            cur.execute(f"ANALYZE {ts.staging_table(kind)}")
            orders = _date_orders(cur, kind, date_format, result.warnings)
            cur.execute(ts.typed_ddl(kind, orders))
        _fail(fail_at, f"stage:{kind.key}")
        cur.execute(ts.post_validate_sql(kind))
        if kind.key != "geolocation":  # only aggregated: no joins to plan, no keys to settle
            cur.execute(f"ANALYZE {ts.typed_table(kind)}")
            cur.execute(ts.dedupe_sql(kind))
        counts.seconds += time.monotonic() - began
        reporter.step(f"validated {kind.key} ({'typed COPY' if raw_source[kind.key] == 'typed' else 'parsed in SQL'})")

    reporter.step("writing the warehouse")
    for kind in kinds:
        began = time.monotonic()
        _upsert(cur, kind, result.tables, kinds)
        result.tables[kind.table].seconds += time.monotonic() - began
        _fail(fail_at, f"upsert:{kind.key}")
    if "categories" in {k.key for k in kinds}:
        cur.execute(ws.RETRANSLATE)
    cur.execute(ws.CHILD_TOTALS)
    cur.execute(ws.TOUCHED_DATES)
    days = rollups.refresh(cur)
    reporter.step(f"refreshed rollups for {days} days")
    _fail(fail_at, "rollups")

    for kind in kinds:
        counts = result.tables[kind.table]
        sql = ws.QUARANTINE_TYPED if raw_source[kind.key] == "typed" else ws.QUARANTINE
        cur.execute(sql.format(typ=ts.typed_table(kind), stg=ts.staging_table(kind)),
                    {"run_id": result.run_id, "table": kind.table})
        counts.quarantined += cur.rowcount
        if kind.key != "geolocation":
            row = cur.execute(f"SELECT count(*) FILTER (WHERE duplicate AND reason IS NULL) "
                              f"FROM {ts.typed_table(kind)} WHERE duplicate").fetchone()
            counts.skipped += row[0]
    for file_name, line, table, reason, fields in extra_quarantine:
        cur.execute("INSERT INTO etl.quarantine (run_id, file_name, line_number, table_name, reason, raw) "
                    "VALUES (%s, %s, %s, %s, %s, %s)",
                    (result.run_id, file_name, line, table, reason,
                     json.dumps({"fields": [x.replace("\x00", "") for x in fields]})))
        result.tables[table].quarantined += 1

    result.changed = any(c.loaded or c.unknown_members for c in result.tables.values())
    # Remember cleanly loaded files, so loading them again is a quick no-op.
    for f in todo:
        if not any(q for q in _file_quarantined(cur, f.name, result.run_id)):
            cur.execute("INSERT INTO etl.files (content_hash, kind, file_name, run_id) VALUES (%s, %s, %s, %s) "
                        "ON CONFLICT (content_hash) DO UPDATE SET run_id = EXCLUDED.run_id, loaded_at = now()",
                        (f.content_hash, f.kind.key, f.name, result.run_id))
    _fail(fail_at, "end")


def _file_quarantined(cur, name: str, run_id: int):
    return cur.execute("SELECT EXISTS (SELECT 1 FROM etl.quarantine WHERE run_id = %s AND file_name = %s)",
                       (run_id, name)).fetchone()


def _stage_fast(cur, kind, files, file_numbers, counts: TableCounts, reporter) -> bool:
    """COPY the files straight into typed columns; False (and nothing staged) if any value refuses."""
    typ = ts.typed_table(kind)
    cur.execute("SAVEPOINT stage_fast")
    cur.execute(ts.typed_staging_ddl(kind))
    read = blank = 0
    try:
        for f in files:
            file_no = next(file_numbers)
            cur.execute("INSERT INTO stg_files VALUES (%s, %s)", (file_no, f.name))
            cur.execute(f"ALTER TABLE {typ} ALTER COLUMN _file SET DEFAULT {int(file_no)}")
            base = cur.execute(f"SELECT nextval(pg_get_serial_sequence('{typ}', '_rec'))").fetchone()[0]
            targets = {c.name: c.column for c in kind.columns}
            columns = ", ".join(f'"{targets[c]}"' for c in f.columns)
            stream = extract.RecordStream(f)
            with reporter.file(f.name, f.size) as bar, cur.copy(
                    f"COPY {typ} ({columns}) FROM STDIN (FORMAT csv, FORCE_NULL ({columns}))") as cp:
                for block in stream.blocks():
                    cp.write(block)
                    bar.update(stream.bytes_read)
            _save_breaks(cur, file_no, base, stream.break_rows())
            read += stream.records
            blank += stream.blank
    except (errors.DataError, errors.BadCopyFileFormat, errors.InvalidTextRepresentation):
        cur.execute("ROLLBACK TO SAVEPOINT stage_fast")
        reporter.step(f"{kind.key}: some values need careful parsing; staging as text")
        return False
    cur.execute("RELEASE SAVEPOINT stage_fast")
    counts.read += read
    counts.skipped += blank
    return True


def _save_breaks(cur, file_no: int, base: int, breaks) -> None:
    """Keep the record-to-line breakpoints, shifted by the table's record numbering `base`."""
    if breaks:
        with cur.copy("COPY stg_breaks FROM STDIN") as cp:
            for rec, delta in breaks:
                cp.write_row((file_no, base + rec, delta - base))


def _stage(cur, kind, f: extract.SourceFile, file_no: int, counts: TableCounts, extra_quarantine, reporter) -> None:
    """COPY one file into the kind's staging table; fall back to the tolerant parser if COPY refuses it."""
    stg = ts.staging_table(kind)
    cur.execute("INSERT INTO stg_files VALUES (%s, %s)", (file_no, f.name))
    cur.execute(f"ALTER TABLE {stg} ALTER COLUMN _file SET DEFAULT {int(file_no)}")
    columns = ", ".join(f'"{c}"' for c in f.columns)  # each one checked against the kind's header
    base = cur.execute(f"SELECT nextval(pg_get_serial_sequence('{stg}', '_rec'))").fetchone()[0]
    stream = extract.RecordStream(f)
    cur.execute("SAVEPOINT stage_file")
    try:
        with reporter.file(f.name, f.size) as bar, cur.copy(
                f"COPY {stg} ({columns}) FROM STDIN (FORMAT csv, FORCE_NULL ({columns}))") as cp:
            for block in stream.blocks():
                cp.write(block)
                bar.update(stream.bytes_read)
        cur.execute("RELEASE SAVEPOINT stage_file")
        breaks = stream.break_rows()
        counts.read += stream.records
        counts.skipped += stream.blank
    except (errors.CharacterNotInRepertoire, errors.UntranslatableCharacter):
        cur.execute("ROLLBACK TO SAVEPOINT stage_file")
        raise extract.ExtractError(_not_utf8(f)) from None
    except (errors.BadCopyFileFormat, errors.InvalidTextRepresentation):
        cur.execute("ROLLBACK TO SAVEPOINT stage_file")
        reporter.step(f"{f.name}: some rows do not fit the CSV layout; reading it row by row")
        base = cur.execute(f"SELECT nextval(pg_get_serial_sequence('{stg}', '_rec'))").fetchone()[0]
        breaks, read, blank = _stage_tolerant(cur, stg, kind, f, columns, extra_quarantine)
        counts.read += read
        counts.skipped += blank
    _save_breaks(cur, file_no, base, breaks)


def _stage_tolerant(cur, stg, kind, f, columns, extra_quarantine):
    """Stage a file through Python's csv parser: rows with the wrong number of fields are quarantined."""
    width = len(f.columns)
    breaks, delta, rec, read = [], None, 0, 0
    try:
        with cur.copy(f"COPY {stg} ({columns}) FROM STDIN (FORMAT csv)") as cp:
            for line, fields in extract.tolerant_rows(f):
                read += 1
                if len(fields) != width:
                    extra_quarantine.append((f.name, line, kind.table,
                                             f"expected {width} fields, found {len(fields)}", fields))
                    continue
                rec += 1
                if line - rec != delta:
                    delta = line - rec
                    breaks.append((rec, delta))
                cp.write(extract.to_copy_line(fields))
    except UnicodeDecodeError:
        raise extract.ExtractError(_not_utf8(f)) from None
    return breaks, read, 0  # the csv parser drops blank lines without telling


def _not_utf8(f: extract.SourceFile) -> str:
    line = extract.first_bad_utf8_line(f.path)
    where = f" (line {line})" if line else ""
    return f"{f.name} has bytes that are not UTF-8{where}: save it as CSV UTF-8 and load again"


def _date_orders(cur, kind, date_format: str, warnings: list) -> dict[str, str]:
    """Decide, per timestamp column, whether slash dates are month/day or day/month."""
    cols = [c.name for c in kind.columns if c.kind == "ts"]
    if not cols:
        return {}
    if date_format != "auto":
        return dict.fromkeys(cols, date_format)
    stg = ts.staging_table(kind)
    slash = r"^\s*\d{1,2}[/.]\d{1,2}[/.]\d{2,4}"
    sample = ", ".join(f"""count(*) FILTER (WHERE "{c}" ~ '{slash}')""" for c in cols)
    found = cur.execute(f"SELECT {sample} FROM (SELECT * FROM {stg} LIMIT {SAMPLE}) s").fetchone()
    orders = {}
    for c, n in zip(cols, found):
        if not n:
            orders[c] = "mdy"  # no slash dates: the order never matters
            continue
        part = rf"""(regexp_match("{c}", '^\s*(\d{{1,2}})[/.](\d{{1,2}})[/.]'))"""
        first, second = cur.execute(
            f"SELECT count(*) FILTER (WHERE {part}[1]::int > 12), count(*) FILTER (WHERE {part}[2]::int > 12) "
            f"FROM {stg} WHERE \"{c}\" ~ '{slash}'").fetchone()
        if first > second:
            orders[c] = "dmy"
        elif second > 0:
            orders[c] = "mdy"
        else:
            orders[c] = "mdy"
            warnings.append(f"{kind.key}.{c}: dates like 03/04/2018 could be month/day or day/month; "
                            "read as month/day (use --date-format dmy if they are day/month)")
    return orders


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


def _upsert(cur, kind, tables: dict, kinds) -> None:
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
        statements = ws.orders_sql("items" in keys, "payments" in keys)
    else:
        cur.execute(ws.orphans(typ))
        if kind.key == "items":
            unknown("product_id", "dim_products")
            unknown("seller_id", "dim_sellers")
        statements = [ws.child_sql(kind)]
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
        key = "DISTINCT geolocation_zip_code_prefix" if kind.key == "geolocation" else "*"
        good = cur.execute(f"SELECT count({key}) FROM {typ} WHERE {ws.GOOD}").fetchone()[0]
        counts.unchanged += max(0, good - inserted - updated)

