"""Apply the Alembic migrations that create and evolve the warehouse, etl and app schemas.

Both the app (on start) and the ETL (before a load) call `upgrade`. Concurrent callers are
serialised by an advisory lock taken in `migrations/env.py`, so two processes starting at once
cannot both try to create the same tables.
"""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config(engine: Engine) -> Config:
    """Build an Alembic config that runs against `engine` without an alembic.ini."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def head_revision() -> str:
    """Return the newest revision the code knows."""
    return ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """Return the revision the database is at, or None before the first migration."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine) -> None:
    """Bring the database to the newest revision; a no-op when it is there already."""
    if current_revision(engine) == head_revision():
        return
    command.upgrade(alembic_config(engine), "head")


def upgrade_url(url: str, build_rollups: bool = True) -> str:
    """Migrate the database at `url`, bring its rollups to the code's definition, return its revision.

    The semantic layer's rollups that are not current are built too (unless build_rollups=False, or
    while a load holds the loader's lock: the load builds them).

    An unreachable database raises DatabaseUnavailable.
    """
    import sqlalchemy as sa

    from data import db

    from data.semantic.catalogue import CATALOGUE
    from etl import rollups, semantic_rollups

    engine = db.make_engine(url)
    try:
        upgrade(engine)
        with db.connect(url, autocommit=True) as conn:
            rollups.ensure_current(conn)  # a migration may have added a rollup the facts must fill
            if build_rollups:
                semantic_rollups.build(conn, CATALOGUE, wait=False)
        return current_revision(engine)
    except sa.exc.OperationalError as exc:
        raise db.DatabaseUnavailable(db.unavailable_message(url, exc.orig or exc)) from None
    finally:
        engine.dispose()
