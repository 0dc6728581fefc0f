"""Rows as people read them, for exports: readable headers, names for codes, money to the cent and
percentages to a tenth of a point (a CSV of 28-digit decimals and snake_case is not a report).

The grids show the same names (data.names) and formats (assets/dashAgGridFunctions.js).
"""
from __future__ import annotations

from decimal import Decimal

from data import names
from data.metrics import METRICS

HEADERS = {
    "product": "Product", "seller": "Seller", "product_id": "Product id", "seller_id": "Seller id", "order_id": "Order", "customer_unique_id": "Customer",
    "category": "Category", "state": "State", "customer_state": "Customer state", "seller_state": "Seller state",
    "seller_city": "Seller city", "city": "City", "status": "Status", "payment_type": "Payment type",
    "average_price": "Average price (R$)", "price": "Price (R$)", "freight": "Freight (R$)",
    "payment_value": "Payments (R$)", "order_value": "Order value (R$)", "difference": "Difference (R$)",
    "ltv": "Lifetime value (R$)", "monetary": "Spent (R$)", "total_revenue": "Total revenue (R$)",
    "share": "Share", "growth": "Growth", "late_share": "Late share", "score": "Review score",
    "days_late": "Days late", "first_date": "First order", "second_date": "Second order",
}
# Columns that hold shares (written in percent, one decimal); every other decimal is reais or days, to the cent.
SHARES = {k for k, m in METRICS.items() if m.fmt == "pct"} | {"share", "growth", "late_share", "repeat_share",
                                                               "cumulative_share"}
NAMED = {"state": names.state, "customer_state": names.state, "seller_state": names.state,
         "category": names.category, "status": names.status, "order_status": names.status, "payment_type": names.payment_type,
         "city": names.city, "seller_city": names.city, "customer_city": names.city}


def header(key: str) -> str:
    if key in HEADERS:
        return HEADERS[key]
    if key in METRICS:
        m = METRICS[key]
        return m.label + (" (R$)" if m.fmt == "money" else "")
    return key.replace("_", " ").capitalize()


def value(key: str, v):
    if v is None:
        return None
    if key in NAMED and isinstance(v, str):
        return NAMED[key](v)
    if isinstance(v, (Decimal, float)):
        return round(float(v) * 100, 1) if key in SHARES else round(float(v), 2)
    return v


def rows_for_people(rows: list[dict]) -> tuple[list[str], list[list]]:
    """(headers, values) for these rows; share columns say "(%)" since they are written in percent."""
    if not rows:
        return [], []
    keys = list(rows[0])
    headers = [header(k) + (" (%)" if k in SHARES else "") for k in keys]
    return headers, [[value(k, r.get(k)) for k in keys] for r in rows]
