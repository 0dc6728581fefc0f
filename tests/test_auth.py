"""Login, roles and the guard, over raw HTTP against the real server and database."""
import dataclasses
import re

import pytest

from app import create_app
from data import users
from data.db import make_engine
from data.settings import load_settings

PASSWORD = "correct horse 1"


@pytest.fixture
def app(tmp_path, db_url):
    settings = dataclasses.replace(load_settings({"INSTANCE_DIR": str(tmp_path)}), database_url=db_url)
    engine = make_engine(db_url)
    for name, role in (("ana", "admin"), ("alan", "analyst"), ("vera", "viewer")):
        users.create(engine, name, PASSWORD, role)
    engine.dispose()
    dash_app = create_app(db_url, settings)
    yield dash_app.server
    found = dash_app.server.extensions.get("warehouse_engine")
    if found is not None:
        found.dispose()


def csrf(client, path="/login"):
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def sign_in(client, username, password=PASSWORD, next_="/"):
    return client.post(f"/login?next={next_}", data={"username": username, "password": password,
                                                     "csrf_token": csrf(client)})


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
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert client.get("/_dash-layout").status_code == 200
    assert client.get("/_dash-dependencies").status_code == 200
    client.get("/logout")
    assert client.get("/_dash-layout").status_code == 401


def test_the_cookie_is_secure_behind_https(app):
    client = app.test_client()
    token = csrf(client)
    response = client.post("/login", base_url="https://localhost",
                           data={"username": "ana", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302 and "Secure" in response.headers["Set-Cookie"]


@pytest.mark.parametrize("username, password", [("alan", "wrong password"), ("nobody", PASSWORD)])
def test_a_wrong_name_or_password_gets_one_message(app, username, password):
    response = sign_in(app.test_client(), username, password)
    assert response.status_code == 400
    assert "Wrong user name or password." in response.get_data(as_text=True)


def test_the_form_needs_its_csrf_token(app):
    response = app.test_client().post("/login", data={"username": "alan", "password": PASSWORD})
    assert response.status_code == 400 and "The form expired" in response.get_data(as_text=True)


def test_failed_sign_ins_are_limited_per_user_name(app):
    client = app.test_client()
    for _ in range(5):
        assert sign_in(client, "vera", "wrong password").status_code == 400
    limited = sign_in(client, "vera", PASSWORD)
    assert limited.status_code == 429 and "Too many failed sign-ins" in limited.get_data(as_text=True)
    assert sign_in(client, "alan").status_code == 302  # other users are not locked out


def test_a_login_link_cannot_send_people_elsewhere(app):
    response = sign_in(app.test_client(), "alan", next_="//evil.example/x")
    assert response.headers["Location"] == "/"


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
    inputs = [{"id": "url", "property": "pathname", "value": "/admin"}]
    analyst, admin = app.test_client(), app.test_client()
    sign_in(analyst, "alan")
    sign_in(admin, "ana")
    deps = admin.get("/_dash-dependencies").get_json()
    spec = next(d["output"] for d in deps if "admin-runs.rowData" in d["output"])
    refused = admin_callback(analyst, spec, outputs, inputs)
    assert refused.status_code == 204 and b"ana" not in refused.data  # PreventUpdate: nothing sent
    answer = admin_callback(admin, spec, outputs, inputs).get_json()["response"]
    runs = answer["admin-runs"]["rowData"]
    assert runs[0]["status"] == "succeeded" and runs[0]["inserted"] > 0 and runs[0]["seconds"] >= 0
    assert [u["username"] for u in answer["admin-users"]["rowData"]] == ["alan", "ana", "vera"]
    assert all("password" not in str(u) for u in answer["admin-users"]["rowData"])
    assert [u["last_login_at"] == "never" for u in answer["admin-users"]["rowData"]] == [False, False, True]
