"""The Sellers pages' questions: the leaderboard, concentration, states, and one seller's view.

Per-seller measures count the orders holding the seller's items (an order of two sellers counts
for both) and those items' revenue. `agg_daily_sellers` answers dates, states and statuses, with
`agg_monthly_sellers` for the whole months of a range without a state, and
`agg_daily_seller_categories` for categories (`reviews.seller_rows`)."""
from __future__ import annotations

import uuid
from decimal import Decimal

import sqlalchemy as sa

from data.filters import ALL_STATUSES, Filters
from data.metrics import ratio
from data.queries import _choose, _matched_orders, items_per_order_and_seller, orders
from data.reviews import agg_sellers, reviews, seller_rows

dim_sellers = sa.Table("dim_sellers", sa.MetaData(schema="warehouse"), *(sa.Column(c) for c in (
    "seller_id", "seller_city", "seller_state", "is_unknown")))


def _per_seller(f: Filters, source: str):
    """Per seller and status: orders, items, revenue, delivered, on time, delivery days, reviews.

    Every status is kept (the cancellation rate needs them); callers filter by `f.statuses`."""
    every = Filters(f.start, f.end, f.states, f.categories, f.sellers, ALL_STATUSES)
    t = _choose(f, source, agg_sellers)
    if t is None:
        o = orders.c
        x = items_per_order_and_seller(f, _matched_orders(every).cte("matched"))
        delivered = sa.and_(o.order_status == "delivered", o.order_delivered_customer_date.is_not(None))
        return (sa.select(x.c.seller_id, o.order_status, sa.func.count().label("orders"),
                          sa.func.sum(x.c.n).label("items"), sa.func.sum(x.c.price + x.c.freight).label("revenue"),
                          sa.func.count().filter(delivered).label("delivered"),
                          sa.func.count().filter(sa.and_(delivered, o.is_late.is_(False))).label("on_time"),
                          sa.func.coalesce(sa.func.sum(o.delivery_days).filter(o.order_status == "delivered"), 0)
                          .label("delivery_days_sum"),
                          sa.func.sum(o.reviews_count).label("reviews"), sa.func.sum(o.review_score_sum).label("score"))
                .select_from(x.join(orders, o.order_id == x.c.order_id)).group_by(x.c.seller_id, o.order_status)
                .subquery("per_seller"))
    c = seller_rows(every).c
    return (sa.select(c.seller_id, c.order_status, sa.func.sum(c.orders).label("orders"),
                      sa.func.sum(c["items"]).label("items"),
                      sa.func.sum(c.product_revenue + c.freight_value).label("revenue"),
                      sa.func.sum(c.delivered_orders).label("delivered"), sa.func.sum(c.on_time_orders).label("on_time"),
                      sa.func.sum(c.delivery_days_sum).label("delivery_days_sum"),
                      sa.func.sum(c.reviews).label("reviews"), sa.func.sum(c.review_score_sum).label("score"))
            .group_by(c.seller_id, c.order_status).subquery("per_seller"))


def leaderboard(conn, f: Filters, limit: int = 500, source: str = "auto") -> list[dict]:
    """Sellers by revenue within the filters, with their share of it, reviews, delivery and cancellations."""
    s = _per_seller(f, source)
    chosen = s.c.order_status.in_(f.statuses)

    def within(col):
        return sa.func.coalesce(sa.func.sum(col).filter(chosen), 0)

    revenue = within(s.c.revenue)
    q = (sa.select(s.c.seller_id, revenue.label("revenue"), within(s.c.orders).label("orders"),
                   within(s.c["items"]).label("items"), within(s.c.delivered).label("delivered"),
                   within(s.c.on_time).label("on_time"), within(s.c.delivery_days_sum).label("delivery_days_sum"),
                   within(s.c.reviews).label("reviews"), within(s.c.score).label("score"),
                   sa.func.coalesce(sa.func.sum(s.c.orders).filter(s.c.order_status == "canceled"), 0).label("canceled"),
                   sa.func.sum(s.c.orders).label("all_orders"),
                   sa.func.sum(revenue).over().label("total_revenue"))
         .group_by(s.c.seller_id).having(within(s.c.orders) > 0)
         .order_by(sa.desc("revenue"), s.c.seller_id).limit(limit).subquery())
    d = dim_sellers.c
    rows = conn.execute(sa.select(q, d.seller_city, d.seller_state)
                        .select_from(q.outerjoin(dim_sellers, d.seller_id == q.c.seller_id))
                        .order_by(q.c.revenue.desc(), q.c.seller_id)).mappings()
    return [{"seller_id": str(r["seller_id"]), "city": r["seller_city"] or "", "state": r["seller_state"] or "??",
             "revenue": r["revenue"], "orders": int(r["orders"]), "items": int(r["items"]),
             "share": ratio(Decimal(r["revenue"]), r["total_revenue"]),
             "review_score": ratio(Decimal(r["score"]), r["reviews"]),
             "on_time_rate": ratio(int(r["on_time"]), int(r["delivered"])),
             "delivery_days": ratio(Decimal(r["delivery_days_sum"]), int(r["delivered"])),
             "cancellation_rate": ratio(int(r["canceled"]), int(r["all_orders"]))} for r in rows]


def revenues(conn, f: Filters, source: str = "auto") -> list[Decimal]:
    """Every seller's revenue within the filters, largest first (for concentration)."""
    s = _per_seller(f, source)
    q = (sa.select(sa.func.sum(s.c.revenue).label("revenue")).where(s.c.order_status.in_(f.statuses))
         .group_by(s.c.seller_id).order_by(sa.desc("revenue")))
    return [r for r in conn.execute(q).scalars() if r]


def concentration(values: list[Decimal], points: int = 100) -> dict:
    """Top-10 share and a Lorenz curve (cumulative share of sellers, smallest first, against revenue)."""
    total = sum(values, Decimal(0))
    if not total:
        return {"top10": None, "curve": []}
    ascending = sorted(values)
    n, running, curve = len(ascending), Decimal(0), [(0.0, 0.0)]
    step = max(1, n // points)
    for k, v in enumerate(ascending, 1):
        running += v
        if k % step == 0 or k == n:
            curve.append((k / n, float(running / total)))
    return {"top10": float(sum(sorted(values, reverse=True)[:10], Decimal(0)) / total), "curve": curve}


def find(conn, seller_id: str) -> dict | None:
    """The seller's dimension row, or None when the id is not a known seller."""
    try:
        key = uuid.UUID(str(seller_id))
    except ValueError:
        return None
    d = dim_sellers.c
    row = conn.execute(sa.select(d.seller_id, d.seller_city, d.seller_state, d.is_unknown)
                       .where(d.seller_id == key)).mappings().first()
    return None if row is None else {"seller_id": str(row["seller_id"]), "city": row["seller_city"] or "",
                                     "state": row["seller_state"] or "??", "unknown": row["is_unknown"]}


def worst_reviews(conn, f: Filters, limit: int = 20) -> list[dict]:
    """The lowest-scored reviews of the selected orders (worst first, then newest), with their text."""
    r, o = reviews.c, orders.c
    q = (sa.select(r.review_creation_date, r.review_score, sa.cast(r.order_id, sa.Text).label("order_id"),
                   r.review_comment_title, r.review_comment_message)
         .select_from(reviews.join(orders, o.order_id == r.order_id))
         .where(o.order_id.in_(_matched_orders(f)))
         .order_by(r.review_score, r.review_creation_date.desc().nulls_last(), r.review_id).limit(limit))
    return [{"date": x["review_creation_date"].strftime("%Y-%m-%d") if x["review_creation_date"] else "",
             "score": x["review_score"], "order_id": x["order_id"], "title": x["review_comment_title"] or "",
             "message": x["review_comment_message"] or ""} for x in conn.execute(q).mappings()]


def by_state(conn, f: Filters, source: str = "auto") -> list[dict]:
    """Revenue and number of sellers per seller state, within the filters."""
    s = _per_seller(f, source)
    d = dim_sellers.c
    per = (sa.select(s.c.seller_id, sa.func.sum(s.c.revenue).label("revenue")).where(s.c.order_status.in_(f.statuses))
           .group_by(s.c.seller_id).subquery())
    state = sa.func.coalesce(d.seller_state, "??").label("state")
    q = (sa.select(state, sa.func.sum(per.c.revenue).label("revenue"), sa.func.count().label("sellers"))
         .select_from(per.outerjoin(dim_sellers, d.seller_id == per.c.seller_id)).group_by(state)
         .order_by(sa.desc("revenue"), sa.text("state")))
    return [{"state": r["state"], "revenue": r["revenue"], "sellers": int(r["sellers"])} for r in conn.execute(q).mappings()]
