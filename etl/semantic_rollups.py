"""Build and refresh the catalogue's rollups (`data/semantic/catalogue.ROLLUPS`) from their declarations.

Each rollup's table, `warehouse.rollup_<name>`, and the SQL filling it are generated
(`data/semantic/rollup_sql.py`): a `period` (the first day of its date grain), a column per
dimension and one per measure. Its rows are the star schema's answer to "these measures by these
dimensions, per period, every status" (`data.semantic.sql`), computed from the shared input every
rollup of a load reads (`data/semantic/base.py`), or a finer rollup's rows summed to its grain
when it declares a `source` (which must give them exactly, and be filled from the star). A load
that changed a few orders refreshes every rollup by those orders (`remember` before its writes,
`refresh_by_orders` after): it adds to each rollup's groups the difference those orders' rows
make; any other load rebuilds the periods holding the days it touched (`touched_dates`). Either
way a summed rollup adds the change of its source's rows (new minus replaced), group by group;
a rollup whose definition changed (or that is new) is built in full, alone with those summed from
it; a rollup no longer declared is dropped.
`etl.rollups` records each one's definition hash and size: the planner reads only current ones.
"""
from __future__ import annotations

import time

from data.semantic import base, rollup_sql, state
from data.semantic.model import Rollup
from data.semantic.planner import Catalogue, source_refusal
from data.semantic.rollup_sql import ddl, fill, indexes, people_ddl, people_fill, touched_days
from etl.rollups import REBUILD_LOCK

def ordered(c: Catalogue) -> list[Rollup]:
    """The rollups, each after the one it is summed from; ValueError when a declared source could
    not give a rollup its exact rows (the planner's rules)."""
    by_name = {r.name: r for r in c.rollups}
    for r in c.rollups:
        if r.source:
            why = source_refusal(c, r, by_name[r.source]) if r.source in by_name else "no such rollup"
            if not why and by_name[r.source].source:
                why = "it is summed itself (a load changes a summed rollup by its source's replaced rows)"
            if why:
                raise ValueError(f"rollup {r.name} cannot be summed from {r.source}: {why}")
        if r.source is None and not r.overlap and not rollup_sql.counted(c, r):
            raise ValueError(f"rollup {r.name} keeps no count of its rows (orders, items, payment rows or "
                             "reviews): a load could not tell when one of its groups is left empty")
    out, names = [], set()
    pending = list(c.rollups)
    while pending:
        ready = [r for r in pending if r.source is None or r.source in names]
        if not ready:
            raise ValueError(f"rollup sources form a cycle or name no rollup: {[r.name for r in pending]}")
        for r in ready:
            out.append(r)
            names.add(r.name)
            pending.remove(r)
    return out


def build_people(cur, c: Catalogue) -> tuple[int, float]:
    """Drop and build the people table from all history; return its rows and seconds."""
    began = time.monotonic()
    p = c.people
    cur.execute(f"DROP TABLE IF EXISTS {p.table}")
    cur.execute(people_ddl(c))
    cur.execute(people_fill(c, touched=False))
    rows = cur.rowcount
    cur.execute(f"ANALYZE {p.table}")
    seconds = time.monotonic() - began
    _record_as(cur, p.name, state.definitions(c)[c.people.name], rows, seconds)
    return rows, seconds


def _people(cur, c: Catalogue, built: dict, touched: bool, everything: bool = False) -> str | None:
    """Bring the people table up to date: in full when it is not current (or `everything`), else the
    touched days (their orders' rows, and those whose person's first order moved: the loader marks
    their days touched). Returns what it did, or None when nothing was needed."""
    if c.people is None:
        return None
    found = built.get(c.people.name)
    if everything or found is None or found[0] != state.definitions(c)[c.people.name] or (touched and not found[1]):
        rows, seconds = build_people(cur, c)
        return f"built, {rows:,} rows ({seconds:.1f}s)"
    if not touched:
        return None
    cur.execute(f"DELETE FROM {c.people.table} WHERE period IN (SELECT purchase_date FROM touched_dates)")
    deleted = cur.rowcount
    cur.execute(people_fill(c, touched=True))
    rows = found[1] - deleted + cur.rowcount
    cur.execute("UPDATE etl.rollups SET row_count = %s WHERE name = %s", (rows, c.people.name))
    return f"{rows:,} rows"


def _built(cur) -> dict[str, tuple[str, int]]:
    return {name: (d, n) for name, d, n in cur.execute("SELECT name, definition, row_count FROM etl.rollups")}


def _record(cur, c: Catalogue, r: Rollup, rows: int, seconds: float) -> None:
    _record_as(cur, r.name, state.definitions(c)[r.name], rows, seconds)


def _record_as(cur, name: str, definition: str, rows: int, seconds: float) -> None:
    cur.execute("INSERT INTO etl.rollups (name, definition, row_count, seconds) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (name) DO UPDATE SET definition = EXCLUDED.definition, row_count = EXCLUDED.row_count, "
                "seconds = EXCLUDED.seconds, built_at = now()", (name, definition, rows, seconds))


def build_one(cur, c: Catalogue, r: Rollup) -> tuple[int, float]:
    """Drop and build `r` from all history; return its rows and seconds."""
    began = time.monotonic()
    cur.execute(f"DROP TABLE IF EXISTS {r.table}")
    cur.execute(ddl(c, r))
    cur.execute(fill(c, r, touched=False))
    rows = cur.rowcount
    for statement in indexes(c, r):
        cur.execute(statement)
    cur.execute(f"ANALYZE {r.table}")
    seconds = time.monotonic() - began
    _record(cur, c, r, rows, seconds)
    return rows, seconds


def drop_undeclared(cur, c: Catalogue) -> list[str]:
    """Drop the rollup tables no declaration names any more (nobody's questions can use them)."""
    names = [r.name for r in c.rollups] + ([c.people.name] if c.people else [])
    declared = {f"rollup_{n}" for n in names}
    found = [t for (t,) in cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'warehouse' "
                                        "AND tablename LIKE 'rollup\\_%'")]
    gone = [t for t in found if t not in declared]
    for t in gone:
        cur.execute(f'DROP TABLE warehouse."{t}"')
    cur.execute("DELETE FROM etl.rollups WHERE NOT (name = ANY(%s))", (names,))
    return gone


def base_tables(cur, c: Catalogue, todo: dict[str, bool]) -> float:
    """Make the shared input for filling the rollups `todo` names (to whether only their touched
    periods are filled): all history when one reading it is built in full, else the touched days.
    Returns its seconds (0: no rollup to fill reads it)."""
    from_star = {r.name: r for r in c.rollups if r.source is None}
    wanted = {name: touched for name, touched in todo.items() if name in from_star}
    if not wanted:
        return 0.0
    began = time.monotonic()
    if all(wanted.values()):
        grains = sorted({from_star[name].grain for name in wanted})
        days = " OR ".join(f"o.purchase_date IN {touched_days(g)}" for g in grains)
    else:
        days = "true"
    for statement in base.tables(c, days):
        cur.execute(statement)
    return time.monotonic() - began


def _replace_touched(cur, c: Catalogue, r: Rollup, keep: bool) -> int:
    """Delete and fill again the touched periods of `r` (filled from the star), keeping the rows it
    replaced when a rollup summed from it needs them (`keep`); return the change in its rows."""
    for statement in rollup_sql.replace_touched(r, keep):
        cur.execute(statement)
    deleted = cur.rowcount
    cur.execute(rollup_sql.fill(c, r, touched=True))
    return cur.rowcount - deleted


def _add_change(cur, c: Catalogue, r: Rollup, by_orders: bool = False) -> int:
    """Add to summed rollup `r` the change its source's touched periods made (new rows minus the
    rows they replaced), group by group, and delete the groups left without source rows. A day's
    delta moves a few of a month's groups; summing the month again (and comparing all its rows)
    made a delta's cost grow with the history. Return the change in `r`'s rows."""
    cur.execute(f"CREATE TEMP TABLE change_rows ON COMMIT DROP AS {rollup_sql.change_rows(c, r, by_orders)}")
    cur.execute("CREATE TEMP TABLE emptied_rows (row_id tid) ON COMMIT DROP")
    inserted = cur.execute(rollup_sql.add_change(c, r, "change_rows", "emptied_rows")).fetchone()[0]
    cur.execute(f"DELETE FROM {r.table} WHERE ctid = ANY (ARRAY(SELECT row_id FROM emptied_rows))")
    deleted = cur.rowcount
    cur.execute("DROP TABLE change_rows, emptied_rows")
    return inserted - deleted


def _fill(cur, c: Catalogue, todo: dict[str, bool], built: dict, step=None) -> None:
    """Fill the rollups `todo` names, in order: in full (False) or their touched periods (True)."""
    seconds = base_tables(cur, c, todo)
    if seconds and step is not None:
        step(f"rollups' shared input ({seconds:.1f}s)")
    for r in ordered(c):
        if r.name not in todo:
            continue
        began = time.monotonic()
        if not todo[r.name]:
            rows, _ = build_one(cur, c, r)
            what = f"built, {rows:,} rows"
        else:
            keep = any(x.source == r.name and todo.get(x.name) is True for x in c.rollups)
            rows = built[r.name][1] + (_add_change(cur, c, r) if r.source else _replace_touched(cur, c, r, keep))
            cur.execute("UPDATE etl.rollups SET row_count = %s WHERE name = %s", (rows, r.name))
            what = f"{rows:,} rows"
        if step is not None:
            step(f"rollup {r.name}: {what} ({time.monotonic() - began:.1f}s)")


def refresh(cur, c: Catalogue, step=None) -> None:
    """After a load (`touched_dates` holds the days it touched): the touched periods of every current
    rollup, and a full build of any that is not current (new, changed, or summed from one rebuilt)."""
    drop_undeclared(cur, c)
    built = _built(cur)
    touched = cur.execute("SELECT EXISTS (SELECT 1 FROM touched_dates)").fetchone()[0]
    todo: dict[str, bool] = {}
    for r in ordered(c):
        found = built.get(r.name)
        if (found is None or found[0] != state.definitions(c)[r.name] or todo.get(r.source) is False
                or (touched and not found[1])):
            todo[r.name] = False  # new, changed, summed from one rebuilt, or empty (a first load): in full
        elif touched:
            todo[r.name] = True
    _fill(cur, c, todo, built, step)
    what = _people(cur, c, built, touched)
    if what and step is not None:
        step(f"rollup {c.people.name}: {what}")


def build(conn, c: Catalogue, names=(), everything: bool = False, wait: bool = True, step=None) -> list[str]:
    """Build the rollups that are not current (or `names`, or every one), and those summed from them,
    in one transaction under the loader's lock; return the names built. `conn`: a psycopg connection
    outside a transaction. wait=False gives up (returns []) while a load holds the lock."""
    with conn.transaction(), conn.cursor() as cur:
        if wait:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (REBUILD_LOCK,))
        elif not cur.execute("SELECT pg_try_advisory_xact_lock(%s)", (REBUILD_LOCK,)).fetchone()[0]:
            return []
        cur.execute("SET LOCAL work_mem = '256MB'")
        drop_undeclared(cur, c)
        built = _built(cur)
        unknown = set(names) - {r.name for r in c.rollups} - ({c.people.name} if c.people else set())
        if unknown:
            raise ValueError(f"no rollup is declared by the name {', '.join(sorted(unknown))}")
        todo: dict[str, bool] = {}
        for r in ordered(c):
            found = built.get(r.name)
            stale = found is None or found[0] != state.definitions(c)[r.name]
            if everything or r.name in names or (not names and stale) or r.source in todo:
                todo[r.name] = False
        _fill(cur, c, todo, built, step)
        done = list(todo)
        if c.people and (not names or c.people.name in names):
            what = _people(cur, c, built, False, everything or c.people.name in names)
            if what:
                done.append(c.people.name)
                if step is not None:
                    step(f"rollup {c.people.name}: {what}")
        return done


# The shared input of the orders a load is about to change, as they were before its writes.
BEFORE = "_before"
AFFECTED = "o.order_id IN (SELECT order_id FROM affected_orders)"


def _before(r: Rollup) -> str:
    return f"before_{r.name}"


def _all_current(cur, c: Catalogue) -> bool:
    """Whether every rollup and the people table were built by their current definitions (a delta
    refreshes them by order only then: anything else needs a build)."""
    built, hashes = _built(cur), state.definitions(c)
    names = [r.name for r in c.rollups] + ([c.people.name] if c.people else [])
    return all(built.get(n) is not None and built[n][0] == hashes[n] for n in names)


def remember(cur, c: Catalogue, step=None) -> bool:
    """Before a load writes (`affected_orders` listing the orders it may change): keep the rows each
    rollup filled from the star holds for those orders alone. Returns False, having kept nothing,
    when a rollup is not current: the load then refreshes by day, which builds it."""
    drop_undeclared(cur, c)
    if not _all_current(cur, c):
        return False
    began = time.monotonic()
    for statement in base.tables(c, AFFECTED, BEFORE):
        cur.execute(statement)
    for r in c.rollups:
        if r.source is None:
            for statement in rollup_sql.contributions(c, r, _before(r), BEFORE):
                cur.execute(statement)
    if step is not None:
        step(f"rollups' rows of the orders before ({time.monotonic() - began:.1f}s)")
    return True


def refresh_by_orders(cur, c: Catalogue, step=None) -> None:
    """After a load's writes, when `remember` kept the rows its orders had: add to every rollup the
    difference those orders' rows make now, and list their people's orders again in the people
    table. A delta's cost follows its orders, not the days they fall on."""
    began = time.monotonic()
    for statement in base.tables(c, AFFECTED):
        cur.execute(statement)
    if step is not None:
        step(f"rollups' shared input of the orders ({time.monotonic() - began:.1f}s)")
    built = _built(cur)
    for r in ordered(c):
        began = time.monotonic()
        if r.source:
            change = _add_change(cur, c, r, by_orders=True)
        else:
            now = f"now_{r.name}"
            for statement in rollup_sql.contributions(c, r, now, ""):
                cur.execute(statement)
            if r.overlap:
                taken, put = rollup_sql.replace_rows(c, r, _before(r), now)
                cur.execute(taken)
                change = -cur.rowcount
                cur.execute(put)
                change += cur.rowcount
            else:
                cur.execute(rollup_sql.change_of(r, _before(r), now, f"change_{r.name}"))
                cur.execute(f"ANALYZE change_{r.name}")
                keep = any(x.source == r.name for x in c.rollups)
                made = rollup_sql.add_to_groups(c, r, f"change_{r.name}", keep)
                cur.execute(made[0])
                cur.execute(made[1])  # the groups' rows taken out
                change = -cur.rowcount
                for statement in made[2:]:
                    cur.execute(statement)
                change += cur.rowcount  # the last put them back
        if change:
            cur.execute("UPDATE etl.rollups SET row_count = %s WHERE name = %s", (built[r.name][1] + change, r.name))
        if step is not None:
            step(f"rollup {r.name}: {change:+,} rows ({time.monotonic() - began:.2f}s)")
    if c.people:
        p = c.people
        cur.execute(f"DELETE FROM {p.table} WHERE period = ANY (ARRAY(SELECT DISTINCT old_date FROM affected_orders)) "
                    "AND person IN (SELECT customer_unique_id FROM affected_people)")
        change = -cur.rowcount
        cur.execute(people_fill(c, orders=AFFECTED))
        change += cur.rowcount
        if change:
            cur.execute("UPDATE etl.rollups SET row_count = %s WHERE name = %s", (built[p.name][1] + change, p.name))
