"""Reach the process's Warehouse from inside a callback, and keep database outages out of sight.

A callback that finds the database gone keeps what the page shows (PreventUpdate) instead of
raising; the shell's health poll shows a banner meanwhile and refreshes the page's data when the
database answers again.
"""
import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from functools import wraps

import sqlalchemy as sa
from dash.exceptions import PreventUpdate
from flask import current_app

from data.db import DatabaseUnavailable
from data.filters import Filters

log = logging.getLogger("app")
OUTAGE = (sa.exc.OperationalError, sa.exc.InterfaceError, DatabaseUnavailable)


def warehouse():
    return current_app.extensions["warehouse"]()


def together(*asks):
    """Ask independent warehouse questions (functions of no arguments) at once, each on its own
    connection, and return their answers in order: a callback that needs several waits for the
    slowest instead of their sum. An outage in any of them raises here, as if asked in turn."""
    with ThreadPoolExecutor(max_workers=len(asks)) as pool:
        return list(pool.map(lambda ask: ask(), asks))


def guarded(fn):
    """Wrap a callback: a lost database leaves the page as it is, no traceback."""
    @wraps(fn)
    def run(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except OUTAGE:
            log.warning("database unreachable in %s", fn.__name__)  # no Flask app in a background job
            raise PreventUpdate from None
    return run


def database_ok() -> bool:
    try:
        with warehouse().engine().connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        return True
    except OUTAGE:
        return False


def filters_from(data: dict | None) -> Filters | None:
    """The shell's `filters` store as Filters (None before the data is known)."""
    if not data:
        return None
    return Filters(date.fromisoformat(data["start"]), date.fromisoformat(data["end"]),
                   tuple(filter(None, data.get("state", "").split(","))),
                   tuple(filter(None, data.get("category", "").split(","))),
                   tuple(filter(None, data.get("seller", "").split(","))), tuple(data["statuses"]))
