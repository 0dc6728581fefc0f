"""Seller-state to customer-state flows, for the Geography page.

Filled from the facts by `etl.rollups.ensure_current` after migrating (the rollup definition
version moves with this revision).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    -- One row per day, customer state, status and seller state: the orders with at least one item
    -- sent from that seller state (an order from two seller states counts in both), and those items.
    CREATE TABLE warehouse.agg_daily_flows (
        purchase_date      date NOT NULL,
        customer_state     text NOT NULL,
        order_status       text NOT NULL,
        seller_state       text NOT NULL,
        orders             integer NOT NULL,
        items              integer NOT NULL,
        product_revenue    numeric(16, 2) NOT NULL,
        freight_value      numeric(16, 2) NOT NULL,
        delivered_orders   integer NOT NULL,
        delivery_days_sum  numeric(16, 2) NOT NULL,
        PRIMARY KEY (purchase_date, customer_state, order_status, seller_state)
    );
    """)


def downgrade() -> None:
    op.execute("DROP TABLE warehouse.agg_daily_flows")
