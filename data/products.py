"""The Products page's questions: categories, price bands, revenue concentration (Pareto), category
trends, and one product's view.

Categories and their trends come from `agg_daily_categories`, price bands from
`agg_daily_price_bands`, per-product revenue from `agg_daily_products`; a seller filter needs the
items, so it goes to the facts. One product's view reads the facts through the items' product
index: a product has few items, so that is fast at any size.
"""
from __future__ import annotations

import uuid
from decimal import Decimal

import numpy as np
import sqlalchemy as sa

from data.filters import Filters
from data.metrics import ratio
from data.queries import GRAINS, W, _choose, _matched_orders, _period, _rollup_where, agg_products, cats, \
    float_cents, items, orders, product_rows, products
from data.reviews import reviews
from etl.rollups import PRICE_BANDS

price_bands_table = sa.Table("agg_daily_price_bands", W, *(sa.Column(c) for c in (
    "purchase_date", "customer_state", "order_status", "product_category_name_english", "price_band", "items",
    "product_revenue")))
dim_products = sa.Table("dim_products", sa.MetaData(schema="warehouse"), *(sa.Column(c) for c in (
    "product_id", "product_category_name", "product_category_name_english", "product_photos_qty",
    "product_weight_g", "product_length_cm", "product_height_cm", "product_width_cm", "is_unknown")))
sellers = sa.Table("dim_sellers", sa.MetaData(schema="warehouse"), *(sa.Column(c) for c in (
    "seller_id", "seller_city", "seller_state")))


def _seller_ids(f: Filters):
    return [sa.cast(s, sa.Uuid) for s in f.sellers]


def _selected_items(f: Filters):
    """The items the filters select, with their order's day and their category (facts)."""
    i, p = items.c, products.c
    m = _matched_orders(f).cte("matched")
    q = (sa.select(i.order_id, i.product_id, i.seller_id, i.price, i.freight_value,
                   p.product_category_name_english.label("category"))
         .select_from(items.join(m, i.order_id == m.c.order_id).join(products, i.product_id == p.product_id)))
    if f.categories:
        q = q.where(p.product_category_name_english.in_(f.categories))
    if f.sellers:
        q = q.where(i.seller_id.in_(_seller_ids(f)))
    return q.subquery("selected_items")


def category_table(conn, f: Filters, source: str = "auto") -> list[dict]:
    """Per category: revenue, items, orders, average item price, average review score, revenue share."""
    t = _choose(f, source, None if f.sellers else cats)
    if t is None:
        x = _selected_items(f)
        per = (sa.select(x.c.order_id, x.c.category, sa.func.count().label("items"),
                         sa.func.sum(x.c.price).label("price"), sa.func.sum(x.c.freight_value).label("freight"))
               .group_by(x.c.order_id, x.c.category).subquery())
        o = orders.c
        q = (sa.select(per.c.category, sa.func.sum(per.c.price + per.c.freight).label("revenue"),
                       sa.func.sum(per.c["items"]).label("items"), sa.func.count().label("orders"),
                       sa.func.sum(per.c.price).label("product_revenue"), sa.func.sum(o.reviews_count).label("reviews"),
                       sa.func.sum(o.review_score_sum).label("score"))
             .select_from(per.join(orders, o.order_id == per.c.order_id)).group_by(per.c.category))
    else:
        c = t.c
        q = (sa.select(c.product_category_name_english.label("category"), sa.func.sum(c.revenue).label("revenue"),
                       sa.func.sum(c["items"]).label("items"), sa.func.sum(c.orders).label("orders"),
                       sa.func.sum(c.product_revenue).label("product_revenue"), sa.func.sum(c.reviews).label("reviews"),
                       sa.func.sum(c.review_score_sum).label("score"))
             .where(*_rollup_where(c, f)).group_by(c.product_category_name_english))
    rows = list(conn.execute(q.order_by(sa.desc("revenue"), sa.text("category"))).mappings())
    total = sum((r["revenue"] for r in rows), Decimal(0))
    return [{"category": r["category"], "revenue": r["revenue"], "items": int(r["items"]), "orders": int(r["orders"]),
             "average_price": ratio(r["product_revenue"], int(r["items"])),
             "review_score": ratio(Decimal(r["score"] or 0), int(r["reviews"] or 0)),
             "share": ratio(r["revenue"], total)} for r in rows]


def band_labels() -> list[str]:
    """'R$ 0-25', 'R$ 25-50', ... 'R$ 1,000+': band k covers [edge k-1, edge k) of an item's price."""
    edges = (0, *PRICE_BANDS)
    return [f"R$ {lo:,}-{PRICE_BANDS[k]:,}" if k < len(PRICE_BANDS) else f"R$ {lo:,}+" for k, lo in enumerate(edges)]


def price_bands(conn, f: Filters, source: str = "auto") -> list[dict]:
    """Items and product revenue (price) by the band of the item's price; every band, empty ones too."""
    t = _choose(f, source, None if f.sellers else price_bands_table)
    if t is None:
        x = _selected_items(f)
        band = sa.func.width_bucket(x.c.price, sa.literal(list(PRICE_BANDS), sa.ARRAY(sa.Numeric))).label("band")
        q = sa.select(band, sa.func.count().label("items"), sa.func.sum(x.c.price).label("revenue")).group_by(band)
    else:
        c = t.c
        q = (sa.select(c.price_band.label("band"), sa.func.sum(c["items"]).label("items"),
                       sa.func.sum(c.product_revenue).label("revenue"))
             .where(*_rollup_where(c, f)).group_by(c.price_band))
    found = {r["band"]: r for r in conn.execute(q).mappings()}
    if not found:
        return []
    return [{"band": label, "items": int(found[k]["items"]) if k in found else 0,
             "revenue": found[k]["revenue"] if k in found else Decimal(0)} for k, label in enumerate(band_labels())]


def _product_revenues(conn, f: Filters, source: str) -> np.ndarray:
    """Each product's revenue in the view (items plus freight), in cents, in no order.

    The sums are float8 (`float_cents`). They come back as one bytea of packed float8s
    (`float8send`), which numpy reads in place: 100,000 rows through SQLAlchemy cost about ten
    times as long."""
    t = _choose(f, source, None if f.sellers else agg_products)
    if t is None:
        x = _selected_items(f)
        per = (sa.select(sa.func.sum(float_cents((x.c.price + x.c.freight_value) * 100)).label("cents"))
               .group_by(x.c.product_id))
    else:
        c = product_rows(f).c
        per = (sa.select(sa.func.sum(float_cents(c.product_revenue_cents) + c.freight_value_cents).label("cents"))
               .group_by(c.product_id))
    per = per.subquery()
    packed = conn.execute(sa.select(sa.func.string_agg(sa.func.float8send(per.c.cents),
                                                       sa.literal(b"", sa.LargeBinary)))).scalar()
    return np.frombuffer(packed or b"", dtype=">f8")


def pareto(conn, f: Filters, points: int = 100, source: str = "auto") -> dict:
    """Revenue concentration over products: the cumulative share of revenue against the share of
    products (largest first), at about `points` points, and the share of the top 20% of products.

    PostgreSQL sums each product; the ranking and running total happen here, over those sums:
    PostgreSQL's sort and window passes over 100,000 products took as long as the sums did."""
    running = np.cumsum(np.sort(_product_revenues(conn, f, source))[::-1])
    n = len(running)
    if not n or not running[-1]:
        return {"products": 0, "top20_share": None, "curve": []}
    total, twenty, step = running[-1], -(-n // 5), max(n // points, 1)
    ranks = sorted({1, n, twenty, *range(step, n + 1, step)})
    return {"products": n, "top20_share": float(running[twenty - 1] / total),
            "curve": [(0.0, 0.0)] + [(r / n, float(running[r - 1] / total)) for r in ranks]}


def category_trends(conn, f: Filters, grain: str, top: int = 12, source: str = "auto") -> list[dict]:
    """Revenue per period of the `top` categories by revenue in the view (their order kept)."""
    if grain not in GRAINS:
        raise ValueError(f"unknown grain {grain!r}")
    leaders = [r["category"] for r in category_table(conn, f, source)[:top]]
    if not leaders:
        return []
    t = _choose(f, source, None if f.sellers else cats)
    if t is None:
        x = _selected_items(f)
        o = orders.c
        period = _period(grain, o.purchase_date)
        q = (sa.select(period, x.c.category, sa.func.sum(x.c.price + x.c.freight_value).label("revenue"))
             .select_from(x.join(orders, o.order_id == x.c.order_id)).where(x.c.category.in_(leaders))
             .group_by(period, x.c.category))
    else:
        c = t.c
        period = _period(grain, c.purchase_date)
        q = (sa.select(period, c.product_category_name_english.label("category"), sa.func.sum(c.revenue).label("revenue"))
             .where(*_rollup_where(c, f), c.product_category_name_english.in_(leaders))
             .group_by(period, c.product_category_name_english))
    rank = {c: k for k, c in enumerate(leaders)}
    rows = [dict(r) for r in conn.execute(q).mappings()]
    return sorted(rows, key=lambda r: (rank[r["category"]], r["period"]))


# One product.

def find(conn, product_id: str) -> dict | None:
    """The product's dimension row, or None when the id is not a known product."""
    try:
        key = uuid.UUID(str(product_id))
    except ValueError:
        return None
    d = dim_products.c
    row = conn.execute(sa.select(dim_products).where(d.product_id == key)).mappings().first()
    if row is None:
        return None
    return {**{k: row[k] for k in row.keys() if k != "product_id"}, "product_id": str(row["product_id"])}


def _product_items(f: Filters, product_id: str):
    """The product's items in the selected orders (a seller filter keeps that seller's items)."""
    i = items.c
    q = (sa.select(i.order_id, i.seller_id, i.price, i.freight_value)
         .where(i.product_id == sa.cast(product_id, sa.Uuid), i.order_id.in_(_matched_orders(f))))
    if f.sellers:
        q = q.where(i.seller_id.in_(_seller_ids(f)))
    return q.subquery("product_items")


def product_kpis(conn, f: Filters, product_id: str) -> dict:
    """The product's revenue, items, orders, average price and the average review of its orders."""
    x = _product_items(f, product_id)
    row = conn.execute(sa.select(sa.func.coalesce(sa.func.sum(x.c.price + x.c.freight_value), 0).label("revenue"),
                                 sa.func.count().label("items"), sa.func.count(sa.distinct(x.c.order_id)).label("orders"),
                                 sa.func.avg(x.c.price).label("average_price"))).mappings().one()
    o = orders.c
    per_order = sa.select(x.c.order_id).distinct().subquery()
    reviews_, score = conn.execute(sa.select(sa.func.coalesce(sa.func.sum(o.reviews_count), 0),
                                             sa.func.coalesce(sa.func.sum(o.review_score_sum), 0))
                                   .select_from(per_order.join(orders, o.order_id == per_order.c.order_id))).one()
    return {**row, "review_score": ratio(Decimal(score), reviews_)}


def product_trend(conn, f: Filters, product_id: str, grain: str) -> list[dict]:
    """The product's revenue and orders per period."""
    if grain not in GRAINS:
        raise ValueError(f"unknown grain {grain!r}")
    x = _product_items(f, product_id)
    o = orders.c
    period = _period(grain, o.purchase_date)
    q = (sa.select(period, sa.func.sum(x.c.price + x.c.freight_value).label("revenue"),
                   sa.func.count(sa.distinct(x.c.order_id)).label("orders"))
         .select_from(x.join(orders, o.order_id == x.c.order_id)).group_by(period).order_by(period))
    return [dict(r) for r in conn.execute(q).mappings()]


def product_sellers(conn, f: Filters, product_id: str, limit: int = 50) -> list[dict]:
    """Who sells the product: items, orders, revenue and average price per seller."""
    x = _product_items(f, product_id)
    s = sellers.c
    q = (sa.select(sa.cast(x.c.seller_id, sa.Text).label("seller_id"), s.seller_city, s.seller_state,
                   sa.func.count().label("items"), sa.func.count(sa.distinct(x.c.order_id)).label("orders"),
                   sa.func.sum(x.c.price + x.c.freight_value).label("revenue"),
                   sa.func.round(sa.func.avg(x.c.price), 2).label("average_price"))
         .select_from(x.outerjoin(sellers, s.seller_id == x.c.seller_id))
         .group_by(x.c.seller_id, s.seller_city, s.seller_state)
         .order_by(sa.desc("revenue"), sa.text("seller_id")).limit(limit))
    return [{"seller_id": r["seller_id"], "city": r["seller_city"] or "", "state": r["seller_state"] or "??",
             "items": r["items"], "orders": r["orders"], "revenue": r["revenue"], "average_price": r["average_price"]}
            for r in conn.execute(q).mappings()]


def product_reviews(conn, f: Filters, product_id: str, limit: int = 50) -> list[dict]:
    """The reviews of the orders holding the product, lowest score first, then newest."""
    x = _product_items(f, product_id)
    r = reviews.c
    per_order = sa.select(x.c.order_id).distinct().subquery()
    q = (sa.select(r.review_creation_date, r.review_score, sa.cast(r.order_id, sa.Text).label("order_id"),
                   r.review_comment_title, r.review_comment_message)
         .select_from(reviews.join(per_order, per_order.c.order_id == r.order_id))
         .order_by(r.review_score, r.review_creation_date.desc().nulls_last(), r.review_id).limit(limit))
    return [{"date": v["review_creation_date"].strftime("%Y-%m-%d") if v["review_creation_date"] else "",
             "score": v["review_score"], "order_id": v["order_id"], "title": v["review_comment_title"] or "",
             "message": v["review_comment_message"] or ""} for v in conn.execute(q).mappings()]
