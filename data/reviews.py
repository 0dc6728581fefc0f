"""The Reviews page's questions: score mix and trend, scores by category and seller, low scores.

Scores count the reviews of the selected orders (the glossary's average review score), dated by
the order's purchase. The cards, the mix, the trend and the categories are Queries of the semantic
layer (`ask` is `Warehouse.ask`). The scores by seller read the per-seller rollups, which answer
any filter; the latest low scores are a list, read from `low_reviews`.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from data.filters import ALL_STATUSES, Filters
from data.metrics import ratio
from data.queries import W, _choose, _matched_orders, _rollup_where, _state, customers, holds_any, item_hits, \
    items_per_order_and_seller, needs_items, orders, whole_months_or_days

agg_sellers = sa.Table("agg_daily_sellers", W, *(sa.Column(c) for c in (
    "purchase_date", "customer_state", "order_status", "seller_id", "orders", "items", "product_revenue",
    "freight_value", "delivered_orders", "on_time_orders", "delivery_days_sum", "reviews", "review_score_sum")))
SELLER_MEASURES = ("orders", "items", "product_revenue", "freight_value", "delivered_orders", "on_time_orders",
                   "delivery_days_sum", "reviews", "review_score_sum")
agg_monthly_sellers = sa.Table("agg_monthly_sellers", W, sa.Column("month"), sa.Column("order_status"),
                               sa.Column("seller_id"), *(sa.Column(c) for c in SELLER_MEASURES))
seller_categories = sa.Table("agg_daily_seller_categories", W, *(sa.Column(c) for c in (
    "product_category_name_english", "purchase_date", "customer_state", "order_status", "seller_id")
    + SELLER_MEASURES))
# The order measures: what an order holding items of two chosen categories would count twice.
ORDER_MEASURES = ("delivered_orders", "on_time_orders", "delivery_days_sum", "reviews", "review_score_sum")
multi_category = sa.Table("multi_category_sellers", W, *(sa.Column(c) for c in (
    "order_id", "seller_id", "purchase_date", "customer_state", "order_status")),
    sa.Column("categories", postgresql.ARRAY(sa.Text)), *(sa.Column(c) for c in ORDER_MEASURES))
# The reviews scoring 1 or 2, with their order's day, state and status (etl/rollups.py LOW_REVIEWS).
KPIS = ("review_score", "reviews", "low_score_share", "comment_share")
low = sa.Table("low_reviews", W, *(sa.Column(c) for c in (
    "review_creation_date", "review_id", "order_id", "review_score", "purchase_date", "customer_state", "order_status")),
               sa.Column("categories", postgresql.ARRAY(sa.Text)))
reviews = sa.Table("fact_reviews", W, *(sa.Column(c) for c in (
    "review_id", "order_id", "review_score", "review_comment_title", "review_comment_message",
    "review_creation_date")))


def seller_rows(f: Filters):
    """The per-seller rollup's rows for the filters (dates, statuses, states, sellers): seller_id,
    order_status and SELLER_MEASURES, as a subquery to sum per seller.

    Without a state filter, the calendar months lying wholly in the range come from
    `agg_monthly_sellers` (summed over states and days) and only the days before and after them
    from `agg_daily_sellers`: a two-year view reads about a seventh of the rows. Categories come
    from the per-category rollup (`_seller_category_rows`)."""
    if f.categories:
        return _seller_category_rows(f)
    ids = [sa.cast(s, sa.Uuid) for s in f.sellers]
    return whole_months_or_days(f, agg_sellers, agg_monthly_sellers, ("seller_id", "order_status", *SELLER_MEASURES),
                                lambda c: [c.seller_id.in_(ids)] if ids else [])


def _seller_category_rows(f: Filters):
    """`seller_rows` for a category filter: the chosen categories' rows of
    `agg_daily_seller_categories`, and for several categories one correcting row per (order, seller)
    whose items hold k > 1 of them, taking (k - 1) times its order measures off (items and revenue
    belong to one category each and need none)."""
    c = seller_categories.c
    ids = [sa.cast(s, sa.Uuid) for s in f.sellers]
    rows = (sa.select(c.seller_id, c.order_status, *(c[m] for m in SELLER_MEASURES))
            .where(*_rollup_where(c, f), *([c.seller_id.in_(ids)] if ids else [])))
    if len(f.categories) < 2:
        return rows.subquery()
    m = multi_category.c
    chosen = (sa.case((sa.literal(name, sa.Text) == sa.any_(m.categories), 1), else_=0) for name in f.categories)
    extra = sum(chosen, sa.literal(-1))  # k - 1
    less = {"orders": -extra, "items": sa.literal(0), "product_revenue": sa.literal(0), "freight_value": sa.literal(0),
            **{k: -extra * m[k] for k in ORDER_MEASURES}}
    fixes = (sa.select(m.seller_id, m.order_status, *(less[k].label(k) for k in SELLER_MEASURES))
             .where(*_rollup_where(m, f), holds_any(m.categories, f.categories), extra > 0,
                    *([m.seller_id.in_(ids)] if ids else [])))
    return sa.union_all(rows, fixes).subquery()


def score_mix(ask, f: Filters) -> list[dict]:
    """Reviews by score, 1 to 5, with how many carry a comment (every score, empty ones too)."""
    found = {r["review_score"]: r for r in ask(f, ("reviews", "commented_reviews"), ("review_score",))}
    return [{"score": s, "reviews": found[s]["reviews"] if s in found else 0,
             "with_comment": found[s]["commented_reviews"] if s in found else 0} for s in range(1, 6)]


def kpis(ask, f: Filters) -> dict:
    """The page's cards: average score, reviews, the share of low scores and of commented reviews."""
    return ask(f, KPIS)[0]


def trend(ask, f: Filters, grain: str) -> list[dict]:
    """Reviews and mean score per day, week or month of the orders' purchase (periods with reviews)."""
    return [{"period": r["date"], "reviews": r["reviews"], "review_score": r["review_score"]}
            for r in ask(f, ("reviews", "review_score"), ("date",), grain) if r["reviews"]]


def by_category(ask, f: Filters, limit: int = 20) -> list[dict]:
    """Mean score of the orders holding each category (the categories with most reviews)."""
    return [r for r in ask(f, ("reviews", "review_score"), ("category",), order_by=("-reviews", "category"),
                           limit=limit) if r["reviews"]]


def by_seller(conn, f: Filters, limit: int = 500, source: str = "auto") -> list[dict]:
    """Per seller: reviews and mean score of the orders holding its items, orders, revenue."""
    t = _choose(f, source, agg_sellers)  # a seller filter is a seller_id filter here
    if t is None:
        o = orders.c
        x = items_per_order_and_seller(f, _matched_orders(f).cte("matched"))
        q = (sa.select(x.c.seller_id, sa.func.count().label("orders"),
                       sa.func.sum(x.c.price + x.c.freight).label("revenue"),
                       sa.func.sum(o.reviews_count).label("reviews"), sa.func.sum(o.review_score_sum).label("score"))
             .select_from(x.join(orders, o.order_id == x.c.order_id)).group_by(x.c.seller_id))
    else:
        c = seller_rows(f).c
        q = (sa.select(c.seller_id, sa.func.sum(c.orders).label("orders"),
                       sa.func.sum(c.product_revenue + c.freight_value).label("revenue"),
                       sa.func.sum(c.reviews).label("reviews"), sa.func.sum(c.review_score_sum).label("score"))
             .group_by(c.seller_id))
    q = q.having(q.selected_columns.reviews > 0).order_by(sa.desc("reviews"), sa.text("seller_id"))
    rows = conn.execute(q.limit(limit)).mappings()
    return [{"seller_id": str(r["seller_id"]), "orders": int(r["orders"]), "revenue": r["revenue"],
             "reviews": int(r["reviews"]), "review_score": ratio(Decimal(r["score"]), r["reviews"])} for r in rows]


def low_scores(conn, f: Filters, limit: int = 100, plan: str = "orders") -> list[dict]:
    """The latest reviews scoring 1 or 2 among the selected orders, newest first, with their text.

    The plans give the same rows. From `low_reviews` (a narrow table of the low scores with their
    order's day, state and status): "walk" follows it newest first, testing each row against the
    filters, and stops after `limit` matches: cheap for a broad view, but it first passes the low
    reviews of orders bought after the range; "orders" takes the range's low reviews by order day,
    then sorts: cheap for a narrow view; `cheaper_low_scores_plan` picks between them. "facts"
    joins `fact_reviews` to the orders and customers: the tests' reference. Only the `limit`
    rows found fetch their text."""
    r = reviews.c
    if plan == "facts":
        o, c = orders.c, customers.c
        keys = (sa.select(r.review_creation_date, r.review_id, r.order_id, r.review_score,
                          _state(c.customer_state).label("customer_state"))
                .select_from(reviews.join(orders, o.order_id == r.order_id)
                             .outerjoin(customers, o.customer_id == c.customer_id))
                .where(r.review_score <= 2, o.purchase_date.between(f.start, f.end), o.order_status.in_(f.statuses)))
        if f.states:
            keys = keys.where(_state(c.customer_state).in_(f.states))
        if needs_items(f):
            keys = keys.where(o.order_id.in_(item_hits(f)))
    elif plan in ("walk", "orders"):
        where = _rollup_where(low.c, f)
        if f.sellers:  # the seller's orders by the items' seller index, then their low reviews by order id
            where.append(low.c.order_id.in_(item_hits(f)))
        elif f.categories:
            where.append(holds_any(low.c.categories, f.categories))
        rows = low
        if plan == "orders" and not f.sellers:  # filter by the order day's index first, then sort what is left
            rows, where = sa.select(low).where(*where).cte("in_range").prefix_with("MATERIALIZED"), []
        keys = sa.select(rows.c.review_creation_date, rows.c.review_id, rows.c.order_id, rows.c.review_score,
                         rows.c.customer_state).where(*where)
    else:
        raise ValueError(f"unknown plan {plan!r}")
    k = keys.selected_columns
    top = keys.order_by(k.review_creation_date.desc().nulls_last(), k.review_id, k.order_id).limit(limit).subquery()
    q = (sa.select(top, r.review_comment_title, r.review_comment_message)
         .select_from(top.join(reviews, sa.and_(r.review_id == top.c.review_id, r.order_id == top.c.order_id)))
         .order_by(top.c.review_creation_date.desc().nulls_last(), top.c.review_id, top.c.order_id))
    return [{"date": x["review_creation_date"].strftime("%Y-%m-%d") if x["review_creation_date"] else "",
             "score": x["review_score"], "order_id": str(x["order_id"]), "state": x["customer_state"],
             "title": x["review_comment_title"] or "", "message": x["review_comment_message"] or ""}
            for x in conn.execute(q).mappings()]


def cheaper_low_scores_plan(ask, f: Filters, limit: int, last) -> str:
    """The cheaper plan for `low_scores`, from the low reviews each would read, counted by the
    semantic layer (a daily rollup): the walk passes the low reviews of orders bought after the range
    (up to `last`, the latest purchase day), then about limit / (the view's share of the range's low
    reviews); the orders plan reads the range's low reviews. Categories are left out of the share:
    looking them up costs more than a misjudged walk."""
    if f.sellers:
        return "orders"  # a seller's orders are few
    every = replace(f, states=(), categories=(), statuses=ALL_STATUSES)
    after = ask(replace(every, start=f.end + timedelta(days=1), end=last), ("low_reviews",))[0]["low_reviews"] \
        if f.end < last else 0
    matched = ask(replace(f, categories=()), ("low_reviews",))[0]["low_reviews"]
    total = ask(every, ("low_reviews",))[0]["low_reviews"]
    if not matched:
        return "orders"
    density = matched / total  # a category filter thins the view further: the walk reads more, rarely much
    walk = after + (limit / density if density else float("inf"))
    return "walk" if walk < total else "orders"
