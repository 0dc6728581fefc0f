"""Sign in (password, then a second factor when the user has one), two-factor enrolment, sign out.

Failed attempts are slowed per address and per account (`data.throttle`); a browser that has signed
in to an account before carries a signed device cookie and is counted apart, so a stranger cannot
keep the owner out. A database outage is a clear 503 page and counts against nobody.
"""
from __future__ import annotations

import io
import secrets
from urllib.parse import urlsplit

import qrcode
import qrcode.image.svg
from flask import Blueprint, current_app, make_response, redirect, render_template_string, request, session, url_for
from flask_login import login_user
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, URLSafeTimedSerializer
from markupsafe import Markup
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from auth import templates
from auth.sessions import end, start
from data import audit, throttle, twofactor, users

DEVICE_COOKIE = "olist_device"
DEVICE_MAX_AGE = 180 * 86400


class LoginForm(FlaskForm):
    username = StringField(validators=[DataRequired(), Length(max=64)])
    password = PasswordField(validators=[DataRequired(), Length(max=1024)])


class CodeForm(FlaskForm):
    code = StringField(validators=[DataRequired(), Length(max=20)])


class EmptyForm(FlaskForm):
    """Only the CSRF token (sign out)."""


def safe_next(target: str | None) -> str:
    """Only same-site paths, on one line: a sign-in link must not send people elsewhere."""
    if not target or any(ord(c) < 32 or c == "\\" for c in target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target[:2000]


def page(body: str, status: int = 200, *, title: str, heading: str | None = None, error: str | None = None,
         message: str | None = None, headers: dict | None = None, **values):
    inner = Markup(render_template_string(body, **values))
    html = render_template_string(templates.BASE, body=inner, title=title, heading=heading, error=error,
                                  message=message)
    response = make_response(html, status)
    for k, v in (headers or {}).items():
        response.headers[k] = v
    return response


def _address() -> str:
    return request.remote_addr or "?"


def _devices():
    return URLSafeTimedSerializer(current_app.secret_key, salt="olist-device-cookie")


def _device_for(username: str) -> str | None:
    """The nonce of this browser's device cookie for `username`, if it carries a valid one."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return None
    try:
        value = _devices().loads(raw, max_age=DEVICE_MAX_AGE)
    except (BadSignature, TypeError, ValueError):
        return None
    if not isinstance(value, dict) or value.get("u") != username.strip().lower():
        return None
    return str(value.get("n"))[:40]


def _give_device_cookie(response, username: str) -> None:
    token = _devices().dumps({"u": username.strip().lower(), "n": secrets.token_urlsafe(16)})
    response.set_cookie(DEVICE_COOKIE, token, max_age=DEVICE_MAX_AGE, path="/login", httponly=True,
                        samesite="Lax", secure=request.is_secure)


def blueprint(engine_getter, outage_errors: tuple) -> Blueprint:
    bp = Blueprint("auth", __name__)

    def unavailable(body, **values):
        return page(body, 503, error="The database is unreachable, so nobody can sign in right now. "
                                     "Try again in a minute.", **values)

    def too_many(body, wait: int, **values):
        minutes = f"{wait // 60 + 1} minutes" if wait >= 90 else f"{wait} seconds"
        return page(body, 429, error=f"Too many failed sign-ins. Wait {minutes}, then try again.",
                    headers={"Retry-After": str(wait)}, **values)

    def finish(user, target: str, method: str):
        """The second step is done (or there was none): a new, verified session."""
        start(session, user, verified=True)
        login_user(user)
        users.record_sign_in(engine_getter(), user, method, _address())
        response = redirect(target)
        _give_device_cookie(response, user.username)
        return response

    def throttled(body, view, username: str, wrong: str, reason: str, check):
        """Run `check(engine)` unless the throttle says wait; count a failure, or clear the counters.
        Returns (what check returned, None) or (None, the response refusing the attempt)."""
        keys = throttle.keys(_address(), username, _device_for(username))
        engine = engine_getter()
        with engine.connect() as conn:
            wait = throttle.wait_seconds(conn, keys)
        if wait:
            return None, too_many(body, wait, **view)
        result = check(engine)
        with engine.begin() as conn:
            if result:
                throttle.succeeded(conn, keys)
                return result, None
            throttle.failed(conn, keys)
            audit.record(conn, "sign_in_failed", target=username[:64], address=_address(), detail={"reason": reason})
        return None, page(body, 400, error=wrong, **view)

    @bp.route("/login", methods=["GET", "POST"])
    def login():
        form = LoginForm()
        target = safe_next(request.args.get("next"))
        view = {"title": "Sign in", "form": form, "next": target}
        if request.method != "POST":
            return page(templates.LOGIN, **view)
        if not form.validate_on_submit():
            expired = "csrf_token" in form.errors
            return page(templates.LOGIN, 400, error="The form expired; sign in again." if expired
                        else "Enter your user name and password.", **view)
        name = form.username.data.strip()
        try:
            user, refused = throttled(templates.LOGIN, view, name, "Wrong user name or password.",
                                      "wrong user name or password",
                                      lambda engine: users.check_password(engine, name, form.password.data))
            if refused:
                return refused
            if not user.totp_enabled:
                with engine_getter().connect() as conn:
                    if not twofactor.required_for(conn, user.role):
                        return finish(user, target, "password")
            start(session, user, verified=False)  # half signed in: the code, or enrolment, comes next
            step = "auth.second_factor" if user.totp_enabled else "auth.two_factor"
            return redirect(url_for(step, next=target))
        except outage_errors:
            return unavailable(templates.LOGIN, **view)

    @bp.route("/login/two-factor", methods=["GET", "POST"])
    def second_factor():
        form = CodeForm()
        target = safe_next(request.args.get("next"))
        view = {"title": "Two-factor sign-in", "heading": "Two-factor sign-in", "form": form, "next": target}
        user = session.user
        if user is None:
            return redirect(url_for("auth.login", next=target))
        if session.verified:
            return redirect(target)
        if not user.totp_enabled:
            return redirect(url_for("auth.two_factor", next=target))
        if request.method != "POST":
            return page(templates.SECOND_FACTOR, **view)
        if not form.validate_on_submit():
            return page(templates.SECOND_FACTOR, 400, error="The form expired or the code is missing; try again.",
                        **view)
        try:
            ok, refused = throttled(templates.SECOND_FACTOR, view, user.username,
                                    "That code is wrong or was used already.", "wrong second-factor code",
                                    lambda engine: twofactor.verify(engine, user.user_id, form.code.data,
                                                                    actor=user.username, address=_address()))
            return refused or finish(user, target, "password and second factor")
        except outage_errors:
            return unavailable(templates.SECOND_FACTOR, **view)

    @bp.route("/account/two-factor", methods=["GET", "POST"])
    def two_factor():
        """Enrol (required or by choice), or see how many recovery codes are left."""
        form = CodeForm()
        target = safe_next(request.args.get("next"))
        user = session.user
        if user is None:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        required = not session.verified
        view = {"title": "Two-factor sign-in", "heading": "Two-factor sign-in", "form": form, "next": target,
                "required": required, "username": user.username}
        try:
            engine = engine_getter()
            if user.totp_enabled:
                with engine.connect() as conn:
                    left = twofactor.codes_left(conn, user.user_id)
                return page(templates.ENROLLED, left=left, **view)
            secret = session.get("enrol_secret") or twofactor.new_secret()
            session["enrol_secret"] = secret
            view.update(secret=secret, qr=_qr_svg(twofactor.provisioning_uri(secret, user.username)))
            if request.method != "POST":
                return page(templates.ENROL, **view)
            if not form.validate_on_submit():
                return page(templates.ENROL, 400, error="The form expired or the code is missing; try again.", **view)
            codes = twofactor.enable(engine, user.user_id, secret, form.code.data, actor=user.username,
                                     address=_address())
            if codes is None:
                return page(templates.ENROL, 400, error="That code is wrong: check the time on your phone and "
                                                        "enter the code the app shows now.", **view)
            # Complete the sign-in this enrolment interrupted, or renew the session it ended.
            finish(users.get(engine, user.user_id), target, "password, second factor enrolled")
            return page(templates.RECOVERY, codes=codes, **view)
        except outage_errors:
            return page(templates.ENROLLED, 503, error="The database is unreachable; try again in a minute.",
                        left=0, **view)

    @bp.route("/logout", methods=["GET", "POST"])
    def logout():
        """GET asks (a link cannot sign anybody out); POST with the form's token signs out."""
        form = EmptyForm()
        if request.method == "GET":
            if session.user is None:
                return redirect(url_for("auth.login"))
            return page(templates.SIGN_OUT, title="Sign out", form=form)
        if not form.validate_on_submit():
            return page(templates.SIGN_OUT, 400, title="Sign out", form=form,
                        error="The form expired; press Sign out again.")
        user = session.user
        end(session)
        if user is not None:
            try:
                audit.record_now(engine_getter(), "sign_out", actor=user.username, target=user.username,
                                 address=_address())
            except outage_errors:
                pass  # the session row goes with the next request that reaches the database
        return redirect(url_for("auth.login"))

    return bp


def _qr_svg(uri: str) -> str:
    """The provisioning URI as an inline SVG QR code, drawn here (no image service, no script)."""
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    out = io.BytesIO()
    image.save(out)
    text = out.getvalue().decode("utf-8")
    return text[text.index("<svg"):]
