"""Drop the hand-written rollups the semantic layer replaced: products per day and per month, price
bands, review scores, seller-state flows, and sellers per day, per month and per category with the
several-categories correction, and the daily orders and categories. The Products, Reviews and
Sellers pages' metric questions, Geography's flows, the one-time customers of the Customers page
and the filter bar's bounds are Queries now, answered from the generated `rollup_*` tables.

A downgrade creates them empty; `python -m etl load --force` (or a rollup version change) fills them.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04
"""
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DROP TABLE warehouse.agg_daily_products, warehouse.agg_monthly_products, "
               "warehouse.agg_daily_price_bands, warehouse.agg_daily_review_scores, warehouse.agg_daily_flows, "
               "warehouse.agg_daily_sellers, warehouse.agg_monthly_sellers, warehouse.agg_daily_seller_categories, "
               "warehouse.multi_category_sellers, warehouse.agg_daily_orders, warehouse.agg_daily_categories")


HOURS = ", ".join(f"orders_h{h:02d} integer DEFAULT 0 NOT NULL" for h in range(24))


def downgrade() -> None:
    op.execute(f"""
    CREATE TABLE warehouse.agg_daily_orders (
        purchase_date date NOT NULL, customer_state text NOT NULL, order_status text NOT NULL,
        orders integer NOT NULL, orders_with_items integer NOT NULL, items integer NOT NULL,
        product_revenue numeric(16, 2) NOT NULL, freight_value numeric(16, 2) NOT NULL,
        revenue numeric(16, 2) NOT NULL, payment_value numeric(16, 2) NOT NULL, delivered_orders integer NOT NULL,
        on_time_orders integer NOT NULL, late_orders integer NOT NULL, delivery_days_sum numeric(16, 2) NOT NULL,
        reviews integer NOT NULL, review_score_sum integer NOT NULL, single_buyer_orders integer DEFAULT 0 NOT NULL,
        {HOURS}, handoff_orders integer DEFAULT 0 NOT NULL, handoff_days_sum numeric(16, 2) DEFAULT 0 NOT NULL,
        estimated_days_sum integer DEFAULT 0 NOT NULL,
        PRIMARY KEY (purchase_date, customer_state, order_status));
    CREATE TABLE warehouse.agg_daily_categories (
        purchase_date date NOT NULL, customer_state text NOT NULL, order_status text NOT NULL,
        product_category_name_english text NOT NULL, orders integer NOT NULL, items integer NOT NULL,
        product_revenue numeric(16, 2) NOT NULL, freight_value numeric(16, 2) NOT NULL,
        revenue numeric(16, 2) NOT NULL, payment_value numeric(16, 2) DEFAULT 0 NOT NULL,
        delivered_orders integer DEFAULT 0 NOT NULL, on_time_orders integer DEFAULT 0 NOT NULL,
        delivery_days_sum numeric(16, 2) DEFAULT 0 NOT NULL, reviews integer DEFAULT 0 NOT NULL,
        review_score_sum integer DEFAULT 0 NOT NULL, single_buyer_orders integer DEFAULT 0 NOT NULL, {HOURS},
        PRIMARY KEY (purchase_date, customer_state, order_status, product_category_name_english));
    CREATE TABLE warehouse.agg_daily_products (
        purchase_date date NOT NULL, customer_state text NOT NULL, order_status text NOT NULL,
        product_id uuid NOT NULL, product_category_name_english text NOT NULL, orders integer NOT NULL,
        items integer NOT NULL, product_revenue_cents bigint NOT NULL, freight_value_cents bigint NOT NULL,
        PRIMARY KEY (purchase_date, customer_state, order_status, product_id));
    CREATE TABLE warehouse.agg_monthly_products (
        month date NOT NULL, order_status text NOT NULL, product_id uuid NOT NULL,
        product_category_name_english text NOT NULL, orders integer NOT NULL, items integer NOT NULL,
        product_revenue_cents bigint NOT NULL, freight_value_cents bigint NOT NULL,
        PRIMARY KEY (month, order_status, product_id, product_category_name_english));
    CREATE TABLE warehouse.agg_daily_price_bands (
        purchase_date date NOT NULL, customer_state text NOT NULL, order_status text NOT NULL,
        product_category_name_english text NOT NULL, price_band smallint NOT NULL, items integer NOT NULL,
        product_revenue numeric(16, 2) NOT NULL,
        PRIMARY KEY (purchase_date, customer_state, order_status, product_category_name_english, price_band));
    CREATE TABLE warehouse.agg_daily_review_scores (
        purchase_date date NOT NULL, customer_state text NOT NULL, order_status text NOT NULL,
        review_score smallint NOT NULL, reviews integer NOT NULL, with_comment integer NOT NULL,
        PRIMARY KEY (purchase_date, customer_state, order_status, review_score));
    CREATE TABLE warehouse.agg_daily_flows (
        purchase_date date NOT NULL, customer_state text NOT NULL, order_status text NOT NULL,
        seller_state text NOT NULL, orders integer NOT NULL, items integer NOT NULL,
        product_revenue numeric(16, 2) NOT NULL, freight_value numeric(16, 2) NOT NULL,
        delivered_orders integer NOT NULL, delivery_days_sum numeric(16, 2) NOT NULL,
        PRIMARY KEY (purchase_date, customer_state, order_status, seller_state));
    CREATE TABLE warehouse.agg_daily_sellers (
        purchase_date date NOT NULL, customer_state text NOT NULL, order_status text NOT NULL, seller_id uuid NOT NULL,
        orders integer NOT NULL, items integer NOT NULL, product_revenue numeric(16, 2) NOT NULL,
        freight_value numeric(16, 2) NOT NULL, delivered_orders integer NOT NULL, on_time_orders integer NOT NULL,
        delivery_days_sum numeric(16, 2) NOT NULL, reviews integer NOT NULL, review_score_sum integer NOT NULL,
        PRIMARY KEY (purchase_date, customer_state, order_status, seller_id));
    CREATE TABLE warehouse.agg_monthly_sellers (
        month date NOT NULL, order_status text NOT NULL, seller_id uuid NOT NULL,
        orders integer NOT NULL, items integer NOT NULL, product_revenue numeric(16, 2) NOT NULL,
        freight_value numeric(16, 2) NOT NULL, delivered_orders integer NOT NULL, on_time_orders integer NOT NULL,
        delivery_days_sum numeric(16, 2) NOT NULL, reviews integer NOT NULL, review_score_sum integer NOT NULL,
        PRIMARY KEY (month, order_status, seller_id));
    CREATE TABLE warehouse.agg_daily_seller_categories (
        product_category_name_english text NOT NULL, purchase_date date NOT NULL, customer_state text NOT NULL,
        order_status text NOT NULL, seller_id uuid NOT NULL,
        orders integer NOT NULL, items integer NOT NULL, product_revenue numeric(16, 2) NOT NULL,
        freight_value numeric(16, 2) NOT NULL, delivered_orders integer NOT NULL, on_time_orders integer NOT NULL,
        delivery_days_sum numeric(16, 2) NOT NULL, reviews integer NOT NULL, review_score_sum integer NOT NULL,
        PRIMARY KEY (product_category_name_english, purchase_date, customer_state, order_status, seller_id));
    CREATE TABLE warehouse.multi_category_sellers (
        order_id uuid NOT NULL, seller_id uuid NOT NULL, purchase_date date NOT NULL, customer_state text NOT NULL,
        order_status text NOT NULL, categories text[] NOT NULL, delivered_orders integer NOT NULL,
        on_time_orders integer NOT NULL, delivery_days_sum numeric(16, 2) NOT NULL, reviews integer NOT NULL,
        review_score_sum integer NOT NULL, PRIMARY KEY (order_id, seller_id));
    """)
