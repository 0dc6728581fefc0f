"""Each order once per English category it holds, with its delivery and review measures.

The Delivery page's questions for one or several categories read this table instead of finding
the categories' orders through every item and then fetching each order (about 1 s at a million
orders, against tens of milliseconds here). Filled from the facts by `etl.rollups.ensure_current`
after migrating, and by every load for the days it touched.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    CREATE TABLE warehouse.order_categories (
        product_category_name_english  text NOT NULL,
        purchase_date                  date NOT NULL,
        customer_state                 text NOT NULL,   -- '??' when the customer is unknown
        order_status                   text NOT NULL,
        order_id                       uuid NOT NULL,
        delivered                      boolean NOT NULL, -- status delivered with a delivery date
        is_late                        boolean,
        delivery_days                  numeric(8, 2),
        handoff_days                   numeric(10, 2),  -- approval to carrier
        estimated_days                 integer,         -- purchase to the estimated delivery date
        delivery_bucket                smallint,        -- whole delivery days, 60 = 60 or more
        late_bucket                    smallint,        -- days late -30..30, 999 = no estimate
        reviews_count                  integer NOT NULL,
        review_score_sum               integer NOT NULL,
        -- Category first: a category's orders over a date range are one range of the index.
        PRIMARY KEY (product_category_name_english, purchase_date, order_id)
    );
    CREATE INDEX order_categories_date ON warehouse.order_categories (purchase_date);
    """)


def downgrade() -> None:
    op.execute("DROP TABLE warehouse.order_categories;")
