"""The questions the semantic layer (data/semantic) does not answer yet, and what the page modules share.

Metric-by-dimension questions (KPIs, trends, mixes, by state, by category, the map) are Queries
answered by `data.warehouse.Warehouse.ask`. What is left here picks its table by hand among the
`agg_*` rollups (etl/rollups.py) and the facts; every such question has both paths, `source`
forces one, and a property test checks that they agree. Everything is SQLAlchemy Core with bound
parameters; dimension names come from a fixed whitelist, never from the request.
"""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from data import names
from data.filters import ALL_STATUSES, DIMENSIONS, Filters
from data.semantic.answer import answer
from data.semantic.catalogue import CATALOGUE
from data.semantic.sql import chosen_items, orders_holding
from data.semantic.model import Query

W = sa.MetaData(schema="warehouse")
repeat = sa.Table("repeat_buyer_orders", W, *(sa.Column(c) for c in (
    "order_id", "customer_unique_id", "purchase_date", "customer_state", "order_status", "first_date", "second_date",
    "order_cents")),
                  sa.Column("categories", postgresql.ARRAY(sa.Text)))
orders = sa.Table("fact_orders", W, *(sa.Column(c) for c in (
    "order_id", "customer_id", "order_status", "order_purchase_timestamp", "purchase_date", "items_count", "product_revenue", "freight_value",
    "order_value", "payment_value", "delivery_days", "is_late", "order_delivered_customer_date",
    "reviews_count", "review_score_sum")))
items = sa.Table("fact_order_items", W, *(sa.Column(c) for c in (
    "order_id", "product_id", "seller_id", "price", "freight_value")))
customers = sa.Table("dim_customers", W, *(sa.Column(c) for c in ("customer_id", "customer_unique_id", "customer_state",
                                                                   "customer_city")))
products = sa.Table("dim_products", W, *(sa.Column(c) for c in ("product_id", "product_category_name_english")))
sellers = sa.Table("dim_sellers", W, *(sa.Column(c) for c in ("seller_id", "seller_city", "seller_state")))
payments = sa.Table("fact_payments", W, *(sa.Column(c) for c in ("order_id", "payment_type", "payment_value")))
# One row per order and category it holds, with the order's delivery and review measures (etl/rollups.py).
ORDER_MEASURES = ("purchase_date", "customer_state", "order_status", "delivered", "is_late", "delivery_days",
                  "handoff_days", "estimated_days", "delivery_bucket", "late_bucket", "reviews_count",
                  "review_score_sum")
order_categories = sa.Table("order_categories", W, sa.Column("product_category_name_english"), sa.Column("order_id"),
                            *(sa.Column(c) for c in ORDER_MEASURES),
                            *(sa.Column(c) for c in ("customer_unique_id", "single", "order_cents", "customer_city",
                                                     "category_cents")))

# One row per order of a known person (etl/rollups.py CUSTOMER_ORDERS); `single`: their only order.
customer_orders = sa.Table("customer_orders", W, *(sa.Column(c) for c in (
    "order_id", "customer_unique_id", "purchase_date", "customer_state", "order_status", "order_cents", "single",
    "customer_city")))


def finer(f: Filters) -> dict[str, tuple]:
    """The chosen values of the dimensions finer than an order (categories, sellers, payment types ...):
    an order matches them through its items, payments or reviews."""
    return {k: v for k, v in f.by_dimension().items() if CATALOGUE.dimensions[k].level != "order"}


def only_categories(f: Filters) -> bool:
    """Categories are the only finer filter: the tables kept per order and category answer it."""
    return set(finer(f)) == {"category"}


def holding(f: Filters):
    """The orders holding rows that meet the finer filters (`finer`), from the catalogue's definitions."""
    found = orders_holding(CATALOGUE, finer(f)).subquery("holding", "order_id")
    return sa.select(found.c.order_id)


def holds_any(categories_column, categories) -> sa.ColumnElement:
    """An order whose list of categories (a text[] column) holds any of `categories`: it matches
    through any of its items."""
    return categories_column.overlap(sa.cast(list(categories), postgresql.ARRAY(sa.Text)))


def _state(column):
    return sa.func.coalesce(column, "??")


def _rollup_where(c, f: Filters, statuses: bool = True) -> list:
    """Dates, statuses, states and, where the rollup has them, categories (c: a rollup's columns)."""
    where = [c.purchase_date.between(f.start, f.end)]
    if statuses:
        where.append(c.order_status.in_(f.statuses))
    if f.states:
        where.append(c.customer_state.in_(f.states))
    if f.categories and "product_category_name_english" in c:
        where.append(c.product_category_name_english.in_(f.categories))
    return where


def _matched_orders(f: Filters):
    """The orders the filters select (an order matches a category or seller through any of its items).

    Categories without a seller are looked up in `order_categories`, one range of its index per
    category, instead of in every item. Known states read `customer_orders`, which has every
    order whose customer has a state (only unknown customers lack a person), instead of joining
    every order of the range to its customer. The tests compare all three ways with the items'."""
    if only_categories(f):
        b = order_categories.c
        q = sa.select(b.order_id).where(*_rollup_where(b, f))
        return q.distinct() if len(f.categories) > 1 else q
    if f.states and "??" not in f.states:
        p = customer_orders.c
        q = sa.select(p.order_id).where(*_rollup_where(p, f))
        return q.where(p.order_id.in_(holding(f))) if finer(f) else q
    o, c = orders.c, customers.c
    q = (sa.select(o.order_id).select_from(orders.outerjoin(customers, o.customer_id == c.customer_id))
         .where(o.purchase_date.between(f.start, f.end), o.order_status.in_(f.statuses)))
    if f.states:
        q = q.where(_state(c.customer_state).in_(f.states))
    if finer(f):
        q = q.where(o.order_id.in_(holding(f)))
    return q


GRAINS = ("day", "week", "month")


def auto_grain(f: Filters) -> str:
    """Day up to two months, week up to a year and a bit, month beyond: charts keep 30 to 120 points."""
    return "day" if f.days <= 62 else "week" if f.days <= 400 else "month"


def _period(grain: str, day):
    """The first day of the day's week or month; via timestamp, since on a date date_trunc would go
    through timestamptz and shift with the server's time zone."""
    return sa.cast(sa.func.date_trunc(grain, sa.cast(day, sa.DateTime)), sa.Date).label("period")


def period_start(grain: str, day):
    """The first day of the day's period, in Python, as `_period` computes it in SQL."""
    if grain == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1) if grain == "month" else day


def period_end(grain: str, day):
    """The last day of the day's period."""
    if grain == "week":
        return day + timedelta(days=6 - day.weekday())
    if grain == "month":
        following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
        return following - timedelta(days=1)
    return day


def bounds(conn) -> dict:
    """What the filter bar offers: the data's first and last purchase dates, the values each listed
    filter dimension takes ("values": key to sorted values) and the last day the data fully covers.

    Each offers the values the data holds, every status included, found by the semantic layer (a
    rollup of a few thousand rows, not a scan of the facts: every page's first callback after a
    load asks). A bookmarked state or status the data lacks still parses (`filters.parse`)."""
    o = orders.c
    first, last = conn.execute(sa.select(sa.func.min(o.purchase_date), sa.func.max(o.purchase_date))).one()
    values = {}
    for dim in DIMENSIONS:
        if not dim.listed:
            continue
        if first is None:
            values[dim.key] = []
        else:
            rows = CATALOGUE.row_count(CATALOGUE.dimensions[dim.key].level)
            counted = next(m.key for m in CATALOGUE.metrics.values()
                           if m.numerator == rows and not m.denominator and not m.plus)
            found = answer(conn, Query((counted,), first, last, (dim.key,), filters={"status": ALL_STATUSES}))
            values[dim.key] = sorted(v for v, n in found.rows if v is not None)
    return {"first": first, "last": last, "values": values, "complete": complete_through(conn, last)}


def complete_through(conn, last):
    """The last day the data fully covers: the latest day whose trailing 7-day mean of orders is at
    least 60% of the median day of the year before the data's end. An export's last days thin out
    (orders still being written, or cut off mid-day) and a range that ends in them looks like a
    collapse that never happened; a smaller dip is left alone, as a real one must not be hidden."""
    if last is None:
        return None
    since = last - timedelta(days=364)
    found = answer(conn, Query(("orders",), since, last, ("date",), filters={"status": ALL_STATUSES}))
    by_day = {d: int(n) for d, n in found.rows}
    daily = [by_day.get(since + timedelta(days=k), 0) for k in range(365)]
    typical = sorted(daily)[len(daily) // 2]
    for k in range(364, 5, -1):
        if sum(daily[k - 6:k + 1]) / 7 >= 0.6 * typical:
            return since + timedelta(days=k)
    return last


def seller_options(conn, typed: str, within: tuple = (), limit: int = 20) -> list[dict]:
    """Sellers whose id starts with what was typed, or whose city contains it, or whose state it
    names (among `within`, when given), for the type-ahead."""
    s = sellers
    text = " ".join(typed.lower().split())[:60]
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    prefix = "".join(ch for ch in text if ch in "0123456789abcdef-")
    matches = [s.c.seller_city.ilike(pattern, escape="\\")]
    if prefix == text:
        matches.append(sa.cast(s.c.seller_id, sa.Text).like(prefix + "%"))
    if len(text) == 2 and text.isalpha():
        matches.append(s.c.seller_state == text.upper())
    q = (sa.select(s.c.seller_id, s.c.seller_city, s.c.seller_state).where(sa.or_(*matches))
         .order_by(s.c.seller_city, s.c.seller_id).limit(limit))
    if within:
        q = q.where(s.c.seller_id.in_([sa.cast(v, sa.Uuid) for v in within]))
    return [{"value": str(r[0]), "label": names.seller(*r)} for r in conn.execute(q)]


def seller_labels(conn, ids: tuple[str, ...]) -> dict[str, str]:
    """The label of each of these sellers that exists (an id with no seller is left out)."""
    if not ids:
        return {}
    s = sellers
    q = (sa.select(s.c.seller_id, s.c.seller_city, s.c.seller_state)
         .where(s.c.seller_id.in_([sa.cast(v, sa.Uuid) for v in ids])))
    return {str(r[0]): names.seller(*r) for r in conn.execute(q)}


def cities(conn, f: Filters, limit: int = 100) -> list[dict]:
    """The customer cities with most revenue (a state's next level down): revenue and orders.

    Orders of customers the customers file knows carry their city (as the export spells it) in
    `customer_orders`, and per category in `order_categories` with the revenue of the order's items
    of that category: a view is one index range of either. A seller's view joins its items (a
    seller's orders are few). Orders of unknown customers have no city. No distinct people:
    counting them sorted every order of the range by city and person, four fifths of the time."""
    def cents(column):
        return sa.cast(sa.func.coalesce(sa.func.sum(column), 0), sa.Numeric) / sa.literal(100, sa.Numeric)

    if finer(f) and not only_categories(f):
        p, m = customer_orders.c, _matched_orders(f).cte("matched")
        kept = chosen_items(CATALOGUE, finer(f), ("order_id", "price", "freight_value")).subquery(
            "chosen_items", "order_id", "price", "freight_value")
        i = kept.c
        chosen = (sa.select(i.order_id, sa.func.sum(i.price + i.freight_value).label("revenue"))
                  .select_from(m.join(kept, i.order_id == m.c.order_id)).group_by(i.order_id).subquery())
        q = (sa.select(p.customer_city, p.customer_state, sa.func.coalesce(sa.func.sum(chosen.c.revenue), 0),
                       sa.func.count())
             .select_from(customer_orders.join(chosen, chosen.c.order_id == p.order_id)))
    elif f.categories:  # an order of two chosen categories: in both rows, but counted once
        p = order_categories.c
        orders_of = sa.func.count() if len(f.categories) == 1 else sa.func.count(sa.distinct(p.order_id))
        q = sa.select(p.customer_city, p.customer_state, cents(p.category_cents), orders_of).where(
            *_rollup_where(p, f), p.customer_unique_id.is_not(None))
    else:
        p = customer_orders.c
        q = sa.select(p.customer_city, p.customer_state, cents(p.order_cents), sa.func.count()).where(*_rollup_where(p, f))
    q = (q.group_by(p.customer_city, p.customer_state)
         .order_by(sa.desc(q.selected_columns[2]), p.customer_city, p.customer_state).limit(limit))
    return [{"city": r[0], "state": r[1], "revenue": r[2], "orders": r[3]} for r in conn.execute(q)]
