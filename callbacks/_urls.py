"""Change the filter bar's state the way a click on a chart does: by rewriting the URL's query.

A chart click is a cross-filter, as in Power BI: the first click on a value adds it to its
filter, a second click on it takes it off again. The query is written in the filter bar's own
order (data.filters.to_query), so the shell reads it as it is and history gets one entry.
"""
from __future__ import annotations

from urllib.parse import parse_qs, urlencode

from dash import Input, Output, State, callback, no_update

from data.filters import DIMENSIONS

ORDER = ["range", "start", "end"] + [d.key for d in DIMENSIONS]


def _ordered(args: dict) -> str:
    kept = {k: args[k] for k in sorted(args, key=lambda k: ORDER.index(k) if k in ORDER else len(ORDER)) if args[k]}
    return "?" + urlencode(kept, safe=",") if kept else ""


def with_range(search: str | None, start, end) -> str:
    """The query string with its dates set to `start`..`end` (a drill into a period: fixed dates, so
    a relative range the query named is dropped)."""
    args = {k: v[-1] for k, v in parse_qs((search or "").lstrip("?")).items() if k != "range"}
    return _ordered({**args, "start": start.isoformat(), "end": end.isoformat()})


def toggled(search: str | None, name: str, value: str) -> str:
    """The query string with `value` added to the comma-separated filter `name`, or taken off it
    when it is there already."""
    args = {k: v[-1] for k, v in parse_qs((search or "").lstrip("?")).items()}
    chosen = [v for v in args.get(name, "").split(",") if v and v != "all"]  # "all": none chosen
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


def cross_filter(chart_id: str, key: str, field: str = "customdata"):
    """Make a click on `chart_id`'s bars, slices or states toggle the value in filter `key`.

    The chart draws every value of its own dimension (not filtered by it) and dims the ones not
    picked (callbacks._figures), so the click filters the rest of the page and the chart keeps
    its shape; the value rides in `field` of the clicked point."""
    @callback(Output("url", "search", allow_duplicate=True), Input(chart_id, "clickData"), State("url", "search"),
              prevent_initial_call=True)
    def toggle_on_click(click, search):
        value = clicked(click, field)
        return no_update if value is None else toggled(search, key, value)

    return toggle_on_click


def with_chosen(ranked: list[dict], key: str, chosen, keep: int) -> list[dict]:
    """The first `keep` of `ranked` rows, and any later one whose `key` was chosen (a picked value
    stays on its chart even when it ranks low)."""
    return [r for k, r in enumerate(ranked) if k < keep or r[key] in chosen]
