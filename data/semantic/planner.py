"""Pick the smallest rollup that answers a query exactly, or the star schema when none does.

The rules (the way Cube matches pre-aggregations and Looker's aggregate awareness picks tables),
all read off the declarations in data/semantic/model.py:
- every dimension the query groups or filters by is kept by the rollup;
- every measure behind the query's metrics is kept by the rollup;
- the rollup's date grain feeds the asked one (day feeds every grain; week only weeks; month
  feeds quarter and year), and a range that does not start and end on the rollup's period edges
  is answered from a finer rollup (`plan` splits it: whole periods from the coarse one, the
  edges from a fine one);
- a dimension finer than a measure's level (a category, of an order measure) splits each order
  over its values: the rollup's rows for that measure add up exactly only where each order sits
  in one row of each answer: the dimension is grouped by, or filtered to a single value. A
  dimension the rollup keeps but the query ignores is summed over, so it must not split any
  measure asked for, unless a dimension the query groups by (or filters to one value) fixes its
  value (`Catalogue.fixed_by`: a seller has one state);
- an order-grain measure over several values of such a dimension is exact from a rollup that
  keeps it, less what its overlap table (`Rollup.overlap`) says the orders holding two or more of
  those values were counted too often;
- a distinct count (people) does not add up at all: the rollup must hold exactly the query's
  rows (same dimensions, same grain, no filter of several values); repeat buyers are instead
  counted from the people table beside the rollup that holds the other measures, when it has
  every dimension asked and no two list dimensions of one level;
- the row count of each level the query sums over is a measure too (`measures_of`): it tells
  which groups hold rows, as the star's branches do.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from data.semantic.model import FEEDS, Dimension, Measure, Metric, People, Query, Rollup

STAR = "star"


class UnknownName(ValueError):
    """A query names a metric, dimension, grain or filter that the catalogue does not declare."""


@dataclass(frozen=True)
class Catalogue:
    measures: dict[str, Measure]
    metrics: dict[str, Metric]
    dimensions: dict[str, Dimension]
    rollups: tuple[Rollup, ...]
    people: People | None = None
    # A dimension whose value another fixes (a seller's state, a product's category): a group of
    # the other, or a filter to one value of it, holds one value of this one.
    fixed_by: dict[str, str] = field(default_factory=dict)

    def check(self, q: Query) -> None:
        """Raise UnknownName naming the first thing the query asks for that is not declared."""
        for m in q.metrics:
            if m not in self.metrics:
                raise UnknownName(f"unknown metric {m!r}")
        for d in (*q.by, *q.filters):
            if d not in self.dimensions:
                raise UnknownName(f"unknown dimension {d!r}")
        if "date" in q.by and q.grain not in self.dimensions["date"].grains:
            raise UnknownName(f"unknown grain {q.grain!r}")

    def prepare(self, q: Query) -> Query:
        """`q` checked (UnknownName naming what is wrong), its filter values as their dimensions hold
        them and the dimensions' default filters (the status filter's) where it has none."""
        self.check(q)
        if "date" in q.filters:
            raise UnknownName("filter dates with start and end, not a date filter")
        if q.end < q.start:
            raise UnknownName(f"the end ({q.end}) is before the start ({q.start})")
        if len(set(q.by)) < len(q.by) or len(set(q.metrics)) < len(q.metrics) or not q.metrics:
            raise UnknownName("name at least one metric, and each metric and dimension once")
        both = set(q.by) & set(q.metrics)
        if both:
            raise UnknownName(f"{sorted(both)[0]} is asked for as both a dimension and a metric: ask for one")
        for key in q.order_by:
            if key.lstrip("-") not in (*q.by, *q.metrics):
                raise UnknownName(f"cannot order by {key!r}: it is neither a metric nor a dimension of the query")
        if q.limit is not None and (isinstance(q.limit, bool) or not isinstance(q.limit, int) or q.limit < 1):
            raise UnknownName(f"the limit must be a positive whole number, not {q.limit!r}")
        filters = {}
        for key, values in q.filters.items():
            dim = self.dimensions[key]
            values = values if isinstance(values, (list, tuple)) else [values]
            try:
                filters[key] = tuple(dict.fromkeys(dim.value(v) for v in values))
            except ValueError as exc:
                raise UnknownName(f"bad value for {key}: {exc}") from None
        for dim in self.dimensions.values():
            if dim.default and not filters.get(dim.key):
                filters[dim.key] = dim.default
        return replace(q, filters={k: v for k, v in filters.items() if v})

    def star_only(self) -> Catalogue:
        """This catalogue without rollups or people source: every plan is the star (what the tests and
        benchmarks compare against)."""
        return replace(self, rollups=(), people=None)

    def row_count(self, level: str) -> str | None:
        """The measure counting the rows of `level` (orders, items ...), when one is declared."""
        return next((m.key for m in self.measures.values() if m.level == level and m.agg == "count"
                     and m.expr == "1"), None)

    def level_in(self, q: Query, measure: str) -> str:
        """The rows `measure` is summed over for `q`: its own level, or the order's when it has an
        order total (`per_order`) and no dimension of its level is asked."""
        m = self.measures[measure]
        asked = {self.dimensions[k].level for k in (*q.by, *q.filters)}
        return "order" if m.per_order and m.level not in asked else m.level

    def measures_of(self, q: Query) -> tuple[str, ...]:
        """The measures behind the query's metrics, and the row count of each level they are summed
        over: a group is in the answer when it holds rows of such a level, which a rollup's row (kept
        for any of its measures) can only tell by those counts."""
        asked = [m for key in q.metrics for m in self.metrics[key].measures]
        return tuple(dict.fromkeys([*asked, *self.row_counts_of(q)]))

    def row_counts_of(self, q: Query) -> tuple[str, ...]:
        levels = {self.level_in(q, m) for key in q.metrics for m in self.metrics[key].measures}
        return tuple(c for c in (self.row_count(level) for level in sorted(levels)) if c)


@dataclass(frozen=True)
class Part:
    """One table's share of an answer: `measures` from `table` over the days start..end."""
    table: str
    start: date
    end: date
    measures: tuple[str, ...] = ()


@dataclass(frozen=True)
class Plan:
    parts: tuple[Part, ...]
    reason: str

    @property
    def table(self) -> str:
        """The table that answers (the coarsest, when whole periods and edges come from two)."""
        return self.parts[0].table


def period_start(grain: str, day: date) -> date:
    if grain == "week":
        return day - timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    if grain == "quarter":
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    if grain == "year":
        return day.replace(month=1, day=1)
    return day


def next_period(grain: str, day: date) -> date:
    """The first day of the period after the one `day` starts."""
    if grain == "day":
        return day + timedelta(days=1)
    if grain == "week":
        return day + timedelta(days=7)
    months = {"month": 1, "quarter": 3, "year": 12}[grain]
    m = day.month - 1 + months
    return date(day.year + m // 12, m % 12 + 1, 1)


def whole_periods(grain: str, start: date, end: date) -> tuple[date, date] | None:
    """The first and last day of the `grain` periods lying wholly in start..end, or None."""
    first = start if period_start(grain, start) == start else next_period(grain, period_start(grain, start))
    last_start = period_start(grain, end + timedelta(days=1))  # periods starting on or before end+1
    if last_start <= first:
        return None
    return first, last_start - timedelta(days=1)


def splits(dim: Dimension, measure: Measure) -> bool:
    """Whether one row of the measure can hold several values of the dimension: an order holds
    several items and payments, an item belongs to one order (and one category, seller...)."""
    return dim.level not in ("order", measure.level)


def _refusal(c: Catalogue, q: Query, r: Rollup, measures: tuple[str, ...], grain: str,
             several: str | None = None) -> str | None:
    """Why rollup `r` cannot answer `q` exactly at stored grain `grain` (None: it can). `several`: a
    dimension filtered to several values whose overlap table corrects what the rollup counts twice."""
    asked = set(q.by) - {"date"}
    filtered = q.filtered()
    needed = asked | (set(filtered) - {"date"})
    kept = set(r.dimensions) | ({k for k in needed if c.dimensions[k].of_day} if grain == "day" else set())
    missing = sorted(needed - kept)
    if missing:
        return f"lacks dimension {', '.join(missing)}"
    missing = [m for m in measures if m not in r.measures]
    if missing:
        return f"lacks measure {', '.join(missing)}"
    if "date" in q.by and q.grain not in FEEDS[grain]:
        return f"its {grain}s do not add up to {q.grain}s"
    for m in measures:
        measure = c.measures[m]
        if measure.agg == "distinct":
            if not ("date" in q.by and grain == q.grain and set(r.dimensions) == asked):
                return f"{m} is a distinct count: it needs the rollup's rows to be the answer's rows"
            continue
        for d in r.dimensions:
            if not splits(c.dimensions[d], measure) or d in asked or len(filtered.get(d, ())) == 1 or d == several:
                continue
            fixer = c.fixed_by.get(d)
            if fixer and (fixer in asked or len(filtered.get(fixer, ())) == 1 or fixer == several):
                continue  # one value of d for each value of its fixer: summing over it splits nothing
            why = "filtered to several values" if d in filtered else "summed over"
            return f"{m} would count an order once per {d} ({d} {why})"
    return None


def source_refusal(c: Catalogue, r: Rollup, source: Rollup) -> str | None:
    """Why rollup `r` cannot be filled by summing `source`'s rows (None: it can): by the rules
    above, `source` must answer exactly the question `r`'s rows are (its measures by date at its
    grain and its dimensions)."""
    q = Query((), date.min, date.min, ("date", *r.dimensions), r.grain)
    if r.overlap or source.overlap:
        return "an overlap table is neither summed from another table nor summed into one"
    return _refusal(c, q, source, r.measures, source.grain)


def _answering(c: Catalogue) -> list[Rollup]:
    """The rollups that answer (not the overlap tables), smallest first."""
    return sorted((r for r in c.rollups if not r.overlap), key=lambda r: (r.rows, r.name))


def _from_rollups(c: Catalogue, q: Query, measures: tuple[str, ...], refused: list[str],
                  several: str | None = None) -> Plan | None:
    """The smallest rollup (with a daily one for the range's edges) holding `measures` for `q`
    exactly; None when there is none (the reasons appended to `refused`)."""
    for r in _answering(c):
        why = _refusal(c, q, r, measures, r.grain, several)
        if why:
            refused.append(f"{r.name}: {why}")
            continue
        if r.grain == "day":
            return Plan((Part(r.name, q.start, q.end, measures),), f"{r.name}: the smallest rollup that answers exactly")
        whole = whole_periods(r.grain, q.start, q.end)
        if whole is None:
            refused.append(f"{r.name}: the range holds no whole {r.grain}")
            continue
        edges = [(a, b) for a, b in ((q.start, whole[0] - timedelta(days=1)), (whole[1] + timedelta(days=1), q.end))
                 if a <= b]
        if not edges:
            return Plan((Part(r.name, *whole, measures),),
                        f"{r.name}: whole {r.grain}s, the smallest rollup that answers exactly")
        if any(c.measures[m].agg == "distinct" for m in measures):
            refused.append(f"{r.name}: a distinct count cannot join a part of a {r.grain} to the rest")
            continue
        fine = next((f for f in _answering(c) if f.grain == "day" and not _refusal(c, q, f, measures, "day", several)),
                    None)
        if fine is None:
            refused.append(f"{r.name}: no daily rollup answers the range's edges")
            continue
        return Plan((Part(r.name, *whole, measures), *(Part(fine.name, a, b, measures) for a, b in edges)),
                    f"{r.name} for whole {r.grain}s, {fine.name} for the edges")
    return None


def _overlap_refusal(c: Catalogue, q: Query, ov: Rollup, measures: tuple[str, ...]) -> str | None:
    """Why overlap table `ov` cannot correct a rollup's sum over several values of its dimension for
    `q` (None: it can): it must hold every other dimension asked and every measure that dimension splits."""
    d = ov.overlap
    needed = (set(q.by) | set(q.filtered())) - {"date", d}
    missing = sorted(k for k in needed if k not in ov.dimensions and not c.dimensions[k].of_day)
    if missing:
        return f"lacks dimension {', '.join(missing)}"
    missing = [m for m in _split_by(c, d, measures) if m not in ov.measures]
    return f"lacks measure {', '.join(missing)}" if missing else None


def _split_by(c: Catalogue, d: str, measures: tuple[str, ...]) -> tuple[str, ...]:
    """The sums and counts among `measures` that an order holding several values of `d` splits."""
    return tuple(m for m in measures if c.measures[m].agg != "distinct" and splits(c.dimensions[d], c.measures[m]))


def _sums(c: Catalogue, q: Query, measures: tuple[str, ...], refused: list[str]) -> Plan | None:
    """The rollups answering the sums and counts `measures` for `q`: one rollup (with the range's
    edges), or, for several values of a multi-valued dimension, one summed over them less the
    orders its overlap table says it counts more than once."""
    found = _from_rollups(c, q, measures, refused)
    if found:
        return found
    filtered = q.filtered()
    for ov in c.rollups:
        d = ov.overlap
        if not d or len(filtered.get(d, ())) < 2 or d in q.by:
            continue
        why = _overlap_refusal(c, q, ov, measures)
        found = None if why else _from_rollups(c, q, measures, [], several=d)
        if found:
            part = Part(ov.name, q.start, q.end, _split_by(c, d, measures))
            return Plan((*found.parts, part), f"{found.reason} summed over several {d} values, less the orders "
                                              f"holding two or more of them ({ov.name})")
        refused.append(f"{ov.name}: {why or 'no rollup keeps the rest of the query'}")
    return None


def _people_answer(c: Catalogue, q: Query, measures: tuple[str, ...]) -> str | None:
    """Why the people source cannot count these distinct measures for `q` (None: it can)."""
    if c.people is None:
        return "no people source is declared"
    if not all(c.measures[m].people for m in measures):
        return "a distinct count the people source does not hold"
    needed = set(q.by) | set(q.filtered())
    held = {"date", *c.people.dimensions, *c.people.lists} | {k for k in needed if c.dimensions[k].of_day}
    missing = sorted(needed - held)
    if missing:
        return f"the people source lacks {', '.join(missing)}"
    lists = sorted(k for k in needed if k in c.people.lists)
    levels = [c.dimensions[k].level for k in lists]
    if len(set(levels)) < len(levels):
        return f"{' and '.join(lists)} could match through different rows of one order"
    return None


def plan(c: Catalogue, q: Query) -> Plan:
    """The smallest rollup that answers `q` exactly, the coarse one for whole periods and a fine one
    for the range's edges; distinct repeat buyers from the people source beside it; the star schema
    when none can. Raises UnknownName for undeclared names."""
    c.check(q)
    measures = c.measures_of(q)
    refused: list[str] = []
    found = _sums(c, q, measures, refused)
    if found:
        return found
    distinct = tuple(m for m in measures if c.measures[m].agg == "distinct")
    if distinct:
        why = _people_answer(c, q, distinct)
        rest = tuple(m for m in measures if m not in distinct)
        found = _sums(c, q, rest, []) if why is None and rest else None
        if why is None and (found or not rest):
            people = Part(c.people.name, q.start, q.end, distinct)
            if not rest:
                return Plan((people,), f"{c.people.name}: distinct repeat buyers")
            return Plan((*found.parts, people), f"{found.reason}; repeat buyers from {c.people.name}")
        refused.append(f"{c.people.name if c.people else 'people'}: {why or 'no rollup holds the other measures'}")
    return Plan((Part(STAR, q.start, q.end, measures),),
                "the star schema: " + ("; ".join(refused) or "no rollup is declared"))


def explain(c: Catalogue, q: Query) -> str:
    """Which tables answer `q` and why, one line (the Admin page and the benchmarks show it)."""
    p = plan(c, q)
    return ", ".join(f"{x.table} {x.start}..{x.end}" for x in p.parts) + f" ({p.reason})"
