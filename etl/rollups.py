"""Refresh the `warehouse.agg_*` rollups and `dim_date` for the days a load touched.

A rollup row for a day is rebuilt from the fact tables whenever any order of that day (or a
dimension row it points at) changed, so rollup answers always equal fact-table answers. A first
load touches every day; a daily delta touches a few.
"""
from __future__ import annotations

DAILY_ORDERS = """
DELETE FROM warehouse.agg_daily_orders WHERE purchase_date IN (SELECT purchase_date FROM touched_dates);
INSERT INTO warehouse.agg_daily_orders
SELECT o.purchase_date, coalesce(c.customer_state, '??'), o.order_status,
       count(*), count(*) FILTER (WHERE o.items_count > 0), sum(o.items_count),
       sum(o.product_revenue), sum(o.freight_value), sum(o.order_value), sum(o.payment_value),
       count(*) FILTER (WHERE o.order_status = 'delivered' AND o.order_delivered_customer_date IS NOT NULL),
       count(*) FILTER (WHERE o.order_status = 'delivered' AND o.is_late = false),
       count(*) FILTER (WHERE o.order_status = 'delivered' AND o.is_late = true),
       coalesce(sum(o.delivery_days) FILTER (WHERE o.order_status = 'delivered'), 0),
       sum(o.reviews_count), sum(o.review_score_sum)
FROM warehouse.fact_orders o
LEFT JOIN warehouse.dim_customers c USING (customer_id)
WHERE o.purchase_date IN (SELECT purchase_date FROM touched_dates)
GROUP BY 1, 2, 3;
"""

# Items are first summed per order and category, so each row of the second aggregate is one
# order: counting rows counts distinct orders without sorting.
DAILY_CATEGORIES = """
DELETE FROM warehouse.agg_daily_categories WHERE purchase_date IN (SELECT purchase_date FROM touched_dates);
INSERT INTO warehouse.agg_daily_categories
SELECT o.purchase_date, coalesce(c.customer_state, '??'), o.order_status, x.category,
       count(*), sum(x.items), sum(x.price), sum(x.freight), sum(x.price) + sum(x.freight)
FROM (
    SELECT i.order_id, p.product_category_name_english AS category, count(*) AS items,
           sum(i.price) AS price, sum(i.freight_value) AS freight
    FROM warehouse.fact_order_items i
    JOIN warehouse.dim_products p USING (product_id)
    /*days*/WHERE i.order_id IN (SELECT order_id FROM warehouse.fact_orders
                         WHERE purchase_date IN (SELECT purchase_date FROM touched_dates))/*end*/
    GROUP BY 1, 2
) x
JOIN warehouse.fact_orders o USING (order_id)
LEFT JOIN warehouse.dim_customers c USING (customer_id)
GROUP BY 1, 2, 3, 4;
"""

DIM_DATE = """
INSERT INTO warehouse.dim_date
SELECT d::date, extract(year FROM d), extract(quarter FROM d), extract(month FROM d), extract(day FROM d),
       extract(isodow FROM d), trim(to_char(d, 'Day')), trim(to_char(d, 'Month')),
       date_trunc('week', d)::date, date_trunc('month', d)::date, extract(isodow FROM d) >= 6
FROM generate_series(
    (SELECT min(purchase_date) FROM warehouse.fact_orders),
    (SELECT greatest(max(purchase_date), max(order_estimated_delivery_date)::date,
                     max(order_delivered_customer_date)::date)
     FROM warehouse.fact_orders),
    interval '1 day') AS d
ON CONFLICT (date_key) DO NOTHING;
"""


def every_day(sql: str) -> str:
    """Drop the touched-days filter of the items scan: for a load that touched every day."""
    return sql[:sql.index("/*days*/")] + sql[sql.index("/*end*/") + len("/*end*/"):]


def refresh(cur, rebuilt, all_days: bool = False) -> int:
    """Rebuild the rollups for the touched days; return how many days were rebuilt.

    `rebuilt(cur, table, active)` is the loader's context that drops a table's indexes and builds
    them again afterwards: used when a rollup is empty (a first load), where it is much cheaper.
    `all_days` says every day was touched, so scans need not be filtered by day.
    """
    days = cur.execute("SELECT count(DISTINCT purchase_date) FROM touched_dates").fetchone()[0]
    if days:
        cur.execute("ANALYZE touched_dates")
        categories = every_day(DAILY_CATEGORIES) if all_days else DAILY_CATEGORIES
        for table, sql in (("agg_daily_orders", DAILY_ORDERS), ("agg_daily_categories", categories)):
            empty = not cur.execute(f"SELECT EXISTS (SELECT 1 FROM warehouse.{table})").fetchone()[0]
            with rebuilt(cur, table, empty):
                cur.execute(sql)
        cur.execute(DIM_DATE)
    return days
