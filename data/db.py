"""Connect to the warehouse: the server named by DATABASE_URL, or an embedded PostgreSQL.

Without DATABASE_URL the `pgserver` package runs a private PostgreSQL whose data lives under
`INSTANCE_DIR/pgdata`. pgserver keeps a list of the processes using the server on disk and
stops it when the last one exits, so the app, gunicorn workers and the ETL CLI can share it.
"""
from __future__ import annotations

import logging
import warnings
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

log = logging.getLogger(__name__)

EMBEDDED_DATABASE = "dashboard"


class DatabaseUnavailable(RuntimeError):
    """The database cannot be reached; the message says where and what to do."""


# What a lost, refused or unanswering database raises, through SQLAlchemy or here.
OUTAGE = (sa.exc.OperationalError, sa.exc.InterfaceError, DatabaseUnavailable)


def describe_url(url: str) -> str:
    """Return the URL without its password, for messages and logs."""
    try:
        return make_url(to_sqlalchemy_url(url)).render_as_string(hide_password=True).replace(
            "postgresql+psycopg://", "postgresql://"
        )
    except Exception:  # noqa: BLE001 - a malformed URL is described as what it is
        return "<unparseable DATABASE_URL>"


def to_sqlalchemy_url(url: str) -> str:
    """Turn any libpq URL (including `?host=/socket/dir` ones) into a SQLAlchemy psycopg URL."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme not in ("postgres", "postgresql", "postgresql+psycopg"):
        raise DatabaseUnavailable(
            f"DATABASE_URL must start with postgresql://, not {scheme + sep or url!r}"
        )
    return "postgresql+psycopg://" + rest


def to_libpq_url(url: str) -> str:
    """Turn a SQLAlchemy URL back into one psycopg and libpq accept."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def start_embedded(instance_dir: Path) -> str:
    """Start (or join) the embedded PostgreSQL under `instance_dir` and return its libpq URL."""
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI): harmless here.
        warnings.simplefilter("ignore")
        import pgserver

        instance_dir.mkdir(parents=True, exist_ok=True)
        server = pgserver.get_server(instance_dir / "pgdata", cleanup_mode="stop")
        admin_url = server.get_uri()
    tune_embedded(admin_url)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (EMBEDDED_DATABASE,)
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{EMBEDDED_DATABASE}"')  # a constant, not user input
    return server.get_uri(EMBEDDED_DATABASE)


# Settings for the embedded server, all reloadable: a first load of a million orders writes a few
# GB of WAL, and with the default max_wal_size (1 GB) checkpoints (and full-page writes) land mid-load.
EMBEDDED_SETTINGS = {"max_wal_size": "4GB", "checkpoint_timeout": "15min"}


def tune_embedded(admin_url: str) -> None:
    """Apply EMBEDDED_SETTINGS to the embedded server (a superuser URL) where they differ."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        stale = [name for name, value in EMBEDDED_SETTINGS.items()
                 if not conn.execute("SELECT current_setting(%s) = %s", (name, value)).fetchone()[0]]
        for name in stale:
            conn.execute(f"ALTER SYSTEM SET {name} = '{EMBEDDED_SETTINGS[name]}'")  # constants above
        if stale:
            conn.execute("SELECT pg_reload_conf()")


def resolve_url(settings) -> str:
    """Return the libpq URL of the warehouse: DATABASE_URL, else the embedded server."""
    if settings.database_url:
        to_sqlalchemy_url(settings.database_url)  # validates the scheme
        return settings.database_url
    return start_embedded(settings.instance_dir)


# Per session of the app's engine: the dashboard's questions hash a few hundred thousand rows (the
# people of a view, their spend), which spill to disk in PostgreSQL's default 4 MB. The warehouse's
# working set is in memory, where an index lookup costs about what a sequential read does: with
# the default random_page_cost (4, for spinning disks) a seller state's orders were found by reading
# all 1.1M items at 1M orders (200 ms) rather than by the sellers' and products' indexes (45 ms).
SESSION_OPTIONS = "-c work_mem=64MB -c random_page_cost=1.1"


def make_engine(url: str, *, connect_timeout: int | None = None, statement_timeout: int | None = None,
                **kwargs) -> Engine:
    """Create a SQLAlchemy engine that checks connections before use (the database may restart).

    The app's engine gives up connecting after `connect_timeout` seconds, has the server cancel
    any statement running longer than `statement_timeout` seconds (0: no limit), and itself stops
    waiting for an answer a little after that: a server that has stopped responding altogether
    (frozen, or its host gone) cannot cancel anything, and would otherwise hold the request for as
    long as it stays so. Code that must answer faster narrows the wait with `deadline`."""
    kwargs.setdefault("pool_pre_ping", True)
    options = SESSION_OPTIONS + (f" -c statement_timeout={int(statement_timeout)}s" if statement_timeout else "")
    connect_args = {"options": options}
    if connect_timeout:
        connect_args["connect_timeout"] = int(connect_timeout)
    kwargs.setdefault("connect_args", connect_args)
    engine = sa.create_engine(to_sqlalchemy_url(url), **kwargs)
    wait = (statement_timeout + 10) if statement_timeout else None

    @event.listens_for(engine, "do_connect")
    def connect(_dialect, _record, cargs, cparams):
        limit = _deadline.get()
        if limit:  # connecting counts against the deadline too (libpq's unit is whole seconds, 2 at least)
            cparams = {**cparams, "connect_timeout": max(2, min(int(limit), int(cparams.get("connect_timeout") or 99)))}
        conn = _PatientConnection.connect(*cargs, **cparams)
        conn.longest_wait = wait
        return conn

    return engine


_deadline: ContextVar[float | None] = ContextVar("database_deadline", default=None)


@contextmanager
def deadline(seconds: float):
    """Within this block, give up on any one database round trip after `seconds` (the connection is
    then closed and the error is an OperationalError, as for a lost connection)."""
    token = _deadline.set(seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


class _PatientConnection(psycopg.Connection):
    """A psycopg connection that waits for the server at most `deadline` (or `longest_wait`) seconds."""

    longest_wait: float | None = None

    def wait(self, gen, interval=0.1, timeout=None):
        limit = timeout if timeout is not None else (_deadline.get() or self.longest_wait)
        try:
            return super().wait(gen, interval=interval, timeout=limit)
        except psycopg.errors._WaitTimeout:  # noqa: SLF001 - psycopg's own way of saying it timed out
            self.close()  # mid-protocol: the connection cannot be used again
            raise psycopg.OperationalError(f"the database did not answer within {limit:g} s") from None


PROBE_SECONDS = 2


def probe(url: str, seconds: int = PROBE_SECONDS, read=None):
    """Return the data version (or what `read(conn)` returns) through a new connection that gives up
    after `seconds`: the health check and the outage banner must answer quickly even when the server
    has stopped responding (a pooled connection would wait on it as long as it stays stopped)."""
    from data.version import data_version

    try:
        with psycopg.connect(to_libpq_url(url), connect_timeout=seconds, autocommit=True,
                             options=f"-c statement_timeout={seconds * 1000}") as conn:
            return (read or data_version)(conn)
    except psycopg.Error as exc:
        raise DatabaseUnavailable(unavailable_message(url, exc)) from None


def connect(url: str, **kwargs) -> psycopg.Connection:
    """Open a psycopg connection, turning a refused or failed connection into DatabaseUnavailable."""
    try:
        return psycopg.connect(to_libpq_url(url), **kwargs)
    except psycopg.OperationalError as exc:
        raise DatabaseUnavailable(unavailable_message(url, exc)) from None


def unavailable_message(url: str, exc: BaseException) -> str:
    """Phrase a connection failure as one line that says where and what to do."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if "password authentication failed" in first:
        hint = "check the user name and password in DATABASE_URL"
    elif "does not exist" in first:
        hint = "create the database or fix DATABASE_URL"
    else:
        hint = "start the database server or fix DATABASE_URL"
    host = urlsplit(to_libpq_url(url)).hostname or "local socket"
    return f"cannot connect to the database at {describe_url(url)} ({host}): {first}; {hint}"
