"""Sign users in and keep everyone else out: every route but sign-in, health and static assets.

The guard runs before every request, so Dash's own endpoints (`/_dash-layout`,
`/_dash-dependencies`, `/_dash-update-component`) refuse anonymous requests like the pages do, and
a session that still owes its second factor reaches nothing but that step. Sessions live on the
server (`auth.sessions`); sign-in is throttled without lockouts (`data.throttle`); responses carry
the security headers (`auth.headers`); users are managed from the CLI (`auth.cli`) and the Admin page.
"""
from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

from flask import Flask, jsonify, redirect, request, session, url_for
from flask_login import LoginManager, current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from auth import cli, headers, views
from auth.sessions import COOKIE, ServerSessionInterface
from data.sessions import SessionStore

PUBLIC_PREFIXES = ("/login", "/logout", "/healthz", "/assets/", "/_dash-component-suites/", "/_favicon.ico")
SECOND_STEP = ("/login/two-factor", "/account/two-factor", "/logout")
ADMIN_PREFIXES = ("/admin",)


def secret_key(settings) -> str:
    """SECRET_KEY from the environment, else one generated once and kept under INSTANCE_DIR."""
    if settings.secret_key:
        return settings.secret_key
    path = Path(settings.instance_dir) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def init_app(server: Flask, engine_getter, settings, outage_errors: tuple, csp_hashes) -> None:
    """Wire sessions, sign-in, the guard, the headers, the limits and the `users` CLI into the server."""
    server.config.update(
        SECRET_KEY=secret_key(settings),
        SESSION_COOKIE_NAME=COOKIE,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=settings.max_content_length,
        WTF_CSRF_TIME_LIMIT=3600,
        PREFERRED_URL_SCHEME=settings.preferred_url_scheme,
    )
    if settings.proxy_count:
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=settings.proxy_count, x_proto=settings.proxy_count,
                                   x_host=settings.proxy_count)
    store = SessionStore(engine_getter, timedelta(minutes=settings.session_idle_minutes),
                         timedelta(hours=settings.session_max_hours))
    server.extensions["sessions"] = store
    server.session_interface = ServerSessionInterface(store, outage_errors,
                                                      Path(settings.instance_dir) / "trusted-sessions")
    manager = LoginManager(server)
    manager.session_protection = None  # the server-side session is the protection

    @manager.user_loader
    def load_user(user_id: str):
        """The user of this request's verified server session (read with it: no second query)."""
        user = session.user if session.verified else None
        return user if user is not None and str(user.user_id) == user_id else None

    server.register_blueprint(views.blueprint(engine_getter, outage_errors))
    server.before_request(_guard)
    headers.init_app(server, csp_hashes)
    server.cli.add_command(cli.users_group(engine_getter))


def _refuse(message: str, status: int):
    return jsonify(error=message), status


def _guard():
    path = request.path
    if path.startswith(PUBLIC_PREFIXES):
        return None
    if path.startswith("/api/"):
        return _guard_api()
    here = request.full_path.rstrip("?")
    if session.user is not None and not session.verified:  # owes a second factor, or must set one up
        if path in SECOND_STEP:
            return None
        if path.startswith("/_dash-") or request.method != "GET":
            return _refuse("second factor required", 401)
        step = "auth.second_factor" if session.user.totp_enabled else "auth.two_factor"
        return redirect(url_for(step, next=here))
    if not current_user.is_authenticated:
        if path.startswith("/_dash-") or request.method != "GET":
            return _refuse("login required", 401)
        return redirect(url_for("auth.login", next=here))
    if path.startswith(ADMIN_PREFIXES) and current_user.role != "admin":
        if path.startswith("/_dash-"):
            return _refuse("admins only", 403)
        return "Admins only.", 403
    return None



def _guard_api():
    """The API answers a signed-in session only, and refuses in its own error shape (no redirects)."""
    def refuse(code: str, message: str, status: int):
        return jsonify(error={"code": code, "message": message}), status
    if session.user is not None and not session.verified:
        return refuse("unauthorized", "finish signing in with your second factor first", 401)
    if not current_user.is_authenticated:
        return refuse("unauthorized", "sign in first (POST /login), then send the session cookie", 401)
    return None
