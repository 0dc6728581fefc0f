"""Benchmark what access control costs a request: the server-side session, the guard, the scope.

    python -m bench.access --orders 100000

Starts the app under gunicorn on the dashboard benchmark's database (bench.dashboard), signs in an
unlimited analyst and a seller-scoped one, and times, over the same connection, requests that read
no session (a static script: the baseline of HTTP, gunicorn and Flask), a callback that reads the
session and nothing else (the user menu's name), and the Overview's KPI cards answered from the
cache, for both users. "x baseline" divides each median by the static script's. The extra cost of
access control is the difference between the second row and the first.
"""
from __future__ import annotations

import argparse
import re
import tempfile
import time

from bench.dashboard import USER, Client, pct, prepared_database, start_app
from data import db, queries, users
from data.filters import DEFAULT_STATUSES, Filters, preset_range, to_store
from data.scope import Scope

SCOPED, PASSWORD = "bench-scoped", "bench password 1"


def scoped_user(url: str) -> None:
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            seller = str(conn.exec_driver_sql("SELECT seller_id FROM warehouse.fact_order_items GROUP BY 1 "
                                              "ORDER BY count(*) DESC LIMIT 1").scalar_one())
        try:
            users.create(engine, SCOPED, PASSWORD, "analyst", scope=Scope(sellers=(seller,)))
        except users.UserError:
            pass  # made by an earlier run
    finally:
        engine.dispose()


def timed(ask, n: int) -> list[float]:
    out = []
    for _ in range(n):
        started = time.perf_counter()
        response = ask()
        out.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    url, embedded = prepared_database(args.orders, args.seed)
    scoped_user(url)
    with tempfile.TemporaryDirectory(prefix="bench-access-") as instance:
        proc, base = start_app(url, instance)
        try:
            plain = Client(base, ("overview",))
            scoped = Client(base, ("overview",))
            scoped.http.cookies.clear()
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                              scoped.http.get(base + "/login").text).group(1)
            scoped.http.post(base + "/login", data={"username": SCOPED, "password": PASSWORD,
                                                    "csrf_token": token}).raise_for_status()
            script = next(m for m in re.findall(r'src="([^"]+)"', plain.http.get(base + "/").text)
                          if "_dash-component-suites" in m)
            name = {"output": "user-name.children", "outputs": {"id": "user-name", "property": "children"},
                    "inputs": [{"id": "url", "property": "pathname", "value": "/"}], "state": [],
                    "changedPropIds": ["url.pathname"]}
            kpis = next(d for d in plain.callbacks if "overview-kpi" in d["output"])
            b = plain.http.get(base + "/healthz").json()
            f = Filters(*preset_range("90d", *_bounds(url)), statuses=DEFAULT_STATUSES)
            plain.call(kpis, f), scoped.call(kpis, f)  # warm the cache for both
            rows = [
                ("static script, no session (baseline)", timed(lambda: plain.http.get(base + script), args.requests)),
                ("callback reading only the session", timed(
                    lambda: plain.http.post(base + "/_dash-update-component", json=name), args.requests)),
                ("Overview KPI cards, cached, analyst", timed(lambda: _post(plain, kpis, f), args.requests)),
                ("Overview KPI cards, cached, seller-scoped analyst", timed(lambda: _post(scoped, kpis, f),
                                                                          args.requests)),
            ]
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            if embedded is not None:
                embedded.cleanup()
    base_p50 = pct(rows[0][1], 0.5)
    print(f"\n{args.requests} requests each, data version {b['data_version']}, {args.orders:,} orders, milliseconds")
    print("| request | p50 | p95 | x baseline (p50) |\n|---|---:|---:|---:|")
    for label, values in rows:
        print(f"| {label} | {pct(values, 0.5):.1f} | {pct(values, 0.95):.1f} | {pct(values, 0.5) / base_p50:.2f} |")
    print(f"\nsession lookup and guard: {pct(rows[1][1], 0.5) - base_p50:.1f} ms a request (p50 difference); "
          f"user {USER} and {SCOPED}")


def _bounds(url: str):
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            b = queries.bounds(conn)
    finally:
        engine.dispose()
    return b["first"], b["last"]


def _post(client: Client, dep, f: Filters):
    """The KPI callback as bench.dashboard's Client sends it, returning the response."""
    store = to_store(f)
    outputs = client.outputs(dep)
    return client.http.post(client.base + "/_dash-update-component", json={
        "output": dep["output"], "outputs": outputs, "changedPropIds": ["filters.data"],
        "inputs": [{**i, "value": store if i["id"] == "filters" else "light"} for i in dep["inputs"]],
        "state": [{**s, "value": None} for s in dep["state"]]})


if __name__ == "__main__":
    main()
