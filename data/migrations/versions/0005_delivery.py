"""Rollups for the Delivery and Reviews pages.

`agg_daily_delivery` buckets delivered orders by whole delivery days and by days late, with
their reviews; `agg_daily_orders` gains the hand-off and estimated-days sums. Filled from the
facts by `etl.rollups.ensure_current` after migrating.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    ALTER TABLE warehouse.agg_daily_orders
        ADD COLUMN handoff_orders integer NOT NULL DEFAULT 0,  -- approved and handed to the carrier
        ADD COLUMN handoff_days_sum numeric(16, 2) NOT NULL DEFAULT 0,
        ADD COLUMN estimated_days_sum integer NOT NULL DEFAULT 0;  -- of delivered orders: estimate - purchase

    -- Delivered orders (status delivered, with a delivery date) by whole days from purchase to
    -- delivery (60 = 60 or more) and by days late against the estimate (-30 to 30, clipped; 999
    -- when the order has no estimate).
    CREATE TABLE warehouse.agg_daily_delivery (
        purchase_date     date NOT NULL,
        customer_state    text NOT NULL,
        delivery_days     integer NOT NULL,
        days_late         integer NOT NULL,
        orders            integer NOT NULL,
        reviews           integer NOT NULL,
        review_score_sum  integer NOT NULL,
        PRIMARY KEY (purchase_date, customer_state, delivery_days, days_late)
    );
    """)


def downgrade() -> None:
    op.execute("""
    DROP TABLE warehouse.agg_daily_delivery;
    ALTER TABLE warehouse.agg_daily_orders DROP COLUMN handoff_orders, DROP COLUMN handoff_days_sum,
        DROP COLUMN estimated_days_sum;
    """)
