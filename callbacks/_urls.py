"""Change the filter bar's state the way a click on a chart does: by rewriting the URL's query.

A chart click is a cross-filter, as in Power BI: the first click on a value adds it to its
filter, a second click on it takes it off again. The query is written in the filter bar's own
order (data.filters.to_query), so the shell reads it as it is and history gets one entry.
"""
from __future__ import annotations

from urllib.parse import parse_qs, urlencode

from data.filters import DIMENSIONS

ORDER = ["start", "end"] + [d.key for d in DIMENSIONS]


def _ordered(args: dict) -> str:
    kept = {k: args[k] for k in sorted(args, key=lambda k: ORDER.index(k) if k in ORDER else len(ORDER)) if args[k]}
    return "?" + urlencode(kept, safe=",") if kept else ""


def with_range(search: str | None, start, end) -> str:
    """The query string with its dates set to `start`..`end` (a drill into a period)."""
    args = {k: v[-1] for k, v in parse_qs((search or "").lstrip("?")).items()}
    return _ordered({**args, "start": start.isoformat(), "end": end.isoformat()})


def toggled(search: str | None, name: str, value: str) -> str:
    """The query string with `value` added to the comma-separated filter `name`, or taken off it
    when it is there already."""
    args = {k: v[-1] for k, v in parse_qs((search or "").lstrip("?")).items()}
    chosen = [v for v in args.get(name, "").split(",") if v]
    chosen = [v for v in chosen if v != value] if value in chosen else chosen + [value]
    args[name] = ",".join(chosen)
    return _ordered(args)


def clicked(click: dict | None, field: str = "customdata") -> str | None:
    """The value a chart click names (customdata's first item, or a map's location); None without one."""
    points = (click or {}).get("points") or []
    if not points:
        return None
    found = points[0].get(field)
    if field == "customdata" and isinstance(found, list):
        found = found[0] if found else None
    return found if isinstance(found, str) else None
