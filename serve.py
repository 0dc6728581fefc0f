"""Serve the app with gunicorn, a production WSGI server, as `python app.py` does.

Threaded workers (gthread): a page fires its callbacks at once and each waits mostly on
PostgreSQL, so a few processes with several threads each serve a page in parallel without a
process per request. Workers default to the machine's cores (WEB_WORKERS), threads to 8
(WEB_THREADS). The app is built once in the parent and shared by the forked workers; each
creates its own database engine on first use. gunicorn's `Server` header names no version.
Deployments behind a proxy run `gunicorn app:server` the same way (README: "Deploying").
"""
from __future__ import annotations

import signal

from gunicorn.app.base import BaseApplication

from callbacks import _jobs as jobs


class _Server(BaseApplication):
    def __init__(self, wsgi_app, options: dict):
        self.wsgi_app = wsgi_app
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        return self.wsgi_app


def options(settings) -> dict:
    return {
        "bind": f"{settings.host}:{settings.port}",
        "workers": settings.web_workers,
        "threads": settings.web_threads,
        "worker_class": "gthread",
        "timeout": 120,  # a worker whose main loop is silent this long is replaced (a request may be slow)
        "graceful_timeout": 20,
        # One line per request only when asked for (LOG_LEVEL=DEBUG); gunicorn's own start-up lines
        # (its address, each worker booting) would repeat what `python app.py` already printed.
        "accesslog": "-" if settings.log_level == "DEBUG" else None,
        "errorlog": "-",
        "loglevel": "debug" if settings.log_level == "DEBUG" else "warning",
        "forwarded_allow_ips": "*" if settings.proxy_count else "127.0.0.1",
        "limit_request_line": 8190,
        "limit_request_fields": 100,
        "post_fork": _worker_started,
        "worker_int": _worker_stopping,
    }


def _worker_started(_server, _worker) -> None:
    """Each worker starts its own fork server for background jobs: a fork server started by the
    parent is not the worker's child, and multiprocess checks on it with waitpid."""
    jobs.warm_up()


def _worker_stopping(_worker) -> None:
    """A worker told to quit (Ctrl-C reaches every process of the terminal's group, then the master
    sends its own quit signal) exits without acting on the second one: arriving during the exit's
    clean-up, it printed a traceback. A handler that does nothing, not SIG_IGN: a signal already
    pending when the handler becomes SIG_IGN raises "ignored due to race condition" instead."""
    for name in ("SIGINT", "SIGQUIT", "SIGTERM"):
        signal.signal(getattr(signal, name), _ignore)


def _ignore(_signum, _frame) -> None:
    return None


def run(wsgi_app, settings) -> None:
    """Serve until stopped (Ctrl-C or SIGTERM)."""
    _Server(wsgi_app, options(settings)).run()
