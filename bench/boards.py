"""Benchmark self-serve analysis: Explore's round trips and a 12-card dashboard, over HTTP, against
the naive SQL over the fact tables in the same run.

    python -m bench.boards --orders 1000000 [--sets 20] [--seed 42]

Uses the data set and database bench/dashboard.py prepares (reused under bench-data/), saves 12
questions and a dashboard of them for the benchmark's user, starts the app with gunicorn (a worker
per core, as `python app.py` serves on this two-core machine), and for
each of --sets random views (bench.dashboard.filter_sets):
  - dashboard "cold": the 12 cards asked at once, as the browser does (six connections, as Chromium
    opens to one host), with an empty cache; the time until every card has its answer;
  - dashboard "warm": the same view again; each view's cold time is also counted apart by whether
    every card came from a rollup or some card needed the fact tables (no rollup keeps what it asks);
  - Explore: compose (a new question under the view), change the chart type (the same answer
    drawn another way), change the filters (the question under the next view), one request each;
  - "naive": the 12 cards' questions as plain SQL over the star schema (the catalogue without
    rollups), six at a time on six connections, in the same run.
Machines here are shared and noisy: read the ratios.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import diskcache

from bench.dashboard import USER, Client, filter_sets, pct, prepared_database, start_app
from data import dashboards, db, exploration as ex, questions, users
from data.filters import Filters, to_store
from data.queries import auto_grain
from data.semantic.answer import answer
from data.semantic.catalogue import CATALOGUE
from data.semantic.model import Query

# Twelve questions an analyst puts on a board: trends, mixes, maps, numbers and two pivots.
CARDS = (
    ("Revenue over time", {"metrics": "revenue", "by": "date"}),
    ("Orders by state", {"metrics": "orders", "by": "state", "chart": "map"}),
    ("Revenue and AOV by payment type", {"metrics": "revenue,aov", "by": "payment_type"}),
    ("Service", {"metrics": "review_score,on_time_rate", "vs": "previous"}),
    ("Top categories", {"metrics": "revenue", "by": "category"}),
    ("Orders by hour", {"metrics": "orders", "by": "hour"}),
    ("Revenue by payment type per month", {"metrics": "revenue", "by": "date,payment_type", "grain": "month"}),
    ("Delivery by seller state", {"metrics": "delivery_days,late_share", "by": "seller_state"}),
    ("Price bands", {"metrics": "items,freight", "by": "price_band"}),
    ("Customers", {"metrics": "customers,new_customers", "vs": "year"}),
    ("Weekday by status", {"metrics": "orders", "by": "weekday,status"}),
    ("Categories by state", {"metrics": "revenue", "by": "category,state"}),
)
BROWSER_CONNECTIONS = 6


def board(url: str) -> int:
    """The benchmark user's 12-card dashboard (made once, kept by later runs)."""
    engine = db.make_engine(url)
    try:
        user = users.find(engine, USER)
        found = [d for d in dashboards.listed(engine, user, "benchmark") if d.name == "Benchmark board"]
        if found and len(found[0].cards) == len(CARDS):
            return found[0].dashboard_id
        d = dashboards.create(engine, user, "Benchmark board")
        for name, query in CARDS:
            q = questions.create(engine, user, name, "", query)
            d = dashboards.add_question(engine, user, d.dashboard_id, q.question_id)
        return d.dashboard_id
    finally:
        engine.dispose()


def card_dep(client: Client) -> dict:
    deps = client.http.get(client.base + "/_dash-dependencies").json()
    return next(d for d in deps if d["inputs"] and d["inputs"][0]["id"] == '{"card":["MATCH"],"type":"card-ref"}')


def explore_dep(client: Client) -> dict:
    deps = client.http.get(client.base + "/_dash-dependencies").json()
    return next(d for d in deps if d["output"].startswith("..explore-chart-graph.figure"))


def post(client: Client, body: dict) -> tuple[float, bool]:
    """Seconds until the answer arrived, and whether the fact tables gave it (no rollup could)."""
    started = time.perf_counter()
    got = client.http.post(client.base + "/_dash-update-component", json=body)
    elapsed = time.perf_counter() - started
    if got.status_code != 200 or "cannot be answered" in got.text or "no dashboard" in got.text:
        sys.exit(f"a call answered {got.status_code}: {got.text[:300]}")
    return elapsed, "answered from the fact tables" in got.text


def card_body(dep: dict, dashboard_id: int, card_id: str, f: Filters) -> dict:
    ref = {"card": card_id, "type": "card-ref"}
    return {"output": dep["output"],
            "outputs": [{"id": {"card": card_id, "type": t}, "property": p} for t, p in
                        (("card-graph", "figure"), ("card-graph", "style"), ("card-number", "children"),
                         ("card-note", "children"))],
            "inputs": [{"id": ref, "property": "data", "value": {"dashboard": dashboard_id, "card": card_id}},
                       {"id": "filters", "property": "data", "value": to_store(f)},
                       {"id": "theme", "property": "data", "value": "light"},
                       {"id": "dashboard-refresh", "property": "n_intervals", "value": None}],
            "changedPropIds": [json.dumps(ref, separators=(",", ":")) + ".data"]}


def explore_body(dep: dict, question: dict, f: Filters) -> dict:
    outputs = [{"id": p.rsplit(".", 1)[0], "property": p.rsplit(".", 1)[1]} for p in dep["output"][2:-2].split("...")]
    return {"output": dep["output"], "outputs": outputs,
            "inputs": [{"id": "explore-shown", "property": "data", "value": {"page": "/explore", "question": question}},
                       {"id": "filters", "property": "data", "value": to_store(f)},
                       {"id": "theme", "property": "data", "value": "light"}],
            "changedPropIds": ["explore-shown.data"]}


def naive_queries(f: Filters) -> list[Query]:
    """The 12 cards' questions as the semantic layer's Queries under view `f` (the star answers them)."""
    out = []
    for _name, query in CARDS:
        e = ex.parse(query)[0]
        e = replace(e, grain=e.grain or auto_grain(f))
        out.append(Query(e.metrics, f.start, f.end, e.by, e.grain, f.by_dimension(), e.order_by(), e.row_limit()))
        if e.vs:
            g = f.compared(e.vs)
            out.append(Query(e.metrics, g.start, g.end, e.by, e.grain, g.by_dimension(), e.order_by(), e.row_limit()))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--sets", type=int, default=20)
    args = parser.parse_args()

    url, embedded = prepared_database(args.orders, args.seed)
    dashboard_id = board(url)
    views, _ = filter_sets(url, args.sets + 1, args.seed + 100)
    instance = Path(tempfile.mkdtemp(prefix="bench-boards-"))
    proc, base = start_app(url, instance, workers=2)  # as `python app.py` serves here: a worker per core
    times = {k: [] for k in ("board cold", "board cold, every card from rollups", "board cold, some card from the facts",
                             "board warm", "board naive", "compose", "chart type", "filters")}
    star_cards = []
    star = CATALOGUE.star_only()
    engine = db.make_engine(url, pool_size=BROWSER_CONNECTIONS)
    try:
        client = Client(base, ())
        cache = diskcache.Cache(str(instance / "cache"))
        cards, explore = card_dep(client), explore_dep(client)
        for _ in range(4):  # each worker's engine, once
            post(client, card_body(cards, dashboard_id, "c1", views[0]))
        ids = [f"c{k}" for k in range(1, len(CARDS) + 1)]

        def naive_one(q: Query) -> None:
            with engine.connect() as conn:
                answer(conn, q, c=star)
        with ThreadPoolExecutor(BROWSER_CONNECTIONS) as pool:
            for n, (f, following) in enumerate(zip(views, views[1:]), 1):
                cache.clear()
                for label in ("board cold", "board warm"):
                    started = time.perf_counter()
                    answers = list(pool.map(lambda c: post(client, card_body(cards, dashboard_id, c, f)), ids))
                    times[label].append(time.perf_counter() - started)
                    if label == "board cold":
                        cold_answers = answers
                facts = sum(from_facts for _t, from_facts in cold_answers)
                times["board cold, every card from rollups" if not facts else
                      "board cold, some card from the facts"].append(times["board cold"][-1])
                star_cards.append(facts)
                started = time.perf_counter()
                list(pool.map(naive_one, naive_queries(f)))
                times["board naive"].append(time.perf_counter() - started)
                question = ex.to_query(ex.parse({"metrics": "revenue,orders", "by": "date,state", "vs": "year"})[0])
                times["compose"].append(post(client, explore_body(explore, question, f))[0])
                times["chart type"].append(post(client, explore_body(explore, {**question, "chart": "area"}, f))[0])
                times["filters"].append(post(client, explore_body(explore, question, following))[0])
                print(f"  view {n}/{args.sets} done", file=sys.stderr)
    finally:
        engine.dispose()
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(instance, ignore_errors=True)
        if embedded is not None:
            embedded.cleanup()

    ms = 1000
    print(f"\nSelf-serve benchmark: {args.orders:,} orders, {args.sets} random views, over HTTP with a logged-in "
          f"session, {BROWSER_CONNECTIONS} connections (milliseconds)\n")
    print(f"{'':<38}{'p50':>9}{'p95':>9}{'max':>9}{'':>7}")
    for label, values in times.items():
        if values:
            print(f"{label:<38}{pct(values, .5) * ms:>9.1f}{pct(values, .95) * ms:>9.1f}{max(values) * ms:>9.1f}"
                  f"{len(values):>7} views")
    print(f"\ncards answered from the fact tables per view (of {len(CARDS)}): {star_cards}")
    ratio = sum(times["board naive"]) / sum(times["board cold"])
    print(f"\n12-card dashboard, every card answered: cold p95 {pct(times['board cold'], .95) * ms:.0f} ms "
          f"(goal < 1,500), warm p95 {pct(times['board warm'], .95) * ms:.0f} ms (goal < 200); "
          f"naive/cold {ratio:.1f}x")


if __name__ == "__main__":
    main()
