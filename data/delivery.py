"""The Delivery page's questions: on-time rate, delivery days, hand-off, estimate against actual,
and review scores by days late.

Each question reads a rollup (`agg_daily_orders`, `agg_daily_delivery`) or, for category and
seller filters, a table of the same shape summed over the selected orders, so the question itself
is written once. Those orders come from `order_categories` (one row per order and category, with
the order's delivery measures) when only categories are chosen, and from the facts with a seller.
The per-order expressions come from etl/rollups.py, and the property test checks that the sources
agree.
"""
from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from data.filters import Filters
from data.metrics import ratio
from data.queries import GRAINS, ORDER_MEASURES, W, _choose, _matched_orders, _period, _rollup_where, _state, agg, \
    customers, needs_items, order_categories
from etl.rollups import DELIVERY_BUCKET, ESTIMATED_DAYS, HANDOFF_DAYS, LATE_BUCKET, NO_ESTIMATE

delivery = sa.Table("agg_daily_delivery", W, *(sa.Column(c) for c in (
    "purchase_date", "customer_state", "delivery_days", "days_late", "orders", "reviews", "review_score_sum")))
_o = sa.Table("fact_orders", sa.MetaData(schema="warehouse"), *(sa.Column(c) for c in (
    "order_id", "customer_id", "order_status", "purchase_date", "delivery_days", "is_late", "reviews_count",
    "review_score_sum", "order_delivered_customer_date", "order_estimated_delivery_date", "order_approved_at",
    "order_delivered_carrier_date"))).alias("o")
_c = customers.alias("c")


def _rollup(f: Filters, whole_orders: sa.Table):
    """The table that answers `f` without the facts: a rollup when no category or seller is chosen,
    `order_categories` for categories alone, None (only the facts) with a seller."""
    return whole_orders if not needs_items(f) else None if f.sellers else order_categories


def _per_order(f: Filters, table):
    """The selected orders, one row each with ORDER_MEASURES: from `order_categories` (an order holding
    two of the chosen categories counted once), or from the facts when `table` is None."""
    if table is order_categories:
        b = order_categories.c
        q = sa.select(b.order_id, *(b[c] for c in ORDER_MEASURES)).where(*_rollup_where(b, f))
        # An order's rows for its several categories are alike but for the category: one is kept.
        return (q.distinct() if len(f.categories) > 1 else q).subquery("o")
    o = _o.c
    m = _matched_orders(f, "facts").cte("matched")
    return (sa.select(o.purchase_date, _state(_c.c.customer_state).label("customer_state"), o.order_status,
                      sa.and_(o.order_status == "delivered", o.order_delivered_customer_date.is_not(None))
                      .label("delivered"), o.is_late, o.delivery_days,
                      sa.literal_column(HANDOFF_DAYS.format(o="o")).label("handoff_days"),
                      sa.literal_column(ESTIMATED_DAYS.format(o="o")).label("estimated_days"),
                      sa.literal_column(DELIVERY_BUCKET.format(o="o")).label("delivery_bucket"),
                      sa.literal_column(LATE_BUCKET.format(o="o")).label("late_bucket"),
                      o.reviews_count, o.review_score_sum)
            .select_from(_o.join(m, o.order_id == m.c.order_id).outerjoin(_c, o.customer_id == _c.c.customer_id))
            .subquery("o"))


def _orders_source(f: Filters, source: str):
    """agg_daily_orders, or its delivery columns summed over the selected orders (the rollup's
    definitions, etl/rollups.py)."""
    t = _choose(f, source, _rollup(f, agg))
    if t is agg:
        return t
    o = _per_order(f, t).c
    shipped = o.order_status == "delivered"
    return (sa.select(o.purchase_date, o.customer_state, o.order_status,
                      sa.func.count().filter(o.delivered).label("delivered_orders"),
                      sa.func.count().filter(sa.and_(o.delivered, o.is_late.is_(False))).label("on_time_orders"),
                      sa.func.count().filter(sa.and_(shipped, o.is_late.is_(True))).label("late_orders"),
                      sa.func.coalesce(sa.func.sum(o.delivery_days).filter(shipped), 0).label("delivery_days_sum"),
                      sa.func.count(o.handoff_days).label("handoff_orders"),
                      sa.func.coalesce(sa.func.sum(o.handoff_days), 0).label("handoff_days_sum"),
                      sa.func.coalesce(sa.func.sum(o.estimated_days).filter(o.delivered), 0)
                      .label("estimated_days_sum"))
            .group_by(o.purchase_date, o.customer_state, o.order_status).subquery("orders_per_day"))


def _delivery_source(f: Filters, source: str):
    """agg_daily_delivery, or the same buckets counted over the selected orders."""
    t = _choose(f, source, _rollup(f, delivery))
    if t is delivery:
        return t
    o = _per_order(f, t).c
    return (sa.select(o.purchase_date, o.customer_state, o.delivery_bucket.label("delivery_days"),
                      o.late_bucket.label("days_late"), sa.func.count().label("orders"),
                      sa.func.sum(o.reviews_count).label("reviews"),
                      sa.func.sum(o.review_score_sum).label("review_score_sum"))
            .where(o.delivered)
            .group_by(o.purchase_date, o.customer_state, o.delivery_bucket, o.late_bucket)
            .subquery("delivery_per_day"))


def _delivery_where(t, f: Filters) -> list:
    where = [t.c.purchase_date.between(f.start, f.end)]
    if f.states:
        where.append(t.c.customer_state.in_(f.states))
    return where


SUMS = ("delivered_orders", "on_time_orders", "late_orders", "delivery_days_sum", "handoff_orders",
        "handoff_days_sum", "estimated_days_sum")


def _measures(r) -> dict:
    d = int(r["delivered_orders"] or 0)  # counts summed over the facts' rows arrive as numeric
    return {
        "delivered": d, "on_time_rate": ratio(int(r["on_time_orders"] or 0), d),
        "late_share": ratio(int(r["late_orders"] or 0), d),
        "delivery_days": ratio(Decimal(r["delivery_days_sum"] or 0), d),
        "estimated_days": ratio(Decimal(r["estimated_days_sum"] or 0), d),
        "handoff_days": ratio(Decimal(r["handoff_days_sum"] or 0), int(r["handoff_orders"] or 0)),
    }


def kpis(conn, f: Filters, source: str = "auto") -> dict:
    """On-time rate, late share, mean delivery, estimated and hand-off days of the selected orders."""
    t = _orders_source(f, source)
    q = sa.select(*(sa.func.coalesce(sa.func.sum(t.c[k]), 0).label(k) for k in SUMS)).where(*_rollup_where(t.c, f))
    return _measures(conn.execute(q).mappings().one())


def trend(conn, f: Filters, grain: str, source: str = "auto") -> list[dict]:
    """The same measures per day, week or month (periods with delivered orders)."""
    if grain not in GRAINS:
        raise ValueError(f"unknown grain {grain!r}")
    t = _orders_source(f, source)
    period = _period(grain, t.c.purchase_date)
    q = (sa.select(period, *(sa.func.sum(t.c[k]).label(k) for k in SUMS)).where(*_rollup_where(t.c, f))
         .group_by(period).having(sa.func.sum(t.c.delivered_orders) > 0).order_by(period))
    return [{"period": r["period"], **_measures(r)} for r in conn.execute(q).mappings()]


def by_state(conn, f: Filters, source: str = "auto") -> list[dict]:
    """Per customer state: delivered orders, mean delivery days, late share (slowest first)."""
    t = _orders_source(f, source)
    q = (sa.select(t.c.customer_state.label("state"), *(sa.func.sum(t.c[k]).label(k) for k in SUMS))
         .where(*_rollup_where(t.c, f)).group_by(t.c.customer_state)
         .having(sa.func.sum(t.c.delivered_orders) > 0))
    rows = [{"state": r["state"], **_measures(r)} for r in conn.execute(q).mappings()]
    return sorted(rows, key=lambda r: (-r["delivery_days"], r["state"]))


def histogram(conn, f: Filters, source: str = "auto") -> list[dict]:
    """Delivered orders by whole days from purchase to delivery (60 stands for 60 or more)."""
    if "delivered" not in f.statuses:
        return []
    t = _delivery_source(f, source)
    q = (sa.select(t.c.delivery_days.label("days"), sa.func.sum(t.c.orders).label("orders"))
         .where(*_delivery_where(t, f)).group_by(t.c.delivery_days).order_by(t.c.delivery_days))
    return [{"days": r["days"], "orders": int(r["orders"])} for r in conn.execute(q).mappings()]


def reviews_by_lateness(conn, f: Filters, source: str = "auto") -> list[dict]:
    """Mean review score of delivered orders by days late against the estimate (negative: early)."""
    if "delivered" not in f.statuses:
        return []
    t = _delivery_source(f, source)
    q = (sa.select(t.c.days_late, sa.func.sum(t.c.orders).label("orders"), sa.func.sum(t.c.reviews).label("reviews"),
                   sa.func.sum(t.c.review_score_sum).label("score"))
         .where(*_delivery_where(t, f), t.c.days_late != NO_ESTIMATE).group_by(t.c.days_late).order_by(t.c.days_late))
    return [{"days_late": r["days_late"], "orders": int(r["orders"]), "reviews": int(r["reviews"]),
             "review_score": ratio(Decimal(r["score"]), r["reviews"])} for r in conn.execute(q).mappings()]
