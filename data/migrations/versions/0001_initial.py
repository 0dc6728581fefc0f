"""Create the warehouse star schema, the ETL bookkeeping and the parsing functions.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SCHEMA = r"""
CREATE SCHEMA IF NOT EXISTS warehouse;
CREATE SCHEMA IF NOT EXISTS etl;
CREATE SCHEMA IF NOT EXISTS app;

CREATE TABLE warehouse.dim_date (
    date_key      date PRIMARY KEY,
    year          smallint NOT NULL,
    quarter       smallint NOT NULL,
    month         smallint NOT NULL,
    day           smallint NOT NULL,
    day_of_week   smallint NOT NULL,  -- ISO: 1 = Monday ... 7 = Sunday
    day_name      text NOT NULL,
    month_name    text NOT NULL,
    week_start    date NOT NULL,      -- the Monday of the ISO week
    month_start   date NOT NULL,
    is_weekend    boolean NOT NULL
);

CREATE TABLE warehouse.dim_categories (
    product_category_name          text PRIMARY KEY,
    product_category_name_english  text NOT NULL
);

CREATE TABLE warehouse.dim_geolocation (
    geolocation_zip_code_prefix  text PRIMARY KEY,
    geolocation_lat              double precision,
    geolocation_lng              double precision,
    geolocation_city             text,
    geolocation_state            text,
    points                       integer NOT NULL  -- source rows behind this prefix
);

CREATE TABLE warehouse.dim_customers (
    customer_id               uuid PRIMARY KEY,
    customer_unique_id        uuid,
    customer_zip_code_prefix  text,
    customer_city             text,
    customer_state            text,
    is_unknown                boolean NOT NULL DEFAULT false  -- inferred from a fact, not yet seen
);
CREATE INDEX dim_customers_unique_id ON warehouse.dim_customers (customer_unique_id);

CREATE TABLE warehouse.dim_sellers (
    seller_id               uuid PRIMARY KEY,
    seller_zip_code_prefix  text,
    seller_city             text,
    seller_state            text,
    is_unknown              boolean NOT NULL DEFAULT false
);

CREATE TABLE warehouse.dim_products (
    product_id                     uuid PRIMARY KEY,
    product_category_name          text,
    product_name_length            integer,
    product_description_length     integer,
    product_photos_qty             integer,
    product_weight_g               integer,
    product_length_cm              integer,
    product_height_cm              integer,
    product_width_cm               integer,
    product_category_name_english  text NOT NULL,  -- translation, else the source name, else 'unknown'
    is_unknown                     boolean NOT NULL DEFAULT false
);

CREATE TABLE warehouse.fact_orders (
    order_id                       uuid PRIMARY KEY,
    customer_id                    uuid NOT NULL,
    order_status                   text NOT NULL,
    order_purchase_timestamp       timestamp NOT NULL,
    order_approved_at              timestamp,
    order_delivered_carrier_date   timestamp,
    order_delivered_customer_date  timestamp,
    order_estimated_delivery_date  timestamp,
    purchase_date                  date NOT NULL,
    delivery_days                  numeric(8, 2),   -- delivered - purchased, in days
    is_late                        boolean,         -- delivered after the estimate, by date
    items_count                    integer NOT NULL DEFAULT 0,
    product_revenue                numeric(14, 2) NOT NULL DEFAULT 0,
    freight_value                  numeric(14, 2) NOT NULL DEFAULT 0,
    order_value                    numeric(14, 2) NOT NULL DEFAULT 0,
    payment_value                  numeric(14, 2) NOT NULL DEFAULT 0,
    reviews_count                  integer NOT NULL DEFAULT 0,
    review_score_sum               integer NOT NULL DEFAULT 0
);
CREATE INDEX fact_orders_purchase_date ON warehouse.fact_orders (purchase_date);
CREATE INDEX fact_orders_customer ON warehouse.fact_orders (customer_id);

CREATE TABLE warehouse.fact_order_items (
    order_id             uuid NOT NULL,
    order_item_id        integer NOT NULL,
    product_id           uuid NOT NULL,
    seller_id            uuid NOT NULL,
    shipping_limit_date  timestamp,
    price                numeric(12, 2) NOT NULL,
    freight_value        numeric(12, 2) NOT NULL,
    item_value           numeric(12, 2) GENERATED ALWAYS AS (price + freight_value) STORED,
    PRIMARY KEY (order_id, order_item_id)
);
CREATE INDEX fact_order_items_product ON warehouse.fact_order_items (product_id);
CREATE INDEX fact_order_items_seller ON warehouse.fact_order_items (seller_id);

CREATE TABLE warehouse.fact_payments (
    order_id              uuid NOT NULL,
    payment_sequential    integer NOT NULL,
    payment_type          text NOT NULL,
    payment_installments  integer NOT NULL,
    payment_value         numeric(12, 2) NOT NULL,
    PRIMARY KEY (order_id, payment_sequential)
);

CREATE TABLE warehouse.fact_reviews (
    review_id                uuid NOT NULL,
    order_id                 uuid NOT NULL,
    review_score             smallint NOT NULL CHECK (review_score BETWEEN 1 AND 5),
    review_comment_title     text,
    review_comment_message   text,
    review_creation_date     timestamp,
    review_answer_timestamp  timestamp,
    PRIMARY KEY (review_id, order_id)
);
CREATE INDEX fact_reviews_order ON warehouse.fact_reviews (order_id);

-- Rollups: one row per day and slice, refreshed by the ETL for the dates a load touched.
CREATE TABLE warehouse.agg_daily_orders (
    purchase_date      date NOT NULL,
    customer_state     text NOT NULL,  -- '??' for an unknown customer
    order_status       text NOT NULL,
    orders             integer NOT NULL,
    orders_with_items  integer NOT NULL,
    items              integer NOT NULL,
    product_revenue    numeric(16, 2) NOT NULL,
    freight_value      numeric(16, 2) NOT NULL,
    revenue            numeric(16, 2) NOT NULL,
    payment_value      numeric(16, 2) NOT NULL,
    delivered_orders   integer NOT NULL,
    on_time_orders     integer NOT NULL,
    late_orders        integer NOT NULL,
    delivery_days_sum  numeric(16, 2) NOT NULL,
    reviews            integer NOT NULL,
    review_score_sum   integer NOT NULL,
    PRIMARY KEY (purchase_date, customer_state, order_status)
);

CREATE TABLE warehouse.agg_daily_categories (
    purchase_date                  date NOT NULL,
    customer_state                 text NOT NULL,
    order_status                   text NOT NULL,
    product_category_name_english  text NOT NULL,
    orders                         integer NOT NULL,  -- distinct within the row: not additive across categories
    items                          integer NOT NULL,
    product_revenue                numeric(16, 2) NOT NULL,
    freight_value                  numeric(16, 2) NOT NULL,
    revenue                        numeric(16, 2) NOT NULL,
    PRIMARY KEY (purchase_date, customer_state, order_status, product_category_name_english)
);

CREATE TABLE etl.runs (
    run_id       bigserial PRIMARY KEY,
    started_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    status       text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'abandoned')),
    dry_run      boolean NOT NULL DEFAULT false,
    source       text,
    files        jsonb NOT NULL DEFAULT '[]',
    tables       jsonb NOT NULL DEFAULT '{}',
    changed      boolean NOT NULL DEFAULT false,  -- did this run change the warehouse?
    warnings     jsonb NOT NULL DEFAULT '[]',
    error        text
);

CREATE TABLE etl.files (
    content_hash  text PRIMARY KEY,  -- a file with this content was loaded cleanly
    kind          text NOT NULL,
    file_name     text NOT NULL,
    run_id        bigint NOT NULL REFERENCES etl.runs,
    loaded_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE etl.quarantine (
    quarantine_id  bigserial PRIMARY KEY,
    run_id         bigint NOT NULL REFERENCES etl.runs,
    file_name      text NOT NULL,
    line_number    bigint,
    table_name     text NOT NULL,
    reason         text NOT NULL,
    raw            jsonb NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX quarantine_run ON etl.quarantine (run_id);

-- Parsing, set-based: NULL means "does not parse", and the loader turns that into a reason.
CREATE FUNCTION etl.parse_ts_slow(v text, slash_order text) RETURNS timestamp
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
DECLARE
    m text[];
    y int; mo int; d int; h int; mi int; s int; ap text;
BEGIN
    v := btrim(v);
    m := regexp_match(v, '^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?$');
    IF m IS NOT NULL THEN
        y := m[1]; mo := m[2]; d := m[3];
    ELSE
        m := regexp_match(v, '^(\d{1,2})[/.](\d{1,2})[/.](\d{4}|\d{2}),?(?: (\d{1,2}):(\d{2})(?::(\d{2}))?(?: ?([AaPp][Mm]))?)?$');
        IF m IS NULL THEN
            RETURN NULL;
        END IF;
        IF slash_order = 'dmy' THEN
            d := m[1]; mo := m[2];
        ELSE
            mo := m[1]; d := m[2];
        END IF;
        y := m[3];
        IF length(m[3]) = 2 THEN
            y := 2000 + y;
        END IF;
        ap := lower(m[7]);
    END IF;
    h := coalesce(m[4], '0'); mi := coalesce(m[5], '0'); s := coalesce(m[6], '0');
    IF ap IS NOT NULL THEN
        IF h < 1 OR h > 12 THEN
            RETURN NULL;
        END IF;
        IF ap = 'pm' AND h < 12 THEN h := h + 12; ELSIF ap = 'am' AND h = 12 THEN h := 0; END IF;
    END IF;
    IF y < 1900 OR y > 2200 OR mo < 1 OR mo > 12 OR d < 1 OR h > 23 OR mi > 59 OR s > 59 THEN
        RETURN NULL;
    END IF;
    IF d > extract(day FROM make_date(y, mo, 1) + interval '1 month - 1 day') THEN
        RETURN NULL;
    END IF;
    RETURN make_timestamp(y, mo, d, h, mi, s);
END
$fn$;

-- The common case (the published format) stays in SQL so the planner inlines it.
CREATE FUNCTION etl.parse_ts(v text, slash_order text) RETURNS timestamp
LANGUAGE sql STABLE PARALLEL SAFE AS $fn$
SELECT CASE
    WHEN v ~ '^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$'
         AND substr(v, 6, 2) BETWEEN '01' AND '12' AND substr(v, 9, 2) BETWEEN '01' AND '28'
         AND substr(v, 12, 2) <= '23' AND substr(v, 15, 2) <= '59' AND substr(v, 18, 2) <= '59'
    THEN v::timestamp
    ELSE etl.parse_ts_slow(v, slash_order)
END
$fn$;

CREATE FUNCTION etl.parse_uuid(v text) RETURNS uuid
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
SELECT CASE
    WHEN v ~ '^[0-9a-f]{32}$' THEN v::uuid
    WHEN btrim(v) ~* '^([0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$'
    THEN btrim(v)::uuid
END
$fn$;

CREATE FUNCTION etl.parse_numeric(v text) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
SELECT CASE
    WHEN v ~ '^-?\d{1,10}(\.\d+)?$' THEN v::numeric
    WHEN btrim(v) ~ '^-?\d{1,10}(\.\d+)?$' THEN btrim(v)::numeric
    WHEN btrim(v) ~ '^-?\d{1,10},\d+$' THEN replace(btrim(v), ',', '.')::numeric
END
$fn$;

CREATE FUNCTION etl.parse_int(v text) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
SELECT CASE
    WHEN v ~ '^-?\d{1,9}$' THEN v::integer
    WHEN btrim(v) ~ '^-?\d{1,9}(\.0*)?$' THEN split_part(btrim(v), '.', 1)::integer
END
$fn$;

CREATE FUNCTION etl.parse_zip(v text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
SELECT CASE
    WHEN v ~ '^\d{5}$' THEN v
    WHEN btrim(v) ~ '^\d{1,5}(\.0*)?$' THEN lpad(split_part(btrim(v), '.', 1), 5, '0')
    WHEN btrim(v) ~ '^\d{5}-?\d{3}$' THEN left(btrim(v), 5)
END
$fn$;
"""


def upgrade() -> None:
    op.execute(SCHEMA)


def downgrade() -> None:
    op.execute("DROP SCHEMA warehouse CASCADE; DROP SCHEMA etl CASCADE; DROP SCHEMA app CASCADE;")
