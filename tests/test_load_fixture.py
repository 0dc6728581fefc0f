"""A tiny hand-written export in the exact published format, and what the warehouse must hold after it."""
from datetime import date, datetime
from decimal import Decimal as D

from etl.load import load
from tests.conftest import FIXTURES

O1, O2, O3 = (f"d100000000000000000000000000000{i}" for i in (1, 2, 3))


def test_fixture_loads_to_the_expected_warehouse(db_url, sql):
    result = load(db_url, FIXTURES / "tiny")
    assert result.status == "succeeded" and result.changed
    assert {t: (c.read, c.inserted, c.quarantined) for t, c in result.tables.items()} == {
        "dim_categories": (2, 2, 0), "dim_geolocation": (4, 2, 0), "dim_customers": (3, 3, 0),
        "dim_sellers": (2, 2, 0), "dim_products": (3, 3, 0), "fact_orders": (3, 3, 0),
        "fact_order_items": (3, 3, 0), "fact_payments": (4, 4, 0), "fact_reviews": (2, 2, 0),
    }

    assert sql("SELECT reviews_count, review_score_sum FROM warehouse.fact_orders ORDER BY order_id") == [
        (1, 5), (1, 1), (0, 0)]
    orders = sql("SELECT order_id::text, order_status, purchase_date, items_count, product_revenue, "
                 "freight_value, order_value, payment_value, delivery_days, is_late "
                 "FROM warehouse.fact_orders ORDER BY order_id")
    assert orders == [
        (orders[0][0], "delivered", date(2017, 10, 2), 2, D("59.98"), D("17.44"), D("77.42"),
         D("77.42"), D("8.44"), False),
        (orders[1][0], "delivered", date(2017, 11, 24), 1, D("118.70"), D("22.76"), D("141.46"),
         D("141.46"), D("15.67"), True),
        (orders[2][0], "canceled", date(2018, 1, 15), 0, D("0"), D("0"), D("0"), D("0.00"), None, None),
    ]
    assert [o[0].replace("-", "") for o in orders] == [O1, O2, O3]

    assert sql("SELECT product_id::text, product_category_name, product_name_length, "
               "product_category_name_english FROM warehouse.dim_products ORDER BY 1") == [
        ("b1000000-0000-0000-0000-000000000001", "beleza_saude", 40, "health_beauty"),
        ("b1000000-0000-0000-0000-000000000002", None, None, "unknown"),
        ("b1000000-0000-0000-0000-000000000003", "pc_gamer", 55, "pc_gamer"),
    ]
    assert sql("SELECT geolocation_zip_code_prefix, geolocation_lat, geolocation_lng, geolocation_city, "
               "points FROM warehouse.dim_geolocation ORDER BY 1") == [
        ("01037", -23.55, -46.64, "sao paulo", 3),
        ("20040", -22.9, -43.17, "rio de janeiro", 1),
    ]
    assert sql("SELECT count(DISTINCT customer_unique_id), count(*) FROM warehouse.dim_customers") == [(2, 3)]
    assert sql("SELECT review_comment_title, review_comment_message FROM warehouse.fact_reviews ORDER BY review_score") == [
        ("Atrasou", 'Produto "otimo" mas\nchegou atrasado'),
        (None, "Chegou antes do prazo, recomendo"),
    ]
    assert sql("SELECT order_purchase_timestamp, order_delivered_carrier_date FROM warehouse.fact_orders "
               "ORDER BY order_id") == [
        (datetime(2017, 10, 2, 10, 56, 33), datetime(2017, 10, 4, 19, 55)),
        (datetime(2017, 11, 24, 20, 0), datetime(2017, 11, 27, 10, 0)),
        (datetime(2018, 1, 15, 9, 0), None),
    ]

    assert sql("SELECT period, state, status, orders, orders_with_items, items, revenue * 0.01, "  # hundredths
               "payments * 0.01, delivered, on_time, late, reviews, review_score_sum / 100 "
               "FROM warehouse.rollup_daily ORDER BY 1") == [
        (date(2017, 10, 2), "SP", "delivered", 1, 1, 2, D("77.42"), D("77.42"), 1, 1, 0, 1, 5),
        (date(2017, 11, 24), "SP", "delivered", 1, 1, 1, D("141.46"), D("141.46"), 1, 0, 1, 1, 1),
        (date(2018, 1, 15), "RJ", "canceled", 1, 0, 0, D("0"), D("0.00"), 0, 0, 0, 0, 0),
    ]
    assert sql("SELECT period, category, orders, items, product_revenue * 0.01, revenue * 0.01 "
               "FROM warehouse.rollup_daily_categories ORDER BY 1") == [
        (date(2017, 10, 2), "health_beauty", 1, 2, D("59.98"), D("77.42")),
        (date(2017, 11, 24), "unknown", 1, 1, D("118.70"), D("141.46")),
    ]
    assert sql("SELECT min(date_key), max(date_key), count(*) FILTER (WHERE is_weekend) > 0 "
               "FROM warehouse.dim_date") == [(date(2017, 10, 2), date(2018, 2, 5), True)]
    assert sql("SELECT day_name, day_of_week, week_start FROM warehouse.dim_date WHERE date_key = '2017-11-24'") == [
        ("Friday", 5, date(2017, 11, 20))]
    assert sql("SELECT status, changed, (tables->'fact_orders'->>'inserted')::int FROM etl.runs") == [
        ("succeeded", True, 3)]


def test_same_files_twice_change_nothing(db_url, sql):
    load(db_url, FIXTURES / "tiny")
    before = sql("SELECT md5(string_agg(t::text, ',' ORDER BY t::text)) FROM warehouse.fact_orders t")
    again = load(db_url, FIXTURES / "tiny")
    assert not again.changed and all(f["skipped_unchanged"] for f in again.files)
    forced = load(db_url, FIXTURES / "tiny", force=True)
    assert not forced.changed
    assert all(c.inserted == 0 and c.updated == 0 for c in forced.tables.values())
    assert forced.tables["fact_orders"].unchanged == 3
    assert sql("SELECT md5(string_agg(t::text, ',' ORDER BY t::text)) FROM warehouse.fact_orders t") == before
    assert sql("SELECT count(*) FROM etl.runs WHERE changed") == [(1,)]
