"""The Payments page's questions: types over time, installments, and reconciliation.

Types and installments come from rollups for dates, states and statuses (types also for one
category); sellers and several categories go to the facts. Reconciliation lists orders, so it
reads `unreconciled_orders`, the orders whose payments differ from their value.
"""
from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from data.filters import Filters
from data.metrics import ratio
from data.queries import GRAINS, W, _choose, _matched_orders, _period, _rollup_where, agg, agg_category_payments, \
    agg_payments, cats, item_hits, needs_items, orders, payments, rollup_for

installments_table = sa.Table("agg_daily_installments", W, *(sa.Column(c) for c in (
    "purchase_date", "customer_state", "order_status", "payment_type", "installments", "payments", "payment_value")))
fact_payments = sa.Table("fact_payments", sa.MetaData(schema="warehouse"), *(sa.Column(c) for c in (
    "order_id", "payment_type", "payment_installments", "payment_value")))


def types_over_time(conn, f: Filters, grain: str, source: str = "auto") -> list[dict]:
    """Payments and their value per period and payment type."""
    if grain not in GRAINS:
        raise ValueError(f"unknown grain {grain!r}")
    t = _choose(f, source, {agg: agg_payments, cats: agg_category_payments}.get(rollup_for(f)))
    if t is None:
        pc, o = payments.c, orders.c
        m = _matched_orders(f).cte("matched")
        period = _period(grain, o.purchase_date)
        q = (sa.select(period, pc.payment_type, sa.func.count().label("payments"),
                       sa.func.sum(pc.payment_value).label("value"))
             .select_from(payments.join(m, pc.order_id == m.c.order_id).join(orders, o.order_id == pc.order_id))
             .group_by(period, pc.payment_type))
    else:
        period = _period(grain, t.c.purchase_date)
        q = (sa.select(period, t.c.payment_type, sa.func.sum(t.c.payments).label("payments"),
                       sa.func.sum(t.c.payment_value).label("value"))
             .where(*_rollup_where(t.c, f)).group_by(period, t.c.payment_type))
    q = q.order_by(sa.text("period"), sa.text("payment_type"))
    return [{"period": r["period"], "payment_type": r["payment_type"], "payments": int(r["payments"]),
             "value": r["value"]} for r in conn.execute(q).mappings()]


def installments(conn, f: Filters, source: str = "auto") -> list[dict]:
    """Payments and value by payment type and number of installments."""
    t = _choose(f, source, None if needs_items(f) else installments_table)
    if t is None:
        y = fact_payments.c
        m = _matched_orders(f).cte("matched")
        q = (sa.select(y.payment_type, y.payment_installments.label("installments"), sa.func.count().label("payments"),
                       sa.func.sum(y.payment_value).label("value"))
             .select_from(fact_payments.join(m, y.order_id == m.c.order_id))
             .group_by(y.payment_type, y.payment_installments))
    else:
        q = (sa.select(t.c.payment_type, t.c.installments, sa.func.sum(t.c.payments).label("payments"),
                       sa.func.sum(t.c.payment_value).label("value"))
             .where(*_rollup_where(t.c, f)).group_by(t.c.payment_type, t.c.installments))
    q = q.order_by(sa.text("payment_type"), sa.text("installments"))
    return [{"payment_type": r["payment_type"], "installments": r["installments"], "payments": int(r["payments"]),
             "value": r["value"]} for r in conn.execute(q).mappings()]


def average_installments(rows: list[dict]) -> dict[str, float | None]:
    """Mean installments per payment type, from `installments` rows."""
    out: dict[str, list[int]] = {}
    for r in rows:
        n, k = out.setdefault(r["payment_type"], [0, 0]), r["payments"]
        n[0] += r["installments"] * k
        n[1] += k
    return {t: ratio(a, b) for t, (a, b) in out.items()}


unreconciled = sa.Table("unreconciled_orders", W, *(sa.Column(c) for c in (
    "order_id", "purchase_date", "customer_state", "order_status", "order_value", "payment_value")))


def reconciliation(conn, f: Filters, tolerance: Decimal, limit: int = 500) -> dict:
    """Orders whose payments differ from items plus freight by more than `tolerance` (R$): the
    count and totals of all of them, and the `limit` largest differences.

    Reads `unreconciled_orders`, the few percent of orders whose values differ, which the ETL
    keeps with the rollups."""
    u = unreconciled.c
    diff = (u.payment_value - u.order_value).label("difference")
    where = [sa.func.abs(u.payment_value - u.order_value) > tolerance, *_rollup_where(u, f)]
    if needs_items(f):
        where.append(u.order_id.in_(item_hits(f)))
    totals = conn.execute(sa.select(sa.func.count().label("orders"), sa.func.coalesce(sa.func.sum(diff), 0)
                                    .label("difference"),
                                    sa.func.coalesce(sa.func.sum(u.order_value), 0).label("order_value"),
                                    sa.func.coalesce(sa.func.sum(u.payment_value), 0).label("payment_value"))
                          .where(*where)).mappings().one()
    rows = conn.execute(sa.select(sa.cast(u.order_id, sa.Text).label("order_id"), u.purchase_date, u.order_status,
                                  u.customer_state.label("state"), u.order_value, u.payment_value, diff)
                        .where(*where).order_by(sa.func.abs(diff).desc(), u.order_id).limit(limit))
    return {"totals": dict(totals),
            "rows": [{**r, "purchase_date": r["purchase_date"].isoformat()} for r in rows.mappings()]}
