"""Reach the process's Warehouse from inside a callback, and keep database outages out of sight.

A callback that finds the database gone keeps what the page shows (PreventUpdate) instead of
raising; the shell's health poll shows a banner meanwhile and refreshes the page's data when the
database answers again.

Every answer is computed inside the signed-in user's data scope: `warehouse()` is the process's
Warehouse scoped to the user, and `filters_from` applies the scope to the filters a request
carries (a crafted request cannot widen them). A background job has no request: the scope its
request carried travels with it in Dash's callback context (`callbacks._jobs`).
"""
import logging
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar, copy_context
from functools import wraps

from dash._callback_context import context_value
from dash.exceptions import PreventUpdate
from flask import current_app, has_request_context
from flask_login import current_user

from callbacks._jobs import SCOPE_KEY
from data.cache import one_version
from data.db import OUTAGE
from data.filters import Filters, from_store, seller_id
from data.scope import Scope

log = logging.getLogger("app")
# The date range this callback's charts show (callbacks/_figures.base sets it as the figures'
# uirevision): new data redraws them keeping the reader's zoom and hidden series.
VIEW: ContextVar[str | None] = ContextVar("view", default=None)


def current_scope() -> Scope:
    """The signed-in user's scope (in a job: the one its request carried). Nobody signed in, or a
    job without a scope, gets no answer at all."""
    if has_request_context():
        if not current_user.is_authenticated:
            raise PreventUpdate
        return current_user.scope
    carried = (context_value.get() or {}).get(SCOPE_KEY)
    if carried is None:
        raise PreventUpdate
    return Scope(*carried)


def warehouse():
    """The process's Warehouse, answering only inside the signed-in user's scope."""
    return current_app.extensions["warehouse"]().scoped(current_scope())


def seller_choices(typed, chosen) -> list[dict]:
    """The type-ahead's options: the chosen sellers, then at most 20 matching what was typed (two
    characters at least), never the whole list; inside the user's scope."""
    chosen = [c for c in (chosen if isinstance(chosen, list) else []) if isinstance(c, str) and seller_id(c) == c]
    labels = warehouse().seller_labels(tuple(chosen))
    keep = [{"label": labels[v], "value": v} for v in (chosen or []) if v in labels]
    if not typed or len(typed) < 2:
        return keep
    return keep + [o for o in warehouse().seller_options(typed) if o["value"] not in (chosen or [])]


def together(*asks):
    """Ask independent warehouse questions (functions of no arguments) at once, each on its own
    connection, and return their answers in order: a callback that needs several waits for the
    slowest instead of their sum. An outage in any of them raises here, as if asked in turn."""
    contexts = [copy_context() for _ in asks]  # each thread asks under the caller's pinned data version
    with ThreadPoolExecutor(max_workers=len(asks)) as pool:
        return list(pool.map(lambda pair: pair[0].run(pair[1]), zip(contexts, asks)))


def guarded(fn):
    """Wrap a callback: a lost database leaves the page as it is, no traceback; its cached answers
    read the data version once (data.cache.one_version)."""
    @wraps(fn)
    def run(*args, **kwargs):
        token = VIEW.set(None)
        try:
            with one_version():
                return fn(*args, **kwargs)
        except OUTAGE:
            log.warning("database unreachable in %s", fn.__name__)  # no Flask app in a background job
            raise PreventUpdate from None
        finally:
            VIEW.reset(token)
    return run


def filters_from(data: dict | None) -> Filters | None:
    """The shell's `filters` store as Filters (None before the data is known)."""
    if not data:
        return None
    f = from_store(data)
    if f is None:
        raise ValueError("the filters are not a filter state")  # crafted: a 400 (auth.headers), not a chart
    # Zoom belongs to a date range: new data in the same range keeps it, another range starts afresh.
    # (The dates alone: an answer carries nothing that tells one user's scope from another's.)
    VIEW.set(f"{f.start}..{f.end}")
    return current_scope().apply(f)
