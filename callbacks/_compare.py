"""KPI cards with their change, on every page: against the previous period of equal length or the
same period a year before (the filter bar's "Compare with", `compare=year` in the URL).

Days the data does not fully cover (data/queries.complete_through) are left out of the comparison
on both sides, and the change says so: an export's thinning last days are not a collapse.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from dash import Output

from callbacks import _format as fmt
from callbacks._context import filters_from, together, warehouse

COMPARE = ("previous", "year")


@dataclass(frozen=True)
class Kpi:
    key: str
    fmt: str  # money | count | pct | score | days
    better: str = "up"  # which way is good news: "up", "down", or "none" (a shape: no colour)


def outputs(page: str, kpis) -> list[Output]:
    """The value, the change and the change's colour of each KPI card (`{page}-kpi-{key}`, `-change`)."""
    return ([Output(f"{page}-kpi-{k.key}", "children") for k in kpis]
            + [Output(f"{page}-kpi-{k.key}-change", "children") for k in kpis]
            + [Output(f"{page}-kpi-{k.key}-change", "className") for k in kpis])


def compared_to(data) -> str:
    to = (data or {}).get("compare") if isinstance(data, dict) else None
    return to if to in COMPARE else "previous"


def answer(data, kpis, values_of) -> list:
    """What `outputs` needs: `values_of(filters)` gives the raw value of each KPI key for a range.
    The range, its complete days and the compared range are asked at once (a cold page waits for
    the slowest, not for the three in turn)."""
    f = filters_from(data)
    if f is None:
        return ["no data"] * len(kpis) + [""] * len(kpis) * 2
    to = compared_to(data)
    bounds = warehouse().bounds()
    complete = bounds["complete"]
    if bounds["first"] is None or f.compared(to).end < bounds["first"]:
        # Nothing to compare with (all history, say): the range alone, not its complete days as well.
        now, part, before, note = values_of(f), {}, {}, ""
    elif complete is None or f.end <= complete or f.start > complete:
        span, note = f, ""
        now, before = together(lambda: values_of(f), lambda: values_of(f.compared(to)))
        part = now
    else:
        span, note = replace(f, end=complete), f", complete days to {complete:%d %b}"
        now, part, before = together(lambda: values_of(f), lambda: values_of(span),
                                     lambda: values_of(span.compared(to)))
    shown = [fmt.BY_FORMAT[k.fmt](now.get(k.key)) for k in kpis]
    changes = [fmt.change(part.get(k.key), before.get(k.key), k.fmt, k.better, to) for k in kpis]
    return shown + [text + note for text, _ in changes] + [f"small {cls}" for _, cls in changes]
