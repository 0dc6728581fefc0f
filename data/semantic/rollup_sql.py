"""The SQL that makes and fills each generated rollup, written from its declaration.

Both sides need it: the loader (etl/semantic_rollups.py) runs it, and `state` hashes it, so a
rollup is current only while the SQL that would fill it now is the SQL that filled it. Whatever
changes a rollup's rows (a declaration, a dimension's expression, the compiler, the shared input,
the storage in hundredths) changes this text, and nothing else does.
"""
from __future__ import annotations

from data.semantic import base, sql
from data.semantic.model import Rollup
from data.semantic.planner import Catalogue
from data.semantic.sql import Statement, measure_rows

TYPES = {"text": "text", "int": "integer", "uuid": "text"}
LIST_TYPES = {"text": "text[]", "int": "integer[]", "uuid": "text[]"}
STEP = {"day": "1 day", "week": "1 week", "month": "1 month", "quarter": "3 months", "year": "1 year"}
# A summed rollup's count of its source's rows in each group: a load adds and subtracts it with the
# sums, and a group whose count reaches 0 has no rows left in its source, so it is deleted.
SOURCE_ROWS = "source_rows"
# What stands for NULL in a summed rollup's unique key (PostgreSQL 14 has no NULLS NOT DISTINCT):
# values no dimension takes (a control character no name holds; the smallest integer).
NULL_KEY = {"text": "E'\\x01'", "int": "-2147483648", "uuid": "E'\\x01'"}


def ddl(c: Catalogue, r: Rollup) -> str:
    cols = (["period date NOT NULL"] + [f'"{d}" {TYPES[c.dimensions[d].type]}' for d in r.dimensions]
            + ([f'"{r.overlap}" {LIST_TYPES[c.dimensions[r.overlap].type]} NOT NULL'] if r.overlap else [])
            + [f'"{m}" bigint NOT NULL' for m in r.measures]  # sums in hundredths (sql.stored)
            + ([f'"{SOURCE_ROWS}" bigint NOT NULL'] if r.source else []))
    return f"CREATE TABLE {r.table} ({', '.join(cols)})"


def indexes(c: Catalogue, r: Rollup) -> list[str]:
    """The period, and a selective dimension with the period (made after the rows are in); a summed
    rollup's groups are unique, so a load adds its change to them in place."""
    return [f"CREATE INDEX ON {r.table} (period)",
            *(f'CREATE INDEX ON {r.table} ("{d}", period)' for d in r.dimensions if c.dimensions[d].selective),
            *([f"CREATE UNIQUE INDEX ON {r.table} ({', '.join(group_key(c, r))})"] if r.source else [])]


def group_key(c: Catalogue, r: Rollup) -> list[str]:
    """A summed rollup's group: the period and each dimension, NULL as a value no dimension takes."""
    return ["period", *(f'coalesce("{d}", {NULL_KEY[c.dimensions[d].type]})' for d in r.dimensions)]


def touched_periods(grain: str) -> str:
    return f"(SELECT DISTINCT date_trunc('{grain}', purchase_date)::date FROM touched_dates)"


def touched_days(grain: str) -> str:
    """Every day of the `grain` periods holding a touched day."""
    if grain == "day":
        return "(SELECT purchase_date FROM touched_dates)"
    return (f"(SELECT gs::date FROM {touched_periods(grain)} t(p), "
            f"generate_series(t.p, t.p + interval '{STEP[grain]}' - interval '1 day', interval '1 day') gs)")


def _columns(r: Rollup) -> str:
    return ", ".join(f'"{x}"' for x in ("period", *r.dimensions, *((r.overlap,) if r.overlap else ()), *r.measures,
                                        *((SOURCE_ROWS,) if r.source else ())))


def fill(c: Catalogue, r: Rollup, touched: bool = False) -> str:
    """The INSERT of `r`'s rows: of all history, or (`touched`, a rollup filled from the star) of
    the periods holding touched days; from the rollup it is summed from, or from the shared input
    (`base_tables`, made first). A summed rollup's touched periods change by `change_rows`."""
    if r.source:
        assert not touched, "a summed rollup's touched periods are changed in place (change_rows)"
        dims = "".join(f', "{d}"' for d in r.dimensions)
        sums = ", ".join(f'sum("{m}")' for m in r.measures)
        group = ", ".join(str(n) for n in range(1, len(r.dimensions) + 2))
        rows = (f"SELECT date_trunc('{r.grain}', period)::date{dims}, {sums}, count(*) FROM {source_of(c, r).table} "
                f"GROUP BY {group}")
    else:
        rows = select(base.catalogue(c), r, f"o.purchase_date IN {touched_days(r.grain)}" if touched else "true",
                      base.BASE)
    return f"INSERT INTO {r.table} ({_columns(r)}) {rows}{'' if touched else ' ORDER BY ' + _order(c, r)}"


def _order(c: Catalogue, r: Rollup) -> str:
    """How a full build lays out `r`'s rows: in period order, so that a range of periods (a page's
    dates, a month summed up) lies in a few blocks; first by its first selective dimension where it
    has one, since such a rollup is read for one value of it, whose rows of a long range would
    otherwise lie scattered over most of the table's blocks."""
    first = next((n for n, d in enumerate(r.dimensions, 2) if c.dimensions[d].selective), None)
    return "1" if first is None else f"{first}, 1"


def source_of(c: Catalogue, r: Rollup) -> Rollup:
    """The rollup `r` is summed from."""
    return next(s for s in c.rollups if s.name == r.source)


def replaced(r: Rollup) -> str:
    """The temporary table keeping the rows a load replaced in rollup `r` (read by those summed from it)."""
    return f"replaced_{r.name}"


def replace_touched(r: Rollup, keep: bool) -> list[str]:
    """Delete `r`'s rows of the periods holding touched days (a rollup filled from the star, before
    `fill(touched=True)`); `keep` them in `replaced(r)` for the rollups summed from it."""
    gone = f"DELETE FROM {r.table} WHERE period IN {touched_periods(r.grain)}"
    if not keep:
        return [gone]
    return [f"CREATE TEMP TABLE {replaced(r)} ON COMMIT DROP AS TABLE {r.table} WITH NO DATA",
            f"WITH gone AS ({gone} RETURNING *) INSERT INTO {replaced(r)} SELECT * FROM gone"]


def change_rows(c: Catalogue, r: Rollup) -> str:
    """The change a load made to summed rollup `r`, per group: its source's new rows of the touched
    periods minus the rows they replaced (`replaced`), summed to `r`'s grain, with the change in
    source rows; groups whose change is nothing left out. Its cost follows the load, not the history."""
    src = source_of(c, r)
    dims = "".join(f', "{d}"' for d in r.dimensions)
    signed = "".join(f', -"{m}"' for m in r.measures)
    plain = "".join(f', "{m}"' for m in r.measures)
    sums = [f'sum("{m}") AS "{m}"' for m in (*r.measures, SOURCE_ROWS)]
    group = ", ".join(str(n) for n in range(1, len(r.dimensions) + 2))
    return (f"SELECT date_trunc('{r.grain}', period)::date AS period{dims}, {', '.join(sums)} FROM ("
            f"SELECT period{dims}{plain}, 1 AS {SOURCE_ROWS} FROM {src.table} "
            f"WHERE period IN {touched_periods(src.grain)} "
            f"UNION ALL SELECT period{dims}{signed}, -1 FROM {replaced(src)}) y GROUP BY {group} "
            f"HAVING " + " OR ".join(f'sum("{m}") <> 0' for m in (*r.measures, SOURCE_ROWS)))


def add_change(c: Catalogue, r: Rollup, change: str, emptied: str) -> str:
    """Add the rows of table `change` (`change_rows`) to summed rollup `r`: a new group is inserted,
    a known one adds the change to its sums. The row of a group left with no source rows goes into
    table `emptied` (its ctid), and whether each row was new comes back (`xmax = 0`)."""
    sets = ", ".join(f'"{m}" = x."{m}" + EXCLUDED."{m}"' for m in (*r.measures, SOURCE_ROWS))
    return (f"WITH added AS (INSERT INTO {r.table} AS x ({_columns(r)}) SELECT {_columns(r)} FROM {change} "
            f"ON CONFLICT ({', '.join(group_key(c, r))}) DO UPDATE SET {sets} "
            f'RETURNING x.ctid, x."{SOURCE_ROWS}", (x.xmax = 0) AS new), '
            f'emptied AS (INSERT INTO {emptied} SELECT ctid FROM added WHERE "{SOURCE_ROWS}" = 0) '
            f"SELECT count(*) FILTER (WHERE new) FROM added")


def select(c: Catalogue, r: Rollup, days: str, star: sql.Star = sql.WAREHOUSE) -> str:
    """The SELECT of the rows of a rollup filled from a star (`star`: the warehouse's, or the
    shared input's with `base.catalogue`) for the orders `days` (SQL over `o`) selects."""
    if r.overlap:
        return sql.overlap_fill(c, r, days, star)
    st = Statement("")
    branches = measure_rows(c, r.measures, ("date", *r.dimensions), r.grain, {}, days, st, star)
    assert not st.params, "a rollup's rows take no parameters"
    picked = ", ".join(["x.d_date", *(f"x.d_{d}" for d in r.dimensions)])
    if len(branches) == 1:  # one level's rows, already one per group: nothing to add up
        kept = ", ".join(sql.stored(c, m, f"coalesce(x.m_{m}, 0)") for m in r.measures)
        return f"SELECT {picked}, {kept} FROM (\n{branches[0]}\n) x"
    sums = ", ".join(sql.stored(c, m, f"coalesce(sum(x.m_{m}), 0)") for m in r.measures)
    group = ", ".join(str(n) for n in range(1, len(r.dimensions) + 2))
    return f"SELECT {picked}, {sums} FROM (\n{sql.union(branches)}\n) x GROUP BY {group}"


def people_ddl(c: Catalogue) -> str:
    p = c.people
    cols = (["period date NOT NULL", "person uuid NOT NULL", "first_date date"]
            + [f'"{k}" {TYPES[c.dimensions[k].type]}' for k in p.dimensions]
            + [f'"{k}" {LIST_TYPES[c.dimensions[k].type]} NOT NULL' for k in p.lists])
    return f"CREATE TABLE {p.table} ({', '.join(cols)}); CREATE INDEX ON {p.table} (period)"


def people_fill(c: Catalogue, touched: bool) -> str:
    p = c.people
    cols = ", ".join(["period", "person", "first_date", *(f'"{k}"' for k in (*p.dimensions, *p.lists))])
    days = f"o.purchase_date IN {touched_days('day')}" if touched else "true"
    return f"INSERT INTO {p.table} ({cols}) {sql.people_fill(c, days)}"
