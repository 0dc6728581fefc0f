"""Answer the dashboard's questions in SQL: KPIs from the rollups where they can, facts otherwise.

Order-level filters (dates, state, status) are answered by `agg_daily_orders`; a category or seller
filter needs the items, so those answers come from the fact tables. Both paths implement the same
glossary, and a property test checks that they agree. Everything is SQLAlchemy Core with bound
parameters; dimension names come from a fixed whitelist, never from the request.
"""
from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from data.filters import Filters
from data.metrics import ratio

W = sa.MetaData(schema="warehouse")
agg = sa.Table("agg_daily_orders", W, *(sa.Column(c) for c in (
    "purchase_date", "customer_state", "order_status", "orders", "orders_with_items", "items", "product_revenue",
    "freight_value", "revenue", "payment_value", "delivered_orders", "on_time_orders", "late_orders",
    "delivery_days_sum", "reviews", "review_score_sum")))
orders = sa.Table("fact_orders", W, *(sa.Column(c) for c in (
    "order_id", "customer_id", "order_status", "order_purchase_timestamp", "purchase_date", "items_count", "product_revenue", "freight_value",
    "order_value", "payment_value", "delivery_days", "is_late", "order_delivered_customer_date",
    "reviews_count", "review_score_sum")))
items = sa.Table("fact_order_items", W, *(sa.Column(c) for c in (
    "order_id", "product_id", "seller_id", "price", "freight_value")))
customers = sa.Table("dim_customers", W, *(sa.Column(c) for c in ("customer_id", "customer_unique_id", "customer_state")))
products = sa.Table("dim_products", W, *(sa.Column(c) for c in ("product_id", "product_category_name_english")))

SUMS = ("orders", "orders_with_items", "items", "product_revenue", "freight", "revenue", "payments",
        "delivered", "on_time", "delivery_days_sum", "reviews", "review_score_sum")


def needs_items(f: Filters) -> bool:
    return bool(f.categories or f.sellers)


def _state(column):
    return sa.func.coalesce(column, "??")


def _rollup_where(c, f: Filters, statuses: bool = True) -> list:
    """Dates, statuses and states of a rollup (c: its columns); the filters every rollup shares."""
    where = [c.purchase_date.between(f.start, f.end)]
    if statuses:
        where.append(c.order_status.in_(f.statuses))
    if f.states:
        where.append(c.customer_state.in_(f.states))
    return where


def _rollup_sums(f: Filters):
    a = agg.c
    where = _rollup_where(a, f)
    cols = [a.orders, a.orders_with_items, a["items"], a.product_revenue, a.freight_value, a.revenue, a.payment_value,
            a.delivered_orders, a.on_time_orders, a.delivery_days_sum, a.reviews, a.review_score_sum]
    return sa.select(*(sa.func.coalesce(sa.func.sum(c), 0).label(n) for c, n in zip(cols, SUMS))).where(*where)


def _matched_orders(f: Filters):
    """The orders the filters select (an order matches a category or seller through any of its items)."""
    o, c = orders.c, customers.c
    q = (sa.select(o.order_id).select_from(orders.outerjoin(customers, o.customer_id == c.customer_id))
         .where(o.purchase_date.between(f.start, f.end), o.order_status.in_(f.statuses)))
    if f.states:
        q = q.where(_state(c.customer_state).in_(f.states))
    if needs_items(f):
        i, p = items.c, products.c
        hit = sa.select(i.order_id).select_from(items.join(products, i.product_id == p.product_id))
        if f.categories:
            hit = hit.where(p.product_category_name_english.in_(f.categories))
        if f.sellers:
            hit = hit.where(i.seller_id.in_([sa.cast(s, sa.Uuid) for s in f.sellers]))
        q = q.where(o.order_id.in_(hit))
    return q


def _fact_sums(f: Filters):
    """The same sums from the facts; with a category or seller filter, item measures count those items only."""
    o = orders.c
    matched = _matched_orders(f).cte("matched")
    base = orders.join(matched, o.order_id == matched.c.order_id)
    delivered = sa.and_(o.order_status == "delivered", o.order_delivered_customer_date.is_not(None))
    order_level = [
        sa.func.count().label("orders"),
        sa.func.count().filter(o.items_count > 0).label("orders_with_items"),
        sa.func.coalesce(sa.func.sum(o.payment_value), 0).label("payments"),
        sa.func.count().filter(delivered).label("delivered"),
        sa.func.count().filter(sa.and_(delivered, o.is_late.is_(False))).label("on_time"),
        sa.func.coalesce(sa.func.sum(o.delivery_days).filter(o.order_status == "delivered"), 0).label("delivery_days_sum"),
        sa.func.coalesce(sa.func.sum(o.reviews_count), 0).label("reviews"),
        sa.func.coalesce(sa.func.sum(o.review_score_sum), 0).label("review_score_sum"),
    ]
    if not needs_items(f):
        item_level = [sa.func.coalesce(sa.func.sum(o.items_count), 0).label("items"),
                      sa.func.coalesce(sa.func.sum(o.product_revenue), 0).label("product_revenue"),
                      sa.func.coalesce(sa.func.sum(o.freight_value), 0).label("freight"),
                      sa.func.coalesce(sa.func.sum(o.order_value), 0).label("revenue")]
        return sa.select(*order_level, *item_level).select_from(base)
    i, p = items.c, products.c
    its = (sa.select(sa.func.count().label("items"), sa.func.coalesce(sa.func.sum(i.price), 0).label("product_revenue"),
                     sa.func.coalesce(sa.func.sum(i.freight_value), 0).label("freight"))
           .select_from(items.join(products, i.product_id == p.product_id)
                        .join(matched, i.order_id == matched.c.order_id)))
    if f.categories:
        its = its.where(p.product_category_name_english.in_(f.categories))
    if f.sellers:
        its = its.where(i.seller_id.in_([sa.cast(s, sa.Uuid) for s in f.sellers]))
    its = its.subquery()
    ord_ = sa.select(*order_level).select_from(base).subquery()
    return sa.select(ord_, its.c["items"], its.c.product_revenue, its.c.freight,
                     (its.c.product_revenue + its.c.freight).label("revenue")
                     ).select_from(ord_.join(its, sa.true()))  # two one-row answers side by side


def customers_count(conn, f: Filters) -> int:
    """Distinct people (customer_unique_id) among the selected orders: only the facts can say."""
    o, c = orders.c, customers.c
    matched = _matched_orders(f).cte("matched")
    q = (sa.select(sa.func.count(sa.distinct(c.customer_unique_id)))
         .select_from(orders.join(matched, o.order_id == matched.c.order_id)
                      .join(customers, o.customer_id == c.customer_id)))
    return conn.execute(q).scalar_one()


def sums(conn, f: Filters, source: str = "auto") -> dict:
    """The additive sums behind the KPIs; `source` forces "rollup" or "facts" (tests compare them)."""
    use_facts = source == "facts" or (source == "auto" and needs_items(f))
    if source == "rollup" and needs_items(f):
        raise ValueError("the rollup cannot answer a category or seller filter")
    row = conn.execute(_fact_sums(f) if use_facts else _rollup_sums(f)).mappings().one()
    return {k: row[k] for k in SUMS}


def kpis(conn, f: Filters) -> dict:
    """The overview's KPIs for one view, per the glossary (None where there is nothing to divide)."""
    s = sums(conn, f)
    return {
        "revenue": s["revenue"], "orders": s["orders"], "product_revenue": s["product_revenue"],
        "freight": s["freight"], "payments": s["payments"], "items": s["items"],
        "aov": ratio(Decimal(s["revenue"]), s["orders_with_items"]),
        "customers": customers_count(conn, f),
        "on_time_rate": ratio(s["on_time"], s["delivered"]),
        "delivery_days": ratio(Decimal(s["delivery_days_sum"]), s["delivered"]),
        "review_score": ratio(Decimal(s["review_score_sum"]), s["reviews"]),
    }


GRAINS = ("day", "week", "month")


def auto_grain(f: Filters) -> str:
    """Day up to two months, week up to a year and a bit, month beyond: charts keep 30 to 120 points."""
    return "day" if f.days <= 62 else "week" if f.days <= 400 else "month"


def _item_revenue(f: Filters):
    """Per order, the revenue of its items that the category and seller filters select."""
    i, p = items.c, products.c
    q = (sa.select(i.order_id, sa.func.sum(i.price + i.freight_value).label("revenue"))
         .select_from(items.join(products, i.product_id == p.product_id)).group_by(i.order_id))
    if f.categories:
        q = q.where(p.product_category_name_english.in_(f.categories))
    if f.sellers:
        q = q.where(i.seller_id.in_([sa.cast(s, sa.Uuid) for s in f.sellers]))
    return q.subquery()


def _period(grain: str, day):
    """The first day of the day's week or month; via timestamp, since on a date date_trunc would go
    through timestamptz and shift with the server's time zone."""
    return sa.cast(sa.func.date_trunc(grain, sa.cast(day, sa.DateTime)), sa.Date).label("period")


def timeseries(conn, f: Filters, grain: str) -> list[dict]:
    """Revenue and orders per day, week or month of the range (rollup unless items are filtered)."""
    if grain not in GRAINS:
        raise ValueError(f"unknown grain {grain!r}")
    if needs_items(f):
        o, i, p = orders.c, items.c, products.c
        matched = _matched_orders(f).cte("matched")
        period = _period(grain, o.purchase_date)
        item_rev = _item_revenue(f)
        q = (sa.select(period, sa.func.coalesce(sa.func.sum(item_rev.c.revenue), 0).label("revenue"),
                       sa.func.count().label("orders"))
             .select_from(orders.join(matched, o.order_id == matched.c.order_id)
                          .outerjoin(item_rev, item_rev.c.order_id == o.order_id))
             .group_by(period).order_by(period))
    else:
        a = agg.c
        period = _period(grain, a.purchase_date)
        q = (sa.select(period, sa.func.coalesce(sa.func.sum(a.revenue), 0).label("revenue"),
                       sa.func.coalesce(sa.func.sum(a.orders), 0).label("orders"))
             .where(*_rollup_where(a, f)).group_by(period).order_by(period))
    return [dict(r) for r in conn.execute(q).mappings()]


def bounds(conn) -> dict:
    """What the filter bar offers: the data's first and last purchase dates, categories, statuses."""
    a = agg.c
    first, last = conn.execute(sa.select(sa.func.min(a.purchase_date), sa.func.max(a.purchase_date))).one()
    cats = conn.execute(sa.select(products.c.product_category_name_english).distinct()
                        .order_by(products.c.product_category_name_english)).scalars().all()
    statuses = conn.execute(sa.select(a.order_status).distinct().order_by(a.order_status)).scalars().all()
    return {"first": first, "last": last, "categories": cats, "statuses": statuses}


def seller_options(conn, typed: str, limit: int = 20) -> list[dict]:
    """Sellers whose id starts with what was typed, for the filter bar's type-ahead."""
    s = sa.Table("dim_sellers", W, *(sa.Column(c) for c in ("seller_id", "seller_city", "seller_state")))
    prefix = "".join(ch for ch in typed.lower() if ch in "0123456789abcdef-")
    q = (sa.select(s.c.seller_id, s.c.seller_city, s.c.seller_state)
         .where(sa.cast(s.c.seller_id, sa.Text).like(prefix + "%")).order_by(s.c.seller_id).limit(limit))
    return [{"value": str(r[0]), "label": f"{str(r[0])[:8]}… ({r[1] or '?'}, {r[2] or '?'})"} for r in conn.execute(q)]


cats = sa.Table("agg_daily_categories", W, *(sa.Column(c) for c in (
    "purchase_date", "customer_state", "order_status", "product_category_name_english", "orders", "items",
    "product_revenue", "freight_value", "revenue")))
payments = sa.Table("fact_payments", W, *(sa.Column(c) for c in ("order_id", "payment_type", "payment_value")))


def status_mix(conn, f: Filters) -> list[dict]:
    """Orders by status within the other filters (every status, so the mix shows what is left out)."""
    every = Filters(f.start, f.end, f.states, f.categories, f.sellers, tuple(sorted(set(f.statuses) | {
        "delivered", "shipped", "invoiced", "processing", "approved", "created", "canceled", "unavailable"})))
    if needs_items(f):
        o = orders.c
        m = _matched_orders(every).cte("matched")
        q = (sa.select(o.order_status.label("status"), sa.func.count().label("orders"))
             .select_from(orders.join(m, o.order_id == m.c.order_id)).group_by(o.order_status))
    else:
        a = agg.c
        q = (sa.select(a.order_status.label("status"), sa.func.sum(a.orders).label("orders"))
             .where(*_rollup_where(a, f, statuses=False)).group_by(a.order_status))
    return sorted((dict(r) for r in conn.execute(q).mappings()), key=lambda r: -r["orders"])


def top_categories(conn, f: Filters, limit: int = 10) -> list[dict]:
    """Categories by revenue (items of those categories), from the category rollup unless sellers are filtered."""
    if f.sellers:
        i, p, o = items.c, products.c, orders.c
        m = _matched_orders(f).cte("matched")
        q = (sa.select(p.product_category_name_english.label("category"),
                       sa.func.sum(i.price + i.freight_value).label("revenue"),
                       sa.func.count(sa.distinct(i.order_id)).label("orders"))
             .select_from(items.join(products, i.product_id == p.product_id).join(m, i.order_id == m.c.order_id))
             .where(i.seller_id.in_([sa.cast(s, sa.Uuid) for s in f.sellers]),
                    *([p.product_category_name_english.in_(f.categories)] if f.categories else []))
             .group_by(p.product_category_name_english))
    else:
        c = cats.c
        q = (sa.select(c.product_category_name_english.label("category"), sa.func.sum(c.revenue).label("revenue"),
                       sa.func.sum(c.orders).label("orders"))
             .where(*_rollup_where(c, f),
                    *([c.product_category_name_english.in_(f.categories)] if f.categories else []))
             .group_by(c.product_category_name_english))
    q = q.order_by(sa.desc("revenue")).limit(limit)
    return [dict(r) for r in conn.execute(q).mappings()]


def payment_mix(conn, f: Filters) -> list[dict]:
    """Payment value and count by payment type for the selected orders."""
    pc = payments.c
    m = _matched_orders(f).cte("matched")
    q = (sa.select(pc.payment_type.label("payment_type"), sa.func.sum(pc.payment_value).label("value"),
                   sa.func.count().label("payments"))
         .select_from(payments.join(m, pc.order_id == m.c.order_id)).group_by(pc.payment_type)
         .order_by(sa.desc("value")))
    return [dict(r) for r in conn.execute(q).mappings()]


def revenue_by_state(conn, f: Filters) -> list[dict]:
    """Revenue and orders by customer state (rollup unless items are filtered)."""
    if needs_items(f):
        o, c = orders.c, customers.c
        m = _matched_orders(f).cte("matched")
        rev = _item_revenue(f)
        state = _state(c.customer_state).label("state")
        q = (sa.select(state, sa.func.coalesce(sa.func.sum(rev.c.revenue), 0).label("revenue"),
                       sa.func.count().label("orders"))
             .select_from(orders.join(m, o.order_id == m.c.order_id)
                          .outerjoin(rev, rev.c.order_id == o.order_id)
                          .outerjoin(customers, o.customer_id == c.customer_id)).group_by(state))
    else:
        a = agg.c
        q = (sa.select(a.customer_state.label("state"), sa.func.sum(a.revenue).label("revenue"),
                       sa.func.sum(a.orders).label("orders"))
             .where(*_rollup_where(a, f)).group_by(a.customer_state))
    return [dict(r) for r in conn.execute(q.order_by(sa.desc("revenue"))).mappings()]


def weekday_hour(conn, f: Filters) -> list[dict]:
    """Orders by ISO day of week (1 = Monday) and hour of purchase."""
    o = orders.c
    m = _matched_orders(f).cte("matched")
    dow = sa.cast(sa.extract("isodow", o.order_purchase_timestamp), sa.Integer).label("dow")
    hour = sa.cast(sa.extract("hour", o.order_purchase_timestamp), sa.Integer).label("hour")
    q = (sa.select(dow, hour, sa.func.count().label("orders"))
         .select_from(orders.join(m, o.order_id == m.c.order_id)).group_by(dow, hour).order_by(dow, hour))
    return [dict(r) for r in conn.execute(q).mappings()]


def top_products(conn, f: Filters, limit: int = 500) -> list[dict]:
    """Products by revenue (their items within the filters), with items, orders and average price."""
    i, p = items.c, products.c
    m = _matched_orders(f).cte("matched")
    q = (sa.select(sa.cast(i.product_id, sa.Text).label("product_id"),
                   p.product_category_name_english.label("category"),
                   sa.func.sum(i.price + i.freight_value).label("revenue"), sa.func.count().label("items"),
                   sa.func.count(sa.distinct(i.order_id)).label("orders"),
                   sa.func.round(sa.func.avg(i.price), 2).label("average_price"))
         .select_from(items.join(products, i.product_id == p.product_id).join(m, i.order_id == m.c.order_id))
         .group_by(i.product_id, p.product_category_name_english)
         .order_by(sa.desc("revenue"), sa.text("product_id")).limit(limit))
    if f.categories:
        q = q.where(p.product_category_name_english.in_(f.categories))
    if f.sellers:
        q = q.where(i.seller_id.in_([sa.cast(s, sa.Uuid) for s in f.sellers]))
    return [dict(r) for r in conn.execute(q).mappings()]
