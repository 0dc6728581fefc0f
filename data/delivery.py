"""The Delivery page's questions: on-time rate, delivery days, hand-off, promised against actual, and
review scores by days late. Each is a Query of the semantic layer; `ask` is `Warehouse.ask` (the
cache, the user's scope and the planner's choice of table come with it)."""
from __future__ import annotations

from dataclasses import replace

from data.filters import Filters

MEASURES = ("delivered_orders", "on_time_rate", "late_share", "delivery_days", "estimated_days", "handoff_days")


def _shaped(row: dict) -> dict:
    out = {k: row[k] for k in row if k != "delivered_orders"}
    return {**out, "delivered": row["delivered_orders"]}


def kpis(ask, f: Filters) -> dict:
    """On-time rate, late share, mean delivery, promised and hand-off days of the selected orders."""
    return _shaped(ask(f, MEASURES)[0])


def trend(ask, f: Filters, grain: str) -> list[dict]:
    """The same measures per day, week or month (periods with delivered orders)."""
    return [{"period": r.pop("date"), **_shaped(r)} for r in ask(f, MEASURES, ("date",), grain)
            if r["delivered_orders"]]


def by_state(ask, f: Filters) -> list[dict]:
    """Per customer state with delivered orders: the same measures, slowest first."""
    rows = [_shaped(r) for r in ask(f, MEASURES, ("state",)) if r["delivered_orders"]]
    return sorted(rows, key=lambda r: (-r["delivery_days"], r["state"]))


def _delivered(f: Filters) -> Filters | None:
    """The view's delivered orders (None when the status filter leaves them out)."""
    return replace(f, statuses=("delivered",)) if "delivered" in f.statuses else None


def histogram(ask, f: Filters) -> list[dict]:
    """Delivered orders by whole days from purchase to delivery (60 stands for 60 or more)."""
    f = _delivered(f)
    return [{"days": r["delivery_days"], "orders": r["orders"]}
            for r in ask(f, ("orders",), ("delivery_days",)) if r["delivery_days"] is not None] if f else []


def reviews_by_lateness(ask, f: Filters) -> list[dict]:
    """Mean review score of delivered orders by days late against the estimate (negative: early)."""
    f = _delivered(f)
    return [r for r in ask(f, ("orders", "reviews", "review_score"), ("days_late",))
            if r["days_late"] is not None] if f else []
