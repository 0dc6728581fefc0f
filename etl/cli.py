"""The ETL command line: generate demo data, load exports, show the state of the warehouse.

User mistakes and unreachable databases end in one line on stderr and a non-zero exit code
(1: the run failed and changed nothing; 2: bad usage), never in a traceback.
"""
from __future__ import annotations

import json
import logging
import signal
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import click
import psycopg
from rich.console import Console
from rich.table import Table

from data import db, migrate
from data.semantic import state
from data.semantic.catalogue import CATALOGUE
from data.settings import SettingsError, load_settings
from etl import extract, semantic_rollups
from etl.generate import generate as generate_files
from etl.load import DATE_FORMATS, LoadError, load as run_load
from etl.progress import Reporter
from etl.status import status as warehouse_status
from etl.simulate import Simulator, SimulateError, counts, read_world, write_batch
from etl.watch import InboxError, Watcher, folders

TABLE_ORDER = ["dim_categories", "dim_geolocation", "dim_customers", "dim_sellers", "dim_products",
               "fact_orders", "fact_order_items", "fact_payments", "fact_reviews"]


def fail(message: str, code: int = 1) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


@contextmanager
def reaching(url: str):
    """An unreachable or failing database ends the command with one line and exit code 1."""
    try:
        yield
    except db.DatabaseUnavailable as exc:
        fail(str(exc))
    except psycopg.OperationalError as exc:
        fail(db.unavailable_message(url, exc))


def database_url() -> str:
    try:
        return db.resolve_url(load_settings())
    except (SettingsError, db.DatabaseUnavailable) as exc:
        fail(str(exc))
    except Exception as exc:  # noqa: BLE001 - the embedded server failed to start
        fail(f"could not start the embedded PostgreSQL under INSTANCE_DIR: {exc}; "
             "set DATABASE_URL to use another server")


@click.group()
@click.option("--log-level", default=None, help="DEBUG, INFO, WARNING (default: LOG_LEVEL or INFO).")
def cli(log_level):
    """Load Olist-format marketplace exports into the analytics warehouse."""
    level = (log_level or load_settings().log_level).upper()
    logging.basicConfig(level=getattr(logging, level, logging.INFO), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(message)s", datefmt="%H:%M:%S")
    for noisy in ("pgserver", "alembic"):  # they log every start, stop and check at INFO
        logging.getLogger(noisy).setLevel(logging.WARNING)


@cli.command()
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--orders", type=click.IntRange(min=1), default=100_000, show_default=True,
              help="How many orders to generate.")
@click.option("--seed", type=int, default=42, show_default=True, help="Same seed, same bytes.")
def generate(out_dir: Path, orders: int, seed: int):
    """Write the nine Olist CSV files of a realistic demo data set into OUT_DIR."""
    console = Console(file=sys.stderr)
    started = time.monotonic()
    if console.is_terminal:
        with console.status("generating") as status:
            counts = generate_files(out_dir, orders, seed,
                                    progress=lambda done, total: status.update(f"generating: {done:,} of {total:,} orders"))
    else:
        counts = generate_files(out_dir, orders, seed)
    click.echo(f"wrote {sum(counts.values()):,} rows in 9 files to {out_dir} "
               f"in {time.monotonic() - started:.1f}s ({orders:,} orders, seed {seed})", err=True)


@cli.command()
@click.argument("in_dir", type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one machine-readable summary on stdout.")
@click.option("--dry-run", is_flag=True, help="Do everything, report it, then roll it all back.")
@click.option("--date-format", type=click.Choice(DATE_FORMATS), default="auto", show_default=True,
              help="How to read slash dates (03/04/2018): month/day, day/month or detect per column. "
                   "ISO dates are always read.")
@click.option("--force", is_flag=True, help="Load files even if the same content was loaded before.")
def load(in_dir: Path, as_json: bool, dry_run: bool, date_format: str, force: bool):
    """Load the Olist CSV files found in IN_DIR (recognised by header, any subset)."""
    url = database_url()
    reporter = Reporter(quiet=as_json)
    try:
        result = run_load(url, in_dir, dry_run=dry_run, date_format=date_format, force=force, reporter=reporter)
    except (LoadError, extract.ExtractError, db.DatabaseUnavailable) as exc:
        if as_json:
            click.echo(json.dumps({"status": "failed", "error": str(exc)}))
        fail(str(exc))
    except psycopg.OperationalError as exc:
        fail(db.unavailable_message(url, exc))
    except Exception as exc:  # noqa: BLE001 - an internal error: one line here, the traceback in the log
        logging.getLogger("etl").debug("load failed", exc_info=True)
        fail(f"the load failed and nothing was changed: {str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}")
    if as_json:
        click.echo(json.dumps(result.as_json()))
        return
    print_summary(result)


@cli.command()
@click.argument("inbox", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON line per batch on stdout.")
def watch(inbox: Path, as_json: bool):
    """Load each batch folder moved into INBOX as it arrives, then move it to processed/ (or failed/).

    Write a batch elsewhere and move it in, so it appears whole. Ctrl-C or SIGTERM stops between
    batches; the batch in flight commits first.
    """
    try:
        folders_ok = Watcher.check(inbox)
    except InboxError as exc:
        fail(str(exc), 2)
    url = database_url()

    def say(message: str) -> None:
        click.echo(f"{time.strftime('%H:%M:%S')} {message}", err=True)

    def report(batch) -> None:
        if as_json:
            click.echo(json.dumps(batch.as_json()))
        else:
            click.echo(f"{time.strftime('%H:%M:%S')} {batch.line()}")
        sys.stdout.flush()

    watcher = Watcher(url, inbox, report, say, keep_days=load_settings().run_history_days)
    watcher.handle_signals()
    say(f"watching {inbox} for batches ({len(folders_ok)} waiting); loaded ones go to "
        f"{watcher.processed}, failed ones to {watcher.failed}; Ctrl-C to stop")
    try:
        watcher.run()
    except KeyboardInterrupt:
        fail("aborted: the batch in flight was rolled back and stays in the inbox", 1)
    say(f"stopped after {watcher.loaded} batch{'es' if watcher.loaded != 1 else ''}")


@cli.command()
@click.option("--into", "inbox", required=True, type=click.Path(path_type=Path),
              help="The inbox a watcher loads from (`python -m etl watch INBOX`).")
@click.option("--rate", type=click.FloatRange(min=0, min_open=True, max=10_000), default=1.0, show_default=True,
              help="New orders per second, on average.")
@click.option("--batch-seconds", type=click.FloatRange(min=0.1, max=86_400), default=5.0, show_default=True,
              help="Seconds of traffic in each batch (one batch is written every this many seconds).")
@click.option("--seed", type=int, default=42, show_default=True, help="Same seed, same warehouse: same batches.")
@click.option("--batches", type=click.IntRange(min=1), default=None, help="Stop after this many (default: never).")
def simulate(inbox: Path, rate: float, batch_seconds: float, seed: int, batches: int | None):
    """Write live traffic into INBOX: new orders, and the later life of earlier ones, continuing from
    the latest data, one batch folder every --batch-seconds."""
    try:
        folders(inbox)
    except InboxError as exc:
        fail(str(exc), 2)
    url = database_url()
    with reaching(url):
        migrate.upgrade_url(url, build_rollups=False)
        with db.connect(url) as conn:
            try:
                world = read_world(conn, inbox)
            except SimulateError as exc:
                fail(str(exc))
    sim = Simulator(world, rate, batch_seconds, seed)
    click.echo(f"simulating from {world.start:%Y-%m-%d %H:%M:%S}: about {rate:g} orders a second in a batch "
               f"every {batch_seconds:g}s, {len(world.orders):,} earlier orders on their way; Ctrl-C to stop",
               err=True)
    signal.signal(signal.SIGTERM, _interrupt)
    began, written = time.monotonic(), 0
    try:
        while batches is None or written < batches:
            name = sim.batch_name()
            rows = sim.next_batch()
            time.sleep(max(0.0, began + sim.k * batch_seconds - time.monotonic()))
            written += 1
            if write_batch(inbox, name, rows):  # a quiet moment (no order, no update) writes no folder
                click.echo(f"{time.strftime('%H:%M:%S')} {name}: {counts(rows)}")
                sys.stdout.flush()
    except KeyboardInterrupt:
        pass
    click.echo(f"stopped after {written} batch{'es' if written != 1 else ''}", err=True)


def _interrupt(_signum, _frame):
    raise KeyboardInterrupt


def stdout_console() -> Console:
    """A console for tables on stdout; piped output gets room for every column instead of 80."""
    return Console() if sys.stdout.isatty() else Console(width=140)


def print_summary(result) -> None:
    console = stdout_console()
    title = f"run {result.run_id}: {result.status}" + (" (dry run: nothing was kept)" if result.dry_run else "")
    table = Table(title=title, title_justify="left")
    for col in ("table", "read", "inserted", "updated", "unchanged", "quarantined", "skipped", "unknown members"):
        table.add_column(col, justify="left" if col == "table" else "right")
    order = {t: i for i, t in enumerate(TABLE_ORDER)}
    for name, c in sorted(result.tables.items(), key=lambda kv: order.get(kv[0], 99)):
        table.add_row(name, *(f"{v:,}" for v in (c.read, c.inserted, c.updated, c.unchanged,
                                                   c.quarantined, c.skipped, c.unknown_members)))
    if result.tables:
        console.print(table)
    for w in result.warnings:
        console.print(f"warning: {w}")
    quarantined = sum(c.quarantined for c in result.tables.values())
    if quarantined:
        console.print(f"{quarantined:,} rows quarantined: see etl.quarantine (run_id = {result.run_id})")
    verdict = "changed the warehouse" if result.changed else "nothing changed"
    console.print(f"{verdict} in {result.seconds:.1f}s")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print one machine-readable summary on stdout.")
def status(as_json: bool):
    """Show the warehouse's row counts, its data version and the latest runs."""
    url = database_url()
    with reaching(url):
        info = warehouse_status(url)
    if as_json:
        click.echo(json.dumps(info, default=str))
        return
    console = stdout_console()
    console.print(f"data version: {info['data_version']}  schema revision: {info['schema_revision']}")
    t = Table(title="warehouse", title_justify="left")
    t.add_column("table")
    t.add_column("rows", justify="right")
    t.add_column("unknown members", justify="right")
    for name, n in info["tables"].items():
        t.add_row(name, f"{n:,}", f"{info['unknown_members'].get(name, 0):,}" if name in info["unknown_members"] else "")
    console.print(t)
    r = Table(title="latest runs", title_justify="left")
    for col in ("run", "started", "seconds", "status", "changed", "quarantined", "error"):
        r.add_column(col)
    for run in info["runs"]:
        r.add_row(str(run["run_id"]), f"{run['started_at']:%Y-%m-%d %H:%M:%S}",
                  f"{run['seconds']:.1f}" if run["seconds"] is not None else "",
                  run["status"] + (" (dry run)" if run["dry_run"] else ""), "yes" if run["changed"] else "no",
                  f"{run['quarantined']:,}", run["error"] or "")
    console.print(r)


@cli.group()
def rollups():
    """The semantic layer's rollups: which are current, and building them."""


@rollups.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print one machine-readable list on stdout.")
def rollups_status(as_json: bool):
    """Show each declared rollup: current, stale (its definition changed) or missing, and its size."""
    url = database_url()
    with reaching(url):
        migrate.upgrade_url(url, build_rollups=False)
        engine = db.make_engine(url)
        try:
            with engine.connect() as conn:
                found = state.status(CATALOGUE, state.recorded(conn))
        finally:
            engine.dispose()
    if as_json:
        click.echo(json.dumps(found, default=str))
        return
    t = Table(title="rollups", title_justify="left")
    for col in ("rollup", "grain", "dimensions", "from", "state", "rows", "built in"):
        t.add_column(col, justify="right" if col in ("rows", "built in") else "left")
    for r in found:
        t.add_row(r["name"], r["grain"], ", ".join(r["dimensions"]), r["source"], r["state"],
                  f"{r['rows']:,}" if r["rows"] is not None else "",
                  f"{r['seconds']:.1f}s" if r["seconds"] is not None else "")
    stdout_console().print(t)


@rollups.command("build")
@click.argument("names", nargs=-1)
@click.option("--all", "everything", is_flag=True, help="Rebuild every rollup, current or not.")
def rollups_build(names, everything: bool):
    """Build the rollups that are not current (or NAMES, or --all) and those summed from them."""
    url = database_url()
    reporter = Reporter()
    with reaching(url):
        migrate.upgrade_url(url, build_rollups=False)
        try:
            with db.connect(url, autocommit=True) as conn:
                done = semantic_rollups.build(conn, CATALOGUE, names, everything, step=reporter.step)
        except ValueError as exc:
            fail(f"{exc} (see `python -m etl rollups status`)", 2)
    click.echo(f"built {len(done)} rollup{'s' if len(done) != 1 else ''}" + (f": {', '.join(done)}" if done else
                                                                             " (every one is current)"))


def main() -> None:
    try:
        cli(standalone_mode=True)
    except KeyboardInterrupt:
        fail("interrupted: the run was rolled back and nothing changed", 1)
