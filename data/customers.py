"""The Customers page's questions: new and returning people, cohorts, RFM, lifetime value, repeat purchases.

A person is a `customer_unique_id`. Person-level facts (first order, repeat customer) look at all
history and every status, as the glossary says; what a person did in the view counts only the
orders the filters select. The ETL keeps two tables for this beside the rollups: `customer_orders`
(one narrow row per order of a known person, `single` for the ~97% of people with one order, who
need no grouping) and `repeat_buyer_orders` (the other people's orders, ~6% of orders, each with
the person's first and second order dates, so no question needs a window over all history). The
one-order people's counts come from the daily rollups' `single_buyer_orders`, and their
lifetime-value tiers from `agg_daily_single_ltv`, where those answer the filters; a category's
one-order people are one range of `order_categories`. The tests compare every answer with the
same questions asked of these tables defined straight over the facts (tests/oracle.py).
"""
from __future__ import annotations

from decimal import Decimal

import numpy as np
import sqlalchemy as sa

from data.filters import Filters
from data.metrics import ratio
from data.queries import (GRAINS, W, _period, _rollup_where, customer_orders, finer, holding, holds_any,
                          only_categories, order_categories, repeat)
from data.semantic.answer import statement
from data.semantic.model import Query
from etl.rollups import LTV_BANDS  # lifetime value tiers: upper bounds in R$ (exclusive); the last is open

agg_single_ltv = sa.Table("agg_daily_single_ltv", W, *(sa.Column(c) for c in (
    "purchase_date", "customer_state", "order_status", "tier", "orders", "order_cents")))

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
# Days from a person's first to their second order: bins as (first day, last day or None).
GAP_BINS = ((0, 7), (8, 30), (31, 60), (61, 90), (91, 180), (181, 365), (366, None))


def money(cents) -> Decimal:
    """Integer cents as reais."""
    return Decimal(int(cents)) / 100


def _single_orders(f: Filters):
    """The selected orders of one-order people (each is one person): customer_unique_id,
    purchase_date, order_cents. A filter of categories alone reads `order_categories` (one range of
    its index per category; an order holding two chosen categories once); otherwise
    `customer_orders`, matching the finer filters through the items, payments and reviews."""
    if only_categories(f):
        b = order_categories.c
        q = sa.select(b.customer_unique_id, b.purchase_date, b.order_cents).where(b.single, *_rollup_where(b, f))
        return (q.distinct() if len(f.categories) > 1 else q).subquery("single_orders")
    p = customer_orders
    return (sa.select(p.c.customer_unique_id, p.c.purchase_date, p.c.order_cents)
            .where(p.c.single, _selected(p, f)).subquery("single_orders"))


def _selected(p, f: Filters):
    """The orders of `p` the filters select (an order matches a category, seller or payment type
    through any of its items or payments; the repeat buyers' orders list their categories)."""
    where = [p.c.purchase_date.between(f.start, f.end), p.c.order_status.in_(f.statuses)]
    if f.states:
        where.append(p.c.customer_state.in_(f.states))
    if finer(f) and (not only_categories(f) or "categories" not in p.c):
        where.append(p.c.order_id.in_(holding(f)))
    elif f.categories:
        where.append(holds_any(p.c.categories, f.categories))
    return sa.and_(*where)


def _single_days(conn, f: Filters):
    """Selected orders of one-order people (each is one person) per purchase day, as a subquery
    (day, n): the semantic layer's one-time customers by day."""
    st = statement(conn, Query(("one_time_customers",), f.start, f.end, ("date",), "day", f.by_dimension()))
    d = st.subquery("semantic_single_days", "date", "one_time_customers")
    return sa.select(d.c.date.label("day"), d.c.one_time_customers.label("n")).subquery("single_days")


def _singles(conn, f: Filters, grain: str | None = None):
    """Selected orders of one-order people (each is one person, new in its period): their number, or
    per period of `grain` ({period: n}, periods with none left out)."""
    d = _single_days(conn, f)
    n = sa.func.sum(d.c.n)
    if grain is None:
        return int(conn.execute(sa.select(sa.func.coalesce(n, 0))).scalar_one())
    period = _period(grain, d.c.day)
    return {day: int(k) for day, k in conn.execute(sa.select(period, n).group_by(period).having(n > 0))}


def _month_index(day):
    return sa.cast(sa.extract("year", day) * 12 + sa.extract("month", day), sa.Integer)


def _offset(r):
    """Months from the person's first order to this order."""
    return _month_index(r.c.purchase_date) - _month_index(r.c.first_date)


def _newcomers(r, f: Filters):
    """The selected orders of repeat buyers whose first order is in the range. Such a person is
    acquired in the view when one of these orders falls in the first order's month (offset 0), so
    that a cohort's size bounds each of its cells."""
    return sa.and_(_selected(r, f), r.c.first_date >= f.start)


def summary(conn, f: Filters) -> dict:
    """Customers in the view, how many are new (first order in the range) or returning, and how
    many are repeat customers (two or more orders in all history)."""
    singles = _singles(conn, f)
    r = repeat
    per = (sa.select(r.c.customer_unique_id, sa.func.min(r.c.first_date).label("first_date"))
           .where(_selected(r, f)).group_by(r.c.customer_unique_id).subquery())
    repeat_people, repeat_new = conn.execute(
        sa.select(sa.func.count(), sa.func.count().filter(per.c.first_date >= f.start))).one()
    people = singles + repeat_people
    return {"customers": people, "new": singles + repeat_new, "returning": repeat_people - repeat_new,
            "repeat_customers": repeat_people, "repeat_rate": ratio(repeat_people, people)}


def new_returning(conn, f: Filters, grain: str) -> list[dict]:
    """Per period: people whose first order falls in it (and in the range), and people who came back."""
    if grain not in GRAINS:
        raise ValueError(f"unknown grain {grain!r}")
    out = {day: {"period": day, "new": n, "returning": 0} for day, n in _singles(conn, f, grain).items()}
    r = repeat
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


def cohorts(conn, f: Filters) -> list[dict]:
    """Monthly cohorts of the people acquired in the range: cohort month, months since, people
    with a selected order that month. Offset 0 is the cohort's size."""
    cells = {(cohort, 0): n for cohort, n in _singles(conn, f, "month").items()}
    r = repeat
    cohort, offset = _period("month", r.c.first_date), _offset(r)
    per = (sa.select(r.c.customer_unique_id, cohort.label("cohort"), offset.label("offset"))
           .where(_newcomers(r, f)).group_by(r.c.customer_unique_id, cohort, offset).subquery())
    acquired = sa.func.bool_or(per.c.offset == 0).over(partition_by=per.c.customer_unique_id)
    active = sa.select(per, acquired.label("acquired")).subquery()
    q = (sa.select(active.c.cohort, active.c.offset, sa.func.count()).where(active.c.acquired)
         .group_by(active.c.cohort, active.c.offset))
    for cohort, k, n in conn.execute(q):
        cells[(cohort, k)] = cells.get((cohort, k), 0) + n
    return [{"cohort": c, "offset": k, "customers": n} for (c, k), n in sorted(cells.items())]


def _people(f: Filters):
    """Per person in the view, as two selects (one-order people; repeat buyers): days from their
    last selected order to the range's end, selected orders, and those orders' revenue in cents."""
    end = sa.literal(f.end, sa.Date)
    p, r = _single_orders(f), repeat
    singles = sa.select(p.c.customer_unique_id, (end - p.c.purchase_date).label("recency"),
                        sa.literal(1).label("frequency"), p.c.order_cents.label("monetary"))
    repeats = (sa.select(r.c.customer_unique_id, (end - sa.func.max(r.c.purchase_date)).label("recency"),
                         sa.func.count().label("frequency"),
                         sa.cast(sa.func.sum(r.c.order_cents), sa.BigInteger).label("monetary"))
               .where(_selected(r, f)).group_by(r.c.customer_unique_id))
    return singles, repeats


def _reached(value, thresholds: list):
    """How many of the thresholds `value` (SQL) reaches (0 to 4; a missing threshold is never reached)."""
    steps = [sa.case((value >= sa.literal(t, sa.BigInteger), 1), else_=0) for t in thresholds if t is not None]
    return sum(steps[1:], steps[0]) if steps else sa.literal(0)


def quintile_thresholds(values: np.ndarray) -> list[int | None]:
    """The four quintile thresholds of `values` (one per person): t_k is the smallest value that
    at least k fifths of the people lie strictly below (None when no value is). A score counts the
    thresholds a value reaches, so ties score alike."""
    ordered = np.sort(values)
    distinct = ordered[np.r_[True, ordered[1:] != ordered[:-1]]] if len(ordered) else ordered
    below = np.searchsorted(ordered, distinct, side="left")  # people with a smaller value
    out = []
    for k in range(1, 5):
        at = np.flatnonzero(5 * below >= k * len(ordered))
        out.append(int(distinct[at[0]]) if len(at) else None)
    return out


def reached(values: np.ndarray, thresholds: list) -> np.ndarray:
    """How many of the thresholds each value reaches (0 to 4; a missing threshold is never reached)."""
    return sum((values >= t).astype(np.int64) for t in thresholds if t is not None) + np.zeros(len(values), np.int64)


# A person's recency (days, under 2^16) and spend (cents) packed in one bigint, so that every
# person of a view crosses the wire in one bytea that numpy reads in place.
_DAYS = 1 << 16


def _packed(conn, q, frequency: bool) -> np.ndarray:
    """The people of select `q` (recency, frequency, monetary) as rows of int64 (recency,
    frequency, monetary); `frequency` False: every one of them has one order (not sent)."""
    x = q.subquery()
    row = sa.func.int8send(sa.cast(x.c.monetary, sa.BigInteger) * _DAYS + x.c.recency)
    if frequency:
        row = row.op("||")(sa.func.int4send(sa.cast(x.c.frequency, sa.Integer)))
    found = conn.execute(sa.select(sa.func.string_agg(row, sa.literal(b"", sa.LargeBinary)))).scalar() or b""
    people = np.frombuffer(found, dtype=np.dtype([("key", ">i8")] + ([("frequency", ">i4")] if frequency else [])))
    key = people["key"].astype(np.int64)
    orders = people["frequency"].astype(np.int64) if frequency else np.ones(len(key), np.int64)
    return np.stack([key % _DAYS, orders, key // _DAYS], axis=1)


def rfm(conn, f: Filters) -> dict:
    """The view's RFM scoring: quintile thresholds of recency (days) and monetary (cents), four
    each, and the people per (R, M, two or more orders in the view) cell with their spend in
    cents, recency and orders summed.

    Every person of the view crosses the wire once, packed (`_packed`: 8 bytes a one-order
    person, 12 a repeat buyer; the 940,000 one-order people of all history at 1M orders in about
    250 ms), and numpy sorts, scores and counts them. The same in SQL (the one-order people
    grouped by spend, then window sums over the spends) took about a second."""
    singles, repeats = _people(f)
    people = np.concatenate([_packed(conn, singles, False), _packed(conn, repeats, True)])
    recency, frequency, monetary = people[:, 0], people[:, 1], people[:, 2]
    rt, mt = quintile_thresholds(recency), quintile_thresholds(monetary)
    r = 5 - reached(recency, rt)  # recent is good
    m = 1 + reached(monetary, mt)
    several = (frequency >= 2).astype(np.int64)
    cell = (r * 6 + m) * 2 + several
    size = 6 * 6 * 2
    n = np.bincount(cell, minlength=size)
    sums = [np.bincount(cell, weights=w, minlength=size) for w in (monetary, recency, frequency)]
    return {"recency": rt, "monetary": mt,
            "cells": [(k // 12, k // 2 % 6, bool(k % 2), int(n[k]), int(sums[0][k]), int(sums[1][k]), int(sums[2][k]))
                      for k in np.flatnonzero(n)]}


def segment_of(r: int, m: int, repeat: bool) -> str:
    """The named segment of an R score, an M score and whether the person ordered twice or more."""
    if repeat:
        return "Champions" if r >= 4 and m >= 4 else "Loyal" if r >= 3 else "At risk"
    if r >= 4:
        return "Promising" if m >= 4 else "New"
    return {3: "Need attention", 2: "Hibernating"}.get(r, "Lost")


CELLS = {name: [(r, m, rep) for r in range(1, 6) for m in range(1, 6) for rep in (False, True)
                if segment_of(r, m, rep) == name] for name in SEGMENT_NAMES}


def _scored(f: Filters, thresholds: dict):
    """Every person in the view with their R and M scores (1 to 5) and whether they ordered twice
    or more in the view, as two selects (one-order people; repeat buyers); the segment follows
    from those three (`segment_of`)."""
    def scored(q):
        q = q.subquery()
        return sa.select(q, (5 - _reached(q.c.recency, thresholds["recency"])).label("r"),  # recent is good
                         (1 + _reached(q.c.monetary, thresholds["monetary"])).label("m"),
                         (q.c.frequency >= 2).label("repeat"))  # two or more orders in the view
    singles, repeats = _people(f)
    return scored(singles), scored(repeats)


def rfm_segments(conn, f: Filters, scored: dict | None = None) -> list[dict]:
    """The RFM segments of the people in the view: size, revenue, shares, mean recency / orders / spend.
    `scored`: the view's `rfm`, when the caller has it (the Warehouse caches it)."""
    found: dict[str, list] = {}
    for r, m, several, n, cents, recency, frequency in (scored or rfm(conn, f))["cells"]:
        acc = found.setdefault(segment_of(r, m, several), [0, Decimal(0), 0, 0])
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


def segment_members(conn, f: Filters, segment: str, limit: int = 500, scored: dict | None = None) -> list[dict]:
    """The people of one RFM segment, largest spend first (an unknown segment has none).
    `scored`: the view's `rfm`, when the caller has it (its thresholds score the people)."""
    if segment not in SEGMENT_NAMES:
        return []
    parts = []
    for part in _scored(f, scored or rfm(conn, f)):
        s = part.subquery()
        parts.append(sa.select(s).where(sa.tuple_(s.c.r, s.c.m, s.c.repeat).in_(CELLS[segment])))
    members = sa.union_all(*parts).subquery()
    q = sa.select(members).order_by(members.c.monetary.desc(), members.c.customer_unique_id).limit(limit)
    return [{"customer_unique_id": str(r["customer_unique_id"]), "recency": int(r["recency"]),
             "orders": int(r["frequency"]), "revenue": money(r["monetary"]), "r": r["r"], "f": min(int(r["frequency"]), 5),
             "m": r["m"]}
            for r in conn.execute(q).mappings()]


def ltv_tiers(conn, f: Filters) -> list[dict]:
    """The people in the view by lifetime value: revenue of all their orders in all history with
    the selected statuses. Tier k covers [LTV_BANDS[k-1], LTV_BANDS[k]) in R$.

    A one-order person's lifetime value is their selected order's: counted per tier by the
    `agg_daily_single_ltv` rollup where no category or seller is chosen. Repeat buyers' values
    are summed over their orders in `repeat_buyer_orders`."""
    r = repeat
    bands = sa.literal([b * 100 for b in LTV_BANDS], sa.ARRAY(sa.BigInteger))
    if not finer(f):
        t = agg_single_ltv.c
        singles = (sa.select(t.tier, sa.func.sum(t.orders), sa.func.sum(t.order_cents))
                   .where(*_rollup_where(t, f)).group_by(t.tier))
    else:
        p = _single_orders(f)
        tier = sa.func.width_bucket(p.c.order_cents, bands)
        singles = sa.select(tier, sa.func.count(), sa.func.sum(p.c.order_cents)).group_by(tier)
    in_view = sa.select(r.c.customer_unique_id).where(_selected(r, f))
    per_person = (sa.select(sa.cast(sa.func.sum(r.c.order_cents), sa.BigInteger).label("ltv"))
                  .where(r.c.order_status.in_(f.statuses), r.c.customer_unique_id.in_(in_view))
                  .group_by(r.c.customer_unique_id).subquery())
    tier = sa.func.width_bucket(per_person.c.ltv, bands)
    repeats = sa.select(tier, sa.func.count(), sa.func.sum(per_person.c.ltv)).group_by(tier)
    rows: dict[int, dict] = {}
    for q in (singles, repeats):
        for k, n, cents in conn.execute(q):
            row = rows.setdefault(k, {"customers": 0, "revenue": Decimal(0)})
            row["customers"] += int(n)
            row["revenue"] += money(cents)
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


def second_order(conn, f: Filters) -> dict:
    """Of the people acquired in the range, how many ordered again, and the days from their first
    to their second order (any status, any later date): median, mean and a histogram."""
    singles = _singles(conn, f)
    r = repeat
    gaps = (sa.select(sa.func.min(r.c.second_date - r.c.first_date).label("days"))
            .where(_newcomers(r, f)).group_by(r.c.customer_unique_id)
            .having(sa.func.bool_or(_offset(r) == 0)).subquery())
    days = gaps.c.days
    bins = [sa.func.count().filter(days >= lo if hi is None else days.between(lo, hi)) for lo, hi in GAP_BINS]
    row = conn.execute(sa.select(sa.func.count(), sa.func.percentile_disc(0.5).within_group(days),
                                 sa.func.avg(days), *bins)).one()
    returned = row[0]
    return {"acquired": singles + returned, "returned": returned, "rate": ratio(returned, singles + returned),
            "median_days": row[1], "mean_days": float(row[2]) if row[2] is not None else None,
            "bins": [{"from": lo, "to": hi, "customers": n} for (lo, hi), n in zip(GAP_BINS, row[3:])]}
