"""The customer's city on `customer_orders` and `order_categories`, and on the latter the revenue of
the order's items of that category, so that a state's cities (Geography's drill from a state to its
cities) are one index range of either table instead of the range's orders joined to every customer
(1.4 s at 1M orders for 90 days, against 0.5 s for the naive SQL).

Filled by `etl.rollups.ensure_current` after migrating (the rollup version changes with this
revision) and by every load.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    ALTER TABLE warehouse.customer_orders ADD COLUMN customer_city text NOT NULL DEFAULT '';
    ALTER TABLE warehouse.order_categories ADD COLUMN customer_city text NOT NULL DEFAULT '',
        ADD COLUMN category_cents bigint NOT NULL DEFAULT 0;  -- price + freight_value of its items of the category
    """)


def downgrade() -> None:
    op.execute("ALTER TABLE warehouse.customer_orders DROP COLUMN customer_city;"
               "ALTER TABLE warehouse.order_categories DROP COLUMN customer_city, DROP COLUMN category_cents;")
