"""The Payments page's questions: types over time, installments, and reconciliation.

Types and installments are Queries of the semantic layer (`ask` is `Warehouse.ask`).
Reconciliation lists orders, so it reads `unreconciled_orders`, the orders whose payments differ
from their value, which the loader keeps.
"""
from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from data.filters import Filters
from data.metrics import ratio
from data.queries import W, _rollup_where, finer, holding


def types_over_time(ask, f: Filters, grain: str) -> list[dict]:
    """Payments and their value per period and payment type (a Query of the semantic layer)."""
    return [{"period": r["date"], "payment_type": r["payment_type"], "payments": r["payment_count"],
             "value": r["payments"]} for r in ask(f, ("payment_count", "payments"), ("date", "payment_type"), grain)]


def installments(ask, f: Filters) -> list[dict]:
    """Payments and value by payment type and number of installments (a Query of the semantic layer)."""
    return [{"payment_type": r["payment_type"], "installments": r["installments"], "payments": r["payment_count"],
             "value": r["payments"]} for r in ask(f, ("payment_count", "payments"), ("payment_type", "installments"))]


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
    if finer(f):
        where.append(u.order_id.in_(holding(f)))
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
