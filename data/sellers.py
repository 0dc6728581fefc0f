"""The Sellers pages' questions: the leaderboard, concentration, states, and one seller's view.

Per-seller measures count the orders holding the seller's items (an order of two sellers counts
for both) and those items' revenue. The leaderboard, the revenues behind the concentration and the
states are Queries of the semantic layer (`ask` is `Warehouse.ask`; `rollup_daily_sellers`,
`rollup_monthly_sellers` and `rollup_daily_seller_categories` answer them); a seller's city and
its worst reviews are lists, read from the dimension and the facts."""
from __future__ import annotations

import uuid
from dataclasses import replace
from decimal import Decimal

import sqlalchemy as sa

from data.filters import ALL_STATUSES, Filters
from data.metrics import ratio
from data.queries import _matched_orders, orders
from data.reviews import reviews
from data.semantic.answer import Statement

dim_sellers = sa.Table("dim_sellers", sa.MetaData(schema="warehouse"), *(sa.Column(c) for c in (
    "seller_id", "seller_city", "seller_state", "is_unknown")))
LEADERBOARD = ("revenue", "orders", "items", "review_score", "on_time_rate", "delivery_days")
# Revenue per seller in the view, every seller (no limit): the concentration's and the states' input.
SELLER_REVENUE = (("revenue",), ("seller", "seller_state"))


def leaderboard(ask, city_of, f: Filters, limit: int = 500) -> list[dict]:
    """Sellers by revenue within the filters, with their share of it, reviews, delivery, and their
    cancellation rate over every status. `city_of(ids)` gives each seller's city."""
    rows = ask(f, LEADERBOARD, ("seller", "seller_state"), order_by=("-revenue", "seller"), limit=limit)
    if not rows:
        return []
    ids = [r["seller"] for r in rows]
    total = ask(f, ("revenue",))[0]["revenue"]
    # Every seller of the view, not only the listed ones: a list of 500 ids made the question slower
    # than asking for all of them, and this answer serves every limit.
    canceled = {r["seller"]: r["cancellation_rate"] for r in ask(
        replace(f, statuses=ALL_STATUSES), ("cancellation_rate",), ("seller",))}
    city = city_of(tuple(ids))
    return [{"seller_id": r["seller"], "city": city.get(r["seller"], ""), "state": r["seller_state"],
             "revenue": r["revenue"], "orders": r["orders"], "items": r["items"], "share": ratio(r["revenue"], total),
             "review_score": r["review_score"], "on_time_rate": r["on_time_rate"], "delivery_days": r["delivery_days"],
             "cancellation_rate": canceled.get(r["seller"])} for r in rows]


def revenues(conn, per_seller: Statement) -> list[tuple[str, Decimal]]:
    """(seller state, revenue) of every seller with revenue in the view, largest first; `per_seller` is
    the semantic layer's statement for revenue by seller and seller state (every seller: no cap)."""
    x = per_seller.subquery("per_seller", *SELLER_REVENUE[1], *SELLER_REVENUE[0])
    return [(state, revenue) for state, revenue in conn.execute(
        sa.select(x.c.seller_state, x.c.revenue).where(x.c.revenue > 0).order_by(x.c.revenue.desc()))]


def by_state(per_seller: list[tuple[str, Decimal]]) -> list[dict]:
    """Revenue and number of sellers per seller state, from `revenues`."""
    out: dict[str, list] = {}
    for state, revenue in per_seller:
        row = out.setdefault(state, [Decimal(0), 0])
        row[0] += revenue
        row[1] += 1
    return [{"state": k, "revenue": v[0], "sellers": v[1]}
            for k, v in sorted(out.items(), key=lambda kv: (-kv[1][0], kv[0]))]


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


def cities(conn, ids: tuple[str, ...]) -> dict[str, str]:
    """Each of these sellers' city (as the export spells it; '' when unknown)."""
    d = dim_sellers.c
    rows = conn.execute(sa.select(sa.cast(d.seller_id, sa.Text), d.seller_city)
                        .where(d.seller_id.in_([uuid.UUID(v) for v in ids])))
    return {seller: city or "" for seller, city in rows}


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
