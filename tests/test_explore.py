"""Explore: a question read from and written to the URL, crafted URLs, and its answer drawn from the
semantic layer on the hand-written fixture (callbacks called as plain functions)."""
import contextlib
import dataclasses

import pytest
from dash.exceptions import PreventUpdate
from flask_login import login_user
from sqlalchemy.pool import NullPool

from app import create_app
from callbacks import _explore_figures as draw, explore
from data import exploration as ex, users
from data.db import make_engine
from data.scope import Scope
from data.settings import load_settings
from etl.load import load
from tests.conftest import FIXTURES
from tests.test_auth import sign_in
from tests.test_callbacks import VIEW


def test_a_question_reads_from_the_url_and_writes_back_the_same():
    e, notices = ex.parse({"metrics": "revenue,aov", "by": "payment_type,date", "grain": "month", "vs": "year",
                           "hour": ["10,11"], "limit": "50", "sort": "-aov"})
    assert notices == []
    assert e.metrics == ("revenue", "aov") and e.by == ("date", "payment_type")  # the date is the axis
    assert e.where == {"hour": ("10", "11")} and e.limit == 50 and e.sort == "-aov" and e.vs == "year"
    query = ex.to_query(e)
    assert query == {"metrics": "revenue,aov", "by": "date,payment_type", "grain": "month", "vs": "year",
                     "sort": "-aov", "limit": "50", "hour": "10,11"}
    assert ex.parse(query) == (e, [])
    assert ex.describe(e) == "Revenue and AOV by payment type per month, vs the same period a year before"
    # A bare /explore is revenue over time; naming metrics without dimensions is one number.
    assert ex.parse({})[0].by == ("date",) and ex.parse({"metrics": "orders"})[0].by == ()
    assert ex.parse({"metrics": "orders"})[0].shown == "number"


@pytest.mark.parametrize("args, dropped", [
    ({"metrics": "revenue,<script>alert(1)</script>"}, "dropped the metric '<script>alert(1)</script>'"),
    ({"metrics": "revenue", "by": "planet"}, "dropped the dimension 'planet'"),
    ({"metrics": "revenue", "by": "date", "grain": "fortnight"}, "dropped grain='fortnight'"),
    ({"metrics": "revenue", "chart": "radar"}, "dropped chart='radar'"),
    ({"metrics": "revenue", "by": "category", "chart": "map"}, "drew a bars: a map cannot show this question"),
    ({"metrics": "revenue", "limit": "-3"}, "dropped limit='-3'"),
    ({"metrics": "revenue", "limit": "99999999"}, "dropped limit='99999999'"),
    ({"metrics": "revenue", "vs": "tomorrow"}, "dropped vs='tomorrow'"),
    ({"metrics": "revenue", "sort": "-orders"}, "dropped sort='-orders'"),
    ({"metrics": "revenue", "hour": "25"}, "dropped hour='25': not a value of Hour of purchase"),
    ({"metrics": "revenue", "product": "not-an-id"}, "dropped product='not-an-id'"),
    ({"metrics": "revenue,orders,aov,items,freight"}, "kept the first 4 metrics of 5"),
    ({"metrics": "revenue", "by": "state,status,category"}, "kept the first 2 dimensions of 3"),
    ({"metrics": "nothing"}, "no known metric was named: showing revenue"),
])
def test_a_crafted_url_opens_with_its_unknown_parts_dropped_and_said(args, dropped):
    e, notices = ex.parse(args)
    assert any(n.startswith(dropped) for n in notices), notices
    assert e.metrics and set(e.metrics) <= set(ex.CATALOGUE.metrics) and len(e.metrics) <= ex.MAX_METRICS
    assert len(e.by) <= ex.MAX_BY and e.shown in ex.charts_for(e)


def test_each_question_gets_the_chart_it_suits_and_only_charts_that_can_draw_it():
    suits = {(): "number", ("date",): "line", ("category",): "bar", ("state",): "bar", ("hour",): "line",
             ("category", "state"): "pivot", ("date", "payment_type"): "line"}
    for by, chart in suits.items():
        assert ex.suited(ex.Exploration(by=by)) == chart
    assert "map" in ex.charts_for(ex.Exploration(by=("seller_state",)))
    assert "map" not in ex.charts_for(ex.Exploration(by=("state", "status")))
    assert "line" not in ex.charts_for(ex.Exploration(by=("category",)))  # no order to draw a line along
    assert ex.Exploration(by=("category",), chart="line").shown == "bar"
    # A single ranked dimension shows its 25 largest by default; time and states show every row.
    assert ex.Exploration(by=("category",)).row_limit() == 25
    assert ex.Exploration(by=("date", "category")).row_limit() is None
    assert ex.Exploration(by=("category",)).order_by() == ("-revenue", "category")


def test_the_filter_bar_part_of_the_url_is_kept_when_the_question_changes():
    search = "?start=2018-01-01&end=2018-03-31&state=RJ&metrics=orders&by=hour"
    written = explore.with_question(search, {"metrics": "revenue,aov", "by": "date", "grain": "month"})
    assert written == "?start=2018-01-01&end=2018-03-31&state=RJ&metrics=revenue,aov&by=date&grain=month"
    args = explore.question_args(["revenue"], ["state"], "auto", None, "none", "auto", "auto", {"hour": [10]})
    assert ex.to_query(ex.parse(args)[0]) == {"metrics": "revenue", "by": "state", "hour": "10"}


def test_a_compared_period_is_lined_up_by_its_place_in_the_range():
    from datetime import date
    e = ex.Exploration(by=("date",), grain="month", vs="year")
    rows = [(date(2018, 1, 1), 10), (date(2018, 2, 1), 20)]
    before = [(date(2017, 1, 1), 5), (date(2017, 2, 1), 40)]
    lined = draw.aligned(e, rows, before, (date(2018, 1, 1), date(2018, 2, 28)), (date(2017, 1, 1), date(2017, 2, 28)))
    assert lined == {(date(2018, 1, 1),): (5,), (date(2018, 2, 1),): (40,)}
    table = draw.table_rows(dataclasses.replace(e, metrics=("orders",)), rows, lined, {})
    assert table[0] == {"date": "2018-01-01", "orders": 10.0, "orders__before": 5.0, "orders__change": "▲ 100.0%"}


@pytest.fixture
def app(tmp_path, db_url):
    load(db_url, FIXTURES / "tiny")
    engine = make_engine(db_url)
    users.create(engine, "ana", "long password 1", "analyst")
    users.create(engine, "vic", "long password 1", "viewer")
    users.create(engine, "rio", "long password 1", "analyst", scope=Scope(states=("RJ",)))
    engine.dispose()
    settings = dataclasses.replace(load_settings({"INSTANCE_DIR": str(tmp_path)}), database_url=db_url)
    server = create_app(db_url, settings).server
    yield server
    found = server.extensions.get("warehouse_engine")
    if found is not None:
        found.dispose()


@contextlib.contextmanager
def signed_in(server, name):
    with server.test_request_context():
        login_user(users.find(make_engine(server.config["DATABASE_URL"], poolclass=NullPool), name))
        yield


def shown(args: dict) -> dict:
    """The shell's explore-shown store for the question these URL values ask."""
    return {"page": "/explore", "question": ex.to_query(ex.parse(args)[0])}


def test_the_answer_is_the_pages_answer_drawn_and_tabled(app):
    with signed_in(app, "ana"):
        question = shown({"metrics": "revenue,orders", "by": "date", "grain": "month"})
        figure, style, number, columns, rows, answered, title = explore.answer(question, VIEW, "light")
        # The same months and revenue as the Overview's chart (tests/test_callbacks.py).
        assert [r["revenue"] for r in rows] == [77.42, 141.46] and [r["orders"] for r in rows] == [1, 1]
        assert [t["name"] for t in figure.data] == ["Revenue", "Orders"] and style == {"height": "460px"}
        assert [c["headerName"] for c in columns] == ["Purchase date (month)", "Revenue", "Orders"]
        # The range starts on 2 October, so the monthly rollup cannot answer it exactly: the daily one does.
        assert "answered from daily in" in answered.children and "the smallest rollup" in answered.title
        assert title == "Revenue and Orders per month"
        # One number with its change: nothing before October 2017, so no change can be given.
        single = shown({"metrics": "revenue", "vs": "previous"})
        _fig, style, number, _c, rows, _a, _t = explore.answer(single, VIEW, "light")
        assert style == {"display": "none"} and rows[0]["revenue"] == 218.88
        assert number[0].children[1].children == "R$ 218.88" and "no data" in number[0].children[2].children


def test_the_answer_stays_inside_the_users_scope(app):
    question = shown({"metrics": "revenue", "by": "state"})
    with signed_in(app, "ana"):
        everyone = explore.answer(question, VIEW, "light")[4]
    with signed_in(app, "rio"):
        scoped = explore.answer(question, VIEW, "light")[4]
    assert {r["state"] for r in everyone} == {"São Paulo (SP)"}
    assert scoped == []  # the fixture has no customer in Rio de Janeiro


def test_viewers_cannot_export_and_analysts_get_the_table_over_http(app):
    """The export decided on the server: the same request from a viewer gets nothing."""
    question = shown({"metrics": "revenue", "by": "date", "grain": "month"})
    body = {"output": "explore-download.data", "outputs": {"id": "explore-download", "property": "data"},
            "inputs": [{"id": "explore-csv", "property": "n_clicks", "value": 1},
                       {"id": "explore-xlsx", "property": "n_clicks", "value": None}],
            "state": [{"id": "explore-shown", "property": "data", "value": question},
                      {"id": "filters", "property": "data", "value": VIEW}],
            "changedPropIds": ["explore-csv.n_clicks"]}
    for name, password in (("vic", "long password 1"), ("ana", "long password 1")):
        client = app.test_client()
        assert sign_in(client, name, password).status_code == 302
        response = client.post("/_dash-update-component", json=body)
        assert response.status_code in (200, 204)
        if name == "vic":
            assert response.status_code == 204 or response.get_json()["response"] == {}  # nothing to download
        else:
            sent = response.get_json()["response"]["explore-download"]["data"]
            assert sent["filename"].startswith("explore_revenue_by_date_month") and "77.42" in sent["content"]
    with signed_in(app, "vic"):
        assert explore.export_allowed(question)[:2] == (True, True)  # and the buttons are off


def test_a_crafted_question_is_refused_without_an_answer(app):
    with signed_in(app, "ana"):
        with pytest.raises(PreventUpdate):
            explore.answer(None, VIEW, "light")
        for crafted in (["metrics", "revenue"], {"page": "/explore", "question": "metrics=revenue"}):
            with pytest.raises(ValueError):
                explore.answer(crafted, VIEW, "light")
        # Unknown names in a crafted store are dropped as in a URL: the rest is answered.
        crafted = {"page": "/explore", "question": {"metrics": ["revenue", "x" * 5000], "by": ["drop table"]}}
        rows = explore.answer(crafted, VIEW, "light")[4]
        assert rows == [{"revenue": 218.88}]


def test_a_date_axis_names_each_month_once_and_stays_readable():
    from datetime import date
    months = [(date(2018, m, 1), 1) for m in range(1, 5)]
    assert draw.date_ticks("month", months) == {"tickformat": "%b %Y", "hoverformat": "%B %Y", "dtick": "M1"}
    two_years = [(date(2016 + m // 12, m % 12 + 1, 1), 1) for m in range(25)]
    assert draw.date_ticks("month", two_years)["dtick"] == "M3"  # 9 ticks, not 25
    assert draw.date_ticks("quarter", months)["dtick"] == "M3" and "dtick" not in draw.date_ticks("week", months)


def test_more_filters_offer_each_dimensions_values_as_the_url_writes_them(app):
    with signed_in(app, "ana"):
        hours, products = explore.where_options(None, [{"type": "explore-where", "key": "hour"},
                                                      {"type": "explore-where", "key": "product"}],
                                                [["10"], ["b1000000-0000-0000-0000-000000000002"]])
    assert [o["value"] for o in hours] == [str(h) for h in range(24)]  # in their order, as text: "10" is one of them
    assert hours[10]["label"] == "10h"
    assert products == [{"label": "b1000000", "value": "b1000000-0000-0000-0000-000000000002"}]  # only the chosen
