"""Log users in and keep everyone else out: every route but login, health and static assets.

The guard runs before every request, so Dash's own endpoints (`/_dash-layout`,
`/_dash-dependencies`, `/_dash-update-component`) refuse anonymous requests like the pages do.
Passwords are checked with scrypt (`data.users`); the login form carries a CSRF token; failed
logins are rate-limited per address and per user name; the session cookie is HttpOnly,
SameSite=Lax, and Secure when the request came over HTTPS.
"""
from __future__ import annotations

import secrets
from pathlib import Path
from urllib.parse import urlsplit

import click
import sqlalchemy as sa
from flask import Flask, jsonify, redirect, render_template_string, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired

from data import users
from data.db import DatabaseUnavailable

PUBLIC_PREFIXES = ("/login", "/healthz", "/assets/", "/_dash-component-suites/", "/_favicon.ico")
ADMIN_PREFIXES = ("/admin",)
LOGIN_LIMITS = {"address": "20 per 5 minutes", "username": "5 per 5 minutes"}

LOGIN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · Olist Analytics</title>
<style>
 body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f4f6f9;margin:0;
      display:flex;min-height:100vh;align-items:center;justify-content:center;color:#1f2933}
 form{background:#fff;padding:2rem;border-radius:.75rem;box-shadow:0 4px 24px rgba(0,0,0,.08);width:min(22rem,90vw)}
 h1{font-size:1.25rem;margin:0 0 1.25rem} label{display:block;font-size:.875rem;margin:.75rem 0 .25rem}
 input{width:100%;box-sizing:border-box;padding:.6rem .7rem;border:1px solid #cbd2d9;border-radius:.4rem;font-size:1rem}
 button{margin-top:1.25rem;width:100%;padding:.65rem;border:0;border-radius:.4rem;background:#2563eb;color:#fff;font-size:1rem}
 .error{background:#fdecea;color:#8a1c1c;padding:.6rem .75rem;border-radius:.4rem;font-size:.875rem}
</style></head><body>
<form method="post" action="{{ url_for('auth.login', next=next) }}">
 <h1>Olist Analytics</h1>
 {% if error %}<p class="error" role="alert">{{ error }}</p>{% endif %}
 {{ form.csrf_token }}
 <label for="username">User name</label>{{ form.username(id="username", autocomplete="username", autofocus=true) }}
 <label for="password">Password</label>{{ form.password(id="password", autocomplete="current-password") }}
 <button type="submit">Sign in</button>
</form></body></html>"""


class LoginForm(FlaskForm):
    username = StringField(validators=[DataRequired()])
    password = PasswordField(validators=[DataRequired()])


class _SessionInterface(SecureCookieSessionInterface):
    """Mark the session cookie Secure whenever the request itself came over HTTPS."""

    def get_cookie_secure(self, app):
        try:
            return request.is_secure or super().get_cookie_secure(app)
        except RuntimeError:  # outside a request
            return super().get_cookie_secure(app)


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


def _safe_next(target: str | None) -> str:
    """Only same-site paths: a login link must not send people elsewhere."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def init_app(server: Flask, engine_getter, settings) -> None:
    """Wire login, logout, the guard, the rate limits and the `users` CLI into the Flask server."""
    server.config.update(
        SECRET_KEY=secret_key(settings),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
    )
    server.session_interface = _SessionInterface()
    manager = LoginManager(server)

    @manager.user_loader
    def load_user(user_id: str):
        """The user, from the database; while it is unreachable, from the signed session, so a
        signed-in user still gets pages that say the database is down rather than errors."""
        try:
            return users.get(engine_getter(), int(user_id))
        except (sa.exc.OperationalError, sa.exc.InterfaceError, DatabaseUnavailable):
            known = session.get("identity")
            return users.User(**known) if known and str(known["user_id"]) == user_id else None

    limiter = Limiter(get_remote_address, app=server, storage_uri=settings.redis_url or "memory://",
                      default_limits=[], headers_enabled=False)
    bp = _blueprint(engine_getter, limiter)
    server.register_blueprint(bp)
    server.before_request(_guard)
    server.cli.add_command(_users_cli(engine_getter))


def _guard():
    path = request.path
    if path.startswith(PUBLIC_PREFIXES):
        return None
    if not current_user.is_authenticated:
        if path.startswith("/_dash-") or request.method != "GET":
            return jsonify(error="login required"), 401
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if path.startswith(ADMIN_PREFIXES) and current_user.role != "admin":
        if path.startswith("/_dash-"):
            return jsonify(error="admins only"), 403
        return "Admins only.", 403
    return None


def _blueprint(engine_getter, limiter):
    from flask import Blueprint

    bp = Blueprint("auth", __name__)

    def failed(response) -> bool:
        return response.status_code != 302  # only failed attempts count towards the limits

    @bp.route("/login", methods=["GET", "POST"])
    @limiter.limit(LOGIN_LIMITS["address"], methods=["POST"], deduct_when=failed)
    @limiter.limit(LOGIN_LIMITS["username"], methods=["POST"], deduct_when=failed,
                   key_func=lambda: "user:" + (request.form.get("username") or "").strip().lower())
    def login():
        form = LoginForm()
        target = _safe_next(request.args.get("next"))
        error = None
        if request.method == "POST":
            if not form.validate_on_submit():
                error = ("The form expired; sign in again." if "csrf_token" in form.errors
                         else "Enter your user name and password.")
            else:
                user = users.authenticate(engine_getter(), form.username.data, form.password.data)
                if user is not None:
                    login_user(user)
                    session["identity"] = {"user_id": user.user_id, "username": user.username,
                                           "role": user.role, "active": user.active}
                    return redirect(target)
                error = "Wrong user name or password."
        status = 400 if error else 200
        return render_template_string(LOGIN_PAGE, form=form, error=error, next=target), status

    @bp.errorhandler(429)
    def too_many(_exc):
        form = LoginForm()
        return render_template_string(
            LOGIN_PAGE, form=form, next=_safe_next(request.args.get("next")),
            error="Too many failed sign-ins. Wait a few minutes, then try again."), 429

    @bp.route("/logout")
    def logout():
        logout_user()
        session.pop("identity", None)
        return redirect(url_for("auth.login"))

    return bp


def _users_cli(engine_getter) -> click.Group:
    @click.group("users")
    def group():
        """Manage the dashboard's users."""

    def run(action):
        try:
            action()
        except users.UserError as exc:
            raise click.ClickException(str(exc)) from None

    @group.command("create")
    @click.argument("username")
    @click.option("--role", type=click.Choice(users.ROLES), default="viewer", show_default=True)
    @click.password_option(help="Prompted for when not given.")
    def create(username, role, password):
        """Add a user."""
        run(lambda: users.create(engine_getter(), username, password, role))
        click.echo(f"created {username} ({role})")

    @group.command("list")
    def list_():
        """List users with their roles."""
        for u in users.list_users(engine_getter()):
            click.echo(f"{u.username}\t{u.role}\t{'active' if u.active else 'disabled'}")

    @group.command("set-password")
    @click.argument("username")
    @click.password_option(help="Prompted for when not given.")
    def set_password(username, password):
        """Give a user a new password."""
        run(lambda: users.set_password(engine_getter(), username, password))
        click.echo(f"password changed for {username}")

    @group.command("disable")
    @click.argument("username")
    def disable(username):
        """Stop a user from signing in (their data and history stay)."""
        run(lambda: users.set_active(engine_getter(), username, False))
        click.echo(f"disabled {username}")

    return group
