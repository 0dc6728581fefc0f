"""Stage and validate one kind of file on a connection of its own, into the run's scratch schema.

Kinds are independent until they are written to the warehouse, so the loader stages them two at
a time (the machine has two cores): COPY, parsing, per-row rules and duplicate keys all happen
here, in unlogged tables of a schema that belongs to the run (`etl_run_<id>`). Nothing here
touches the warehouse; the run's single transaction reads these tables afterwards, and the
schema is dropped when the run ends, whatever the outcome.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from psycopg import errors

from etl import extract, reasons
from etl import typing_sql as ts
from etl import warehouse_sql as ws


@dataclass
class KindStage:
    """What staging one kind produced, for the run's transaction and its summary."""

    kind: object
    files: list = field(default_factory=list)  # (file number, file name)
    read: int = 0
    skipped: int = 0
    seconds: float = 0.0
    raw_source: str = "typed"  # "typed": fast path; "staged": raw text kept beside the typed rows
    breaks: list = field(default_factory=list)  # (file number, record, line - record)
    extra_quarantine: list = field(default_factory=list)  # (file, line, table, reason, fields)
    warnings: list = field(default_factory=list)


def stage_kind(connection, schema: str, kind, files: list, numbers: list[int], date_format: str,
               reporter, fail_at: str | None = None) -> KindStage:
    """Stage `files` (all of `kind`) into `schema` and validate them; commit; return the outcome.

    `connection()` lends a connection for the while (etl.load.Connections.staging)."""
    began = time.monotonic()
    out = KindStage(kind, files=list(zip(numbers, (f.name for f in files))))
    with connection() as conn:
        conn.execute(f"SET search_path = {schema}, public")  # schema: etl_run_<integer>
        conn.execute("SET DateStyle = 'ISO, MDY'")
        conn.execute("SET work_mem = '1GB'")  # as the run's own session: see etl.load.WORK_MEM
        cur = conn.cursor()
        if not (all(extract.sample_is_clean(f) for f in files) and _stage_fast(cur, kind, files, numbers, out, reporter)):
            out.raw_source = "staged"
            cur.execute(ts.staging_ddl(kind))
            for f, number in zip(files, numbers):
                _stage_text(cur, kind, f, number, out, reporter)
            cur.execute(f"ANALYZE {ts.staging_table(kind)}")
            orders = _date_orders(cur, kind, date_format, out.warnings)
            cur.execute(ts.typed_ddl(kind, orders))
        if fail_at == f"stage:{kind.key}":
            raise RuntimeError(f"failure injected at {fail_at}")
        cur.execute(ts.post_validate_sql(kind))
        cur.execute(f"ANALYZE {ts.typed_table(kind)}")  # without statistics the planner sorts, not hashes
        if kind.key == "geolocation":  # aggregated per prefix: no keys to settle
            cur.execute(ws.GEO_PREFIXES)
        else:
            cur.execute(ts.dedupe_sql(kind))
        if kind.key in ws.CHILD_BATCH_TOTALS:
            cur.execute(ws.CHILD_BATCH_TOTALS[kind.key])
            cur.execute(f"ANALYZE {kind.key}_by_order")
        conn.commit()
    out.seconds = time.monotonic() - began
    reporter.step(f"validated {kind.key} ({'typed COPY' if out.raw_source == 'typed' else 'parsed in SQL'})")
    return out


def _copy(cur, table: str, columns: str, f, reporter) -> extract.RecordStream:
    stream = extract.RecordStream(f)
    with reporter.file(f.name, f.size) as bar, cur.copy(
            f"COPY {table} ({columns}) FROM STDIN (FORMAT csv, FORCE_NULL ({columns}))") as cp:
        for block in stream.blocks():
            cp.write(block)
            bar.update(stream.bytes_read)
    return stream


def _next_record(cur, table: str) -> int:
    """Record numbers continue across files; return the last one used (records start after it)."""
    return cur.execute(f"SELECT nextval(pg_get_serial_sequence('{table}', '_rec'))").fetchone()[0]


def _stage_fast(cur, kind, files, numbers, out: KindStage, reporter) -> bool:
    """COPY straight into typed columns; False (and nothing staged) if any value refuses."""
    typ = ts.typed_table(kind)
    cur.execute("SAVEPOINT stage_fast")
    cur.execute(ts.typed_staging_ddl(kind))
    targets = {c.name: c.column for c in kind.columns}
    read = blank = 0
    breaks = []
    try:
        for f, number in zip(files, numbers):
            cur.execute(f"ALTER TABLE {typ} ALTER COLUMN _file SET DEFAULT {int(number)}")
            base = _next_record(cur, typ)
            stream = _copy(cur, typ, ", ".join(f'"{targets[c]}"' for c in f.columns), f, reporter)
            breaks += [(number, base + rec, delta - base) for rec, delta in stream.break_rows()]
            read += stream.records
            blank += stream.blank
    except (errors.DataError, errors.BadCopyFileFormat, errors.InvalidTextRepresentation):
        cur.execute("ROLLBACK TO SAVEPOINT stage_fast")
        reporter.step(f"{kind.key}: some values need careful parsing; staging as text")
        return False
    cur.execute("RELEASE SAVEPOINT stage_fast")
    out.read += read
    out.skipped += blank
    out.breaks += breaks
    return True


def _stage_text(cur, kind, f, number: int, out: KindStage, reporter) -> None:
    """COPY one file as text; if COPY refuses its layout, read it row by row and quarantine the misfits."""
    stg = ts.staging_table(kind)
    cur.execute(f"ALTER TABLE {stg} ALTER COLUMN _file SET DEFAULT {int(number)}")
    columns = ", ".join(f'"{c}"' for c in f.columns)  # each one checked against the kind's header
    base = _next_record(cur, stg)
    cur.execute("SAVEPOINT stage_file")
    try:
        stream = _copy(cur, stg, columns, f, reporter)
        cur.execute("RELEASE SAVEPOINT stage_file")
        breaks, read, blank = stream.break_rows(), stream.records, stream.blank
    except (errors.CharacterNotInRepertoire, errors.UntranslatableCharacter):
        cur.execute("ROLLBACK TO SAVEPOINT stage_file")
        raise extract.ExtractError(_not_utf8(f)) from None
    except (errors.BadCopyFileFormat, errors.InvalidTextRepresentation):
        cur.execute("ROLLBACK TO SAVEPOINT stage_file")
        reporter.step(f"{f.name}: some rows do not fit the CSV layout; reading it row by row")
        base = _next_record(cur, stg)
        breaks, read, blank = _stage_tolerant(cur, stg, kind, f, columns, out.extra_quarantine)
    out.read += read
    out.skipped += blank
    out.breaks += [(number, base + rec, delta - base) for rec, delta in breaks]


def _stage_tolerant(cur, stg, kind, f, columns, extra_quarantine):
    """Stage a file through Python's csv parser: rows with the wrong number of fields are quarantined."""
    width = len(f.columns)
    breaks, delta, rec, read, blank = [], None, 0, 0, 0
    try:
        with cur.copy(f"COPY {stg} ({columns}) FROM STDIN (FORMAT csv, FORCE_NULL ({columns}))") as cp:
            for line, fields in extract.tolerant_rows(f):
                if not fields:
                    blank += 1
                    continue
                read += 1
                if len(fields) != width:
                    extra_quarantine.append((f.name, line, kind.table,
                                             reasons.WRONG_FIELD_COUNT, fields))
                    continue
                rec += 1
                if line - rec != delta:
                    delta = line - rec
                    breaks.append((rec, delta))
                cp.write(extract.to_copy_line(fields))
    except UnicodeDecodeError:
        raise extract.ExtractError(_not_utf8(f)) from None
    return breaks, read, blank


def _not_utf8(f: extract.SourceFile) -> str:
    line = extract.first_bad_utf8_line(f.path)
    where = f" (line {line})" if line else ""
    return f"{f.name} has bytes that are not UTF-8{where}: save it as CSV UTF-8 and load again"


SAMPLE = 20_000


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
        else:
            orders[c] = "mdy"
            if second == 0:
                warnings.append(f"{kind.key}.{c}: dates like 03/04/2018 could be month/day or day/month; "
                                "read as month/day (use --date-format dmy if they are day/month)")
    return orders
