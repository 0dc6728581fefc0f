"""Refresh the hand-written tables the semantic layer does not generate, and `dim_date`, for the
days a load touched: `repeat_buyer_orders`, `unreconciled_orders`, `customer_orders`,
`order_categories`, `agg_daily_single_ltv` and `low_reviews` (the generated rollups are
etl/semantic_rollups.py's).

A row for a day is rebuilt from the fact tables whenever any order of that day (or a dimension
row it points at) changed, so these tables always agree with the facts. A first load touches
every day; a daily delta touches a few. A delta of a few orders (a live batch) refreshes by order
instead (`refresh_by_orders`): their rows out and in again, and the one-order people's tiers by the
difference they make, so that its cost follows its orders, not the days they fall on.

Distinct customers are not additive, so `repeat_buyer_orders` lists every order of the people
with two or more orders (~6%); everyone else is one person per order. A load that gives someone a
second order changes their first order's day too; the refresh finds those days by comparing the
repeat buyers' orders before and after. Each of those rows carries the person's first and second
order dates, so an order that changes them touches all of the person's days.

`ROLLUP_VERSION` names the definition below; `ensure_current` rebuilds every table when the
database's were built by another one (after a migration added one, say).
"""
from __future__ import annotations

import logging
import time
from contextlib import contextmanager

log = logging.getLogger(__name__)

ROLLUP_VERSION = 14
REBUILD_LOCK = 7_320_002  # the loader's lock: a rebuild and a load never interleave

TOUCHED = "(SELECT purchase_date FROM touched_dates)"
# Per order, shared with the fact-table answers in data/queries.py (kept in step by the property test).
HANDOFF_DAYS = ("round((extract(epoch FROM {o}.order_delivered_carrier_date - {o}.order_approved_at) / 86400)"
                "::numeric, 2)")
ESTIMATED_DAYS = "({o}.order_estimated_delivery_date::date - {o}.purchase_date)"
DELIVERY_BUCKET = "least(floor({o}.delivery_days), 60)::int"
NO_ESTIMATE = 999  # days_late of a delivered order without an estimated date
LATE_BUCKET = ("coalesce(greatest(least({o}.order_delivered_customer_date::date - {o}.order_estimated_delivery_date::date,"
               " 30), -30), " + str(NO_ESTIMATE) + ")")
# Built once per refresh: the touched days' (or orders') orders with everything the tables below
# keep (state, one-time buyer, delivery buckets ...), and their items with their category. Every
# table then reads these two instead of joining the facts and dimensions again.
ROLLUP_INPUTS = f"""
CREATE TEMP TABLE rollup_orders ON COMMIT DROP AS
SELECT f.order_id, f.purchase_date, coalesce(c.customer_state, '??') AS state, f.order_status, c.customer_unique_id,
       coalesce(c.customer_city, '') AS city,
       (c.customer_unique_id IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM warehouse.repeat_buyer_orders r WHERE r.order_id = f.order_id)) AS single,
       f.order_status = 'delivered' AND f.order_delivered_customer_date IS NOT NULL AS delivered,
       f.is_late, f.delivery_days, f.items_count, f.product_revenue, f.freight_value, f.order_value,
       (f.order_value * 100)::bigint AS order_cents,
       f.payment_value, f.reviews_count, f.review_score_sum,
       {HANDOFF_DAYS.format(o="f")} AS handoff_days, {ESTIMATED_DAYS.format(o="f")} AS estimated_days,
       {DELIVERY_BUCKET.format(o="f")} AS delivery_bucket, {LATE_BUCKET.format(o="f")} AS late_bucket
FROM warehouse.fact_orders f LEFT JOIN warehouse.dim_customers c USING (customer_id)
WHERE {{orders}};
ANALYZE rollup_orders;

CREATE TEMP TABLE rollup_items ON COMMIT DROP AS
SELECT i.order_id, p.product_category_name_english AS category, i.price, i.freight_value
FROM warehouse.fact_order_items i
JOIN rollup_orders USING (order_id)
JOIN warehouse.dim_products p USING (product_id);
ANALYZE rollup_items;
"""

# The people whose list of orders is rebuilt: everyone ({people} = "true"), or those a load touched
# ({people} tests the person against `touched_people`, which the loader fills): their orders are
# found by the customers' person index, so a delta reads its people's orders, not all history.
REPEAT_BUYERS = """
CREATE TEMP TABLE new_repeat_orders ON COMMIT DROP AS
WITH people AS (
    SELECT c.customer_unique_id FROM warehouse.fact_orders o JOIN warehouse.dim_customers c USING (customer_id)
    WHERE c.customer_unique_id IS NOT NULL AND {people} GROUP BY 1 HAVING count(*) > 1
)
SELECT o.order_id, c.customer_unique_id, o.purchase_date, coalesce(c.customer_state, '??') AS customer_state,
       o.order_status,
       coalesce((SELECT array_agg(DISTINCT p.product_category_name_english ORDER BY p.product_category_name_english)
                 FROM warehouse.fact_order_items i JOIN warehouse.dim_products p USING (product_id)
                 WHERE i.order_id = o.order_id), '{{}}') AS categories,
       min(o.purchase_date) OVER person AS first_date,
       nth_value(o.purchase_date, 2) OVER (person ORDER BY o.purchase_date, o.order_id
                                           ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS second_date,
       (o.order_value * 100)::bigint AS order_cents
FROM warehouse.fact_orders o JOIN warehouse.dim_customers c USING (customer_id) JOIN people USING (customer_unique_id)
WINDOW person AS (PARTITION BY c.customer_unique_id);

CREATE TEMP TABLE old_repeat_orders ON COMMIT DROP AS
SELECT * FROM warehouse.repeat_buyer_orders rb WHERE {people_rb};

INSERT INTO touched_dates
SELECT purchase_date FROM (
    (TABLE new_repeat_orders EXCEPT TABLE old_repeat_orders)
    UNION ALL (TABLE old_repeat_orders EXCEPT TABLE new_repeat_orders)) changed;

DELETE FROM warehouse.repeat_buyer_orders rb WHERE {people_rb};
INSERT INTO warehouse.repeat_buyer_orders TABLE new_repeat_orders;
DROP TABLE new_repeat_orders, old_repeat_orders;
"""
TOUCHED_PEOPLE = "{}.customer_unique_id IN (SELECT customer_unique_id FROM {})"
# The orders a load refreshes by order (etl/warehouse_sql.affected), and the days they were on.
AFFECTED = "order_id IN (SELECT order_id FROM affected_orders)"
AFFECTED_ROWS = f"purchase_date = ANY (ARRAY(SELECT DISTINCT old_date FROM affected_orders)) AND {AFFECTED}"

UNRECONCILED = """
INSERT INTO warehouse.unreconciled_orders
SELECT o.order_id, o.purchase_date, o.state, o.order_status, o.order_value, o.payment_value
FROM rollup_orders o
WHERE o.payment_value <> o.order_value;
"""


CUSTOMER_ORDERS = """
INSERT INTO warehouse.customer_orders
SELECT o.order_id, o.customer_unique_id, o.purchase_date, o.state, o.order_status, o.order_cents,
       o.single, o.city
FROM rollup_orders o
WHERE o.customer_unique_id IS NOT NULL;
"""

# Written in category order, so that a category's rows lie together on disk as in its index.
ORDER_CATEGORIES = """
INSERT INTO warehouse.order_categories
SELECT x.category, o.purchase_date, o.state, o.order_status, o.order_id, o.delivered, o.is_late, o.delivery_days,
       o.handoff_days, o.estimated_days, o.delivery_bucket, o.late_bucket, o.reviews_count, o.review_score_sum,
       o.customer_unique_id, o.single, o.order_cents, o.city, x.cents
FROM (SELECT order_id, category, (sum(price + freight_value) * 100)::bigint AS cents FROM rollup_items GROUP BY 1, 2) x
JOIN rollup_orders o USING (order_id)
ORDER BY 1, 2;
"""


def _width_bucket(value: str, bounds, sql_type: str) -> str:
    """SQL for the number of `bounds` (ascending constants) that `value` reaches: its band, 0 = below all."""
    return f"width_bucket({value}, ARRAY[{', '.join(map(str, bounds))}]::{sql_type}[])"


# Lifetime-value tiers: upper bounds in R$ (exclusive); the last tier is open. Shared with data/customers.py.
LTV_BANDS = (50, 100, 250, 500, 1000)
LTV_TIER = _width_bucket("{cents}", [b * 100 for b in LTV_BANDS], "bigint")

# The one-order people by their order's lifetime-value tier (each such order is one person).
DAILY_SINGLE_LTV = f"""
INSERT INTO warehouse.agg_daily_single_ltv
SELECT o.purchase_date, o.state, o.order_status, {LTV_TIER.format(cents="o.order_cents")}, count(*), sum(o.order_cents)
FROM rollup_orders o
WHERE o.single
GROUP BY 1, 2, 3, 4;
"""

# The reviews scoring 1 or 2 with their order's day, state and status (the Reviews page's latest low scores).
# {reviews}: every review joined at once, or each touched order's found by its index when few days
# were touched (left to itself the planner reads every low review of all history through their index).
LOW_REVIEWS = """
WITH low AS (
    SELECT r.review_creation_date, r.review_id, r.order_id, r.review_score, o.purchase_date, o.state, o.order_status
    FROM {reviews}
    WHERE r.review_score <= 2
), categories AS (
    SELECT x.order_id, array_agg(DISTINCT x.category ORDER BY x.category) AS categories
    FROM rollup_items x WHERE x.order_id IN (SELECT order_id FROM low) GROUP BY 1
)
INSERT INTO warehouse.low_reviews
SELECT low.*, coalesce(c.categories, '{}') FROM low LEFT JOIN categories c USING (order_id);
"""

# Every day from the first purchase to the last date any order names, grown by the touched days'
# (or orders') orders only (the calendar is a few thousand rows; the orders' dates are what would
# cost a scan).
DIM_DATE = """
INSERT INTO warehouse.dim_date
SELECT d::date, extract(year FROM d), extract(quarter FROM d), extract(month FROM d), extract(day FROM d),
       extract(isodow FROM d), trim(to_char(d, 'Day')), trim(to_char(d, 'Month')),
       date_trunc('week', d)::date, date_trunc('month', d)::date, extract(isodow FROM d) >= 6
FROM generate_series(
    least((SELECT min(purchase_date) FROM warehouse.fact_orders WHERE {orders}),
          (SELECT min(date_key) FROM warehouse.dim_date)),
    greatest((SELECT max(greatest(purchase_date, order_estimated_delivery_date::date,
                                  order_delivered_customer_date::date))
              FROM warehouse.fact_orders WHERE {orders}),
             (SELECT max(date_key) FROM warehouse.dim_date)),
    interval '1 day') AS d
ON CONFLICT (date_key) DO NOTHING;
"""

FEW_DAYS = 31  # up to a month of days touched (a daily or monthly delta): its orders' rows are looked up one by one
ALL_REVIEWS = "warehouse.fact_reviews r JOIN rollup_orders o USING (order_id)"
# OFFSET 0 keeps the lookup per order: flattened into a join, the planner read every low review of
# all history through their partial index (a tenth of a second at a million orders, every batch).
EACH_ORDERS_REVIEWS = ("rollup_orders o CROSS JOIN LATERAL (SELECT * FROM warehouse.fact_reviews x "
                       "WHERE x.order_id = o.order_id OFFSET 0) r")


def low_reviews(days: int) -> str:
    """LOW_REVIEWS for a load that touched `days` days."""
    return LOW_REVIEWS.replace("{reviews}", EACH_ORDERS_REVIEWS if days <= FEW_DAYS else ALL_REVIEWS)


# Each table with its SQL, or a function of the number of days touched that gives it.
ROLLUPS = (("unreconciled_orders", UNRECONCILED), ("customer_orders", CUSTOMER_ORDERS),
           ("order_categories", ORDER_CATEGORIES), ("agg_daily_single_ltv", DAILY_SINGLE_LTV),
           ("low_reviews", low_reviews))


def refresh(cur, rebuilt, step=None, people: bool = False) -> int:
    """Rebuild the rollups for the touched days; return how many days were rebuilt.

    `rebuilt(cur, table, active)` is the loader's context that drops a table's indexes and builds
    them again afterwards: used when a rollup is empty (a first load), where it is much cheaper.
    `step(message)`, when given, hears of each rollup as it is done (the operator's progress).
    `people`: the loader has listed the people it touched in `touched_people`, and only their
    orders are listed again (else everyone's are).
    """
    if not cur.execute("SELECT EXISTS (SELECT 1 FROM touched_dates)").fetchone()[0]:
        return 0
    began = time.monotonic()
    cur.execute(REPEAT_BUYERS.format(people=TOUCHED_PEOPLE.format("c", "touched_people") if people else "true",
                                     people_rb=TOUCHED_PEOPLE.format("rb", "touched_people") if people else "true"))
    if step is not None:
        step(f"repeat buyers' orders ({time.monotonic() - began:.1f}s)")
    if not people:  # everyone's list rebuilt (a delta's few people leave its statistics as they are)
        cur.execute("ANALYZE warehouse.repeat_buyer_orders")  # read by the Customers page with the rollups
    days = cur.execute("SELECT count(DISTINCT purchase_date) FROM touched_dates").fetchone()[0]
    cur.execute("ANALYZE touched_dates")
    cur.execute(ROLLUP_INPUTS.replace("{orders}", f"f.purchase_date IN {TOUCHED}"))
    for k, (table, sql) in enumerate(ROLLUPS, 1):
        began = time.monotonic()
        empty = not cur.execute(f"SELECT EXISTS (SELECT 1 FROM warehouse.{table})").fetchone()[0]
        with rebuilt(cur, table, empty):
            cur.execute(f"DELETE FROM warehouse.{table} WHERE purchase_date IN {TOUCHED}")
            cur.execute(sql(days) if callable(sql) else sql)
        if step is not None:
            step(f"rollup {k}/{len(ROLLUPS)}: {table} ({time.monotonic() - began:.1f}s)")
    cur.execute("DROP TABLE rollup_orders, rollup_items")
    began = time.monotonic()
    cur.execute(DIM_DATE.replace("{orders}", f"purchase_date IN {TOUCHED}"))
    if step is not None:
        step(f"dates ({time.monotonic() - began:.1f}s)")
    return days


# The one-order people's orders of the affected orders, by the table's key, as they were (negated).
SINGLE_LTV_BEFORE = f"""
CREATE TEMP TABLE single_ltv_change ON COMMIT DROP AS
SELECT purchase_date, customer_state AS state, order_status, {LTV_TIER.format(cents="order_cents")} AS tier,
       -count(*) AS orders, -sum(order_cents) AS order_cents
FROM warehouse.customer_orders WHERE single AND {AFFECTED_ROWS}
GROUP BY 1, 2, 3, 4
"""
# What they are now, added to the table, whose groups left without orders are deleted.
SINGLE_LTV_CHANGE = f"""
INSERT INTO single_ltv_change
SELECT o.purchase_date, o.state, o.order_status, {LTV_TIER.format(cents="o.order_cents")}, count(*), sum(o.order_cents)
FROM rollup_orders o WHERE o.single GROUP BY 1, 2, 3, 4;
INSERT INTO warehouse.agg_daily_single_ltv AS x
SELECT purchase_date, state, order_status, tier, sum(orders), sum(order_cents) FROM single_ltv_change
GROUP BY 1, 2, 3, 4 HAVING sum(orders) <> 0 OR sum(order_cents) <> 0
ON CONFLICT (purchase_date, customer_state, order_status, tier)
DO UPDATE SET orders = x.orders + EXCLUDED.orders, order_cents = x.order_cents + EXCLUDED.order_cents;
DELETE FROM warehouse.agg_daily_single_ltv x USING (SELECT DISTINCT purchase_date, state, order_status, tier
                                                    FROM single_ltv_change) c
WHERE x.purchase_date = c.purchase_date AND x.customer_state = c.state AND x.order_status = c.order_status
  AND x.tier = c.tier AND x.orders = 0;
DROP TABLE single_ltv_change;
"""


def refresh_by_orders(cur, step=None) -> None:
    """Refresh the tables for the orders a load changed (`affected_orders`, every order of their
    people among them; `affected_people`): each order's rows out and in again, and the one-order
    people's tiers by the difference they make. A delta of a few orders costs a few orders."""
    began = time.monotonic()
    cur.execute(REPEAT_BUYERS.format(people=TOUCHED_PEOPLE.format("c", "affected_people"),
                                     people_rb=TOUCHED_PEOPLE.format("rb", "affected_people")))
    cur.execute(SINGLE_LTV_BEFORE)
    cur.execute(ROLLUP_INPUTS.replace("{orders}", f"f.{AFFECTED}"))
    for table, sql in ROLLUPS:
        if table != "agg_daily_single_ltv":
            cur.execute(f"DELETE FROM warehouse.{table} WHERE {AFFECTED_ROWS}")
            cur.execute(sql(1) if callable(sql) else sql)
    cur.execute(SINGLE_LTV_CHANGE)
    cur.execute("DROP TABLE rollup_orders, rollup_items")
    cur.execute(DIM_DATE.replace("{orders}", AFFECTED))
    if step is not None:
        step(f"the orders' own tables ({time.monotonic() - began:.2f}s)")


@contextmanager
def _as_is(_cur, _table, _active):
    yield


def ensure_current(conn) -> bool:
    """Rebuild every rollup from the facts if they were built by another definition; True if it did.

    `conn` is a psycopg connection outside a transaction; the rebuild is one transaction, so
    readers see the old rollups until it commits. A load in progress holds the lock: then nothing
    is done here (that load's own start refused it or rebuilt them first), and the next caller
    (the next load, or the app's next start) rebuilds.
    """
    with conn.transaction(), conn.cursor() as cur:
        if cur.execute("SELECT version FROM etl.rollup_state").fetchone()[0] == ROLLUP_VERSION:
            return False
        if not cur.execute("SELECT EXISTS (SELECT 1 FROM warehouse.fact_orders)").fetchone()[0]:
            cur.execute("UPDATE etl.rollup_state SET version = %s", (ROLLUP_VERSION,))
            return False  # nothing to build from: the first load builds them
        if not cur.execute("SELECT pg_try_advisory_xact_lock(%s)", (REBUILD_LOCK,)).fetchone()[0]:
            log.warning("the rollups are from an older definition, but a load is running: rebuilding them later")
            return False
        if cur.execute("SELECT version FROM etl.rollup_state FOR UPDATE").fetchone()[0] == ROLLUP_VERSION:
            return False  # another process rebuilt them meanwhile
        log.warning("rebuilding every rollup from the fact tables (their definition changed)")
        cur.execute("CREATE TEMP TABLE touched_dates ON COMMIT DROP AS "
                    "SELECT DISTINCT purchase_date FROM warehouse.fact_orders")
        cur.execute("SET LOCAL work_mem = '512MB'")
        cur.execute("DELETE FROM warehouse.repeat_buyer_orders")  # rebuilt in full below
        refresh(cur, _as_is)
        for table, _sql in ROLLUPS:
            cur.execute(f"ANALYZE warehouse.{table}")
        cur.execute("UPDATE etl.rollup_state SET version = %s", (ROLLUP_VERSION,))
        return True
