"""The filter bar's state: parsed from URL query values, checked against what the data holds.

Bad values never fail a page: each one is dropped with a notice that says what was ignored, and
the page opens with the rest. Values only ever reach SQL as bound parameters.
"""
from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta

from data import names

ALL_STATUSES = ("delivered", "shipped", "invoiced", "processing", "approved", "created", "canceled", "unavailable")
EXCLUDED_BY_DEFAULT = ("canceled", "unavailable")
DEFAULT_STATUSES = tuple(s for s in ALL_STATUSES if s not in EXCLUDED_BY_DEFAULT)
STATES = tuple("AC AL AM AP BA CE DF ES GO MA MG MS MT PA PB PE PI PR RJ RN RO RR RS SC SE SP TO".split())
PRESETS = {"7d": 7, "30d": 30, "90d": 90, "365d": 365}
DEFAULT_PRESET = "90c"  # the last 90 complete days: the export's thinning last days would make every KPI red
COMPLETE_PRESETS = {"90c": 90, "365c": 365}  # N days ending on the last day the data fully covers
# The presets a URL names as `range=`: a range that moves with the data (a live page's "last 7 days"
# takes in today's orders as they land); `start`/`end` are fixed dates.
RELATIVE = (*COMPLETE_PRESETS, *PRESETS, "mtd", "qtd", "ytd", "all")


@dataclass(frozen=True, init=False)
class Filters:
    """One view of the data: a closed date range and the chosen values of each filter dimension
    (`DIMENSIONS`); no values means everything. Built with the dimensions' plural names as keywords
    (`Filters(start, end, states=("SP",), payment_types=("voucher",))`) and read the same way
    (`f.states`) or by key (`f.values("state")`)."""

    start: date
    end: date
    chosen: tuple[tuple[str, tuple[str, ...]], ...]  # (dimension key, values) for every dimension, in order

    def __init__(self, start: date, end: date, *, chosen=(), **values):
        given = dict(chosen)
        for dim in DIMENSIONS:
            if dim.attr in values:
                given[dim.key] = values.pop(dim.attr)
        if values:
            raise TypeError(f"Filters has no dimension {sorted(values)[0]!r}")
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)
        object.__setattr__(self, "chosen", tuple((d.key, tuple(given.get(d.key, d.default))) for d in DIMENSIONS))

    def values(self, key: str) -> tuple[str, ...]:
        return next(v for k, v in self.chosen if k == key)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Filters:
        """The period of equal length just before this one, with the same other filters."""
        return replace(self, start=self.start - timedelta(days=self.days), end=self.start - timedelta(days=1))

    def year_before(self) -> Filters:
        """The same days a year earlier (29 February becomes the 28th), with the same other filters."""
        def back(d: date) -> date:
            return d.replace(year=d.year - 1, day=28) if (d.month, d.day) == (2, 29) else d.replace(year=d.year - 1)
        return replace(self, start=back(self.start), end=back(self.end))

    def compared(self, to: str) -> Filters:
        """The period to compare with: "previous" (equal length, just before) or "year" (a year before)."""
        return self.year_before() if to == "year" else self.previous()

    def by_dimension(self) -> dict[str, tuple]:
        """The chosen values per dimension key (the semantic layer's filters), sorted; none: everything."""
        return {k: tuple(sorted(v)) for k, v in self.chosen if v}

    def key(self) -> tuple:
        """A hashable, order-independent identity for caching."""
        return (self.start.isoformat(), self.end.isoformat(), *(tuple(sorted(v)) for _k, v in self.chosen))


def preset_range(preset: str, first: date, last: date, complete: date | None = None) -> tuple[date, date]:
    """Resolve a preset against the data's own calendar: "last 30 days" ends on the latest date;
    "90c", the default, is the 90 days ending on the last day the data fully covers (`complete`)."""
    if preset in COMPLETE_PRESETS:
        end = complete or last
        return max(first, end - timedelta(days=COMPLETE_PRESETS[preset] - 1)), end
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


def seller_id(value: str) -> str | None:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


@dataclass(frozen=True)
class Dimension:
    """One filter of the bar, declared once: its URL key (also the semantic layer's dimension key,
    whose SQL the questions use), the plural name Filters are built and read by, how a URL value
    is made canonical (None when it is malformed), how a value is named for people and what the
    bar shows. parse, to_query, the store, the cache key, the filter bar's dropdowns and chips and
    every question read this list, so a new filter is a new entry here."""

    key: str
    attr: str
    label: str
    placeholder: str
    canonical: Callable[[str], str | None]
    name: Callable[[str], str] = str  # a value as people read it (data/names.py)
    malformed: str = "unknown {key}"  # the notice for a value `canonical` rejects or the data does not hold
    default: tuple[str, ...] = ()  # what an absent or cleared filter means; () is everything
    listed: bool = True  # the data's values are listed (bounds' "values"); False: looked up as typed (sellers)


DIMENSIONS = (
    Dimension("state", "states", "State", "All states", str.upper, names.state),
    Dimension("category", "categories", "Category", "All categories", str.lower, names.category),
    Dimension("seller", "sellers", "Seller", "Type a seller id, city or state", seller_id,
              malformed="not a seller id", listed=False),
    Dimension("status", "statuses", "Status", "All statuses", str.lower, names.status, default=DEFAULT_STATUSES),
    Dimension("payment_type", "payment_types", "Payment", "All payment types", str.lower, names.payment_type),
    Dimension("seller_state", "seller_states", "Seller state", "All seller states", str.upper, names.state),
)
BY_KEY = {d.key: d for d in DIMENSIONS}
# Every query key the filter bar writes: the dates, what the KPI cards compare with, each filter.
BAR_KEYS = ("range", "start", "end", "compare", *BY_KEY)
for _dim in DIMENSIONS:  # f.states, f.payment_types ...: the chosen values of one dimension
    setattr(Filters, _dim.attr, property(lambda self, key=_dim.key: self.values(key), doc=f"The chosen {_dim.label}."))


def parse(args, first: date, last: date, known: dict | None = None,
          complete: date | None = None, default: str = DEFAULT_PRESET) -> tuple[Filters, list[str]]:
    """Build Filters from URL query values; return them with a notice per ignored value.

    `first`/`last` are the data's first and last purchase dates and `complete` the last day the data
    fully covers (the `default` range, 90 days ending on it unless a page needs more); `known` maps a
    dimension key to the values the data holds (bounds' "values"; states and statuses are always
    known). Sellers are only checked for form here (the shell looks them up). An explicit
    `status=all` means every status.
    """
    notices = []
    start, end = preset_range(default, first, last, complete)
    named = relative(args)
    if named:
        start, end = preset_range(named, first, last, complete)
    elif args.get("range") not in (None, "", []):
        raw = args["range"]
        shown = raw[-1] if isinstance(raw, (list, tuple)) else raw
        notices.append(f"ignored range={str(shown)[:40]!r}: not a range (use one of {', '.join(RELATIVE)})")
    for name in ("start", "end") if not named else ():
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
        start, end = preset_range(default, first, last, complete)

    allowed = {k: set(v) for k, v in (known or {}).items()}
    allowed.update(state=set(STATES) | {"??"}, status=set(ALL_STATUSES))
    chosen = {}
    for dim in DIMENSIONS:
        raw = _values(args.get(dim.key))
        if dim.key == "status" and [v.lower() for v in raw] == ["all"]:
            chosen[dim.attr] = tuple(ALL_STATUSES)
            continue
        kept = []
        for v in raw:
            n = dim.canonical(v)
            if n is not None and (not dim.listed or n in allowed.get(dim.key, ())):
                if n not in kept:
                    kept.append(n)
            else:
                notices.append(f"ignored {dim.key}={v[:40]!r}: {dim.malformed.format(key=dim.key)}")
        chosen[dim.attr] = tuple(kept) or dim.default
    return Filters(start, end, **chosen), notices


MAX_NOTICES = 5


def capped(notices: list[str]) -> list[str]:
    """At most MAX_NOTICES notices, the rest counted in one more (a crafted URL cannot flood the page)."""
    if len(notices) <= MAX_NOTICES:
        return notices
    return notices[:MAX_NOTICES] + [f"and {len(notices) - MAX_NOTICES} more values ignored"]


def relative(args) -> str | None:
    """The range the URL query values name (`range=7d`), or None (fixed dates, or none)."""
    raw = args.get("range")
    value = (raw[-1] if raw else None) if isinstance(raw, (list, tuple)) else raw
    return value if value in RELATIVE else None


def to_query(f: Filters, named: str | None = None) -> dict[str, str]:
    """The URL query values for these filters, in a fixed order (a filter at its default is left out;
    every status is `status=all`). `named`: the relative range the dates came from, written instead
    of them, so the link moves with the data."""
    out = {"range": named} if named in RELATIVE else {"start": f.start.isoformat(), "end": f.end.isoformat()}
    for dim in DIMENSIONS:
        values = getattr(f, dim.attr)
        if set(values) == set(dim.default):
            continue
        if dim.key == "status" and set(values) == set(ALL_STATUSES):
            out["status"] = "all"
        elif values:
            out[dim.key] = ",".join(values)
    return out


def to_store(f: Filters) -> dict:
    """The page's `filters` store: the dates and every dimension's values as lists."""
    return {"start": f.start.isoformat(), "end": f.end.isoformat(),
            **{dim.key: list(getattr(f, dim.attr)) for dim in DIMENSIONS}}


def from_store(data) -> Filters | None:
    """The inverse of to_store: what a callback reads back (None for a store that is not one, as a
    crafted request may send; the values reach SQL only as bound parameters, and the caller applies
    the user's scope)."""
    if not isinstance(data, dict):
        return None
    start, end = _date(data.get("start")), _date(data.get("end"))
    if start is None or end is None:
        return None
    return Filters(start, end, **{dim.attr: tuple(_values(data.get(dim.key))) or dim.default for dim in DIMENSIONS})
