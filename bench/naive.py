"""The dashboard's questions asked the naive way: one plain SQL statement over the fact tables each.

This is what a BI tool pointed at the star schema runs for the same charts (no rollups, no
cache). The dashboard benchmark times it beside the product's answers, in the same run.
"""
from __future__ import annotations

from dataclasses import replace

from data.filters import ALL_STATUSES, Filters

SELECTED = """
    o.purchase_date BETWEEN %(start)s AND %(end)s AND o.order_status = ANY(%(statuses)s)
    AND (cardinality(%(states)s::text[]) = 0 OR coalesce(c.customer_state, '??') = ANY(%(states)s))
    AND (cardinality(%(categories)s::text[]) = 0 OR EXISTS (
        SELECT 1 FROM warehouse.fact_order_items i JOIN warehouse.dim_products p USING (product_id)
        WHERE i.order_id = o.order_id AND p.product_category_name_english = ANY(%(categories)s)))
    AND (cardinality(%(sellers)s::uuid[]) = 0 OR EXISTS (
        SELECT 1 FROM warehouse.fact_order_items i WHERE i.order_id = o.order_id AND i.seller_id = ANY(%(sellers)s)))
    AND (cardinality(%(payment_types)s::text[]) = 0 OR EXISTS (SELECT 1 FROM warehouse.fact_payments pay
        WHERE pay.order_id = o.order_id AND pay.payment_type = ANY(%(payment_types)s)))
    AND (cardinality(%(seller_states)s::text[]) = 0 OR EXISTS (
        SELECT 1 FROM warehouse.fact_order_items i JOIN warehouse.dim_sellers s USING (seller_id)
        WHERE i.order_id = o.order_id AND s.seller_state = ANY(%(seller_states)s)))
"""
ORDERS = "warehouse.fact_orders o LEFT JOIN warehouse.dim_customers c USING (customer_id)"

KPIS = f"""
SELECT sum(o.order_value), count(*), sum(o.order_value) / nullif(count(*) FILTER (WHERE o.items_count > 0), 0),
       count(DISTINCT c.customer_unique_id),
       (SELECT avg(r.review_score) FROM warehouse.fact_reviews r JOIN {ORDERS} ON o.order_id = r.order_id
        WHERE {SELECTED}),
       avg((NOT o.is_late)::int) FILTER (WHERE o.order_status = 'delivered')
FROM {ORDERS} WHERE {SELECTED}
"""
TIMESERIES = f"""
SELECT date_trunc(%(grain)s, o.order_purchase_timestamp) AS period, sum(o.order_value), count(*)
FROM {ORDERS} WHERE {SELECTED} GROUP BY 1 ORDER BY 1
"""
STATUS = f"""
SELECT o.order_status, count(*) FROM {ORDERS}
WHERE {SELECTED.replace("o.order_status = ANY(%(statuses)s)", "true")} GROUP BY 1
"""
CATEGORIES = f"""
SELECT p.product_category_name_english, sum(i.price + i.freight_value) AS revenue, count(DISTINCT o.order_id)
FROM {ORDERS} JOIN warehouse.fact_order_items i ON i.order_id = o.order_id
JOIN warehouse.dim_products p ON p.product_id = i.product_id
WHERE {SELECTED} GROUP BY 1 ORDER BY revenue DESC LIMIT %(limit)s
"""
PAYMENTS = f"""
SELECT y.payment_type, sum(y.payment_value), count(*)
FROM {ORDERS} JOIN warehouse.fact_payments y ON y.order_id = o.order_id WHERE {SELECTED} GROUP BY 1
"""
STATES = f"""
SELECT c.customer_state, sum(o.order_value) AS revenue, count(*) FROM {ORDERS}
WHERE {SELECTED} GROUP BY 1 ORDER BY revenue DESC
"""
HEATMAP = f"""
SELECT extract(isodow FROM o.order_purchase_timestamp), extract(hour FROM o.order_purchase_timestamp), count(*)
FROM {ORDERS} WHERE {SELECTED} GROUP BY 1, 2
"""
PRODUCTS = f"""
SELECT i.product_id, p.product_category_name_english, sum(i.price + i.freight_value) AS revenue, count(*),
       count(DISTINCT o.order_id), avg(i.price)
FROM {ORDERS} JOIN warehouse.fact_order_items i ON i.order_id = o.order_id
JOIN warehouse.dim_products p ON p.product_id = i.product_id
WHERE {SELECTED} GROUP BY 1, 2 ORDER BY revenue DESC LIMIT 500
"""
STATE_METRICS = f"""
SELECT c.customer_state, sum(o.order_value), count(*), count(DISTINCT c.customer_unique_id),
       sum(o.order_value) / nullif(count(*) FILTER (WHERE o.items_count > 0), 0),
       avg((NOT o.is_late)::int) FILTER (WHERE o.order_status = 'delivered'),
       sum(o.review_score_sum)::numeric / nullif(sum(o.reviews_count), 0),
       sum(o.freight_value) / nullif(count(*) FILTER (WHERE o.items_count > 0), 0)
FROM {ORDERS} WHERE {SELECTED} GROUP BY 1
"""
CITIES = f"""
SELECT c.customer_city, c.customer_state, sum(o.order_value) AS revenue, count(*)
FROM {ORDERS} WHERE {SELECTED} GROUP BY 1, 2 ORDER BY revenue DESC LIMIT 100
"""
FLOWS = f"""
SELECT s.seller_state, c.customer_state, count(DISTINCT o.order_id) AS orders, count(*),
       sum(i.price + i.freight_value) AS revenue, sum(i.freight_value), avg(o.delivery_days)
FROM {ORDERS} JOIN warehouse.fact_order_items i ON i.order_id = o.order_id
LEFT JOIN warehouse.dim_sellers s ON s.seller_id = i.seller_id
WHERE {SELECTED} GROUP BY 1, 2 ORDER BY orders DESC, revenue DESC LIMIT 50
"""
DELIVERED = "o.order_status = 'delivered' AND o.order_delivered_customer_date IS NOT NULL"
DELIVERY_KPIS = f"""
SELECT avg((NOT o.is_late)::int) FILTER (WHERE {DELIVERED}), avg(o.is_late::int) FILTER (WHERE {DELIVERED}),
       avg(o.delivery_days) FILTER (WHERE {DELIVERED}),
       avg(o.order_estimated_delivery_date::date - o.purchase_date) FILTER (WHERE {DELIVERED}),
       avg(extract(epoch FROM o.order_delivered_carrier_date - o.order_approved_at) / 86400)
FROM {ORDERS} WHERE {SELECTED}
"""
DELIVERY_TREND = f"""
SELECT date_trunc(%(grain)s, o.order_purchase_timestamp), avg((NOT o.is_late)::int), avg(o.is_late::int),
       avg(o.delivery_days), avg(o.order_estimated_delivery_date::date - o.purchase_date)
FROM {ORDERS} WHERE {SELECTED} AND {DELIVERED} GROUP BY 1 ORDER BY 1
"""
DELIVERY_HISTOGRAM = f"""
SELECT least(floor(o.delivery_days), 60), count(*) FROM {ORDERS} WHERE {SELECTED} AND {DELIVERED} GROUP BY 1
"""
DELIVERY_STATES = f"""
SELECT c.customer_state, avg(o.delivery_days), avg(o.is_late::int)
FROM {ORDERS} WHERE {SELECTED} AND {DELIVERED} GROUP BY 1
"""
DELIVERY_REVIEWS = f"""
SELECT o.order_delivered_customer_date::date - o.order_estimated_delivery_date::date, avg(r.review_score), count(*)
FROM {ORDERS} JOIN warehouse.fact_reviews r ON r.order_id = o.order_id
WHERE {SELECTED} AND {DELIVERED} GROUP BY 1
"""
REVIEW_MIX = f"""
SELECT r.review_score, count(*), count(*) FILTER (WHERE btrim(coalesce(r.review_comment_message, '')) <> '')
FROM {ORDERS} JOIN warehouse.fact_reviews r ON r.order_id = o.order_id WHERE {SELECTED} GROUP BY 1
"""
REVIEW_TREND = f"""
SELECT date_trunc(%(grain)s, o.order_purchase_timestamp), avg(r.review_score), count(*)
FROM {ORDERS} JOIN warehouse.fact_reviews r ON r.order_id = o.order_id WHERE {SELECTED} GROUP BY 1 ORDER BY 1
"""
REVIEW_CATEGORIES = f"""
SELECT p.product_category_name_english, avg(r.review_score), count(DISTINCT r.review_id) AS n
FROM {ORDERS} JOIN warehouse.fact_reviews r ON r.order_id = o.order_id
JOIN warehouse.fact_order_items i ON i.order_id = o.order_id JOIN warehouse.dim_products p USING (product_id)
WHERE {SELECTED} GROUP BY 1 ORDER BY n DESC LIMIT 12
"""
REVIEW_LOW = f"""
SELECT r.review_creation_date, r.review_score, o.order_id, c.customer_state, r.review_comment_title,
       r.review_comment_message
FROM {ORDERS} JOIN warehouse.fact_reviews r ON r.order_id = o.order_id
WHERE {SELECTED} AND r.review_score <= 2 ORDER BY r.review_creation_date DESC LIMIT 100
"""
REVIEW_SELLERS = f"""
SELECT i.seller_id, avg(r.review_score), count(DISTINCT r.review_id) AS n, count(DISTINCT o.order_id),
       sum(i.price + i.freight_value)
FROM {ORDERS} JOIN warehouse.fact_order_items i ON i.order_id = o.order_id
JOIN warehouse.fact_reviews r ON r.order_id = o.order_id
WHERE {SELECTED} GROUP BY 1 ORDER BY n DESC LIMIT 500
"""
PAYMENT_INSTALLMENTS = f"""
SELECT y.payment_type, y.payment_installments, count(*), sum(y.payment_value)
FROM {ORDERS} JOIN warehouse.fact_payments y ON y.order_id = o.order_id WHERE {SELECTED} GROUP BY 1, 2
"""
PAYMENT_TYPES = f"""
SELECT date_trunc(%(grain)s, o.order_purchase_timestamp), y.payment_type, count(*), sum(y.payment_value)
FROM {ORDERS} JOIN warehouse.fact_payments y ON y.order_id = o.order_id WHERE {SELECTED} GROUP BY 1, 2 ORDER BY 1
"""
RECONCILE = f"""
SELECT o.order_id, o.purchase_date, o.order_status, c.customer_state, o.order_value, o.payment_value,
       o.payment_value - o.order_value
FROM {ORDERS} WHERE {SELECTED} AND abs(o.payment_value - o.order_value) > 1
ORDER BY abs(o.payment_value - o.order_value) DESC LIMIT 500
"""
SELLER_BOARD = f"""
SELECT i.seller_id, sum(i.price + i.freight_value) AS revenue, count(DISTINCT o.order_id), count(*),
       avg(o.delivery_days), avg((NOT o.is_late)::int)
FROM {ORDERS} JOIN warehouse.fact_order_items i ON i.order_id = o.order_id
WHERE {SELECTED} GROUP BY 1 ORDER BY revenue DESC LIMIT 500
"""
SELLER_STATES = f"""
SELECT s.seller_state, sum(i.price + i.freight_value), count(DISTINCT i.seller_id)
FROM {ORDERS} JOIN warehouse.fact_order_items i ON i.order_id = o.order_id
JOIN warehouse.dim_sellers s ON s.seller_id = i.seller_id WHERE {SELECTED} GROUP BY 1
"""
WORST_REVIEWS = f"""
SELECT r.review_creation_date, r.review_score, o.order_id, r.review_comment_title, r.review_comment_message
FROM {ORDERS} JOIN warehouse.fact_reviews r ON r.order_id = o.order_id
WHERE {SELECTED} ORDER BY r.review_score, r.review_creation_date DESC LIMIT 20
"""

# Customers: a BI tool finds each person's first order over all history with a GROUP BY (a CTE
# of every order with window functions misleads the planner into nested loops over it).
FIRSTS = """(SELECT c.customer_unique_id AS person, min(o.purchase_date) AS first_date
    FROM warehouse.fact_orders o JOIN warehouse.dim_customers c USING (customer_id)
    WHERE c.customer_unique_id IS NOT NULL GROUP BY 1) f"""
PEOPLE = f"{ORDERS} JOIN {FIRSTS} ON f.person = c.customer_unique_id"
ACQUIRED = f"""SELECT f.person FROM {PEOPLE} WHERE {SELECTED} AND f.first_date >= %(start)s
    AND date_trunc('month', o.purchase_date) = date_trunc('month', f.first_date)"""
CUSTOMER_KPIS = f"""
SELECT count(DISTINCT f.person), count(DISTINCT f.person) FILTER (WHERE f.first_date >= %(start)s),
       (SELECT count(*) FROM (SELECT c.customer_unique_id FROM warehouse.fact_orders o
                              JOIN warehouse.dim_customers c USING (customer_id) GROUP BY 1 HAVING count(*) > 1) r
        WHERE r.customer_unique_id IN (SELECT c.customer_unique_id FROM {ORDERS} WHERE {SELECTED}))
FROM {PEOPLE} WHERE {SELECTED}
"""
NEW_RETURNING = f"""
SELECT date_trunc(%(grain)s, o.purchase_date) AS period,
       count(DISTINCT f.person) FILTER (WHERE date_trunc(%(grain)s, f.first_date) = date_trunc(%(grain)s, o.purchase_date)
                                        AND f.first_date >= %(start)s),
       count(DISTINCT f.person) FILTER (WHERE f.first_date < date_trunc(%(grain)s, o.purchase_date)
                                        OR f.first_date < %(start)s)
FROM {PEOPLE} WHERE {SELECTED} GROUP BY 1 ORDER BY 1
"""
COHORTS = f"""
SELECT date_trunc('month', f.first_date) AS cohort,
       (extract(year FROM o.purchase_date) * 12 + extract(month FROM o.purchase_date))
       - (extract(year FROM f.first_date) * 12 + extract(month FROM f.first_date)) AS months, count(DISTINCT f.person)
FROM {PEOPLE} WHERE {SELECTED} AND f.person IN ({ACQUIRED}) GROUP BY 1, 2 ORDER BY 1, 2
"""
SECOND_ORDER = f"""
SELECT count(*), percentile_disc(0.5) WITHIN GROUP (ORDER BY days), avg(days)
FROM (SELECT (array_agg(o.purchase_date ORDER BY o.purchase_date, o.order_id))[2] - min(o.purchase_date) AS days
      FROM warehouse.fact_orders o JOIN warehouse.dim_customers c USING (customer_id)
      WHERE c.customer_unique_id IN ({ACQUIRED}) GROUP BY c.customer_unique_id) g WHERE days IS NOT NULL
"""
RFM_PEOPLE = f"""WITH people AS (
    SELECT c.customer_unique_id AS person, %(end)s::date - max(o.purchase_date) AS recency, count(*) AS frequency,
           sum(o.order_value) AS monetary
    FROM {ORDERS} WHERE {SELECTED} AND c.customer_unique_id IS NOT NULL GROUP BY 1
), scored AS (
    SELECT *, 6 - ntile(5) OVER (ORDER BY recency) AS r, ntile(5) OVER (ORDER BY monetary) AS m FROM people
)"""
RFM = RFM_PEOPLE + """
SELECT r, m, frequency >= 2, count(*), sum(monetary), avg(recency), avg(frequency) FROM scored GROUP BY 1, 2, 3
"""
RFM_MEMBERS = RFM_PEOPLE + """
SELECT * FROM scored WHERE r >= 4 AND frequency = 1 ORDER BY monetary DESC LIMIT 500
"""
LTV = f"""
SELECT width_bucket(ltv, ARRAY[50, 100, 250, 500, 1000]::numeric[]), count(*), sum(ltv)
FROM (SELECT c.customer_unique_id, sum(o.order_value) AS ltv
      FROM warehouse.fact_orders o JOIN warehouse.dim_customers c USING (customer_id)
      WHERE o.order_status = ANY(%(statuses)s)
        AND c.customer_unique_id IN (SELECT c.customer_unique_id FROM {ORDERS} WHERE {SELECTED})
      GROUP BY 1) x GROUP BY 1
"""
ITEMS = f"""
FROM {ORDERS} JOIN warehouse.fact_order_items i ON i.order_id = o.order_id
JOIN warehouse.dim_products p ON p.product_id = i.product_id
WHERE {SELECTED}
"""
CATEGORY_TABLE = f"""
SELECT p.product_category_name_english, sum(i.price + i.freight_value) AS revenue, count(*),
       count(DISTINCT o.order_id), avg(i.price) {ITEMS} GROUP BY 1 ORDER BY revenue DESC
"""
PRICE_BANDS = f"""
SELECT width_bucket(i.price, ARRAY[25, 50, 100, 200, 500, 1000]::numeric[]), count(*), sum(i.price) {ITEMS} GROUP BY 1
"""
PARETO = f"""
SELECT n, sum(revenue) OVER (ORDER BY revenue DESC) / sum(revenue) OVER ()
FROM (SELECT i.product_id, sum(i.price + i.freight_value) AS revenue, count(*) OVER () AS n {ITEMS} GROUP BY 1) x
"""
CATEGORY_TRENDS = f"""
SELECT date_trunc(%(grain)s, o.order_purchase_timestamp), p.product_category_name_english,
       sum(i.price + i.freight_value) {ITEMS} GROUP BY 1, 2
"""


def params(f: Filters, **extra) -> dict:
    return {"start": f.start, "end": f.end, "statuses": list(f.statuses), "states": list(f.states),
            "categories": list(f.categories), "sellers": list(f.sellers), "payment_types": list(f.payment_types),
            "seller_states": list(f.seller_states), **extra}


def statements(output_id: str, f: Filters, grain: str, seller: str | None = None) -> list[tuple[str, dict]]:
    """The naive statements behind the callback that fills `output_id` (on the page of `seller`,
    for a seller's page), as (sql, parameters)."""
    page = output_id.split("-kpi-")[0]
    return by_output(f, grain, seller)[f"{page}-kpi" if "-kpi-" in output_id else output_id]


def by_output(f: Filters, grain: str, seller: str | None = None) -> dict[str, list[tuple[str, dict]]]:
    """Every callback output the baseline covers (a page's KPI cards under `PAGE-kpi`), with its
    statements; with `seller`, that seller's page too."""
    return {**(_seller_page(f, grain, seller) if seller else {}),
        # Every page's cards show their change too: the same statements for the previous period.
        **{f"{page}-kpi": [(sql, params(g)) for g in (f, f.previous()) for sql in statements]
           for page, statements in (("overview", [KPIS]), ("delivery", [DELIVERY_KPIS]), ("reviews", [REVIEW_MIX]),
                                    ("payments", [PAYMENT_INSTALLMENTS]),
                                    ("customers", [CUSTOMER_KPIS, SECOND_ORDER, LTV]),
                                    ("products", [CATEGORY_TABLE, PARETO]), ("sellers", [SELLER_BOARD]))},
        "overview-timeseries": [(TIMESERIES, params(f, grain=grain))],
        "overview-status": [(STATUS, params(f))],
        "overview-categories": [(CATEGORIES, params(f, limit=10))],
        "overview-payments": [(PAYMENTS, params(f))],
        "sales-by-category": [(CATEGORIES, params(f, limit=15))],
        "sales-by-state": [(STATES, params(f))],
        "sales-heatmap": [(HEATMAP, params(f))],
        "sales-products": [(PRODUCTS, params(f))],
        "geography-map": [(STATE_METRICS, params(f))],
        "geography-states": [(STATE_METRICS, params(f))],
        "geography-cities": [(CITIES, params(f))],
        "geography-flows": [(FLOWS, params(f))],
        "delivery-trend": [(DELIVERY_TREND, params(f, grain=grain))],
        "delivery-promise": [(DELIVERY_TREND, params(f, grain=grain))],
        "delivery-histogram": [(DELIVERY_HISTOGRAM, params(f))],
        "delivery-states": [(DELIVERY_STATES, params(f))],
        "delivery-reviews": [(DELIVERY_REVIEWS, params(f))],
        "payments-value": [(PAYMENT_TYPES, params(f, grain=grain))],
        "payments-count": [(PAYMENT_TYPES, params(f, grain=grain))],
        "payments-installments": [(PAYMENT_INSTALLMENTS, params(f))],
        "payments-reconcile": [(RECONCILE, params(f))],
        "sellers-board": [(SELLER_BOARD, params(f))],
        "sellers-lorenz": [(SELLER_BOARD, params(f))],
        "sellers-states": [(SELLER_STATES, params(f))],
        "reviews-mix": [(REVIEW_MIX, params(f))],
        "reviews-trend": [(REVIEW_TREND, params(f, grain=grain))],
        "reviews-categories": [(REVIEW_CATEGORIES, params(f))],
        "reviews-lateness": [(DELIVERY_REVIEWS, params(f))],
        "reviews-low": [(REVIEW_LOW, params(f))],
        "reviews-sellers": [(REVIEW_SELLERS, params(f))],
        "customers-new-returning": [(NEW_RETURNING, params(f, grain=grain))],
        "customers-second-order": [(SECOND_ORDER, params(f))],
        "customers-cohorts": [(COHORTS, params(f))],
        "customers-rfm": [(RFM, params(f))],
        "customers-members": [(RFM_MEMBERS, params(f))],
        "customers-ltv": [(LTV, params(f))],
        "products-categories": [(CATEGORY_TABLE, params(f))],
        "products-bands": [(PRICE_BANDS, params(f))],
        "products-pareto": [(PARETO, params(f))],
        "products-trends": [(CATEGORY_TABLE, params(f)), (CATEGORY_TRENDS, params(f, grain=grain))],
        "products-top": [(PRODUCTS, params(f))],
    }


def _seller_page(f: Filters, grain: str, seller: str) -> dict[str, list[tuple[str, dict]]]:
    """A seller's page: its leaderboard row (and the previous period's) against the marketplace's figures, its trend,
    categories and worst reviews."""
    mine = replace(f, sellers=(seller,))
    return {
        # The cards show their change against the previous period too, and the marketplace's values.
        "seller-kpi": [(SELLER_BOARD, params(mine)), (SELLER_BOARD, params(mine.previous())), (KPIS, params(f)),
                       (STATUS, params(f))],
        "seller-trend": [(TIMESERIES, params(mine, grain=grain))],
        "seller-categories": [(CATEGORIES, params(mine, limit=10))],
        "seller-reviews": [(WORST_REVIEWS, params(replace(mine, statuses=ALL_STATUSES)))],
    }
