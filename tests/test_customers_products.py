"""The Customers and Products questions against a tiny warehouse whose answers are worked out by hand.

Six people, P1 to P6, one item an order; the view is Jan to Apr 2018 with the default statuses.
  P1 (SP): 2018-01-10 R$100, 2018-02-15 R$50, 2018-04-01 R$30
  P2 (SP): 2018-01-20 R$200, 2018-01-25 R$10
  P3 (SP): 2018-02-05 R$400 (their only order)
  P4 (RJ): 2017-12-20 R$80 (before the range), 2018-03-10 R$20
  P5 (RJ): 2018-03-20 R$800 (their only order)
  P6 (RJ): 2018-01-05 R$60 canceled, 2018-03-01 R$1
"""
from datetime import date
from decimal import Decimal as D
import random

import numpy as np
import pytest


from data import customers, products, sellers
from data.db import make_engine
from data.filters import Filters
from data.scope import EVERYTHING
from data.semantic.answer import answer, statement
from data.semantic.catalogue import CATALOGUE
from data.semantic import state
from data.semantic.model import Query
from data.semantic.planner import plan
from etl.load import load
from tests.conftest import write
from tests.oracle import assert_hand_tables_are_the_facts

VIEW = Filters(date(2018, 1, 1), date(2018, 4, 30))
ORDERS = [  # person, day, value, status, product
    (1, "2018-01-10", "100.00", "delivered", 1), (1, "2018-02-15", "50.00", "delivered", 2),
    (1, "2018-04-01", "30.00", "delivered", 1), (2, "2018-01-20", "200.00", "delivered", 2),
    (2, "2018-01-25", "10.00", "delivered", 1), (3, "2018-02-05", "400.00", "delivered", 1),
    (4, "2017-12-20", "80.00", "delivered", 1), (4, "2018-03-10", "20.00", "delivered", 1),
    (5, "2018-03-20", "800.00", "delivered", 2), (6, "2018-01-05", "60.00", "canceled", 1),
    (6, "2018-03-01", "1.00", "delivered", 1),
]
ORDER_HEADER = ("order_id,customer_id,order_status,order_purchase_timestamp,order_approved_at,"
                "order_delivered_carrier_date,order_delivered_customer_date,order_estimated_delivery_date")
ITEM_HEADER = "order_id,order_item_id,product_id,seller_id,shipping_limit_date,price,freight_value"


def _hex(prefix: str, n: int) -> str:
    return f"{prefix}{n:031d}"


def write_orders(folder, rows, first=1):
    """Orders, their one item each (the value all price) and their customers, numbered from `first`."""
    orders, items, people = [ORDER_HEADER], [ITEM_HEADER], [
        "customer_id,customer_unique_id,customer_zip_code_prefix,customer_city,customer_state"]
    for k, (person, day, value, status, product) in enumerate(rows, first):
        delivered = f"{day} 18:00:00" if status == "delivered" else ""
        orders.append(f"{_hex('d', k)},{_hex('c', k)},{status},{day} 10:00:00,{day} 10:10:00,,{delivered},"
                      f"{day} 23:00:00")
        items.append(f"{_hex('d', k)},1,{_hex('b', product)},{_hex('e', 1)},{day} 12:00:00,{value},0.00")
        people.append(f"{_hex('c', k)},{_hex('a', person)},01037,sao paulo,{'SP' if person <= 3 else 'RJ'}")
    write(folder, "orders.csv", "\n".join(orders) + "\n")
    write(folder, "items.csv", "\n".join(items) + "\n")
    write(folder, "customers.csv", "\n".join(people) + "\n")


@pytest.fixture
def people(db_url, tmp_path):
    write_orders(tmp_path / "batch", ORDERS)
    write(tmp_path / "batch", "products.csv",
          "product_id,product_category_name,product_name_lenght,product_description_lenght,product_photos_qty,"
          "product_weight_g,product_length_cm,product_height_cm,product_width_cm\n"
          f"{_hex('b', 1)},beleza_saude,40,300,1,500,20,10,15\n{_hex('b', 2)},cama_mesa_banho,40,300,1,900,30,20,25\n")
    write(tmp_path / "batch", "translation.csv", "product_category_name,product_category_name_english\n"
          "beleza_saude,health_beauty\ncama_mesa_banho,bed_bath_table\n")
    write(tmp_path / "batch", "sellers.csv", f"seller_id,seller_zip_code_prefix,seller_city,seller_state\n"
          f"{_hex('e', 1)},13023,campinas,SP\n")
    load(db_url, tmp_path / "batch")
    engine = make_engine(db_url)
    with engine.connect() as conn:
        yield conn, db_url, tmp_path
    engine.dispose()


def person(n):
    return f"a{n:031d}"[:8] + "-" + f"a{n:031d}"[8:12] + "-" + f"a{n:031d}"[12:16] + "-" + f"a{n:031d}"[16:20] + \
        "-" + f"a{n:031d}"[20:]


def test_new_returning_and_repeat_customers(people):
    conn = people[0]
    assert customers.summary(conn, VIEW) == {
        "customers": 6, "new": 5, "returning": 1, "repeat_customers": 4, "repeat_rate": 4 / 6}  # P4 returns
    months = customers.new_returning(conn, VIEW, "month")
    assert [(r["period"].month, r["new"], r["returning"]) for r in months] == [
        (1, 2, 0), (2, 1, 1), (3, 1, 2), (4, 0, 1)]  # P6's first order (Jan, canceled) makes March a return


def test_cohort_cells(people):
    cells = customers.cohorts(people[0], VIEW)
    # January: P1 and P2 (P6's January order is canceled); P1 again in February and April.
    assert [(c["cohort"].month, c["offset"], c["customers"]) for c in cells] == [
        (1, 0, 2), (1, 1, 1), (1, 3, 1), (2, 0, 1), (3, 0, 1)]
    sp = customers.cohorts(people[0], Filters(VIEW.start, VIEW.end, states=("SP",)))
    assert [(c["cohort"].month, c["offset"], c["customers"]) for c in sp] == [(1, 0, 2), (1, 1, 1), (1, 3, 1), (2, 0, 1)]


def test_rfm_scores_and_segments(people):
    conn = people[0]
    # Recency to 30 Apr: P1 29, P5 41, P4 51, P6 60, P3 84, P2 95 -> R 5 5 4 3 2 1 (quintiles of six people);
    # spend: P6 1, P4 20, P1 180, P2 210, P3 400, P5 800 -> M 1 1 2 3 4 5.
    found = {r["segment"]: r for r in customers.rfm_segments(conn, VIEW)}
    assert {k: v["customers"] for k, v in found.items()} == {
        "Loyal": 1, "At risk": 1, "Promising": 1, "New": 1, "Need attention": 1, "Hibernating": 1}
    assert found["Promising"]["revenue"] == D("800.00") and found["Loyal"]["revenue"] == D("180.00")
    assert found["Promising"]["revenue_share"] == D("800.00") / D("1611.00")
    assert found["Loyal"]["frequency"] == 3 and found["At risk"]["recency"] == 95
    members = {s: customers.segment_members(conn, VIEW, s) for s in found}
    assert [(m["customer_unique_id"], m["r"], m["f"], m["m"], m["orders"], m["revenue"]) for m in members["Loyal"]] == [
        (person(1), 5, 3, 2, 3, D("180.00"))]
    assert [(m["customer_unique_id"], m["r"], m["m"], m["recency"]) for m in members["New"]] == [(person(4), 4, 1, 51)]
    assert [(m["r"], m["m"]) for m in members["Hibernating"]] == [(2, 4)]
    assert customers.segment_members(conn, VIEW, "Champions") == []
    assert customers.segment_members(conn, VIEW, "'; DROP TABLE x; --") == []


@pytest.mark.parametrize("seed", range(5))
def test_quintile_thresholds_are_the_definition(seed):
    """t_k is the smallest value that at least k fifths of the people lie strictly below: the
    numpy version against the definition read literally, on values with many ties."""
    rng = random.Random(seed)
    values = [rng.choice([rng.randrange(10), rng.randrange(10_000)]) for _ in range(rng.randrange(1, 60))]
    expected = [min((v for v in values if 5 * sum(w < v for w in values) >= k * len(values)), default=None)
                for k in range(1, 5)]
    assert customers.quintile_thresholds(np.array(values, np.int64)) == expected
    scores = customers.reached(np.array(values, np.int64), expected)
    assert list(scores) == [sum(t is not None and v >= t for t in expected) for v in values]


def test_lifetime_value_tiers_and_second_orders(people):
    conn = people[0]
    tiers = {t["tier"]: (t["customers"], t["revenue"]) for t in customers.ltv_tiers(conn, VIEW)}
    # Lifetime: P1 180, P2 210, P3 400, P4 100 (80 + 20), P5 800, P6 1 (the canceled order left out).
    assert tiers == {"R$ 0-50": (1, D("1.00")), "R$ 50-100": (0, D("0")), "R$ 100-250": (3, D("490.00")),
                     "R$ 250-500": (1, D("400.00")), "R$ 500-1,000": (1, D("800.00")), "R$ 1,000+": (0, D("0"))}
    gap = customers.second_order(conn, VIEW)
    # Acquired in the range: P1, P2 (who came back after 36 and 5 days), P3 and P5 (who did not).
    assert (gap["acquired"], gap["returned"], gap["median_days"], gap["mean_days"]) == (4, 2, 5, 20.5)
    assert [b["customers"] for b in gap["bins"]] == [1, 0, 1, 0, 0, 0, 0]


def test_a_later_order_makes_a_one_time_buyer_a_repeat_customer(people):
    conn, url, tmp = people
    write_orders(tmp / "delta", [(3, "2018-04-20", "5.00", "delivered", 1)], first=50)
    load(url, tmp / "delta")
    # The monthly seller rollup follows the delta's month: the leaderboard over whole months reads it.
    conn.rollback()
    board, star = (sellers.leaderboard(asker(conn, c), lambda ids: {}, VIEW) for c in (CATALOGUE, CATALOGUE.star_only()))
    assert board == star and board[0]["orders"] == 10
    q = CATALOGUE.prepare(Query(sellers.LEADERBOARD, VIEW.start, VIEW.end, ("seller", "seller_state")))
    assert plan(state.current(conn, CATALOGUE), q).table == "monthly_sellers"
    s = customers.summary(conn, VIEW)
    assert (s["customers"], s["repeat_customers"]) == (6, 5)
    assert customers.second_order(conn, VIEW)["returned"] == 3
    # P3's February cohort now comes back in April (two months later).
    assert (2, 2, 1) in [(c["cohort"].month, c["offset"], c["customers"]) for c in customers.cohorts(conn, VIEW)]
    assert_hand_tables_are_the_facts(lambda query: conn.exec_driver_sql(query).all())


def asker(conn, c):
    """`Warehouse.ask` without its cache, answering from catalogue `c` (the star-only one too)."""
    def ask(f, metrics, by=(), grain="day", order_by=(), limit=None, filters=None):
        q = Query(tuple(metrics), f.start, f.end, tuple(by), grain, {**f.by_dimension(), **(filters or {})},
                  tuple(order_by), limit)
        found = answer(conn, q, EVERYTHING, c)
        return [dict(zip(found.columns, row)) for row in found.rows]
    return ask


@pytest.mark.parametrize("star", (False, True), ids=("rollups", "star"))
def test_products_questions(people, star):
    conn = people[0]
    c = CATALOGUE.star_only() if star else CATALOGUE
    ask = asker(conn, c)
    table = {r["category"]: r for r in products.category_table(ask, VIEW)}
    # health_beauty: P1 100 + 30, P2 10, P3 400, P4 20, P6 1 (canceled January order left out).
    assert table["health_beauty"]["revenue"] == D("561.00") and table["health_beauty"]["items"] == 6
    assert table["bed_bath_table"]["revenue"] == D("1050.00") and table["bed_bath_table"]["orders"] == 3
    assert table["bed_bath_table"]["average_price"] == D("350")
    assert table["bed_bath_table"]["share"] == D("1050.00") / D("1611.00")
    bands = {b["band"]: b["items"] for b in products.price_bands(ask, VIEW)}
    assert bands == {"R$ 0-25": 3, "R$ 25-50": 1, "R$ 50-100": 1, "R$ 100-200": 1, "R$ 200-500": 2,
                     "R$ 500-1,000": 1, "R$ 1,000+": 0}
    per_product = statement(conn, Query(*products.PRODUCTS[:1], VIEW.start, VIEW.end,
                                        products.PRODUCTS[1], filters=VIEW.by_dimension()), EVERYTHING, c)
    shape = products.ranked(conn, per_product)
    assert shape["products"] == 2 and shape["top20_share"] == pytest.approx(1050 / 1611)
    assert shape["curve"] == [(0.0, 0.0), (0.5, pytest.approx(1050 / 1611)), (1.0, 1.0)]
    trend = products.category_trends(ask, VIEW, "month")
    assert [(r["category"], r["period"].month, r["revenue"]) for r in trend][:3] == [
        ("bed_bath_table", 1, D("200.00")), ("bed_bath_table", 2, D("50.00")), ("bed_bath_table", 3, D("800.00"))]
    top = shape["top"]
    assert [(r["category"], r["revenue"], r["items"], r["orders"]) for r in top] == [
        ("bed_bath_table", D("1050.00"), 3, 3), ("health_beauty", D("561.00"), 6, 6)]
    assert top[1]["average_price"] == D("93.50")
    assert products.ranked(conn, per_product, top=1)["top"] == top[:1]


def test_one_product(people):
    conn = people[0]
    ask = asker(conn, CATALOGUE)
    pid = "b0000000-0000-0000-0000-000000000001"
    assert products.find(conn, pid)["product_category_name_english"] == "health_beauty"
    assert products.find(conn, "not-an-id") is None
    assert products.find(conn, "00000000-0000-0000-0000-000000000000") is None
    k = products.product_kpis(ask, VIEW, pid)
    assert (k["revenue"], k["items"], k["orders"]) == (D("561.00"), 6, 6) and k["average_price"] == D("93.5")
    assert [(r["period"].month, r["revenue"], r["orders"]) for r in products.product_trend(ask, VIEW, pid, "month")] == [
        (1, D("110.00"), 2), (2, D("400.00"), 1), (3, D("21.00"), 2), (4, D("30.00"), 1)]
    sellers = products.product_sellers(conn, VIEW, pid)
    assert [(s["state"], s["items"], s["revenue"]) for s in sellers] == [("SP", 6, D("561.00"))]
    assert products.product_reviews(conn, VIEW, pid) == []
