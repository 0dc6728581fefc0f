"""The catalogue: every measure, metric and dimension the product answers, declared once.

This is where the glossary lives (DESIGN.md "Metric glossary" and "The semantic layer" name the
keys): the KPI cards' info texts, the API's catalogue and the planner all read it. Measures are SQL
over the star schema's aliases: `o` fact_orders, `i` fact_order_items, `p` dim_products, `s`
dim_sellers, `pay` fact_payments, `r` fact_reviews, `c` dim_customers.
"""
from __future__ import annotations

from data.semantic.model import GRAINS, Dimension, Measure, Metric

# Written once: what "delivered" means for every delivery measure.
DELIVERED = "o.order_status = 'delivered' AND o.order_delivered_customer_date IS NOT NULL"

MEASURES = {m.key: m for m in (
    Measure("orders", "order", "count", "1"),
    Measure("orders_with_items", "order", "count", "o.items_count > 0"),
    Measure("items", "item", "count", "1"),
    Measure("product_revenue", "item", "sum", "i.price"),
    Measure("freight", "item", "sum", "i.freight_value"),
    Measure("revenue", "item", "sum", "i.price + i.freight_value"),
    Measure("payments", "payment", "sum", "pay.payment_value"),
    Measure("voucher_payments", "payment", "sum", "CASE WHEN pay.payment_type = 'voucher' THEN pay.payment_value "
                                                  "ELSE 0 END"),
    Measure("delivered", "order", "count", DELIVERED),
    Measure("on_time", "order", "count", f"{DELIVERED} AND NOT o.is_late"),
    Measure("late", "order", "count", f"{DELIVERED} AND o.is_late"),
    Measure("delivery_days_sum", "order", "sum", f"CASE WHEN {DELIVERED} THEN o.delivery_days END"),
    Measure("reviews", "review", "count", "1"),
    Measure("review_score_sum", "review", "sum", "r.review_score"),
    Measure("customers", "order", "distinct", "c.customer_unique_id"),
)}

METRICS = {m.key: m for m in (
    Metric("orders", "Orders", "Distinct orders purchased (by order_purchase_timestamp) in the range.", "count",
           "orders"),
    Metric("revenue", "Revenue", "Sum of price + freight_value of the items of those orders.", "money", "revenue"),
    Metric("product_revenue", "Product revenue", "Sum of price of the items of those orders.", "money",
           "product_revenue"),
    Metric("freight", "Freight", "Sum of freight_value of the items of those orders.", "money", "freight"),
    Metric("items", "Items", "Order items of those orders.", "count", "items"),
    Metric("payments", "Payments", "Sum of payment_value of those orders.", "money", "payments"),
    Metric("aov", "AOV", "Revenue / orders that have at least one item.", "money", "revenue", "orders_with_items"),
    Metric("customers", "Customers", "Distinct customer_unique_id among those orders.", "count", "customers"),
    Metric("on_time_rate", "On-time rate",
           "Delivered orders whose order_delivered_customer_date is on or before order_estimated_delivery_date "
           "(compared by date), over delivered orders.", "pct", "on_time", "delivered"),
    Metric("late_share", "Late share", "Delivered orders delivered after order_estimated_delivery_date (compared "
           "by date), over delivered orders.", "pct", "late", "delivered", better="down"),
    Metric("delivery_days", "Delivery days",
           "Mean of order_delivered_customer_date - order_purchase_timestamp, in days, over delivered orders.",
           "days", "delivery_days_sum", "delivered", better="down"),
    Metric("reviews", "Reviews", "Reviews of those orders.", "count", "reviews"),
    Metric("review_score", "Average review score", "Mean review_score of the reviews of those orders.", "score",
           "review_score_sum", "reviews"),
    Metric("freight_per_order", "Average freight", "Freight / orders that have at least one item.", "money",
           "freight", "orders_with_items"),
    Metric("voucher_share", "Paid by voucher", "payment_value paid by voucher over all payment_value.", "pct",
           "voucher_payments", "payments", better="none"),
)}

DIMENSIONS = {d.key: d for d in (
    Dimension("date", "Purchase date", "order", "o.purchase_date", GRAINS),
    Dimension("weekday", "Weekday", "order", "extract(isodow FROM o.order_purchase_timestamp)::int"),
    Dimension("hour", "Hour of purchase", "order", "extract(hour FROM o.order_purchase_timestamp)::int"),
    Dimension("state", "Customer state", "order", "coalesce(c.customer_state, '??')"),
    Dimension("status", "Order status", "order", "o.order_status"),
    Dimension("category", "Category", "item", "p.product_category_name_english"),
    Dimension("product", "Product", "item", "i.product_id::text"),
    Dimension("seller", "Seller", "item", "i.seller_id::text"),
    Dimension("seller_state", "Seller state", "item", "coalesce(s.seller_state, '??')"),
    Dimension("price_band", "Price band", "item", "width_bucket(i.price, ARRAY[25, 50, 100, 200, 500, 1000])"),
    Dimension("payment_type", "Payment type", "payment", "pay.payment_type"),
    Dimension("review_score", "Review score", "review", "r.review_score"),
    Dimension("delivery_days", "Delivery days (bucket)", "order", "least(floor(o.delivery_days), 60)::int"),
    Dimension("days_late", "Days late (bucket)", "order",
              "greatest(least(o.order_delivered_customer_date::date - o.order_estimated_delivery_date::date, 30), -30)"),
)}
