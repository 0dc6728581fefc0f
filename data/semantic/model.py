"""The semantic layer's vocabulary: measures, metrics, dimensions, rollups and queries, as data.

A measure is something summed or counted at one grain of the star (an order, an item, a payment,
a review); a metric is what people read, built from measures (AOV is revenue over orders with
items); a dimension is what answers are grouped and filtered by, at the grain its value belongs
to. A rollup declares which dimensions and measures it keeps at which date grain. The planner
(data/semantic/planner.py) reads only these declarations, so a new rollup, dimension or metric
is a declaration, never a new code path.
"""
from __future__ import annotations

import uuid
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
    expr: str  # SQL over the star's aliases; {first_order} and {period} are the person's first order
    # date and the first day of the answer row's period (the range's start when not by date)
    people: str | None = None  # a distinct count of repeat buyers: the same over the people source's
    # rows (`Catalogue.people`), which answers it whenever the query's dimensions are there
    per_order: str | None = None  # the order's own total of it (fact_orders keeps them): summed over
    # orders instead of the finer rows whenever no dimension of its level is asked


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    definition: str
    fmt: str  # money | count | pct | score | days
    numerator: str  # a measure key
    denominator: str | None = None  # a measure key: the metric is numerator / denominator
    better: str = "up"  # which way is good news: up, down, or none
    plus: tuple[str, ...] = ()  # measures added to the numerator (people: one-order plus repeat buyers)

    @property
    def measures(self) -> tuple[str, ...]:
        return (self.numerator, *self.plus) + ((self.denominator,) if self.denominator else ())


@dataclass(frozen=True)
class Dimension:
    """`level`: the row its value belongs to. An order holds several items and payments, so a
    dimension of a finer level than an order measure splits the order over its values."""
    key: str
    label: str
    level: str
    expr: str
    grains: tuple[str, ...] = ()  # the date dimension only
    type: str = "text"  # text | int | uuid: what a filter value must be
    of_day: str | None = None  # SQL over a day `{d}` when the value follows from the date (weekday):
    # then every daily rollup has it
    default: tuple = ()  # the values an absent filter keeps (() keeps everything)
    domain: tuple | str | None = None  # the values it can take, or SQL that lists them; None: not checked
    star_filter: str | None = None  # what a filter compares on the star, when not `expr` (an indexed
    # uuid column rather than its text: a seller's items are found by the index)
    selective: bool = False  # one value picks a small share of the rows (a category, a seller): every
    # rollup keeping it is indexed by it and the period, so such a filter reads only its rows

    def value(self, raw):
        """A filter value as this dimension holds it; ValueError when it cannot be one."""
        if self.type == "int":
            if isinstance(raw, bool) or not isinstance(raw, (int, str)) or not str(raw).strip().lstrip("-").isdigit():
                raise ValueError(f"{raw!r} is not a whole number")
            return int(raw)
        if self.type == "uuid":
            try:
                return str(uuid.UUID(str(raw)))
            except ValueError:
                raise ValueError(f"{str(raw)[:40]!r} is not an id") from None
        if not isinstance(raw, str) or not raw.strip() or len(raw) > 200:
            raise ValueError(f"{raw!r} is not a value of {self.key}")
        return raw.strip()


@dataclass(frozen=True)
class Rollup:
    name: str
    grain: str  # the date grain its rows are kept at
    dimensions: tuple[str, ...]
    measures: tuple[str, ...]
    rows: int = 0  # an estimate of its size: the planner prefers the smallest that answers exactly
    source: str | None = None  # a finer rollup it is summed from; None: the star schema
    # An overlap table, not an answer: one row per order holding two or more values of this
    # multi-valued dimension (an order of two categories), with its own totals of `measures` and
    # its values as an array. A rollup's rows summed over several values of that dimension count
    # such an order once per value it holds among them; subtracting (matches - 1) times its totals
    # makes the sum exact. Such orders are few (a few percent), so the table is small.
    overlap: str | None = None

    @property
    def table(self) -> str:
        return f"warehouse.rollup_{self.name}"


@dataclass(frozen=True)
class People:
    """A generated table with one row per order of the people with two or more orders (about 6% of
    orders): the person, their first order date, the order's own dimensions (`dimensions`) and, for
    each finer dimension (`lists`), the order's values as an array. Distinct repeat buyers are
    counted from it exactly for any grouping and filtering of those dimensions, with at most one
    list of each level (two item lists could match through two different items)."""
    name: str
    dimensions: tuple[str, ...]
    lists: tuple[str, ...]

    @property
    def table(self) -> str:
        return f"warehouse.rollup_{self.name}"


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
