"""The Customers page's questions: new and returning people, cohorts, RFM, lifetime value, repeat purchases.

A person is a `customer_unique_id`. Person-level facts (first order, repeat customer) look at all
history and every status, as the glossary says; what a person did in the view counts only the
orders the filters select. Everything is answered by `customer_orders` (one narrow row per order
of a known person, refreshed by the ETL with the rollups): the people with one order (about 97%)
need no grouping at all, and the window functions run over the repeat buyers' orders only. The
"facts" source answers the same from `fact_orders` and `dim_customers`, for the property test.
"""
from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from data.filters import Filters
from data.metrics import ratio
from data.queries import GRAINS, W, _choose, _period, _state, customers, item_hits, needs_items, orders

customer_orders = sa.Table("customer_orders", W, *(sa.Column(c) for c in (
    "order_id", "customer_unique_id", "purchase_date", "customer_state", "order_status", "order_cents", "single")))

# RFM: the named segments, in the order the page lists them, with the rule each stands for.
SEGMENTS = (
    ("Champions", "Two or more orders, recent (R 4-5) and high spend (M 4-5)."),
    ("Loyal", "Two or more orders, fairly recent (R 3-5), not Champions."),
    ("At risk", "Two or more orders, but none recently (R 1-2)."),
    ("Promising", "One order, recent (R 4-5) and high spend (M 4-5)."),
    ("New", "One order, recent (R 4-5), lower spend."),
    ("Need attention", "One order, middling recency (R 3)."),
    ("Hibernating", "One order, long ago (R 2)."),
    ("Lost", "One order, longest ago (R 1)."),
)
SEGMENT_NAMES = tuple(name for name, _ in SEGMENTS)
# Lifetime value tiers: upper bounds in R$ (exclusive); the last tier is open.
LTV_BANDS = (50, 100, 250, 500, 1000)
# Days from a person's first to their second order: bins as (first day, last day or None).
GAP_BINS = ((0, 7), (8, 30), (31, 60), (61, 90), (91, 180), (181, 365), (366, None))


def money(cents) -> Decimal:
    """Integer cents as reais."""
    return Decimal(int(cents)) / 100


def _person_orders(f: Filters, source: str):
    """Every order of a known person with the columns of `customer_orders`, from the chosen source."""
    if _choose(f, source, customer_orders) is not None:
        return customer_orders
    o, c = orders.c, customers.c
    others = sa.func.count().over(partition_by=c.customer_unique_id)
    return (sa.select(o.order_id, c.customer_unique_id, o.purchase_date,
                      _state(c.customer_state).label("customer_state"), o.order_status,
                      sa.cast(o.order_value * 100, sa.BigInteger).label("order_cents"),
                      (others == 1).label("single"))
            .select_from(orders.join(customers, o.customer_id == c.customer_id))
            .where(c.customer_unique_id.is_not(None)).subquery("person_orders"))


def _selected(p, f: Filters):
    """The orders the filters select (an order matches a category or seller through any of its items)."""
    where = [p.c.purchase_date.between(f.start, f.end), p.c.order_status.in_(f.statuses)]
    if f.states:
        where.append(p.c.customer_state.in_(f.states))
    if needs_items(f):
        where.append(p.c.order_id.in_(item_hits(f)))
    return sa.and_(*where)


def _repeat_orders(p):
    """The repeat buyers' orders (all history) with the person's first order date and each order's rank."""
    person = p.c.customer_unique_id
    return (sa.select(*p.c, sa.func.min(p.c.purchase_date).over(partition_by=person).label("first_date"),
                      sa.func.row_number().over(partition_by=person, order_by=(p.c.purchase_date, p.c.order_id))
                      .label("rank"))
            .where(sa.not_(p.c.single)).subquery("repeat_orders"))


def _month_index(day):
    return sa.cast(sa.extract("year", day) * 12 + sa.extract("month", day), sa.Integer)


def _acquired(r, f: Filters):
    """Repeat buyers acquired in the view: first order in the range, and a selected order in that
    first order's month (so a cohort's size bounds each of its cells)."""
    return (sa.select(r.c.customer_unique_id).distinct()
            .where(_selected(r, f), r.c.first_date >= f.start,
                   _month_index(r.c.purchase_date) == _month_index(r.c.first_date)))


def summary(conn, f: Filters, source: str = "auto") -> dict:
    """Customers in the view, how many are new (first order in the range) or returning, and how
    many are repeat customers (two or more orders in all history)."""
    p = _person_orders(f, source)
    singles = conn.execute(sa.select(sa.func.count()).where(p.c.single, _selected(p, f))).scalar_one()
    r = _repeat_orders(p)
    per = (sa.select(r.c.customer_unique_id, sa.func.min(r.c.first_date).label("first_date"))
           .where(_selected(r, f)).group_by(r.c.customer_unique_id).subquery())
    repeat, repeat_new = conn.execute(sa.select(sa.func.count(), sa.func.count().filter(per.c.first_date >= f.start))
                                      ).one()
    people = singles + repeat
    return {"customers": people, "new": singles + repeat_new, "returning": repeat - repeat_new,
            "repeat_customers": repeat, "repeat_rate": ratio(repeat, people)}


def new_returning(conn, f: Filters, grain: str, source: str = "auto") -> list[dict]:
    """Per period: people whose first order falls in it (and in the range), and people who came back."""
    if grain not in GRAINS:
        raise ValueError(f"unknown grain {grain!r}")
    p = _person_orders(f, source)
    period = _period(grain, p.c.purchase_date)
    out: dict = {}
    for day, n in conn.execute(sa.select(period, sa.func.count()).where(p.c.single, _selected(p, f)).group_by(period)):
        out[day] = {"period": day, "new": n, "returning": 0}
    r = _repeat_orders(p)
    is_new = sa.and_(_period(grain, r.c.first_date) == _period(grain, r.c.purchase_date), r.c.first_date >= f.start)
    per = (sa.select(r.c.customer_unique_id, _period(grain, r.c.purchase_date), is_new.label("new"))
           .where(_selected(r, f)).distinct().subquery())
    q = (sa.select(per.c.period, sa.func.count().filter(per.c.new), sa.func.count().filter(sa.not_(per.c.new)))
         .group_by(per.c.period))
    for day, new, back in conn.execute(q):
        row = out.setdefault(day, {"period": day, "new": 0, "returning": 0})
        row["new"] += new
        row["returning"] += back
    return [out[k] for k in sorted(out)]


def cohorts(conn, f: Filters, source: str = "auto") -> list[dict]:
    """Monthly cohorts of the people acquired in the range: cohort month, months since, people
    with a selected order that month. Offset 0 is the cohort's size."""
    p = _person_orders(f, source)
    month = _period("month", p.c.purchase_date)
    cells: dict = {}
    for cohort, n in conn.execute(sa.select(month, sa.func.count()).where(p.c.single, _selected(p, f)).group_by(month)):
        cells[(cohort, 0)] = n
    r = _repeat_orders(p)
    acquired = _acquired(r, f).subquery()
    offset = (_month_index(r.c.purchase_date) - _month_index(r.c.first_date)).label("offset")
    active = (sa.select(r.c.customer_unique_id, _period("month", r.c.first_date).label("cohort"), offset)
              .where(_selected(r, f), r.c.customer_unique_id.in_(sa.select(acquired.c.customer_unique_id)))
              .distinct().subquery())
    q = sa.select(active.c.cohort, active.c.offset, sa.func.count()).group_by(active.c.cohort, active.c.offset)
    for cohort, k, n in conn.execute(q):
        cells[(cohort, k)] = cells.get((cohort, k), 0) + n
    return [{"cohort": c, "offset": k, "customers": n} for (c, k), n in sorted(cells.items())]


def _per_person(p, f: Filters):
    """Per person in the view: days from their last selected order to the range's end, selected
    orders, and those orders' revenue (order_value, in cents)."""
    end = sa.literal(f.end, sa.Date)
    singles = (sa.select(p.c.customer_unique_id, (end - p.c.purchase_date).label("recency"),
                         sa.literal(1).label("frequency"), p.c.order_cents.label("monetary"))
               .where(p.c.single, _selected(p, f)))
    repeats = (sa.select(p.c.customer_unique_id, (end - sa.func.max(p.c.purchase_date)).label("recency"),
                         sa.func.count().label("frequency"), sa.func.sum(p.c.order_cents).label("monetary"))
               .where(sa.not_(p.c.single), _selected(p, f)).group_by(p.c.customer_unique_id))
    return sa.union_all(singles, repeats).cte("per_person")


def _thresholds(people, column: str):
    """The four quintile thresholds of `column` over the people: t_k is the smallest value that at
    least k fifths of the people lie strictly below. A score counts the thresholds a value reaches,
    so ties score alike. Found from the value's histogram, not by sorting or joining every person."""
    value = people.c[column]
    hist = sa.select(value.label("value"), sa.func.count().label("n")).group_by(value).subquery()
    below = sa.func.sum(hist.c.n).over(order_by=hist.c.value) - hist.c.n  # people with a smaller value
    ranked = sa.select(hist.c.value, below.label("below"), sa.func.sum(hist.c.n).over().label("total")).subquery()
    return sa.select(*(sa.func.min(ranked.c.value).filter(5 * ranked.c.below >= k * ranked.c.total).label(f"t{k}")
                       for k in range(1, 5))).subquery(f"{column}_thresholds")


def _reached(value, thresholds):
    """How many of the four thresholds `value` reaches (0 to 4)."""
    return sum((sa.case((value >= thresholds.c[f"t{k}"], 1), else_=0) for k in range(2, 5)),
               sa.case((value >= thresholds.c.t1, 1), else_=0))


def segment_of(r: int, m: int, repeat: bool) -> str:
    """The named segment of an R score, an M score and whether the person ordered twice or more."""
    if repeat:
        return "Champions" if r >= 4 and m >= 4 else "Loyal" if r >= 3 else "At risk"
    if r >= 4:
        return "Promising" if m >= 4 else "New"
    return {3: "Need attention", 2: "Hibernating"}.get(r, "Lost")


CELLS = {name: [(r, m, rep) for r in range(1, 6) for m in range(1, 6) for rep in (False, True)
                if segment_of(r, m, rep) == name] for name in SEGMENT_NAMES}


def _scored(f: Filters, source: str):
    """Every person in the view with their R and M scores (1 to 5) and whether they are repeat
    buyers in the view (a subquery); the segment follows from those three (`segment_of`)."""
    people = _per_person(_person_orders(f, source), f)
    rt, mt = _thresholds(people, "recency"), _thresholds(people, "monetary")
    return (sa.select(people.c.customer_unique_id, people.c.recency, people.c.frequency, people.c.monetary,
                      (5 - _reached(people.c.recency, rt)).label("r"),  # recent is good
                      (1 + _reached(people.c.monetary, mt)).label("m"), (people.c.frequency >= 2).label("repeat"))
            .select_from(people.join(rt, sa.true()).join(mt, sa.true())).subquery("scored"))


def rfm_segments(conn, f: Filters, source: str = "auto") -> list[dict]:
    """The RFM segments of the people in the view: size, revenue, shares, mean recency / orders / spend."""
    s = _scored(f, source)
    q = (sa.select(s.c.r, s.c.m, s.c.repeat, sa.func.count(), sa.func.sum(s.c.monetary), sa.func.sum(s.c.recency),
                   sa.func.sum(s.c.frequency))
         .group_by(s.c.r, s.c.m, s.c.repeat))
    found: dict[str, list] = {}
    for r, m, repeat, n, cents, recency, frequency in conn.execute(q):
        acc = found.setdefault(segment_of(r, m, repeat), [0, Decimal(0), 0, 0])
        acc[0] += n
        acc[1] += money(cents)
        acc[2] += recency
        acc[3] += frequency
    people = sum(a[0] for a in found.values())
    revenue = sum((a[1] for a in found.values()), Decimal(0))
    return [{"segment": name, "customers": a[0], "customer_share": ratio(a[0], people), "revenue": a[1],
             "revenue_share": ratio(a[1], revenue), "recency": a[2] / a[0], "frequency": a[3] / a[0],
             "monetary": ratio(a[1], a[0])}
            for name in SEGMENT_NAMES if (a := found.get(name))]


def segment_members(conn, f: Filters, segment: str, limit: int = 500, source: str = "auto") -> list[dict]:
    """The people of one RFM segment, largest spend first (an unknown segment has none)."""
    if segment not in SEGMENT_NAMES:
        return []
    s = _scored(f, source)
    q = (sa.select(s).where(sa.tuple_(s.c.r, s.c.m, s.c.repeat).in_(CELLS[segment]))
         .order_by(s.c.monetary.desc(), s.c.customer_unique_id).limit(limit))
    return [{"customer_unique_id": str(r["customer_unique_id"]), "recency": int(r["recency"]),
             "orders": int(r["frequency"]), "revenue": money(r["monetary"]), "r": r["r"], "f": min(int(r["frequency"]), 5),
             "m": r["m"]}
            for r in conn.execute(q).mappings()]


def ltv_tiers(conn, f: Filters, source: str = "auto") -> list[dict]:
    """The people in the view by lifetime value: revenue of all their orders in all history with
    the selected statuses. Tier k covers [LTV_BANDS[k-1], LTV_BANDS[k]) in R$."""
    p = _person_orders(f, source)
    bands = sa.literal([b * 100 for b in LTV_BANDS], sa.ARRAY(sa.BigInteger))
    singles = sa.select(p.c.order_cents.label("ltv")).where(p.c.single, _selected(p, f))
    in_view = sa.select(p.c.customer_unique_id).where(sa.not_(p.c.single), _selected(p, f))
    repeats = (sa.select(sa.func.sum(p.c.order_cents).label("ltv"))
               .where(sa.not_(p.c.single), p.c.order_status.in_(f.statuses), p.c.customer_unique_id.in_(in_view))
               .group_by(p.c.customer_unique_id))
    people = sa.union_all(singles, repeats).subquery()
    tier = sa.func.width_bucket(people.c.ltv, bands).label("tier")
    q = (sa.select(tier, sa.func.count().label("customers"), sa.func.sum(people.c.ltv).label("revenue"))
         .group_by(tier).order_by(tier))
    rows = {r["tier"]: {"customers": r["customers"], "revenue": money(r["revenue"])} for r in conn.execute(q).mappings()}
    total = sum(r["customers"] for r in rows.values())
    revenue = sum((r["revenue"] for r in rows.values()), Decimal(0))
    edges = (0, *LTV_BANDS)
    out = []
    for k, low in enumerate(edges):
        high = LTV_BANDS[k] if k < len(LTV_BANDS) else None
        label = f"R$ {low:,}+" if high is None else f"R$ {low:,}-{high:,}"
        r = rows.get(k, {"customers": 0, "revenue": Decimal(0)})
        out.append({"tier": label, "customers": r["customers"], "revenue": r["revenue"],
                    "customer_share": ratio(r["customers"], total), "revenue_share": ratio(r["revenue"], revenue)})
    return out if total else []


def second_order(conn, f: Filters, source: str = "auto") -> dict:
    """Of the people acquired in the range, how many ordered again, and the days from their first
    to their second order (any status, any later date): median, mean and a histogram."""
    p = _person_orders(f, source)
    singles = conn.execute(sa.select(sa.func.count()).where(p.c.single, _selected(p, f))).scalar_one()
    r = _repeat_orders(p)
    acquired = _acquired(r, f).subquery()
    gaps = (sa.select((sa.func.max(r.c.purchase_date).filter(r.c.rank == 2)
                       - sa.func.min(r.c.first_date)).label("days"))
            .where(r.c.customer_unique_id.in_(sa.select(acquired.c.customer_unique_id)), r.c.rank <= 2)
            .group_by(r.c.customer_unique_id).subquery())
    days = gaps.c.days
    bins = [sa.func.count().filter(days >= lo if hi is None else days.between(lo, hi)) for lo, hi in GAP_BINS]
    row = conn.execute(sa.select(sa.func.count(), sa.func.percentile_disc(0.5).within_group(days),
                                 sa.func.avg(days), *bins)).one()
    returned = row[0]
    return {"acquired": singles + returned, "returned": returned, "rate": ratio(returned, singles + returned),
            "median_days": row[1], "mean_days": float(row[2]) if row[2] is not None else None,
            "bins": [{"from": lo, "to": hi, "customers": n} for (lo, hi), n in zip(GAP_BINS, row[3:])]}
