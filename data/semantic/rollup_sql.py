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


def ddl(c: Catalogue, r: Rollup) -> str:
    cols = (["period date NOT NULL"] + [f'"{d}" {TYPES[c.dimensions[d].type]}' for d in r.dimensions]
            + ([f'"{r.overlap}" {LIST_TYPES[c.dimensions[r.overlap].type]} NOT NULL'] if r.overlap else [])
            + [f'"{m}" bigint NOT NULL' for m in r.measures])  # sums in hundredths (sql.stored)
    return f"CREATE TABLE {r.table} ({', '.join(cols)})"


def indexes(c: Catalogue, r: Rollup) -> list[str]:
    """The period, and a selective dimension with the period (made after the rows are in)."""
    return [f"CREATE INDEX ON {r.table} (period)",
            *(f'CREATE INDEX ON {r.table} ("{d}", period)' for d in r.dimensions if c.dimensions[d].selective)]


def touched_periods(grain: str) -> str:
    return f"(SELECT DISTINCT date_trunc('{grain}', purchase_date)::date FROM touched_dates)"


def touched_days(grain: str) -> str:
    """Every day of the `grain` periods holding a touched day."""
    if grain == "day":
        return "(SELECT purchase_date FROM touched_dates)"
    return (f"(SELECT gs::date FROM {touched_periods(grain)} t(p), "
            f"generate_series(t.p, t.p + interval '{STEP[grain]}' - interval '1 day', interval '1 day') gs)")


def _within_touched(grain: str) -> str:
    """SQL keeping a source's rows (by `period`) in the `grain` periods holding touched days, as a
    range its index can read (the planner cannot size a list of days made by generate_series)."""
    return (f"period >= (SELECT min(date_trunc('{grain}', purchase_date))::date FROM touched_dates) "
            f"AND period < (SELECT max(date_trunc('{grain}', purchase_date)) + interval '{STEP[grain]}' "
            f"FROM touched_dates) AND date_trunc('{grain}', period)::date IN {touched_periods(grain)}")


def fill(c: Catalogue, r: Rollup, touched: bool, into: str | None = None) -> str:
    """The INSERT of `r`'s rows (into its table, or a table `into` of its shape): of the periods
    holding touched days, or of all history; from the rollup it is summed from, or from the shared
    input (`base_tables`, made first)."""
    cols = ["period", *r.dimensions, *((r.overlap,) if r.overlap else ()), *r.measures]
    days = f"o.purchase_date IN {touched_days(r.grain)}" if touched else "true"
    if r.source:
        src = next(s for s in c.rollups if s.name == r.source)
        where = f"WHERE {_within_touched(r.grain)}" if touched else ""
        dims = "".join(f', "{d}"' for d in r.dimensions)
        sums = ", ".join(f'sum("{m}")' for m in r.measures)
        group = ", ".join(str(n) for n in range(1, len(r.dimensions) + 2))
        rows = (f"SELECT date_trunc('{r.grain}', period)::date{dims}, {sums} FROM {src.table} {where} "
                f"GROUP BY {group}")
    else:
        rows = select(base.catalogue(c), r, days, base.BASE)
    quoted = ", ".join(f'"{x}"' for x in cols)
    # In period order: a range of periods (a page's dates, a month summed up) lies in a few blocks.
    return f"INSERT INTO {into or r.table} ({quoted}) {rows}{'' if touched else ' ORDER BY 1'}"


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
    days = "o.purchase_date IN (SELECT purchase_date FROM touched_dates)" if touched else "true"
    return f"INSERT INTO {p.table} ({cols}) {sql.people_fill(c, days)}"
