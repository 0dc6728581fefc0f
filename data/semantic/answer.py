"""The one entry point that answers a semantic query: plan it on the current rollups, compile, run.

Pages, exports, Explore and the API all ask here, so the user's data scope is applied in one
place: `answer` adds it to the filters before planning (the caller cannot remove it), and the
planner then picks a rollup that keeps the scope's dimensions or the star.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace

import sqlalchemy as sa

from data.scope import EVERYTHING, Scope
from data.semantic import state
from data.semantic.catalogue import CATALOGUE
from data.semantic.model import Query
from data.semantic.planner import Catalogue, Plan, UnknownName, plan
from data.semantic.sql import MAX_ROWS, Statement, compile_query


class TooManyRows(UnknownName):
    """The answer would have more rows than one response may carry."""


@dataclass(frozen=True)
class Answer:
    columns: tuple[str, ...]  # the `by` keys, then the metric keys
    rows: list[tuple]
    answered_from: str  # the table that answered (the coarsest of a split plan), or "star"
    explain: str
    ms: float


def answer(conn, q: Query, scope: Scope = EVERYTHING, c: Catalogue = CATALOGUE) -> Answer:
    """`q` answered inside `scope`, from the smallest current rollup that gives the star's answer.

    Raises UnknownName (a ValueError) for a name, value or shape the catalogue does not allow, and
    TooManyRows beyond MAX_ROWS rows without a limit that keeps under it. `conn` is a SQLAlchemy
    connection; a statement timeout set on it bounds the star's slowest answers."""
    began = time.perf_counter()
    q, p, st = _compiled(conn, q, scope, c, capped=True)
    rows = [tuple(r) for r in conn.execute(st.text(), st.params)]
    if len(rows) > MAX_ROWS:
        raise TooManyRows(f"the answer has more than {MAX_ROWS:,} rows: add a limit or filters")
    parts = ", ".join(f"{x.table} {x.start}..{x.end}" for x in p.parts)
    return Answer((*q.by, *q.metrics), rows, p.table, f"{parts} ({p.reason})",
                  round((time.perf_counter() - began) * 1000, 1))


def statement(conn, q: Query, scope: Scope = EVERYTHING, c: Catalogue = CATALOGUE) -> Statement:
    """The SQL `answer` would run for `q`, without the cap on rows: for an analysis that reads the
    whole answer inside another statement (the Pareto curve over every product)."""
    return _compiled(conn, q, scope, c, capped=False)[2]


def _compiled(conn, q: Query, scope: Scope, c: Catalogue, capped: bool) -> tuple[Query, Plan, Statement]:
    q = c.prepare(q)
    q = replace(q, filters=scope.restrict(q.filters))
    live = state.current(conn, c)
    p = plan(live, q)
    return q, p, compile_query(live, q, p, capped)


def domain(conn, c: Catalogue, key: str) -> tuple:
    """The values dimension `key` can take (its declared list, or what its SQL finds), () when unchecked."""
    d = c.dimensions[key].domain
    if d is None:
        return ()
    if isinstance(d, tuple):
        return d
    return tuple(v for (v,) in conn.execute(sa.text(d)))


def check_values(q: Query, domains: dict[str, tuple]) -> None:
    """Raise UnknownName naming the first filter value its dimension cannot take (`domains`: the
    checked dimensions' values, from `domain`)."""
    for key, values in q.filters.items():
        known = domains.get(key)
        if known:
            for v in values:
                if v not in known:
                    raise UnknownName(f"unknown value {v!r} for {key}")
