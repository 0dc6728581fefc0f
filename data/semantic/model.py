"""The semantic layer's vocabulary: measures, metrics, dimensions, rollups and queries, as data.

A measure is something summed or counted at one grain of the star (an order, an item, a payment,
a review); a metric is what people read, built from measures (AOV is revenue over orders with
items); a dimension is what answers are grouped and filtered by, at the grain its value belongs
to. A rollup declares which dimensions and measures it keeps at which date grain. The planner
(data/semantic/planner.py) reads only these declarations, so a new rollup, dimension or metric
is a declaration, never a new code path.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

GRAINS = ("day", "week", "month", "quarter", "year")
# Which stored date grain can be summed up into which asked one (weeks cross months and years).
FEEDS = {"day": set(GRAINS), "week": {"week"}, "month": {"month", "quarter", "year"},
         "quarter": {"quarter", "year"}, "year": {"year"}}
LEVELS = ("order", "item", "payment", "review")


@dataclass(frozen=True)
class Measure:
    """`agg` "sum" or "count" re-aggregates (a coarser answer sums the finer rows); "distinct" (people)
    does not: a rollup can give it only row for row."""
    key: str
    level: str  # the star's row it is computed over: order, item, payment or review
    agg: str  # sum | count | distinct
    expr: str  # SQL over the star's aliases


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    definition: str
    fmt: str  # money | count | pct | score | days
    numerator: str  # a measure key
    denominator: str | None = None  # a measure key: the metric is numerator / denominator
    better: str = "up"  # which way is good news: up, down, or none

    @property
    def measures(self) -> tuple[str, ...]:
        return (self.numerator,) + ((self.denominator,) if self.denominator else ())


@dataclass(frozen=True)
class Dimension:
    """`level`: the row its value belongs to. An order holds several items and payments, so a
    dimension of a finer level than an order measure splits the order over its values."""
    key: str
    label: str
    level: str
    expr: str
    grains: tuple[str, ...] = ()  # the date dimension only


@dataclass(frozen=True)
class Rollup:
    name: str
    grain: str  # the date grain its rows are kept at
    dimensions: tuple[str, ...]
    measures: tuple[str, ...]
    rows: int = 0  # an estimate of its size: the planner prefers the smallest that answers exactly


@dataclass(frozen=True)
class Query:
    """One question: metrics by dimensions over a date range with filters (a dimension key to the
    values kept; an absent key keeps everything)."""
    metrics: tuple[str, ...]
    start: date
    end: date
    by: tuple[str, ...] = ()
    grain: str = "day"  # the date grain when "date" is in `by`
    filters: dict = field(default_factory=dict)
    order_by: tuple[str, ...] = ()
    limit: int | None = None

    def filtered(self) -> dict[str, tuple]:
        return {k: tuple(v) for k, v in self.filters.items() if v}
