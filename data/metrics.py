"""The metric glossary (DESIGN.md) as a catalogue: each metric's name, definition and format.

Pages show `definition` in each card's info tooltip, so the words users read are the words the
queries implement.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    definition: str
    fmt: str  # money | count | pct | score | days
    better: str = "up"  # which way is good news: "up", or "down" (delivery days)


METRICS = {m.key: m for m in (
    Metric("orders", "Orders", "Distinct orders purchased (by order_purchase_timestamp) in the range.", "count"),
    Metric("revenue", "Revenue", "Sum of price + freight_value of the items of those orders.", "money"),
    Metric("product_revenue", "Product revenue", "Sum of price of the items of those orders.", "money"),
    Metric("freight", "Freight", "Sum of freight_value of the items of those orders.", "money"),
    Metric("items", "Items", "Order items of those orders.", "count"),
    Metric("payments", "Payments", "Sum of payment_value of those orders.", "money"),
    Metric("aov", "AOV", "Revenue / orders that have at least one item.", "money"),
    Metric("customers", "Customers", "Distinct customer_unique_id among those orders.", "count"),
    Metric("on_time_rate", "On-time rate",
           "Delivered orders whose order_delivered_customer_date is on or before "
           "order_estimated_delivery_date (compared by date), over delivered orders.", "pct"),
    Metric("delivery_days", "Delivery days",
           "Mean of order_delivered_customer_date - order_purchase_timestamp, in days, over delivered orders.",
           "days", better="down"),
    Metric("review_score", "Average review score", "Mean review_score of the reviews of those orders.", "score"),
    Metric("freight_per_order", "Average freight", "Freight / orders that have at least one item.", "money"),
)}


def ratio(numerator, denominator):
    """A ratio that is None (shown as "no data") rather than a division by zero."""
    return None if not denominator else numerator / denominator

# The KPI cards of the Overview, in order.
OVERVIEW_KPIS = ("revenue", "orders", "aov", "customers", "review_score", "on_time_rate")
