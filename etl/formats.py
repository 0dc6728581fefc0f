"""The nine Olist CSV files: their published names, exact headers and how each column parses.

The loader recognises a file by its header, never by its name, so this module is the one place
that says what each kind of file holds. Column kinds map to the SQL parsing functions created by
the first migration (etl.parse_*).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    """One source column: its name in the file, its kind and whether a row needs it."""

    name: str
    kind: str  # uuid | ts | numeric | float | int | zip | state | status | text | lower
    required: bool = False
    target: str | None = None  # warehouse column name when it differs from the source's

    @property
    def column(self) -> str:
        return self.target or self.name


@dataclass(frozen=True)
class FileKind:
    """One of the nine files: published name, columns in order, warehouse table and key."""

    key: str
    file_name: str
    columns: tuple[Column, ...]
    table: str
    key_columns: tuple[str, ...]

    @property
    def header(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def _c(name, kind, required=False, target=None):
    return Column(name, kind, required, target)


CATEGORIES = FileKind(
    "categories", "product_category_name_translation.csv",
    (_c("product_category_name", "text", True), _c("product_category_name_english", "text", True)),
    "dim_categories", ("product_category_name",),
)
GEOLOCATION = FileKind(
    "geolocation", "olist_geolocation_dataset.csv",
    (_c("geolocation_zip_code_prefix", "zip", True), _c("geolocation_lat", "float", True),
     _c("geolocation_lng", "float", True), _c("geolocation_city", "text"),
     _c("geolocation_state", "state")),
    "dim_geolocation", ("geolocation_zip_code_prefix",),
)
CUSTOMERS = FileKind(
    "customers", "olist_customers_dataset.csv",
    (_c("customer_id", "uuid", True), _c("customer_unique_id", "uuid", True),
     _c("customer_zip_code_prefix", "zip"), _c("customer_city", "text"),
     _c("customer_state", "state")),
    "dim_customers", ("customer_id",),
)
SELLERS = FileKind(
    "sellers", "olist_sellers_dataset.csv",
    (_c("seller_id", "uuid", True), _c("seller_zip_code_prefix", "zip"),
     _c("seller_city", "text"), _c("seller_state", "state")),
    "dim_sellers", ("seller_id",),
)
PRODUCTS = FileKind(
    "products", "olist_products_dataset.csv",
    (_c("product_id", "uuid", True), _c("product_category_name", "text"),
     _c("product_name_lenght", "int", target="product_name_length"),
     _c("product_description_lenght", "int", target="product_description_length"),
     _c("product_photos_qty", "int"), _c("product_weight_g", "int"),
     _c("product_length_cm", "int"), _c("product_height_cm", "int"), _c("product_width_cm", "int")),
    "dim_products", ("product_id",),
)
ORDERS = FileKind(
    "orders", "olist_orders_dataset.csv",
    (_c("order_id", "uuid", True), _c("customer_id", "uuid", True),
     _c("order_status", "status", True), _c("order_purchase_timestamp", "ts", True),
     _c("order_approved_at", "ts"), _c("order_delivered_carrier_date", "ts"),
     _c("order_delivered_customer_date", "ts"), _c("order_estimated_delivery_date", "ts")),
    "fact_orders", ("order_id",),
)
ITEMS = FileKind(
    "items", "olist_order_items_dataset.csv",
    (_c("order_id", "uuid", True), _c("order_item_id", "int", True),
     _c("product_id", "uuid", True), _c("seller_id", "uuid", True),
     _c("shipping_limit_date", "ts"), _c("price", "numeric", True),
     _c("freight_value", "numeric", True)),
    "fact_order_items", ("order_id", "order_item_id"),
)
PAYMENTS = FileKind(
    "payments", "olist_order_payments_dataset.csv",
    (_c("order_id", "uuid", True), _c("payment_sequential", "int", True),
     _c("payment_type", "lower", True), _c("payment_installments", "int", True),
     _c("payment_value", "numeric", True)),
    "fact_payments", ("order_id", "payment_sequential"),
)
REVIEWS = FileKind(
    "reviews", "olist_order_reviews_dataset.csv",
    (_c("review_id", "uuid", True), _c("order_id", "uuid", True),
     _c("review_score", "int", True), _c("review_comment_title", "text"),
     _c("review_comment_message", "text"), _c("review_creation_date", "ts"),
     _c("review_answer_timestamp", "ts")),
    "fact_reviews", ("review_id", "order_id"),
)

# Load order: dimensions before the facts that point at them, orders before their children.
KINDS: tuple[FileKind, ...] = (
    CATEGORIES, GEOLOCATION, CUSTOMERS, SELLERS, PRODUCTS, ORDERS, ITEMS, PAYMENTS, REVIEWS,
)


def normalise_header(fields: list[str]) -> tuple[str, ...]:
    """Lower-case and strip header names, so `"Order_ID "` still matches `order_id`."""
    return tuple(f.strip().strip('"').strip().lower() for f in fields)


def closest_kind(header: tuple[str, ...]) -> tuple[FileKind, set[str], set[str]] | None:
    """Return the kind whose columns overlap the header most, with missing and unexpected names.

    Used only to say what is wrong with a header that matches no kind exactly.
    """
    best = None
    for kind in KINDS:
        overlap = len(set(kind.header) & set(header))
        if overlap and (best is None or overlap > best[0]):
            best = (overlap, kind)
    if best is None or (best[0] < 2 and best[0] * 2 < len(best[1].header)):
        return None
    kind = best[1]
    return kind, set(kind.header) - set(header), set(header) - set(kind.header)
