"""The loader's hand-written tables defined straight over the facts: the tests' reference for them.

The loader keeps six tables for the analyses that are more than a metric by dimensions (people,
cohorts, RFM, lifetime value, low scores, reconciliation), refreshed day by day from the touched
orders (etl/rollups.py). Here each is one plain statement over the fact tables, written the other
way round: people found with window functions over every order, nothing incremental. Two uses:
`assert_hand_tables_are_the_facts` compares the tables row for row (after a first load and after
deltas), and `oracle_connection` answers the product's own questions from these definitions, in a
schema of views where every other warehouse table passes through.
"""
from __future__ import annotations

from collections import Counter
from contextlib import contextmanager

from etl.rollups import DELIVERY_BUCKET, ESTIMATED_DAYS, HANDOFF_DAYS, LATE_BUCKET, LTV_TIER

ORDERS = "warehouse.fact_orders o LEFT JOIN warehouse.dim_customers c USING (customer_id)"
CATEGORIES = """coalesce((SELECT array_agg(DISTINCT p.product_category_name_english)
    FROM warehouse.fact_order_items i JOIN warehouse.dim_products p USING (product_id)
    WHERE i.order_id = o.order_id), '{}')"""
# Every order with its person's number of orders and first and second order days, all history, any status.
PEOPLE = f"""(SELECT o.*, c.customer_unique_id, coalesce(c.customer_state, '??') AS state,
    coalesce(c.customer_city, '') AS city, (o.order_value * 100)::bigint AS cents,
    CASE WHEN c.customer_unique_id IS NOT NULL THEN count(*) OVER person END AS person_orders,
    min(o.purchase_date) OVER person AS first_date,
    nth_value(o.purchase_date, 2) OVER (person ORDER BY o.purchase_date, o.order_id
                                        ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS second_date
  FROM {ORDERS} WINDOW person AS (PARTITION BY c.customer_unique_id))"""

HAND_TABLES = {
    "customer_orders": f"""
        SELECT order_id, customer_unique_id, purchase_date, state, order_status, cents, person_orders = 1, city
        FROM {PEOPLE} o WHERE customer_unique_id IS NOT NULL""",
    "repeat_buyer_orders": f"""
        SELECT order_id, customer_unique_id, purchase_date, state, order_status, {CATEGORIES}, first_date,
               second_date, cents
        FROM {PEOPLE} o WHERE person_orders > 1""",
    "order_categories": f"""
        SELECT p.product_category_name_english, o.purchase_date, o.state, o.order_status, o.order_id,
               o.order_status = 'delivered' AND o.order_delivered_customer_date IS NOT NULL, o.is_late,
               o.delivery_days, {HANDOFF_DAYS.format(o="o")}, {ESTIMATED_DAYS.format(o="o")},
               {DELIVERY_BUCKET.format(o="o")}, {LATE_BUCKET.format(o="o")}, o.reviews_count, o.review_score_sum,
               o.customer_unique_id, coalesce(o.person_orders = 1, false), o.cents, o.city,
               (sum(i.price + i.freight_value) * 100)::bigint
        FROM {PEOPLE} o JOIN warehouse.fact_order_items i USING (order_id)
        JOIN warehouse.dim_products p USING (product_id)
        GROUP BY p.product_category_name_english, o.purchase_date, o.state, o.order_status, o.order_id,
                 o.order_delivered_customer_date, o.is_late, o.delivery_days, o.order_delivered_carrier_date,
                 o.order_approved_at, o.order_estimated_delivery_date, o.reviews_count, o.review_score_sum,
                 o.customer_unique_id, o.person_orders, o.cents, o.city""",
    "agg_daily_single_ltv": f"""
        SELECT purchase_date, state, order_status, {LTV_TIER.format(cents="cents")}, count(*), sum(cents)
        FROM {PEOPLE} o WHERE person_orders = 1 GROUP BY 1, 2, 3, 4""",
    "low_reviews": f"""
        SELECT r.review_creation_date, r.review_id, r.order_id, r.review_score, o.purchase_date,
               coalesce(c.customer_state, '??'), o.order_status, {CATEGORIES}
        FROM warehouse.fact_reviews r JOIN {ORDERS} ON o.order_id = r.order_id WHERE r.review_score <= 2""",
    "unreconciled_orders": f"""
        SELECT o.order_id, o.purchase_date, coalesce(c.customer_state, '??'), o.order_status, o.order_value,
               o.payment_value
        FROM {ORDERS} WHERE o.payment_value <> o.order_value""",
}


def _rows(run, query) -> Counter:
    """The rows of `query` as a multiset; arrays compare as sets (an order's categories have no order)."""
    return Counter(tuple(tuple(sorted(v)) if isinstance(v, list) else v for v in r) for r in run(query))


def assert_hand_tables_are_the_facts(run) -> None:
    """Each hand-written table holds exactly the rows of its definition over the facts (`run(sql)`
    returns rows)."""
    for table, definition in HAND_TABLES.items():
        assert _rows(run, f"SELECT * FROM warehouse.{table}") == _rows(run, definition), table


@contextmanager
def oracle_connection(engine, schema: str = "oracle"):
    """A connection whose warehouse tables (as the product's SQLAlchemy tables name them) are views:
    the hand-written tables as defined above, every other table as it is. Statements the product
    writes as text (the semantic layer's) still read the warehouse itself."""
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
        tables = conn.exec_driver_sql(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'warehouse'").scalars().all()
        for table in tables:
            columns = conn.exec_driver_sql(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = 'warehouse' "
                "AND table_name = %s ORDER BY ordinal_position", (table,)).scalars().all()
            body = HAND_TABLES.get(table, f"SELECT * FROM warehouse.{table}")
            conn.exec_driver_sql(f"CREATE VIEW {schema}.{table} ({', '.join(columns)}) AS {body}")
    with engine.connect() as conn:
        yield conn.execution_options(schema_translate_map={"warehouse": schema})
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")

