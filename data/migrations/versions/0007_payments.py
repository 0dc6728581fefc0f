"""The Payments page: installments by day, and the orders whose payments do not match.

Filled from the facts by `etl.rollups.ensure_current` after migrating.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    -- Payments by type and number of installments (0 and negatives kept as they come).
    CREATE TABLE warehouse.agg_daily_installments (
        purchase_date   date NOT NULL,
        customer_state  text NOT NULL,
        order_status    text NOT NULL,
        payment_type    text NOT NULL,
        installments    integer NOT NULL,
        payments        integer NOT NULL,
        payment_value   numeric(16, 2) NOT NULL,
        PRIMARY KEY (purchase_date, customer_state, order_status, payment_type, installments)
    );

    -- The orders whose payments differ from items plus freight (a few percent): reconciliation
    -- reads these instead of every order.
    CREATE TABLE warehouse.unreconciled_orders (
        order_id        uuid PRIMARY KEY,
        purchase_date   date NOT NULL,
        customer_state  text NOT NULL,
        order_status    text NOT NULL,
        order_value     numeric(14, 2) NOT NULL,
        payment_value   numeric(14, 2) NOT NULL
    );
    CREATE INDEX unreconciled_orders_date ON warehouse.unreconciled_orders (purchase_date);
    """)


def downgrade() -> None:
    op.execute("DROP TABLE warehouse.unreconciled_orders, warehouse.agg_daily_installments;")
