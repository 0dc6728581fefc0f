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


def _by_group(r: Rollup) -> str:
    """GROUP BY positions of a rollup's rows: the period, then each dimension."""
    return ", ".join(str(n) for n in range(1, len(r.dimensions) + 2))


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
        group = _by_group(r)
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


def change_rows(c: Catalogue, r: Rollup, by_orders: bool = False) -> str:
    """The change a load made to summed rollup `r`, per group: its source's new rows of the touched
    periods (`by_orders`: of the groups an order-level refresh changed, `current`) minus the rows
    they replaced (`replaced`), summed to `r`'s grain, with the change in source rows; groups whose
    change is nothing left out. Its cost follows the load, not the history."""
    src = source_of(c, r)
    dims = "".join(f', "{d}"' for d in r.dimensions)
    signed = "".join(f', -"{m}"' for m in r.measures)
    plain = "".join(f', "{m}"' for m in r.measures)
    sums = [f'sum("{m}") AS "{m}"' for m in (*r.measures, SOURCE_ROWS)]
    group = _by_group(r)
    return (f"SELECT date_trunc('{r.grain}', period)::date AS period{dims}, {', '.join(sums)} FROM ("
            f"SELECT period{dims}{plain}, 1 AS {SOURCE_ROWS} FROM "
            + (f"{current(src)} " if by_orders else f"{src.table} WHERE period IN {touched_periods(src.grain)} ") +
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
    group = _by_group(r)
    return f"SELECT {picked}, {sums} FROM (\n{sql.union(branches)}\n) x GROUP BY {group}"


def people_ddl(c: Catalogue) -> str:
    p = c.people
    cols = (["period date NOT NULL", "person uuid NOT NULL", "first_date date"]
            + [f'"{k}" {TYPES[c.dimensions[k].type]}' for k in p.dimensions]
            + [f'"{k}" {LIST_TYPES[c.dimensions[k].type]} NOT NULL' for k in p.lists])
    return f"CREATE TABLE {p.table} ({', '.join(cols)}); CREATE INDEX ON {p.table} (period)"


def people_fill(c: Catalogue, touched: bool = False, orders: str | None = None) -> str:
    """The INSERT of the people table's rows: of all history, of the touched days, or of the orders
    `orders` (SQL over `o`) selects."""
    p = c.people
    cols = ", ".join(["period", "person", "first_date", *(f'"{k}"' for k in (*p.dimensions, *p.lists))])
    days = orders or (f"o.purchase_date IN {touched_days('day')}" if touched else "true")
    return f"INSERT INTO {p.table} ({cols}) {sql.people_fill(c, days)}"


# A load that changed a few orders refreshes the rollups filled from the star by those orders: the
# rows each rollup would hold for them alone, computed from the shared input before its writes and
# after (`contributions`), differ by what the load changed; that difference is added to the
# rollup's groups (`change_of`, `add_to_groups`). An overlap table holds a row per order, so its
# old rows are taken out and the new put in (`replace_rows`).

def counted(c: Catalogue, r: Rollup) -> tuple[str, ...]:
    """`r`'s measures that count its rows' orders or rows themselves: a group whose counts all reach
    0 has no rows left in the star, so a load deletes it."""
    return tuple(m for m in r.measures if c.measures[m].agg == "count" and c.measures[m].expr == "1")


def current(r: Rollup) -> str:
    """The temporary table keeping the rows an order-level refresh wrote to `r`'s changed groups
    (read with `replaced(r)` by the rollups summed from it)."""
    return f"current_{r.name}"


def contributions(c: Catalogue, r: Rollup, into: str, suffix: str) -> list[str]:
    """Make temporary table `into` with the rows `r` would hold for the orders in the shared input
    whose tables end in `suffix` (`base.tables`), and those orders alone."""
    return [f"CREATE TEMP TABLE {into} ON COMMIT DROP AS SELECT {_columns(r)} FROM {r.table} WITH NO DATA",
            f"INSERT INTO {into} ({_columns(r)}) {select(base.catalogue(c), r, 'true', base.star(suffix))}"]


def _keys(r: Rollup) -> list[str]:
    return ["period", *(f'"{d}"' for d in r.dimensions)]


def _match(c: Catalogue, r: Rollup, a: str, b: str) -> str:
    """Rows `a` and `b` are of one group (NULL as a value: hashable, unlike IS NOT DISTINCT FROM),
    among the periods `b` holds (so that `r` is read by its period index)."""
    pairs = [f"{a}.period = {b}.period", *(
        f'coalesce({a}."{d}", {NULL_KEY[c.dimensions[d].type]}) = coalesce({b}."{d}", {NULL_KEY[c.dimensions[d].type]})'
        for d in r.dimensions)]
    return " AND ".join(pairs)


def change_of(r: Rollup, old: str, new: str, into: str) -> str:
    """Make temporary table `into`: per group, the rows of table `new` minus those of `old` (both
    `contributions`), the groups they leave unchanged left out."""
    keys = ", ".join(_keys(r))
    sums = ", ".join(f'sum("{m}") AS "{m}"' for m in r.measures)
    signed = ", ".join(f'-"{m}"' for m in r.measures)
    group = _by_group(r)
    return (f"CREATE TEMP TABLE {into} ON COMMIT DROP AS SELECT {keys}, {sums} FROM ("
            f"SELECT {_columns(r)} FROM {new} UNION ALL SELECT {keys}, {signed} FROM {old}) x GROUP BY {group} "
            f"HAVING " + " OR ".join(f'sum("{m}") <> 0' for m in r.measures))


def add_to_groups(c: Catalogue, r: Rollup, change: str, keep: bool) -> list[str]:
    """Add table `change` (`change_of`) to `r`'s rows: take its groups' rows out (into
    `replaced(r)`), and put back each group's sum with the change unless its counts reach 0 (also
    into `current(r)` when `keep`). The second statement's row count is the rows taken out, the
    last's the rows put back."""
    keys = ", ".join(_keys(r))
    sums = ", ".join(f'sum("{m}")' for m in r.measures)
    group = _by_group(r)
    periods = f"t.period = ANY (ARRAY(SELECT DISTINCT period FROM {change}))"
    put = (f"INSERT INTO {r.table} ({_columns(r)}) SELECT {keys}, {sums} FROM ("
           f"SELECT {_columns(r)} FROM {replaced(r)} UNION ALL SELECT {_columns(r)} FROM {change}) x "
           f"GROUP BY {group} HAVING " + " OR ".join(f'sum("{m}") <> 0' for m in counted(c, r)))
    # The periods' rows are read once and joined to the change by hash: matched one change row at a
    # time, each read all of its period's rows (a busy day's thousands, a thousand times over).
    out = [f"CREATE TEMP TABLE {replaced(r)} ON COMMIT DROP AS TABLE {r.table} WITH NO DATA",
           f"WITH found AS MATERIALIZED (SELECT ctid AS row_id, {keys} FROM {r.table} t WHERE {periods}), "
           f"gone AS (DELETE FROM {r.table} t USING found f JOIN {change} ch ON {_match(c, r, 'f', 'ch')} "
           f"WHERE t.ctid = f.row_id RETURNING t.*) INSERT INTO {replaced(r)} SELECT * FROM gone"]
    if keep:
        return out + [f"CREATE TEMP TABLE {current(r)} ON COMMIT DROP AS TABLE {r.table} WITH NO DATA",
                      f"WITH put AS ({put} RETURNING *) INSERT INTO {current(r)} SELECT * FROM put"]
    return out + [put]


def replace_rows(c: Catalogue, r: Rollup, old: str, new: str) -> list[str]:
    """Take overlap table `r`'s rows of table `old` out (one stored row for each, equal column by
    column, its values compared sorted) and put the rows of table `new` in. The first statement's row
    count is the rows taken out, the second's the rows put in."""
    cols = _columns(r)
    n = len(cols.split(", "))
    sort = 'ARRAY(SELECT v FROM unnest({}."%s") v ORDER BY 1)' % r.overlap
    olds = cols.replace(f'"{r.overlap}"', f'{sort.format(old)} AS "{r.overlap}"')
    same = (f'{_match(c, r, "t", "o")} AND {sort.format("t")} = o."{r.overlap}" '
            + "".join(f'AND t."{m}" = o."{m}" ' for m in r.measures))
    periods = f"t.period = ANY (ARRAY(SELECT DISTINCT period FROM {old}))"
    partition = ", ".join(f"o.{x}" for x in cols.split(", "))
    found = (f"SELECT t.ctid AS id, o.n, row_number() OVER (PARTITION BY {partition} ORDER BY t.ctid) AS k "
             f"FROM {r.table} t JOIN (SELECT {olds}, count(*) AS n FROM {old} "
             f"GROUP BY {', '.join(str(k) for k in range(1, n + 1))}) o ON {periods} AND {same}")
    return [f"DELETE FROM {r.table} WHERE ctid = ANY (ARRAY(SELECT id FROM ({found}) f WHERE k <= n))",
            f"INSERT INTO {r.table} ({cols}) SELECT {cols} FROM {new}"]
