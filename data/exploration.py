"""An Explore question as data: what it asks of the catalogue, how it is drawn, and its URL form.

The whole question lives in the URL (`/explore?metrics=revenue,aov&by=payment_type&grain=month`),
beside the filter bar's own keys, so a copied link reopens it and a saved question is its query
string. `parse` reads a URL's values into an Exploration, dropping what the catalogue does not
know with one notice per dropped part; `to_query` writes it back in a fixed order. Nothing here
reads the warehouse: the answer is asked of the semantic layer (`Warehouse.answer`) with the
filter bar's filters, the question's own `where` filters and the user's scope.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from data import names
from data.filters import BY_KEY as BAR
from data.semantic.catalogue import CATALOGUE
from data.semantic.model import GRAINS

MAX_METRICS = 4
MAX_BY = 2
LIMITS = (10, 25, 50, 100, 500, 1000)
CHARTS = {"line": "Line", "bar": "Bars", "stacked": "Stacked bars", "area": "Area", "table": "Table",
          "pivot": "Pivot (heatmap)", "number": "Big number", "map": "Map"}
COMPARE = {"previous": "the previous period", "year": "the same period a year before"}
# The dimensions read in their own order (a line or an area follows it), not ranked by a metric.
ORDERED = ("date", "weekday", "hour", "minute", "price_band", "installments", "review_score", "delivery_days", "days_late")
MAPPED = ("state", "seller_state")
# Filters the bar has not: Explore's "More filters" (the date is the bar's range).
WHERE = tuple(k for k in CATALOGUE.dimensions if k not in BAR and k != "date")
# The query keys Explore owns; everything else in the URL is the filter bar's.
OWN = ("metrics", "by", "grain", "chart", "vs", "sort", "limit") + WHERE

# The pickers' groups, in the order people look for them.
METRIC_GROUPS = (
    ("Sales", ("revenue", "orders", "aov", "items", "product_revenue", "freight", "freight_per_order",
               "average_price")),
    ("Payments", ("payments", "payment_count", "voucher_share")),
    ("Customers", ("customers", "new_customers", "returning_customers", "one_time_customers")),
    ("Delivery", ("on_time_rate", "late_share", "delivery_days", "estimated_days", "handoff_days", "delivered_orders",
                  "cancellation_rate")),
    ("Reviews", ("review_score", "reviews", "low_reviews", "low_score_share", "commented_reviews", "comment_share")),
)
DIMENSION_GROUPS = (
    ("Time", ("date", "weekday", "hour", "minute")),
    ("Customer", ("state", "status")),
    ("Product and seller", ("category", "product", "seller", "seller_state", "price_band")),
    ("Payment", ("payment_type", "installments")),
    ("Delivery and reviews", ("delivery_days", "days_late", "review_score")),
)
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
PRICE_EDGES = (25, 50, 100, 200, 500, 1000)


@dataclass(frozen=True)
class Exploration:
    """One Explore question. `chart` None draws the chart the question suits (`suited`); `sort` is a
    metric or dimension key, "-" first for descending, None the natural order; `where` holds
    filters on dimensions the bar lacks, as URL strings."""
    metrics: tuple[str, ...] = ("revenue",)
    by: tuple[str, ...] = ("date",)
    grain: str | None = None  # None: by the range's length (data.queries.auto_grain)
    chart: str | None = None
    vs: str | None = None
    sort: str | None = None
    limit: int | None = None
    where: dict = field(default_factory=dict)

    @property
    def shown(self) -> str:
        """The chart drawn: the chosen one when it suits the question, else the suited one."""
        return self.chart if self.chart in charts_for(self) else suited(self)

    def order_by(self) -> tuple[str, ...]:
        """The semantic query's order: the chosen sort, else by date or the ordered dimension, else
        the first metric descending (the largest bars first), the dimensions breaking ties."""
        if self.sort:
            return (self.sort, *(k for k in self.by if k != self.sort.lstrip("-")))
        if self.by and (self.by[0] in ORDERED or self.shown == "pivot"):
            return self.by
        return (f"-{self.metrics[0]}", *self.by) if self.by else ()

    def row_limit(self) -> int | None:
        """The chosen limit; by default the 25 largest of one ranked dimension (categories, sellers),
        every row otherwise (the semantic layer refuses an answer too long to send, saying so)."""
        if self.limit:
            return self.limit
        if len(self.by) == 1 and self.by[0] not in ORDERED and self.by[0] not in MAPPED:
            return 25
        return None

    def filters(self) -> dict[str, tuple]:
        return {k: tuple(v) for k, v in self.where.items() if v}


def charts_for(e: Exploration) -> tuple[str, ...]:
    """The charts that can draw this question."""
    if not e.by:
        return ("number", "table", "bar")
    out = ["table", "bar"]
    if len(e.by) == 2:
        out += ["stacked", "pivot"]
    if e.by[0] in ORDERED:
        out += ["line", "area"]
    if len(e.by) == 1 and e.by[0] in MAPPED:
        out.append("map")
    return tuple(k for k in CHARTS if k in out)


def suited(e: Exploration) -> str:
    """The chart a question suits: a big number without dimensions, a line over time (or an ordered
    dimension), a heatmap for two unordered dimensions, bars otherwise."""
    if not e.by:
        return "number"
    if e.by[0] in ORDERED:
        return "line"
    if len(e.by) == 2:
        return "pivot"
    return "bar"


def _list(raw) -> list[str]:
    """A URL value (a string, or the list parse_qs gives) as its comma-separated parts."""
    if raw is None:
        return []
    items = raw if isinstance(raw, (list, tuple)) else [raw]
    return [p.strip() for item in items for p in str(item).split(",") if p.strip()]


def _one(raw) -> str | None:
    found = _list(raw)
    return found[-1] if found else None


def parse(args: dict) -> tuple[Exploration, list[str]]:
    """The Exploration a URL's query values ask, and a notice per part dropped (an unknown metric,
    dimension, grain, chart, comparison, sort, limit or filter value). ValueError when `args` is not
    a mapping at all (a crafted request, not a URL)."""
    if not isinstance(args, dict):
        raise ValueError("the question is not a set of query values")
    notices = []
    metrics = []
    for key in _list(args.get("metrics")):
        if key not in CATALOGUE.metrics:
            notices.append(f"dropped the metric {key[:40]!r}: the catalogue has no such metric")
        elif key not in metrics:
            metrics.append(key)
    if len(metrics) > MAX_METRICS:
        notices.append(f"kept the first {MAX_METRICS} metrics of {len(metrics)}")
        metrics = metrics[:MAX_METRICS]
    by = []
    for key in _list(args.get("by")):
        if key not in CATALOGUE.dimensions:
            notices.append(f"dropped the dimension {key[:40]!r}: the catalogue has no such dimension")
        elif key in metrics:
            notices.append(f"dropped the dimension {key!r}: it is asked for as a metric")
        elif key not in by:
            by.append(key)
    if len(by) > MAX_BY:
        notices.append(f"kept the first {MAX_BY} dimensions of {len(by)}")
        by = by[:MAX_BY]
    if "date" in by:  # the date first: it is the axis, the other dimension the series
        by.remove("date")
        by.insert(0, "date")
    grain = _one(args.get("grain"))
    if grain == "auto":
        grain = None
    if grain is not None and grain not in GRAINS:
        notices.append(f"dropped grain={grain[:20]!r}: use one of {', '.join(GRAINS)}")
        grain = None
    vs = _one(args.get("vs"))
    if vs is not None and vs not in COMPARE:
        notices.append(f"dropped vs={vs[:20]!r}: compare with previous or year")
        vs = None
    limit = _one(args.get("limit"))
    if limit is not None:
        if limit.isdigit() and 1 <= int(limit) <= max(LIMITS):
            limit = int(limit)
        else:
            notices.append(f"dropped limit={limit[:20]!r}: a whole number from 1 to {max(LIMITS):,}")
            limit = None
    where = {}
    for key in WHERE:
        kept = []
        for raw in _list(args.get(key)):
            try:
                v = CATALOGUE.dimensions[key].value(raw)
            except ValueError as exc:
                notices.append(f"dropped {key}={raw[:40]!r}: {exc}")
                continue
            domain = CATALOGUE.dimensions[key].domain
            if isinstance(domain, tuple) and v not in domain:
                notices.append(f"dropped {key}={raw[:40]!r}: not a value of {CATALOGUE.dimensions[key].label}")
            elif str(v) not in kept:
                kept.append(str(v))
        if kept:
            where[key] = tuple(kept)
    e = Exploration(tuple(metrics) or ("revenue",), tuple(by), grain, None, vs, None, limit, where)
    if not metrics and "metrics" in args:
        notices.append("no known metric was named: showing revenue")
    if "metrics" not in args and "by" not in args:
        e = replace(e, by=("date",))  # a bare /explore: revenue by month
    chart = _one(args.get("chart"))
    if chart is not None:
        if chart not in CHARTS:
            notices.append(f"dropped chart={chart[:20]!r}: use one of {', '.join(CHARTS)}")
        elif chart not in charts_for(e):
            notices.append(f"drew a {CHARTS[suited(e)].lower()}: a {CHARTS[chart].lower()} cannot show this question")
        else:
            e = replace(e, chart=chart)
    sort = _one(args.get("sort"))
    if sort is not None:
        if sort.lstrip("-") in (*e.metrics, *e.by):
            e = replace(e, sort=sort)
        else:
            notices.append(f"dropped sort={sort[:40]!r}: sort by one of the question's metrics or dimensions")
    return e, notices


def to_query(e: Exploration) -> dict[str, str]:
    """The URL query values of `e`, in OWN's order (defaults left out, except the metrics and by)."""
    out = {"metrics": ",".join(e.metrics), "by": ",".join(e.by)}
    if "date" in e.by and e.grain:
        out["grain"] = e.grain
    if e.chart and e.chart != suited(e):
        out["chart"] = e.chart
    if e.vs:
        out["vs"] = e.vs
    if e.sort:
        out["sort"] = e.sort
    if e.limit:
        out["limit"] = str(e.limit)
    for key in WHERE:
        if e.where.get(key):
            out[key] = ",".join(e.where[key])
    return out


def more_count(e: Exploration) -> str:
    """The "More filters" badge: how many of them are set ("" for none)."""
    n = sum(1 for v in e.where.values() if v)
    return str(n) if n else ""


def chart_options(e: Exploration) -> list[dict]:
    """The chart picker's choices, those that cannot draw `e` greyed out."""
    allowed = charts_for(e)
    return [{"label": label, "value": k, "disabled": k not in allowed} for k, label in CHARTS.items()]


def sort_options(e: Exploration) -> list[dict]:
    """The sort picker's choices: automatic, each metric both ways, each dimension in its order."""
    out = [{"label": "Automatic", "value": "auto"}]
    for k in e.metrics:
        label = CATALOGUE.metrics[k].label
        out += [{"label": f"{label}, largest first", "value": f"-{k}"},
                {"label": f"{label}, smallest first", "value": k}]
    for k in e.by:
        out.append({"label": f"{CATALOGUE.dimensions[k].label}, in order", "value": k})
    return out


def value_name(key: str, value) -> str:
    """A dimension's value as people read it (a state's name, a weekday, a price band's range)."""
    if value is None:
        return "Unknown"
    if key in ("state", "seller_state"):
        return names.state(value)
    if key == "category":
        return names.category(value)
    if key == "status":
        return names.status(value)
    if key == "payment_type":
        return names.payment_type(value)
    if key == "seller":
        return names.seller(value, None, None).split(" · ")[-1]
    if key == "product":
        return str(value)[:8]
    if key == "weekday":
        return WEEKDAYS[int(value) - 1]
    if key == "hour":
        return f"{int(value):02d}h"
    if key == "minute":
        return f"{int(value) // 60:02d}:{int(value) % 60:02d}"
    if key == "price_band":
        k = int(value)
        if k == 0:
            return f"under R$ {PRICE_EDGES[0]}"
        if k >= len(PRICE_EDGES):
            return f"R$ {PRICE_EDGES[-1]:,} and over"
        return f"R$ {PRICE_EDGES[k - 1]}–{PRICE_EDGES[k]}"
    if key == "installments":
        return f"{value} installment{'s' if int(value) != 1 else ''}"
    if key == "review_score":
        return f"{value} ★"
    if key == "delivery_days":
        return f"{value}+ days" if int(value) >= 60 else f"{value} days"
    if key == "days_late":
        v = int(value)
        return "on the day" if v == 0 else f"{v} days late" if v > 0 else f"{-v} days early"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def describe(e: Exploration) -> str:
    """The question in words ("Revenue and AOV by payment type per month"), for titles and file names."""
    labels = [CATALOGUE.metrics[m].label for m in e.metrics]
    text = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]
    dims = [CATALOGUE.dimensions[d].label.lower() for d in e.by if d != "date"]
    if dims:
        text += " by " + " and ".join(dims)
    if "date" in e.by:
        text += f" per {e.grain or 'period'}"
    if e.vs:
        text += f", vs {COMPARE[e.vs]}"
    return text


def file_name(e: Exploration) -> str:
    """A file name for the question's export ("revenue-aov_by_payment_type_month")."""
    parts = ["-".join(e.metrics)] + (["by", "-".join(e.by)] if e.by else []) + ([e.grain or ""] if "date" in e.by else [])
    return "_".join(parts)[:80]
