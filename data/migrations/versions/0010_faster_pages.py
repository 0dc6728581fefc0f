"""What the Customers page needs so that no question scans every order or windows over all history;
a monthly per-seller rollup; the low-score reviews with their order's day, state and status.

- Each repeat buyer's order carries the person's first and second order dates and its value in
  cents: cohorts, the new/returning split and first-to-second-order gaps found them by window
  functions over every repeat buyer's order in all history, on every question.
- `order_categories` carries each order's person, one-order flag and value in cents: a category's
  one-order people (RFM, lifetime value) are one range of its index instead of a semi-join over
  every order of the range.
- `agg_daily_single_ltv`: the one-order people by the lifetime-value tier of their one order, so
  the tiers and the average lifetime value no longer scan a million orders.
- `agg_monthly_sellers`: the per-seller rollup summed over states and months (about a seventh of
  the daily one's rows), for the Sellers leaderboard and the reviews by seller over long ranges.
- `low_reviews`: the reviews scoring 1 or 2 (about 15% of reviews) with what the filters test, so
  the Reviews page's latest low scores walk one narrow table instead of joining each review to
  its order and customer (a state filter joined every order of the range to its customer).
Filled by `etl.rollups.ensure_current` after migrating (the rollup version changes with this
revision) and by every load.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    ALTER TABLE warehouse.repeat_buyer_orders
        ADD COLUMN first_date   date,     -- the person's first order, any status
        ADD COLUMN second_date  date,     -- the person's second order (by date, then order id), any status
        ADD COLUMN order_cents  bigint;   -- order_value in integer cents
    CREATE INDEX repeat_buyer_orders_person ON warehouse.repeat_buyer_orders (customer_unique_id);
    DROP INDEX warehouse.customer_orders_repeat;  -- the repeat buyers' orders are read from the table above

    ALTER TABLE warehouse.order_categories
        ADD COLUMN customer_unique_id  uuid,      -- NULL when the customer is unknown
        ADD COLUMN single              boolean,   -- a known person with no other order
        ADD COLUMN order_cents         bigint;    -- the whole order's order_value in integer cents

    -- One-order people (each order is one person) by the lifetime-value tier of their order:
    -- width_bucket(order_cents, etl/rollups.py LTV_TIER_CENTS), 0 = below the first bound.
    CREATE TABLE warehouse.agg_daily_single_ltv (
        purchase_date   date NOT NULL,
        customer_state  text NOT NULL,
        order_status    text NOT NULL,
        tier            smallint NOT NULL,
        orders          integer NOT NULL,
        order_cents     bigint NOT NULL,
        PRIMARY KEY (purchase_date, customer_state, order_status, tier)
    );

    -- agg_daily_sellers summed over customer states, per calendar month (first day).
    CREATE TABLE warehouse.agg_monthly_sellers (
        month              date NOT NULL,
        order_status       text NOT NULL,
        seller_id          uuid NOT NULL,
        orders             integer NOT NULL,
        items              integer NOT NULL,
        product_revenue    numeric(16, 2) NOT NULL,
        freight_value      numeric(16, 2) NOT NULL,
        delivered_orders   integer NOT NULL,
        on_time_orders     integer NOT NULL,
        delivery_days_sum  numeric(16, 2) NOT NULL,
        reviews            integer NOT NULL,
        review_score_sum   integer NOT NULL,
        PRIMARY KEY (month, order_status, seller_id)
    );

    CREATE TABLE warehouse.low_reviews (
        review_creation_date  timestamp,
        review_id             uuid NOT NULL,
        order_id              uuid NOT NULL,
        review_score          smallint NOT NULL,  -- 1 or 2
        purchase_date         date NOT NULL,      -- the order's
        customer_state        text NOT NULL,      -- '??' when the customer is unknown
        order_status          text NOT NULL,
        categories            text[] NOT NULL,    -- the order's English categories
        PRIMARY KEY (review_id, order_id)
    );
    CREATE INDEX low_reviews_latest ON warehouse.low_reviews (review_creation_date DESC NULLS LAST, review_id);
    CREATE INDEX low_reviews_date ON warehouse.low_reviews (purchase_date);
    CREATE INDEX low_reviews_order ON warehouse.low_reviews (order_id);  -- a seller's orders' low reviews
    """)


def downgrade() -> None:
    op.execute("""
    DROP TABLE warehouse.agg_daily_single_ltv, warehouse.agg_monthly_sellers, warehouse.low_reviews;
    ALTER TABLE warehouse.order_categories DROP COLUMN customer_unique_id, DROP COLUMN single, DROP COLUMN order_cents;
    CREATE INDEX customer_orders_repeat ON warehouse.customer_orders (customer_unique_id) WHERE NOT single;
    DROP INDEX warehouse.repeat_buyer_orders_person;
    ALTER TABLE warehouse.repeat_buyer_orders DROP COLUMN first_date, DROP COLUMN second_date, DROP COLUMN order_cents;
    """)
