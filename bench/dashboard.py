"""Benchmark the dashboard's callbacks through the real HTTP endpoint, against naive SQL over the facts.

    python -m bench.dashboard --orders 1000000

Generates (or reuses, under bench-data/) a data set and loads it into a database of one server
(BENCH_DATABASE_URL, or an embedded PostgreSQL kept under bench-data/pgdata so later runs skip the
load), starts the app under gunicorn, logs in, and for each of --sets random filter sets:
  1. empties the cache and fires every callback of a page at once, as the browser does: "page";
  2. empties the cache and calls each callback alone: "cold";
  3. calls each callback again: "warm" (the answer comes from the cache);
then runs, in the same run, the naive statements that answer the same charts from the fact
tables (bench/naive.py). "naive/cold" is the naive time over all views divided by the cold time
over the same views. Machines here are shared and noisy: read the ratios.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import diskcache
import psycopg
import requests

from bench import naive
from bench.etl import ROOT, etl_load, files_of, with_db
from data import db, migrate, queries, users
from data.filters import ALL_STATUSES, DEFAULT_STATUSES, STATES, Filters, preset_range, to_store
from etl import formats
from etl.generate import generate

PAGES = ("overview", "sales", "customers", "products", "sellers", "seller", "payments", "delivery", "reviews",
         "geography")  # "seller": a seller's own page, /sellers/<seller_id>
USER, PASSWORD = "bench", "bench password 1"


def prepared_database(orders: int, seed: int) -> tuple[str, object]:
    """A database holding the generated data set, loaded once and reused by later runs."""
    folder = ROOT / "bench-data" / f"orders-{orders}-seed-{seed}"
    if not (folder / formats.ORDERS.file_name).exists():
        started = time.perf_counter()
        generate(folder, orders, seed)
        print(f"generated {orders:,} orders in {time.perf_counter() - started:.1f}s")
    embedded = None
    server = os.environ.get("BENCH_DATABASE_URL")
    if not server:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import pgserver

            embedded = pgserver.get_server(ROOT / "bench-data" / "pgdata", cleanup_mode=None)
        server = embedded.get_uri("postgres")
        db.tune_embedded(server)
    name = f"dashboard_{orders}_{seed}"
    with psycopg.connect(server, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')  # name built from two integers
    url = with_db(server, name)
    migrate.upgrade_url(url)
    started = time.perf_counter()
    etl_load(url, folder)  # unchanged files are skipped by fingerprint
    print(f"data set ready ({time.perf_counter() - started:.1f}s): {len(files_of(folder))} files, {orders:,} orders")
    engine = db.make_engine(url)
    try:
        users.create(engine, USER, PASSWORD, "analyst")
    except users.UserError:
        pass  # made by an earlier run
    engine.dispose()
    return url, embedded


def filter_sets(url: str, count: int, seed: int) -> tuple[list[Filters], list[str]]:
    """Random views as analysts make them: presets and custom ranges, some states, a category, a
    seller, a payment type, a seller state; and for each, the seller whose own page is opened (the
    view's seller, else one of the 200 busiest)."""
    rng, pick = random.Random(seed), random.Random(seed + 1)  # the views do not depend on the pages' sellers
    more = random.Random(seed + 2)  # the filters added later: the earlier ones' views stay as they were
    engine = db.make_engine(url)
    with engine.connect() as conn:
        b = queries.bounds(conn)
        sellers = [str(s) for s in conn.exec_driver_sql(
            "SELECT seller_id FROM warehouse.fact_order_items GROUP BY 1 ORDER BY count(*) DESC LIMIT 200").scalars()]
    engine.dispose()
    first, last = b["first"], b["last"]
    out, pages = [], []
    for _ in range(count):
        if rng.random() < 0.6:
            start, end = preset_range(rng.choice(["7d", "30d", "90d", "365d", "mtd", "qtd", "ytd", "all"]), first, last)
        else:
            start = first + timedelta(days=rng.randrange((last - first).days))
            end = min(last, start + timedelta(days=rng.randrange(7, 500)))
        states = tuple(rng.sample(STATES, rng.randint(1, 3))) if rng.random() < 0.4 else ()
        roll = rng.random()
        categories = (tuple(rng.sample(b["values"]["category"], 1)) if roll < 0.25 else
                      tuple(rng.sample(b["values"]["category"], 2)) if roll < 0.3 else ())
        seller = (rng.choice(sellers),) if rng.random() < 0.1 else ()
        statuses = (tuple(rng.sample(ALL_STATUSES, rng.randint(1, 8))) if rng.random() < 0.2
                    else DEFAULT_STATUSES)
        payment_types = (more.choice(b["values"]["payment_type"]),) if more.random() < 0.15 else ()
        seller_states = tuple(more.sample(["SP", "MG", "PR", "RJ", "SC", "RS"], more.randint(1, 2))) \
            if more.random() < 0.15 else ()
        out.append(Filters(start, end, states=states, categories=categories, sellers=seller, statuses=statuses,
                           payment_types=payment_types, seller_states=seller_states))
        pages.append(seller[0] if seller else pick.choice(sellers))
    return out, pages


class Client:
    """A logged-in browser session, reduced to the HTTP calls Dash's renderer makes."""

    def __init__(self, base: str, pages: tuple[str, ...] = PAGES):
        self.base = base
        self.http = requests.Session()
        page = self.http.get(base + "/login").text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        answer = self.http.post(base + "/login", data={"username": USER, "password": PASSWORD, "csrf_token": token})
        answer.raise_for_status()
        deps = self.http.get(base + "/_dash-dependencies")
        deps.raise_for_status()
        self.callbacks = [d for d in deps.json()
                          if any(i["id"] == "filters" for i in d["inputs"]) and self.page_of(d) in pages]

    @staticmethod
    def outputs(dep) -> list[dict]:
        spec = dep["output"]
        parts = spec[2:-2].split("...") if spec.startswith("..") else [spec]
        return [{"id": p.rsplit(".", 1)[0], "property": p.rsplit(".", 1)[1]} for p in parts]

    @classmethod
    def page_of(cls, dep) -> str:
        return cls.outputs(dep)[0]["id"].split("-")[0]

    @classmethod
    def name_of(cls, dep) -> str:
        first = cls.outputs(dep)[0]["id"]
        if "-kpi-" in first:
            return first.split("-kpi-")[0] + "-kpi (all cards)"
        return first

    def call(self, dep, f: Filters, seller: str | None = None) -> float:
        """POST one callback as the renderer does (on the page of `seller`, for a seller's page);
        return the seconds until its answer arrived."""
        store = to_store(f)
        values = {"filters": store, "theme": "light", "overview-grain": "auto", "geography-metric": "revenue",
                  "payments-tolerance": 1, "customers-cohort-measure": "pct", "seller-id": seller}
        outputs = self.outputs(dep)
        body = {"output": dep["output"], "outputs": outputs if len(outputs) > 1 else outputs[0],
                "inputs": [{**i, "value": values.get(i["id"])} for i in dep["inputs"]],
                "changedPropIds": ["filters.data"], "state": [{**s, "value": None} for s in dep["state"]]}
        started = time.perf_counter()
        answer = self.http.post(self.base + "/_dash-update-component", json=body)
        elapsed = time.perf_counter() - started
        if answer.status_code != 200:
            sys.exit(f"{self.name_of(dep)} answered {answer.status_code}: {answer.text[:200]}")
        return elapsed


def rollup_scans(url: str) -> dict[str, int]:
    """Scans so far of each rollup table (PostgreSQL's own counts): which rollups the pages read."""
    with psycopg.connect(url) as conn:
        return {name: n for name, n in conn.execute(
            "SELECT relname, coalesce(seq_scan, 0) + coalesce(idx_scan, 0) FROM pg_stat_user_tables "
            "WHERE schemaname = 'warehouse' AND (relname LIKE 'rollup%' OR relname IN ('customer_orders', "
            "'order_categories', 'repeat_buyer_orders', 'agg_daily_single_ltv', 'low_reviews', 'unreconciled_orders'))")}


def start_app(url: str, instance: Path, workers: int = 1) -> tuple[subprocess.Popen, str]:
    port = 8600 + os.getpid() % 300
    env = {**os.environ, "DATABASE_URL": url, "INSTANCE_DIR": str(instance), "SECRET_KEY": "b" * 32,
           "LOG_LEVEL": "WARNING"}
    gunicorn = shutil.which("gunicorn") or sys.exit("gunicorn is not installed (pip install -r requirements.txt)")
    log = open(ROOT / "bench-data" / "dashboard-app.log", "w")  # the app's own log, for when a call fails
    # A keep-alive longer than any pause of the client: gunicorn's default (2 s) closes pooled
    # connections just as the next request goes out on them.
    proc = subprocess.Popen([gunicorn, "app:server", "-w", str(workers), "--threads", "8", "--timeout", "600",
                             "--keep-alive", "300", "-b", f"127.0.0.1:{port}"], cwd=ROOT, env=env, stdout=log,
                            stderr=log)
    base = f"http://127.0.0.1:{port}"
    for _ in range(240):
        try:
            if requests.get(base + "/healthz", timeout=2).ok:
                return proc, base
        except requests.RequestException:
            pass
        time.sleep(0.5)
    proc.kill()
    sys.exit("the app did not start")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--sets", type=int, default=20, help="random filter sets (at least 20 for the README)")
    parser.add_argument("--json", action="store_true", help="also print the raw timings as JSON")
    parser.add_argument("--pages", default=",".join(PAGES), help="comma-separated pages to time (default: all)")
    parser.add_argument("--no-naive", action="store_true",
                        help="skip the naive SQL (most of a full run's time); the ratios are then not printed")
    args = parser.parse_args()
    pages = tuple(p for p in PAGES if p in args.pages.split(","))

    url, embedded = prepared_database(args.orders, args.seed)
    views, page_sellers = filter_sets(url, args.sets, args.seed)
    instance = Path(tempfile.mkdtemp(prefix="bench-app-"))
    proc, base = start_app(url, instance)
    cold, warm, naive_s = {}, {}, {}
    page_cold, page_naive = {p: [] for p in pages}, {p: [] for p in pages}
    before, hits = rollup_scans(url), {}
    try:
        client = Client(base, pages)
        cache = diskcache.Cache(str(instance / "cache"))
        by_page = {p: [d for d in client.callbacks if client.page_of(d) == p] for p in pages}
        client.call(client.callbacks[0], views[0])  # the app's engine and migrations check, once
        with psycopg.connect(url) as conn, ThreadPoolExecutor(16) as pool:
            for n, (f, seller) in enumerate(zip(views, page_sellers), 1):
                for page, deps in by_page.items():
                    cache.clear()
                    started = time.perf_counter()
                    list(pool.map(lambda d: client.call(d, f, seller), deps))
                    page_cold[page].append(time.perf_counter() - started)
                cache.clear()
                for dep in client.callbacks:
                    cold.setdefault(client.name_of(dep), []).append(client.call(dep, f, seller))
                for dep in client.callbacks:
                    warm.setdefault(client.name_of(dep), []).append(client.call(dep, f, seller))
                for page, deps in by_page.items() if not args.no_naive else ():
                    total = 0.0
                    for dep in deps:
                        started = time.perf_counter()
                        for sql, params in naive.statements(client.outputs(dep)[0]["id"], f, queries.auto_grain(f),
                                                            seller):
                            conn.execute(sql, params).fetchall()
                        spent = time.perf_counter() - started
                        naive_s.setdefault(client.name_of(dep), []).append(spent)
                        total += spent
                    page_naive[page].append(total)
                print(f"  filter set {n}/{len(views)} done", file=sys.stderr)
    finally:
        proc.terminate()
        proc.wait(timeout=30)  # the app's connections close, and their counts reach the statistics
        time.sleep(1)
        hits = {t: n - before.get(t, 0) for t, n in rollup_scans(url).items() if n > before.get(t, 0)}
        shutil.rmtree(instance, ignore_errors=True)
        if embedded is not None:
            embedded.cleanup()

    ms = 1000
    print(f"\nDashboard benchmark: {args.orders:,} orders, {len(views)} random filter sets, "
          "callbacks over HTTP with a logged-in session (milliseconds)\n")
    print(f"{'callback':<26}{'cold p50':>9}{'cold p95':>9}{'warm p50':>9}{'warm p95':>9}"
          f"{'naive p50':>10}{'naive p95':>10}{'naive/cold':>11}")

    def naive_cols(times: list[float], width: int = 10) -> str:
        return (f"{pct(times, .5) * ms:>{width}.1f}{pct(times, .95) * ms:>{width}.1f}" if times
                else f"{'-':>{width}}{'-':>{width}}")

    def ratio(names: list[str]) -> str:
        if not all(naive_s.get(k) for k in names):
            return f"{'-':>10} "
        return f"{min(sum(naive_s[k]) / sum(cold[k]) for k in names):>10.1f}x"

    for name in cold:
        print(f"{name:<26}{pct(cold[name], .5) * ms:>9.1f}{pct(cold[name], .95) * ms:>9.1f}"
              f"{pct(warm[name], .5) * ms:>9.1f}{pct(warm[name], .95) * ms:>9.1f}"
              f"{naive_cols(naive_s.get(name, []))}{ratio([name])}")
    print(f"\n{'page (all callbacks at once)':<30}{'cold p50':>9}{'cold p95':>9}{'naive p50':>10}{'naive p95':>10}")
    for page in pages:
        print(f"{page:<30}{pct(page_cold[page], .5) * ms:>9.1f}{pct(page_cold[page], .95) * ms:>9.1f}"
              f"{naive_cols(page_naive[page])}")
    print(f"\n{'goals per page':<14}{'warm p95':>10}{'cold p95':>10}{'page p95':>10}{'naive/cold':>12}"
          f"   (goals: < 30 ms, < 250 ms, < 1000 ms, >= 10x)")
    for page in pages:
        names = [k for k in cold if k.split("-")[0] == page]
        print(f"{page:<14}{pct([t for k in names for t in warm[k]], .95) * ms:>10.1f}"
              f"{pct([t for k in names for t in cold[k]], .95) * ms:>10.1f}"
              f"{pct(page_cold[page], .95) * ms:>10.1f} {ratio(names)}")
    print("\nrollup reads (index and table scans) by the app's page and cold passes, over all sets:")
    for table, n in sorted(hits.items(), key=lambda x: (-x[1], x[0])):
        print(f"  {table:<40}{n:>8,}")
    if args.json:
        print(json.dumps({"cold": cold, "warm": warm, "naive": naive_s, "page_cold": page_cold,
                          "page_naive": page_naive}))


if __name__ == "__main__":
    main()
