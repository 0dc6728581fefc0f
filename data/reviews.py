"""The Reviews page's questions: score mix and trend, scores by category and seller, low scores.

Scores count the reviews of the selected orders (the glossary's average review score), dated by
the order's purchase. Rollups answer dates, states, statuses and one category; sellers and
several categories go to the facts, like the rest of the query layer.
"""
from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from data.filters import Filters
from data.metrics import ratio
from data.queries import GRAINS, W, _choose, _matched_orders, _period, _rollup_where, _state, agg, cats, \
    customers, item_hits, items, items_per_order_and_seller, needs_items, order_categories, orders, products, \
    rollup_for

scores = sa.Table("agg_daily_review_scores", W, *(sa.Column(c) for c in (
    "purchase_date", "customer_state", "order_status", "review_score", "reviews", "with_comment")))
agg_sellers = sa.Table("agg_daily_sellers", W, *(sa.Column(c) for c in (
    "purchase_date", "customer_state", "order_status", "seller_id", "orders", "items", "product_revenue",
    "freight_value", "delivered_orders", "on_time_orders", "delivery_days_sum", "reviews", "review_score_sum")))
reviews = sa.Table("fact_reviews", W, *(sa.Column(c) for c in (
    "review_id", "order_id", "review_score", "review_comment_title", "review_comment_message",
    "review_creation_date")))


def score_mix(conn, f: Filters, source: str = "auto") -> list[dict]:
    """Reviews by score, 1 to 5, with how many carry a comment."""
    t = _choose(f, source, None if needs_items(f) else scores)
    if t is None:
        r, m = reviews.c, _matched_orders(f).cte("matched")
        blank = sa.func.btrim(sa.func.coalesce(r.review_comment_message, "")) == ""
        q = (sa.select(r.review_score, sa.func.count().label("reviews"),
                       sa.func.count().filter(sa.not_(blank)).label("with_comment"))
             .select_from(reviews.join(m, r.order_id == m.c.order_id)).group_by(r.review_score))
    else:
        q = (sa.select(t.c.review_score, sa.func.sum(t.c.reviews).label("reviews"),
                       sa.func.sum(t.c.with_comment).label("with_comment"))
             .where(*_rollup_where(t.c, f)).group_by(t.c.review_score))
    found = {r["review_score"]: r for r in conn.execute(q).mappings()}
    return [{"score": s, "reviews": int(found[s]["reviews"]) if s in found else 0,
             "with_comment": int(found[s]["with_comment"]) if s in found else 0} for s in range(1, 6)]


def trend(conn, f: Filters, grain: str, source: str = "auto") -> list[dict]:
    """Reviews and mean score per day, week or month of the orders' purchase."""
    if grain not in GRAINS:
        raise ValueError(f"unknown grain {grain!r}")
    t = _choose(f, source, rollup_for(f))
    if t is None:
        o, m = orders.c, _matched_orders(f).cte("matched")
        period = _period(grain, o.purchase_date)
        q = (sa.select(period, sa.func.sum(o.reviews_count).label("reviews"), sa.func.sum(o.review_score_sum)
                       .label("score")).select_from(orders.join(m, o.order_id == m.c.order_id)).group_by(period))
    else:
        period = _period(grain, t.c.purchase_date)
        q = (sa.select(period, sa.func.sum(t.c.reviews).label("reviews"), sa.func.sum(t.c.review_score_sum)
                       .label("score")).where(*_rollup_where(t.c, f)).group_by(period))
    q = q.having(q.selected_columns.reviews > 0).order_by(sa.text("period"))
    return [{"period": r["period"], "reviews": int(r["reviews"]), "review_score": ratio(Decimal(r["score"]), r["reviews"])}
            for r in conn.execute(q).mappings()]


def by_category(conn, f: Filters, limit: int = 20, source: str = "auto") -> list[dict]:
    """Mean score of the orders holding each category (the categories with most reviews)."""
    t = _choose(f, source, None if f.sellers else cats)
    if t is None:
        i, p, o = items.c, products.c, orders.c
        m = _matched_orders(f).cte("matched")
        x = (sa.select(i.order_id, p.product_category_name_english.label("category"))
             .select_from(items.join(m, i.order_id == m.c.order_id).join(products, i.product_id == p.product_id))
             .distinct())
        if f.categories:
            x = x.where(p.product_category_name_english.in_(f.categories))
        if f.sellers:
            x = x.where(i.seller_id.in_([sa.cast(s, sa.Uuid) for s in f.sellers]))
        x = x.subquery()
        q = (sa.select(x.c.category, sa.func.sum(o.reviews_count).label("reviews"),
                       sa.func.sum(o.review_score_sum).label("score"))
             .select_from(x.join(orders, o.order_id == x.c.order_id)).group_by(x.c.category))
    else:
        q = (sa.select(t.c.product_category_name_english.label("category"), sa.func.sum(t.c.reviews).label("reviews"),
                       sa.func.sum(t.c.review_score_sum).label("score"))
             .where(*_rollup_where(t.c, f)).group_by(t.c.product_category_name_english))
    q = q.having(q.selected_columns.reviews > 0).order_by(sa.desc("reviews"), sa.text("category"))
    return [{"category": r["category"], "reviews": int(r["reviews"]),
             "review_score": ratio(Decimal(r["score"]), r["reviews"])} for r in conn.execute(q.limit(limit)).mappings()]


def by_seller(conn, f: Filters, limit: int = 500, source: str = "auto") -> list[dict]:
    """Per seller: reviews and mean score of the orders holding its items, orders, revenue."""
    t = _choose(f, source, None if f.categories else agg_sellers)  # a seller filter is a seller_id filter here
    if t is None:
        o = orders.c
        x = items_per_order_and_seller(f, _matched_orders(f).cte("matched"))
        q = (sa.select(x.c.seller_id, sa.func.count().label("orders"),
                       sa.func.sum(x.c.price + x.c.freight).label("revenue"),
                       sa.func.sum(o.reviews_count).label("reviews"), sa.func.sum(o.review_score_sum).label("score"))
             .select_from(x.join(orders, o.order_id == x.c.order_id)).group_by(x.c.seller_id))
    else:
        c = t.c
        where = _rollup_where(c, f)
        if f.sellers:
            where.append(c.seller_id.in_([sa.cast(s, sa.Uuid) for s in f.sellers]))
        q = (sa.select(c.seller_id, sa.func.sum(c.orders).label("orders"),
                       sa.func.sum(c.product_revenue + c.freight_value).label("revenue"),
                       sa.func.sum(c.reviews).label("reviews"), sa.func.sum(c.review_score_sum).label("score"))
             .where(*where).group_by(c.seller_id))
    q = q.having(q.selected_columns.reviews > 0).order_by(sa.desc("reviews"), sa.text("seller_id"))
    rows = conn.execute(q.limit(limit)).mappings()
    return [{"seller_id": str(r["seller_id"]), "orders": int(r["orders"]), "revenue": r["revenue"],
             "reviews": int(r["reviews"]), "review_score": ratio(Decimal(r["score"]), r["reviews"])} for r in rows]


def low_scores(conn, f: Filters, limit: int = 100, plan: str = "auto") -> list[dict]:
    """The latest reviews scoring 1 or 2 among the selected orders, newest first, with their text.

    Two plans give the same rows. "walk": follow the partial index of low scores newest first,
    testing each review's order against the filters, and stop after `limit` matches: cheap for a
    broad view, but it first passes every low review of orders bought after the range. "orders":
    take the view's orders and their low reviews, then sort: cheap for a narrow view. "auto"
    estimates both costs from `agg_daily_review_scores` and the orders rollup (a few milliseconds)."""
    r, o, c = reviews.c, orders.c, customers.c
    if plan == "auto":
        plan = _cheaper_low_scores_plan(conn, f, limit)
    columns = (r.review_creation_date, r.review_score, sa.cast(r.order_id, sa.Text).label("order_id"),
               _state(c.customer_state).label("state"), r.review_comment_title, r.review_comment_message)
    if plan == "orders":
        m = _matched_orders(f).cte("matched").prefix_with("MATERIALIZED")  # join by order, not walk the dates
        q = (sa.select(*columns)
             .select_from(m.join(reviews, r.order_id == m.c.order_id).join(orders, o.order_id == m.c.order_id)
                          .outerjoin(customers, o.customer_id == c.customer_id))
             .where(r.review_score <= 2))
    elif plan == "walk":
        q = (sa.select(*columns)
             .select_from(reviews.join(orders, o.order_id == r.order_id)
                          .outerjoin(customers, o.customer_id == c.customer_id))
             .where(r.review_score <= 2, o.purchase_date.between(f.start, f.end), o.order_status.in_(f.statuses)))
        if f.states:
            q = q.where(_state(c.customer_state).in_(f.states))
        if needs_items(f):
            q = q.where(o.order_id.in_(item_hits(f)))
    else:
        raise ValueError(f"unknown plan {plan!r}")
    q = q.order_by(r.review_creation_date.desc().nulls_last(), r.review_id).limit(limit)
    return [{"date": x["review_creation_date"].strftime("%Y-%m-%d") if x["review_creation_date"] else "",
             "score": x["review_score"], "order_id": x["order_id"], "state": x["state"],
             "title": x["review_comment_title"] or "", "message": x["review_comment_message"] or ""}
            for x in conn.execute(q).mappings()]


WALK_ROW = 3  # a row of the walk costs about three of the orders plan (index lookups, not a scan)


def _cheaper_low_scores_plan(conn, f: Filters, limit: int) -> str:
    """Estimate the rows each plan reads, from the rollups (a few milliseconds). The walk passes the
    low reviews of orders bought after the range, then about limit / (the view's share of the low
    reviews in the range). The orders plan reads the range's orders (all states: a state is known
    only by joining the customer), or the categories' orders in `order_categories`."""
    if f.sellers:
        return "orders"  # a seller's orders come from an index, and are few
    t, a = scores.c, agg.c
    low = t.review_score <= 2
    in_states = [t.customer_state.in_(f.states)] if f.states else []
    after, matched, total = conn.execute(sa.select(
        sa.func.coalesce(sa.func.sum(t.reviews).filter(low, t.purchase_date > f.end), 0),
        sa.func.coalesce(sa.func.sum(t.reviews).filter(low, t.purchase_date.between(f.start, f.end),
                                                       t.order_status.in_(f.statuses), *in_states), 0),
        sa.func.coalesce(sa.func.sum(t.reviews).filter(low, t.purchase_date.between(f.start, f.end)), 0))).one()
    in_range, view = conn.execute(sa.select(
        sa.func.coalesce(sa.func.sum(a.orders).filter(a.order_status.in_(f.statuses)), 0),
        sa.func.coalesce(sa.func.sum(a.orders).filter(*_rollup_where(a, f)), 0))
        .where(a.purchase_date.between(f.start, f.end))).one()
    if not matched or not view:
        return "orders"
    share, reads = 1.0, (in_range if f.states else view)
    if f.categories:
        b = order_categories.c
        chosen = conn.execute(sa.select(sa.func.count(sa.distinct(b.order_id))).where(*_rollup_where(b, f))).scalar_one()
        share, reads = chosen / view, chosen
    density = matched / total * share
    walk = after + (limit / density if density else float("inf"))
    return "walk" if WALK_ROW * walk < reads else "orders"
