"""Callbacks called as plain functions, in the app's context, on the hand-written fixture."""
import dataclasses

import pytest
from sqlalchemy.pool import NullPool
from dash import no_update
from flask_login import login_user

from app import create_app
from callbacks import _export, customers, delivery, geography, overview, products, reviews, sales, sellers
from data import users
from data.db import make_engine
from data.filters import DEFAULT_STATUSES
from data.settings import load_settings
from etl.load import load
from tests.conftest import FIXTURES

VIEW = {"start": "2017-10-02", "end": "2018-01-15", "state": "", "category": "", "seller": "",
        "status": list(DEFAULT_STATUSES)}


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
    assert out[6:12] == ["no data for the previous period"] * 6  # nothing before October 2017
    assert overview.kpi_cards({**VIEW, "compare": "year"})[6] == "no data for the same period last year"
    # Every page's cards carry their change the same way (callbacks._compare).
    assert delivery.kpis({**VIEW, "compare": "year"})[5:10] == ["no data for the same period last year"] * 5
    november = overview.kpi_cards({**VIEW, "start": "2017-11-01", "end": "2017-11-30"})  # against 2 to 31 October
    assert november[6:8] == ["▲ 82.7% vs previous period", "= no change vs previous period"]  # R$ 141.46 v 77.42
    assert november[12:14] == ["small text-success", "small text-body-secondary"]


def test_charts_follow_the_theme_and_say_when_nothing_matches(app):
    fig = overview.timeseries(VIEW, "month", "dark")
    assert [t.type for t in fig.data] == ["bar", "scatter", "bar"] and list(fig.data[0].y) == [77.42, 141.46]
    # The range starts on 2 October: October is cut short, so its bar is pale; the next month is whole.
    assert fig.data[2].name == "Incomplete period" and list(fig.data[0].marker.opacity) == [0.35, 1]
    whole = overview.timeseries({**VIEW, "start": "2017-10-01", "end": "2017-12-31"}, "month", "dark")
    assert [t.name for t in whole.data] == ["Revenue (R$)", "Orders"]  # whole months: nothing marked
    assert fig.layout.template.layout.paper_bgcolor == "rgb(17,17,17)"  # plotly_dark
    empty = overview.status_mix({**VIEW, "start": "2016-01-01", "end": "2016-01-31"}, "light")
    assert empty.layout.annotations[0].text == "No data matches the filters."


def test_clicks_add_their_value_to_the_url_and_a_second_click_takes_it_off(app):
    click = {"points": [{"location": "RJ"}]}
    assert geography.filter_on_click(click, "?state=SP&start=2017-10-02") == "?start=2017-10-02&state=SP,RJ"
    assert geography.filter_on_click(click, "?start=2017-10-02&state=SP,RJ") == "?start=2017-10-02&state=SP"
    assert geography.filter_on_click(click, "?state=RJ") == ""
    assert geography.filter_on_click(None, "?start=2017-10-02") is no_update
    assert geography.filter_on_click({"points": [{"location": ["not", "a", "state"]}]}, "?") is no_update


def test_every_chart_of_a_dimension_cross_filters_and_keeps_its_shape(app):
    """A slice or bar click toggles its value; the chart still draws every value, the picked ones bright."""
    pie_click = {"points": [{"label": "Delivered", "customdata": "delivered"}]}
    assert overview.filter_by_status(pie_click, "?start=2017-10-02") == "?start=2017-10-02&status=delivered"
    assert overview.filter_by_status(pie_click, "?status=delivered") == ""
    assert overview.filter_by_status(pie_click, "?status=all") == "?status=delivered"  # all: none was picked
    bar_click = {"points": [{"customdata": ["health_beauty", 3]}]}
    assert overview.filter_by_category(bar_click, "") == "?category=health_beauty"
    assert reviews.filter_by_category(bar_click, "?category=health_beauty") == ""
    assert delivery.filter_by_state({"points": [{"customdata": "SP"}]}, "?state=RJ") == "?state=RJ,SP"

    picked = {**VIEW, "status": ["delivered"], "category": "health_beauty"}
    donut = overview.status_mix({**VIEW, "status": ["delivered"]}, "light").data[0]
    assert "delivered" in donut.customdata and len(donut.customdata) > 1  # every status, not only the picked one
    faded = [c for k, c in zip(donut.customdata, donut.marker.colors) if k != "delivered"]
    assert all(c.startswith("rgba(") for c in faded) and not donut.marker.colors[list(donut.customdata).index("delivered")].startswith("rgba(")
    bars = overview.top_categories(picked, "light").data[0]
    assert len(bars.customdata) > 1 and "Health Beauty" in bars.y
    bright = [o for (k, _), o in zip(bars.customdata, bars.marker.opacity) if k == "health_beauty"]
    assert bright == [1] and min(bars.marker.opacity) < 1
    states = delivery.states({**VIEW, "state": "RJ"}, "light").data[0]  # the fixture delivers only to SP
    assert list(states.x) == ["SP"] and list(states.marker.opacity) == [0.3]
    # The two filters added as declarations cross-filter too: payment types and seller states.
    slice_click = {"points": [{"customdata": "voucher"}]}
    assert overview.filter_by_payment_type(slice_click, "?state=SP") == "?state=SP&payment_type=voucher"
    assert sellers.filter_by_seller_state({"points": [{"customdata": "PR"}]}, "?payment_type=voucher") == (
        "?payment_type=voucher&seller_state=PR")
    mix = overview.payment_mix({**VIEW, "payment_type": ["voucher"]}, "light").data[0]
    assert "voucher" in mix.customdata and len(mix.customdata) > 1  # every type, the picked one bright
    by_state = sellers.states({**VIEW, "seller_state": ["PR"]}, "light").data[0]
    assert set(by_state.x) == {"SP", "PR"} and [o for s, o in zip(by_state.x, by_state.marker.opacity) if s == "PR"] == [1]


def test_seller_and_product_links_name_them_and_their_text_cannot_break_out():
    from datetime import date

    from callbacks._labels import linked
    from data.filters import Filters
    f = Filters(date(2018, 1, 1), date(2018, 1, 31), states=("SP",))
    sid = "44998ddd-9228-163e-247b-4f0d30e8e3c1"
    row = linked([{"seller_id": sid, "city": "belo horizonte", "state": "MG", "revenue": 1}], f)[0]
    assert row["seller"] == "Belo Horizonte, MG · 44998ddd"
    assert row["link"] == f"[Belo Horizonte, MG · 44998ddd](/sellers/{sid}?start=2018-01-01&end=2018-01-31&state=SP)"
    crafted = linked([{"seller_id": sid, "city": "x](javascript:alert(1)) [y", "state": "SP"}], f)[0]["link"]
    assert crafted.startswith(r"[X\]\(javascript:alert\(1\)\) \[y, SP · 44998ddd](/sellers/")
    product = linked([{"product_id": "b1000000-0000-0000-0000-000000000002", "category": "bed_bath_table"}], f)[0]
    assert product["link"].startswith("[Bed Bath Table · b1000000](/products/b1000000-")


def test_changes_are_points_for_rates_and_scores_and_relative_for_amounts():
    from callbacks._format import change
    assert change(0.95, 0.95, "pct") == ("= no change vs previous period", "text-body-secondary")
    assert change(0.951, 0.9, "pct") == ("▲ 5.1 pts vs previous period", "text-success")
    assert change(4.0, 4.25, "score", to="year") == ("▼ 0.25 vs same period last year", "text-danger")
    assert change(12.0, 10.0, "days", better="down") == ("▲ 2.0 days vs previous period", "text-danger")
    assert change(110, 100, "money") == ("▲ 10.0% vs previous period", "text-success")
    assert change(110, 0, "money")[1] == "text-body-secondary"


def test_page_callbacks_answer_on_the_fixture(app):
    assert delivery.kpis(VIEW)[:5] == ["50.0%", "50.0%", "12.1 days", "15.0 days", "2.5 days"]
    assert [r["state"] for r in geography.states_table(VIEW)] == ["São Paulo (SP)"]
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


def test_exports_are_written_for_people(app):
    from decimal import Decimal
    rows = [{"product_id": "b1", "category": "health_beauty", "revenue": Decimal("1234.5678901234567890123456789"),
             "on_time_rate": Decimal("0.94567"), "state": "SP", "items": 1234, "review_score": None}]
    sent = _export.send(rows, "top-products", excel=False)
    assert sent["content"] == ("Product,Product id,Category,Revenue (R$),On-time rate (%),State,Items,"
                               "Average review score\n"
                               "Health Beauty · b1,b1,Health Beauty,1234.57,94.6,São Paulo (SP),1234,\n")
    assert _export._file_name("top-products", [("Dates", "2018-01-01 to 2018-03-31"), ("state", "SP,RJ"),
                                               ("category", "bed/bath")]) == \
        "top-products_2018-01-01_to_2018-03-31_state-SP-RJ_category-bed-bath"


def test_the_seller_box_offers_sellers_matching_what_was_typed(app):
    from callbacks import shell

    campinas = {"value": "e1000000-0000-0000-0000-000000000001", "label": "Campinas, SP · e1000000"}
    curitiba = {"value": "e1000000-0000-0000-0000-000000000002", "label": "Curitiba, PR · e1000000"}
    assert shell.seller_options("e1", None) == [campinas, curitiba]  # an id's start
    assert shell.seller_options("CURI", None) == [curitiba]  # a city's name, any case
    assert shell.seller_options("pr", None) == [curitiba]  # a state's code
    assert shell.seller_options("100%_", None) == []  # LIKE's wildcards are only characters
    assert shell.seller_options("x", [campinas["value"]]) == [campinas]  # the chosen stay offered
    assert shell.seller_options("x", ["not an id", "'; DROP TABLE x;--"]) == []


def test_customers_and_products_callbacks_on_the_fixture(app):
    # One person (two orders, 53 days apart) in the view; both orders together are worth R$ 218.88.
    assert customers.kpis(VIEW)[:6] == ["1", "1", "0", "100.0%", "53.0 days", "R$ 218.88"]
    assert customers.pick_segment({"points": [{"customdata": ["At risk", 0.1]}]}) == "At risk"
    assert customers.pick_segment({"points": [{"customdata": ["<script>", 0.1]}]}) is no_update
    rows, note = customers.members(VIEW, None)  # no click yet: the view's first segment
    assert [(r["orders"], r["revenue"], r["r"], r["m"]) for r in rows] == [(2, 218.88, 5, 1)]
    assert note == "Loyal: 1 customer. Click another segment in the chart to list it."
    assert customers.members(VIEW, "Champions") == ([], "Champions: no customers in this view. "
                                                        "Click another segment in the chart to list it.")
    heat = customers.cohorts(VIEW, "count", "light")
    assert list(heat.data[1].y) == ["Oct 2017 (1)"] and list(heat.data[1].text[0][:2]) == ["1", "1"]
    assert list(heat.data[0].x) == ["0"]  # month 0 (everyone, by definition) in a neutral colour of its own
    # Two products: R$ 141.46 of R$ 218.88 from the larger; three items priced 178.68 in all.
    assert products.kpis(VIEW)[:4] == ["2", "2", "64.6%", "R$ 59.56"]
    header, style = products.header("00000000-0000-0000-0000-000000000000")
    assert "No such product" in str(header) and style == {"display": "none"}
    assert products.product_kpis(VIEW, "b1000000-0000-0000-0000-000000000001")[:3] == ["R$ 77.42", "2", "1"]
