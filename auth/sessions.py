"""Flask sessions kept on the server: the cookie carries an opaque random token and nothing else.

Signed-in sessions (and those waiting for a second factor) live in `app.sessions`
(`data.sessions.SessionStore`), looked up on every request, so ending one takes effect at once in
every worker. A visitor who has not signed in gets no row: the little they need (the sign-in
form's CSRF secret) rides in a short-lived signed cookie, so strangers cannot fill the table.

While the database is unreachable, a session any worker of this host verified within the last few
minutes is trusted as it was (`auth.trust`), so a signed-in user keeps their page and sees the
outage banner instead of the sign-in form; nobody can end or change a session during an outage,
so nothing is missed.
"""
from __future__ import annotations

import logging
import time

from flask import request
from flask.sessions import SessionInterface, SessionMixin
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.datastructures import CallbackDict

from auth.trust import TrustedSessions
from data.sessions import Record, SessionStore, token_hash

log = logging.getLogger("app")
COOKIE = "olist_session"
VISITOR_COOKIE = "olist_visitor"
VISITOR_MAX_AGE = 3600  # seconds a sign-in form stays valid
NO_SESSION = ("/healthz", "/assets/", "/_dash-component-suites/", "/_favicon.ico")
OUTAGE_GRACE = 300  # seconds a verified session is trusted while the database is unreachable
RETRY_AFTER_OUTAGE = 5  # seconds between lookups while the database is unreachable


class ServerSession(CallbackDict, SessionMixin):
    """The session of one request: its data, and the server record behind it (None for a visitor)."""

    def __init__(self, data=None, token: str | None = None, record: Record | None = None):
        def touched(_self):
            self.modified = True

        super().__init__(data or {}, touched)
        self.token = token
        self.record = record
        self.modified = False
        self.start: tuple | None = None  # (user, verified) once the view starts a new server session
        self.end = False

    @property
    def user(self):
        return self.record.user if self.record else None

    @property
    def verified(self) -> bool:
        """Signed in with every factor this user needs (and enrolled where enrolment is required)."""
        return bool(self.record and self.record.verified and not self.record.must_enrol)


def start(session: ServerSession, user, *, verified: bool) -> None:
    """Replace whatever session this request had by a new server session for `user` (a new token, so
    a token seen before sign-in is worth nothing after it; the CSRF secret is new too)."""
    session.start = (user, verified)
    session.clear()


def end(session: ServerSession) -> None:
    session.end = True
    session.clear()


class ServerSessionInterface(SessionInterface):
    def __init__(self, store: SessionStore, outage_errors: tuple, trust_folder=None):
        self.store = store
        self.outage_errors = outage_errors
        self._trusted = TrustedSessions(trust_folder, OUTAGE_GRACE)
        self._down_until = 0.0  # monotonic time before which the database is taken to be unreachable

    def _visitor_serializer(self, app):
        return URLSafeTimedSerializer(app.secret_key, salt="olist-visitor-session")

    def open_session(self, app, req):
        if req.path.startswith(NO_SESSION):
            return ServerSession()  # health checks and static files need no user: never ask the database
        token = req.cookies.get(COOKIE)
        if token:
            record = self._load(token)
            if record is not None:
                return ServerSession(dict(record.data), token, record)
        raw = req.cookies.get(VISITOR_COOKIE)
        if raw:
            try:
                return ServerSession(self._visitor_serializer(app).loads(raw, max_age=VISITOR_MAX_AGE))
            except (BadSignature, TypeError, ValueError):
                pass
        return ServerSession()

    def _load(self, token: str) -> Record | None:
        key = token_hash(token).hex()
        if time.monotonic() < self._down_until:
            # Lately unreachable: a trusted session is not asked about again for a few seconds (each
            # try waits out the lookup's deadline); any other is, since the database may be back.
            trusted = self._trusted.recall(key)
            if trusted is not None:
                return trusted
        try:
            record = self.store.load(token)
        except self.outage_errors:
            self._down_until = time.monotonic() + RETRY_AFTER_OUTAGE
            return self._trusted.recall(key)
        if record is None:
            self._trusted.forget(key)
        elif record.verified:
            self._trusted.remember(key, record)
        return record

    def save_session(self, app, session: ServerSession, response):
        options = {"path": self.get_cookie_path(app), "domain": self.get_cookie_domain(app),
                   "secure": self.get_cookie_secure(app) or request.is_secure,
                   "httponly": True, "samesite": self.get_cookie_samesite(app) or "Lax"}
        if session.token and (session.end or session.start):
            try:
                self.store.delete(session.token)
            except self.outage_errors:
                log.warning("could not delete an ended session: the database is unreachable")
            self._trusted.forget(token_hash(session.token).hex())
            response.delete_cookie(COOKIE, path=options["path"], domain=options["domain"])
        if session.start:
            user, verified = session.start
            token = self.store.create(user.user_id, verified=verified, data=dict(session),
                                      address=request.remote_addr, agent=request.headers.get("User-Agent"))
            response.set_cookie(COOKIE, token, **options)
            response.delete_cookie(VISITOR_COOKIE, path=options["path"], domain=options["domain"])
            return
        if session.end:
            response.delete_cookie(VISITOR_COOKIE, path=options["path"], domain=options["domain"])
            return
        if session.token:
            if session.modified:
                self.store.save(session.token, dict(session))
            return
        if session.modified:  # a visitor: the form's CSRF secret, signed, for an hour
            if session:
                response.set_cookie(VISITOR_COOKIE, self._visitor_serializer(app).dumps(dict(session)),
                                    max_age=VISITOR_MAX_AGE, **options)
            else:
                response.delete_cookie(VISITOR_COOKIE, path=options["path"], domain=options["domain"])
