"""The planner's rules on a tiny catalogue, without a database."""
from dataclasses import replace
from datetime import date

import pytest

from data.semantic.model import Dimension, Measure, Metric, Query, Rollup
from data.semantic.planner import STAR, Catalogue, UnknownName, explain, plan, whole_periods

MEASURES = {m.key: m for m in (
    Measure("orders", "order", "count", "1"), Measure("revenue", "item", "sum", "i.price + i.freight_value"),
    Measure("items", "item", "count", "1"), Measure("payments", "payment", "sum", "pay.payment_value"),
    Measure("customers", "order", "distinct", "c.customer_unique_id"))}
METRICS = {m.key: m for m in (
    Metric("orders", "Orders", "", "count", "orders"), Metric("revenue", "Revenue", "", "money", "revenue"),
    Metric("items", "Items", "", "count", "items"), Metric("payments", "Payments", "", "money", "payments"),
    Metric("aov", "AOV", "", "money", "revenue", "orders"), Metric("customers", "Customers", "", "count", "customers"))}
DIMENSIONS = {d.key: d for d in (
    Dimension("date", "Date", "order", "o.purchase_date", ("day", "week", "month", "quarter", "year")),
    Dimension("state", "State", "order", "c.customer_state"), Dimension("status", "Status", "order", "o.order_status"),
    Dimension("category", "Category", "item", "p.category"), Dimension("payment_type", "Payment type", "payment",
                                                                        "pay.payment_type"))}
DAILY = Rollup("daily", "day", ("state", "status"), ("orders", "revenue", "items", "payments"), rows=1_000)
MONTHLY = Rollup("monthly", "month", ("state", "status"), ("orders", "revenue", "items", "payments"), rows=40)
BY_CATEGORY = Rollup("daily_categories", "day", ("state", "status", "category"), ("orders", "revenue", "items"),
                     rows=20_000)
PEOPLE = Rollup("monthly_people", "month", ("state",), ("customers", "orders"), rows=50)
C = Catalogue(MEASURES, METRICS, DIMENSIONS, (DAILY, MONTHLY, BY_CATEGORY, PEOPLE))
JAN, MAR = date(2018, 1, 1), date(2018, 3, 31)


def q(*metrics, by=(), grain="day", start=JAN, end=MAR, **filters):
    return Query(tuple(metrics), start, end, tuple(by), grain, filters)


def test_the_smallest_rollup_that_answers_wins_and_whole_months_read_the_monthly_one():
    assert plan(C, q("revenue", "aov")).table == "monthly"
    assert plan(C, q("revenue", by=["date"], grain="month")).table == "monthly"
    assert plan(C, q("revenue", by=["date"], grain="week")).table == "daily"  # weeks cross months
    assert plan(C, q("revenue", by=["date", "state"], grain="day")).table == "daily"


def test_a_range_cut_inside_months_reads_whole_months_coarse_and_the_edges_fine():
    p = plan(C, q("orders", start=date(2018, 1, 15), end=date(2018, 3, 10)))
    assert [(x.table, x.start, x.end) for x in p.parts] == [
        ("monthly", date(2018, 2, 1), date(2018, 2, 28)), ("daily", date(2018, 1, 15), date(2018, 1, 31)),
        ("daily", date(2018, 3, 1), date(2018, 3, 10))]
    assert plan(C, q("orders", start=date(2018, 1, 15), end=date(2018, 2, 10))).table == "daily"  # no whole month
    assert whole_periods("month", date(2018, 1, 1), date(2018, 1, 31)) == (date(2018, 1, 1), date(2018, 1, 31))
    assert whole_periods("quarter", date(2018, 1, 2), date(2018, 6, 30)) == (date(2018, 4, 1), date(2018, 6, 30))


def test_a_dimension_that_splits_orders_is_exact_only_grouped_or_with_one_value():
    one = plan(C, q("orders", category=["toys"]))
    assert one.table == "daily_categories"
    assert plan(C, q("orders", by=["category"], category=["toys", "auto"])).table == "daily_categories"
    several = plan(C, q("orders", category=["toys", "auto"]))  # an order of both would count twice
    assert several.table == STAR and "once per category" in several.reason
    assert plan(C, q("revenue", category=["toys", "auto"])).table == "daily_categories"  # items do not split
    # A rollup that keeps a splitting dimension the query ignores would sum orders over it.
    lean = Catalogue(MEASURES, METRICS, DIMENSIONS, (BY_CATEGORY,))
    assert plan(lean, q("orders")).table == STAR and plan(lean, q("items")).table == "daily_categories"


def test_several_values_of_a_splitting_dimension_are_a_rollup_less_the_orders_it_counts_twice():
    overlap = Rollup("overlap_categories", "day", ("state", "status"), ("orders", "revenue", "items", "payments"),
                     rows=300, overlap="category")
    c = replace(C, rollups=(*C.rollups, overlap))
    p = plan(c, q("orders", "revenue", category=["toys", "auto"], state=["SP"]))
    assert [x.table for x in p.parts] == ["daily_categories", "overlap_categories"]
    assert p.parts[1].measures == ("orders",)  # an item has one category: revenue is not counted twice
    assert "less the orders holding two or more" in p.reason
    assert plan(c, q("orders", category=["toys"])).parts[-1].table == "daily_categories"  # one value: no overlap
    assert plan(c, q("orders", by=["category"], category=["toys", "auto"])).table == "daily_categories"
    assert plan(c, q("orders")).table == "monthly"  # the overlap table never answers alone
    # The overlap table must hold every other dimension asked.
    p = plan(c, q("orders", by=["payment_type"], category=["toys", "auto"]))
    assert p.table == STAR and "overlap_categories: lacks dimension payment_type" in p.reason
    assert plan(c, q("orders", payment_type=["voucher", "boleto"])).table == STAR  # no overlap of payment types


def test_a_dimension_fixed_by_an_asked_one_is_summed_over_without_splitting_orders():
    dims = {**DIMENSIONS, "product": Dimension("product", "Product", "item", "i.product_id::text")}
    products = Rollup("daily_products", "day", ("state", "status", "category", "product"), ("orders", "revenue"),
                      rows=90_000)
    loose = Catalogue(MEASURES, METRICS, dims, (products,))
    assert plan(loose, q("orders", by=["product"])).table == STAR  # nothing says a product has one category
    fixed = replace(loose, fixed_by={"category": "product"})
    assert plan(fixed, q("orders", by=["product"])).table == "daily_products"
    assert plan(fixed, q("orders", product=["b1"])).table == "daily_products"  # one product: one category
    assert plan(fixed, q("orders", product=["b1", "b2"])).table == STAR  # an order of both counts twice


def test_missing_dimensions_and_measures_send_the_query_to_the_star_and_say_why():
    p = plan(C, q("revenue", payment_type=["boleto"]))
    assert p.table == STAR and "lacks dimension payment_type" in p.reason
    assert "lacks measure payments" in plan(C, q("payments", category=["toys"])).reason
    assert "daily" in explain(C, q("orders", by=["date"], grain="week"))


def test_a_distinct_count_is_read_only_row_for_row():
    assert plan(C, q("customers", by=["date", "state"], grain="month")).table == "monthly_people"
    assert plan(C, q("customers", by=["date"], grain="month")).table == STAR  # states would be added up
    assert plan(C, q("customers", by=["date", "state"], grain="quarter")).table == STAR
    assert plan(C, q("customers", by=["date", "state"], grain="month", start=date(2018, 1, 2))).table == STAR


def test_names_the_catalogue_does_not_declare_are_refused_by_name():
    for bad, word in ((q("margin"), "metric 'margin'"), (q("orders", by=["city"]), "dimension 'city'"),
                      (q("orders", by=["date"], grain="fortnight"), "grain 'fortnight'"),
                      (q("orders", colour=["red"]), "dimension 'colour'")):
        with pytest.raises(UnknownName, match=word):
            plan(C, bad)


def test_repeat_buyers_are_counted_from_the_people_source_beside_a_rollup():
    from data.semantic.model import People
    measures = {**MEASURES, "single": Measure("single", "order", "count", "x"),
                "repeat": Measure("repeat", "order", "distinct", "y", people="rb.person")}
    metrics = {**METRICS, "people": Metric("people", "People", "", "count", "single", plus=("repeat",)),
               "repeaters": Metric("repeaters", "Repeaters", "", "count", "repeat")}
    daily = Rollup("daily", "day", ("state", "status"), ("orders", "single"), rows=1_000)
    monthly = Rollup("monthly", "month", ("state", "status"), ("orders", "single"), rows=40)
    c = Catalogue(measures, metrics, DIMENSIONS, (daily, monthly), People("repeaters", ("state", "status"), ()))
    p = plan(c, q("people", "orders", by=["state"], start=date(2018, 1, 10)))
    assert [(x.table, x.measures) for x in p.parts] == [
        ("monthly", ("single", "orders")), ("daily", ("single", "orders")), ("repeaters", ("repeat",))]
    assert plan(c, q("people", category=["toys"])).table == STAR  # the people source has no categories
    assert "people source lacks category" in plan(c, q("people", category=["toys"])).reason
    lists = replace(c, people=People("repeaters", ("state", "status"), ("category", "payment_type")))
    # Which groups exist is told by a rollup's row counts (orders), the people by the people source.
    assert [x.table for x in plan(lists, q("repeaters", by=["state"])).parts] == ["monthly", "repeaters"]
    assert plan(lists, q("repeaters", by=["category"], payment_type=["voucher"])).table == STAR  # no such rollup
    both = replace(c, people=People("repeaters", ("state",), ("category", "product")),  # two item lists
                   dimensions={**DIMENSIONS, "product": Dimension("product", "Product", "item", "i.product_id")})
    assert "different rows" in plan(both, q("repeaters", by=["category"], product=["p"])).reason


def test_a_rollup_is_summed_only_from_one_that_gives_its_rows_exactly():
    from data.semantic.planner import source_refusal
    assert source_refusal(C, MONTHLY, DAILY) is None  # days add up to months; same dimensions
    assert source_refusal(C, replace(MONTHLY, dimensions=("state",)), DAILY) is None  # status: one per order
    assert "count an order once per category" in source_refusal(C, DAILY, replace(BY_CATEGORY, measures=DAILY.measures))
    assert "lacks measure payments" in source_refusal(C, DAILY, BY_CATEGORY)
    assert "do not add up" in source_refusal(C, replace(DAILY, grain="week"), replace(MONTHLY, grain="month"))


def test_the_loader_refuses_a_catalogue_declaring_an_inexact_source():
    from data.semantic.catalogue import CATALOGUE
    from etl.semantic_rollups import ordered
    assert [r.name for r in ordered(CATALOGUE)].index("monthly_products") > [r.name for r in ordered(CATALOGUE)].index(
        "daily_products")
    wrong = replace(CATALOGUE, rollups=tuple(replace(r, source="daily_seller_categories") if r.name == "daily_sellers"
                                             else r for r in CATALOGUE.rollups))
    with pytest.raises(ValueError, match="daily_sellers cannot be summed from daily_seller_categories: orders would "
                                         "count an order once per category"):
        ordered(wrong)
