"""Run background callbacks (the forecasts) in processes forked from a clean fork server.

Dash's DiskcacheManager forks its job processes from the app's own process. That process serves
requests on several threads, and a fork copies whatever locks those threads hold at that moment:
a job forked while another thread was inside SQLite (the disk caches) hung on its first cache
write. Here jobs come from multiprocess's fork server instead, a single-threaded process that has
imported the callbacks once, so a job starts quickly and inherits no lock, no connection and no
Flask app: it reaches the warehouse by the same settings the app was started with.
"""
from __future__ import annotations

from dash import DiskcacheManager

from data import db
from data.settings import load_settings

PRELOAD = ["callbacks.forecast"]


def _fork_server():
    from multiprocess import get_context  # the module DiskcacheManager itself requires

    context = get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context


def warm_up() -> None:
    """Start the fork server now (a few seconds of imports), so the first job starts at once and its
    Cancel button has a job to cancel. `python app.py` calls this before serving."""
    from multiprocess import forkserver

    _fork_server()
    forkserver.ensure_running()


class ForkServerManager(DiskcacheManager):
    """DiskcacheManager whose jobs start from a fork server rather than from the app's process."""

    def call_job_fn(self, key, job_fn, args, context):
        process = _fork_server().Process(target=job_fn, args=(key, self._make_progress_key(key), args, context))
        process.start()
        return process.pid


def job_engine():
    """An engine for a job: the app's database, found from the settings as `python app.py` does."""
    return db.make_engine(db.resolve_url(load_settings()), pool_size=1)
