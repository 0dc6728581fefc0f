"""The dashboard's app factory and entry point (`python app.py`; `app:server` for gunicorn).

`python app.py` prepares the warehouse (embedded PostgreSQL unless DATABASE_URL, migrations,
demo data on an empty warehouse, the first admin) and serves it with gunicorn (`serve.py`), a
production server, never Werkzeug's development one. Importing the module builds the app without
touching the database: the engine is created on first use, in each process.
"""
from __future__ import annotations

import atexit
import logging
import os
import secrets
import subprocess
import sys
import tempfile
import threading
from dataclasses import replace
from pathlib import Path

import dash
import diskcache
from dash import State
from flask import jsonify

import api
import auth
import callbacks
import serve
from callbacks import _jobs as jobs
from data import db, migrate, users
from data.settings import SettingsError, load_settings
from data.version import Newest
from data.warehouse import Warehouse
from etl.generate import generate
from etl.load import load
from etl.progress import Reporter
from pages._shell import shell

__version__ = "0.1.0"
ROOT = Path(__file__).resolve().parent
log = logging.getLogger("app")


def create_app(database_url: str | None = None, settings=None) -> dash.Dash:
    """Build the Dash app and its Flask server; the database is only touched when a request needs it."""
    settings = settings or load_settings()

    def current_version() -> int:
        return warehouse().cache.version()

    # Background callbacks (the forecasts) run in job processes; their results pass through this
    # disk cache, shared by the app's processes on one host, and are kept per data version.
    manager = jobs.ForkServerManager(diskcache.Cache(str(Path(settings.cache_dir) / "jobs")),
                                     cache_by=[current_version, jobs.scope_key], expire=7 * 86400)
    app = dash.Dash(__name__, title="Olist Analytics", use_pages=True, pages_folder=str(ROOT / "pages"),
                    assets_folder=str(ROOT / "assets"), external_stylesheets=[], serve_locally=True,
                    suppress_callback_exceptions=True, background_callback_manager=manager,
                    # Explore's layout is told which question it shows, so as not to draw it again
                    routing_callback_inputs={"explore_shown": State("explore-shown", "data")})
    server = app.server
    server.config["DATABASE_URL"] = database_url

    first_use = threading.RLock()  # concurrent first requests (threads) must not each make an engine

    def engine():
        """The process's engine, created on first use (the embedded server starts then if needed)."""
        found = server.extensions.get("warehouse_engine")
        if found is None:
            with first_use:
                found = server.extensions.get("warehouse_engine")
                if found is None:
                    url = server.config.get("DATABASE_URL") or db.resolve_url(settings)
                    # A no-op when the schema is current; serialised across processes. Rollups are never
                    # built inside a web request: `python app.py` and the loader build them before.
                    migrate.upgrade_url(url, build_rollups=False)
                    server.config["DATABASE_URL"] = url
                    found = server.extensions["warehouse_engine"] = db.make_engine(
                        url, pool_size=5, connect_timeout=settings.db_connect_timeout,
                        statement_timeout=settings.db_statement_timeout)
        return found

    def database_url() -> str:
        if not server.config.get("DATABASE_URL"):
            engine()
        return server.config["DATABASE_URL"]

    def warehouse() -> Warehouse:
        found = server.extensions.get("warehouse_object")
        if found is None:
            with first_use:
                found = server.extensions.get("warehouse_object")
                if found is None:
                    found = server.extensions["warehouse_object"] = Warehouse(engine, settings.cache_dir)
        return found

    server.extensions.update(warehouse=warehouse, engine=engine, database_url=database_url, settings=settings,
                             newest=Newest(database_url))
    app.layout = shell
    callbacks.attach(app)
    auth.init_app(server, engine, settings, db.OUTAGE, app.csp_hashes)
    api.init_app(server)

    @server.get("/healthz")
    def healthz():
        """Database reachable, data version, app version; 503 within seconds when the database is not."""
        body = {"app_version": __version__, "database": "unreachable", "data_version": None}
        try:
            body["data_version"] = db.probe(database_url())
            body["database"] = "ok"
            return jsonify(body), 200
        except db.OUTAGE:
            return jsonify(body), 503

    # Dash sets itself up (asset paths, layout checks) on its first request, unguarded: the threads of
    # a fresh gunicorn worker racing through it served scripts as 500s. One request here, before any
    # worker is forked, sets it up for all of them; the sign-in page needs no database.
    server.test_client().get("/login")
    return app


def prepare_warehouse(settings) -> str:
    """Start or reach the database, migrate it, load demo data into an empty warehouse, add the first admin."""
    url = db.resolve_url(settings)
    migrate.upgrade_url(url)
    with db.connect(url) as conn:
        empty = not conn.execute("SELECT EXISTS (SELECT 1 FROM warehouse.fact_orders)").fetchone()[0]
    if empty:
        print(f"The warehouse is empty: generating and loading {settings.demo_orders:,} demo orders...",
              flush=True)
        with tempfile.TemporaryDirectory(prefix="demo-data-") as tmp:
            reporter = Reporter()
            generate(Path(tmp), settings.demo_orders, seed=42)
            reporter.step(f"generated the demo files ({settings.demo_orders:,} orders)")
            result = load(url, Path(tmp), reporter=reporter)
        print(f"Demo data loaded (run {result.run_id}, {result.seconds:.1f}s).", flush=True)
    ensure_admin(url, settings)
    return url


def ensure_admin(url: str, settings) -> None:
    """Create the first admin when there are no users; print the password when it was generated."""
    engine = db.make_engine(url)
    try:
        if users.count(engine):
            return
        password = settings.admin_password or secrets.token_urlsafe(12)
        users.create(engine, settings.admin_username, password, "admin")
    finally:
        engine.dispose()
    if settings.admin_password:
        print(f"Created the admin user {settings.admin_username!r} with ADMIN_PASSWORD.", flush=True)
    else:
        print(f"Created the admin user {settings.admin_username!r} with the password {password} "
              "(shown once: change it with `flask --app app users set-password`).", flush=True)


def start_live(url: str, settings) -> Path:
    """Run a simulator and a watcher beside the app (`--live`): live orders every few seconds, loaded
    as they arrive, so a newcomer sees the pages move. Their lines go to logs under INSTANCE_DIR/live;
    they stop with the app (Ctrl-C reaches them too; at exit they are asked again)."""
    live = settings.instance_dir / "live"
    inbox = live / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "DATABASE_URL": url}
    commands = {"watch": ["watch", str(inbox)],
                "simulate": ["simulate", "--into", str(inbox), "--rate", f"{settings.live_rate:g}",
                             "--batch-seconds", f"{settings.live_batch_seconds:g}"]}
    started = []
    for name, args in commands.items():
        log = open(live / f"{name}.log", "a", encoding="utf-8")  # noqa: SIM115 - open while the child runs
        started.append(subprocess.Popen([sys.executable, "-m", "etl", *args], env=env, cwd=ROOT,
                                        stdout=log, stderr=subprocess.STDOUT))
    owner = os.getpid()

    def stop() -> None:
        if os.getpid() != owner:  # a forked web worker leaving: not its children
            return
        for proc in started:
            if proc.poll() is None:
                proc.terminate()
        for proc in started:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
    atexit.register(stop)
    return live


def main() -> None:
    try:
        settings = load_settings()
    except SettingsError as exc:
        sys.exit(f"error: {exc}")
    if "--live" in sys.argv[1:]:
        settings = replace(settings, live=True)
    unknown = [a for a in sys.argv[1:] if a != "--live"]
    if unknown:
        sys.exit(f"error: unknown option {unknown[0]!r}: `python app.py` takes only --live")
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(message)s")
    for noisy in ("pgserver", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        url = prepare_warehouse(settings)
        app = create_app(url, settings)
    except (db.DatabaseUnavailable, users.UserError) as exc:
        sys.exit(f"error: {exc}")
    except KeyboardInterrupt:  # Ctrl-C while preparing: a load rolls back; the embedded server stops at exit
        print("\nStopped before serving; nothing was half-written (run `python app.py` again to start).",
              file=sys.stderr)
        sys.exit(130)
    if settings.live:
        logs = start_live(url, settings)
        print(f"Live: a simulator writes about {settings.live_rate:g} orders a second, in a batch every "
              f"{settings.live_batch_seconds:g}s, and a watcher loads them (logs in {logs}); open /live", flush=True)
    print(f"Serving on http://{settings.host}:{settings.port} (gunicorn: {settings.web_workers} workers x "
          f"{settings.web_threads} threads)", flush=True)
    serve.run(app.server, settings)


if __name__ == "__main__":
    main()
else:
    server = create_app().server  # for gunicorn (`app:server`) and `flask --app app users ...`
