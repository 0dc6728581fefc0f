"""The catalogue: every measure, metric and dimension the product answers, declared once.

This is where the glossary lives (DESIGN.md "Metric glossary" and "The semantic layer" name the
keys): the KPI cards' info texts, the API's catalogue and the planner all read it. Measures are SQL
over the star schema's aliases: `o` fact_orders, `i` fact_order_items, `p` dim_products, `s`
dim_sellers, `pay` fact_payments, `r` fact_reviews, `c` dim_customers.
"""
from __future__ import annotations

from data.filters import ALL_STATUSES, DEFAULT_STATUSES, STATES
from data.semantic.model import GRAINS, Dimension, Measure, Metric, People, Rollup
from data.semantic.planner import Catalogue

# Written once: what "delivered" means for every delivery measure.
DELIVERED = "o.order_status = 'delivered' AND o.order_delivered_customer_date IS NOT NULL"
# Approval to hand-over to the carrier, in days (2 decimals), per order.
HANDOFF_DAYS = ("round((extract(epoch FROM o.order_delivered_carrier_date - o.order_approved_at) / 86400)"
                "::numeric, 2)")
# An item's price band k covers [PRICE_BANDS[k-1], PRICE_BANDS[k]) in R$ (band 0 below the first edge).
PRICE_BANDS = (25, 50, 100, 200, 500, 1000)
# A person with two or more orders in all history (the loader keeps their orders' list).
REPEAT = "EXISTS (SELECT 1 FROM warehouse.repeat_buyer_orders rb WHERE rb.order_id = o.order_id)"

MEASURES = {m.key: m for m in (
    Measure("orders", "order", "count", "1"),
    Measure("orders_with_items", "order", "count", "o.items_count > 0"),
    Measure("items", "item", "count", "1", per_order="o.items_count"),
    Measure("product_revenue", "item", "sum", "i.price", per_order="o.product_revenue"),
    Measure("freight", "item", "sum", "i.freight_value", per_order="o.freight_value"),
    Measure("revenue", "item", "sum", "i.price + i.freight_value", per_order="o.order_value"),
    Measure("payments", "payment", "sum", "pay.payment_value", per_order="o.payment_value"),
    Measure("payment_rows", "payment", "count", "1"),
    Measure("voucher_payments", "payment", "sum", "CASE WHEN pay.payment_type = 'voucher' THEN pay.payment_value "
                                                  "ELSE 0 END"),
    Measure("canceled", "order", "count", "o.order_status = 'canceled'"),
    Measure("delivered", "order", "count", DELIVERED),
    Measure("on_time", "order", "count", f"{DELIVERED} AND NOT o.is_late"),
    Measure("late", "order", "count", f"{DELIVERED} AND o.is_late"),
    Measure("delivery_days_sum", "order", "sum", f"CASE WHEN {DELIVERED} THEN o.delivery_days END"),
    Measure("promised_days_sum", "order", "sum",
            f"CASE WHEN {DELIVERED} THEN o.order_estimated_delivery_date::date - o.purchase_date END"),
    Measure("handoff_orders", "order", "count",
            "o.order_delivered_carrier_date IS NOT NULL AND o.order_approved_at IS NOT NULL"),
    Measure("handoff_days_sum", "order", "sum", HANDOFF_DAYS),
    Measure("reviews", "review", "count", "1", per_order="o.reviews_count"),
    Measure("review_score_sum", "review", "sum", "r.review_score", per_order="o.review_score_sum"),
    Measure("low_reviews", "review", "count", "r.review_score <= 2"),
    Measure("commented_reviews", "review", "count", "btrim(coalesce(r.review_comment_message, '')) <> ''"),
    # People: those with one order in all history are counted by adding up their orders; those with
    # more are counted distinct, from the star or from the repeat buyers' orders (PEOPLE).
    Measure("single_buyers", "order", "count", f"c.customer_unique_id IS NOT NULL AND NOT {REPEAT}"),
    Measure("repeat_customers", "order", "distinct", f"CASE WHEN {REPEAT} THEN c.customer_unique_id END",
            people="rb.person"),
    Measure("new_repeat_customers", "order", "distinct",
            f"CASE WHEN {REPEAT} AND {{first_order}} >= {{period}} THEN c.customer_unique_id END",
            people="CASE WHEN rb.first_date >= {period} THEN rb.person END"),
    Measure("returning_customers", "order", "distinct",
            "CASE WHEN {first_order} < {period} THEN c.customer_unique_id END",
            people="CASE WHEN rb.first_date < {period} THEN rb.person END"),
)}
# The dimensions an order has one value of (the date aside).
ORDER_DIMENSIONS = ("state", "status", "hour", "delivery_days", "days_late")
PEOPLE = People("repeat_orders", ORDER_DIMENSIONS,
                ("category", "product", "seller", "seller_state", "price_band", "payment_type", "installments",
                 "review_score"))

METRICS = {m.key: m for m in (
    Metric("orders", "Orders", "Distinct orders purchased (by order_purchase_timestamp) in the range.", "count",
           "orders"),
    Metric("revenue", "Revenue", "Sum of price + freight_value of the items of those orders.", "money", "revenue"),
    Metric("product_revenue", "Product revenue", "Sum of price of the items of those orders.", "money",
           "product_revenue"),
    Metric("freight", "Freight", "Sum of freight_value of the items of those orders.", "money", "freight"),
    Metric("items", "Items", "Order items of those orders.", "count", "items"),
    Metric("payments", "Payments", "Sum of payment_value of those orders.", "money", "payments"),
    Metric("payment_count", "Payment transactions", "Payment rows of those orders (an order paid in two parts "
           "counts two).", "count", "payment_rows"),
    Metric("aov", "AOV", "Revenue / orders that have at least one item.", "money", "revenue", "orders_with_items"),
    Metric("customers", "Customers", "Distinct customer_unique_id among those orders.", "count", "single_buyers",
           plus=("repeat_customers",)),
    Metric("one_time_customers", "One-time customers", "Customers with one order in all history, that order "
           "among those (each such order is one person).", "count", "single_buyers"),
    Metric("new_customers", "New customers", "Customers whose first order in all history falls in the period.",
           "count", "single_buyers", plus=("new_repeat_customers",)),
    Metric("returning_customers", "Returning customers",
           "Customers who had ordered before the period (their first order is earlier).", "count",
           "returning_customers"),
    Metric("on_time_rate", "On-time rate",
           "Delivered orders whose order_delivered_customer_date is on or before order_estimated_delivery_date "
           "(compared by date), over delivered orders.", "pct", "on_time", "delivered"),
    Metric("late_share", "Late share", "Delivered orders delivered after order_estimated_delivery_date (compared "
           "by date), over delivered orders.", "pct", "late", "delivered", better="down"),
    Metric("delivery_days", "Delivery days",
           "Mean of order_delivered_customer_date - order_purchase_timestamp, in days, over delivered orders.",
           "days", "delivery_days_sum", "delivered", better="down"),
    Metric("cancellation_rate", "Cancellation rate", "Orders with status canceled over all orders (the sellers' "
           "pages count every status for it, whatever the status filter).", "pct", "canceled", "orders",
           better="down"),
    Metric("delivered_orders", "Delivered orders", "Orders delivered to the customer (status delivered, with a "
           "delivery date).", "count", "delivered"),
    Metric("estimated_days", "Promised days", "Mean of order_estimated_delivery_date - purchase date, in days, over "
           "delivered orders: the delivery time the customer was promised.", "days", "promised_days_sum", "delivered",
           better="none"),
    Metric("handoff_days", "Hand-off days", "Mean of order_delivered_carrier_date - order_approved_at, in days, over "
           "orders handed to the carrier: how long sellers take to ship.", "days", "handoff_days_sum",
           "handoff_orders", better="down"),
    Metric("reviews", "Reviews", "Reviews of those orders.", "count", "reviews"),
    Metric("review_score", "Average review score", "Mean review_score of the reviews of those orders.", "score",
           "review_score_sum", "reviews"),
    Metric("average_price", "Average item price", "Sum of price / order items: what an item sells for.", "money",
           "product_revenue", "items"),
    Metric("low_reviews", "Low-score reviews", "Reviews of those orders scoring 1 or 2.", "count", "low_reviews",
           better="down"),
    Metric("low_score_share", "Low scores", "Reviews scoring 1 or 2 over all reviews of those orders.", "pct",
           "low_reviews", "reviews", better="down"),
    Metric("commented_reviews", "Reviews with a comment", "Reviews of those orders whose comment message is not "
           "blank.", "count", "commented_reviews"),
    Metric("comment_share", "With a comment", "Reviews with a comment message over all reviews of those orders.",
           "pct", "commented_reviews", "reviews", better="none"),
    Metric("freight_per_order", "Average freight", "Freight / orders that have at least one item.", "money",
           "freight", "orders_with_items"),
    Metric("voucher_share", "Paid by voucher", "payment_value paid by voucher over all payment_value.", "pct",
           "voucher_payments", "payments", better="none"),
)}

DIMENSIONS = {d.key: d for d in (
    Dimension("date", "Purchase date", "order", "o.purchase_date", GRAINS),
    Dimension("weekday", "Weekday", "order", "extract(isodow FROM o.purchase_date)::int", type="int",
              of_day="extract(isodow FROM {d})::int", domain=tuple(range(1, 8))),
    Dimension("hour", "Hour of purchase", "order", "extract(hour FROM o.order_purchase_timestamp)::int", type="int",
              domain=tuple(range(24))),
    # The minute of the day (0 to 1439): a live view cuts today and a day a week before at the same
    # minute, and counts orders per minute. No rollup keeps it: the star answers, over a day or two.
    Dimension("minute", "Minute of purchase", "order",
              "(extract(hour FROM o.order_purchase_timestamp) * 60 + extract(minute FROM o.order_purchase_timestamp))::int",
              type="int", domain=tuple(range(1440))),
    Dimension("state", "Customer state", "order", "coalesce(c.customer_state, '??')", domain=(*STATES, "??")),
    Dimension("status", "Order status", "order", "o.order_status", default=DEFAULT_STATUSES, domain=ALL_STATUSES),
    Dimension("category", "Category", "item", "p.product_category_name_english", selective=True,
              domain="SELECT DISTINCT product_category_name_english FROM warehouse.dim_products"),
    Dimension("product", "Product", "item", "i.product_id::text", type="uuid", star_filter="i.product_id",
              selective=True),
    Dimension("seller", "Seller", "item", "i.seller_id::text", type="uuid", star_filter="i.seller_id",
              selective=True),
    Dimension("seller_state", "Seller state", "item", "coalesce(s.seller_state, '??')",
              domain="SELECT DISTINCT coalesce(seller_state, '??') FROM warehouse.dim_sellers"),
    Dimension("price_band", "Price band", "item", f"width_bucket(i.price, ARRAY{list(PRICE_BANDS)})",
              type="int", domain=tuple(range(7))),
    Dimension("payment_type", "Payment type", "payment", "pay.payment_type",
              domain="SELECT DISTINCT payment_type FROM warehouse.fact_payments"),
    Dimension("installments", "Installments", "payment", "pay.payment_installments", type="int",
              domain="SELECT DISTINCT payment_installments FROM warehouse.fact_payments"),
    Dimension("review_score", "Review score", "review", "r.review_score::int", type="int", domain=tuple(range(1, 6))),
    Dimension("delivery_days", "Delivery days (bucket)", "order", "least(floor(o.delivery_days), 60)::int", type="int",
              domain=tuple(range(61))),
    Dimension("days_late", "Days late (bucket)", "order",
              "greatest(least(o.order_delivered_customer_date::date - o.order_estimated_delivery_date::date, 30), -30)",
              type="int", domain=tuple(range(-30, 31))),
)}

# The rollups: what each keeps, declared; data/semantic/rollup_sql.py generates their tables and their
# refresh from these, and the planner reads them by these names. Sums and counts only: a distinct
# count (people) is answered by the star.
ORDER_SUMS = ("orders", "orders_with_items", "single_buyers", "canceled", "delivered", "on_time", "late",
              "delivery_days_sum", "promised_days_sum", "handoff_orders", "handoff_days_sum")
ITEM_SUMS = ("items", "product_revenue", "freight", "revenue")
PAYMENT_SUMS = ("payments", "payment_rows", "voucher_payments")
REVIEW_SUMS = ("reviews", "review_score_sum", "low_reviews", "commented_reviews")
EVERY_SUM = ORDER_SUMS + ITEM_SUMS + PAYMENT_SUMS + REVIEW_SUMS
SELLER_SUMS = ORDER_SUMS + ITEM_SUMS + REVIEW_SUMS
ROLLUPS = (
    Rollup("daily", "day", ("state", "status"), EVERY_SUM),
    Rollup("monthly", "month", ("state", "status"), EVERY_SUM, source="daily"),
    Rollup("daily_categories", "day", ("state", "status", "category"), EVERY_SUM),
    Rollup("monthly_categories", "month", ("state", "status", "category"), EVERY_SUM, source="daily_categories"),
    Rollup("daily_payment_types", "day", ("state", "status", "payment_type"), EVERY_SUM),
    Rollup("daily_installments", "day", ("state", "status", "payment_type", "installments"), ("payments", "payment_rows")),
    Rollup("daily_seller_states", "day", ("state", "status", "seller_state"), EVERY_SUM),
    # A seller state with a payment type: the flows between states, and every mix, for a view of
    # one payment type (or a payment mix for one seller state); the star took a second for those.
    Rollup("daily_seller_state_payments", "day", ("state", "status", "seller_state", "payment_type"), EVERY_SUM),
    Rollup("daily_hours", "day", ("state", "status", "hour"), EVERY_SUM),
    Rollup("daily_delivery", "day", ("state", "status", "delivery_days", "days_late"), EVERY_SUM),
    Rollup("daily_review_scores", "day", ("state", "status", "review_score"), EVERY_SUM),
    Rollup("daily_price_bands", "day", ("state", "status", "price_band"), EVERY_SUM),
    Rollup("daily_products", "day", ("state", "status", "category", "product"), ("orders",) + ITEM_SUMS),
    Rollup("monthly_products", "month", ("status", "category", "product"), ("orders",) + ITEM_SUMS,
           source="daily_products"),
    Rollup("daily_sellers", "day", ("state", "status", "seller", "seller_state"), SELLER_SUMS),
    Rollup("monthly_sellers", "month", ("status", "seller", "seller_state"), SELLER_SUMS, source="daily_sellers"),
    Rollup("daily_seller_categories", "day", ("state", "status", "category", "seller", "seller_state"), SELLER_SUMS),
    # A category by seller state without the sellers (summing sellers over would count an order of
    # two sellers twice): the flows between states for a category, a category mix for a seller state.
    Rollup("daily_category_seller_states", "day", ("state", "status", "category", "seller_state"), SELLER_SUMS),
    # One category with a breakdown the rollups above keep without it (indexed by category, so a
    # category's rows are read alone): the pages' mixes, histograms and heatmap for a category.
    Rollup("daily_category_orders", "day", ("state", "status", "category", "hour", "delivery_days", "days_late"),
           ORDER_SUMS + REVIEW_SUMS),
    Rollup("daily_category_payments", "day", ("state", "status", "category", "payment_type", "installments"),
           ("orders",) + PAYMENT_SUMS),
    Rollup("daily_category_price_bands", "day", ("state", "status", "category", "price_band"), ("orders",) + ITEM_SUMS),
    Rollup("daily_category_review_scores", "day", ("state", "status", "category", "review_score"),
           ("orders",) + REVIEW_SUMS),
    # The orders holding several values of a multi-valued dimension, so that several categories (or
    # sellers, seller states, payment types) are answered from the rollups above, not the star.
    *(Rollup(f"overlap_{plural}", "day", ORDER_DIMENSIONS, EVERY_SUM, overlap=key) for key, plural in (
        ("category", "categories"), ("seller", "sellers"), ("seller_state", "seller_states"),
        ("payment_type", "payment_types"))),
)

# What the star's dimension tables fix: one state per seller, one category per product.
FIXED_BY = {"seller_state": "seller", "category": "product"}

CATALOGUE = Catalogue(MEASURES, METRICS, DIMENSIONS, ROLLUPS, PEOPLE, FIXED_BY)
