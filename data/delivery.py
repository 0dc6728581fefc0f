"""The Delivery page's questions: on-time rate, delivery days, hand-off, estimate against actual,
and review scores by days late.

Each question reads a rollup (`agg_daily_orders`, `agg_daily_delivery`) or, for category and
seller filters, a table of the same shape computed from the facts for the selected orders, so
the question itself is written once. The per-order expressions come from etl/rollups.py, and the
property test checks that both sources agree.
"""
from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from data.filters import Filters
from data.metrics import ratio
from data.queries import GRAINS, W, _choose, _matched_orders, _period, _rollup_where, _state, agg, customers, \
    needs_items
from etl.rollups import DELIVERY_BUCKET, ESTIMATED_DAYS, HANDOFF_DAYS, LATE_BUCKET, NO_ESTIMATE

delivery = sa.Table("agg_daily_delivery", W, *(sa.Column(c) for c in (
    "purchase_date", "customer_state", "delivery_days", "days_late", "orders", "reviews", "review_score_sum")))
_o = sa.Table("fact_orders", sa.MetaData(schema="warehouse"), *(sa.Column(c) for c in (
    "order_id", "customer_id", "order_status", "purchase_date", "delivery_days", "is_late", "reviews_count",
    "review_score_sum", "order_delivered_customer_date", "order_estimated_delivery_date", "order_approved_at",
    "order_delivered_carrier_date"))).alias("o")
_c = customers.alias("c")


def _selected(f: Filters):
    """The selected orders (aliased o) with their customers (aliased c)."""
    m = _matched_orders(f).cte("matched")
    return _o.join(m, _o.c.order_id == m.c.order_id).outerjoin(_c, _o.c.customer_id == _c.c.customer_id)


def _orders_source(f: Filters, source: str):
    """agg_daily_orders, or its delivery columns computed from the facts for the selected orders."""
    t = _choose(f, source, None if needs_items(f) else agg)
    if t is not None:
        return t
    o = _o.c
    delivered = sa.and_(o.order_status == "delivered", o.order_delivered_customer_date.is_not(None))
    handoff = sa.literal_column(HANDOFF_DAYS.format(o="o"))
    state = _state(_c.c.customer_state).label("customer_state")
    return (sa.select(o.purchase_date, state, o.order_status,
                      sa.func.count().filter(delivered).label("delivered_orders"),
                      sa.func.count().filter(sa.and_(delivered, o.is_late.is_(False))).label("on_time_orders"),
                      sa.func.count().filter(sa.and_(o.order_status == "delivered", o.is_late.is_(True)))
                      .label("late_orders"),
                      sa.func.coalesce(sa.func.sum(o.delivery_days).filter(o.order_status == "delivered"), 0)
                      .label("delivery_days_sum"),
                      sa.func.count(handoff).label("handoff_orders"),
                      sa.func.coalesce(sa.func.sum(handoff), 0).label("handoff_days_sum"),
                      sa.func.coalesce(sa.func.sum(sa.literal_column(ESTIMATED_DAYS.format(o="o"))).filter(delivered),
                                       0).label("estimated_days_sum"))
            .select_from(_selected(f)).group_by(o.purchase_date, state, o.order_status).subquery("orders_facts"))


def _delivery_source(f: Filters, source: str):
    """agg_daily_delivery, or the same buckets computed from the facts for the selected orders."""
    t = _choose(f, source, None if needs_items(f) else delivery)
    if t is not None:
        return t
    o = _o.c
    state = _state(_c.c.customer_state).label("customer_state")
    days = sa.literal_column(DELIVERY_BUCKET.format(o="o")).label("delivery_days")
    late = sa.literal_column(LATE_BUCKET.format(o="o")).label("days_late")
    return (sa.select(o.purchase_date, state, days, late, sa.func.count().label("orders"),
                      sa.func.sum(o.reviews_count).label("reviews"),
                      sa.func.sum(o.review_score_sum).label("review_score_sum"))
            .select_from(_selected(f))
            .where(o.order_status == "delivered", o.order_delivered_customer_date.is_not(None))
            .group_by(o.purchase_date, state, days, late).subquery("delivery_facts"))


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
