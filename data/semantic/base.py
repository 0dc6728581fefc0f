"""The rollups' shared input: the star's rows with every dimension and measure the rollups keep
computed once, and a catalogue whose SQL reads those values back.

Filling each rollup from the star joins the facts, the products, the sellers and the customers
again and tests every order against the repeat buyers again, once per rollup. Instead a load
computes, in one pass per level, the orders, items, payments and reviews of the days it touched
(all history on a first load) with each dimension's and measure's value as a column, into
temporary tables; every generated rollup is then filled from those narrow rows by the same
compiler (`sql.measure_rows` over `BASE`, with `catalogue(c)`). The values are the catalogue's
own expressions evaluated on the star, so a rollup filled from the base holds exactly the rows
the star gives (`tests/conftest.assert_rollups_are_the_stars_rows` compares them, after a first
load and after deltas).
"""
from __future__ import annotations

from dataclasses import replace

from data.semantic.model import LEVELS
from data.semantic.planner import Catalogue
from data.semantic.sql import WAREHOUSE, Star, level_rows

ALIAS = {"order": "o", "item": "i", "payment": "pay", "review": "r"}
TABLE = {"order": "base_orders", "item": "base_items", "payment": "base_payments", "review": "base_reviews"}


def star(suffix: str = "") -> Star:
    """The shared input as a star: its tables named with `suffix` (a load's order-level refresh
    keeps the touched orders' rows from before its writes beside those from after)."""
    return Star(f"{TABLE['order']}{suffix} o",
                {level: (f"{TABLE[level]}{suffix} {ALIAS[level]}", ALIAS[level]) for level in LEVELS[1:]}, {}, "")


BASE = star()


def kept(c: Catalogue) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The dimensions (the date aside) and the measures the rollups filled from the star keep."""
    built = [r for r in c.rollups if r.source is None]
    dims = dict.fromkeys(d for r in built for d in (*r.dimensions, *((r.overlap,) if r.overlap else ())))
    measures = dict.fromkeys(m for r in built for m in r.measures)
    return tuple(dims), tuple(measures)


def catalogue(c: Catalogue) -> Catalogue:
    """`c` with the kept dimensions and measures reading the base's columns (`d_<key>`, `m_<key>`)
    and every finer measure an order total (`po_<key>`): a rollup asking no dimension of a level
    sums its measures over orders, never over that level's rows (one pass, not one per level)."""
    dims, measures = kept(c)
    dimensions = dict(c.dimensions)
    for k in dims:
        d = c.dimensions[k]
        dimensions[k] = replace(d, expr=f'{ALIAS[d.level]}."d_{k}"', star_filter=None)
    sums = dict(c.measures)
    for k in measures:
        m = c.measures[k]
        sums[k] = replace(m, expr="1" if m.expr == "1" else f'{ALIAS[m.level]}."m_{k}"',
                          per_order=f'o."po_{k}"' if m.level != "order" else None)
    return replace(c, dimensions=dimensions, measures=sums, people=None)


def tables(c: Catalogue, days: str, suffix: str = "") -> list[str]:
    """The statements that make the base's temporary tables (dropped at commit; their names end in
    `suffix`) for the orders `days` (SQL over `o`) selects: each level's rows with the kept values, indexed by order (an
    overlap table lists each order's values by it); the orders last, with each finer measure's
    order total (the star's own, `Measure.per_order`, or summed from that level's rows)."""
    dims, measures = kept(c)
    for k in measures:
        if c.measures[k].agg == "distinct":
            raise ValueError(f"a rollup keeps {k}, a distinct count: it cannot be summed")
    out, totals = [], []
    for level in (*LEVELS[1:], LEVELS[0]):
        alias = ALIAS[level]
        cols = [f"{alias}.order_id"] + (["o.purchase_date"] if level == "order" else [])
        cols += [f'{c.dimensions[k].expr} AS "d_{k}"' for k in dims if c.dimensions[k].level == level]
        cols += [f'({c.measures[k].expr}) AS "m_{k}"' for k in measures
                 if c.measures[k].level == level and c.measures[k].expr != "1"]
        if level == "order":
            cols += [f'{m.per_order or f"coalesce(t_{m.level}.{k}, 0)"} AS "po_{k}"'
                     for k, m in ((k, c.measures[k]) for k in measures) if m.level != "order"]
            rows = level_rows(WAREHOUSE, level, [*cols, days]) + "".join(
                f" LEFT JOIN (SELECT order_id, {', '.join(parts)} FROM {TABLE[lv]}{suffix} GROUP BY 1) t_{lv} "
                f"ON t_{lv}.order_id = o.order_id" for lv, parts in totals)
        else:
            rows = level_rows(WAREHOUSE, level, [*cols, days])
            parts = [f"{_total(c.measures[k], k)} AS {k}" for k in measures
                     if c.measures[k].level == level and not c.measures[k].per_order]
            if parts:
                totals.append((level, parts))
        name = TABLE[level] + suffix
        out += [f"DROP TABLE IF EXISTS {name}",
                f"CREATE TEMP TABLE {name} ON COMMIT DROP AS SELECT {', '.join(cols)} FROM {rows} "
                f"WHERE {days}",
                f"CREATE INDEX ON {name} (order_id)",
                f"ANALYZE {name}"]
    return out


def _total(m, key: str) -> str:
    """An order's total of measure `m` over its rows of the base's level table."""
    if m.agg == "count":
        return "count(*)" if m.expr == "1" else f'count(*) FILTER (WHERE "m_{key}")'
    return f'sum("m_{key}")'
