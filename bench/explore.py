"""Benchmark composed questions: random catalogue queries, cold and warm, against naive SQL over the facts.

    python -m bench.explore --orders 1000000 [--queries 200] [--seed 7]

Uses the data set and database bench/dashboard.py prepares (reused under bench-data/). Draws
--queries random queries from the catalogue (one to three metrics, up to two dimensions, any
grain, up to two filters, ranges from a week to all history), then for each:
  - "cold": answered by the semantic layer (`data.semantic.answer`) with an empty cache;
  - "warm": asked again through the cache the app uses;
  - "naive": the same question as one SQL statement over the fact tables (the star schema), in
    the same run. "naive/cold" is the naive time over the cold time of the same query.
It prints the share answered from rollups, the latencies, the queries slower than naive, and how
often each rollup answered. Machines here are shared and noisy: read the ratios.
"""
from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from bench.dashboard import prepared_database
from data import db
from data.cache import QueryCache
from data.semantic.answer import answer
from data.semantic.catalogue import CATALOGUE
from data.semantic.model import Query
from data.semantic.planner import STAR, plan
from data.semantic.sql import compile_query

POPULAR = ("date", "state", "status", "category", "payment_type", "seller_state", "hour", "weekday", "review_score",
           "delivery_days", "price_band")
RANGES = (7, 30, 90, 90, 365, 365, None)  # days ending on the last date; None: all history


def draw_queries(conn, n: int, seed: int) -> list[Query]:
    rng = random.Random(seed)
    first, last = conn.execute(sa.text("SELECT min(purchase_date), max(purchase_date) FROM warehouse.fact_orders")).one()
    values = {
        "state": ["SP", "RJ", "MG", "RS", "PR", "BA"], "status": ["delivered", "shipped", "canceled", "invoiced"],
        "category": [r[0] for r in conn.execute(sa.text(
            "SELECT product_category_name_english FROM warehouse.dim_products GROUP BY 1 ORDER BY count(*) DESC LIMIT 12"))],
        "payment_type": ["credit_card", "boleto", "voucher", "debit_card"], "seller_state": ["SP", "PR", "MG", "RJ"],
        "review_score": [1, 5], "hour": [10, 20], "weekday": [1, 6], "price_band": [1, 3],
        "seller": [r[0] for r in conn.execute(sa.text(
            "SELECT seller_id::text FROM warehouse.fact_order_items GROUP BY 1 ORDER BY count(*) DESC LIMIT 5"))],
    }
    metrics = sorted(CATALOGUE.metrics)
    out = []
    while len(out) < n:
        ms = rng.sample(metrics, rng.randint(1, 3))
        by = [d for d in rng.sample(POPULAR, rng.choice((0, 1, 1, 2))) if d not in ms]
        filters = {k: rng.sample(values[k], rng.choice((1, 1, 2)) if len(values[k]) > 1 else 1)
                   for k in rng.sample(sorted(values), rng.choice((0, 0, 1, 2)))}
        days = rng.choice(RANGES)
        start = first if days is None else max(first, last - timedelta(days=days - 1))
        grain = rng.choice(("day", "week", "month", "month", "quarter")) if "date" in by else "day"
        out.append(Query(tuple(ms), start, last, tuple(by), grain, filters))
    return out


def timed(fn):
    began = time.perf_counter()
    value = fn()
    return value, (time.perf_counter() - began) * 1000


def p95(xs):
    return sorted(xs)[max(0, round(0.95 * len(xs)) - 1)] if xs else float("nan")


def run(orders: int, queries: int, seed: int) -> None:
    url, embedded = prepared_database(orders, 42)
    engine = db.make_engine(url, statement_timeout=120)
    try:
        with engine.connect() as conn:
            qs = draw_queries(conn, queries, seed)
        rows = []
        with tempfile.TemporaryDirectory() as tmp:
            cache = QueryCache(Path(tmp), lambda: engine)
            for q in qs:
                with engine.connect() as conn:
                    got, cold = timed(lambda: answer(conn, q))
                    prepared = CATALOGUE.prepare(q)
                    star = compile_query(CATALOGUE, prepared, plan(CATALOGUE.star_only(), prepared))
                    naive_rows, naive = timed(lambda: [tuple(r) for r in conn.execute(star.text(), star.params)])
                assert naive_rows == got.rows, (q, got.explain)  # the benchmark checks what it times
                cache.answer("q", q, lambda: got)  # fills the cache as the app's first asker does
                _, warm = timed(lambda: cache.answer("q", q, lambda: None))
                rows.append((got.answered_from, cold, warm, naive, q))
        report(rows, orders)
    finally:
        engine.dispose()
        if embedded is not None:
            embedded.cleanup()


def report(rows, orders: int) -> None:
    rolled = [r for r in rows if r[0] != STAR]
    star = [r for r in rows if r[0] == STAR]
    print(f"\n{len(rows)} random catalogue queries at {orders:,} orders; "
          f"{len(rolled) / len(rows):.0%} answered from rollups\n")
    print(f"{'answered by':<18}{'queries':>8}{'cold p50':>10}{'cold p95':>10}{'warm p95':>10}{'naive p50':>11}"
          f"{'naive/cold':>12}")
    for name, part in (("rollups", rolled), ("star", star), ("all", rows)):
        if not part:
            continue
        cold, warm, naive = [r[1] for r in part], [r[2] for r in part], [r[3] for r in part]
        print(f"{name:<18}{len(part):>8}{statistics.median(cold):>9.1f}ms{p95(cold):>8.1f}ms{p95(warm):>8.1f}ms"
              f"{statistics.median(naive):>9.1f}ms{sum(naive) / sum(cold):>11.1f}x")
    slower = [r for r in rolled if r[1] > r[3]]
    print(f"\nrollup answers slower than the naive SQL: {len(slower)} of {len(rolled)}")
    for table, cold, _, naive, q in slower:
        print(f"  {cold:.1f} ms from {table} against {naive:.1f} ms naive: {', '.join(q.metrics)} by "
              f"{', '.join(q.by) or 'nothing'}, {q.start}..{q.end}, filters {q.filters or 'none'}")
    print("hits per rollup: " + ", ".join(f"{k} {n}" for k, n in Counter(r[0] for r in rows).most_common()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    run(args.orders, args.queries, args.seed)


if __name__ == "__main__":
    main()
