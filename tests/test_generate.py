"""The demo-data generator: published names and headers, determinism, and a realistic shape."""
import csv
import hashlib
from collections import Counter

import pytest

from etl.generate import generate

# The published files' header lines, byte for byte.
PUBLISHED = {
    "olist_orders_dataset.csv": b"order_id,customer_id,order_status,order_purchase_timestamp,order_approved_at,order_delivered_carrier_date,order_delivered_customer_date,order_estimated_delivery_date\n",
    "olist_order_items_dataset.csv": b"order_id,order_item_id,product_id,seller_id,shipping_limit_date,price,freight_value\n",
    "olist_order_payments_dataset.csv": b"order_id,payment_sequential,payment_type,payment_installments,payment_value\n",
    "olist_order_reviews_dataset.csv": b"review_id,order_id,review_score,review_comment_title,review_comment_message,review_creation_date,review_answer_timestamp\n",
    "olist_customers_dataset.csv": b"customer_id,customer_unique_id,customer_zip_code_prefix,customer_city,customer_state\n",
    "olist_products_dataset.csv": b"product_id,product_category_name,product_name_lenght,product_description_lenght,product_photos_qty,product_weight_g,product_length_cm,product_height_cm,product_width_cm\n",
    "olist_sellers_dataset.csv": b"seller_id,seller_zip_code_prefix,seller_city,seller_state\n",
    "olist_geolocation_dataset.csv": b"geolocation_zip_code_prefix,geolocation_lat,geolocation_lng,geolocation_city,geolocation_state\n",
    "product_category_name_translation.csv": b"product_category_name,product_category_name_english\n",
}


def digest(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_names_headers_and_determinism(tmp_path):
    generate(tmp_path / "a", 1500, seed=3)
    generate(tmp_path / "b", 1500, seed=3)
    generate(tmp_path / "c", 1500, seed=4)
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == sorted(PUBLISHED)
    for name, header in PUBLISHED.items():
        assert (tmp_path / "a" / name).read_bytes().startswith(header)
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    assert digest(tmp_path / "a") != digest(tmp_path / "c")


def rows(folder, name):
    with open(folder / name, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    generate(folder, 30_000, seed=11)
    return folder


def test_the_data_looks_like_the_marketplace(demo):
    orders = rows(demo, "olist_orders_dataset.csv")
    customers = rows(demo, "olist_customers_dataset.csv")
    items = rows(demo, "olist_order_items_dataset.csv")
    payments = rows(demo, "olist_order_payments_dataset.csv")
    reviews = rows(demo, "olist_order_reviews_dataset.csv")
    n = len(orders)
    assert n == 30_000 and len({o["customer_id"] for o in orders}) == n

    status = Counter(o["order_status"] for o in orders)
    assert 0.95 < status["delivered"] / n < 0.99 and status["canceled"] and status["shipped"]
    people = Counter(c["customer_unique_id"] for c in customers)
    assert 0.015 < sum(1 for v in people.values() if v > 1) / len(people) < 0.05
    states = Counter(c["customer_state"] for c in customers)
    assert [s for s, _ in states.most_common(3)] == ["SP", "RJ", "MG"] and 0.37 < states["SP"] / n < 0.47
    assert all(len(c["customer_zip_code_prefix"]) == 5 for c in customers)
    assert 1.08 < len(items) / len({i["order_id"] for i in items}) < 1.2

    kinds = Counter(p["payment_type"] for p in payments)
    assert kinds.most_common(2)[0][0] == "credit_card" and kinds["boleto"] > kinds["voucher"] > kinds["debit_card"]
    assert max(int(p["payment_installments"]) for p in payments) > 10

    by_day = Counter(o["order_purchase_timestamp"][:10] for o in orders)
    assert by_day.most_common(1)[0][0] == "2017-11-24"  # Black Friday
    assert min(by_day) >= "2016-09-04" and max(by_day) <= "2018-10-17"
    first_half = sum(v for d, v in by_day.items() if d < "2017-06-01")
    assert first_half < sum(v for d, v in by_day.items() if "2017-06-01" <= d < "2018-01-01")  # growth

    delivered = [o for o in orders if o["order_status"] == "delivered"]
    late = {o["order_id"] for o in delivered
            if o["order_delivered_customer_date"][:10] > o["order_estimated_delivery_date"][:10]}
    assert 0.04 < len(late) / len(delivered) < 0.12
    late_scores = [int(r["review_score"]) for r in reviews if r["order_id"] in late]
    on_time = [int(r["review_score"]) for r in reviews if r["order_id"] not in late]
    assert sum(late_scores) / len(late_scores) + 1 < sum(on_time) / len(on_time)
    messages = [r["review_comment_message"] for r in reviews if r["review_comment_message"]]
    assert any("," in m for m in messages) and any('"' in m for m in messages) and any("\n" in m for m in messages)

    # Status implies timestamps: only delivered orders have a delivery date, created ones no approval.
    assert all(o["order_delivered_customer_date"] == "" for o in orders if o["order_status"] != "delivered")
    for o in delivered[:2000]:
        assert o["order_purchase_timestamp"] <= o["order_approved_at"] <= o["order_delivered_carrier_date"] \
            <= o["order_delivered_customer_date"]

    geo = Counter(g["geolocation_zip_code_prefix"] for g in rows(demo, "olist_geolocation_dataset.csv"))
    assert sum(geo.values()) / len(geo) > 3
    categories = Counter(p["product_category_name"] for p in rows(demo, "olist_products_dataset.csv"))
    assert len(categories) > 60 and categories[""] > 0
    assert len(rows(demo, "product_category_name_translation.csv")) == 71
    assert len(rows(demo, "olist_sellers_dataset.csv")) > 500


def test_payments_add_up_to_the_cent(demo):
    items = rows(demo, "olist_order_items_dataset.csv")
    payments = rows(demo, "olist_order_payments_dataset.csv")
    due = Counter()
    for i in items:
        due[i["order_id"]] += round(float(i["price"]) * 100) + round(float(i["freight_value"]) * 100)
    paid = Counter()
    for p in payments:
        paid[p["order_id"]] += round(float(p["payment_value"]) * 100)
    vouchers = {p["order_id"] for p in payments if p["payment_type"] == "voucher"}
    assert vouchers and all(paid[o] == due[o] for o in vouchers if o in due)
    exact = sum(1 for o in due if paid[o] == due[o])
    assert exact / len(due) > 0.95  # a few card payments carry installment interest
