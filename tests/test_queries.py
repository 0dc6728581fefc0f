"""The query layer: filters from URLs, KPIs against hand-computed answers, rollups equal facts."""
import os
from dataclasses import replace
from datetime import date
from decimal import Decimal as D

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings, strategies as st

from bench import naive
from data import customers, filters, payments, queries, reviews, sellers
from data.db import make_engine
from data.filters import Filters
from data.semantic import state as semantic_state
from data.semantic.catalogue import CATALOGUE
from data.semantic.model import Query
from data.semantic.planner import plan
from data.semantic.sql import compile_query
from data.warehouse import Warehouse
from etl.load import load
from tests.conftest import FIXTURES, generated_warehouse
from tests.oracle import assert_hand_tables_are_the_facts, oracle_connection

FIRST, LAST = date(2017, 10, 2), date(2018, 1, 15)


def test_nonsense_parameters_are_ignored_with_a_notice():
    f, notices = filters.parse({"start": "2018-13-45", "end": "yesterday", "state": "SP,XX,'; DROP TABLE x;--",
                                "category": "health_beauty,nope", "seller": "not-an-id", "status": "delivered,bogus",
                                "payment_type": "Voucher,cash", "seller_state": "pr,XX"},
                               FIRST, LAST, {"category": ["health_beauty"], "payment_type": ["voucher", "boleto"],
                                             "seller_state": ["PR", "SP"]})
    assert (f.start, f.end) == (date(2017, 10, 18), LAST)  # the last 90 days of data
    assert f.states == ("SP",) and f.categories == ("health_beauty",) and f.sellers == ()
    assert f.statuses == ("delivered",) and f.payment_types == ("voucher",) and f.seller_states == ("PR",)
    assert len(notices) == 9 and any("DROP TABLE" in n and "unknown state" in n for n in notices)
    assert "ignored payment_type='cash': unknown payment_type" in notices
    assert filters.to_query(f)["payment_type"] == "voucher" and filters.to_query(f)["seller_state"] == "PR"
    assert filters.from_store(filters.to_store(f)) == f and f.by_dimension()["payment_type"] == ("voucher",)
    assert filters.parse({"start": ["nonsense"]}, FIRST, LAST)[1] == [
        "ignored start='nonsense': not a date (use YYYY-MM-DD)"]  # URL values arrive as lists
    many = filters.parse({"state": ",".join(f"X{i}" for i in range(500))}, FIRST, LAST)[1]
    shown = filters.capped(many)  # what the page shows: a crafted URL cannot flood it
    assert len(many) == 500 and len(shown) == filters.MAX_NOTICES + 1 and shown[-1] == "and 495 more values ignored"


def test_end_before_start_and_default_statuses():
    f, notices = filters.parse({"start": "2018-01-10", "end": "2018-01-01"}, FIRST, LAST)
    assert notices == ["ignored the dates: the end (2018-01-01) is before the start (2018-01-10)"]
    assert "canceled" not in f.statuses and "unavailable" not in f.statuses and "delivered" in f.statuses
    assert filters.to_query(f) == {"start": "2017-10-18", "end": "2018-01-15"}


def test_presets_end_on_the_latest_data_date():
    assert filters.preset_range("30d", FIRST, LAST) == (date(2017, 12, 17), LAST)
    assert filters.preset_range("mtd", FIRST, LAST) == (date(2018, 1, 1), LAST)
    assert filters.preset_range("qtd", FIRST, date(2017, 11, 5)) == (date(2017, 10, 2), date(2017, 11, 5))
    assert filters.preset_range("all", FIRST, LAST) == (FIRST, LAST)
    f = Filters(date(2018, 1, 1), date(2018, 1, 10))
    assert (f.previous().start, f.previous().end) == (date(2017, 12, 22), date(2017, 12, 31))


@pytest.fixture
def tiny(db_url):
    load(db_url, FIXTURES / "tiny")
    engine = make_engine(db_url)
    with engine.connect() as conn:
        yield conn
    engine.dispose()


@pytest.fixture
def tiny_warehouse(tiny, tmp_path):
    """The hand-written fixture behind the Warehouse the pages ask (the semantic layer's questions)."""
    return Warehouse(lambda: tiny.engine, tmp_path / "cache")


def test_kpis_on_the_hand_written_fixture(tiny_warehouse):
    w = tiny_warehouse
    k = w.kpis(Filters(FIRST, LAST))  # default statuses leave out the canceled order
    assert (k["orders"], k["revenue"], k["payments"], k["items"]) == (2, D("218.88"), D("218.88"), 3)
    assert k["aov"] == D("109.44") and k["customers"] == 1  # both orders are one person
    assert k["on_time_rate"] == 0.5 and k["delivery_days"] == D("12.055") and k["review_score"] == 3
    everything = Filters(FIRST, LAST, statuses=filters.ALL_STATUSES)
    assert w.kpis(everything)["orders"] == 3 and w.kpis(everything)["customers"] == 2
    beauty = w.kpis(Filters(FIRST, LAST, categories=("health_beauty",)))
    assert (beauty["orders"], beauty["items"], beauty["revenue"], beauty["payments"]) == (1, 2, D("77.42"), D("77.42"))
    seller = w.kpis(Filters(FIRST, LAST, sellers=("e1000000-0000-0000-0000-000000000002",)))
    assert (seller["orders"], seller["revenue"]) == (1, D("141.46"))
    empty = w.kpis(Filters(date(2016, 1, 1), date(2016, 1, 31)))
    assert empty["orders"] == 0 and empty["aov"] is None and empty["review_score"] is None


@pytest.fixture(scope="module")
def demo_conn(server_url, template_db, tmp_path_factory):
    """A warehouse with 3,000 generated orders, shared by the property test's examples."""
    with generated_warehouse(server_url, template_db, tmp_path_factory.mktemp("demo"), f"olist_q_{os.getpid()}",
                             3000, seed=9) as conn:
        yield conn


@pytest.fixture(scope="module")
def oracle_conn(demo_conn):
    """The demo warehouse with its hand-written tables replaced by their definitions over the facts."""
    with oracle_connection(demo_conn.engine) as conn:
        yield conn


def test_the_hand_written_tables_hold_their_definitions_over_the_facts(demo_conn):
    assert_hand_tables_are_the_facts(lambda query: demo_conn.exec_driver_sql(query).all())


@pytest.fixture(scope="module")
def demo_warehouse(demo_conn, tmp_path_factory):
    return Warehouse(lambda: demo_conn.engine, tmp_path_factory.mktemp("demo-cache"))


days = st.dates(min_value=date(2016, 9, 1), max_value=date(2018, 10, 31))


def _no_zero_cells(rows):
    return [r for r in rows if r.get("orders", 1) or r.get("revenue", 1)]


QUESTIONS = {  # the hand-written analyses over the loader's tables
    "customers_summary": customers.summary, "cohorts": customers.cohorts, "rfm": customers.rfm_segments,
    "new_returning": lambda conn, f: customers.new_returning(conn, f, "week"),
    "rfm_members": lambda conn, f: {s: customers.segment_members(conn, f, s, 50) for s in customers.SEGMENT_NAMES},
    "ltv_tiers": customers.ltv_tiers, "second_order": customers.second_order,
}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(a=days, b=days, states=st.lists(st.sampled_from(filters.STATES[:12] + ("??",)), max_size=4, unique=True),
       statuses=st.lists(st.sampled_from(filters.ALL_STATUSES), min_size=1, max_size=8, unique=True),
       category=st.one_of(st.none(), st.sampled_from(["bed_bath_table", "health_beauty", "toys", "watches_gifts",
                                                      "sports_leisure", "unknown"])))
def test_hand_written_answers_equal_those_from_the_facts(demo_conn, oracle_conn, a, b, states, statuses, category):
    """Every hand-written analysis, on random filters, answers from the loader's tables what it
    answers from their definitions over the facts."""
    f = Filters(min(a, b), max(a, b), states=tuple(states), categories=(category,) if category else (),
                statuses=tuple(statuses))
    for name, ask in QUESTIONS.items():
        rollup, facts = ask(demo_conn, f), ask(oracle_conn, f)
        if isinstance(rollup, list):
            rollup, facts = _no_zero_cells(rollup), _no_zero_cells(facts)
        assert rollup == facts, name
    o, m = queries.orders.c, queries._matched_orders(f).subquery()
    mismatched = demo_conn.execute(sa.select(sa.func.count()).select_from(
        queries.orders.join(m, o.order_id == m.c.order_id)).where(o.payment_value != o.order_value)).scalar_one()
    assert payments.reconciliation(demo_conn, f, D("0"))["totals"]["orders"] == mismatched


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(a=days, b=days, states=st.lists(st.sampled_from(filters.STATES[:8] + ("??",)), max_size=3, unique=True),
       statuses=st.lists(st.sampled_from(filters.ALL_STATUSES), min_size=1, max_size=8, unique=True),
       categories=st.lists(st.sampled_from(["bed_bath_table", "health_beauty", "toys", "watches_gifts", "unknown"]),
                           min_size=1, max_size=3, unique=True))
def test_orders_matched_through_order_categories_equal_those_found_in_the_items(demo_conn, a, b, states, statuses,
                                                                                 categories):
    f = Filters(min(a, b), max(a, b), states=tuple(states), categories=tuple(categories), statuses=tuple(statuses))
    assert set(demo_conn.execute(queries._matched_orders(f)).scalars()) == _naive_matched(demo_conn, f)


def _naive_matched(conn, f: Filters) -> set:
    """The orders the filters select, found the naive way (bench/naive.py): each order tested
    against its customer and its items, payments and sellers."""
    return set(conn.exec_driver_sql(f"SELECT o.order_id FROM {naive.ORDERS} WHERE {naive.SELECTED}",
                                    naive.params(f)).scalars())


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(a=days, b=days, categories=st.lists(st.sampled_from(["bed_bath_table", "health_beauty", "toys", "watches_gifts",
                                                           "unknown"]), min_size=1, max_size=3, unique=True))
def test_repeat_orders_matched_by_their_category_lists_equal_those_found_in_the_items(demo_conn, a, b, categories):
    f = Filters(min(a, b), max(a, b), categories=tuple(categories))
    r = queries.repeat.c
    listed = demo_conn.execute(sa.select(r.order_id).where(queries.holds_any(r.categories, f.categories))).scalars()
    found = demo_conn.execute(sa.select(r.order_id).where(r.order_id.in_(queries.holding(f)))).scalars()
    assert set(listed) == set(found)


def _top_seller(conn) -> tuple[str]:
    """The seller with the most items, as a filter's sellers."""
    return tuple(str(s) for s in conn.execute(sa.text(
        "SELECT seller_id FROM warehouse.fact_order_items GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")).scalars())


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(a=days, b=days, states=st.lists(st.sampled_from(filters.STATES[:10]), min_size=1, max_size=3, unique=True),
       statuses=st.lists(st.sampled_from(filters.ALL_STATUSES), min_size=1, max_size=8, unique=True),
       by_seller=st.booleans())
def test_orders_matched_by_state_through_customer_orders_equal_those_of_the_customers(demo_conn, a, b, states, statuses,
                                                                                     by_seller):
    sellers = _top_seller(demo_conn)
    sellers = sellers if by_seller else ()
    f = Filters(min(a, b), max(a, b), states=tuple(states), sellers=sellers, statuses=tuple(statuses))
    assert set(demo_conn.execute(queries._matched_orders(f)).scalars()) == _naive_matched(demo_conn, f)


def test_orders_holding_several_categories_count_once_in_delivery_answers(demo_conn, demo_warehouse):
    f = Filters(date(2017, 1, 1), date(2018, 6, 30), statuses=filters.ALL_STATUSES)
    pair = demo_conn.execute(sa.text(  # the two categories that share the most orders in the range
        "SELECT a.product_category_name_english, b.product_category_name_english FROM warehouse.order_categories a "
        "JOIN warehouse.order_categories b USING (order_id) WHERE a.product_category_name_english "
        "< b.product_category_name_english AND a.purchase_date BETWEEN :a AND :b GROUP BY 1, 2 "
        "ORDER BY count(*) DESC, 1, 2 LIMIT 1"), {"a": f.start, "b": f.end}).one()
    f = Filters(f.start, f.end, categories=pair, statuses=f.statuses)
    once = demo_warehouse.delivery_kpis(f)["delivered"]
    apart = sum(demo_warehouse.delivery_kpis(Filters(f.start, f.end, categories=(c,), statuses=f.statuses))["delivered"]
                for c in f.categories)
    assert once < apart  # orders of both categories are counted once, not once per category


@pytest.mark.parametrize("by_seller", [False, True])
def test_seller_answers_for_several_categories_count_each_order_once(demo_conn, demo_warehouse, by_seller):
    """A seller's order holding items of two chosen categories is one order in the leaderboard and
    the reviews by seller, though the per-category rollup holds it once per category."""
    f = Filters(date(2017, 1, 1), date(2018, 6, 30), statuses=filters.ALL_STATUSES)
    seller, *pair = demo_conn.execute(sa.text(  # the seller and two categories sharing most of its orders
        "SELECT i.seller_id, min(p.product_category_name_english), max(p.product_category_name_english) "
        "FROM warehouse.fact_order_items i JOIN warehouse.dim_products p USING (product_id) "
        "JOIN warehouse.fact_orders o USING (order_id) WHERE o.purchase_date BETWEEN :a AND :b "
        "GROUP BY i.order_id, i.seller_id HAVING count(DISTINCT p.product_category_name_english) = 2 "
        "ORDER BY 1, 2, 3 LIMIT 1"), {"a": f.start, "b": f.end}).one()
    seller = str(seller)
    w = demo_warehouse
    for view in (Filters(f.start, f.end, categories=(*pair, "unknown"), sellers=(seller,) if by_seller else (),
                         statuses=f.statuses),
                 Filters(f.start, f.end, states=("SP", "RJ"), categories=(*pair, "unknown"),
                         sellers=(seller,) if by_seller else (), statuses=("delivered", "shipped"))):
        board = {r["seller_id"]: r for r in w.leaderboard(view, 5000)}
        star = {r["seller"]: r for r in w.ask(view, ("orders", "revenue", "reviews"), ("seller",))}
        assert {k: (r["orders"], r["revenue"]) for k, r in board.items()} == {
            k: (r["orders"], r["revenue"]) for k, r in star.items()}
        assert {r["seller_id"]: r["reviews"] for r in w.reviews_by_seller(view, 5000)} == {
            k: r["reviews"] for k, r in star.items() if r["reviews"]}
    one = Filters(f.start, f.end, categories=(*pair, "unknown"), statuses=f.statuses)
    once = {r["seller_id"]: r["orders"] for r in w.leaderboard(one, 5000)}[seller]
    apart = sum({r["seller_id"]: r["orders"] for r in w.leaderboard(
        Filters(f.start, f.end, categories=(c,), statuses=f.statuses), 5000)}.get(seller, 0) for c in one.categories)
    assert once < apart  # the orders of both categories count once


CUSTOMERS = ("customers_summary", "cohorts", "rfm", "new_returning", "rfm_members", "ltv_tiers", "second_order")


@pytest.mark.parametrize("categories, by_seller", [(("bed_bath_table", "health_beauty", "unknown"), False),
                                                    ((), True), (("bed_bath_table", "toys"), True)])
def test_customers_answers_for_several_categories_or_a_seller_equal_the_facts(demo_conn, oracle_conn, categories,
                                                                              by_seller):
    """The repeat buyers' orders match several categories through their category lists, one-order
    people through order_categories; a seller through the items: the same people as the facts find."""
    sellers = _top_seller(demo_conn)
    f = Filters(date(2017, 1, 1), date(2018, 6, 30), categories=categories, sellers=sellers if by_seller else ())
    for name in CUSTOMERS:
        fast, facts = QUESTIONS[name](demo_conn, f), QUESTIONS[name](oracle_conn, f)
        assert fast == facts, name
    assert customers.summary(demo_conn, f)["repeat_customers"] > 0  # the view holds repeat buyers to match


def test_mixes_and_top_categories_on_the_fixture(tiny_warehouse):
    w, f = tiny_warehouse, Filters(FIRST, LAST)
    assert w.status_mix(f) == [{"status": "delivered", "orders": 2}, {"status": "canceled", "orders": 1}]
    assert w.top_categories(f) == [{"category": "unknown", "revenue": D("141.46"), "orders": 1},
                                   {"category": "health_beauty", "revenue": D("77.42"), "orders": 1}]
    seller = Filters(FIRST, LAST, sellers=("e1000000-0000-0000-0000-000000000001",))
    assert w.top_categories(seller) == [{"category": "health_beauty", "revenue": D("77.42"), "orders": 1}]
    assert w.payment_mix(f) == [
        {"payment_type": "credit_card", "value": D("168.88"), "payments": 2},
        {"payment_type": "voucher", "value": D("50.00"), "payments": 1}]
    assert w.timeseries(f, "month") == [
        {"period": date(2017, 10, 1), "revenue": D("77.42"), "orders": 1},
        {"period": date(2017, 11, 1), "revenue": D("141.46"), "orders": 1}]
    assert w.timeseries(f, "week")[1]["period"] == date(2017, 11, 20)  # the Monday
    beauty = Filters(FIRST, LAST, categories=("health_beauty",))
    assert w.timeseries(beauty, "day") == [{"period": date(2017, 10, 2), "revenue": D("77.42"), "orders": 1}]


def test_sales_queries_on_the_fixture(tiny_warehouse, tiny):
    w, f = tiny_warehouse, Filters(FIRST, LAST, statuses=filters.ALL_STATUSES)
    assert w.revenue_by_state(f) == [{"state": "SP", "revenue": D("218.88"), "orders": 2},
                                     {"state": "RJ", "revenue": D("0"), "orders": 1}]
    # 2017-10-02 10:56 was a Monday, 2017-11-24 20:00 a Friday, 2018-01-15 09:00 a Monday.
    assert w.weekday_hour(f) == [{"dow": 1, "hour": 9, "orders": 1}, {"dow": 1, "hour": 10, "orders": 1},
                                 {"dow": 5, "hour": 20, "orders": 1}]
    assert w.top_products(f) == [
        {"product_id": "b1000000-0000-0000-0000-000000000002", "category": "unknown", "revenue": D("141.46"),
         "items": 1, "orders": 1, "average_price": D("118.70")},
        {"product_id": "b1000000-0000-0000-0000-000000000001", "category": "health_beauty", "revenue": D("77.42"),
         "items": 2, "orders": 1, "average_price": D("29.99")}]
    beauty = Filters(FIRST, LAST, categories=("health_beauty",))
    assert [r["category"] for r in w.top_products(beauty)] == ["health_beauty"]
    assert w.revenue_by_state(beauty) == [{"state": "SP", "revenue": D("77.42"), "orders": 1}]


def test_a_second_order_makes_an_earlier_day_count_its_buyer_once(db_url, tmp_path):
    """Loading someone's second order changes the rollups of the day of their first order too."""
    load(db_url, FIXTURES / "tiny")
    (tmp_path / "customers.csv").write_text(
        "customer_id,customer_unique_id,customer_zip_code_prefix,customer_city,customer_state\n"
        "c1000000000000000000000000000004,a1000000000000000000000000000003,20040,rio de janeiro,RJ\n")
    (tmp_path / "orders.csv").write_text(
        "order_id,customer_id,order_status,order_purchase_timestamp,order_approved_at,"
        "order_delivered_carrier_date,order_delivered_customer_date,order_estimated_delivery_date\n"
        "d1000000000000000000000000000004,c1000000000000000000000000000004,delivered,2018-02-01 12:00:00,"
        ",,,2018-02-20 00:00:00\n")
    load(db_url, tmp_path)
    engine = make_engine(db_url)
    with engine.connect() as conn:
        for f in (Filters(FIRST, date(2018, 2, 28), statuses=filters.ALL_STATUSES),
                  Filters(LAST, LAST, statuses=filters.ALL_STATUSES)):
            q = CATALOGUE.prepare(Query(("customers", "new_customers"), f.start, f.end, filters=f.by_dimension()))
            fast, star = (compile_query(c, q, plan(c, q)) for c in (semantic_state.current(conn, CATALOGUE),
                                                                   CATALOGUE.star_only()))
            assert conn.execute(fast.text(), fast.params).all() == conn.execute(star.text(), star.params).all()
    w = Warehouse(lambda: engine, tmp_path / "cache")
    assert w.kpis(Filters(FIRST, date(2018, 2, 28), statuses=filters.ALL_STATUSES))["customers"] == 2
    w.cache.close()
    engine.dispose()


def test_rollups_from_an_older_definition_are_rebuilt_on_migrating(db_url, sql):
    from data import migrate

    load(db_url, FIXTURES / "tiny")
    sql("UPDATE etl.rollup_state SET version = 0")
    sql("DELETE FROM warehouse.customer_orders")
    sql("DELETE FROM warehouse.order_categories")
    migrate.upgrade_url(db_url)
    assert sql("SELECT count(*) FROM warehouse.customer_orders")[0][0] == 3
    engine = make_engine(db_url)
    with engine.connect() as conn:
        f = Filters(FIRST, LAST, statuses=filters.ALL_STATUSES)
        beauty = replace(f, categories=("health_beauty",))
        assert customers.summary(conn, beauty)["customers"] == 1
        assert sql("SELECT count(*) FROM warehouse.order_categories")[0][0] > 0
    assert_hand_tables_are_the_facts(sql)
    engine.dispose()


def test_the_filter_bar_offers_the_values_the_data_holds(demo_conn):
    """States, statuses, categories, payment types and seller states as the facts hold them (every
    status, whether or not the default view shows it)."""
    b = queries.bounds(demo_conn)

    def distinct(sql):
        return sorted(v for (v,) in demo_conn.exec_driver_sql(sql) if v is not None)
    assert b["values"] == {
        "state": distinct("SELECT DISTINCT coalesce(c.customer_state, '??') FROM warehouse.fact_orders o "
                          "LEFT JOIN warehouse.dim_customers c USING (customer_id)"),
        "status": distinct("SELECT DISTINCT order_status FROM warehouse.fact_orders"),
        "category": distinct("SELECT DISTINCT p.product_category_name_english FROM warehouse.fact_order_items i "
                             "JOIN warehouse.dim_products p USING (product_id)"),
        "payment_type": distinct("SELECT DISTINCT payment_type FROM warehouse.fact_payments"),
        "seller_state": distinct("SELECT DISTINCT coalesce(s.seller_state, '??') FROM warehouse.fact_order_items i "
                                 "LEFT JOIN warehouse.dim_sellers s USING (seller_id)")}
    assert "canceled" in b["values"]["status"]
    assert (b["first"], b["last"]) == demo_conn.exec_driver_sql(
        "SELECT min(purchase_date), max(purchase_date) FROM warehouse.fact_orders").one()


def test_geography_queries_on_the_fixture(tiny, tiny_warehouse):
    f = Filters(FIRST, LAST, statuses=filters.ALL_STATUSES)
    sp, rj = tiny_warehouse.state_metrics(f)
    assert sp == {"state": "SP", "revenue": D("218.88"), "orders": 2, "customers": 1, "aov": D("109.44"),
                  "on_time_rate": 0.5, "review_score": 3, "freight_per_order": D("20.10")}
    assert (rj["state"], rj["orders"], rj["customers"], rj["aov"], rj["on_time_rate"]) == ("RJ", 1, 1, None, None)
    assert tiny_warehouse.flows(f) == [
        {"seller_state": "PR", "customer_state": "SP", "orders": 1, "items": 1, "revenue": D("141.46"),
         "freight": D("22.76"), "delivery_days": D("15.67")},
        {"seller_state": "SP", "customer_state": "SP", "orders": 1, "items": 2, "revenue": D("77.42"),
         "freight": D("17.44"), "delivery_days": D("8.44")}]
    beauty = Filters(FIRST, LAST, categories=("health_beauty",))
    assert [(r["seller_state"], r["items"]) for r in tiny_warehouse.flows(beauty)] == [("SP", 2)]
    # A state's next level: its cities, with the state's revenue and orders split among them.
    cities = queries.cities(tiny, replace(f, states=("SP",)))
    assert sum(r["revenue"] for r in cities) == sp["revenue"] and sum(r["orders"] for r in cities) == sp["orders"]
    assert {r["state"] for r in cities} == {"SP"} and all(r["city"] for r in cities)
    assert [r["city"] for r in queries.cities(tiny, replace(beauty, states=("RJ",)))] == []
    by_state = tiny_warehouse.revenue_by_state(replace(beauty, statuses=filters.ALL_STATUSES))
    in_cities = queries.cities(tiny, replace(beauty, statuses=filters.ALL_STATUSES))
    assert sum(r["revenue"] for r in in_cities) == sum(r["revenue"] for r in by_state)  # the chosen items' revenue


def test_a_seller_moving_state_moves_its_flows(db_url, tmp_path):
    load(db_url, FIXTURES / "tiny")
    (tmp_path / "sellers.csv").write_text("seller_id,seller_zip_code_prefix,seller_city,seller_state\n"
                                          "e1000000000000000000000000000002,20040,rio de janeiro,RJ\n")
    load(db_url, tmp_path)
    engine = make_engine(db_url)
    w = Warehouse(lambda: engine, tmp_path / "cache")
    with engine.connect() as conn:
        q = CATALOGUE.prepare(Query(("orders", "revenue"), FIRST, LAST, ("seller_state", "state")))
        fast, star = (compile_query(c, q, plan(c, q)) for c in (semantic_state.current(conn, CATALOGUE),
                                                               CATALOGUE.star_only()))
        assert plan(semantic_state.current(conn, CATALOGUE), q).table == "daily_seller_states"
        assert conn.execute(fast.text(), fast.params).all() == conn.execute(star.text(), star.params).all()
    assert [r["seller_state"] for r in w.flows(Filters(FIRST, LAST))] == ["RJ", "SP"]
    w.cache.close()
    engine.dispose()


def test_delivery_queries_on_the_fixture(tiny_warehouse):
    w, f = tiny_warehouse, Filters(FIRST, LAST)
    k = w.delivery_kpis(f)
    assert (k["delivered"], k["on_time_rate"], k["late_share"]) == (2, 0.5, 0.5)
    assert (k["delivery_days"], k["estimated_days"], k["handoff_days"]) == (D("12.055"), 15, D("2.475"))
    assert w.delivery_histogram(f) == [{"days": 8, "orders": 1}, {"days": 15, "orders": 1}]
    assert w.reviews_by_lateness(f) == [
        {"days_late": -8, "orders": 1, "reviews": 1, "review_score": 5},
        {"days_late": 2, "orders": 1, "reviews": 1, "review_score": 1}]
    assert [(r["state"], r["delivery_days"]) for r in w.delivery_by_state(f)] == [("SP", D("12.055"))]
    assert [r["period"] for r in w.delivery_trend(f, "month")] == [date(2017, 10, 1), date(2017, 11, 1)]
    assert w.delivery_histogram(Filters(FIRST, LAST, statuses=("canceled",))) == []
    seller = Filters(FIRST, LAST, sellers=("e1000000-0000-0000-0000-000000000002",))  # from the facts
    assert w.delivery_kpis(seller)["late_share"] == 1 and w.delivery_histogram(seller) == [
        {"days": 15, "orders": 1}]


def test_review_queries_on_the_fixture(tiny, tiny_warehouse):
    f, w = Filters(FIRST, LAST), tiny_warehouse
    assert w.score_mix(f) == [{"score": 1, "reviews": 1, "with_comment": 1}] + [
        {"score": s, "reviews": 0, "with_comment": 0} for s in (2, 3, 4)] + [
        {"score": 5, "reviews": 1, "with_comment": 1}]
    assert w.reviews_by_category(f) == [{"category": "health_beauty", "reviews": 1, "review_score": 5},
                                        {"category": "unknown", "reviews": 1, "review_score": 1}]
    assert w.review_kpis(f) == {"review_score": 3, "reviews": 2, "low_score_share": D("0.5"), "comment_share": 1}
    assert w.review_trend(f, "month") == [{"period": date(2017, 10, 1), "reviews": 1, "review_score": 5},
                                          {"period": date(2017, 11, 1), "reviews": 1, "review_score": 1}]
    assert [(r["seller_id"][:8], r["orders"], r["revenue"], r["review_score"]) for r in w.reviews_by_seller(f)] == [
        ("e1000000", 1, D("77.42"), 5), ("e1000000", 1, D("141.46"), 1)]
    assert w.low_scores(f) == reviews.low_scores(tiny, f) == [{
        "date": "2017-12-11", "score": 1, "order_id": "d1000000-0000-0000-0000-000000000002", "state": "SP",
        "title": "Atrasou", "message": 'Produto "otimo" mas\nchegou atrasado'}]
    assert reviews.low_scores(tiny, Filters(FIRST, LAST, categories=("health_beauty",))) == []


def test_payment_queries_on_the_fixture(tiny, tiny_warehouse):
    f = Filters(FIRST, LAST)
    assert tiny_warehouse.payment_types_over_time(f, "month") == [
        {"period": date(2017, 10, 1), "payment_type": "credit_card", "payments": 1, "value": D("77.42")},
        {"period": date(2017, 11, 1), "payment_type": "credit_card", "payments": 1, "value": D("91.46")},
        {"period": date(2017, 11, 1), "payment_type": "voucher", "payments": 1, "value": D("50.00")}]
    rows = tiny_warehouse.installments(f)
    assert [(r["payment_type"], r["installments"], r["payments"]) for r in rows] == [
        ("credit_card", 1, 1), ("credit_card", 2, 1), ("voucher", 1, 1)]
    assert payments.average_installments(rows) == {"credit_card": 1.5, "voucher": 1}
    assert payments.reconciliation(tiny, f, D("0"))["totals"]["orders"] == 0  # every order matches


def test_reconciliation_lists_orders_beyond_the_tolerance(db_url, tmp_path):
    load(db_url, FIXTURES / "tiny")
    (tmp_path / "payments.csv").write_text(  # the voucher of order 2 shrinks: payments 10.00 short
        "order_id,payment_sequential,payment_type,payment_installments,payment_value\n"
        "d1000000000000000000000000000002,1,voucher,1,40.00\n")
    load(db_url, tmp_path)
    engine = make_engine(db_url)
    with engine.connect() as conn:
        f = Filters(FIRST, LAST)
        found = payments.reconciliation(conn, f, D("5"))
        assert found["totals"] == {"orders": 1, "difference": D("-10.00"), "order_value": D("141.46"),
                                   "payment_value": D("131.46")}
        assert [(r["order_id"][:8], r["difference"]) for r in found["rows"]] == [("d1000000", D("-10.00"))]
        assert payments.reconciliation(conn, f, D("10"))["totals"]["orders"] == 0  # more than, not equal
    engine.dispose()


def test_seller_queries_on_the_fixture(tiny, tiny_warehouse):
    w = tiny_warehouse
    board = w.leaderboard(Filters(FIRST, LAST))
    assert [(r["seller_id"][:8] + r["seller_id"][-1], r["state"], r["revenue"], r["orders"], r["items"])
            for r in board] == [("e10000002", "PR", D("141.46"), 1, 1), ("e10000001", "SP", D("77.42"), 1, 2)]
    assert board[0]["share"] == D("141.46") / D("218.88") and board[1]["review_score"] == 5
    assert (board[0]["on_time_rate"], board[0]["delivery_days"], board[0]["cancellation_rate"]) == (0, D("15.67"), 0)
    assert (board[0]["city"], board[1]["city"]) == ("curitiba", "campinas")
    shape = sellers.concentration([v for _s, v in w.seller_revenues(Filters(FIRST, LAST))])
    assert shape["top10"] == 1.0 and shape["curve"][-1] == (1.0, 1.0)
    assert w.sellers_by_state(Filters(FIRST, LAST)) == [{"state": "PR", "revenue": D("141.46"), "sellers": 1},
                                                         {"state": "SP", "revenue": D("77.42"), "sellers": 1}]
    everything = Filters(FIRST, LAST, statuses=filters.ALL_STATUSES)  # the canceled order holds no items
    assert [r["cancellation_rate"] for r in w.leaderboard(everything)] == [0, 0]
    assert sellers.find(tiny, "e1000000-0000-0000-0000-000000000001")["city"] == "campinas"
    assert sellers.find(tiny, "e1000000-0000-0000-0000-00000000dead") is None and sellers.find(tiny, "nope") is None
    worst = sellers.worst_reviews(tiny, Filters(FIRST, LAST, sellers=("e1000000-0000-0000-0000-000000000002",)))
    assert [(w["score"], w["title"]) for w in worst] == [(1, "Atrasou")]


def test_the_benchmarks_naive_sql_runs_and_agrees_with_the_product(demo_conn, demo_warehouse):
    """bench/naive.py is the baseline every speed ratio is against: each statement runs, and the
    headline answers equal the product's (a baseline answering another question would flatter us)."""
    f = Filters(date(2017, 3, 1), date(2018, 2, 28), states=("SP", "RJ"))
    raw = demo_conn.connection.driver_connection
    seller = _top_seller(demo_conn)[0]
    answers = {output: [raw.execute(sql, params).fetchall() for sql, params in statements]
               for output, statements in naive.by_output(f, "month", seller).items()}
    assert len(answers) > 40 and answers["seller-reviews"][0] and naive.statements("customers-kpi-new", f, "month")[0][0] == naive.CUSTOMER_KPIS
    revenue, orders, aov, people, _, _ = answers["overview-kpi"][0][0]
    k = demo_warehouse.kpis(f)
    assert (revenue, orders, people) == (k["revenue"], k["orders"], k["customers"])
    mine = Filters(f.start, f.end, states=f.states, sellers=(seller,))
    assert [r[1] for r in answers["seller-kpi"][0] if str(r[0]) == seller] == [
        demo_warehouse.leaderboard(mine)[0]["revenue"]]
    people, new, repeat = answers["customers-kpi"][0][0]
    s = customers.summary(demo_conn, f)
    assert (people, new, repeat) == (s["customers"], s["new"], s["repeat_customers"])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(a=days, b=days, states=st.lists(st.sampled_from(filters.STATES[:8] + ("??",)), max_size=2, unique=True),
       categories=st.lists(st.sampled_from(["bed_bath_table", "health_beauty", "toys"]), max_size=2, unique=True),
       limit=st.sampled_from([5, 100]), by_seller=st.booleans())
def test_every_plan_for_the_latest_low_scores_gives_the_same_rows(demo_conn, oracle_conn, demo_warehouse, a, b, states,
                                                                   categories, limit, by_seller):
    sellers = _top_seller(demo_conn)
    f = Filters(min(a, b), max(a, b), states=tuple(states), categories=tuple(categories),
                sellers=sellers if by_seller else ())
    walked = reviews.low_scores(demo_conn, f, limit, plan="walk")
    assert walked == reviews.low_scores(demo_conn, f, limit, plan="orders")
    assert walked == reviews.low_scores(oracle_conn, f, limit, plan="orders")  # low_reviews holds what the facts do
    assert demo_warehouse.low_scores(f, limit) == walked


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(a=days, b=days, states=st.lists(st.sampled_from(("SP", "RJ", "MG", "??")), max_size=2, unique=True),
       payment_types=st.lists(st.sampled_from(("credit_card", "boleto", "voucher", "debit_card")), max_size=2,
                              unique=True),
       seller_states=st.lists(st.sampled_from(("SP", "PR", "MG", "RJ")), max_size=2, unique=True),
       category=st.sampled_from([(), ("bed_bath_table",), ("health_beauty", "toys")]))
def test_payment_type_and_seller_state_filters_reach_the_hand_written_analyses(demo_conn, oracle_conn, demo_warehouse,
                                                                               a, b, states, payment_types,
                                                                               seller_states, category):
    """The two filters added as declarations select the same orders in the hand-written analyses
    (people, low scores, reconciliation) as in the semantic layer's answers (checked against the star)."""
    f = Filters(min(a, b), max(a, b), states=tuple(states), payment_types=tuple(payment_types),
                seller_states=tuple(seller_states), categories=category)
    asked = demo_warehouse.ask(f, ("customers", "low_reviews", "orders"))[0]
    for conn in (demo_conn, oracle_conn):
        assert customers.summary(conn, f)["customers"] == asked["customers"]
    low = reviews.low_scores(demo_conn, f, 100_000, plan="walk")
    assert low == reviews.low_scores(demo_conn, f, 100_000, plan="orders") == reviews.low_scores(
        oracle_conn, f, 100_000, plan="walk")
    assert len(low) == asked["low_reviews"]
    differ = payments.reconciliation(demo_conn, f, D("0"), 100_000)
    def any_of(column, name):  # no values: every row
        return f"(cardinality(CAST(:{name} AS text[])) = 0 OR {column} = ANY(CAST(:{name} AS text[])))"
    naive = demo_conn.execute(sa.text(
        "SELECT count(*) FROM warehouse.fact_orders o LEFT JOIN warehouse.dim_customers c USING (customer_id) "
        "WHERE o.purchase_date BETWEEN :a AND :b AND o.order_status IN :statuses AND o.payment_value <> o.order_value "
        f"AND {any_of('coalesce(c.customer_state, $$??$$)', 'states')} "
        f"AND (cardinality(CAST(:types AS text[])) = 0 OR EXISTS (SELECT 1 FROM warehouse.fact_payments pay "
        f"     WHERE pay.order_id = o.order_id AND {any_of('pay.payment_type', 'types')})) "
        "AND (cardinality(CAST(:sstates AS text[])) + cardinality(CAST(:cats AS text[])) = 0 OR EXISTS (SELECT 1 "
        "     FROM warehouse.fact_order_items i JOIN warehouse.dim_products p USING (product_id) "
        "     LEFT JOIN warehouse.dim_sellers s USING (seller_id) "
        f"    WHERE i.order_id = o.order_id AND {any_of('s.seller_state', 'sstates')} "
        f"    AND {any_of('p.product_category_name_english', 'cats')}))"
    ).bindparams(sa.bindparam("statuses", expanding=True)),
        {"a": f.start, "b": f.end, "statuses": list(f.statuses), "states": list(states), "types": list(payment_types),
         "sstates": list(seller_states), "cats": list(category)}).scalar()
    assert differ["totals"]["orders"] == naive


@pytest.mark.parametrize("view", ["all", "state", "category", "two categories", "seller", "payment type",
                                  "seller state and category"])
def test_cities_add_up_to_the_known_customers_revenue_and_orders(demo_conn, demo_warehouse, view):
    """Each path of the cities answer (customer_orders, order_categories, a seller's items) gives the
    revenue and orders of the view's known customers, split by city."""
    cats = [r["category"] for r in demo_warehouse.top_categories(Filters(date(2017, 1, 1), date(2018, 6, 30)), 2)]
    f = Filters(date(2017, 1, 1), date(2018, 6, 30), **{
        "all": {}, "state": {"states": ("SP", "RJ")}, "category": {"categories": tuple(cats[:1])},
        "two categories": {"categories": tuple(cats)}, "seller": {"sellers": _top_seller(demo_conn)},
        "payment type": {"payment_types": ("voucher", "debit_card")},
        "seller state and category": {"seller_states": ("SP", "MG"), "categories": tuple(cats[:1])}}[view])
    cities = queries.cities(demo_conn, f, limit=100_000)
    by_state = {r["state"]: r for r in demo_warehouse.revenue_by_state(f)}
    for state in {r["state"] for r in cities}:
        mine = [r for r in cities if r["state"] == state]
        assert sum(r["revenue"] for r in mine) == by_state[state]["revenue"], state
        assert sum(r["orders"] for r in mine) == by_state[state]["orders"], state
    assert cities == sorted(cities, key=lambda r: (-r["revenue"], r["city"], r["state"]))
