"""Dashboards: named grids of saved questions and text cards (`app.dashboards`), and who may do what.

The rules are data/sharing.py's, decided here on the server for every caller. A card shows a saved
question to everyone who may open the dashboard (its owner vouches for what is on it, as a shared
dashboard does in Superset), but only a question its adder may open can be added. Every change is
checked whole before anything is written: a layout naming a card the dashboard has not, a place
off the grid, or more than MAX_CARDS cards is refused and changes nothing.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from data import audit, questions, sharing as share
from data.filters import BAR_KEYS, DIMENSIONS, Filters, parse
from data.sharing import NotFound, SharingError as DashboardError, can_create

COLUMNS = 12  # the grid's width in columns
MAX_CARDS = 40
MAX_TEXT = 4000
MAX_ROW = 1000
MAX_HEIGHT = 20
MODES = ("intersect", "override")  # how the dashboard's filters meet a card's question's own
REFRESH = (0, 60, 300, 900, 3600)
FILTER_KEYS = frozenset(BAR_KEYS) - {"compare"}  # the cards' questions choose their own comparison
CARD_ID = re.compile(r"c[0-9]{1,6}")


@dataclass(frozen=True)
class Dashboard:
    dashboard_id: int
    owner_id: int
    owner: str
    name: str
    description: str
    cards: list
    filters: dict
    refresh_seconds: int
    sharing: str
    shared_roles: tuple[str, ...]
    updated_at: datetime
    updated_by: str | None

    def shared_text(self) -> str:
        return share.shared_text(self.sharing, self.shared_roles)

    def card(self, card_id) -> dict:
        found = next((c for c in self.cards if c["id"] == card_id), None)
        if found is None:
            raise NotFound(f"this dashboard has no card {str(card_id)[:20]!r}")
        return found


def can_edit(user, d: Dashboard) -> bool:
    return share.can_edit(user, d.owner_id)


_SELECT = f"""
SELECT d.dashboard_id, d.owner_id, u.username AS owner, d.name, d.description, d.cards, d.filters,
       d.refresh_seconds, d.sharing, d.shared_roles, d.updated_at, d.updated_by
FROM app.dashboards d JOIN app.users u ON u.user_id = d.owner_id
WHERE {share.visible("d")}
"""


def _dashboard(row) -> Dashboard:
    m = row._mapping
    return Dashboard(m["dashboard_id"], m["owner_id"], m["owner"], m["name"], m["description"], list(m["cards"]),
                     dict(m["filters"]), m["refresh_seconds"], m["sharing"], tuple(m["shared_roles"]),
                     m["updated_at"], m["updated_by"])


def listed(engine, user, search: str = "") -> list[Dashboard]:
    """The dashboards `user` may open, last changed first; `search` finds words of the name,
    description or owner."""
    words, params = share.matching("d", search)
    sql, params = _SELECT + words, {**share.who(user), **params}
    with engine.connect() as conn:
        return [_dashboard(r) for r in conn.execute(sa.text(sql + " ORDER BY d.updated_at DESC, d.dashboard_id DESC"),
                                                    params)]


def get(engine, user, dashboard_id, conn=None) -> Dashboard:
    """The dashboard with this id, if `user` may open it; NotFound otherwise."""
    did = share.an_id(dashboard_id, "dashboard")
    sql = sa.text(_SELECT + " AND d.dashboard_id = :did" + (" FOR UPDATE OF d" if conn is not None else ""))
    if conn is None:
        with engine.connect() as c:
            row = c.execute(sql, {**share.who(user), "did": did}).first()
    else:
        row = conn.execute(sql, {**share.who(user), "did": did}).first()
    if row is None:
        raise NotFound(f"there is no dashboard {str(dashboard_id)[:20]} that you may open")
    return _dashboard(row)


def clean_filters(filters) -> dict[str, str]:
    """The filter bar's query values a dashboard opens with (its keys only, as strings)."""
    if not isinstance(filters, dict):
        raise DashboardError("the dashboard's filters are a set of query values")
    kept = {str(k): str(v) for k, v in filters.items() if k in FILTER_KEYS and isinstance(v, (str, int))}
    if len(json.dumps(kept)) > 8_000:
        raise DashboardError("the filters are too long to keep: remove some values")
    return kept


def create(engine, user, name, description="", sharing="private", roles=(), filters=None) -> Dashboard:
    """A new, empty dashboard owned by `user` (an analyst or admin)."""
    if not can_create(user):
        raise DashboardError("viewers cannot make dashboards; ask an admin for the analyst role")
    name, description, sharing, roles = share.details(name, description, sharing, roles)
    kept = clean_filters(filters or {})
    with engine.begin() as conn:
        did = conn.execute(sa.text(
            "INSERT INTO app.dashboards (owner_id, name, description, filters, sharing, shared_roles, updated_by) "
            "VALUES (:uid, :name, :description, CAST(:filters AS jsonb), :sharing, :roles, :actor) "
            "RETURNING dashboard_id"),
            {"uid": user.user_id, "name": name, "description": description, "filters": json.dumps(kept),
             "sharing": sharing, "roles": roles, "actor": user.username}).scalar_one()
        audit.record(conn, "dashboard_saved", actor=user.username, target=str(did), detail={"name": name})
    return get(engine, user, did)


def _change(engine, user, dashboard_id, change, what: str) -> Dashboard:
    """Apply `change(dashboard) -> {column: value}` in one transaction, the row locked; only the
    owner or an admin; `what` goes to the audit log."""
    with engine.begin() as conn:
        d = get(engine, user, dashboard_id, conn)
        if not can_edit(user, d):
            raise DashboardError(f"only {d.owner} or an admin can change this dashboard; duplicate it to keep your own")
        values = change(d)
        sets = ", ".join(f"{k} = CAST(:{k} AS jsonb)" if k in ("cards", "filters") else f"{k} = :{k}" for k in values)
        params = {k: json.dumps(v) if k in ("cards", "filters") else v for k, v in values.items()}
        conn.execute(sa.text(f"UPDATE app.dashboards SET {sets}, updated_at = now(), updated_by = :actor "
                             "WHERE dashboard_id = :did"), {**params, "actor": user.username, "did": d.dashboard_id})
        audit.record(conn, "dashboard_changed", actor=user.username, target=str(d.dashboard_id), detail={"change": what})
    return get(engine, user, d.dashboard_id)


def update(engine, user, dashboard_id, *, name=None, description=None, sharing=None, roles=None, refresh=None,
           filters=None) -> Dashboard:
    """Change the details, the auto-refresh interval or the filters it opens with."""
    if refresh is not None and refresh not in REFRESH:
        raise DashboardError(f"refresh every {', '.join(str(s) for s in REFRESH)} seconds, not {str(refresh)[:10]!r}")

    def change(d):
        n, desc, s, r = share.details(d.name if name is None else name, d.description if description is None else
                                      description, d.sharing if sharing is None else sharing,
                                      d.shared_roles if roles is None else roles)
        out = {"name": n, "description": desc, "sharing": s, "shared_roles": r}
        if refresh is not None:
            out["refresh_seconds"] = refresh
        if filters is not None:
            out["filters"] = clean_filters(filters)
        return out
    return _change(engine, user, dashboard_id, change, "details")


def _next_id(cards: list) -> str:
    used = {int(c["id"][1:]) for c in cards}
    return f"c{max(used, default=0) + 1}"


def _bottom(cards: list) -> int:
    return max((c["y"] + c["h"] for c in cards), default=0)


def _room(cards: list) -> None:
    if len(cards) >= MAX_CARDS:
        raise DashboardError(f"a dashboard holds at most {MAX_CARDS} cards: make another for the rest")


def add_question(engine, user, dashboard_id, question_id) -> Dashboard:
    """Add a saved question `user` may open, as a half-width card at the bottom."""
    q = questions.get(engine, user, question_id)  # NotFound for another user's private question

    def change(d):
        _room(d.cards)
        last = d.cards[-1] if d.cards else None
        beside = last is not None and last["x"] == 0 and last["w"] <= COLUMNS // 2  # the right half is free
        card = {"id": _next_id(d.cards), "kind": "question", "question_id": q.question_id, "filters": "intersect",
                "x": COLUMNS // 2 if beside else 0, "y": last["y"] if beside else _bottom(d.cards),
                "w": COLUMNS // 2, "h": 4}
        return {"cards": d.cards + [card]}
    return _change(engine, user, dashboard_id, change, f"added question {q.question_id}")


def add_text(engine, user, dashboard_id, text) -> Dashboard:
    """Add a text card (Markdown, shown as text: no HTML) across the grid at the bottom."""
    text = str(text or "").strip()
    if not text:
        raise DashboardError("write the card's text first")
    if len(text) > MAX_TEXT:
        raise DashboardError(f"a text card holds at most {MAX_TEXT:,} characters")

    def change(d):
        _room(d.cards)
        card = {"id": _next_id(d.cards), "kind": "text", "text": text, "x": 0, "y": _bottom(d.cards), "w": COLUMNS,
                "h": 2}
        return {"cards": d.cards + [card]}
    return _change(engine, user, dashboard_id, change, "added text")


def remove_card(engine, user, dashboard_id, card_id) -> Dashboard:
    def change(d):
        d.card(card_id)
        return {"cards": [c for c in d.cards if c["id"] != card_id]}
    return _change(engine, user, dashboard_id, change, f"removed card {str(card_id)[:20]}")


def set_mode(engine, user, dashboard_id, card_id, mode) -> Dashboard:
    """How the dashboard's filters meet the card's question's: "intersect" keeps both (a category
    the question names and one the bar names must both hold), "override" puts the bar's in place
    of the question's."""
    if mode not in MODES:
        raise DashboardError(f"a card's filters either intersect or override, not {str(mode)[:20]!r}")

    def change(d):
        d.card(card_id)
        return {"cards": [{**c, "filters": mode} if c["id"] == card_id else c for c in d.cards]}
    return _change(engine, user, dashboard_id, change, f"card {card_id} filters {mode}")


def _place(item) -> tuple[str, dict]:
    """A layout item as (card id, its place), checked: ints, inside the grid."""
    if not isinstance(item, dict):
        raise DashboardError("a layout is a list of places")
    cid = item.get("i")
    place = {k: item.get(k) for k in ("x", "y", "w", "h")}
    if not isinstance(cid, str) or not all(isinstance(v, int) and not isinstance(v, bool) for v in place.values()):
        raise DashboardError("each place names its card and gives whole numbers x, y, w and h")
    x, y, w, h = place["x"], place["y"], place["w"], place["h"]
    if not (0 <= x < COLUMNS and 1 <= w <= COLUMNS and x + w <= COLUMNS and 0 <= y <= MAX_ROW and 1 <= h <= MAX_HEIGHT):
        raise DashboardError(f"card {cid[:20]!r} lies off the grid ({COLUMNS} columns, {MAX_HEIGHT} rows high at most)")
    return cid, place


def arrange(engine, user, dashboard_id, layout) -> Dashboard:
    """Move and resize cards as dragged: every place must name a card of this dashboard."""
    if not isinstance(layout, list) or len(layout) > MAX_CARDS:
        raise DashboardError(f"a layout is a list of at most {MAX_CARDS} places")
    places = dict(_place(item) for item in layout)

    def change(d):
        ids = {c["id"] for c in d.cards}
        unknown = sorted(set(places) - ids)
        if unknown:
            raise NotFound(f"this dashboard has no card {unknown[0][:20]!r}")
        return {"cards": [{**c, **places.get(c["id"], {})} for c in d.cards]}
    return _change(engine, user, dashboard_id, change, "arranged")


def duplicate(engine, user, dashboard_id) -> Dashboard:
    """A private copy of a dashboard the user may open, owned by them, with the same cards."""
    d = get(engine, user, dashboard_id)
    copy = create(engine, user, f"Copy of {d.name}"[:share.MAX_NAME], d.description, filters=d.filters)
    return _change(engine, user, copy.dashboard_id, lambda _d: {"cards": d.cards, "refresh_seconds": d.refresh_seconds},
                   f"copied from {d.dashboard_id}")


def delete(engine, user, dashboard_id) -> None:
    with engine.begin() as conn:
        d = get(engine, user, dashboard_id, conn)
        if not can_edit(user, d):
            raise DashboardError(f"only {d.owner} or an admin can delete this dashboard")
        conn.execute(sa.text("DELETE FROM app.dashboards WHERE dashboard_id = :did"), {"did": d.dashboard_id})
        audit.record(conn, "dashboard_deleted", actor=user.username, target=str(d.dashboard_id),
                     detail={"name": d.name})


# Built-in dashboards a user starts from: the Overview page's questions as saved questions on a grid
# (name, Explore's query values, place). Made for the user, they are theirs to change.
TEMPLATES = {"overview": ("Overview", (
    ("Revenue, orders and AOV", {"metrics": "revenue,orders,aov", "vs": "previous"}, (0, 0, 6, 3)),
    ("Customers, review score and on-time rate", {"metrics": "customers,review_score,on_time_rate", "vs": "previous"},
     (6, 0, 6, 3)),
    ("Revenue and orders over time", {"metrics": "revenue,orders", "by": "date"}, (0, 3, 12, 4)),
    ("Orders by status", {"metrics": "orders", "by": "status"}, (0, 7, 4, 4)),
    ("Top categories by revenue", {"metrics": "revenue", "by": "category", "limit": "10"}, (4, 7, 4, 4)),
    ("Payments by type", {"metrics": "payments", "by": "payment_type"}, (8, 7, 4, 4)),
))}


def from_template(engine, user, key: str) -> Dashboard:
    """A dashboard of a built-in's questions, saved for `user` (their own copies, private)."""
    if key not in TEMPLATES:
        raise NotFound(f"there is no built-in dashboard {str(key)[:20]!r}")
    name, cards = TEMPLATES[key]
    d = create(engine, user, f"My {name}", f"Started from the built-in {name}.")
    made = []
    for k, (title, query, (x, y, w, h)) in enumerate(cards, 1):
        q = questions.create(engine, user, title, f"From the built-in {name}.", query)
        made.append({"id": f"c{k}", "kind": "question", "question_id": q.question_id, "filters": "intersect",
                     "x": x, "y": y, "w": w, "h": h})
    return _change(engine, user, d.dashboard_id, lambda _d: {"cards": made}, f"made from {key}")


def card_filters(saved: dict, bar: Filters, mode: str, bounds: dict) -> Filters | None:
    """The filters a card's question answers under: the bar's, met with the question's own saved
    ones as the card says ("override": the bar's alone; "intersect": a range within both ranges,
    and for each filter the values both allow). None when nothing can match both."""
    own = {k: [str(v)] for k, v in saved.items() if k in FILTER_KEYS}
    if mode == "override" or not own:
        return bar
    mine, _ = parse(own, bounds["first"], bounds["last"], bounds["values"], bounds["complete"])
    start = max(bar.start, mine.start) if own.keys() & {"start", "range"} else bar.start
    end = min(bar.end, mine.end) if own.keys() & {"end", "range"} else bar.end
    if end < start:
        return None
    values = {}
    for dim in DIMENSIONS:
        theirs, ours = getattr(bar, dim.attr), getattr(mine, dim.attr)
        if dim.key not in own or not ours:
            values[dim.attr] = theirs
        elif not theirs:
            values[dim.attr] = ours
        else:
            values[dim.attr] = tuple(v for v in ours if v in theirs)
            if not values[dim.attr]:
                return None
    return Filters(start, end, **values)


def card_question(engine, user, dashboard_id, card_id) -> tuple[Dashboard, dict, questions.Question | None]:
    """A card as its dashboard's viewer sees it: the dashboard (NotFound unless they may open it),
    the card, and its question read through the dashboard (None once the question was deleted)."""
    d = get(engine, user, dashboard_id)
    card = d.card(card_id)
    if card["kind"] != "question":
        return d, card, None
    return d, card, questions.read(engine, card["question_id"])
