"""Benchmark the loader against raw COPY and pandas `to_sql`, on the same files, in the same run.

    python -m bench.etl --orders 1000000

Generates a data set (kept under bench-data/ for the next run), then on fresh databases of one
server (the embedded one in a temp dir, or BENCH_DATABASE_URL):
  1. raw COPY of every file into unlogged all-text tables: the physical limit; and COPY into
     logged tables of typed columns with an index on each key: the least a typed, keyed load does;
  2. `python -m etl load` in a subprocess (its peak memory is measured on its own);
  3. the same load again (files unchanged: skipped by fingerprint) and with --force (re-read,
     compared, nothing written);
  4. pandas `read_csv` + `to_sql`, what typical dashboards' loaders do.
Machines here are shared and noisy: read the ratios, not the absolute seconds.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

from data import db
from etl import formats
from etl.generate import generate

ROOT = Path(__file__).resolve().parent.parent


def with_db(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


def fresh_db(server: str, name: str) -> str:
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return with_db(server, name)


def files_of(folder: Path) -> dict[str, Path]:
    return {k.key: folder / k.file_name for k in formats.KINDS}


def _copy_file(conn, table: str, path: Path) -> None:
    """COPY a CSV file with its header into `table` (names built from constants), in 1 MiB blocks."""
    with conn.cursor() as cur, cur.copy(f"COPY {table} FROM STDIN (FORMAT csv, HEADER true)") as cp, \
            open(path, "rb") as f:
        while block := f.read(1 << 20):
            cp.write(block)


def raw_copy(url: str, folder: Path) -> tuple[dict, dict]:
    """COPY each file as is into an unlogged table of text columns; return seconds and rows per kind."""
    seconds, rows = {}, {}
    with psycopg.connect(url, autocommit=True) as conn:
        for kind in formats.KINDS:
            cols = ", ".join(f'"{c}" text' for c in kind.header)
            conn.execute(f"CREATE UNLOGGED TABLE raw_{kind.key} ({cols})")
            started = time.perf_counter()
            _copy_file(conn, f"raw_{kind.key}", folder / kind.file_name)
            seconds[kind.key] = time.perf_counter() - started
            rows[kind.key] = conn.execute(f"SELECT count(*) FROM raw_{kind.key}").fetchone()[0]
    return seconds, rows


SQL_TYPES = {"uuid": "uuid", "ts": "timestamp", "numeric": "numeric(12, 2)", "float": "double precision",
             "int": "integer"}  # every other kind (zip, state, status, text, lower) is text


def typed_copy(url: str, folder: Path) -> dict:
    """COPY each file into a logged table of typed columns, then index its key: the least any
    load with typed columns and keys must do (no validation, derived columns or rollups).
    Seconds per kind. The key gets a plain index, as the raw files may repeat a key."""
    seconds = {}
    with psycopg.connect(url, autocommit=True) as conn:
        for kind in formats.KINDS:
            cols = ", ".join(f'"{c.name}" {SQL_TYPES.get(c.kind, "text")}' for c in kind.columns)
            conn.execute(f"CREATE TABLE typed_{kind.key} ({cols})")
            started = time.perf_counter()
            _copy_file(conn, f"typed_{kind.key}", folder / kind.file_name)
            keys = ", ".join(f'"{c}"' for c in kind.key_columns)
            conn.execute(f"CREATE INDEX ON typed_{kind.key} ({keys})")
            seconds[kind.key] = time.perf_counter() - started
    return seconds


def etl_load(url: str, folder: Path, *extra: str) -> dict:
    env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING"}
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "etl", "load", str(folder), "--json", *extra],
                         cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if out.returncode != 0:
        sys.exit(f"the load failed: {out.stderr.strip()}")
    summary = json.loads(out.stdout)
    summary["wall"] = elapsed
    return summary


def one_day(folder: Path, out: Path, seed: int, orders: int) -> tuple[Path, int]:
    """A delta of one day's orders (with their items, payments, reviews and customers) taken from
    another generated data set of the same size, as a daily export would bring: `out`, and its orders."""
    import csv

    other = out.parent / f"{out.name}-source"
    if not (other / formats.ORDERS.file_name).exists():
        generate(other, orders, seed)
    with open(other / formats.ORDERS.file_name, newline="") as f:
        rows = list(csv.DictReader(f))
    days: dict[str, int] = {}
    for r in rows:
        days[r["order_purchase_timestamp"][:10]] = days.get(r["order_purchase_timestamp"][:10], 0) + 1
    day = sorted(days, key=lambda d: -days[d])[len(days) // 5]  # a busy day, not the peak
    chosen = {r["order_id"] for r in rows if r["order_purchase_timestamp"].startswith(day)}
    people = {r["customer_id"] for r in rows if r["order_id"] in chosen}
    out.mkdir(parents=True, exist_ok=True)
    for kind, key, keep in ((formats.ORDERS, "order_id", chosen), (formats.ITEMS, "order_id", chosen),
                            (formats.PAYMENTS, "order_id", chosen),
                            (formats.REVIEWS, "order_id", chosen),
                            (formats.CUSTOMERS, "customer_id", people)):
        with open(other / kind.file_name, newline="") as src, open(out / kind.file_name, "w", newline="") as dst:
            reader = csv.DictReader(src)
            writer = csv.DictWriter(dst, reader.fieldnames)
            writer.writeheader()
            writer.writerows(r for r in reader if r[key] in keep)
    return out, len(chosen)


def rollup_builds(url: str) -> list[tuple]:
    """Each semantic rollup's rows and full-build seconds, as the first load recorded them."""
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT name, row_count, seconds FROM etl.rollups ORDER BY seconds DESC").fetchall()


def to_sql(url: str, folder: Path) -> dict:
    """pandas read_csv + to_sql per file, as a typical dashboard loader does; seconds per kind."""
    import pandas as pd

    engine = db.make_engine(url)
    seconds = {}
    for kind in formats.KINDS:
        started = time.perf_counter()
        for chunk in pd.read_csv(folder / kind.file_name, chunksize=100_000, dtype=str):
            chunk.to_sql(f"pd_{kind.key}", engine, if_exists="append", index=False)
        seconds[kind.key] = time.perf_counter() - started
    engine.dispose()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--skip-to-sql", action="store_true", help="leave out the (slow) pandas baseline")
    args = parser.parse_args()

    folder = ROOT / "bench-data" / f"orders-{args.orders}-seed-{args.seed}"
    if not (folder / formats.ORDERS.file_name).exists():
        started = time.perf_counter()
        generate(folder, args.orders, args.seed)
        print(f"generated {args.orders:,} orders in {time.perf_counter() - started:.1f}s into {folder}")

    server = os.environ.get("BENCH_DATABASE_URL")
    tmp = embedded = None
    if not server:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import pgserver

            tmp = Path(tempfile.mkdtemp(prefix="bench-pg-"))
            embedded = pgserver.get_server(tmp / "pgdata", cleanup_mode="delete")
            server = embedded.get_uri("postgres")
        db.tune_embedded(server)  # the same server settings the product's embedded database runs with

    copy_s, rows = raw_copy(fresh_db(server, "bench_raw"), folder)
    typed_s = typed_copy(fresh_db(server, "bench_typed"), folder)
    etl_url = fresh_db(server, "bench_etl")
    first = etl_load(etl_url, folder)
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    builds = rollup_builds(etl_url)
    reload = etl_load(etl_url, folder)
    forced = etl_load(etl_url, folder, "--force")
    delta_dir, delta_orders = one_day(folder, ROOT / "bench-data" / f"delta-{args.orders}", args.seed + 1, args.orders)
    delta = etl_load(etl_url, delta_dir)
    small = ROOT / "bench-data" / f"orders-{args.orders // 10}-seed-{args.seed}"
    if not (small / formats.ORDERS.file_name).exists():
        generate(small, args.orders // 10, args.seed)
    small_url = fresh_db(server, "bench_etl_small")
    etl_load(small_url, small)
    small_delta = etl_load(small_url, delta_dir)
    pandas_s = {} if args.skip_to_sql else to_sql(fresh_db(server, "bench_pandas"), folder)

    total_rows = sum(rows.values())
    copy_total = sum(copy_s.values())
    print(f"\nETL benchmark: {args.orders:,} orders, {total_rows:,} rows in 9 files "
          f"({sum(p.stat().st_size for p in folder.iterdir()) / 1e6:,.0f} MB)\n")
    print(f"{'table':<18}{'rows':>11}{'raw COPY r/s':>14}{'etl load r/s':>14}{'to_sql r/s':>13}")
    for kind in formats.KINDS:
        t = first["tables"].get(kind.table, {})
        etl_rate = rows[kind.key] / t["seconds"] if t.get("seconds") else 0
        pd_rate = rows[kind.key] / pandas_s[kind.key] if kind.key in pandas_s else 0
        print(f"{kind.table:<18}{rows[kind.key]:>11,}{rows[kind.key] / copy_s[kind.key]:>14,.0f}"
              f"{etl_rate:>14,.0f}{pd_rate:>13,.0f}")
    print(f"\n{'run':<44}{'seconds':>9}{'rows/s':>12}{'x raw COPY':>12}")
    lines = [("raw COPY into unlogged text tables (baseline)", copy_total),
             ("COPY into logged typed tables + key index", sum(typed_s.values())),
             ("etl load, first (typed, keys, derived, rollups)", first["wall"]),
             ("etl load again, files unchanged", reload["wall"]),
             ("etl load again --force (re-read, nothing written)", forced["wall"])]
    if pandas_s:
        lines.append(("pandas read_csv + to_sql (baseline)", sum(pandas_s.values())))
    for label, secs in lines:
        print(f"{label:<44}{secs:>9.1f}{total_rows / secs:>12,.0f}{secs / copy_total:>12.2f}")
    print(f"\nfirst load / raw COPY: {first['wall'] / copy_total:.2f}x (goal <= 6; typed COPY + keys alone: "
          f"{sum(typed_s.values()) / copy_total:.2f}x)")
    if pandas_s:
        print(f"to_sql / first load: {sum(pandas_s.values()) / first['wall']:.1f}x faster (goal >= 2)")
    print(f"unchanged reload / first load: {reload['wall'] / first['wall']:.3f} (goal < 0.03)")
    print(f"loader peak memory (max RSS of the load process): {peak_mb:,.0f} MB (goal < 1024)")
    print(f"\none-day delta ({delta_orders:,} orders) into the {args.orders:,}-order warehouse: {delta['wall']:.1f}s "
          f"(goal < 3); into a {args.orders // 10:,}-order one: {small_delta['wall']:.1f}s "
          f"(ratio {delta['wall'] / small_delta['wall']:.2f}, goal <= 1.5); its rollups refreshed "
          + ", ".join(f"by {d['orders_refreshed']:,} orders" if d.get("orders_refreshed") else "by day"
                      for d in (delta, small_delta)))
    print(f"\n{'semantic rollup':<28}{'rows':>12}{'build s':>9}")
    for name, n, secs in builds:
        print(f"{name:<28}{n:>12,}{secs:>9.1f}")
    print(f"{'all of them':<28}{sum(b[1] for b in builds):>12,}{sum(b[2] for b in builds):>9.1f}")
    if embedded is not None:
        embedded.cleanup()  # stop the server before its folder goes
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
