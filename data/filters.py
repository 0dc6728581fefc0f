"""The filter bar's state: parsed from URL query values, checked against what the data holds.

Bad values never fail a page: each one is dropped with a notice that says what was ignored, and
the page opens with the rest. Values only ever reach SQL as bound parameters.
"""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, replace
from datetime import date, timedelta

ALL_STATUSES = ("delivered", "shipped", "invoiced", "processing", "approved", "created", "canceled", "unavailable")
EXCLUDED_BY_DEFAULT = ("canceled", "unavailable")
DEFAULT_STATUSES = tuple(s for s in ALL_STATUSES if s not in EXCLUDED_BY_DEFAULT)
STATES = tuple("AC AL AM AP BA CE DF ES GO MA MG MS MT PA PB PE PI PR RJ RN RO RR RS SC SE SP TO".split())
PRESETS = {"7d": 7, "30d": 30, "90d": 90, "365d": 365}


@dataclass(frozen=True)
class Filters:
    """One view of the data: a closed date range and optional lists; empty lists mean everything."""

    start: date
    end: date
    states: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    sellers: tuple[str, ...] = ()
    statuses: tuple[str, ...] = DEFAULT_STATUSES

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Filters:
        """The period of equal length just before this one, with the same other filters."""
        return replace(self, start=self.start - timedelta(days=self.days), end=self.start - timedelta(days=1))

    def key(self) -> tuple:
        """A hashable, order-independent identity for caching."""
        return (self.start.isoformat(), self.end.isoformat(), tuple(sorted(self.states)),
                tuple(sorted(self.categories)), tuple(sorted(self.sellers)), tuple(sorted(self.statuses)))


def preset_range(preset: str, first: date, last: date) -> tuple[date, date]:
    """Resolve a preset against the data's own calendar: "last 30 days" ends on the latest date."""
    if preset in PRESETS:
        return max(first, last - timedelta(days=PRESETS[preset] - 1)), last
    if preset == "mtd":
        return max(first, last.replace(day=1)), last
    if preset == "qtd":
        return max(first, last.replace(month=(last.month - 1) // 3 * 3 + 1, day=1)), last
    if preset == "ytd":
        return max(first, last.replace(month=1, day=1)), last
    return first, last  # "all"


def _values(raw) -> list[str]:
    if raw is None:
        return []
    items = raw if isinstance(raw, (list, tuple)) else [raw]
    return [v.strip() for item in items for v in str(item).split(",") if v.strip()]


def _date(raw) -> date | None:
    text = (raw[0] if isinstance(raw, (list, tuple)) and raw else raw) or ""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(text).strip()):
        return None
    try:
        return date.fromisoformat(str(text).strip())
    except ValueError:
        return None


def parse(args, first: date, last: date, categories=(), statuses=ALL_STATUSES) -> tuple[Filters, list[str]]:
    """Build Filters from URL query values; return them with a notice per ignored value.

    `first`/`last` are the data's first and last purchase dates (the default range is the last
    90 days of data); `categories` and `statuses` are the values the data knows.
    """
    notices = []
    start, end = preset_range("90d", first, last)
    for name, default in (("start", start), ("end", end)):
        raw = args.get(name)
        if raw in (None, "", []):
            continue
        value = _date(raw)
        if value is None:
            shown = raw[0] if isinstance(raw, (list, tuple)) else raw
            notices.append(f"ignored {name}={str(shown)[:40]!r}: not a date (use YYYY-MM-DD)")
        elif name == "start":
            start = value
        else:
            end = value
    if end < start:
        notices.append(f"ignored the dates: the end ({end}) is before the start ({start})")
        start, end = preset_range("90d", first, last)

    def pick(name, allowed, normalise=str):
        kept = []
        for v in _values(args.get(name)):
            n = normalise(v)
            if n in allowed:
                if n not in kept:
                    kept.append(n)
            else:
                notices.append(f"ignored {name}={v[:40]!r}: unknown {name}")
        return tuple(kept)

    states = pick("state", set(STATES) | {"??"}, str.upper)
    cats = pick("category", set(categories), str.lower)
    sellers = []
    for v in _values(args.get("seller")):
        try:
            sellers.append(str(uuid.UUID(v)))
        except ValueError:
            notices.append(f"ignored seller={v[:40]!r}: not a seller id")
    status_values = _values(args.get("status"))
    chosen = (pick("status", set(statuses), str.lower) if status_values else ()) or DEFAULT_STATUSES
    return Filters(start, end, states, cats, tuple(dict.fromkeys(sellers)), tuple(chosen)), notices


MAX_NOTICES = 5


def capped(notices: list[str]) -> list[str]:
    """At most MAX_NOTICES notices, the rest counted in one more (a crafted URL cannot flood the page)."""
    if len(notices) <= MAX_NOTICES:
        return notices
    return notices[:MAX_NOTICES] + [f"and {len(notices) - MAX_NOTICES} more values ignored"]


def to_query(f: Filters) -> dict[str, str]:
    """The URL query values for these filters (the default statuses are left out)."""
    out = {"start": f.start.isoformat(), "end": f.end.isoformat()}
    for name, values in (("state", f.states), ("category", f.categories), ("seller", f.sellers)):
        if values:
            out[name] = ",".join(values)
    if set(f.statuses) != set(DEFAULT_STATUSES):
        out["status"] = ",".join(f.statuses)
    return out
