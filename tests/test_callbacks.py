"""Callbacks called as plain functions, in the app's context, on the hand-written fixture."""
import dataclasses

import pytest
from sqlalchemy.pool import NullPool
from dash import no_update
from flask_login import login_user

from app import create_app
from callbacks import _export, customers, delivery, geography, overview, products, reviews, sales
from data import users
from data.db import make_engine
from data.filters import DEFAULT_STATUSES
from data.settings import load_settings
from etl.load import load
from tests.conftest import FIXTURES

VIEW = {"start": "2017-10-02", "end": "2018-01-15", "state": "", "category": "", "seller": "",
        "statuses": list(DEFAULT_STATUSES)}


@pytest.fixture
def app(tmp_path, db_url):
    load(db_url, FIXTURES / "tiny")
    engine = make_engine(db_url)
    for name, role in (("ana", "analyst"), ("vic", "viewer")):
        users.create(engine, name, "long password 1", role)
    engine.dispose()
    settings = dataclasses.replace(load_settings({"INSTANCE_DIR": str(tmp_path)}), database_url=db_url)
    server = create_app(db_url, settings).server
    with server.test_request_context():
        login_user(users.find(make_engine(db_url, poolclass=NullPool), "ana"))
        yield server
    found = server.extensions.get("warehouse_engine")
    if found is not None:
        found.dispose()


def test_kpi_cards_show_the_glossary_values_with_their_change(app):
    out = overview.kpi_cards(VIEW)
    assert out[:6] == ["R$ 218.88", "2", "R$ 109.44", "1", "3.00", "50.0%"]
    assert out[6:12] == ["no previous data"] * 6  # nothing before October 2017


def test_charts_follow_the_theme_and_say_when_nothing_matches(app):
    fig = overview.timeseries(VIEW, "month", "dark")
    assert [t.type for t in fig.data] == ["bar", "scatter"] and list(fig.data[0].y) == [77.42, 141.46]
    assert fig.layout.template.layout.paper_bgcolor == "rgb(17,17,17)"  # plotly_dark
    empty = overview.status_mix({**VIEW, "start": "2016-01-01", "end": "2016-01-31"}, "light")
    assert empty.layout.annotations[0].text == "No data matches the filters."


def test_clicks_add_their_value_to_the_url(app):
    click = {"points": [{"location": "RJ"}]}
    assert geography.filter_on_click(click, "?start=2017-10-02&state=SP") == "?start=2017-10-02&state=SP%2CRJ"
    assert geography.filter_on_click(None, "?start=2017-10-02") is no_update


def test_page_callbacks_answer_on_the_fixture(app):
    assert delivery.kpis(VIEW) == ["50.0%", "50.0%", "12.1 days", "15.0 days", "2.5 days"]
    assert [r["state"] for r in geography.states_table(VIEW)] == ["SP"]
    assert sales.products(VIEW)[0]["revenue"] == 141.46
    low = reviews.low_scores(VIEW)
    assert [(r["score"], r["title"]) for r in low] == [(1, "Atrasou")]


def test_exports_are_decided_by_role(app):
    engine = make_engine(app.config["DATABASE_URL"])
    login_user(users.check_password(engine, "vic", "long password 1"))
    assert _export.send([{"a": 1}], "x", excel=False) is no_update
    login_user(users.check_password(engine, "ana", "long password 1"))
    sent = _export.send([{"a": 1}], "x", excel=True)
    assert sent["filename"] == "x.xlsx" and sent["base64"]
    engine.dispose()


def test_the_seller_box_offers_sellers_matching_what_was_typed(app):
    from callbacks import shell

    assert shell.seller_options("e1", None) == [
        {"value": "e1000000-0000-0000-0000-000000000001", "label": "e1000000… (campinas, SP)"},
        {"value": "e1000000-0000-0000-0000-000000000002", "label": "e1000000… (curitiba, PR)"}]
    assert shell.seller_options("x", ["e1000000-0000-0000-0000-000000000001"]) == [
        {"label": "e1000000…", "value": "e1000000-0000-0000-0000-000000000001"}]


def test_customers_and_products_callbacks_on_the_fixture(app):
    # One person (two orders, 53 days apart) in the view; both orders together are worth R$ 218.88.
    assert customers.kpis(VIEW) == ["1", "1", "0", "100.0%", "53 days", "R$ 218.88"]
    assert customers.pick_segment({"points": [{"customdata": ["At risk", 0.1]}]}) == "At risk"
    assert customers.pick_segment({"points": [{"customdata": ["<script>", 0.1]}]}) is no_update
    rows, note = customers.members(VIEW, None)  # no click yet: the view's first segment
    assert [(r["orders"], r["revenue"], r["r"], r["m"]) for r in rows] == [(2, 218.88, 5, 1)]
    assert note == "Loyal: 1 customer. Click another segment in the chart to list it."
    assert customers.members(VIEW, "Champions") == ([], "Champions: no customers in this view. "
                                                        "Click another segment in the chart to list it.")
    heat = customers.cohorts(VIEW, "count", "light")
    assert list(heat.data[0].y) == ["Oct 2017 (1)"] and list(heat.data[0].text[0][:2]) == ["1", "1"]
    # Two products: R$ 141.46 of R$ 218.88 from the larger; three items priced 178.68 in all.
    assert products.kpis(VIEW) == ["2", "2", "64.6%", "R$ 59.56"]
    header, style = products.header("00000000-0000-0000-0000-000000000000")
    assert "No such product" in str(header) and style == {"display": "none"}
    assert products.product_kpis(VIEW, "b1000000-0000-0000-0000-000000000001")[:3] == ["R$ 77.42", "2", "1"]
