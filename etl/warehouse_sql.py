"""The set-based statements that move typed staging rows into the warehouse.

Each upsert writes only rows that are new or whose values changed (`IS DISTINCT FROM`), which is
what makes a second load of the same files change nothing, and it records the keys it touched in
small temp tables so derived columns and rollups are refreshed only where something moved.
"""
from __future__ import annotations

from etl import reasons
from etl.formats import FileKind
from etl.typing_sql import SCRATCH

GOOD = "reason IS NULL AND NOT duplicate"
GOOD_T = "t.reason IS NULL AND NOT t.duplicate"  # the same, for a table aliased t

TOUCH_TABLES = """
CREATE TEMP TABLE touched_orders (order_id uuid, purchase_date date, inserted boolean);
CREATE TEMP TABLE child_orders (order_id uuid);
CREATE TEMP TABLE touched_dates (purchase_date date);
CREATE TEMP TABLE chg_customers (customer_id uuid);
CREATE TEMP TABLE chg_products (product_id uuid);
CREATE TEMP TABLE chg_sellers (seller_id uuid);
CREATE TEMP TABLE chg_categories (product_category_name text);
"""


def upsert(table: str, columns: list[str], select: str, keys: tuple[str, ...],
           compare: list[str] | None = None, capture: str | None = None,
           update: list[str] | None = None, returning_extra: str | None = None) -> str:
    """INSERT ... ON CONFLICT that updates only changed rows and returns (inserted, updated).

    `compare` are the columns whose change counts as a change (default: all but the keys);
    `update` the columns an update writes (default: `compare`); `capture`, an INSERT that
    receives the touched rows as `w` (key columns and `inserted`). The statement carries a
    marker comment so that `bulk()` can turn it into a plain INSERT for an empty table.
    """
    compare = compare or [c for c in columns if c not in keys]
    update = update or compare
    cols = ", ".join(columns)
    sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in update)
    old = ", ".join(f"d.{c}" for c in compare)
    new = ", ".join(f"EXCLUDED.{c}" for c in compare)
    returning = ", ".join([f"d.{k}" for k in keys] + ([returning_extra] if returning_extra else []))
    sql = (f"WITH w AS (INSERT INTO warehouse.{table} AS d ({cols}) {select} "
           f"/*conflict*/ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {sets} "
           f"WHERE ROW({old}) IS DISTINCT FROM ROW({new})/*end*/ "
           f"RETURNING {returning}, (xmax = 0) AS inserted)")
    if capture:
        sql += f", c AS ({capture})"
    return sql + " SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM w"


def bulk(sql: str) -> str:
    """Drop the ON CONFLICT clause of an `upsert` statement: for an empty table (batch keys are unique)."""
    start, end = sql.index("/*conflict*/"), sql.index("/*end*/") + len("/*end*/")
    return sql[:start] + sql[end:]


def cols(kind: FileKind) -> list[str]:
    return [c.column for c in kind.columns]


def select_list(kind: FileKind, alias: str = "") -> str:
    """The typed columns as the warehouse stores them (zip prefixes back to five-digit text)."""
    out = []
    for c in kind.columns:
        name = f'{alias}"{c.column}"'
        out.append(f"lpad({name}::text, 5, '0')" if c.kind == "zip" else name)
    return ", ".join(out)


def categories_sql(kind: FileKind) -> list[str]:
    return [upsert(kind.table, cols(kind), f"SELECT {', '.join(cols(kind))} FROM typ_categories WHERE {GOOD}",
                   kind.key_columns,
                   capture="INSERT INTO chg_categories SELECT product_category_name FROM w WHERE NOT inserted")]


GEO_INSIDE = "geolocation_lat BETWEEN -34 AND 6 AND geolocation_lng BETWEEN -74 AND -28"

# One row per zip prefix: mean position (points outside Brazil left out), commonest city and state.
# Two hash aggregates (prefix x city x state, then prefix) instead of sorting a million rows for
# mode(); ties go to the alphabetically first name, so the answer does not depend on row order.
# Built by the staging worker (it needs nothing else), so the run's transaction only upserts it.
GEO_PREFIXES = f"""
CREATE UNLOGGED TABLE geo_prefixes {SCRATCH} AS
WITH g AS (
    SELECT geolocation_zip_code_prefix AS z, geolocation_city AS city, geolocation_state AS state,
           count(*) AS n, count(*) FILTER (WHERE {GEO_INSIDE}) AS n_in,
           sum(geolocation_lat) FILTER (WHERE {GEO_INSIDE}) AS lat,
           sum(geolocation_lng) FILTER (WHERE {GEO_INSIDE}) AS lng
    FROM typ_geolocation WHERE {GOOD} GROUP BY 1, 2, 3
), p AS (
    SELECT z, sum(n)::int AS points, round((sum(lat) / nullif(sum(n_in), 0))::numeric, 6) AS lat,
           round((sum(lng) / nullif(sum(n_in), 0))::numeric, 6) AS lng
    FROM g GROUP BY z
), c AS (
    SELECT DISTINCT ON (z) z, city FROM (SELECT z, city, sum(n) AS n FROM g GROUP BY 1, 2) x
    ORDER BY z, n DESC, city
), s AS (
    SELECT DISTINCT ON (z) z, state FROM (SELECT z, state, sum(n) AS n FROM g GROUP BY 1, 2) x
    ORDER BY z, n DESC, state
)
SELECT lpad(p.z::text, 5, '0') AS geolocation_zip_code_prefix, p.lat::double precision AS geolocation_lat,
       p.lng::double precision AS geolocation_lng, c.city AS geolocation_city, s.state AS geolocation_state,
       p.points
FROM p JOIN c USING (z) JOIN s USING (z)
"""

GEO_COLUMNS = ["geolocation_zip_code_prefix", "geolocation_lat", "geolocation_lng",
               "geolocation_city", "geolocation_state", "points"]


def geolocation_sql() -> str:
    return upsert("dim_geolocation", GEO_COLUMNS, f"SELECT {', '.join(GEO_COLUMNS)} FROM geo_prefixes",
                  ("geolocation_zip_code_prefix",))


def dimension_sql(kind: FileKind) -> str:
    """Customers and sellers: a real row also turns an unknown member into a known one."""
    c = cols(kind) + ["is_unknown"]
    select = f"SELECT {select_list(kind)}, false FROM typ_{kind.key} WHERE {GOOD}"
    capture = None
    if kind.key in ("customers", "sellers"):  # their state is in the rollups: a change touches their orders
        key = kind.key_columns[0]
        capture = f"INSERT INTO chg_{kind.key} SELECT {key} FROM w WHERE NOT inserted"
    return upsert(kind.table, c, select, kind.key_columns, capture=capture)


def products_sql(kind: FileKind) -> list[str]:
    c = cols(kind) + ["product_category_name_english", "is_unknown"]
    select = (f"SELECT {', '.join('t.' + x for x in cols(kind))}, "
              "coalesce(k.product_category_name_english, t.product_category_name, 'unknown'), false "
              f"FROM typ_products t LEFT JOIN warehouse.dim_categories k USING (product_category_name) "
              f"WHERE {GOOD_T}")
    return [upsert(kind.table, c, select, kind.key_columns,
                   capture="INSERT INTO chg_products SELECT product_id FROM w WHERE NOT inserted")]


RETRANSLATE = """
WITH w AS (
    UPDATE warehouse.dim_products p
    SET product_category_name_english = coalesce(k.product_category_name_english, p.product_category_name, 'unknown')
    FROM chg_categories c LEFT JOIN warehouse.dim_categories k USING (product_category_name)
    WHERE p.product_category_name = c.product_category_name
      AND p.product_category_name_english IS DISTINCT FROM
          coalesce(k.product_category_name_english, p.product_category_name, 'unknown')
    RETURNING p.product_id)
INSERT INTO chg_products SELECT product_id FROM w
"""


def unknown_members(typ: str, column: str, dim: str, extra: str = "") -> str:
    """Create an explicit unknown member for each key a fact points at that no dimension row has."""
    cols = f"{column}, is_unknown" + (", product_category_name_english" if dim == "dim_products" else "")
    vals = "true" + (", 'unknown'" if dim == "dim_products" else "")
    return (f"WITH w AS (INSERT INTO warehouse.{dim} ({cols}) "
            f"SELECT DISTINCT t.{column}, {vals} FROM {typ} t WHERE {GOOD_T} "
            f"AND NOT EXISTS (SELECT 1 FROM warehouse.{dim} x WHERE x.{column} = t.{column}) "
            f"ON CONFLICT DO NOTHING RETURNING 1) SELECT count(*) FROM w")


def orphans(typ: str) -> str:
    """Quarantine child rows whose order is in neither the batch nor the warehouse."""
    return (f"UPDATE {typ} t SET reason = '{reasons.UNKNOWN_ORDER}' "
            f"WHERE {GOOD_T} "
            f"AND NOT EXISTS (SELECT 1 FROM warehouse.fact_orders o WHERE o.order_id = t.order_id)")


ORDER_SOURCE = ["order_id", "customer_id", "order_status", "order_purchase_timestamp",
                "order_approved_at", "order_delivered_carrier_date",
                "order_delivered_customer_date", "order_estimated_delivery_date"]
ORDER_SELF_DERIVED = ["purchase_date", "delivery_days", "is_late"]
ORDER_CHILD_DERIVED = ["items_count", "product_revenue", "freight_value", "order_value", "payment_value",
                       "reviews_count", "review_score_sum"]

# Per-order totals of a batch's good child rows, built by each kind's staging worker.
CHILD_BATCH_TOTALS = {
    "items": f"CREATE UNLOGGED TABLE items_by_order {SCRATCH} AS SELECT order_id, count(*) AS n, sum(price) AS pr, "
             f"sum(freight_value) AS fr FROM typ_items WHERE {GOOD} GROUP BY order_id",
    "payments": f"CREATE UNLOGGED TABLE payments_by_order {SCRATCH} AS SELECT order_id, sum(payment_value) AS pv "
                f"FROM typ_payments WHERE {GOOD} GROUP BY order_id",
    "reviews": f"CREATE UNLOGGED TABLE reviews_by_order {SCRATCH} AS SELECT order_id, count(*) AS n, "
               f"sum(review_score) AS s FROM typ_reviews WHERE {GOOD} GROUP BY order_id",
}


def orders_sql(has_items: bool, has_payments: bool, has_reviews: bool, capture: bool) -> list[str]:
    """Upsert orders with their own derived columns, and child totals from this batch's rows.

    An order new in this run can only have children from this batch (others were quarantined
    as orphans), so its totals are exact at insert. Updates leave child totals to
    `CHILD_TOTALS`, which recomputes them only for orders whose children moved. Without `capture`
    (a first load: every order is new) the touched orders are not recorded one by one.
    """
    old_dates = ("INSERT INTO touched_dates SELECT DISTINCT o.purchase_date FROM warehouse.fact_orders o "
                 f"JOIN typ_orders t USING (order_id) WHERE {GOOD_T} "
                 "AND o.order_purchase_timestamp IS DISTINCT FROM t.order_purchase_timestamp")
    items = "items_by_order" if has_items else "(SELECT NULL::uuid AS order_id, 0 AS n, 0 AS pr, 0 AS fr WHERE false)"
    pays = "payments_by_order" if has_payments else "(SELECT NULL::uuid AS order_id, 0 AS pv WHERE false)"
    revs = "reviews_by_order" if has_reviews else "(SELECT NULL::uuid AS order_id, 0 AS n, 0 AS s WHERE false)"
    select = (
        f"SELECT {', '.join('t.' + c for c in ORDER_SOURCE)}, "
        "t.order_purchase_timestamp::date, "
        "round((extract(epoch FROM t.order_delivered_customer_date - t.order_purchase_timestamp) / 86400)::numeric, 2), "
        "t.order_delivered_customer_date::date > t.order_estimated_delivery_date::date, "
        "coalesce(i.n, 0), coalesce(i.pr, 0), coalesce(i.fr, 0), coalesce(i.pr, 0) + coalesce(i.fr, 0), "
        "coalesce(p.pv, 0), coalesce(r.n, 0), coalesce(r.s, 0) "
        f"FROM typ_orders t LEFT JOIN {items} i USING (order_id) LEFT JOIN {pays} p USING (order_id) "
        f"LEFT JOIN {revs} r USING (order_id) WHERE {GOOD_T}"
    )
    up = upsert("fact_orders", ORDER_SOURCE + ORDER_SELF_DERIVED + ORDER_CHILD_DERIVED, select, ("order_id",),
                compare=ORDER_SOURCE[1:], update=ORDER_SOURCE[1:] + ORDER_SELF_DERIVED,
                capture="INSERT INTO touched_orders SELECT order_id, purchase_date, inserted FROM w" if capture else None,
                returning_extra="d.purchase_date")
    return [old_dates, up]


def child_sql(kind: FileKind, capture: bool) -> str:
    """Upsert a child kind; `capture` records its orders for CHILD_TOTALS (needless when all are new)."""
    return upsert(kind.table, cols(kind), f"SELECT {', '.join(cols(kind))} FROM typ_{kind.key} WHERE {GOOD}",
                  kind.key_columns,
                  capture="INSERT INTO child_orders SELECT DISTINCT order_id FROM w" if capture else None)


CHILD_TOTALS = """
WITH o AS (
    SELECT DISTINCT c.order_id FROM child_orders c
    WHERE NOT EXISTS (SELECT 1 FROM touched_orders t WHERE t.order_id = c.order_id AND t.inserted)
), a AS (
    SELECT o.order_id, i.n, coalesce(i.pr, 0) AS pr, coalesce(i.fr, 0) AS fr, coalesce(p.pv, 0) AS pv,
           r.n AS rn, coalesce(r.s, 0) AS rs
    FROM o
    CROSS JOIN LATERAL (SELECT count(*) AS n, sum(price) AS pr, sum(freight_value) AS fr
                        FROM warehouse.fact_order_items x WHERE x.order_id = o.order_id) i
    CROSS JOIN LATERAL (SELECT sum(payment_value) AS pv
                        FROM warehouse.fact_payments x WHERE x.order_id = o.order_id) p
    CROSS JOIN LATERAL (SELECT count(*) AS n, sum(review_score) AS s
                        FROM warehouse.fact_reviews x WHERE x.order_id = o.order_id) r
)
UPDATE warehouse.fact_orders f
SET items_count = a.n, product_revenue = a.pr, freight_value = a.fr, order_value = a.pr + a.fr,
    payment_value = a.pv, reviews_count = a.rn, review_score_sum = a.rs
FROM a
WHERE f.order_id = a.order_id
  AND ROW(f.items_count, f.product_revenue, f.freight_value, f.payment_value, f.reviews_count, f.review_score_sum)
      IS DISTINCT FROM ROW(a.n::int, a.pr, a.fr, a.pv, a.rn::int, a.rs::int)
"""

TOUCHED_DATES = """
INSERT INTO touched_dates
SELECT DISTINCT purchase_date FROM touched_orders
UNION
SELECT DISTINCT o.purchase_date FROM warehouse.fact_orders o
WHERE o.order_id IN (
    SELECT order_id FROM child_orders
    UNION SELECT f.order_id FROM warehouse.fact_orders f JOIN chg_customers c USING (customer_id)
    UNION SELECT i.order_id FROM warehouse.fact_order_items i JOIN chg_products p USING (product_id)
    UNION SELECT i.order_id FROM warehouse.fact_order_items i JOIN chg_sellers s USING (seller_id)
)
"""

# The people whose orders a load may have changed (a new or changed order, item, payment or review,
# a customer or product row): who they are now, and who they were in the repeat buyers' list.
TOUCHED_PEOPLE = """
CREATE TEMP TABLE touched_people ON COMMIT DROP AS
WITH changed AS (
    SELECT order_id FROM touched_orders
    UNION SELECT order_id FROM child_orders
    UNION SELECT f.order_id FROM warehouse.fact_orders f JOIN chg_customers c USING (customer_id)
    UNION SELECT i.order_id FROM warehouse.fact_order_items i JOIN chg_products p USING (product_id)
)
SELECT c.customer_unique_id FROM changed JOIN warehouse.fact_orders o USING (order_id)
JOIN warehouse.dim_customers c USING (customer_id) WHERE c.customer_unique_id IS NOT NULL
UNION
SELECT rb.customer_unique_id FROM changed JOIN warehouse.repeat_buyer_orders rb USING (order_id);
ANALYZE touched_people;
"""

QUARANTINE = """
INSERT INTO etl.quarantine (run_id, file_name, line_number, table_name, reason, raw)
SELECT %(run_id)s, f.file_name,
       t._rec + (SELECT b.delta FROM stg_breaks b
                 WHERE b._file = t._file AND b.rec_from <= t._rec ORDER BY b.rec_from DESC LIMIT 1),
       %(table)s, t.reason, to_jsonb(s) - '_rec' - '_file'
FROM {typ} t JOIN {stg} s USING (_rec) JOIN stg_files f ON f._file = t._file
WHERE t.reason IS NOT NULL
"""

QUARANTINE_TYPED = """
INSERT INTO etl.quarantine (run_id, file_name, line_number, table_name, reason, raw)
SELECT %(run_id)s, f.file_name,
       t._rec + (SELECT b.delta FROM stg_breaks b
                 WHERE b._file = t._file AND b.rec_from <= t._rec ORDER BY b.rec_from DESC LIMIT 1),
       %(table)s, t.reason, to_jsonb(t) - '_rec' - '_file' - 'reason' - 'duplicate'
FROM {typ} t JOIN stg_files f ON f._file = t._file
WHERE t.reason IS NOT NULL
"""

# The kinds a load can refresh the rollups by order for: each row names its order (or, a customer,
# its people). A batch with products, sellers, categories or places reaches every order of them:
# it refreshes by day.
BY_ORDER_KINDS = frozenset({"customers", "orders", "items", "payments", "reviews"})


def affected(keys: set[str]) -> str:
    """The orders a delta of `keys` (a subset of BY_ORDER_KINDS) can change the rollups of, found
    before it writes: those its files name, and every order of their people (before and after:
    a new order can make someone's first order no longer their only one), in `affected_orders`
    with the day each was purchased on before (NULL: new); their people in `affected_people`."""
    staged = " UNION ".join(f"SELECT order_id FROM typ_{k} WHERE {GOOD}"
                            for k in ("orders", "items", "payments", "reviews") if k in keys)
    customers = ["SELECT o.customer_id FROM warehouse.fact_orders o JOIN affected_orders USING (order_id)"]
    people = ""
    if "orders" in keys:
        customers.append(f"SELECT customer_id FROM typ_orders WHERE {GOOD}")
    if "customers" in keys:
        customers.append(f"SELECT customer_id FROM typ_customers WHERE {GOOD}")
        people = f" UNION SELECT customer_unique_id FROM typ_customers WHERE {GOOD}"
    return f"""
CREATE TEMP TABLE affected_orders (order_id uuid PRIMARY KEY, old_date date) ON COMMIT DROP;
{f"INSERT INTO affected_orders (order_id) {staged};" if staged else ""}
ANALYZE affected_orders;
CREATE TEMP TABLE affected_people ON COMMIT DROP AS
SELECT c.customer_unique_id FROM warehouse.dim_customers c
WHERE c.customer_unique_id IS NOT NULL AND c.customer_id IN ({" UNION ".join(customers)}){people};
ANALYZE affected_people;
INSERT INTO affected_orders (order_id)
SELECT o.order_id FROM affected_people p JOIN warehouse.dim_customers c USING (customer_unique_id)
JOIN warehouse.fact_orders o USING (customer_id)
ON CONFLICT DO NOTHING;
UPDATE affected_orders a SET old_date = o.purchase_date FROM warehouse.fact_orders o WHERE o.order_id = a.order_id;
ANALYZE affected_orders;
"""


# After the writes: whether everything the load changed lies among the orders and people found
# before (else the refresh by order would miss something, and the load refreshes by day).
BY_ORDER_HOLDS = """
SELECT NOT EXISTS (TABLE chg_customers) AND NOT EXISTS (TABLE chg_products) AND NOT EXISTS (TABLE chg_sellers)
   AND NOT EXISTS (TABLE chg_categories)
   AND NOT EXISTS (SELECT order_id FROM touched_orders UNION SELECT order_id FROM child_orders
                   EXCEPT SELECT order_id FROM affected_orders)
   AND NOT EXISTS (SELECT customer_unique_id FROM touched_people EXCEPT SELECT customer_unique_id FROM affected_people)
"""

# A run that refreshed by order changed the answers of these purchase days alone (data/version.py).
CHANGED_DAYS = """
INSERT INTO etl.changed_days (purchase_date, run_id)
SELECT DISTINCT d, %(run_id)s FROM (
    SELECT old_date FROM affected_orders
    UNION SELECT o.purchase_date FROM warehouse.fact_orders o JOIN affected_orders USING (order_id)) x(d)
WHERE d IS NOT NULL
ON CONFLICT (purchase_date) DO UPDATE SET run_id = EXCLUDED.run_id
"""
