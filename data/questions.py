"""Saved questions: Explore states kept with a name, an owner and who may open them (`app.questions`).

Who may do what is decided here, on the server, for every caller (pages, callbacks, the API), by
the rules of data/sharing.py. Names and descriptions are kept as typed; every page shows them as
text.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from data import audit, sharing as share
from data.exploration import OWN
from data.filters import BAR_KEYS
from data.sharing import NotFound, SharingError as QuestionError, can_create

MAX_QUERY_BYTES = 8_000
# What a saved question may keep: the filter bar's keys and Explore's own.
QUERY_KEYS = frozenset((*BAR_KEYS, *OWN))


@dataclass(frozen=True)
class Question:
    question_id: int
    owner_id: int
    owner: str
    name: str
    description: str
    query: dict
    sharing: str
    shared_roles: tuple[str, ...]
    created_at: datetime
    updated_at: datetime
    updated_by: str | None

    def shared_text(self) -> str:
        return share.shared_text(self.sharing, self.shared_roles)


def can_edit(user, q: Question) -> bool:
    return share.can_edit(user, q.owner_id)


_SELECT = f"""
SELECT q.question_id, q.owner_id, u.username AS owner, q.name, q.description, q.query, q.sharing,
       q.shared_roles, q.created_at, q.updated_at, q.updated_by
FROM app.questions q JOIN app.users u ON u.user_id = q.owner_id
WHERE {share.visible("q")}
"""
_who = share.who


def _question(row) -> Question:
    m = row._mapping
    return Question(m["question_id"], m["owner_id"], m["owner"], m["name"], m["description"], dict(m["query"]),
                    m["sharing"], tuple(m["shared_roles"]), m["created_at"], m["updated_at"], m["updated_by"])


def listed(engine, user, search: str = "") -> list[Question]:
    """The questions `user` may open, last changed first; `search` finds words of the name,
    description or owner."""
    words, params = share.matching("q", search)
    sql, params = _SELECT + words, {**_who(user), **params}
    with engine.connect() as conn:
        return [_question(r) for r in conn.execute(sa.text(sql + " ORDER BY q.updated_at DESC, q.question_id DESC"),
                                                   params)]


def get(engine, user, question_id) -> Question:
    """The question with this id, if `user` may open it; NotFound otherwise."""
    qid = share.an_id(question_id, "question")
    with engine.connect() as conn:
        row = conn.execute(sa.text(_SELECT + " AND q.question_id = :qid"), {**_who(user), "qid": qid}).first()
    if row is None:
        raise NotFound(f"there is no question {str(question_id)[:20]} that you may open")
    return _question(row)


def read(engine, question_id: int) -> Question | None:
    """A question read for a dashboard that shows it (the dashboard's rules decide who sees it);
    None once it was deleted."""
    with engine.connect() as conn:
        row = conn.execute(sa.text(_SELECT.replace(share.visible("q"), "true") + " AND q.question_id = :qid"),
                           {"qid": int(question_id)}).first()
    return None if row is None else _question(row)


def clean_query(query) -> dict[str, str]:
    """The URL query values a question keeps: known keys only, each a string; QuestionError for
    anything that is not a query (the values themselves are checked when the question opens, as a
    link's are)."""
    if not isinstance(query, dict):
        raise QuestionError("a question is a set of query values")
    kept = {str(k): (",".join(map(str, v)) if isinstance(v, (list, tuple)) else str(v))
            for k, v in query.items() if k in QUERY_KEYS and v not in (None, "", [])}
    if len(json.dumps(kept)) > MAX_QUERY_BYTES:
        raise QuestionError("the question is too long to save: remove some filter values")
    if not kept.get("metrics"):
        raise QuestionError("a question names at least one metric")
    return kept


def create(engine, user, name, description, query, sharing="private", roles=()) -> Question:
    """Save a new question owned by `user` (an analyst or admin)."""
    if not can_create(user):
        raise QuestionError("viewers cannot save questions; ask an admin for the analyst role")
    name, description, sharing, roles = share.details(name, description, sharing, roles)
    kept = clean_query(query)
    with engine.begin() as conn:
        qid = conn.execute(sa.text(
            "INSERT INTO app.questions (owner_id, name, description, query, sharing, shared_roles, updated_by) "
            "VALUES (:uid, :name, :description, CAST(:query AS jsonb), :sharing, :roles, :actor) "
            "RETURNING question_id"),
            {"uid": user.user_id, "name": name, "description": description, "query": json.dumps(kept),
             "sharing": sharing, "roles": roles, "actor": user.username}).scalar_one()
        audit.record(conn, "question_saved", actor=user.username, target=str(qid), detail={"name": name})
    return get(engine, user, qid)


def update(engine, user, question_id, *, name=None, description=None, query=None, sharing=None,
           roles=None) -> Question:
    """Change a question's details or its query (its owner, or an admin)."""
    q = get(engine, user, question_id)
    if not can_edit(user, q):
        raise QuestionError(f"only {q.owner} or an admin can change this question; duplicate it to keep your own")
    name, description, sharing, roles = share.details(
        q.name if name is None else name, q.description if description is None else description,
        q.sharing if sharing is None else sharing, q.shared_roles if roles is None else roles)
    kept = q.query if query is None else clean_query(query)
    with engine.begin() as conn:
        conn.execute(sa.text(
            "UPDATE app.questions SET name = :name, description = :description, query = CAST(:query AS jsonb), "
            "sharing = :sharing, shared_roles = :roles, updated_at = now(), updated_by = :actor "
            "WHERE question_id = :qid"),
            {"qid": q.question_id, "name": name, "description": description, "query": json.dumps(kept),
             "sharing": sharing, "roles": roles, "actor": user.username})
        audit.record(conn, "question_changed", actor=user.username, target=str(q.question_id), detail={"name": name})
    return get(engine, user, q.question_id)


def duplicate(engine, user, question_id) -> Question:
    """A private copy of a question the user may open, owned by them."""
    q = get(engine, user, question_id)
    return create(engine, user, f"Copy of {q.name}"[:share.MAX_NAME], q.description, q.query)


def delete(engine, user, question_id) -> None:
    q = get(engine, user, question_id)
    if not can_edit(user, q):
        raise QuestionError(f"only {q.owner} or an admin can delete this question")
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM app.questions WHERE question_id = :qid"), {"qid": q.question_id})
        audit.record(conn, "question_deleted", actor=user.username, target=str(q.question_id), detail={"name": q.name})
