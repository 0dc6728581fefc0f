"""The one object the web layer asks questions of: cached answers to the query layer's questions.

It holds an engine getter and a QueryCache; it knows nothing of Dash or Flask, so the benchmarks
call it exactly as the callbacks do.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from data import customers, delivery, forecast, live, payments, products, queries, reviews, sellers
from data.cache import QueryCache
from data.filters import ALL_STATUSES, Filters
from data.metrics import KPIS
from data.scope import EVERYTHING, Scope
from data.semantic.answer import Answer, answer, domain, statement
from data.semantic.catalogue import CATALOGUE
from data.semantic.model import Query


class Warehouse:
    """Every question takes Filters; the warehouse applies its scope to them first, so a scoped
    view (`scoped`) answers inside the scope whatever filters a caller passes."""

    def __init__(self, engine_getter, cache_dir: Path, scope: Scope = EVERYTHING, cache: QueryCache | None = None):
        self.engine = engine_getter
        self.cache = cache or QueryCache(cache_dir, engine_getter)
        self.scope = scope

    def scoped(self, scope: Scope) -> Warehouse:
        """The same warehouse and cache, answering only inside `scope`."""
        return self if scope == self.scope else Warehouse(self.engine, None, scope, self.cache)

    def _ask(self, name: str, args, fn, days: tuple | None = None):
        """`fn(conn)`, cached under `name` and `args`; `days` (start, end) where it reads those
        purchase days alone (data.cache.QueryCache.answer)."""
        def compute():
            with self.engine().connect() as conn:
                return fn(conn)
        return self.cache.answer(name, args, compute, days)

    def bounds(self) -> dict:
        return self._ask("bounds", (), queries.bounds)

    def ask(self, f: Filters, metrics, by=(), grain: str = "day", order_by=(), limit: int | None = None,
            filters: dict | None = None) -> list[dict]:
        """Metrics by dimensions over the filters, answered by the semantic layer (the smallest rollup
        that is exact, else the star), as rows of dicts keyed by the dimension and metric keys.
        `filters` (dimension key to values) adds to the filter bar's, or narrows one of them."""
        found = self.answer(f, metrics, by, grain, order_by, limit, filters)
        return [dict(zip(found.columns, row)) for row in found.rows]

    def answer(self, f: Filters, metrics, by=(), grain: str = "day", order_by=(), limit: int | None = None,
               filters: dict | None = None) -> Answer:
        """`ask`'s answer as the semantic layer gives it: columns, rows, and which table answered how."""
        q = self._query(f, metrics, by, grain, order_by, limit, filters)
        return self._ask("semantic", (q, self.scope), lambda conn: answer(conn, q, self.scope), (q.start, q.end))

    def domain(self, key: str) -> tuple:
        """The values dimension `key` can take (its declared list, or what the data holds)."""
        return self._ask("semantic.domain", key, lambda conn: domain(conn, CATALOGUE, key))

    def _query(self, f: Filters, metrics, by=(), grain: str = "day", order_by=(), limit=None, filters=None) -> Query:
        f = self.scope.apply(f)
        chosen = {**f.by_dimension(), **{k: tuple(v) for k, v in (filters or {}).items()}}
        return Query(tuple(metrics), f.start, f.end, tuple(by), grain, chosen, tuple(order_by), limit)

    def _read_answer(self, name: str, q: Query, read):
        """`read(conn, statement)` over the semantic layer's uncapped statement for `q` (an analysis
        that reads a whole answer, every product or seller, inside its own SQL), cached."""
        return self._ask(name, (q, self.scope), lambda conn: read(conn, statement(conn, q, self.scope)),
                         (q.start, q.end))

    def kpis(self, f: Filters) -> dict:
        """The KPI cards' metrics over the range (None where there is nothing to divide)."""
        return self.ask(f, KPIS)[0]

    def timeseries(self, f: Filters, grain: str) -> list[dict]:
        """Revenue and orders per `grain` period of the range (periods without orders left out)."""
        return [{"period": r["date"], "revenue": r["revenue"], "orders": r["orders"]}
                for r in self.ask(f, ("revenue", "orders"), ("date",), grain)]

    def seller_options(self, typed: str) -> list[dict]:
        within = self.scope.sellers
        return self._ask("sellers", (typed.lower()[:36], within),
                         lambda conn: queries.seller_options(conn, typed, within))

    def seller_labels(self, ids: tuple[str, ...]) -> dict[str, str]:
        """Labels of the sellers with these ids that exist inside the scope."""
        ids = tuple(sorted(v for v in ids if self.scope.allows_seller(v)))
        return self._ask("seller_labels", ids, lambda conn: queries.seller_labels(conn, ids))

    def status_mix(self, f: Filters) -> list[dict]:
        """Orders by status within the other filters: every status, so the mix shows what is left out."""
        return self.ask(replace(f, statuses=ALL_STATUSES), ("orders",), ("status",), order_by=("-orders", "status"))

    def top_categories(self, f: Filters, limit: int = 10) -> list[dict]:
        """Categories by revenue of their items, with the orders holding them."""
        return self.ask(f, ("revenue", "orders"), ("category",), order_by=("-revenue", "category"), limit=limit)

    def payment_mix(self, f: Filters) -> list[dict]:
        """Payment value and payment rows by payment type."""
        return [{"payment_type": r["payment_type"], "value": r["payments"], "payments": r["payment_count"]}
                for r in self.ask(f, ("payments", "payment_count"), ("payment_type",),
                                  order_by=("-payments", "payment_type"))]

    def revenue_by_state(self, f: Filters) -> list[dict]:
        return self.ask(f, ("revenue", "orders"), ("state",), order_by=("-revenue", "state"))

    def cities(self, f: Filters) -> list[dict]:
        f = self.scope.apply(f)
        return self._ask("cities", f.key(), lambda conn: queries.cities(conn, f), (f.start, f.end))

    def weekday_hour(self, f: Filters) -> list[dict]:
        """Orders by ISO day of week (1 = Monday) and hour of purchase (cells with no orders left out)."""
        return [{"dow": r["weekday"], "hour": r["hour"], "orders": r["orders"]}
                for r in self.ask(f, ("orders",), ("weekday", "hour"))]

    def top_products(self, f: Filters) -> list[dict]:
        """The view's 500 products of most revenue, with items, orders and average price."""
        return self._ranked_products(f)["top"]

    def category_table(self, f: Filters) -> list[dict]:
        return products.category_table(self.ask, f)

    def price_bands(self, f: Filters) -> list[dict]:
        return products.price_bands(self.ask, f)

    def category_trends(self, f: Filters, grain: str) -> list[dict]:
        return products.category_trends(self.ask, f, grain)

    def pareto(self, f: Filters) -> dict:
        """Revenue concentration over every product of the view (data/products.py)."""
        shape = self._ranked_products(f)
        return {k: shape[k] for k in ("products", "top20_share", "curve")}

    def _ranked_products(self, f: Filters) -> dict:
        """The Pareto shape and the top products: one answer, so that the page's callbacks asking
        for either at once wait for one grouping of every product (the cache's lock per key)."""
        return self._read_answer("products.ranked", self._query(f, *products.PRODUCTS), products.ranked)

    def product_kpis(self, f: Filters, product_id: str) -> dict:
        return products.product_kpis(self.ask, f, product_id)

    def product_trend(self, f: Filters, product_id: str, grain: str) -> list[dict]:
        return products.product_trend(self.ask, f, product_id, grain)

    def product_sellers(self, f: Filters, product_id: str) -> list[dict]:
        f = self.scope.apply(f)
        return self._page(products.product_sellers, f, (product_id,))

    def product_reviews(self, f: Filters, product_id: str) -> list[dict]:
        f = self.scope.apply(f)
        return self._page(products.product_reviews, f, (product_id,))

    def state_metrics(self, f: Filters) -> list[dict]:
        """Per customer state, the map's metrics, largest revenue first."""
        return self.ask(f, ("revenue", "orders", "customers", "aov", "on_time_rate", "review_score", "freight_per_order"),
                        ("state",), order_by=("-revenue", "state"))

    def flows(self, f: Filters, limit: int = 50) -> list[dict]:
        """The busiest seller-state to customer-state flows: orders, items, revenue, freight and delivery
        days (an order with items from two seller states counts in both flows)."""
        return [{"seller_state": r["seller_state"], "customer_state": r["state"], "orders": r["orders"],
                 "items": r["items"], "revenue": r["revenue"], "freight": r["freight"],
                 "delivery_days": r["delivery_days"]}
                for r in self.ask(f, ("orders", "items", "revenue", "freight", "delivery_days"),
                                  ("seller_state", "state"), order_by=("-orders", "-revenue", "seller_state", "state"),
                                  limit=limit)]

    def delivery_kpis(self, f: Filters) -> dict:
        return delivery.kpis(self.ask, f)

    def delivery_trend(self, f: Filters, grain: str) -> list[dict]:
        return delivery.trend(self.ask, f, grain)

    def delivery_by_state(self, f: Filters) -> list[dict]:
        return delivery.by_state(self.ask, f)

    def delivery_histogram(self, f: Filters) -> list[dict]:
        return delivery.histogram(self.ask, f)

    def reviews_by_lateness(self, f: Filters) -> list[dict]:
        return delivery.reviews_by_lateness(self.ask, f)

    def review_kpis(self, f: Filters) -> dict:
        return reviews.kpis(self.ask, f)

    def score_mix(self, f: Filters) -> list[dict]:
        return reviews.score_mix(self.ask, f)

    def review_trend(self, f: Filters, grain: str) -> list[dict]:
        return reviews.trend(self.ask, f, grain)

    def reviews_by_category(self, f: Filters, limit: int = 20) -> list[dict]:
        return reviews.by_category(self.ask, f, limit)

    def reviews_by_seller(self, f: Filters, limit: int = 500) -> list[dict]:
        return reviews.by_seller(self.ask, f, limit)

    def low_scores(self, f: Filters, limit: int = 100) -> list[dict]:
        """The latest low scores of the view, by the plan that reads fewer rows for it (data/reviews.py)."""
        f = self.scope.apply(f)

        def read(conn):  # the plan is chosen only when the answer is not cached
            return reviews.low_scores(conn, f, limit, reviews.cheaper_low_scores_plan(self.ask, f, limit,
                                                                                     self.bounds()["last"]))
        return self._ask("reviews.low_scores", (f.key(), limit), read, (f.start, f.end))

    def payment_types_over_time(self, f: Filters, grain: str) -> list[dict]:
        return payments.types_over_time(self.ask, f, grain)

    def installments(self, f: Filters) -> list[dict]:
        return payments.installments(self.ask, f)

    def reconciliation(self, f: Filters, tolerance, limit: int = 500) -> dict:
        """Orders whose payments differ from their value by more than `tolerance` (data/payments.py)."""
        f = self.scope.apply(f)
        return self._page(payments.reconciliation, f, (tolerance, limit))

    def leaderboard(self, f: Filters, limit: int = 500) -> list[dict]:
        """Sellers by revenue with their share, reviews, delivery and cancellations (data/sellers.py)."""
        return sellers.leaderboard(self.ask, self._seller_cities, f, limit)

    def _seller_cities(self, ids: tuple[str, ...]) -> dict[str, str]:
        ids = tuple(sorted(ids))
        return self._ask("sellers.cities", ids, lambda conn: sellers.cities(conn, ids))

    def seller_revenues(self, f: Filters) -> list[tuple[str, Decimal]]:
        """(seller state, revenue) of every seller with revenue in the view, largest first: the Sellers
        page's cards, Lorenz curve and states read this one answer."""
        return self._read_answer("sellers.revenues", self._query(f, *sellers.SELLER_REVENUE), sellers.revenues)

    def sellers_by_state(self, f: Filters) -> list[dict]:
        return sellers.by_state(self.seller_revenues(f))

    def worst_reviews(self, f: Filters, limit: int = 20) -> list[dict]:
        f = self.scope.apply(f)
        return self._page(sellers.worst_reviews, f, (limit,))

    def customer_summary(self, f: Filters) -> dict:
        """People in the view: new, returning, repeat customers (data/customers.py)."""
        return self._page(customers.summary, self.scope.apply(f), ())

    def new_returning(self, f: Filters, grain: str) -> list[dict]:
        return self._page(customers.new_returning, self.scope.apply(f), (grain,))

    def second_order(self, f: Filters) -> dict:
        return self._page(customers.second_order, self.scope.apply(f), ())

    def cohorts(self, f: Filters) -> list[dict]:
        return self._page(customers.cohorts, self.scope.apply(f), ())

    def ltv_tiers(self, f: Filters) -> list[dict]:
        return self._page(customers.ltv_tiers, self.scope.apply(f), ())

    def rfm_segments(self, f: Filters) -> list[dict]:
        return self._scored(customers.rfm_segments, self.scope.apply(f), ())

    def segment_members(self, f: Filters, segment: str, limit: int = 500) -> list[dict]:
        return self._scored(customers.segment_members, self.scope.apply(f), (segment, limit))

    def _scored(self, ask, f: Filters, args: tuple):
        """An RFM question. They share the view's scoring (`customers.rfm`: thresholds and cells, the
        costly part), cached as a question of its own: the segments chart and the members table that
        a page fires together compute it once."""
        def compute():  # the scoring is looked up only when this answer is not cached
            scored = self._page(customers.rfm, f, ())
            with self.engine().connect() as conn:
                return ask(conn, f, *args, scored=scored)
        return self.cache.answer(f"{ask.__module__}.{ask.__name__}", (f.key(), args), compute, (f.start, f.end))

    def product(self, product_id: str) -> dict | None:
        return self._ask("product", product_id.lower()[:40], lambda conn: products.find(conn, product_id))

    def seller(self, seller_id: str) -> dict | None:
        """The seller, or None when there is none by that id or it lies outside the scope."""
        found = self._ask("seller", seller_id.lower()[:40], lambda conn: sellers.find(conn, seller_id))
        return found if found is not None and self.scope.allows_seller(found["seller_id"]) else None

    def daily(self, f: Filters) -> dict:
        """Revenue and orders per day of the range (pandas Series), every day present: from the
        cached day-grain time series the Overview's chart also reads, not a query of its own."""
        f = self.scope.apply(f)
        return forecast.as_daily(self.timeseries(f, "day"), f)

    def anomalies(self, f: Filters, measure: str) -> list[dict]:
        f = self.scope.apply(f)
        return self.cache.answer("forecast.anomalies", (f.key(), measure),
                                 lambda: forecast.anomalies(self.daily(f)[measure]), (f.start, f.end))

    def demand(self, f: Filters, weeks: int) -> list[dict]:
        """Items per category over the next `weeks` weeks after the range, with intervals (the export's
        copy of the page's table, which a background job computes)."""
        f = self.scope.apply(f)
        return self._ask("forecast.demand", (f.key(), weeks), lambda conn: forecast.demand_after(conn, f, weeks))

    def live_now(self):
        """The data's "now": its latest purchase (data/live.py)."""
        return self._ask("live.now", (), live.now)

    def live_today(self, moment) -> dict:
        """Today up to now's minute against the same weekday a week before (data/live.py)."""
        return live.today(self.ask, moment)

    def live_per_minute(self, moment, hours: int = 3) -> dict:
        return live.per_minute(self.ask, moment, hours)

    def latest_orders(self, moment, limit: int = 25) -> list[dict]:
        """The newest orders of today and yesterday inside the scope, newest first (data/live.py)."""
        day = moment.date()
        f = Filters(day - timedelta(days=1), day, statuses=ALL_STATUSES)  # canceled orders too: it is a feed
        return self._page(live.latest_orders, self.scope.apply(f), (limit,))

    def batches(self, limit: int = 20) -> list[dict]:
        """The watcher's latest batches and their lag (data/live.py)."""
        return self._ask("live.batches", limit, lambda conn: live.batches(conn, limit))

    def _page(self, ask, f: Filters, args: tuple):
        """`ask(conn, f, *args)`, one of data/'s hand-written analyses, cached under its module and name."""
        return self._ask(f"{ask.__module__}.{ask.__name__}", (f.key(), args), lambda conn: ask(conn, f, *args),
                         (f.start, f.end))
