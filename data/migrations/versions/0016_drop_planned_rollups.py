"""Drop the hand-written rollups the semantic layer's planner replaced: payments by type (and by
category and type), installments, and delivery buckets. Their questions are Queries now, answered
from the generated `rollup_*` tables (data/semantic/catalogue.py).

A downgrade creates them empty; `python -m etl load --force` (or a rollup version change) fills them.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04
"""
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DROP TABLE warehouse.agg_daily_payments, warehouse.agg_daily_category_payments, "
               "warehouse.agg_daily_installments, warehouse.agg_daily_delivery")


def downgrade() -> None:
    op.execute("""
    CREATE TABLE warehouse.agg_daily_payments (
        purchase_date date NOT NULL, customer_state text NOT NULL, order_status text NOT NULL,
        payment_type text NOT NULL, payments integer NOT NULL, payment_value numeric(16, 2) NOT NULL,
        PRIMARY KEY (purchase_date, customer_state, order_status, payment_type));
    CREATE TABLE warehouse.agg_daily_category_payments (
        purchase_date date NOT NULL, customer_state text NOT NULL, order_status text NOT NULL,
        product_category_name_english text NOT NULL, payment_type text NOT NULL, payments integer NOT NULL,
        payment_value numeric(16, 2) NOT NULL,
        PRIMARY KEY (purchase_date, customer_state, order_status, product_category_name_english, payment_type));
    CREATE TABLE warehouse.agg_daily_installments (
        purchase_date date NOT NULL, customer_state text NOT NULL, order_status text NOT NULL,
        payment_type text NOT NULL, installments integer NOT NULL, payments integer NOT NULL,
        payment_value numeric(16, 2) NOT NULL,
        PRIMARY KEY (purchase_date, customer_state, order_status, payment_type, installments));
    CREATE TABLE warehouse.agg_daily_delivery (
        purchase_date date NOT NULL, customer_state text NOT NULL, delivery_days integer NOT NULL,
        days_late integer NOT NULL, orders integer NOT NULL, reviews integer NOT NULL,
        review_score_sum integer NOT NULL, PRIMARY KEY (purchase_date, customer_state, delivery_days, days_late));
    """)
