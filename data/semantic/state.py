"""Which rollups and people table are current: each one's definition, hashed, against the hash it was built by.

A rollup's definition is the SQL that makes and fills it (`rollup_sql`: its table, indexes, the
fill of all history and of touched days, and the shared input it reads), with the definition of
the rollup it is summed from. Anything that changes its rows (a declaration, a dimension's or a
measure's expression, the compiler) changes that text, so the hash; a comment does not. A rollup
whose hash changed, and those summed from it, stop being current: the planner stops reading them
at once and `python -m etl rollups build` (the loader, `python app.py`) rebuilds them alone. The
table `etl.rollups` records what was built.
"""
from __future__ import annotations

import hashlib
from dataclasses import replace

import sqlalchemy as sa

from data.semantic import base, rollup_sql
from data.semantic.model import Rollup
from data.semantic.planner import Catalogue


def _hash(*texts: str) -> str:
    h = hashlib.blake2b(digest_size=8)
    for text in texts:
        h.update(text.encode() + b"\0")
    return h.hexdigest()


_KNOWN: dict[int, tuple[Catalogue, dict[str, str]]] = {}


def definitions(c: Catalogue) -> dict[str, str]:
    """Every rollup's and the people table's hash, by name. Writing the SQL takes milliseconds and
    the planner asks on every query, so each catalogue's are kept (catalogues are immutable)."""
    known = _KNOWN.get(id(c))
    if known is None or known[0] is not c:
        hashes = {r.name: _definition(c, r) for r in c.rollups}
        if c.people:
            hashes[c.people.name] = _people_definition(c)
        known = _KNOWN[id(c)] = (c, hashes)
    return known[1]


def _definition(c: Catalogue, r: Rollup) -> str:
    """The hash that names what `r`'s rows mean."""
    made = [rollup_sql.ddl(c, r), *rollup_sql.indexes(c, r), rollup_sql.fill(c, r)]
    if r.source:
        made += [rollup_sql.change_rows(c, r), rollup_sql.add_change(c, r, "change", "emptied"),
                 _definition(c, rollup_sql.source_of(c, r))]
    else:  # the shared input as this rollup alone needs it (another rollup's columns are not its)
        made += [rollup_sql.fill(c, r, touched=True), *rollup_sql.replace_touched(r, keep=True),
                 *base.tables(replace(c, rollups=(r,)), "true")]
    return _hash(*made)


def _people_definition(c: Catalogue) -> str:
    """The hash that names what the people table's rows mean."""
    return _hash(rollup_sql.people_ddl(c), rollup_sql.people_fill(c, touched=False),
                 rollup_sql.people_fill(c, touched=True))


def current(conn, c: Catalogue) -> Catalogue:
    """The catalogue with only the rollups built by their current definition, with their sizes."""
    found = recorded(conn)
    hashes = definitions(c)
    keep = tuple(replace(r, rows=found[r.name][1]) for r in c.rollups
                 if r.name in found and found[r.name][0] == hashes[r.name])
    people = c.people if c.people and found.get(c.people.name, ("",))[0] == hashes[c.people.name] else None
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
    hashes = definitions(c)
    for r in c.rollups:
        row(r.name, r.grain, r.dimensions, r.source or "star", hashes[r.name])
    if c.people:
        row(c.people.name, "order", ("date", *c.people.dimensions, *c.people.lists), "star", hashes[c.people.name])
    return out
