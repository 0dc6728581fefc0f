"""The dashboard's app factory and entry point (`python app.py`; `app:server` for gunicorn).

For now it is the shell the dashboard grows in: it prepares the warehouse (embedded PostgreSQL,
migrations, demo data on an empty warehouse) and serves `/healthz` and a placeholder page. The
pages, login and callbacks arrive with the dashboard issue.
"""
from __future__ import annotations

import logging
import sys
import tempfile
from pathlib import Path

import dash
import dash_bootstrap_components as dbc
import sqlalchemy as sa
from flask import jsonify

from data import db, migrate
from data.settings import SettingsError, load_settings
from data.version import data_version
from etl.generate import generate
from etl.load import load
from etl.progress import Reporter

__version__ = "0.1.0"
log = logging.getLogger("app")


def create_app(database_url: str | None = None) -> dash.Dash:
    """Build the Dash app; the database is only touched when a request needs it."""
    app = dash.Dash(__name__, title="Olist Analytics", external_stylesheets=[],
                    serve_locally=True, suppress_callback_exceptions=True)
    app.server.config["DATABASE_URL"] = database_url
    app.layout = dbc.Container([
        dash.html.H1("Olist Analytics"),
        dash.html.P("The warehouse is ready. The dashboard pages arrive with the next release; "
                    "meanwhile load data with `python -m etl load DIR` and check it with "
                    "`python -m etl status`."),
    ], className="py-4")

    @app.server.get("/healthz")
    def healthz():
        url = app.server.config.get("DATABASE_URL")
        body = {"app_version": __version__, "database": "unconfigured", "data_version": None}
        if not url:
            return jsonify(body), 503
        try:
            engine = _engine(app, url)
            with engine.connect() as conn:
                body["data_version"] = data_version(conn)
            body["database"] = "ok"
            return jsonify(body), 200
        except sa.exc.SQLAlchemyError:
            body["database"] = "unreachable"
            return jsonify(body), 503

    return app


def _engine(app, url):
    engine = app.server.extensions.get("warehouse_engine")
    if engine is None:
        engine = app.server.extensions["warehouse_engine"] = db.make_engine(url, pool_size=5)
    return engine


def prepare_warehouse(settings) -> str:
    """Start or reach the database, migrate it, and load demo data into an empty warehouse."""
    url = db.resolve_url(settings)
    migrate.upgrade_url(url)
    with db.connect(url) as conn:
        empty = not conn.execute("SELECT EXISTS (SELECT 1 FROM warehouse.fact_orders)").fetchone()[0]
    if empty:
        print(f"The warehouse is empty: generating and loading {settings.demo_orders:,} demo orders...",
              flush=True)
        with tempfile.TemporaryDirectory(prefix="demo-data-") as tmp:
            generate(Path(tmp), settings.demo_orders, seed=42)
            result = load(url, Path(tmp), reporter=Reporter())
        print(f"Demo data loaded (run {result.run_id}, {result.seconds:.1f}s).", flush=True)
    return url


def main() -> None:
    try:
        settings = load_settings()
    except SettingsError as exc:
        sys.exit(f"error: {exc}")
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(message)s")
    for noisy in ("pgserver", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        url = prepare_warehouse(settings)
    except db.DatabaseUnavailable as exc:
        sys.exit(f"error: {exc}")
    app = create_app(url)
    print(f"Serving on http://{settings.host}:{settings.port}", flush=True)
    app.run(host=settings.host, port=settings.port, debug=False)


if __name__ == "__main__":
    main()
