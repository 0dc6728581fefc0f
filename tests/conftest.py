"""Fixtures: a real PostgreSQL (embedded by default, TEST_DATABASE_URL for another server).

Each test that writes gets its own database, cloned from a migrated template, so tests never
see each other's data and a failing test leaves nothing behind for the next one.
"""
from __future__ import annotations

import itertools
from contextlib import contextmanager
import os
import shutil
import tempfile
import uuid
import warnings
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from data import db, migrate

FIXTURES = Path(__file__).with_name("fixtures")
_counter = itertools.count()


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


@pytest.fixture(scope="session")
def server_url():
    """A maintenance URL of the server the tests use (the embedded one unless TEST_DATABASE_URL)."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        yield url
        return
    tmp = Path(tempfile.mkdtemp(prefix="olist-test-pg-"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver

        server = pgserver.get_server(tmp / "pgdata", cleanup_mode="delete")
    yield server.get_uri("postgres")
    server.cleanup()
    shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def template_db(server_url):
    """A migrated database that every test database is cloned from."""
    name = f"olist_tmpl_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    engine = db.make_engine(_with_database(server_url, name))
    migrate.upgrade(engine)
    engine.dispose()
    yield name
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def database(server_url: str, template_db: str, name: str):
    """A new database cloned from the migrated template; dropped afterwards, whatever happened."""
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_db}"')
    try:
        yield _with_database(server_url, name)
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def generated_warehouse(server_url: str, template_db: str, folder: Path, name: str, orders: int, seed: int):
    """A connection to a new database holding `orders` generated orders (generated into `folder`)."""
    from data.db import make_engine
    from etl.generate import generate
    from etl.load import load

    with database(server_url, template_db, name) as url:
        generate(folder, orders, seed)
        load(url, folder)
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                yield conn
        finally:
            engine.dispose()


@pytest.fixture
def db_url(server_url, template_db):
    """The URL of a fresh, migrated, empty warehouse database for one test."""
    with database(server_url, template_db, f"olist_t_{os.getpid()}_{next(_counter)}") as url:
        yield url


@pytest.fixture
def sql(db_url):
    """Run a query on the test database and return all rows."""
    conn = psycopg.connect(db_url, autocommit=True)

    def run(query, params=None):
        cur = conn.execute(query, params)
        return cur.fetchall() if cur.description else None

    yield run
    conn.close()


def assert_rollups_are_the_stars_rows(run) -> None:
    """Every generated rollup holds exactly the rows its declaration gives compiled over the star
    (`run(sql)` returns rows): whether it was filled from the loader's shared input, summed from a
    finer rollup or refreshed by a delta. Arrays compare as sets (an order's values have no order)."""
    from collections import Counter

    from data.semantic.catalogue import CATALOGUE
    from data.semantic.rollup_sql import select
    from data.semantic.sql import people_fill

    def rows(query):
        return Counter(tuple(tuple(sorted(v)) if isinstance(v, list) else v for v in r) for r in run(query))
    for r in CATALOGUE.rollups:
        cols = ", ".join(f'"{x}"' for x in ("period", *r.dimensions, *((r.overlap,) if r.overlap else ()), *r.measures))
        assert rows(f"SELECT {cols} FROM {r.table}") == rows(select(CATALOGUE, r, "true")), r.name
        if r.source:  # each group counts its source's rows (a load deletes a group whose count reaches 0)
            dims = "".join(f', "{d}"' for d in r.dimensions)
            assert rows(f"SELECT period{dims}, source_rows FROM {r.table}") == rows(
                f"SELECT date_trunc('{r.grain}', period)::date{dims}, count(*) FROM warehouse.rollup_{r.source} "
                f"GROUP BY {', '.join(str(n) for n in range(1, len(r.dimensions) + 2))}"), r.name
    p = CATALOGUE.people  # each repeat buyer's orders, with their person's first order
    cols = ", ".join(["period", "person", "first_date", *(f'"{k}"' for k in (*p.dimensions, *p.lists))])
    assert rows(f"SELECT {cols} FROM {p.table}") == rows(people_fill(CATALOGUE, "true")), p.name
    for name, count in run("SELECT name, row_count FROM etl.rollups"):  # the sizes the planner reads
        assert run(f"SELECT count(*) FROM warehouse.rollup_{name}") == [(count,)], name


def write(folder: Path, name: str, text: str | bytes) -> Path:
    """Write a test file exactly as given (bytes, or text encoded as UTF-8 with no newline translation)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path
