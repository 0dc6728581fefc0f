"""The Reviews page's questions: score mix and trend, scores by category and seller, low scores.

Scores count the reviews of the selected orders (the glossary's average review score), dated by
the order's purchase. The cards, the mix, the trend and the categories are Queries of the semantic
layer (`ask` is `Warehouse.ask`), the scores by seller too; the latest low scores are a list, read
from `low_reviews`.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from data.filters import ALL_STATUSES, Filters
from data.queries import W, _rollup_where, finer, holding, holds_any, only_categories

KPIS = ("review_score", "reviews", "low_score_share", "comment_share")
# The reviews scoring 1 or 2, with their order's day, state and status (etl/rollups.py LOW_REVIEWS).
low = sa.Table("low_reviews", W, *(sa.Column(c) for c in (
    "review_creation_date", "review_id", "order_id", "review_score", "purchase_date", "customer_state", "order_status")),
               sa.Column("categories", postgresql.ARRAY(sa.Text)))
reviews = sa.Table("fact_reviews", W, *(sa.Column(c) for c in (
    "review_id", "order_id", "review_score", "review_comment_title", "review_comment_message",
    "review_creation_date")))


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


def by_seller(ask, f: Filters, limit: int = 500) -> list[dict]:
    """Per seller: reviews and mean score of the orders holding its items, orders, revenue (the sellers
    with most reviews)."""
    return [{"seller_id": r["seller"], "orders": r["orders"], "revenue": r["revenue"], "reviews": r["reviews"],
             "review_score": r["review_score"]}
            for r in ask(f, ("reviews", "review_score", "orders", "revenue"), ("seller",),
                         order_by=("-reviews", "seller"), limit=limit) if r["reviews"]]


def low_scores(conn, f: Filters, limit: int = 100, plan: str = "orders") -> list[dict]:
    """The latest reviews scoring 1 or 2 among the selected orders, newest first, with their text.

    The plans give the same rows. From `low_reviews` (a narrow table of the low scores with their
    order's day, state and status): "walk" follows it newest first, testing each row against the
    filters, and stops after `limit` matches: cheap for a broad view, but it first passes the low
    reviews of orders bought after the range; "orders" takes the range's low reviews by order day,
    then sorts: cheap for a narrow view; `cheaper_low_scores_plan` picks between them. Only the
    `limit` rows found fetch their text."""
    r = reviews.c
    if plan not in ("walk", "orders"):
        raise ValueError(f"unknown plan {plan!r}")
    where = _rollup_where(low.c, f)
    if finer(f) and not only_categories(f):  # e.g. a seller's orders by the items' seller index, then
        where.append(low.c.order_id.in_(holding(f)))  # their low reviews by order id
    elif f.categories:
        where.append(holds_any(low.c.categories, f.categories))
    rows = low
    if plan == "orders" and not f.sellers:  # filter by the order day's index first, then sort what is left
        rows, where = sa.select(low).where(*where).cte("in_range").prefix_with("MATERIALIZED"), []
    keys = sa.select(rows.c.review_creation_date, rows.c.review_id, rows.c.order_id, rows.c.review_score,
                     rows.c.customer_state).where(*where)
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
    every = Filters(f.start, f.end, statuses=ALL_STATUSES)
    after = ask(replace(every, start=f.end + timedelta(days=1), end=last), ("low_reviews",))[0]["low_reviews"] \
        if f.end < last else 0
    matched = ask(replace(f, categories=()), ("low_reviews",))[0]["low_reviews"]
    total = ask(every, ("low_reviews",))[0]["low_reviews"]
    if not matched:
        return "orders"
    density = matched / total  # a category filter thins the view further: the walk reads more, rarely much
    walk = after + (limit / density if density else float("inf"))
    return "walk" if walk < total else "orders"
