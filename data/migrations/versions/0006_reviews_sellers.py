"""Rollups for the Reviews page (and the Sellers page to come): scores, and sellers by day.

Filled from the facts by `etl.rollups.ensure_current` after migrating.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    -- Reviews of the orders of a day, by score (days and filters are the orders').
    CREATE TABLE warehouse.agg_daily_review_scores (
        purchase_date   date NOT NULL,
        customer_state  text NOT NULL,
        order_status    text NOT NULL,
        review_score    smallint NOT NULL,
        reviews         integer NOT NULL,
        with_comment    integer NOT NULL,  -- a non-blank review_comment_message
        PRIMARY KEY (purchase_date, customer_state, order_status, review_score)
    );

    -- Per seller: the orders holding its items (an order of two sellers counts for both), those
    -- items, and those orders' delivery and reviews.
    CREATE TABLE warehouse.agg_daily_sellers (
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
        PRIMARY KEY (purchase_date, customer_state, order_status, seller_id)
    );

    -- The latest low scores, newest first, without sorting every review.
    CREATE INDEX fact_reviews_low_latest ON warehouse.fact_reviews (review_creation_date DESC NULLS LAST)
        WHERE review_score <= 2;
    """)


def downgrade() -> None:
    op.execute("""
    DROP INDEX warehouse.fact_reviews_low_latest;
    DROP TABLE warehouse.agg_daily_sellers, warehouse.agg_daily_review_scores;
    """)
