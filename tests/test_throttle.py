"""Sign-in throttling over raw HTTP: strangers are slowed, the account's owner is not locked out,
the body's format changes nothing, an outage counts against nobody, and 429s say how long to wait."""
import pytest

from data import throttle
from data.db import make_engine
from tests.test_auth import PASSWORD, app, csrf, sign_out  # noqa: F401 - app is a fixture

STRANGER = {"REMOTE_ADDR": "198.51.100.7"}
OWNER = {"REMOTE_ADDR": "192.0.2.10"}


def attempt(client, username, password, environ):
    token = csrf(client)
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token},
                       environ_base=environ)


def test_a_stranger_cannot_lock_the_owner_out(app):
    owner = app.test_client()
    assert attempt(owner, "alan", PASSWORD, OWNER).status_code == 302  # the owner's browser gets a device cookie
    assert owner.get_cookie("olist_device", path="/login") is not None
    sign_out(owner)
    stranger = app.test_client()
    codes = [attempt(stranger, "alan", f"guess {i}", STRANGER).status_code for i in range(8)]
    assert codes[:5] == [400] * 5 and codes[-1] == 429  # the stranger is slowed down...
    refused = attempt(stranger, "alan", PASSWORD, STRANGER)  # ...even with the right password
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert "Too many failed sign-ins" in refused.get_data(as_text=True)
    assert attempt(owner, "alan", PASSWORD, OWNER).status_code == 302  # the owner signs in as usual
    # A new browser of the owner's, with no device cookie, shares the strangers' counter until it waits.
    assert attempt(app.test_client(), "alan", PASSWORD, OWNER).status_code == 429


def test_failures_from_one_address_are_slowed_whatever_the_names(app):
    client = app.test_client()
    for i in range(throttle.RULES["address"].free):
        assert attempt(client, f"nobody{i}", "wrong password", STRANGER).status_code == 400
    limited = attempt(client, "another", "wrong password", STRANGER)
    assert limited.status_code == 400  # the failure that starts the wait is still answered...
    response = attempt(client, "alan", PASSWORD, STRANGER)
    assert response.status_code == 429 and "Retry-After" in response.headers  # ...the next one waits
    assert attempt(app.test_client(), "alan", PASSWORD, OWNER).status_code == 302  # other addresses are not


def test_a_json_body_counts_like_a_form(app):
    client = app.test_client()
    for _ in range(throttle.RULES["account"].free + 1):
        token = csrf(client)
        response = client.post("/login", json={"username": "vera", "password": "wrong", "csrf_token": token},
                               environ_base=STRANGER)
        assert response.status_code == 400 and "Wrong user name or password" in response.get_data(as_text=True)
    assert attempt(client, "vera", PASSWORD, STRANGER).status_code == 429


def test_the_wait_doubles_up_to_a_cap():
    rule = throttle.RULES["account"]
    waits = [throttle.delay(rule, n) for n in range(1, rule.free + 13)]
    assert waits[:rule.free] == [0] * rule.free
    assert waits[rule.free:rule.free + 4] == [1, 2, 4, 8] and max(waits) == rule.cap_seconds


def test_a_database_outage_during_sign_in_is_a_clear_503_and_counts_against_nobody(app, db_url, sql):
    client = app.test_client()
    token = csrf(client)
    real = app.extensions.get("warehouse_engine")
    app.extensions["warehouse_engine"] = make_engine("postgresql://nobody@127.0.0.1:9/none", connect_timeout=2)
    try:
        response = client.post("/login", data={"username": "alan", "password": "wrong", "csrf_token": token},
                               environ_base=STRANGER)
    finally:
        app.extensions["warehouse_engine"].dispose()
        app.extensions["warehouse_engine"] = real
    body = response.get_data(as_text=True)
    assert response.status_code == 503 and "The database is unreachable" in body and "Traceback" not in body
    assert sql("SELECT count(*) FROM app.login_throttle") == [(0,)]
    assert sql("SELECT count(*) FROM app.audit_log WHERE action = 'sign_in_failed'") == [(0,)]
    assert attempt(client, "alan", PASSWORD, STRANGER).status_code == 302


def test_sign_ins_and_failures_are_audited(app, sql):
    client = app.test_client()
    attempt(client, "alan", "wrong", STRANGER)
    attempt(client, "alan", PASSWORD, STRANGER)
    sign_out(client)
    rows = sql("SELECT actor, action, target, detail->>'reason', address FROM app.audit_log "
               "WHERE action LIKE 'sign%' ORDER BY event_id")
    assert rows == [(None, "sign_in_failed", "alan", "wrong user name or password", "198.51.100.7"),
                    ("alan", "sign_in", "alan", None, "198.51.100.7"),
                    ("alan", "sign_out", "alan", None, "127.0.0.1")]
    with pytest.raises(Exception, match="append-only"):
        sql("DELETE FROM app.audit_log")
    with pytest.raises(Exception, match="append-only"):
        sql("UPDATE app.audit_log SET actor = 'someone else'")
    assert sql("SELECT target FROM app.audit_log WHERE action = 'user_created' ORDER BY event_id") == [
        ("ana",), ("alan",), ("vera",)]
