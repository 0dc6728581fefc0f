"""A monthly per-product rollup, so that the Products page's Pareto curve and top products read
about half the rows over long ranges.

`agg_monthly_products`: `agg_daily_products` summed over customer states, per calendar month (its
first day). A range without a state filter reads it for the months lying wholly inside and the
daily rollup only for the days around them, as the per-seller answers do with
`agg_monthly_sellers`. Filled by `etl.rollups.ensure_current` after migrating (the rollup version
changes with this revision) and by every load.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    CREATE TABLE warehouse.agg_monthly_products (
        month                          date NOT NULL,
        order_status                   text NOT NULL,
        product_id                     uuid NOT NULL,
        product_category_name_english  text NOT NULL,
        orders                         integer NOT NULL,
        items                          integer NOT NULL,
        product_revenue_cents          bigint NOT NULL,
        freight_value_cents            bigint NOT NULL,
        PRIMARY KEY (month, order_status, product_id, product_category_name_english)
    );
    """)


def downgrade() -> None:
    op.execute("DROP TABLE warehouse.agg_monthly_products")
