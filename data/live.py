"""The Live page's questions: today against the same weekday a week before, orders per minute,
the latest orders, and the batches the watcher loaded (etl/watch.py).

"Now" is the data's own clock: the latest purchase in the warehouse (a live feed's newest order,
a historical export's last one). Today's figures and the week-before day's are the semantic
layer's answers, both cut at now's minute of the day (the catalogue's `minute`), so the two days
are compared up to the same time; no question here picks a rollup of its own.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from data import queries as q
from data.filters import Filters

TODAY = ("orders", "revenue", "aov")


def now(conn) -> datetime | None:
    """The latest purchase timestamp (through the purchase date's index)."""
    return conn.execute(sa.text(
        "SELECT max(order_purchase_timestamp) FROM warehouse.fact_orders "
        "WHERE purchase_date = (SELECT max(purchase_date) FROM warehouse.fact_orders)")).scalar()


def minute_of(moment: datetime) -> int:
    return moment.hour * 60 + moment.minute


def today(ask, moment: datetime) -> dict:
    """Orders, revenue and AOV of today up to now's minute, and of the same weekday a week before up
    to the same minute."""
    upto = {"minute": tuple(range(minute_of(moment) + 1))}
    day = moment.date()
    before_day = day - timedelta(days=7)
    this = ask(Filters(day, day), TODAY, filters=upto)  # the default statuses; `ask` applies the scope
    before = ask(Filters(before_day, before_day), TODAY, filters=upto)
    return {"today": this[0] if this else {}, "week_before": before[0] if before else {},
            "day": day, "week_before_day": before_day}


def per_minute(ask, moment: datetime, hours: int = 3) -> dict:
    """Orders and revenue per minute over the `hours` up to now, and over the same minutes a week
    before; each a list of (minute's timestamp, orders, revenue), minutes without orders left out."""
    start = moment - timedelta(hours=hours) + timedelta(minutes=1)

    def window(shift: timedelta) -> list[tuple]:
        rows = []
        first, last = start - shift, moment - shift
        day = first.date()
        while day <= last.date():
            lo = minute_of(first) if day == first.date() else 0
            hi = minute_of(last) if day == last.date() else 1439
            for r in ask(Filters(day, day), ("orders", "revenue"), ("minute",),
                         filters={"minute": tuple(range(lo, hi + 1))}):
                at = datetime.combine(day, datetime.min.time()) + timedelta(minutes=r["minute"])
                rows.append((at + shift, r["orders"], r["revenue"]))
            day += timedelta(days=1)
        return sorted(rows)
    return {"today": window(timedelta(0)), "week_before": window(timedelta(days=7)),
            "start": start.replace(second=0, microsecond=0), "end": moment.replace(second=0, microsecond=0)}


def latest_orders(conn, f: Filters, limit: int = 25) -> list[dict]:
    """The last `limit` orders the filters select (the user's scope applied by the caller; the days
    of `f`, today's and yesterday's), newest first: when, where, status, value and the categories of
    their items."""
    o, c, i, p = q.orders.c, q.customers.c, q.items.c, q.products.c
    categories = (sa.select(sa.func.array_agg(sa.distinct(sa.func.coalesce(p.product_category_name_english, "unknown"))))
                  .select_from(q.items.outerjoin(q.products, i.product_id == p.product_id))
                  .where(i.order_id == o.order_id).scalar_subquery())
    rows = conn.execute(
        sa.select(sa.cast(o.order_id, sa.Text).label("order_id"), o.order_purchase_timestamp.label("purchased"),
                  sa.func.coalesce(c.customer_state, "??").label("state"), o.order_status.label("status"),
                  o.order_value.label("value"), o.items_count.label("items"), categories.label("categories"))
        .select_from(q.orders.outerjoin(q.customers, o.customer_id == c.customer_id))
        .where(o.purchase_date.between(f.start, f.end), o.order_id.in_(q._matched_orders(f)))
        .order_by(o.order_purchase_timestamp.desc(), o.order_id).limit(limit))
    return [dict(r) for r in rows.mappings()]


def batches(conn, limit: int = 20) -> list[dict]:
    """The latest runs of the watcher (runs with an arrival time), newest first: the batch, what it
    loaded, when it appeared and when its data became visible (the commit), and the lag between."""
    rows = conn.execute(sa.text(
        "SELECT run_id, source, status, changed, arrived_at, finished_at, tables, error, "
        "extract(epoch FROM finished_at - arrived_at) AS lag "
        "FROM etl.runs WHERE arrived_at IS NOT NULL ORDER BY run_id DESC LIMIT :limit"), {"limit": limit})
    out = []
    for r in rows.mappings():
        tables = r["tables"] or {}
        orders = tables.get("fact_orders") or {}
        out.append({"run_id": r["run_id"], "batch": (r["source"] or "").rstrip("/").rsplit("/", 1)[-1],
                    "status": r["status"], "changed": r["changed"], "new_orders": orders.get("inserted", 0),
                    "updated_orders": orders.get("updated", 0),
                    "rows": sum(t.get("loaded", 0) for t in tables.values()),
                    "arrived": r["arrived_at"], "visible": r["finished_at"],
                    "lag": float(r["lag"]) if r["lag"] is not None else None, "error": r["error"]})
    return out
