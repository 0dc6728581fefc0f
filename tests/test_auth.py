"""Sign-in, server-side sessions, roles and the guard, over raw HTTP against the real server and database."""
import dataclasses
import hashlib
import logging
import os
import re
import time

import pytest

from app import create_app
from auth.trust import TrustedSessions
from data import users
from data.db import make_engine
from data.scope import Scope
from data.sessions import Record
from data.settings import load_settings
from data.users import User

PASSWORD = "correct horse 1"


def make_app(tmp_path, db_url, **overrides):
    settings = dataclasses.replace(load_settings({"INSTANCE_DIR": str(tmp_path)}), database_url=db_url, **overrides)
    return create_app(db_url, settings).server


@pytest.fixture
def app(tmp_path, db_url):
    engine = make_engine(db_url)
    for name, role in (("ana", "admin"), ("alan", "analyst"), ("vera", "viewer")):
        users.create(engine, name, PASSWORD, role)
    engine.dispose()
    server = make_app(tmp_path, db_url)
    yield server
    found = server.extensions.get("warehouse_engine")
    if found is not None:
        found.dispose()


def csrf(client, path="/login"):
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def sign_in(client, username, password=PASSWORD, next_="/", **kwargs):
    return client.post(f"/login?next={next_}", data={"username": username, "password": password,
                                                     "csrf_token": csrf(client)}, **kwargs)


def find_component(tree, component_id):
    """The props of the component with this id in a Dash layout (JSON), or None."""
    if isinstance(tree, dict):
        props = tree.get("props")
        if isinstance(props, dict) and props.get("id") == component_id:
            return props
        return next((found for v in tree.values() if (found := find_component(v, component_id)) is not None), None)
    if isinstance(tree, list):
        return next((found for v in tree if (found := find_component(v, component_id)) is not None), None)
    return None


def sign_out_token(client) -> str:
    """The CSRF token of the sign-out form in the signed-in shell."""
    return find_component(client.get("/_dash-layout").get_json(), "sign-out-token")["value"]


def sign_out(client):
    return client.post("/logout", data={"csrf_token": sign_out_token(client)})


@pytest.mark.parametrize("method, path", [
    ("GET", "/"), ("GET", "/_dash-layout"), ("GET", "/_dash-dependencies"),
    ("POST", "/_dash-update-component"), ("GET", "/admin"), ("GET", "/sales?start=2018-01-01"),
])
def test_anonymous_requests_get_no_data(app, method, path):
    response = app.test_client().open(path, method=method, json={} if method == "POST" else None)
    assert response.status_code in (302, 401)
    body = response.get_data(as_text=True)
    assert "Olist Analytics</h1>" not in body and '"props"' not in body
    if path.startswith("/_dash-"):
        assert response.status_code == 401 and response.get_json() == {"error": "login required"}
    elif method == "GET":
        assert response.headers["Location"].startswith("/login?next=")


def test_login_health_and_assets_are_public(app):
    client = app.test_client()
    assert client.get("/login").status_code == 200
    assert client.get("/healthz").status_code == 200
    assert client.get("/_dash-component-suites/dash/deps/polyfill@7.v4_4_1m1.min.js").status_code != 401


def test_sign_in_then_the_dash_endpoints_answer(app):
    client = app.test_client()
    response = sign_in(client, "ALAN", next_="/sales")
    assert response.status_code == 302 and response.headers["Location"] == "/sales"
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("olist_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert client.get("/_dash-layout").status_code == 200
    assert client.get("/_dash-dependencies").status_code == 200
    assert sign_out(client).headers["Location"] == "/login"
    assert client.get("/_dash-layout").status_code == 401


def test_the_cookie_is_secure_behind_https(app):
    client = app.test_client()
    token = csrf(client)
    response = client.post("/login", base_url="https://localhost",
                           data={"username": "ana", "password": PASSWORD, "csrf_token": token})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("olist_session="))
    assert response.status_code == 302 and "Secure" in cookie


@pytest.mark.parametrize("username, password", [("alan", "wrong password"), ("nobody", PASSWORD)])
def test_a_wrong_name_or_password_gets_one_message(app, username, password):
    response = sign_in(app.test_client(), username, password)
    assert response.status_code == 400
    assert "Wrong user name or password." in response.get_data(as_text=True)


def test_the_form_needs_its_csrf_token(app):
    response = app.test_client().post("/login", data={"username": "alan", "password": PASSWORD})
    assert response.status_code == 400 and "The form expired" in response.get_data(as_text=True)


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/%0d%0aSet-Cookie:%20x=1",
                                    "/\\evil.example", "/sales%0aX-Injected:%201"])
def test_a_login_link_cannot_send_people_elsewhere_or_inject_headers(app, target):
    response = sign_in(app.test_client(), "alan", next_=target)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "x=1" not in response.headers.get("Set-Cookie", "") and "X-Injected" not in response.headers


def test_only_admins_reach_admin(app):
    viewer, admin = app.test_client(), app.test_client()
    sign_in(viewer, "vera")
    sign_in(admin, "ana")
    assert viewer.get("/admin").status_code == 403
    assert admin.get("/admin").status_code != 403


def test_users_cli(app):
    runner = app.test_cli_runner()
    out = runner.invoke(args=["users", "create", "bob", "--role", "analyst", "--password", "long enough 1"])
    assert out.exit_code == 0, out.output
    assert "bob\tanalyst\tactive" in runner.invoke(args=["users", "list"]).output
    short = runner.invoke(args=["users", "set-password", "bob", "--password", "short"])
    assert short.exit_code == 1 and "at least 8 characters" in short.output
    assert runner.invoke(args=["users", "set-password", "bob", "--password", "another one 2"]).exit_code == 0
    assert sign_in(app.test_client(), "bob", "another one 2").status_code == 302
    assert runner.invoke(args=["users", "disable", "bob"]).exit_code == 0
    assert sign_in(app.test_client(), "bob", "another one 2").status_code == 400
    again = runner.invoke(args=["users", "create", "BOB", "--password", "long enough 1"])
    assert again.exit_code == 1 and "exists already" in again.output


def admin_callback(client, output, outputs, inputs):
    return client.post("/_dash-update-component", json={
        "output": output, "outputs": outputs, "inputs": inputs, "changedPropIds": [inputs[0]["id"] + ".x"],
        "state": []})


def test_the_admin_callbacks_answer_admins_only(app, db_url):
    from etl.load import load
    from tests.conftest import FIXTURES

    load(db_url, FIXTURES / "tiny")
    outputs = [{"id": "admin-runs", "property": "rowData"}, {"id": "admin-users", "property": "rowData"},
               {"id": "admin-q-run", "property": "options"}]
    analyst, admin = app.test_client(), app.test_client()
    sign_in(analyst, "alan")
    sign_in(admin, "ana")
    deps = admin.get("/_dash-dependencies").get_json()
    runs_spec = next(d["output"] for d in deps if "admin-runs.rowData" in d["output"])
    runs_outputs = [{"id": "admin-runs", "property": "rowData"}, {"id": "admin-q-run", "property": "options"}]
    users_spec = next(d["output"] for d in deps if d["output"] == "admin-users.rowData")
    users_inputs = [{"id": "url", "property": "pathname", "value": "/admin"},
                    {"id": "admin-user-result", "property": "children", "value": None},
                    {"id": "admin-new-result", "property": "children", "value": None}]
    inputs = [{"id": "url", "property": "pathname", "value": "/admin"},
              {"id": "data-version", "property": "data", "value": {"version": 1}}]
    for spec, outputs, given in ((runs_spec, runs_outputs, inputs),
                                 (users_spec, {"id": "admin-users", "property": "rowData"}, users_inputs)):
        refused = admin_callback(analyst, spec, outputs, given)
        assert refused.status_code == 204 and b"ana" not in refused.data  # PreventUpdate: nothing sent
    answer = admin_callback(admin, runs_spec, runs_outputs, inputs).get_json()["response"]
    runs = answer["admin-runs"]["rowData"]
    assert runs[0]["status"] == "succeeded" and runs[0]["inserted"] > 0 and runs[0]["seconds"] >= 0
    rows = admin_callback(admin, users_spec, {"id": "admin-users", "property": "rowData"},
                          users_inputs).get_json()["response"]["admin-users"]["rowData"]
    assert [u["username"] for u in rows] == ["alan", "ana", "vera"]
    assert all("password" not in str(u) and "secret" not in str(u) for u in rows)
    assert [u["last_login_at"] == "never" for u in rows] == [False, False, True]
    assert [u["sessions"] for u in rows] == [1, 1, 0] and {u["scope"] for u in rows} == {"everything"}


def test_the_cookie_is_an_opaque_token_whose_hash_alone_is_stored(app, db_url, sql):
    client = app.test_client()
    response = sign_in(client, "alan")
    token = re.search(r"olist_session=([^;]+);", " ".join(response.headers.getlist("Set-Cookie"))).group(1)
    assert len(token) >= 40 and "alan" not in token and "." not in token  # no signed payload, no user id
    stored = sql("SELECT token_hash, u.username, verified FROM app.sessions JOIN app.users u USING (user_id)")
    assert stored == [(hashlib.sha256(token.encode()).digest(), "alan", True)]


def test_sign_out_is_a_post_with_its_token_and_the_old_cookie_is_dead_afterwards(app):
    client = app.test_client()
    sign_in(client, "alan")
    cookie = client.get_cookie("olist_session").value
    assert client.get("/logout").status_code == 200  # a GET only asks
    assert client.get("/_dash-layout").status_code == 200
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 400
    assert client.post("/logout").status_code == 400
    assert client.get("/_dash-layout").status_code == 200  # still signed in
    assert sign_out(client).status_code == 302
    thief = app.test_client()  # a copy of the cookie taken before sign-out, from anywhere
    thief.set_cookie("olist_session", cookie)
    assert thief.get("/_dash-layout", environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 401
    assert thief.get("/sales").status_code == 302


def test_the_csrf_token_rotates_at_sign_in(app):
    client = app.test_client()
    before = csrf(client)
    client.post("/login", data={"username": "alan", "password": PASSWORD, "csrf_token": before})
    after = sign_out_token(client)
    assert after != before
    assert client.post("/logout", data={"csrf_token": before}).status_code == 400  # the visitor's token is dead


def test_access_taken_away_ends_live_sessions_everywhere(app, db_url):
    """Disabling, a new password, role or scope: the user's next request, page, callback or export, is refused."""
    engine = make_engine(db_url)
    changes = [lambda: users.set_active(engine, "alan", False), lambda: users.set_password(engine, "alan", "x" * 12),
               lambda: users.set_role(engine, "alan", "viewer"),
               lambda: users.set_scope(engine, "alan", Scope(states=("SP",)))]
    passwords = [PASSWORD, PASSWORD, "x" * 12, "x" * 12]
    for change, password in zip(changes, passwords):
        users.set_active(engine, "alan", True)
        client, other = app.test_client(), app.test_client()
        assert sign_in(client, "alan", password).status_code == 302
        assert sign_in(other, "vera").status_code == 302
        assert client.get("/sales").status_code == 200
        change()
        assert client.get("/sales").status_code == 302  # back to the sign-in page
        assert client.get("/_dash-layout").status_code == 401
        refused = client.post("/_dash-update-component", json={
            "output": "sales-export-download.data", "outputs": {"id": "sales-export-download", "property": "data"},
            "inputs": [{"id": "sales-export-csv", "property": "n_clicks", "value": 1}],
            "changedPropIds": ["sales-export-csv.n_clicks"], "state": []})
        assert refused.status_code == 401 and refused.get_json() == {"error": "login required"}
        assert other.get("/_dash-layout").status_code == 200  # nobody else is affected
    engine.dispose()


@pytest.mark.parametrize("column, age", [("last_seen_at", "121 minutes"), ("created_at", "12 hours 1 minute")])
def test_sessions_end_after_idling_and_at_their_maximum_age(app, sql, column, age):
    client = app.test_client()
    sign_in(client, "alan")
    assert client.get("/_dash-layout").status_code == 200
    sql(f"UPDATE app.sessions SET {column} = now() - interval '{age}'")
    assert client.get("/_dash-layout").status_code == 401


def test_a_session_in_use_stays_alive(app, sql):
    client = app.test_client()
    sign_in(client, "alan")
    sql("UPDATE app.sessions SET last_seen_at = now() - interval '119 minutes'")
    assert client.get("/_dash-layout").status_code == 200  # the request itself counts as activity
    assert sql("SELECT last_seen_at > now() - interval '1 minute' FROM app.sessions") == [(True,)]


def test_idle_and_maximum_age_follow_the_settings(tmp_path, db_url, sql):
    engine = make_engine(db_url)
    users.create(engine, "sam", PASSWORD, "viewer")
    engine.dispose()
    server = make_app(tmp_path, db_url, session_idle_minutes=5, session_max_hours=1)
    client = server.test_client()
    sign_in(client, "sam")
    sql("UPDATE app.sessions SET last_seen_at = now() - interval '6 minutes'")
    assert client.get("/_dash-layout").status_code == 401
    server.extensions["warehouse_engine"].dispose()


def test_security_headers(app):
    client = app.test_client()
    for response in (client.get("/login"), client.get("/healthz")):
        h = response.headers
        assert "frame-ancestors 'none'" in h["Content-Security-Policy"] and h["X-Frame-Options"] == "DENY"
        assert h["X-Content-Type-Options"] == "nosniff" and h["Referrer-Policy"] == "same-origin"
        assert "Strict-Transport-Security" not in h
        scripts = re.search(r"script-src ([^;]+)", h["Content-Security-Policy"]).group(1)
        assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts
        assert re.fullmatch(r"'self'( 'sha256-[A-Za-z0-9+/]+=*')+", scripts.strip())
    assert "max-age=" in client.get("/login", base_url="https://localhost").headers["Strict-Transport-Security"]
    assert client.get("/login").headers["Cache-Control"] == "no-store"


def test_an_oversized_body_gets_413(app):
    client = app.test_client()
    sign_in(client, "alan")
    response = client.post("/_dash-update-component", data=b"{" + b" " * (1 << 20) + b"}",
                           content_type="application/json")
    assert response.status_code == 413 and "larger than" in response.get_json()["error"]
    assert app.test_client().post("/login", data={"username": "x" * (2 << 20)}).status_code == 413


@pytest.mark.parametrize("body", [
    b"not json", b"[]", b'{"output": 1}', b'{"output": "x.y", "inputs": "nope"}',
    b'{"output": "x.y", "inputs": [{"nothing": 1}]}',
    b'{"output": "no-such-output.children", "outputs": {"id": "no-such-output", "property": "children"}, '
    b'"inputs": [{"id": "url", "property": "pathname", "value": "/"}], "changedPropIds": [], "state": []}',
    b'{"output": "overview-status.figure", "outputs": {"id": "overview-status", "property": "figure"}, '
    b'"inputs": [{"id": "filters", "property": "data", "value": {"start": "not a date", "end": 5}}, '
    b'{"id": "theme", "property": "data", "value": "light"}], "changedPropIds": ["filters.data"], "state": []}',
    b'{"output": "overview-status.figure", "outputs": {"id": "overview-status", "property": "figure"}, '
    b'"inputs": [{"id": "filters", "property": "data", "value": ["a", "list"]}, '
    b'{"id": "theme", "property": "data", "value": {"a": 1}}], "changedPropIds": ["filters.data"], "state": []}',
])
def test_malformed_or_hostile_callback_payloads_get_400_and_one_log_line(app, caplog, body):
    client = app.test_client()
    sign_in(client, "alan")
    with caplog.at_level(logging.WARNING, logger="app"):
        response = client.post("/_dash-update-component", data=body, content_type="application/json")
    assert response.status_code == 400 and "error" in response.get_json()
    mine = [r for r in caplog.records if r.name == "app"]
    assert len(mine) == 1 and mine[0].levelno == logging.WARNING and mine[0].exc_info is None


@pytest.mark.parametrize("path", ["/login", "/login/two-factor", "/logout"])
@pytest.mark.parametrize("body, content_type", [
    (b"[1, 2]", "application/json"), (b"{bad json", "application/json"), (b'"text"', "application/json"),
    (b"\xff\xfe\x00garbage", "application/x-www-form-urlencoded"), (b"username=%00%0d%0a&password=x",
                                                                  "application/x-www-form-urlencoded")])
def test_malformed_sign_in_posts_get_400_and_one_log_line(app, caplog, path, body, content_type):
    with caplog.at_level(logging.WARNING, logger="app"):
        response = app.test_client().post(path, data=body, content_type=content_type)
    assert response.status_code in ((400,) if content_type == "application/json" else (302, 400))
    assert "Traceback" not in response.get_data(as_text=True)
    assert all(r.levelno == logging.WARNING and r.exc_info is None for r in caplog.records if r.name == "app")


def test_https_behind_a_proxy_gets_hsts_only_when_the_proxy_is_trusted(tmp_path, db_url):
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.5"}
    untrusted = make_app(tmp_path / "a", db_url)
    assert "Strict-Transport-Security" not in untrusted.test_client().get("/login", headers=forwarded).headers
    trusted = make_app(tmp_path / "b", db_url, proxy_count=1)
    response = trusted.test_client().get("/login", headers=forwarded)
    assert "max-age=" in response.headers["Strict-Transport-Security"]


def dash_call(client, deps, output, values, changed):
    dep = next(d for d in deps if d["output"] == output)
    outputs = ([dict(zip(("id", "property"), o.rsplit(".", 1))) for o in output.strip(".").split("...")]
               if output.startswith("..") else dict(zip(("id", "property"), output.rsplit(".", 1))))
    return client.post("/_dash-update-component", json={
        "output": output, "outputs": outputs,
        "inputs": [{**i, "value": values.get(f"{i['id']}.{i['property']}")} for i in dep["inputs"]],
        "state": [{**s, "value": values.get(f"{s['id']}.{s['property']}")} for s in dep["state"]],
        "changedPropIds": [changed]})


def test_admins_change_users_and_read_the_audit_log_from_the_admin_page(app, sql):
    admin, analyst, vera = app.test_client(), app.test_client(), app.test_client()
    sign_in(admin, "ana")
    sign_in(analyst, "alan")
    sign_in(vera, "vera")
    deps = admin.get("/_dash-dependencies").get_json()
    change = next(d["output"] for d in deps if d["output"].startswith("..admin-user-result.children"))
    row = {"username": "vera", "role": "viewer", "active": "yes", "two_factor": "off", "sellers": [], "states": []}
    values = {"admin-users.selectedRows": [row], "admin-user-role.value": "analyst",
              "admin-user-states.value": ["SP", "RJ"], "admin-user-sellers.value": [], "admin-user-active.value": True,
              "admin-user-save.n_clicks": 1}
    refused = dash_call(analyst, deps, change, values, "admin-user-save.n_clicks")
    assert refused.status_code == 204 and sql("SELECT role FROM app.users WHERE username = 'vera'") == [("viewer",)]
    done = dash_call(admin, deps, change, values, "admin-user-save.n_clicks")
    assert "Saved vera: analyst, sees customer states SP, RJ." in done.get_data(as_text=True)
    assert sql("SELECT role, scope_states FROM app.users WHERE username = 'vera'") == [("analyst", ["SP", "RJ"])]
    assert vera.get("/_dash-layout").status_code == 401  # her session ended with the change
    short = dash_call(admin, deps, change, {**values, "admin-user-password.value": "short",
                                            "admin-user-set-password.n_clicks": 1}, "admin-user-set-password.n_clicks")
    assert "at least 8 characters" in short.get_data(as_text=True)

    log = next(d["output"] for d in deps if d["output"].startswith("..admin-audit.rowData"))
    chosen = {"admin-audit-action.value": ["role_changed", "scope_changed"], "url.pathname": "/admin"}
    assert dash_call(analyst, deps, log, chosen, "admin-audit-action.value").status_code == 204
    rows = dash_call(admin, deps, log, chosen, "admin-audit-action.value").get_json()["response"]["admin-audit"]["rowData"]
    assert [(r["actor"], r["action"], r["target"]) for r in rows] == [("ana", "scope_changed", "vera"),
                                                                     ("ana", "role_changed", "vera")]
    export = next(d["output"] for d in deps if d["output"] == "admin-audit-download.data")
    sent = dash_call(admin, deps, export, {**chosen, "admin-audit-export.n_clicks": 1}, "admin-audit-export.n_clicks")
    assert sent.get_json()["response"]["admin-audit-download"]["data"]["filename"] == "audit-log.csv"
    assert sql("SELECT actor, target, detail->>'rows' FROM app.audit_log WHERE action = 'export'") == [
        ("ana", "audit-log", "2")]


def test_every_worker_trusts_a_session_verified_lately_and_none_once_it_ends(tmp_path):
    """During an outage a worker that never saw a session trusts it as another worker last verified it."""
    record = Record(User(7, "olga", "analyst", True, Scope(("s1",), ("RJ",)), False), True, {"k": "v"}, "off")
    one, two = (TrustedSessions(tmp_path / "trusted", grace=300) for _ in range(2))
    assert two.recall("ab12") is None
    one.remember("ab12", record)
    assert two.recall("ab12") == record
    assert oct((tmp_path / "trusted" / "ab12").stat().st_mode & 0o777) == "0o600"
    one.forget("ab12")
    assert two.recall("ab12") is None and one.recall("ab12") is None
    three = TrustedSessions(tmp_path / "trusted", grace=300)
    three.remember("cd34", record)
    old = time.time() - 301
    os.utime(tmp_path / "trusted" / "cd34", (old, old))
    assert two.recall("cd34") is None  # verified too long ago
    two.sweep()
    assert not (tmp_path / "trusted" / "cd34").exists()
    assert two.recall("../secret_key") is None
