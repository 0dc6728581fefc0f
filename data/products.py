"""The Products page's questions: categories, price bands, revenue concentration (Pareto), category
trends, the top products, and one product's view.

The metric-by-dimension questions are Queries of the semantic layer: `ask` is `Warehouse.ask`
(the cache, the user's scope and the planner's choice of table come with it). The Pareto curve
and the top products read every product's revenue inside one statement, the semantic layer's SQL
for that question (`answer.statement`). One product's sellers and reviews are lists, read from the facts through
the items' product index: a product has few items, so that is fast at any size.
"""
from __future__ import annotations

import uuid
from decimal import Decimal

import numpy as np
import sqlalchemy as sa

from data.filters import Filters
from data.metrics import ratio
from data.queries import _matched_orders, finer
from data.reviews import reviews
from data.semantic.answer import Statement
from data.semantic.catalogue import CATALOGUE, PRICE_BANDS
from data.semantic.sql import chosen_items

dim_products = sa.Table("dim_products", sa.MetaData(schema="warehouse"), *(sa.Column(c) for c in (
    "product_id", "product_category_name", "product_category_name_english", "product_photos_qty",
    "product_weight_g", "product_length_cm", "product_height_cm", "product_width_cm", "is_unknown")))
sellers = sa.Table("dim_sellers", sa.MetaData(schema="warehouse"), *(sa.Column(c) for c in (
    "seller_id", "seller_city", "seller_state")))
CATEGORY_METRICS = ("revenue", "items", "orders", "average_price", "review_score")


def category_table(ask, f: Filters) -> list[dict]:
    """Per category: revenue, items, orders, average item price, average review score, revenue share."""
    rows = ask(f, CATEGORY_METRICS, ("category",), order_by=("-revenue", "category"))
    total = sum((r["revenue"] for r in rows), Decimal(0))
    return [{**r, "share": ratio(r["revenue"], total)} for r in rows]


def band_labels() -> list[str]:
    """'R$ 0-25', 'R$ 25-50', ... 'R$ 1,000+': band k covers [edge k-1, edge k) of an item's price."""
    edges = (0, *PRICE_BANDS)
    return [f"R$ {lo:,}-{PRICE_BANDS[k]:,}" if k < len(PRICE_BANDS) else f"R$ {lo:,}+" for k, lo in enumerate(edges)]


def price_bands(ask, f: Filters) -> list[dict]:
    """Items and product revenue (price) by the band of the item's price; every band, empty ones too."""
    found = {r["price_band"]: r for r in ask(f, ("items", "product_revenue"), ("price_band",))}
    if not found:
        return []
    return [{"band": label, "items": found[k]["items"] if k in found else 0,
             "revenue": found[k]["product_revenue"] if k in found else Decimal(0)}
            for k, label in enumerate(band_labels())]


# Every product of the view with the top products' metrics: one uncapped answer that gives both
# the Pareto shape (every product's revenue) and the top products.
PRODUCTS = (("revenue", "items", "orders", "average_price"), ("product", "category"))
TOP_PRODUCTS = 500


def ranked(conn, per_product: Statement, top: int = TOP_PRODUCTS, points: int = 100) -> dict:
    """Revenue concentration over the view's products and its `top` products by revenue, from one
    grouping of every product: the page asks both of the same view (its KPI cards, the Pareto chart
    and the top-products grid), and grouping a year's products costs about 200 ms at 1M orders.

    The shape: the cumulative share of revenue against the share of products (largest first), at
    about `points` points, and the share of the top 20% of products. Every product's revenue comes
    back as one bytea of packed float8 cents (exact to R$ 90 trillion), which numpy reads in place:
    100,000 rows through SQLAlchemy cost about ten times as long; sorting them here is faster than
    PostgreSQL's sort and window passes. The top products come from the same grouping in the same
    statement, each row with an empty `packed` (the one extra row holds only `packed`)."""
    x = per_product.subquery("per_product", *PRODUCTS[1], *PRODUCTS[0])
    every = sa.select(x).cte("every_product")
    cents = sa.func.float8send(sa.cast(every.c.revenue * 100, sa.Float))
    columns = (*PRODUCTS[1], *PRODUCTS[0])
    leaders = (sa.select(*(every.c[k] for k in columns), sa.cast(sa.null(), sa.LargeBinary).label("packed"))
               .order_by(every.c.revenue.desc(), every.c.product).limit(top).subquery("leaders"))
    packed = sa.select(*(sa.null().label(k) for k in columns),
                       sa.func.string_agg(cents, sa.literal(b"", sa.LargeBinary)).label("packed"))
    rows = conn.execute(sa.union_all(packed, sa.select(leaders))).mappings().all()
    revenues = b"".join(r["packed"] for r in rows if r["packed"] is not None)
    top_rows = sorted((r for r in rows if r["product"] is not None), key=lambda r: (-r["revenue"], r["product"]))
    return {**_shape(np.frombuffer(revenues, dtype=">f8"), points),
            "top": [{"product_id": r["product"], "category": r["category"], "revenue": r["revenue"], "items": r["items"],
                     "orders": r["orders"], "average_price": round(r["average_price"], 2)} for r in top_rows]}


def _shape(revenues, points: int) -> dict:
    """The Pareto shape of every product's revenue (any order)."""
    running = np.cumsum(np.sort(revenues)[::-1])
    n = len(running)
    if not n or not running[-1]:
        return {"products": 0, "top20_share": None, "curve": []}
    total, twenty, step = running[-1], -(-n // 5), max(n // points, 1)
    ranks = sorted({1, n, twenty, *range(step, n + 1, step)})
    return {"products": n, "top20_share": float(running[twenty - 1] / total),
            "curve": [(0.0, 0.0)] + [(r / n, float(running[r - 1] / total)) for r in ranks]}


def category_trends(ask, f: Filters, grain: str, top: int = 12) -> list[dict]:
    """Revenue per period of the `top` categories by revenue in the view (their order kept)."""
    leaders = [r["category"] for r in ask(f, ("revenue",), ("category",), order_by=("-revenue", "category"),
                                          limit=top)]
    if not leaders:
        return []
    rank = {c: k for k, c in enumerate(leaders)}
    rows = ask(f, ("revenue",), ("date", "category"), grain, filters={"category": leaders})
    return sorted(({"period": r["date"], "category": r["category"], "revenue": r["revenue"]} for r in rows),
                  key=lambda r: (rank[r["category"]], r["period"]))


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
    """The product's items in the selected orders that meet the item filters (a seller filter keeps
    that seller's items)."""
    columns = ("order_id", "seller_id", "price", "freight_value")
    chosen = chosen_items(CATALOGUE, {**finer(f), "product": (str(product_id),)}, columns).subquery("chosen", *columns)
    return sa.select(chosen).where(chosen.c.order_id.in_(_matched_orders(f))).subquery("product_items")


def product_kpis(ask, f: Filters, product_id: str) -> dict:
    """The product's revenue, items, orders, average price and the average review of its orders."""
    return ask(f, ("revenue", "items", "orders", "average_price", "review_score"), filters={"product": [product_id]})[0]


def product_trend(ask, f: Filters, product_id: str, grain: str) -> list[dict]:
    """The product's revenue and orders per period."""
    return [{"period": r["date"], "revenue": r["revenue"], "orders": r["orders"]}
            for r in ask(f, ("revenue", "orders"), ("date",), grain, filters={"product": [product_id]})]


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
