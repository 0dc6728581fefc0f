"""The Customers and Products pages: each order of a known person, and items by price band.

Filled from the facts by `etl.rollups.ensure_current` after migrating.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    -- One row per order of a known person (customer_unique_id): the per-person questions (RFM,
    -- cohorts, lifetime value, first to second order) read this narrow table instead of joining
    -- every order to its customer. `single`: the person has no other order.
    CREATE TABLE warehouse.customer_orders (
        order_id            uuid PRIMARY KEY,
        customer_unique_id  uuid NOT NULL,
        purchase_date       date NOT NULL,
        customer_state      text NOT NULL,
        order_status        text NOT NULL,
        order_cents         bigint NOT NULL,   -- order_value in integer cents: exact, and fast to sum and rank
        single              boolean NOT NULL
    );
    CREATE INDEX customer_orders_date ON warehouse.customer_orders (purchase_date);
    CREATE INDEX customer_orders_repeat ON warehouse.customer_orders (customer_unique_id) WHERE NOT single;

    -- Items by the band their price falls in (etl/rollups.py PRICE_BANDS), per category.
    CREATE TABLE warehouse.agg_daily_price_bands (
        purchase_date                  date NOT NULL,
        customer_state                 text NOT NULL,
        order_status                   text NOT NULL,
        product_category_name_english  text NOT NULL,
        price_band                     smallint NOT NULL,
        items                          integer NOT NULL,
        product_revenue                numeric(16, 2) NOT NULL,
        PRIMARY KEY (purchase_date, customer_state, order_status, product_category_name_english, price_band)
    );
    """)


def downgrade() -> None:
    op.execute("DROP TABLE warehouse.agg_daily_price_bands, warehouse.customer_orders;")
