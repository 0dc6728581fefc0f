"""Run background callbacks (the forecasts) in processes forked from a clean fork server, a few
at a time.

Dash's DiskcacheManager forks its job processes from the app's own process. That process serves
requests on several threads, and a fork copies whatever locks those threads hold at that moment:
a job forked while another thread was inside SQLite (the disk caches) hung on its first cache
write. Here jobs come from multiprocess's fork server instead, a single-threaded process that has
imported the callbacks once, so a job starts quickly and inherits no lock, no connection and no
Flask app: it reaches the warehouse by the same settings the app was started with.

Each job takes a slot (`data.jobs`: per user and in all, shared by every worker and host); a
request over the limit gets its answer at once, an error the callback's `on_error` shows, and no
process. A result already cached starts no process either. The user's data scope travels with
the job in Dash's callback context, and is part of the result's cache key.
"""
from __future__ import annotations

import logging

from dash import DiskcacheManager
from flask import current_app, request
from flask_login import current_user

from data import audit, db, jobs
from data.settings import load_settings

PRELOAD = ["callbacks.forecast"]
SCOPE_KEY = "olist_scope"  # the key callbacks._context reads in a job
log = logging.getLogger("app")


def _fork_server():
    from multiprocess import get_context  # the module DiskcacheManager itself requires

    context = get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context


def warm_up() -> None:
    """Start the fork server now (a few seconds of imports), so the first job starts at once and its
    Cancel button has a job to cancel. `python app.py` calls this before serving."""
    import signal
    import threading

    from multiprocess import forkserver

    _fork_server()
    if threading.current_thread() is not threading.main_thread():
        forkserver.ensure_running()
        return
    # Started ignoring SIGINT (an ignored signal stays ignored across exec): a Ctrl-C at the terminal
    # reaches the whole process group, and the fork server, still importing, printed a traceback. It
    # ends with the worker that started it (its pipe closes), as before.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        forkserver.ensure_running()
    finally:
        signal.signal(signal.SIGINT, previous)


REFUSED = "[no slot] "


def failure_text(err: Exception) -> str:
    """What a background callback's `on_error` shows: the refusal as written, anything else as a failure
    (logged once, without a traceback for the user)."""
    text = str(err)
    if REFUSED in text:
        return text.split(REFUSED, 1)[1].split("\n", 1)[0]
    log.warning("a background job failed: %s", text.splitlines()[0][:300] if text else type(err).__name__)
    return "This could not be computed; it has been logged. Try again, or change the filters."


def scope_key() -> tuple:
    """The signed-in user's scope, for the results' cache key (two scopes never share a result)."""
    if not current_user.is_authenticated:
        return ("nobody",)
    return (current_user.scope.sellers, current_user.scope.states)


def _run(job_id, job_fn, key, progress_key, args, context):
    """The job process: the callback, then its slot freed whatever happened."""
    try:
        job_fn(key, progress_key, args, context)
    finally:
        engine = job_engine()
        try:
            jobs.release(engine, job_id)
        finally:
            engine.dispose()


class ForkServerManager(DiskcacheManager):
    """DiskcacheManager whose jobs start from a fork server, within the job slots."""

    def call_job_fn(self, key, job_fn, args, context):
        if self.result_ready(key):
            return 0  # answered from the cache: no process
        settings, engine = current_app.extensions["settings"], current_app.extensions["engine"]()
        try:
            job_id = jobs.reserve(engine, current_user.user_id, settings.jobs_per_user, settings.jobs_total)
        except jobs.NoSlot as exc:
            audit.record_now(engine, "job_refused", actor=current_user.username, detail={"reason": str(exc)},
                             address=request.remote_addr)
            self.handle.set(key, {"background_callback_error": {"msg": REFUSED + str(exc), "tb": ""}}, expire=60)
            return 0
        context[SCOPE_KEY] = scope_key()
        process = _fork_server().Process(target=_run, args=(job_id, job_fn, key, self._make_progress_key(key),
                                                            args, context))
        try:
            process.start()
        except BaseException:
            jobs.release(engine, job_id)
            raise
        jobs.started(engine, job_id, process.pid)
        return process.pid

    def get_result(self, key, job):
        result = super().get_result(key, job)
        if isinstance(result, dict) and "background_callback_error" in result:
            self.clear_cache_entry(key)  # a refusal or a failure is never served again from the cache
        return result

    def terminate_job(self, job):
        if job:
            try:
                jobs.release(current_app.extensions["engine"](), pid=int(job))
            except Exception:  # noqa: BLE001 - freeing the slot is best effort; the sweep catches it
                log.warning("could not free the slot of job %s", job)
        super().terminate_job(job)


def job_engine():
    """An engine for a job: the app's database, found from the settings as `python app.py` does."""
    return db.make_engine(db.resolve_url(load_settings()), pool_size=1)
