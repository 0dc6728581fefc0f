"""Two-factor sign-in with real TOTP codes: enrolment, the second step, replays, recovery codes,
the admin's requirement and reset, over raw HTTP."""
import re
import time

import pyotp

from data import twofactor
from data.db import make_engine
from tests.test_auth import app, csrf, sign_in, sign_out  # noqa: F401 - app is a fixture


def enrol(client, username="alan"):
    """Set up a second factor for a signed-in (or enrolment-bound) user; return the secret and codes."""
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert "<svg" in page and "QR code" in page  # drawn here, inline
    secret = re.search(r"Key: <code>([A-Z2-7]+)</code>", page).group(1)
    token = csrf(client, "/account/two-factor")
    wrong = client.post("/account/two-factor", data={"code": "000000", "csrf_token": token})
    assert wrong.status_code == 400 and "That code is wrong" in wrong.get_data(as_text=True)
    done = client.post("/account/two-factor", data={"code": pyotp.TOTP(secret).now(), "csrf_token": token})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", done.get_data(as_text=True))
    assert len(codes) == 10 and len(set(codes)) == 10
    return secret, codes


def second_step(client, code, next_="/"):
    token = csrf(client, f"/login/two-factor?next={next_}")
    return client.post(f"/login/two-factor?next={next_}", data={"code": code, "csrf_token": token})


def test_enrol_then_sign_in_needs_a_fresh_code(app, sql):
    client = app.test_client()
    sign_in(client, "alan")
    secret, codes = enrol(client)
    assert sql("SELECT totp_enabled, totp_secret IS NOT NULL FROM app.users WHERE username = 'alan'") == [(True, True)]
    stored = [r[0] for r in sql("SELECT code_hash FROM app.recovery_codes")]
    assert len(stored) == 10 and not set(codes) & set(stored)  # hashes only
    sign_out(client)

    first = sign_in(client, "alan", next_="/sales")
    assert first.status_code == 302 and first.headers["Location"].startswith("/login/two-factor")
    # Half signed in: nothing but the second step answers.
    assert client.get("/_dash-layout").status_code == 401
    assert client.get("/sales").headers["Location"].startswith("/login/two-factor")
    assert second_step(client, "123456").status_code == 400
    totp = pyotp.TOTP(secret)
    code = totp.at(time.time() + totp.interval)  # the next step's code (the enrolment used this one)
    done = second_step(client, code, "/sales")
    assert done.status_code == 302 and done.headers["Location"] == "/sales"
    assert client.get("/_dash-layout").status_code == 200
    sign_out(client)

    sign_in(client, "alan")
    replay = second_step(client, code)
    assert replay.status_code == 400 and "used already" in replay.get_data(as_text=True)


def test_a_recovery_code_works_once(app, sql):
    client = app.test_client()
    sign_in(client, "vera")
    _secret, codes = enrol(client, "vera")
    sign_out(client)
    sign_in(client, "vera")
    assert second_step(client, codes[3].upper()).status_code == 302  # typed in capitals: still the code
    assert client.get("/_dash-layout").status_code == 200
    sign_out(client)
    sign_in(client, "vera")
    assert second_step(client, codes[3]).status_code == 400
    assert sql("SELECT detail->>'codes_left' FROM app.audit_log WHERE action = 'recovery_code_used'") == [("9",)]


def test_wrong_codes_are_throttled_like_passwords(app):
    client = app.test_client()
    sign_in(client, "alan")
    enrol(client)
    sign_out(client)
    stranger = app.test_client()
    sign_in(stranger, "alan", environ_base={"REMOTE_ADDR": "198.51.100.8"})
    codes = [second_step(stranger, f"{i:06d}").status_code for i in range(7)]
    assert codes[:5] == [400] * 5 and codes[-1] == 429


def test_an_admin_can_require_it_and_reset_it(app, db_url, sql):
    engine = make_engine(db_url)
    signed_in_before = app.test_client()
    sign_in(signed_in_before, "ana")
    twofactor.set_requirement(engine, "admins", actor="ana")
    # A session from before the rule must set it up at its next request; other roles are untouched.
    assert signed_in_before.get("/sales").headers["Location"].startswith("/account/two-factor")
    analyst = app.test_client()
    assert sign_in(analyst, "alan").headers["Location"] == "/"

    client = app.test_client()
    response = sign_in(client, "ana", next_="/admin")
    assert response.headers["Location"].startswith("/account/two-factor")
    assert client.get("/_dash-layout").status_code == 401
    secret, _codes = enrol(client, "ana")
    assert client.get("/_dash-layout").status_code == 200  # enrolled: the sign-in is complete
    assert signed_in_before.get("/_dash-layout").status_code == 401  # password-only sessions ended
    assert sql("SELECT verified FROM app.sessions s JOIN app.users u USING (user_id) "
               "WHERE username = 'ana'") == [(True,)]

    twofactor.reset(engine, "ana", actor="cli:root")
    assert client.get("/_dash-layout").status_code == 401  # a reset ends the sessions
    assert sql("SELECT totp_enabled, totp_secret FROM app.users WHERE username = 'ana'") == [(False, None)]
    assert sql("SELECT count(*) FROM app.recovery_codes") == [(0,)]
    twofactor.set_requirement(engine, "off", actor="ana")
    assert sign_in(app.test_client(), "ana").headers["Location"] == "/"
    actions = [r[0] for r in sql("SELECT action FROM app.audit_log WHERE action LIKE 'two_factor%' ORDER BY event_id")]
    assert actions == ["two_factor_required", "two_factor_enrolled", "two_factor_reset", "two_factor_required"]
    engine.dispose()


def test_the_cli_manages_scopes_roles_and_second_factors(app, sql):
    runner = app.test_cli_runner()
    seller = "3442f895-9a84-dea7-ee19-7c632cb2df15"
    made = runner.invoke(args=["users", "create", "sol", "--role", "analyst", "--seller", seller, "--state", "sp",
                               "--password", "long enough 1"])
    assert made.exit_code == 0 and "limited to seller 3442f895… and customer state SP" in made.output
    assert "sol\tanalyst\tactive\t-\tseller 3442f895… and customer state SP" in runner.invoke(args=["users", "list"]).output
    bad = runner.invoke(args=["users", "set-scope", "sol", "--state", "XX"])
    assert bad.exit_code == 1 and "not a Brazilian state code" in bad.output
    bad = runner.invoke(args=["users", "set-scope", "sol", "--seller", "nope"])
    assert bad.exit_code == 1 and "is not a seller id" in bad.output
    assert runner.invoke(args=["users", "set-scope", "sol"]).exit_code == 2
    assert runner.invoke(args=["users", "set-scope", "sol", "--everything"]).exit_code == 0
    assert sql("SELECT scope_sellers, scope_states FROM app.users WHERE username = 'sol'") == [([], [])]
    assert runner.invoke(args=["users", "set-role", "sol", "viewer"]).exit_code == 0
    assert runner.invoke(args=["users", "require-2fa", "all"]).exit_code == 0
    assert runner.invoke(args=["users", "reset-2fa", "nobody"]).exit_code == 1
    only = runner.invoke(args=["users", "set-role", "ana", "viewer"])
    assert only.exit_code == 1 and "only active admin" in only.output
    assert runner.invoke(args=["users", "disable", "sol"]).exit_code == 0
    assert runner.invoke(args=["users", "enable", "sol"]).exit_code == 0
    actions = [r[0] for r in sql("SELECT action FROM app.audit_log WHERE actor LIKE 'cli%' ORDER BY event_id")]
    assert actions == ["user_created", "scope_changed", "role_changed", "two_factor_required", "user_disabled",
                       "user_enabled"]
