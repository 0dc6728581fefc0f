"""Rollups for every chart of Overview and Sales: hours, payments, products, repeat buyers.

The new columns and tables start empty; `etl.rollups.ensure_current` (run after migrating) fills
them from the fact tables, because `etl.rollup_state` says they were built by an older definition.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

HOURS = ", ".join(f"ADD COLUMN orders_h{h:02d} integer NOT NULL DEFAULT 0" for h in range(24))
ORDER_LEVEL = """
    ADD COLUMN payment_value numeric(16, 2) NOT NULL DEFAULT 0,
    ADD COLUMN delivered_orders integer NOT NULL DEFAULT 0,
    ADD COLUMN on_time_orders integer NOT NULL DEFAULT 0,
    ADD COLUMN delivery_days_sum numeric(16, 2) NOT NULL DEFAULT 0,
    ADD COLUMN reviews integer NOT NULL DEFAULT 0,
    ADD COLUMN review_score_sum integer NOT NULL DEFAULT 0"""


def upgrade() -> None:
    op.execute(f"""
    -- Orders of people (customer_unique_id) whose single order it is: distinct customers become
    -- a sum of these plus a count over the small table of repeat buyers' orders.
    ALTER TABLE warehouse.agg_daily_orders ADD COLUMN single_buyer_orders integer NOT NULL DEFAULT 0, {HOURS};
    -- Order-level measures of the orders holding the category: exact for one category at a time.
    ALTER TABLE warehouse.agg_daily_categories {ORDER_LEVEL},
        ADD COLUMN single_buyer_orders integer NOT NULL DEFAULT 0, {HOURS};

    CREATE TABLE warehouse.agg_daily_payments (
        purchase_date   date NOT NULL,
        customer_state  text NOT NULL,
        order_status    text NOT NULL,
        payment_type    text NOT NULL,
        payments        integer NOT NULL,
        payment_value   numeric(16, 2) NOT NULL,
        PRIMARY KEY (purchase_date, customer_state, order_status, payment_type)
    );

    -- Payments of the orders holding each category (an order's payments count once per category).
    CREATE TABLE warehouse.agg_daily_category_payments (
        purchase_date                  date NOT NULL,
        customer_state                 text NOT NULL,
        order_status                   text NOT NULL,
        product_category_name_english  text NOT NULL,
        payment_type                   text NOT NULL,
        payments                       integer NOT NULL,
        payment_value                  numeric(16, 2) NOT NULL,
        PRIMARY KEY (purchase_date, customer_state, order_status, product_category_name_english, payment_type)
    );

    CREATE TABLE warehouse.agg_daily_products (
        purchase_date                  date NOT NULL,
        customer_state                 text NOT NULL,
        order_status                   text NOT NULL,
        product_id                     uuid NOT NULL,
        product_category_name_english  text NOT NULL,
        orders                         integer NOT NULL,  -- additive: an order lies in one (day, state, status)
        items                          integer NOT NULL,
        -- Integer cents: exact, and summing a million of them takes half the time numeric does.
        product_revenue_cents          bigint NOT NULL,
        freight_value_cents            bigint NOT NULL,
        PRIMARY KEY (purchase_date, customer_state, order_status, product_id)
    );

    -- Every order of a person with two or more orders (about 6% of orders).
    CREATE TABLE warehouse.repeat_buyer_orders (
        order_id            uuid PRIMARY KEY,
        customer_unique_id  uuid NOT NULL,
        purchase_date       date NOT NULL,
        customer_state      text NOT NULL,
        order_status        text NOT NULL,
        categories          text[] NOT NULL
    );
    CREATE INDEX repeat_buyer_orders_date ON warehouse.repeat_buyer_orders (purchase_date);

    -- Which definition of the rollups built what is in them (see etl/rollups.py).
    CREATE TABLE etl.rollup_state (
        only_row  boolean PRIMARY KEY DEFAULT true CHECK (only_row),
        version   integer NOT NULL
    );
    INSERT INTO etl.rollup_state VALUES (true, 0);
    """)


def downgrade() -> None:
    hours = ", ".join(f"DROP COLUMN orders_h{h:02d}" for h in range(24))
    order_level = ", ".join(f"DROP COLUMN {c}" for c in (
        "payment_value", "delivered_orders", "on_time_orders", "delivery_days_sum", "reviews", "review_score_sum"))
    op.execute(f"""
    DROP TABLE etl.rollup_state, warehouse.repeat_buyer_orders, warehouse.agg_daily_products,
               warehouse.agg_daily_payments, warehouse.agg_daily_category_payments;
    ALTER TABLE warehouse.agg_daily_orders DROP COLUMN single_buyer_orders, {hours};
    ALTER TABLE warehouse.agg_daily_categories DROP COLUMN single_buyer_orders, {order_level}, {hours};
    """)
