"""Security headers on every response, and clear 4xx answers to oversized or malformed requests.

The Content-Security-Policy allows scripts from this server only, plus Dash's own inline scripts
by their hashes (`dash.Dash.csp_hashes`: the renderer's start-up line and the clientside
callbacks); styles may be inline because Plotly writes its chart styles into the page. Nothing
may frame the app. HSTS is sent only over HTTPS (behind a proxy, set PROXY_COUNT so the app
knows the original scheme).
"""
from __future__ import annotations

import json
import logging

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

log = logging.getLogger("app")
CALLBACK_PATH = "/_dash-update-component"
FORMS = ("/login", "/logout", "/account/")


def policy(script_hashes: list[str]) -> str:
    scripts = " ".join(["'self'"] + list(script_hashes))  # Dash quotes them already: 'sha256-...'

    return "; ".join([
        "default-src 'self'", f"script-src {scripts}", "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:", "font-src 'self' data:", "connect-src 'self'", "worker-src 'self' blob:",
        "object-src 'none'", "base-uri 'self'", "form-action 'self'", "frame-ancestors 'none'",
    ])


def init_app(server: Flask, csp_hashes) -> None:
    """`csp_hashes()` returns the hashes of the inline scripts Dash writes into its pages."""
    found: list[str] = []

    @server.after_request
    def secure(response):
        if not found:
            found.append(policy(csp_hashes()))
        h = response.headers
        h["Content-Security-Policy"] = found[0]
        h["X-Frame-Options"] = "DENY"
        h["X-Content-Type-Options"] = "nosniff"
        h["Referrer-Policy"] = "same-origin"
        h["Cross-Origin-Opener-Policy"] = "same-origin"
        h["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
        if request.is_secure:
            h["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        if request.path.startswith(("/login", "/logout", "/account")):
            h["Cache-Control"] = "no-store"
        return response

    @server.before_request
    def well_formed_form():
        """The sign-in forms also take JSON (as flask-wtf does), but only a JSON object."""
        if request.method == "POST" and request.path.startswith(FORMS) and request.is_json \
                and not isinstance(request.get_json(silent=True), dict):
            log.warning("refused a malformed form post to %s from %s", request.path, request.remote_addr)
            return jsonify(error="send the form's fields, or a JSON object of them"), 400
        return None

    @server.before_request
    def well_formed_callback():
        """A callback request must be a JSON object of the shape Dash's renderer sends."""
        if request.path != CALLBACK_PATH or request.method != "POST":
            return None
        body = request.get_json(silent=True)
        problem = _callback_problem(body)
        if problem:
            log.warning("refused a malformed callback request from %s: %s", request.remote_addr, problem)
            return jsonify(error=f"malformed callback request: {problem}"), 400
        return None

    @server.errorhandler(RequestEntityTooLarge)
    def too_large(_exc):
        limit = server.config.get("MAX_CONTENT_LENGTH") or 0
        message = f"the request is larger than {limit:,} bytes"
        if request.path.startswith("/api/"):
            return jsonify(error={"code": "request_entity_too_large", "message": message}), 413
        return jsonify(error=message), 413

    @server.errorhandler(Exception)
    def unexpected(exc):
        """A callback that chokes on a crafted value answers 400 with one log line, not a traceback;
        anywhere else an unexpected error stays a 500 (and is logged in full)."""
        if isinstance(exc, HTTPException):
            return exc
        if request.path == CALLBACK_PATH:
            log.warning("callback %s refused its input: %s: %s", _output_of(request.get_json(silent=True)),
                        type(exc).__name__, str(exc)[:200])
            return jsonify(error="the callback could not use the values it was sent"), 400
        log.exception("unexpected error on %s", request.path)
        if request.path.startswith("/api/"):
            return jsonify(error={"code": "internal", "message": "internal error; it has been logged"}), 500
        if request.path.startswith("/_dash-"):
            return jsonify(error="internal error"), 500
        return "Something went wrong; it has been logged.", 500


def _output_of(body) -> str:
    return str(body.get("output"))[:120] if isinstance(body, dict) else "?"


def _callback_problem(body) -> str | None:
    if not isinstance(body, dict):
        return "the body is not a JSON object"
    if not isinstance(body.get("output"), str):
        return "'output' is missing"
    for key in ("inputs", "state", "changedPropIds"):
        if key in body and not isinstance(body[key], list):
            return f"'{key}' is not a list"
    if not isinstance(body.get("inputs"), list):
        return "'inputs' is missing"
    for item in body.get("inputs", []) + body.get("state", []):
        entries = item if isinstance(item, list) else [item]  # pattern-matching inputs come as lists
        for entry in entries:
            if not isinstance(entry, dict) or "id" not in entry or not isinstance(entry.get("property"), str):
                return "an input or state has no id or property"
    if len(json.dumps(body.get("outputs", ""))) > 100_000:
        return "too many outputs"
    return None
