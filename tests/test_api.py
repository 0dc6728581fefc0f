"""The HTTP API over the WSGI stack the server runs: the catalogue, composed questions, the user's
scope as a filter the request cannot remove, and a one-line 4xx for every bad request."""
import dataclasses

import pytest

from data import users
from data.db import make_engine
from data.scope import Scope
from etl.load import load
from tests.conftest import FIXTURES
from tests.test_auth import PASSWORD, make_app, sign_in

ALL_OF_IT = {"start": "2017-01-01", "end": "2018-12-31"}


@pytest.fixture
def server(tmp_path, db_url):
    load(db_url, FIXTURES / "tiny")
    engine = make_engine(db_url)
    users.create(engine, "alan", PASSWORD, "analyst")
    users.create(engine, "rio", PASSWORD, "viewer", scope=Scope(states=("RJ",)))
    engine.dispose()
    app = make_app(tmp_path, db_url)
    yield app
    found = app.extensions.get("warehouse_engine")
    if found is not None:
        found.dispose()


def client_of(server, username):
    client = server.test_client()
    sign_in(client, username)
    return client


def test_signed_out_requests_get_a_401_in_the_apis_shape(server):
    for response in (server.test_client().get("/api/v1/catalogue"),
                     server.test_client().post("/api/v1/query", json={"metrics": ["orders"]})):
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "unauthorized"


def test_the_catalogue_lists_the_glossary(server):
    body = client_of(server, "alan").get("/api/v1/catalogue").get_json()
    metrics = {m["key"]: m for m in body["metrics"]}
    assert {"orders", "revenue", "aov", "new_customers", "returning_customers", "on_time_rate"} <= set(metrics)
    assert metrics["aov"]["format"] == "money" and metrics["aov"]["definition"].startswith("Revenue /")
    dims = {d["key"]: d for d in body["dimensions"]}
    assert dims["date"]["grains"] == ["day", "week", "month", "quarter", "year"] and "grains" not in dims["state"]
    assert {"payment_type", "seller_state", "price_band"} <= set(dims)


def test_a_composed_question_is_answered_with_money_in_reais_and_ratios_as_fractions(server):
    client = client_of(server, "alan")
    r = client.post("/api/v1/query", json={"metrics": ["revenue", "orders", "on_time_rate"], "by": ["category"],
                                           "filters": ALL_OF_IT, "order_by": ["-revenue"]})
    assert r.status_code == 200, r.get_data(as_text=True)
    body = r.get_json()
    assert body["columns"] == ["category", "revenue", "orders", "on_time_rate"]
    assert body["rows"] == [["unknown", 141.46, 1, 0.0], ["health_beauty", 77.42, 1, 1.0]]
    assert body["answered_from"] != "star" and isinstance(body["data_version"], int) and body["ms"] >= 0
    total = client.post("/api/v1/query", json={"metrics": ["orders", "aov"], "filters": {
        **ALL_OF_IT, "status": ["delivered", "canceled"]}}).get_json()
    assert total["rows"] == [[3, 109.44]]  # the canceled order has no items: AOV divides by orders with items
    by_month = client.post("/api/v1/query", json={"metrics": ["orders"], "by": ["date"], "grain": "month"}).get_json()
    assert by_month["rows"] == [["2017-10-01", 1], ["2017-11-01", 1]]  # no dates: all history


def test_a_scoped_user_gets_answers_inside_the_scope_whatever_the_request_says(server):
    client = client_of(server, "rio")
    for filters in (ALL_OF_IT, {**ALL_OF_IT, "state": ["SP"]}):
        body = client.post("/api/v1/query", json={"metrics": ["orders", "revenue"], "by": ["state"],
                                                  "filters": {**filters, "status": ["canceled", "delivered"]}}).get_json()
        assert body["rows"] == [["RJ", 1, 0.0]], body  # the RJ customer's only order is the canceled one


@pytest.mark.parametrize("body, words", [
    ({"metrics": ["margin"]}, "unknown metric 'margin'"),
    ({"metrics": ["orders"], "by": ["city"]}, "unknown dimension 'city'"),
    ({"metrics": ["orders"], "by": ["date"], "grain": "fortnight"}, "unknown grain 'fortnight'"),
    ({"metrics": ["orders"], "filters": {"state": ["XX"]}}, "unknown value 'XX' for state"),
    ({"metrics": ["orders"], "filters": {"payment_type": ["cheque"]}}, "unknown value 'cheque' for payment_type"),
    ({"metrics": ["orders"], "filters": {"seller": ["not-an-id"]}}, "bad value for seller"),
    ({"metrics": ["orders"], "filters": {"start": "yesterday"}}, "filters.start must be a date"),
    ({"metrics": ["orders"], "limit": "ten"}, "limit must be a positive whole number"),
    ({"metrics": ["orders"], "sort": ["-orders"]}, "unknown field 'sort'"),
    ({"metrics": "orders"}, "metrics must be a list of names"),
    ({"metrics": []}, "at least one metric"),
    ([1, 2], "must be a JSON object"),
])
def test_bad_questions_get_a_400_naming_what_is_wrong(server, body, words):
    r = client_of(server, "alan").post("/api/v1/query", json=body)
    assert r.status_code == 400 and words in r.get_json()["error"]["message"], r.get_json()
    assert r.get_json()["error"]["code"] == "bad_request"


def test_requests_that_are_not_questions_get_the_apis_errors(server):
    client = client_of(server, "alan")
    r = client.post("/api/v1/query", data="metrics=orders", content_type="application/x-www-form-urlencoded")
    assert r.status_code == 400 and "JSON" in r.get_json()["error"]["message"]
    assert client.get("/api/v1/query").status_code == 405 and client.get("/api/v1/nothing").status_code == 404
    assert client.get("/api/v1/nothing").get_json()["error"]["code"] == "not_found"
    big = client.post("/api/v1/query", json={"metrics": ["orders"] * 200_000})
    assert big.status_code == 413 and big.get_json()["error"]["code"] == "request_entity_too_large"


STAR_QUESTION = {"metrics": ["customers"],  # people of either of two sellers at any hour: no rollup keeps both
                 "filters": {**ALL_OF_IT, "hour": list(range(24)),
                             "seller": ["e1000000-0000-0000-0000-000000000001", "e1000000-0000-0000-0000-000000000002"]}}


def test_a_question_slower_than_the_timeout_is_cancelled_with_a_clear_message(server):
    server.extensions["settings"] = dataclasses.replace(server.extensions["settings"], query_timeout_s=1)
    client = client_of(server, "alan")
    with server.extensions["engine"]().connect() as conn, conn.begin():  # a lock the star must wait for
        conn.exec_driver_sql("LOCK TABLE warehouse.fact_orders IN ACCESS EXCLUSIVE MODE")
        r = client.post("/api/v1/query", json=STAR_QUESTION)
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "timeout"
    assert "took more than 1 s" in r.get_json()["error"]["message"]
    again = client.post("/api/v1/query", json=STAR_QUESTION)
    assert again.status_code == 200 and again.get_json()["rows"] == [[1]]  # the worker is free; nothing cached


def test_the_admin_page_lists_the_rollups_and_explains_a_question(server, db_url):
    from tests.test_auth import admin_callback
    engine = make_engine(db_url)
    users.create(engine, "ana", PASSWORD, "admin")
    engine.dispose()
    admin, analyst = client_of(server, "ana"), client_of(server, "alan")
    path = [{"id": "url", "property": "pathname", "value": "/admin"}]
    listed = admin_callback(admin, "admin-rollups.rowData", {"id": "admin-rollups", "property": "rowData"}, path)
    rows = {r["name"]: r for r in listed.get_json()["response"]["admin-rollups"]["rowData"]}
    assert rows["daily"]["state"] == "current" and rows["daily"]["rows"] == 3 and "repeat_orders" in rows
    refused = admin_callback(analyst, "admin-rollups.rowData", {"id": "admin-rollups", "property": "rowData"}, path)
    assert refused.status_code == 204  # admins only

    def explain(text):
        return admin.post("/_dash-update-component", json={
            "output": "admin-explain-result.children", "outputs": {"id": "admin-explain-result", "property": "children"},
            "inputs": [{"id": "admin-explain-run", "property": "n_clicks", "value": 1}],
            "state": [{"id": "admin-explain-query", "property": "value", "value": text}],
            "changedPropIds": ["admin-explain-run.n_clicks"]}).get_json()["response"]["admin-explain-result"]["children"]
    said = explain('{"metrics": ["revenue"], "by": ["category"], "filters": {"state": ["SP"]}}')
    assert said.startswith("daily_categories ") and "smallest rollup" in said
    assert explain('{"metrics": ["orders"], "by": ["seller"]}').startswith("daily_sellers ")
    assert "daily_sellers: lacks dimension hour" in explain('{"metrics": ["orders"], "by": ["seller", "hour"]}')
    assert "unknown metric 'margin'" in explain('{"metrics": ["margin"]}')["props"]["children"]
    assert explain("{not json")["props"]["children"].startswith("Not JSON")
