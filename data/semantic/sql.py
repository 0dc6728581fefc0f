"""Compile a query to one SQL statement: over the star schema, or over the rollups a plan names.

The star's answer is the definition every rollup must reproduce (DESIGN.md, "The semantic
layer"). A measure is aggregated over the rows of its level (orders, items, payments, reviews)
of the orders in the range:
- a filter on the measure's own level (or the order's) keeps the matching rows; a filter on
  another level keeps the orders holding at least one matching row of it (EXISTS);
- grouping by a dimension of another level counts a row once per distinct value its order holds
  there (an order holding two categories counts once in each category's row), through a join to
  the distinct (order, value) pairs of the matching rows of that level.
Each level is one branch; the branches are stacked (UNION ALL) and the metrics computed over
their sums. A rollup is built by this same compiler (data/semantic/rollup_sql.py), which is why its
rows add up to the star's answer whenever the planner's rules say they do.

Dimension and measure SQL comes from the catalogue's declarations, never from a request; values
are bound parameters.
"""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field, replace

import sqlalchemy as sa

from data.semantic.model import Dimension, Query, Rollup
from data.semantic.planner import STAR, Catalogue, Plan


@dataclass(frozen=True)
class Star:
    """The tables a statement reads, by the aliases the catalogue's SQL uses: the orders (`o`), the
    rows of each finer level, the dimension tables an item's SQL may join (by alias) and the
    customers' join. The warehouse's star, or the rollups' shared input (data/semantic/base.py)."""
    orders: str
    rows: dict
    item_joins: dict
    customers: str

    def item_joins_for(self, level: str, *sql: str) -> str:
        """The joins to dimension tables that SQL over `level`'s rows reads (items only)."""
        return "".join(f" {j}" for a, j in self.item_joins.items() if level == "item" and _uses(a, *sql))


WAREHOUSE = Star(
    "warehouse.fact_orders o",
    {"item": ("warehouse.fact_order_items i", "i"), "payment": ("warehouse.fact_payments pay", "pay"),
     "review": ("warehouse.fact_reviews r", "r")},
    {"p": "JOIN warehouse.dim_products p ON p.product_id = i.product_id",
     "s": "LEFT JOIN warehouse.dim_sellers s ON s.seller_id = i.seller_id"},
    "LEFT JOIN warehouse.dim_customers c ON c.customer_id = o.customer_id")

# A person's first order date: a repeat buyer's from the loader's list of their orders, else this
# order's (the person's only one).
FIRST_ORDER = ("coalesce((SELECT rb.first_date FROM warehouse.repeat_buyer_orders rb WHERE rb.order_id = o.order_id),"
               " o.purchase_date)")
MAX_ROWS = 50_000


@dataclass
class Statement:
    """SQL text with its bound values; `expanding` names the list-valued ones (IN lists)."""
    sql: str
    params: dict = field(default_factory=dict)
    expanding: set = field(default_factory=set)

    def subquery(self, name: str, *columns: str) -> sa.Subquery:
        """The statement as a subquery of SQLAlchemy Core, its values bound, its `columns` named
        (the `by` keys then the metric keys): for an analysis that builds on a semantic answer."""
        used = {k: v for k, v in self.params.items() if re.search(rf":{k}\b", self.sql)}
        sql = self.sql  # its values renamed after it: two statements in one SQL keep their own
        for k in used:
            sql = re.sub(rf":{k}\b", f":{name}_{k}", sql)
        bound = sa.text(sql).bindparams(*(sa.bindparam(f"{name}_{k}", v, expanding=k in self.expanding,
                                                       type_=_type_of(v)) for k, v in used.items()))
        return bound.columns(*(sa.column(c) for c in columns)).subquery(name)

    def text(self) -> sa.TextClause:
        return sa.text(self.sql).bindparams(*(sa.bindparam(k, expanding=True) for k in sorted(self.expanding)))


def _type_of(value):
    """The SQL type of a bound value SQLAlchemy would not infer (ids: uuid, not text)."""
    first = value[0] if isinstance(value, list) and value else value
    return sa.Uuid() if isinstance(first, uuid.UUID) else None


def _uses(alias: str, *sql: str) -> bool:
    return re.search(rf"\b{alias}\.", " ".join(sql)) is not None


def _date_expr(grain: str, day: str) -> str:
    return day if grain == "day" else f"date_trunc('{grain}', {day})::date"


def _bind(st: Statement, key: str, values) -> str:
    name = f"f_{key}"
    st.params[name] = list(values)
    st.expanding.add(name)
    return f":{name}"


def _kept(c: Catalogue, key: str, values, st: Statement) -> str:
    """The star's test that a row holds one of `values` of dimension `key` (over its level's aliases)."""
    d = c.dimensions[key]
    if d.star_filter:
        return f"{d.star_filter} IN {_bind(st, key, [uuid.UUID(x) for x in values])}"
    return f"{d.expr} IN {_bind(st, key, values)}"


def orders_holding(c: Catalogue, filters: dict) -> Statement:
    """SELECT order_id of the orders holding, for each finer level filtered (items, payments,
    reviews), a row of that level that meets every filter of that level (a category and a seller
    meet on one item), as the star's answers select orders: for the hand-written analyses. The
    first level's rows are tested for the others' by order (EXISTS, an index lookup each): an
    INTERSECT read every row of each level, all of a million payments for one payment type even
    when one seller's few hundred items were asked. An order may come back more than once."""
    st = Statement("")
    parts = []
    for level, (table, alias) in WAREHOUSE.rows.items():
        kept = [_kept(c, k, v, st) for k, v in filters.items() if c.dimensions[k].level == level]
        if kept:
            parts.append((f"{table}{WAREHOUSE.item_joins_for(level, *kept)}", alias, kept))
    if not parts:
        raise ValueError("no filter of a level finer than the order")
    (rows, first, kept), others = parts[0], parts[1:]
    kept = kept + [f"EXISTS (SELECT 1 FROM {more} WHERE {alias}.order_id = {first}.order_id AND {' AND '.join(tests)})"
                   for more, alias, tests in others]
    st.sql = f"SELECT {first}.order_id FROM {rows} WHERE {' AND '.join(kept)}"
    return st


def chosen_items(c: Catalogue, filters: dict, columns: tuple[str, ...]) -> Statement:
    """SELECT `columns` (of fact_order_items) of the items meeting every item-level filter in `filters`."""
    st = Statement("")
    kept = [_kept(c, k, v, st) for k, v in filters.items() if c.dimensions[k].level == "item"] or ["true"]
    extra = WAREHOUSE.item_joins_for("item", *kept)
    st.sql = f"SELECT {', '.join(f'i.{x}' for x in columns)} FROM {WAREHOUSE.rows['item'][0]}{extra} WHERE {' AND '.join(kept)}"
    return st


def level_rows(star: Star, level: str, sql: list[str]) -> str:
    """FROM the rows of `level` with the order and whatever dimension tables `sql` reads."""
    if level == "order":
        rows = star.orders
    else:
        table, alias = star.rows[level]
        rows = f"{table} JOIN {star.orders} ON o.order_id = {alias}.order_id" + star.item_joins_for(level, *sql)
    return rows + (f" {star.customers}" if _uses("c", *sql) else "")


def measure_rows(c: Catalogue, measures: tuple[str, ...], by: tuple[str, ...], grain: str, filters: dict,
                 days: str, st: Statement, star: Star = WAREHOUSE) -> list[str]:
    """SELECTs of columns d_<dimension> for `by` and m_<measure> for `measures`, one per level (its
    branch), over the orders `days` (SQL over `o`) selects, restricted by `filters` (dimension key
    to a non-empty tuple of values). Each branch has one row per group; the caller stacks the
    branches (`union`) and sums them where there are several."""
    dims = {k: c.dimensions[k] for k in (*by, *filters)}
    group = {k: _date_expr(grain, "o.purchase_date") if k == "date" else c.dimensions[k].expr for k in by}
    where_of = {k: _kept(c, k, v, st) for k, v in filters.items()}
    # A finer measure whose level no asked dimension touches is the sum of the orders' own totals
    # (Catalogue.level_in): the branch over payments or reviews, a scan of all their rows, is not needed.
    shape = Query((), None, None, by, grain, filters)
    level_of, expr_of, agg_of = {}, {}, {}
    for m in measures:
        measure = c.measures[m]
        level_of[m] = c.level_in(shape, m)
        moved = level_of[m] != measure.level
        expr_of[m], agg_of[m] = (measure.per_order, "sum") if moved else (measure.expr, measure.agg)
    levels = list(dict.fromkeys(level_of[m] for m in measures))
    period = group["date"] if "date" in by else ":start"
    branches = []
    for level in levels:
        own = {"order", level}
        aggs = []
        for m in measures:
            if level_of[m] != level:
                aggs.append(f"NULL::numeric AS m_{m}")
                continue
            expr = expr_of[m].replace("{first_order}", FIRST_ORDER).replace("{period}", period)
            agg = agg_of[m]
            if agg == "distinct":
                aggs.append(f"count(DISTINCT {expr})::numeric AS m_{m}")
            elif agg == "count":
                aggs.append(("count(*)" if expr == "1" else f"count(*) FILTER (WHERE {expr})") + f"::numeric AS m_{m}")
            else:
                aggs.append(f"coalesce(sum({expr}), 0)::numeric AS m_{m}")
        selects, joins, where = [], [], [days]
        direct = [k for k in by if dims[k].level in own]
        where += [where_of[k] for k in filters if dims[k].level in own]
        for other, (table, alias) in star.rows.items():
            if other in own:
                continue
            grouped = [k for k in by if dims[k].level == other]
            kept = [where_of[k] for k in filters if dims[k].level == other]
            inner = [group[k] for k in grouped] + kept
            extra = star.item_joins_for(other, *inner)
            if grouped:
                cols = ", ".join(f"{group[k]} AS v_{k}" for k in grouped)
                # the orders' own rows are joined only when `days` (or a value) reads them
                order = f" JOIN {star.orders} ON o.order_id = {alias}.order_id" if _uses("o", days, *inner) else ""
                joins.append(f"JOIN (SELECT DISTINCT {alias}.order_id, {cols} FROM {table}{extra}{order} "
                             f"WHERE {' AND '.join([days, *kept])}) g_{other} ON g_{other}.order_id = o.order_id")
            elif kept:
                where.append(f"EXISTS (SELECT 1 FROM {table}{extra} WHERE {alias}.order_id = o.order_id AND "
                             f"{' AND '.join(kept)})")
        for k in by:
            selects.append(f"{group[k]} AS d_{k}" if k in direct else f"g_{dims[k].level}.v_{k} AS d_{k}")
        read = selects + aggs + where + [group[k] for k in direct]
        rows = level_rows(star, level, read)
        branches.append(f"SELECT {', '.join(selects + aggs)} FROM {rows} {' '.join(joins)} "
                        f"WHERE {' AND '.join(where)}"
                        + (f" GROUP BY {', '.join(str(n) for n in range(1, len(by) + 1))}" if by else ""))
    return branches


def union(selects) -> str:
    """The SELECTs' rows stacked."""
    return "\nUNION ALL\n".join(selects)


# A rollup keeps every measure as a bigint: a count as it is, a sum (money, days: two decimals in
# the star) in hundredths. Summing bigints is several times cheaper than summing numerics, and a
# rollup plan adds its rows up in those units and scales a sum back once, per group (`_metric`).
HUNDREDTHS = 100


def stored(c: Catalogue, measure: str, value: str) -> str:
    """SQL for `value` (the measure in its own units) as its rollup column keeps it."""
    return f"({value} * {HUNDREDTHS})::bigint" if c.measures[measure].agg == "sum" else value


def _in_units(c: Catalogue, measure: str, total: str) -> str:
    """SQL for `total` (a sum of the measure's rollup values) in the measure's own units."""
    return f"{total} * {1 / HUNDREDTHS}" if c.measures[measure].agg == "sum" else total


def _rollup_rows(c: Catalogue, r: Rollup, part, k: int, q: Query, measures, filters: dict, st: Statement) -> str:
    """A SELECT of the rollup's rows for one part of a plan, as measure_rows' columns."""
    cols = [f"{_column(c, r, q, key, 'ru.')} AS d_{key}" for key in q.by]
    cols += [f'ru."{m}" AS m_{m}' if m in part.measures else f"NULL::bigint AS m_{m}" for m in measures]
    st.params[f"p{k}_start"], st.params[f"p{k}_end"] = part.start, part.end
    where = [f"ru.period BETWEEN :p{k}_start AND :p{k}_end"]
    where += [f"{_column(c, r, q, key, 'ru.')} IN {_bind(st, key, values)}" for key, values in filters.items()]
    return f"SELECT {', '.join(cols)} FROM {r.table} ru WHERE {' AND '.join(where)}"


def _column(c: Catalogue, r: Rollup, q: Query, key: str, alias: str) -> str:
    """Dimension `key` (or the asked date grain) over a rollup's row `alias`: its column, or what
    follows from the row's day (a weekday)."""
    if key == "date":
        return _date_expr(q.grain, f"{alias}period")
    if key in r.dimensions:
        return f'{alias}"{key}"'
    return c.dimensions[key].of_day.format(d=f"{alias}period")


def _overlap_rows(c: Catalogue, r: Rollup, part, k: int, q: Query, measures, filters: dict, st: Statement) -> str:
    """What a rollup summed over several values of `r.overlap` counted too often, negated, as
    measure_rows' columns: each order holding n >= 2 of the values was counted n times, so n - 1
    times its totals come off."""
    d = r.overlap
    matches = f'(SELECT count(*) FROM unnest(ov."{d}") AS v(x) WHERE v.x IN {_bind(st, d, filters[d])})'
    cols = [f"{_column(c, r, q, key, 'ov.')} AS d_{key}" for key in q.by]
    cols += [f'(1 - {matches}) * ov."{m}" AS m_{m}' if m in part.measures else f"NULL::bigint AS m_{m}"
             for m in measures]
    st.params[f"p{k}_start"], st.params[f"p{k}_end"] = part.start, part.end
    where = [f"ov.period BETWEEN :p{k}_start AND :p{k}_end", f"{matches} > 1"]
    where += [f"{_column(c, r, q, key, 'ov.')} IN {_bind(st, key, values)}" for key, values in filters.items()
              if key != d]
    return f"SELECT {', '.join(cols)} FROM {r.table} ov WHERE {' AND '.join(where)}"


def _people_rows(c: Catalogue, part, k: int, q: Query, measures, filters: dict, st: Statement) -> str:
    """Distinct repeat buyers from the people table, grouped as the query asks, as measure_rows' columns."""
    people = c.people

    def column(key: str) -> str:
        if key == "date":
            return "rb.period"
        if key in people.lists:
            return f"u_{key}.v"
        return f'rb."{key}"' if key in people.dimensions else c.dimensions[key].of_day.format(d="rb.period")
    group = {key: _date_expr(q.grain, "rb.period") if key == "date" else column(key) for key in q.by}
    period = group["date"] if "date" in q.by else ":start"
    cols = [f"{group[key]} AS d_{key}" for key in q.by]
    cols += [f"count(DISTINCT {c.measures[m].people.replace('{period}', period)}) AS m_{m}"
             if m in part.measures else f"NULL::bigint AS m_{m}" for m in measures]
    st.params[f"p{k}_start"], st.params[f"p{k}_end"] = part.start, part.end
    rows = f"{people.table} rb" + "".join(f' CROSS JOIN LATERAL unnest(rb."{key}") AS u_{key}(v)'
                                          for key in people.lists if key in q.by)
    where = [f"rb.period BETWEEN :p{k}_start AND :p{k}_end"]
    for key, values in filters.items():
        test = f"{column(key)} IN {_bind(st, key, values)}"
        if key in people.lists and key not in q.by:  # any of the order's values matches
            test = f'EXISTS (SELECT 1 FROM unnest(rb."{key}") AS u_{key}(v) WHERE {test})'
        where.append(test)
    grouped = f" GROUP BY {', '.join(str(n) for n in range(1, len(q.by) + 1))}" if q.by else ""
    return f"SELECT {', '.join(cols)} FROM {rows} WHERE {' AND '.join(where)}{grouped}"


def _values(c: Catalogue, key: str, order_id: str, star: Star = WAREHOUSE) -> str:
    """An order's distinct values of finer dimension `key`, as an array (`order_id`: SQL naming the order)."""
    d = c.dimensions[key]
    table, alias = star.rows[d.level]
    extra = star.item_joins_for(d.level, d.expr)
    return (f"ARRAY(SELECT DISTINCT {d.expr} FROM {table}{extra} WHERE {alias}.order_id = {order_id} "
            f"AND {d.expr} IS NOT NULL)")


def people_fill(c: Catalogue, days: str) -> str:
    """The SELECT of the people table's rows for the orders `days` (SQL over `o`) selects: each order of
    a repeat buyer with its person, their first order, its dimensions and its finer values as arrays."""
    people = c.people
    cols = ["o.purchase_date", "c.customer_unique_id", "rb.first_date"]
    cols += [c.dimensions[k].expr for k in people.dimensions]
    cols += [_values(c, key, "o.order_id") for key in people.lists]
    return (f"SELECT {', '.join(cols)} FROM warehouse.repeat_buyer_orders rb JOIN {WAREHOUSE.orders} "
            f"ON o.order_id = rb.order_id {WAREHOUSE.customers} WHERE {days}")


ORDER_KEY = Dimension("order_id", "Order", "order", "o.order_id")  # an overlap table's rows are orders


def overlap_fill(c: Catalogue, r: Rollup, days: str, star: Star = WAREHOUSE) -> str:
    """The SELECT of overlap table `r`'s rows for the orders `days` (SQL over `o`) selects that hold
    two or more values of `r.overlap`: each with its date, its dimensions, those values as an array
    and its own totals of the measures (the star's compiler grouped by the order)."""
    d = c.dimensions[r.overlap]
    table, alias = star.rows[d.level]
    extra = star.item_joins_for(d.level, d.expr)
    order = f" JOIN {star.orders} ON o.order_id = {alias}.order_id" if _uses("o", days) else ""
    several = (f"o.order_id IN (SELECT {alias}.order_id FROM {table}{extra}{order} "
               f"WHERE {days} GROUP BY 1 HAVING count(DISTINCT {d.expr}) > 1)")
    keyed = replace(c, dimensions={**c.dimensions, ORDER_KEY.key: ORDER_KEY})
    st = Statement("")
    inner = union(measure_rows(keyed, r.measures, ("date", ORDER_KEY.key, *r.dimensions), "day", {},
                               f"{days} AND {several}", st, star))
    assert not st.params, "an overlap table's rows take no parameters"
    group = ["x.d_date", *(f"x.d_{k}" for k in r.dimensions)]
    sums = [stored(c, m, f"coalesce(sum(x.m_{m}), 0)") for m in r.measures]
    return (f"SELECT {', '.join([*group, _values(c, r.overlap, 'x.d_order_id', star), *sums])} FROM (\n{inner}\n) x "
            f"GROUP BY {', '.join([*group, 'x.d_order_id'])}")


def _metric(c: Catalogue, key: str, stored_units: bool) -> str:
    """SQL for metric `key` over the stacked rows `x` (`stored_units`: rollups' rows, whose sums are
    in hundredths)."""
    m = c.metrics[key]

    def total(n: str) -> str:  # no rows: zero
        found = f"coalesce(sum(x.m_{n}), 0)"
        return _in_units(c, n, found) if stored_units else found
    value = " + ".join(total(n) for n in (m.numerator, *m.plus))
    if m.denominator:
        value = f"{value} / nullif({total(m.denominator)}, 0)"  # nothing to divide by: null
    return f"({value})::bigint" if m.fmt == "count" else value


def compile_query(c: Catalogue, q: Query, p: Plan, capped: bool = True) -> Statement:
    """The statement answering `q` as `p` plans it: columns are the `by` keys then the metric keys.
    Capped, it returns at most MAX_ROWS + 1 rows (one more tells the caller the answer is too long);
    uncapped, only the query's own limit applies (for SQL that consumes the answer itself), and
    without a limit it is not ordered: the consumer aggregates it, and sorting 100,000 products or
    sellers for nothing cost a quarter of the answer."""
    st = Statement("", {"start": q.start, "end": q.end})
    measures = c.measures_of(q)
    filters = q.filtered()
    if p.table == STAR:
        inner = union(measure_rows(c, measures, q.by, q.grain, filters, "o.purchase_date BETWEEN :start AND :end", st))
    else:
        by_name = {r.name: r for r in c.rollups}
        inner = union(
            _people_rows(c, part, k, q, measures, filters, st) if c.people and part.table == c.people.name
            else (_overlap_rows if by_name[part.table].overlap else _rollup_rows)(
                c, by_name[part.table], part, k, q, measures, filters, st)
            for k, part in enumerate(p.parts))
    cols = [f"x.d_{k} AS {k}" for k in q.by] + [f"{_metric(c, m, p.table != STAR)} AS {m}" for m in q.metrics]
    sql = f"SELECT {', '.join(cols)} FROM (\n{inner}\n) x"
    if q.by:
        sql += f" GROUP BY {', '.join(str(n) for n in range(1, len(q.by) + 1))}"
        counts = c.row_counts_of(q)
        if counts:  # the groups holding rows of an asked level, as the star's branches find them
            sql += " HAVING " + " + ".join(f"coalesce(sum(x.m_{n}), 0)" for n in counts) + " > 0"
    order = []
    for key in q.order_by or q.by:
        name = key.lstrip("-")
        position = [*q.by, *q.metrics].index(name) + 1
        order.append(f"{position} DESC NULLS LAST" if key.startswith("-") else f"{position} ASC NULLS LAST")
    if order and (capped or q.limit):
        sql += " ORDER BY " + ", ".join(order)
    if capped or q.limit:
        st.params["limit"] = min(q.limit or MAX_ROWS + 1, MAX_ROWS + 1) if capped else q.limit
        sql += " LIMIT :limit"
    st.sql = sql
    return st
