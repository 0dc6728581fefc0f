"""The metric glossary (DESIGN.md), as the pages read it: each metric's name, definition and format.

Pages show `definition` in each card's info tooltip, so the words users read are the words the
queries implement.
"""
from __future__ import annotations

from data.semantic import catalogue


# The glossary is the semantic layer's catalogue (data/semantic/catalogue.py): one place.
METRICS = catalogue.METRICS


def ratio(numerator, denominator):
    """A ratio that is None (shown as "no data") rather than a division by zero."""
    return None if not denominator else numerator / denominator

# What `Warehouse.kpis` answers: the KPI cards of every page read their metrics from it.
KPIS = ("revenue", "orders", "product_revenue", "freight", "payments", "items", "aov", "average_price", "customers",
        "on_time_rate", "delivery_days", "review_score")
# The KPI cards of the Overview, in order.
OVERVIEW_KPIS = ("revenue", "orders", "aov", "customers", "review_score", "on_time_rate")
