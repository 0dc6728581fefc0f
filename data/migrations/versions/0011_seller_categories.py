"""The per-seller rollup by category, so that the Sellers leaderboard, concentration and states and
the Reviews page's scores by seller answer a category filter without the item facts.

- `agg_daily_seller_categories`: `agg_daily_sellers` split by the category of the seller's items.
  Items, revenue and freight add up over any set of categories; the order measures (orders,
  delivered, on time, delivery days, reviews) do too unless one order holds items of two chosen
  categories from the same seller, where the order would be counted twice.
- `multi_category_sellers`: those (order, seller) pairs whose items span two or more categories
  (about 1% of them), with the order measures: a view of several categories subtracts, per such
  pair, (number of its categories chosen - 1) times its order measures, so each order counts once.
Filled by `etl.rollups.ensure_current` after migrating (the rollup version changes with this
revision) and by every load.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    CREATE TABLE warehouse.agg_daily_seller_categories (
        product_category_name_english  text NOT NULL,
        purchase_date      date NOT NULL,
        customer_state     text NOT NULL,
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
        -- a category's range of days is one range of the key
        PRIMARY KEY (product_category_name_english, purchase_date, customer_state, order_status, seller_id)
    );
    CREATE INDEX agg_daily_seller_categories_date ON warehouse.agg_daily_seller_categories (purchase_date);

    CREATE TABLE warehouse.multi_category_sellers (
        order_id           uuid NOT NULL,
        seller_id          uuid NOT NULL,
        purchase_date      date NOT NULL,
        customer_state     text NOT NULL,
        order_status       text NOT NULL,
        categories         text[] NOT NULL,   -- the English categories of the seller's items in the order
        delivered_orders   integer NOT NULL,  -- 0 or 1, as agg_daily_sellers counts them
        on_time_orders     integer NOT NULL,
        delivery_days_sum  numeric(16, 2) NOT NULL,
        reviews            integer NOT NULL,
        review_score_sum   integer NOT NULL,
        PRIMARY KEY (order_id, seller_id)
    );
    CREATE INDEX multi_category_sellers_date ON warehouse.multi_category_sellers (purchase_date);
    """)


def downgrade() -> None:
    op.execute("DROP TABLE warehouse.agg_daily_seller_categories, warehouse.multi_category_sellers")
