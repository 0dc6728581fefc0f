"""Which rollups and people table are current: each one's definition, hashed, against the hash it was built by.

A rollup's definition is its declaration with the SQL of every dimension and measure it keeps,
the definition of the rollup it is summed from, and the compiler that writes its refresh. A
changed declaration (or compiler) changes the hash: that rollup, and those summed from it, stop
being current; the planner stops reading them at once and `python -m etl rollups build` (the
loader, `python app.py`) rebuilds them alone. The table `etl.rollups` records what was built.
"""
from __future__ import annotations

import hashlib
import inspect
from dataclasses import replace

import sqlalchemy as sa

from data.semantic import base, sql
from data.semantic.model import Rollup
from data.semantic.planner import Catalogue

# What writes a rollup's rows: the star's compiler and the SQL it leans on (not the query-time code);
# the overlap tables and the people table also hash their own fill.
COMPILER = "".join([inspect.getsource(sql.measure_rows), inspect.getsource(sql._kept), sql.FIRST_ORDER,
                    inspect.getsource(sql.stored), str(sql.HUNDREDTHS),
                    repr(sql.WAREHOUSE), inspect.getsource(base)]).encode()
OVERLAP_FILL = (inspect.getsource(sql.overlap_fill) + inspect.getsource(sql._values)).encode()
PEOPLE_FILL = (inspect.getsource(sql.people_fill) + inspect.getsource(sql._values)).encode()


def definition(c: Catalogue, r: Rollup) -> str:
    """The hash that names what `r`'s rows mean."""
    h = hashlib.blake2b(digest_size=8)
    h.update(COMPILER)
    if r.overlap:
        h.update(OVERLAP_FILL + repr(c.dimensions[r.overlap]).encode())
    h.update(repr((r.name, r.grain, r.dimensions, r.measures, r.overlap)).encode())
    for d in r.dimensions:
        h.update(repr(c.dimensions[d]).encode())
    for m in r.measures:
        h.update(repr(c.measures[m]).encode())
    if r.source:
        h.update(definition(c, next(s for s in c.rollups if s.name == r.source)).encode())
    return h.hexdigest()


def people_definition(c: Catalogue) -> str:
    """The hash that names what the people table's rows mean."""
    h = hashlib.blake2b(digest_size=8)
    h.update(COMPILER + PEOPLE_FILL)
    h.update(repr(c.people).encode())
    for key in (*c.people.dimensions, *c.people.lists):
        h.update(repr(c.dimensions[key]).encode())
    return h.hexdigest()


def current(conn, c: Catalogue) -> Catalogue:
    """The catalogue with only the rollups built by their current definition, with their sizes."""
    found = recorded(conn)
    keep = tuple(replace(r, rows=found[r.name][1]) for r in c.rollups
                 if r.name in found and found[r.name][0] == definition(c, r))
    people = c.people if c.people and found.get(c.people.name, ("",))[0] == people_definition(c) else None
    return replace(c, rollups=keep, people=people)


def recorded(conn) -> dict[str, tuple]:
    """name -> (definition hash, rows, seconds, built at) of everything `etl.rollups` records."""
    rows = conn.execute(sa.text("SELECT name, definition, row_count, seconds, built_at FROM etl.rollups"))
    return {name: (d, n, secs, at) for name, d, n, secs, at in rows}


def status(c: Catalogue, found: dict[str, tuple]) -> list[dict]:
    """Each declared rollup and the people table: current, stale (built by another definition) or
    missing, with its size and build time (`found`: what `recorded` read)."""
    out = []

    def row(name, grain, dims, source, definition_now):
        got = found.get(name)
        verdict = "missing" if got is None else "current" if got[0] == definition_now else "stale"
        out.append({"name": name, "grain": grain, "dimensions": list(dims), "source": source, "state": verdict,
                    "rows": got[1] if got else None, "seconds": got[2] if got else None,
                    "built_at": got[3] if got else None})
    for r in c.rollups:
        row(r.name, r.grain, r.dimensions, r.source or "star", definition(c, r))
    if c.people:
        row(c.people.name, "order", ("date", *c.people.dimensions, *c.people.lists), "star", people_definition(c))
    return out
