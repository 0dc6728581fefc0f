"""Benchmark live ingest: batches loaded as they arrive, and an open Overview page following them.

    python -m bench.live --orders 1000000

On a copy of the dashboard benchmark's warehouse (bench.dashboard.prepared_database), made afresh
for each phase so runs compare:
  1. "big batches": the simulator writes batches of about 1,000 new orders (500 a second, a batch
     every 2 s) and `python -m etl watch --json` loads them; each batch's commit time, as the
     watcher reports it, against raw COPY of the same batch's files into an empty table (the floor
     any load of those bytes pays);
  2. "live": the app under gunicorn (2 workers), a watcher and the simulator at --rate orders a
     second in a batch every --batch-seconds, for --minutes. A headless Chromium keeps the
     Overview open on the last 7 days; a hook on its requests records when the page's KPI cards
     answered for each data version, so "visible" is measured in the browser: from the batch folder
     appearing (the watcher reports its arrival) to the cards showing its data version. Meanwhile
     the dashboard benchmark's callbacks are called, cold (cache emptied) and warm, over random
     views, and the inbox is listed every second: batches waiting there are a queue.
Machines here are shared and noisy; each phase's baseline ran in the same run.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import diskcache
import psycopg

from bench.dashboard import Client, filter_sets, pct, prepared_database, start_app
from bench.etl import ROOT, with_db

KPI = "overview-kpi-orders"
HOOK = """
window.__seen = window.__seen || [];
if (!window.__hooked) {
  window.__hooked = true;
  const original = window.fetch;
  window.fetch = function (url, options) {
    const answer = original.apply(this, arguments);
    const body = options && typeof options.body === "string" ? options.body : "";
    if (String(url).includes("_dash-update-component") && body.includes("%s")) {
      let version = null;
      try {
        for (const i of JSON.parse(body).inputs) { if (i.id === "filters" && i.value) { version = i.value.version; } }
      } catch (e) {}
      answer.then((r) => r.clone().text()).then(() => setTimeout(() => window.__seen.push([version, Date.now()]), 0));
    }
    return answer;
  };
}
""" % KPI


def fresh_copy(template_url: str, name: str) -> str:
    """A new database copied from the prepared one (dropped first if an earlier run left it)."""
    admin = with_db(template_url, "postgres")
    template = urlsplit(template_url).path.lstrip("/")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return with_db(template_url, name)


def drop(template_url: str, name: str) -> None:
    with psycopg.connect(with_db(template_url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Etl:
    """The watcher and the simulator as `python -m etl` runs them, on one inbox."""

    def __init__(self, url: str, folder: Path, rate: float, seconds: float, batches: int | None = None):
        self.inbox = folder / "inbox"
        self.inbox.mkdir(parents=True)
        env = {**os.environ, "DATABASE_URL": url, "INSTANCE_DIR": str(folder / "instance")}
        self.watcher = subprocess.Popen([sys.executable, "-m", "etl", "watch", str(self.inbox), "--json"], cwd=ROOT,
                                        env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.loaded: list[dict] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        args = ["simulate", "--into", str(self.inbox), "--rate", str(rate), "--batch-seconds", str(seconds)]
        self.simulator = subprocess.Popen([sys.executable, "-m", "etl", *args,
                                           *(["--batches", str(batches)] if batches else [])],
                                          cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.written = 0

    def _read(self) -> None:
        for line in self.watcher.stdout:
            self.loaded.append(json.loads(line))

    def waiting(self) -> int:
        return sum(1 for p in self.inbox.iterdir() if p.is_dir() and not p.name.startswith("."))

    def stop(self) -> None:
        if self.simulator.poll() is None:
            self.simulator.terminate()
        out, _ = self.simulator.communicate(timeout=30)
        self.written = len([line for line in out.splitlines() if line.strip()])
        deadline = time.monotonic() + 120
        while self.waiting() and time.monotonic() < deadline:  # let the watcher finish what was written
            time.sleep(0.2)
        self.watcher.terminate()
        self.watcher.wait(timeout=60)
        self.reader.join(timeout=10)


def raw_copy_seconds(url: str, batch: Path) -> float:
    """COPY a batch's files, as they are, into empty text tables: the floor of loading those bytes."""
    started = time.perf_counter()
    with psycopg.connect(url) as conn:
        for path in sorted(batch.glob("*.csv")):
            header = path.read_text(encoding="utf-8").splitlines()[0].split(",")
            conn.execute(f"CREATE TEMP TABLE raw_{path.stem} ({', '.join(f'{c} text' for c in header)})")
            with conn.cursor().copy(f"COPY raw_{path.stem} FROM STDIN (FORMAT csv, HEADER true)") as cp:
                cp.write(path.read_bytes())
        conn.rollback()
    return time.perf_counter() - started


def big_batches(template_url: str, count: int) -> dict:
    """Phase 1: batches of about 1,000 orders, loaded by the watcher; their commit seconds."""
    url = fresh_copy(template_url, "live_bench_big")
    folder = Path(tempfile.mkdtemp(prefix="bench-live-big-"))
    try:
        etl = Etl(url, folder, rate=500, seconds=2, batches=count)
        etl.simulator.wait(timeout=count * 2 + 120)
        etl.stop()
        loaded = [b for b in etl.loaded if b["status"] == "loaded"]
        processed = folder / "processed"
        raw = [raw_copy_seconds(url, processed / b["name"]) for b in loaded]
        return {"batches": loaded, "raw": raw}
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        drop(template_url, "live_bench_big")


def browser(base: str):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from bench.dashboard import PASSWORD, USER

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or shutil.which("chromium-browser")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    driver.get(base + "/login")
    driver.find_element(By.ID, "username").send_keys(USER)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    driver.get(base + "/?range=7d")
    WebDriverWait(driver, 60).until(lambda d: d.find_element(By.ID, KPI).text not in ("", "…"))
    driver.execute_script(HOOK)
    return driver


def live(template_url: str, minutes: float, rate: float, seconds: float, sets: int, seed: int) -> dict:
    """Phase 2: the app, a watcher and the simulator for `minutes`, an Overview open in Chromium and
    the dashboard benchmark's callbacks called meanwhile."""
    url = fresh_copy(template_url, "live_bench")
    folder = Path(tempfile.mkdtemp(prefix="bench-live-"))
    views, sellers = filter_sets(url, sets, seed)
    proc, base = start_app(url, folder / "app", workers=2)
    driver = None
    seen, queue, cold, warm = [], [], [], []
    try:
        driver = browser(base)
        client = Client(base, ("overview", "sales", "delivery"))
        cache = diskcache.Cache(str(folder / "app" / "cache"))
        etl = Etl(url, folder, rate=rate, seconds=seconds)
        ends = time.monotonic() + minutes * 60
        view = 0
        last_poll = time.monotonic()
        while time.monotonic() < ends:
            f, seller = views[view % len(views)], sellers[view % len(views)]
            view += 1
            cache.clear()
            for dep in client.callbacks:
                cold.append(client.call(dep, f, seller))
            for dep in client.callbacks:
                warm.append(client.call(dep, f, seller))
            if time.monotonic() - last_poll >= 1:
                queue.append(etl.waiting())
                seen += driver.execute_script("const s = window.__seen; window.__seen = []; return s;")
                last_poll = time.monotonic()
            time.sleep(0.2)
        etl.stop()
        time.sleep(3)
        seen += driver.execute_script("const s = window.__seen; window.__seen = []; return s;")
    finally:
        if driver is not None:
            driver.quit()
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)
        drop(template_url, "live_bench")
    visible = []
    for b in etl.loaded:
        if b["status"] != "loaded" or not b.get("arrived_at"):
            continue
        arrived = datetime.fromisoformat(b["arrived_at"]).timestamp()
        shown = [t / 1000 for v, t in seen if v is not None and v >= b["data_version"]]
        if shown:
            visible.append(min(shown) - arrived)
    return {"batches": etl.loaded, "written": etl.written, "visible": visible, "queue": queue,
            "cold": cold, "warm": warm, "views": view}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--minutes", type=float, default=10, help="how long the live phase runs")
    parser.add_argument("--rate", type=float, default=5, help="the simulator's new orders a second")
    parser.add_argument("--batch-seconds", type=float, default=2)
    parser.add_argument("--big-batches", type=int, default=15, help="batches of about 1,000 orders in phase 1")
    parser.add_argument("--sets", type=int, default=20, help="random views for the dashboard's callbacks")
    args = parser.parse_args()
    if not (shutil.which("chromium") or shutil.which("chromium-browser")) or not shutil.which("chromedriver"):
        sys.exit("the live phase measures in Chromium: install Debian's chromium and chromium-driver")

    template_url, embedded = prepared_database(args.orders, args.seed)
    try:
        big = big_batches(template_url, args.big_batches)
        run = live(template_url, args.minutes, args.rate, args.batch_seconds, args.sets, args.seed)
    finally:
        if embedded is not None:
            embedded.cleanup()

    ms = 1000
    commits = [b["seconds"] for b in big["batches"]]
    sizes = [b["orders"] for b in big["batches"]]
    print(f"\nLive ingest benchmark: {args.orders:,} orders in the warehouse\n")
    print(f"1. batches of about 1,000 orders ({len(commits)} batches, {statistics.mean(sizes):,.0f} new orders each "
          "on average), loaded by `python -m etl watch`")
    print(f"{'':<34}{'p50':>9}{'p95':>9}{'max':>9}")
    print(f"{'commit, s':<34}{pct(commits, .5):>9.2f}{pct(commits, .95):>9.2f}{max(commits):>9.2f}")
    print(f"{'raw COPY of the same files, s':<34}{pct(big['raw'], .5):>9.3f}{pct(big['raw'], .95):>9.3f}"
          f"{max(big['raw']):>9.3f}")
    print(f"{'commit / raw COPY':<34}{pct(commits, .5) / pct(big['raw'], .5):>8.0f}x")
    print(f"{'commit of batch 1, 5, 10, last, s':<34}" + "  ".join(
        f"{commits[i]:.2f}" for i in sorted({0, 4, 9, len(commits) - 1}) if i < len(commits)))

    loaded = [b for b in run["batches"] if b["status"] == "loaded"]
    failed = [b for b in run["batches"] if b["status"] == "failed"]
    loads = [b["seconds"] for b in loaded]
    lags = [b["lag_seconds"] for b in loaded if b["lag_seconds"] is not None]
    print(f"\n2. live: {args.rate:g} orders a second in a batch every {args.batch_seconds:g}s for {args.minutes:g} "
          f"minutes; {run['written']} batches written, {len(loaded)} loaded, {len(failed)} failed; "
          f"{sum(b['orders'] for b in loaded):,} new orders, {sum(b['updated_orders'] for b in loaded):,} updates")
    print(f"{'':<44}{'p50':>9}{'p95':>9}{'max':>9}")
    print(f"{'load (the watcher), s':<44}{pct(loads, .5):>9.2f}{pct(loads, .95):>9.2f}{max(loads):>9.2f}")
    print(f"{'folder appears -> committed, s':<44}{pct(lags, .5):>9.2f}{pct(lags, .95):>9.2f}{max(lags):>9.2f}")
    if run["visible"]:
        v = run["visible"]
        print(f"{'folder appears -> open Overview shows it, s':<44}{pct(v, .5):>9.2f}{pct(v, .95):>9.2f}{max(v):>9.2f}"
              f"   ({len(v)} batches seen in Chromium)")
    print(f"{'batches waiting in the inbox (each second)':<44}{pct(run['queue'], .5):>9.0f}{pct(run['queue'], .95):>9.0f}"
          f"{max(run['queue'] or [0]):>9.0f}")
    print(f"{'dashboard callbacks meanwhile, cold, ms':<44}{pct(run['cold'], .5) * ms:>9.1f}"
          f"{pct(run['cold'], .95) * ms:>9.1f}{max(run['cold']) * ms:>9.1f}   ({len(run['cold'])} calls)")
    print(f"{'dashboard callbacks meanwhile, warm, ms':<44}{pct(run['warm'], .5) * ms:>9.1f}"
          f"{pct(run['warm'], .95) * ms:>9.1f}{max(run['warm']) * ms:>9.1f}")
    lasts = loads[-max(1, len(loads) // 10):]
    kept = max(run["queue"] or [0]) <= 2
    print(f"\n{'the watcher kept pace' if kept else 'the watcher fell behind'}: loads took {pct(loads, .5):.2f}s "
          f"(p50) and {pct(loads, .95):.2f}s (p95) against a batch every {args.batch_seconds:g}s, "
          f"{statistics.mean(lasts):.2f}s on average in the last tenth of the run; "
          f"at most {max(run['queue'] or [0])} batches waited")
    touched = [b.get("days_touched") for b in loaded if b.get("days_touched")]
    if touched:
        print(f"days each batch touched (its new orders' and its updated orders' purchase days): "
              f"p50 {pct(touched, .5):.0f}, p95 {pct(touched, .95):.0f}")
    by_orders = [b.get("orders_refreshed") for b in loaded if b.get("orders_refreshed")]
    print(f"batches whose rollups were refreshed by order: {len(by_orders)} of {len(loaded)}"
          + (f", over p50 {pct(by_orders, .5):.0f} and p95 {pct(by_orders, .95):.0f} orders (with their "
             f"people's other orders)" if by_orders else ""))
    print("command: python -m bench.live --orders", args.orders)


if __name__ == "__main__":
    main()
