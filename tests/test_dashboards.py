"""Dashboards: who may make, arrange and open them; crafted layouts and cards refused with nothing
changed; how the dashboard's filters meet a card's own; cards answered over HTTP inside the rules."""
import dataclasses
import json
from datetime import date

import pytest
import sqlalchemy as sa

from app import create_app
from data import dashboards, questions, users
from data.db import make_engine
from data.filters import Filters
from data.settings import load_settings
from etl.load import load
from tests.conftest import FIXTURES
from tests.test_auth import sign_in
from tests.test_callbacks import VIEW

PASSWORD = "long password 1"
QUERY = {"metrics": "revenue", "by": "date", "grain": "month"}


@pytest.fixture
def people(db_url):
    engine = make_engine(db_url)
    made = {name: users.create(engine, name, PASSWORD, role) for name, role in
            (("ada", "admin"), ("ana", "analyst"), ("alf", "analyst"), ("vic", "viewer"))}
    yield engine, made
    engine.dispose()


def cards_of(engine, dashboard_id) -> list:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT cards FROM app.dashboards WHERE dashboard_id = :d"),
                            {"d": dashboard_id}).scalar_one()


def test_an_analyst_builds_a_dashboard_of_questions_and_text_and_shares_it(people):
    engine, u = people
    mine = questions.create(engine, u["ana"], "Revenue", "", QUERY)  # private: the dashboard shows it
    theirs = questions.create(engine, u["alf"], "Orders", "", {"metrics": "orders", "by": "state"}, "everyone")
    d = dashboards.create(engine, u["ana"], "Rio board", "weekly", "roles", ["viewer"])
    d = dashboards.add_question(engine, u["ana"], d.dashboard_id, mine.question_id)
    d = dashboards.add_question(engine, u["ana"], d.dashboard_id, theirs.question_id)
    d = dashboards.add_text(engine, u["ana"], d.dashboard_id, "**Read me** <script>x</script>")
    places = [(c["id"], c["x"], c["y"], c["w"], c["h"]) for c in d.cards]
    assert places == [("c1", 0, 0, 6, 4), ("c2", 6, 0, 6, 4), ("c3", 0, 4, 12, 2)]  # two a row, text below
    assert [x.name for x in dashboards.listed(engine, u["vic"])] == ["Rio board"]
    assert dashboards.listed(engine, u["alf"]) == []  # not shared with analysts
    # The viewer reads a card through the dashboard, though the question itself is private.
    _d, card, q = dashboards.card_question(engine, u["vic"], d.dashboard_id, "c1")
    assert (card["question_id"], q.name) == (mine.question_id, "Revenue")
    with pytest.raises(questions.NotFound):
        questions.get(engine, u["vic"], mine.question_id)
    with pytest.raises(dashboards.NotFound):
        dashboards.card_question(engine, u["alf"], d.dashboard_id, "c1")
    moved = dashboards.arrange(engine, u["ana"], d.dashboard_id, [{"i": "c3", "x": 0, "y": 0, "w": 12, "h": 3}])
    assert moved.card("c3") == {**d.card("c3"), "y": 0, "h": 3}
    with pytest.raises(dashboards.DashboardError, match="viewers cannot make dashboards"):
        dashboards.duplicate(engine, u["vic"], d.dashboard_id)
    copy = dashboards.duplicate(engine, u["ada"], d.dashboard_id)
    assert (copy.owner, copy.name, copy.sharing, copy.cards) == ("ada", "Copy of Rio board", "private", moved.cards)


@pytest.mark.parametrize("layout, message", [
    ([{"i": "c9", "x": 0, "y": 0, "w": 6, "h": 4}], "this dashboard has no card 'c9'"),
    ([{"i": "c1", "x": 10, "y": 0, "w": 6, "h": 4}], "card 'c1' lies off the grid"),
    ([{"i": "c1", "x": 0, "y": 0, "w": 6, "h": 99}], "card 'c1' lies off the grid"),
    ([{"i": "c1", "x": "0", "y": 0, "w": 6, "h": 4}], "whole numbers x, y, w and h"),
    ([{"i": "c1", "x": True, "y": 0, "w": 6, "h": 4}], "whole numbers x, y, w and h"),
    ([{"i": f"c{k}", "x": 0, "y": k, "w": 1, "h": 1} for k in range(10_000)], "at most 40 places"),
    ({"i": "c1"}, "a list of at most 40 places"),
    (["c1"], "a layout is a list of places"),
])
def test_a_crafted_layout_is_refused_and_changes_nothing(people, layout, message):
    engine, u = people
    q = questions.create(engine, u["ana"], "Revenue", "", QUERY)
    d = dashboards.add_question(engine, u["ana"], dashboards.create(engine, u["ana"], "Board").dashboard_id,
                                q.question_id)
    before = cards_of(engine, d.dashboard_id)
    with pytest.raises(dashboards.DashboardError, match=message):
        dashboards.arrange(engine, u["ana"], d.dashboard_id, layout)
    assert cards_of(engine, d.dashboard_id) == before


def test_crafted_cards_and_strangers_are_refused(people):
    engine, u = people
    private = questions.create(engine, u["alf"], "Alf's", "", QUERY)
    d = dashboards.create(engine, u["ana"], "Board", sharing="everyone")
    with pytest.raises(questions.NotFound):  # another user's private question
        dashboards.add_question(engine, u["ana"], d.dashboard_id, private.question_id)
    with pytest.raises(questions.NotFound):
        dashboards.add_question(engine, u["ana"], d.dashboard_id, "1 OR 1=1")
    for stranger in ("alf", "vic"):  # may open it, may not change it
        with pytest.raises(dashboards.DashboardError, match="only ana or an admin"):
            dashboards.add_text(engine, u[stranger], d.dashboard_id, "hello")
        with pytest.raises(dashboards.DashboardError, match="only ana or an admin"):
            dashboards.arrange(engine, u[stranger], d.dashboard_id, [])
        with pytest.raises(dashboards.DashboardError, match="only ana or an admin"):
            dashboards.delete(engine, u[stranger], d.dashboard_id)
    with pytest.raises(dashboards.DashboardError, match="viewers cannot make dashboards"):
        dashboards.create(engine, u["vic"], "Mine")
    with pytest.raises(dashboards.DashboardError, match="there is no role 'owner'"):
        dashboards.update(engine, u["ana"], d.dashboard_id, sharing="roles", roles=["owner"])
    with pytest.raises(dashboards.DashboardError, match="refresh every"):
        dashboards.update(engine, u["ana"], d.dashboard_id, refresh=1)
    with pytest.raises(dashboards.DashboardError, match="at most 4,000 characters"):
        dashboards.add_text(engine, u["ana"], d.dashboard_id, "x" * 4001)
    with pytest.raises(dashboards.NotFound):
        dashboards.remove_card(engine, u["ana"], d.dashboard_id, "c1")
    with pytest.raises(dashboards.DashboardError, match="either intersect or override"):
        dashboards.set_mode(engine, u["ana"], d.dashboard_id, "c1", "union")
    for k in range(dashboards.MAX_CARDS):
        dashboards.add_text(engine, u["ana"], d.dashboard_id, f"card {k}")
    with pytest.raises(dashboards.DashboardError, match="at most 40 cards"):
        dashboards.add_text(engine, u["ana"], d.dashboard_id, "one too many")
    assert len(cards_of(engine, d.dashboard_id)) == dashboards.MAX_CARDS
    admin_removed = dashboards.remove_card(engine, u["ada"], d.dashboard_id, "c1")  # admins manage everyone's
    assert len(admin_removed.cards) == dashboards.MAX_CARDS - 1 and admin_removed.updated_by == "ada"


def test_the_dashboards_filters_meet_a_cards_own_as_the_card_says():
    bounds = {"first": date(2017, 1, 1), "last": date(2018, 8, 31), "values": {"category": ["toys", "audio"]},
              "complete": date(2018, 8, 31)}
    bar = Filters(date(2018, 1, 1), date(2018, 6, 30), states=("SP", "RJ"))
    saved = {"start": "2018-03-01", "end": "2018-12-31", "state": "RJ,MG", "category": "toys", "metrics": "revenue"}
    both = dashboards.card_filters(saved, bar, "intersect", bounds)
    assert (both.start, both.end, both.states, both.categories) == (date(2018, 3, 1), date(2018, 6, 30), ("RJ",),
                                                                    ("toys",))
    assert dashboards.card_filters(saved, bar, "override", bounds) == bar
    assert dashboards.card_filters({"metrics": "revenue"}, bar, "intersect", bounds) == bar  # nothing of its own
    assert dashboards.card_filters({**saved, "state": "MG"}, bar, "intersect", bounds) is None  # no state in both
    no_overlap = {**saved, "start": "2017-01-01", "end": "2017-06-30"}
    assert dashboards.card_filters(no_overlap, bar, "intersect", bounds) is None  # no day in both


def test_the_migration_adds_the_table_and_takes_it_away(db_url):
    from alembic import command
    from data import migrate
    engine = make_engine(db_url)
    try:
        command.downgrade(migrate.alembic_config(engine), "0018")
        assert not sa.inspect(engine).has_table("dashboards", schema="app")
        assert sa.inspect(engine).has_table("questions", schema="app")
        command.upgrade(migrate.alembic_config(engine), "head")
        assert sa.inspect(engine).has_table("dashboards", schema="app")
    finally:
        engine.dispose()


def test_cards_answer_over_http_inside_the_dashboards_rules(people, tmp_path, db_url):
    """Each card is its own request (the browser sends them all at once); a crafted card id, or a
    dashboard the user may not open, gets a message in the card and no answer."""
    engine, u = people
    load(db_url, FIXTURES / "tiny")
    q = questions.create(engine, u["ana"], "Revenue", "", QUERY)
    shared = dashboards.create(engine, u["ana"], "Shared", sharing="everyone")
    dashboards.add_question(engine, u["ana"], shared.dashboard_id, q.question_id)
    private = dashboards.create(engine, u["ana"], "Private")
    dashboards.add_question(engine, u["ana"], private.dashboard_id, q.question_id)
    settings = dataclasses.replace(load_settings({"INSTANCE_DIR": str(tmp_path)}), database_url=db_url)
    server = create_app(db_url, settings).server
    client = server.test_client()
    assert sign_in(client, "vic", PASSWORD).status_code == 302
    deps = client.get("/_dash-dependencies").get_json()
    dep = next(x for x in deps if x["inputs"][0]["id"] == '{"card":["MATCH"],"type":"card-ref"}')

    def card(dashboard_id, card_id):
        ref = {"card": card_id, "type": "card-ref"}
        body = {"output": dep["output"],  # the pattern, as the browser sends it
                "outputs": [{"id": {"card": card_id, "type": t}, "property": p} for t, p in
                            (("card-graph", "figure"), ("card-graph", "style"), ("card-number", "children"),
                             ("card-note", "children"))],
                "inputs": [{"id": ref, "property": "data", "value": {"dashboard": dashboard_id, "card": card_id}},
                           {"id": "filters", "property": "data", "value": VIEW},
                           {"id": "theme", "property": "data", "value": "light"},
                           {"id": "dashboard-refresh", "property": "n_intervals", "value": None}],
                "changedPropIds": [f"{json.dumps(ref, separators=(',', ':'))}.data"]}
        response = client.post("/_dash-update-component", json=body)
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        return json.dumps(response.get_json()["response"])

    answered = card(shared.dashboard_id, "c1")
    assert "77.42" in answered and "141.46" in answered  # the fixture's two months, as on the Overview
    assert "no dashboard" in card(private.dashboard_id, "c1") and "77.42" not in card(private.dashboard_id, "c1")
    assert "has no card" in card(shared.dashboard_id, "c7")
    found = server.extensions.get("warehouse_engine")
    if found is not None:
        found.dispose()


def test_the_built_in_overview_becomes_a_users_own_dashboard(people):
    engine, u = people
    with pytest.raises(dashboards.DashboardError, match="viewers cannot make dashboards"):
        dashboards.from_template(engine, u["vic"], "overview")
    with pytest.raises(dashboards.NotFound):
        dashboards.from_template(engine, u["ana"], "everything")
    assert cards_of_all(engine) == [] and questions.listed(engine, u["ada"]) == []  # nothing half made
    d = dashboards.from_template(engine, u["ana"], "overview")
    assert (d.name, d.owner, d.sharing, len(d.cards)) == ("My Overview", "ana", "private", 6)
    made = {q.question_id: q for q in questions.listed(engine, u["ana"])}
    assert [made[c["question_id"]].name for c in d.cards][:3] == [
        "Revenue, orders and AOV", "Customers, review score and on-time rate", "Revenue and orders over time"]
    assert all(dashboards.can_edit(u["ana"], d) and questions.can_edit(u["ana"], q) for q in made.values())


def cards_of_all(engine) -> list:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT cards FROM app.dashboards")).scalars().all()


def test_a_saved_question_goes_onto_a_dashboard_from_its_page_over_http(people, tmp_path, db_url):
    from tests.test_questions import _call
    engine, u = people
    q = questions.create(engine, u["ana"], "Revenue", "", QUERY, "everyone")
    mine = dashboards.create(engine, u["ana"], "Mine")
    theirs = dashboards.create(engine, u["alf"], "Alf's", sharing="everyone")
    settings = dataclasses.replace(load_settings({"INSTANCE_DIR": str(tmp_path)}), database_url=db_url)
    server = create_app(db_url, settings).server
    client = server.test_client()
    assert sign_in(client, "ana", PASSWORD).status_code == 302

    def add(dashboard_id):
        return json.dumps(_call(client, [("question-add-to-board", "n_clicks", 1)],
                                [("question-board-choice", "value", dashboard_id), ("question-id", "data", q.question_id)],
                                "question-add-to-board.n_clicks"))
    assert "Added to" in add(mine.dashboard_id) and f"/dashboards/{mine.dashboard_id}" in add(mine.dashboard_id)
    assert [c["question_id"] for c in cards_of(engine, mine.dashboard_id)] == [q.question_id] * 2
    assert "Not added: only alf or an admin" in add(theirs.dashboard_id) and cards_of(engine, theirs.dashboard_id) == []
    assert "Choose a dashboard first" in add(None)
    found = server.extensions.get("warehouse_engine")
    if found is not None:
        found.dispose()
