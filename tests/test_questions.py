"""Saved questions: who may save, open, change and delete them; crafted requests refused with
nothing changed; the migration; and the dialog's callbacks over HTTP."""
import dataclasses
import json

import pytest
import sqlalchemy as sa
from alembic import command

from app import create_app
from data import migrate, questions, users
from data.db import make_engine
from data.settings import load_settings
from tests.test_auth import find_component, sign_in

PASSWORD = "long password 1"
QUERY = {"state": "RJ", "metrics": "revenue,aov", "by": "date,payment_type", "grain": "month", "vs": "year"}


@pytest.fixture
def people(db_url):
    engine = make_engine(db_url)
    made = {name: users.create(engine, name, PASSWORD, role) for name, role in
            (("ada", "admin"), ("ana", "analyst"), ("alf", "analyst"), ("vic", "viewer"))}
    yield engine, made
    engine.dispose()


def count(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM app.questions")).scalar_one()


def test_analysts_save_and_share_and_each_role_sees_what_is_shared_with_it(people):
    engine, u = people
    private = questions.create(engine, u["ana"], "Mine", "", QUERY)
    everyone = questions.create(engine, u["ana"], "For all", "", QUERY, "everyone")
    viewers = questions.create(engine, u["ana"], "For viewers", "", QUERY, "roles", ["viewer"])
    seen = {name: [q.name for q in questions.listed(engine, user)] for name, user in u.items()}
    assert seen["ana"] == ["For viewers", "For all", "Mine"]  # last changed first
    assert seen["ada"] == ["For viewers", "For all", "Mine"]  # admins manage everyone's
    assert seen["alf"] == ["For all"] and seen["vic"] == ["For viewers", "For all"]
    assert questions.get(engine, u["vic"], viewers.question_id).query == QUERY
    for stranger in ("alf", "vic"):  # another user's private question is not found, as one that does not exist
        with pytest.raises(questions.NotFound):
            questions.get(engine, u[stranger], private.question_id)
    assert [q.name for q in questions.listed(engine, u["ada"], "viewers")] == ["For viewers"]
    assert questions.listed(engine, u["ada"], "100%_") == []  # LIKE's wildcards are searched as typed
    assert everyone.shared_text() == "everyone" and viewers.shared_text() == "roles: viewer"


def test_owners_and_admins_change_and_delete_others_cannot(people):
    engine, u = people
    q = questions.create(engine, u["ana"], "Revenue", "first", QUERY, "everyone")
    renamed = questions.update(engine, u["ana"], q.question_id, name="Revenue by payment", description="second")
    assert (renamed.name, renamed.description, renamed.updated_by) == ("Revenue by payment", "second", "ana")
    for other in ("alf", "vic"):
        with pytest.raises(questions.QuestionError, match="only ana or an admin"):
            questions.update(engine, u[other], q.question_id, name="Hijacked")
        with pytest.raises(questions.QuestionError, match="only ana or an admin"):
            questions.delete(engine, u[other], q.question_id)
    assert questions.get(engine, u["ana"], q.question_id).name == "Revenue by payment"  # nothing changed
    copy = questions.duplicate(engine, u["alf"], q.question_id)  # anyone who may open it copies it for themselves
    assert (copy.owner, copy.name, copy.sharing, copy.query) == ("alf", "Copy of Revenue by payment", "private", QUERY)
    admin_changed = questions.update(engine, u["ada"], q.question_id, query={**QUERY, "vs": "previous"})
    assert admin_changed.query["vs"] == "previous" and admin_changed.updated_by == "ada"
    questions.delete(engine, u["ada"], q.question_id)
    with pytest.raises(questions.NotFound):
        questions.get(engine, u["ana"], q.question_id)


@pytest.mark.parametrize("change, message", [
    ({"name": "  "}, "give it a name"),
    ({"name": "x" * 201}, "the name is longer than 200 characters"),
    ({"description": "x" * 2001}, "the description is longer than 2,000 characters"),
    ({"sharing": "world"}, "share with one of private, everyone, roles"),
    ({"sharing": "roles", "roles": ["superuser"]}, "there is no role 'superuser'"),
    ({"sharing": "roles", "roles": []}, "choose the roles to share with"),
    ({"query": ["metrics", "revenue"]}, "a question is a set of query values"),
    ({"query": {"by": "state"}}, "a question names at least one metric"),
    ({"query": {"metrics": "revenue", "category": ",".join(["x" * 40] * 300)}}, "too long to save"),
])
def test_crafted_details_are_refused_and_nothing_is_written(people, change, message):
    engine, u = people
    args = {"name": "A question", "description": "", "query": QUERY, "sharing": "private", "roles": [], **change}
    with pytest.raises(questions.QuestionError, match=message):
        questions.create(engine, u["ana"], args["name"], args["description"], args["query"], args["sharing"],
                         args["roles"])
    assert count(engine) == 0


def test_viewers_save_nothing_and_unknown_keys_are_not_kept(people):
    engine, u = people
    with pytest.raises(questions.QuestionError, match="viewers cannot save"):
        questions.create(engine, u["vic"], "Mine", "", QUERY)
    assert count(engine) == 0
    q = questions.create(engine, u["ana"], "<script>alert(1)</script>", "<b>bold</b>",
                         {**QUERY, "evil": "1", "limit": 10})
    assert q.name == "<script>alert(1)</script>" and q.description == "<b>bold</b>"  # kept as typed
    assert "evil" not in q.query and q.query["limit"] == "10"
    for crafted in ("0", "-1", "abc", "1; DROP TABLE app.questions", "99999999999"):
        with pytest.raises(questions.NotFound):
            questions.get(engine, u["ana"], crafted)


def test_the_migration_adds_the_table_and_takes_it_away(db_url):
    engine = make_engine(db_url)
    try:
        config = migrate.alembic_config(engine)
        command.downgrade(config, "0017")
        assert not sa.inspect(engine).has_table("questions", schema="app")
        command.upgrade(config, "head")
        assert sa.inspect(engine).has_table("questions", schema="app")
        assert migrate.current_revision(engine) == migrate.head_revision()
    finally:
        engine.dispose()


def _call(client, inputs, state, changed):
    """Call the callback whose first input is `inputs[0]` as the browser would (its registered output
    names, with allow_duplicate's suffixes, from the app's dependency list)."""
    deps = client.get("/_dash-dependencies").get_json()
    output = next(d["output"] for d in deps if d["inputs"] and d["inputs"][0]["id"] == inputs[0][0]
                  and d["inputs"][0]["property"] == inputs[0][1])
    outputs = [dict(zip(("id", "property"), o.rsplit(".", 1))) for o in output.strip(".").split("...")]
    body = {"output": output, "outputs": outputs if output.startswith("..") else outputs[0],
            "inputs": [{"id": i, "property": p, "value": v} for i, p, v in inputs],
            "state": [{"id": i, "property": p, "value": v} for i, p, v in state], "changedPropIds": [changed]}
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code in (200, 204), response.get_data(as_text=True)[:300]
    return response.get_json()["response"] if response.status_code == 200 else {}


def submit(client, name, mode="new", question_id=None, sharing="private", roles=()):
    found = _call(client, [("question-submit", "n_clicks", 1)],
                 [("question-mode", "data", mode), ("question-id", "data", question_id), ("question-name", "value", name),
                  ("question-description", "value", ""), ("question-sharing", "value", sharing),
                  ("question-roles", "value", list(roles)), ("url", "search", "?state=RJ&start=2018-01-01"),
                  ("explore-shown", "data", {"page": "/explore", "question": {"metrics": "revenue", "by": "date"}})],
                 "question-submit.n_clicks")
    return {k.split("@")[0]: v for k, v in found.items()}


def test_the_dialog_saves_over_http_and_refuses_a_viewer_and_a_strangers_question(people, tmp_path, db_url):
    engine, u = people
    settings = dataclasses.replace(load_settings({"INSTANCE_DIR": str(tmp_path)}), database_url=db_url)
    server = create_app(db_url, settings).server
    clients = {}
    for name in ("ana", "alf", "vic"):
        clients[name] = server.test_client()
        assert sign_in(clients[name], name, PASSWORD).status_code == 302
    saved = submit(clients["ana"], "RJ revenue", sharing="roles", roles=["viewer"])
    qid = int(saved["url"]["href"].rsplit("/", 1)[1])
    q = questions.get(engine, u["ana"], qid)
    assert q.query == {"state": "RJ", "start": "2018-01-01", "metrics": "revenue", "by": "date"}
    assert q.shared_roles == ("viewer",)
    refused = submit(clients["vic"], "Mine")
    assert refused["question-error"]["children"].startswith("Not saved: viewers cannot save questions")
    # A crafted request to change someone else's question, and one naming a question it may not open.
    hijack = submit(clients["alf"], "Hijacked", mode="details", question_id=qid)
    assert "Not saved: there is no question" in hijack["question-error"]["children"]
    assert questions.get(engine, u["ana"], qid).name == "RJ revenue" and count(engine) == 1
    # The viewer opens it (shared with viewers): the page names it, its tools are off for them.
    page = clients["vic"].post("/_dash-update-component", json={
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
        "inputs": [{"id": "_pages_location", "property": "pathname", "value": f"/questions/{qid}"},
                   {"id": "_pages_location", "property": "search", "value": ""}],
        "state": [{"id": "explore-shown", "property": "data", "value": None}],
        "changedPropIds": ["_pages_location.pathname"]}).get_json()["response"]["_pages_content"]["children"]
    assert find_component(page, "question-title")["children"] == "RJ revenue"
    assert find_component(page, "question-delete")["disabled"] and find_component(page, "question-details")["disabled"]
    # Duplicate and Delete, over HTTP: anyone who may open it copies it; only its owner deletes it.
    copied = _call(clients["vic"], [("question-duplicate", "n_clicks", 1)], [("question-id", "data", qid)],
                   "question-duplicate.n_clicks")
    assert "Not duplicated: viewers cannot save questions" in json.dumps(copied)
    copied = _call(clients["alf"], [("question-duplicate", "n_clicks", 1)], [("question-id", "data", qid)],
                   "question-duplicate.n_clicks")
    assert "Not duplicated: there is no question" in json.dumps(copied)  # not shared with analysts
    refused = _call(clients["vic"], [("question-delete-confirm", "submit_n_clicks", 1)], [("question-id", "data", qid)],
                    "question-delete-confirm.submit_n_clicks")
    assert "Not deleted: only ana or an admin" in json.dumps(refused) and count(engine) == 1
    ana = server.test_client()
    assert sign_in(ana, "ana", PASSWORD).status_code == 302
    copy = _call(ana, [("question-duplicate", "n_clicks", 1)], [("question-id", "data", qid)],
                 "question-duplicate.n_clicks")
    assert "/questions/" in json.dumps(copy) and count(engine) == 2
    gone = _call(ana, [("question-delete-confirm", "submit_n_clicks", 1)], [("question-id", "data", qid)],
                 "question-delete-confirm.submit_n_clicks")
    assert '"/questions"' in json.dumps(gone) and count(engine) == 1
    found = server.extensions.get("warehouse_engine")
    if found is not None:
        found.dispose()
