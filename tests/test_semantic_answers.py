"""The semantic layer against a real warehouse: a tiny star whose amounts are powers of two (so every
sum names exactly the rows it took), and a property test that every rollup the planner may read
gives exactly the star schema's answer."""
import os
from dataclasses import replace
from datetime import date
from decimal import Decimal as D

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, event, given, settings, strategies as st

from data.db import make_engine
from data.scope import Scope
from data.semantic import state
from data.semantic.answer import answer
from data.semantic.catalogue import CATALOGUE, ORDER_DIMENSIONS
from data.semantic.model import Query
from data.semantic.planner import STAR, UnknownName, _split_by, plan
from data.semantic.sql import compile_query
from etl.load import load
from tests.conftest import FIXTURES, assert_rollups_are_the_stars_rows, generated_warehouse, write
from tests.oracle import assert_hand_tables_are_the_facts

U = "{:032x}".format  # ids as the export writes them
ORDERS = [  # order, customer, status, purchased, delivered, estimated
    (1, 1, "delivered", "2018-01-01 10:00:00", "2018-01-05 10:00:00", "2018-01-10 00:00:00"),
    (2, 2, "delivered", "2018-01-02 15:00:00", "2018-01-20 15:00:00", "2018-01-10 00:00:00"),
    (3, 3, "shipped", "2018-02-01 09:00:00", "", "2018-02-20 00:00:00"),
    (4, 2, "canceled", "2018-02-03 12:00:00", "", "2018-02-20 00:00:00"),
]
ITEMS = [(1, 1, "A", 1, "1.00", "0.00"), (1, 2, "B", 2, "2.00", "0.00"), (2, 1, "A", 1, "4.00", "0.00"),
         (3, 1, "B", 2, "8.00", "0.00"), (3, 2, "B", 2, "16.00", "64.00"), (4, 1, "A", 1, "32.00", "0.00")]
PAYMENTS = [(1, 1, "credit_card", "3.00"), (2, 1, "voucher", "4.00"), (3, 1, "credit_card", "8.00"),
            (3, 2, "voucher", "80.00"), (4, 1, "credit_card", "32.00")]
REVIEWS = [(1, 1, 5), (2, 2, 1), (3, 3, 4)]
S1, S2 = (f"00000000-0000-0000-0000-0000000000{n}" for n in ("e1", "e2"))  # as the warehouse holds them
JAN, FEB_END = date(2018, 1, 1), date(2018, 2, 28)


def _powers_files(folder):
    write(folder, "olist_customers_dataset.csv", "customer_id,customer_unique_id,customer_zip_code_prefix,"
          "customer_city,customer_state\n" + f"{U(0xC1)},{U(0xA1)},01037,sao paulo,SP\n"
          f"{U(0xC2)},{U(0xA2)},20040,rio de janeiro,RJ\n{U(0xC3)},{U(0xA1)},01037,sao paulo,SP\n")
    write(folder, "olist_orders_dataset.csv", "order_id,customer_id,order_status,order_purchase_timestamp,"
          "order_approved_at,order_delivered_carrier_date,order_delivered_customer_date,order_estimated_delivery_date\n"
          + "".join(f"{U(0xD0 + o)},{U(0xC0 + c)},{s},{p},{p},,{d},{e}\n" for o, c, s, p, d, e in ORDERS))
    write(folder, "olist_products_dataset.csv", "product_id,product_category_name,product_name_lenght,"
          "product_description_lenght,product_photos_qty,product_weight_g,product_length_cm,product_height_cm,"
          f"product_width_cm\n{U(0xBA)},beleza_saude,1,1,1,1,1,1,1\n{U(0xBB)},cama_mesa_banho,1,1,1,1,1,1,1\n")
    write(folder, "olist_sellers_dataset.csv", "seller_id,seller_zip_code_prefix,seller_city,seller_state\n"
          f"{U(0xE1)},13023,campinas,SP\n{U(0xE2)},80010,curitiba,PR\n")
    write(folder, "olist_order_items_dataset.csv", "order_id,order_item_id,product_id,seller_id,shipping_limit_date,"
          "price,freight_value\n" + "".join(f"{U(0xD0 + o)},{n},{U(0xB0 + int(p, 16))},{U(0xE0 + s)},,{pr},{fr}\n"
                                            for o, n, p, s, pr, fr in ITEMS))
    write(folder, "olist_order_payments_dataset.csv", "order_id,payment_sequential,payment_type,"
          "payment_installments,payment_value\n" + "".join(f"{U(0xD0 + o)},{n},{t},1,{v}\n" for o, n, t, v in PAYMENTS))
    write(folder, "olist_order_reviews_dataset.csv", "review_id,order_id,review_score,review_comment_title,"
          "review_comment_message,review_creation_date,review_answer_timestamp\n"
          + "".join(f"{U(0xF0 + k)},{U(0xD0 + o)},{s},,,2018-03-01 00:00:00,2018-03-01 00:00:00\n" for k, o, s in REVIEWS))
    write(folder, "product_category_name_translation.csv", "product_category_name,product_category_name_english\n"
          "beleza_saude,health_beauty\ncama_mesa_banho,bed_bath_table\n")
    write(folder, "olist_geolocation_dataset.csv", (FIXTURES / "tiny" / "olist_geolocation_dataset.csv").read_text())


@pytest.fixture(scope="module")
def powers(server_url, template_db, tmp_path_factory):
    from tests.conftest import database
    folder = tmp_path_factory.mktemp("powers")
    _powers_files(folder)
    with database(server_url, template_db, f"olist_pow_{os.getpid()}") as url:
        load(url, folder)
        engine = make_engine(url)
        with engine.connect() as conn:
            yield conn
        engine.dispose()


def ask(conn, *metrics, by=(), grain="day", start=JAN, end=FEB_END, scope=Scope(), order_by=(), limit=None,
        **filters):
    """The answer's rows as dicts, with the table that answered; the star's rows must be the same."""
    q = Query(tuple(metrics), start, end, tuple(by), grain, filters, tuple(order_by), limit)
    got = answer(conn, q, scope)
    prepared = CATALOGUE.prepare(replace(q, filters=scope.restrict(CATALOGUE.prepare(q).filters)))
    star = compile_query(CATALOGUE, prepared, plan(CATALOGUE.star_only(), prepared))
    assert [tuple(r) for r in conn.execute(star.text(), star.params)] == got.rows, got.explain
    return [dict(zip(got.columns, r)) for r in got.rows], got.answered_from


def test_totals_count_each_order_once_and_leave_out_canceled_by_default(powers):
    rows, src = ask(powers, "orders", "revenue", "payments", "items", "aov")
    assert round(rows[0].pop("aov"), 10) == round(D(95) / 3, 10) and src != STAR
    assert rows == [{"orders": 3, "revenue": D(95), "payments": D(95), "items": 5}]
    rows, _ = ask(powers, "orders", "revenue", status=["delivered", "shipped", "canceled"])
    assert rows == [{"orders": 4, "revenue": D(127)}]


def test_an_order_of_two_categories_counts_once_in_each_row_and_once_in_the_total(powers):
    rows, src = ask(powers, "orders", "revenue", "payments", by=["category"])
    assert rows == [{"category": "bed_bath_table", "orders": 2, "revenue": D(90), "payments": D(91)},
                    {"category": "health_beauty", "orders": 2, "revenue": D(5), "payments": D(7)}]
    assert "categories" in src
    # One rollup row per category counts order 1 (both categories) twice; its overlap row takes one off.
    rows, src = ask(powers, "orders", "payments", "revenue", "reviews", category=["health_beauty", "bed_bath_table"])
    assert rows == [{"orders": 3, "payments": D(95), "revenue": D(95), "reviews": 3}]
    assert src.endswith("_categories")
    q = Query(("orders",), JAN, FEB_END, filters={"category": ["health_beauty", "bed_bath_table"]})
    assert "overlap_categories" in answer(powers, q).explain
    rows, _ = ask(powers, "orders", "revenue", by=["date"], grain="month", category=["health_beauty", "bed_bath_table"])
    assert rows == [{"date": JAN, "orders": 2, "revenue": D(7)}, {"date": date(2018, 2, 1), "orders": 1,
                                                                   "revenue": D(88)}]
    assert powers.execute(sa.text("SELECT count(*) FROM warehouse.rollup_overlap_categories")).scalar() == 1
    assert powers.execute(sa.text("SELECT count(*) FROM warehouse.rollup_overlap_sellers")).scalar() == 1
    assert powers.execute(sa.text("SELECT count(*) FROM warehouse.rollup_overlap_payment_types")).scalar() == 1
    rows, _ = ask(powers, "payments", "revenue", category=["health_beauty"])
    assert rows == [{"payments": D(7), "revenue": D(5)}]  # orders 1 and 2; only their health_beauty items


def test_payment_types_split_payments_and_select_orders(powers):
    rows, src = ask(powers, "orders", "payments", "revenue", by=["payment_type"])
    assert rows == [{"payment_type": "credit_card", "orders": 2, "payments": D(11), "revenue": D(91)},
                    {"payment_type": "voucher", "orders": 2, "payments": D(84), "revenue": D(92)}]
    assert src == "daily_payment_types"
    # Reviews are counted from the orders' totals here (no review dimension is asked): a group holds
    # its orders, so the canceled order, paid but not reviewed, is a row of 0 reviews.
    rows, src = ask(powers, "reviews", by=["status"], status=["delivered", "shipped", "canceled"],
                    payment_type=["credit_card"])
    assert rows == [{"status": "canceled", "reviews": 0}, {"status": "delivered", "reviews": 1},
                    {"status": "shipped", "reviews": 1}] and src == "daily_payment_types"
    # Grouped by a review dimension, a group holds reviews: the unreviewed orders are no row.
    rows, _ = ask(powers, "reviews", by=["review_score"], status=["delivered", "shipped", "canceled"],
                  payment_type=["credit_card"])
    assert rows == [{"review_score": 4, "reviews": 1}, {"review_score": 5, "reviews": 1}]
    rows, _ = ask(powers, "revenue", "voucher_share", payment_type=["voucher"])
    assert rows == [{"revenue": D(92), "voucher_share": D(1)}]


def test_item_filters_meet_on_the_same_item_and_sellers_reach_the_star(powers):
    rows, _ = ask(powers, "revenue", "orders", by=["category"], seller=[S2])
    assert rows == [{"category": "bed_bath_table", "revenue": D(90), "orders": 2}]
    rows, _ = ask(powers, "orders", seller=[S1], category=["bed_bath_table"])
    assert rows == [{"orders": 0}]
    rows, _ = ask(powers, "revenue", by=["seller_state"])
    assert rows == [{"seller_state": "PR", "revenue": D(90)}, {"seller_state": "SP", "revenue": D(5)}]


def test_dates_weekdays_delivery_and_reviews(powers):
    rows, src = ask(powers, "orders", "revenue", by=["date"], grain="month")
    assert rows == [{"date": date(2018, 1, 1), "orders": 2, "revenue": D(7)},
                    {"date": date(2018, 2, 1), "orders": 1, "revenue": D(88)}] and src != STAR
    rows, _ = ask(powers, "orders", by=["weekday"])
    assert [(r["weekday"], r["orders"]) for r in rows] == [(1, 1), (2, 1), (4, 1)]  # Monday, Tuesday, Thursday
    rows, _ = ask(powers, "on_time_rate", "late_share", "delivery_days", "review_score")
    assert round(rows[0].pop("review_score"), 10) == round(D(10) / 3, 10)
    assert rows == [{"on_time_rate": D("0.5"), "late_share": D("0.5"), "delivery_days": D(11)}]
    rows, _ = ask(powers, "reviews", by=["review_score"], order_by=["-review_score"], limit=2)
    assert rows == [{"review_score": 5, "reviews": 1}, {"review_score": 4, "reviews": 1}]


def test_people_new_and_returning(powers):
    rows, src = ask(powers, "customers", "new_customers", "returning_customers")
    assert rows == [{"customers": 2, "new_customers": 2, "returning_customers": 0}] and src == "daily"
    rows, src = ask(powers, "customers", "new_customers", by=["category"])
    assert rows == [{"category": "bed_bath_table", "customers": 1, "new_customers": 1},
                    {"category": "health_beauty", "customers": 2, "new_customers": 2}] and "categories" in src
    rows, _ = ask(powers, "customers", "returning_customers", category=["bed_bath_table"], start=date(2018, 2, 1))
    assert rows == [{"customers": 1, "returning_customers": 1}]
    # One seller fixes one seller state: the seller rollups answer, repeat buyers from their list.
    rows, src = ask(powers, "customers", "orders", seller=[S1])
    assert rows == [{"customers": 2, "orders": 2}] and src == "monthly_sellers"
    rows, _ = ask(powers, "customers", "new_customers", "returning_customers", start=date(2018, 2, 1))
    assert rows == [{"customers": 1, "new_customers": 0, "returning_customers": 1}]  # u1 first bought in January
    rows, _ = ask(powers, "new_customers", "returning_customers", by=["date"], grain="month")
    assert [(r["new_customers"], r["returning_customers"]) for r in rows] == [(2, 0), (0, 1)]


def test_a_scope_is_a_filter_the_query_cannot_remove(powers):
    rows, _ = ask(powers, "orders", "revenue", scope=Scope(states=("RJ",)))
    assert rows == [{"orders": 1, "revenue": D(4)}]
    rows, _ = ask(powers, "orders", scope=Scope(states=("RJ",)), state=["SP"])  # outside: the scope stays
    assert rows == [{"orders": 1}]
    rows, _ = ask(powers, "revenue", by=["category"], scope=Scope(sellers=(S1,)))
    assert rows == [{"category": "health_beauty", "revenue": D(5)}]


def test_bad_queries_name_what_is_wrong(powers):
    for q, words in ((Query(("margin",), JAN, JAN), "unknown metric 'margin'"),
                     (Query(("orders",), JAN, JAN, by=("city",)), "unknown dimension 'city'"),
                     (Query(("orders",), JAN, JAN, by=("date",), grain="fortnight"), "unknown grain"),
                     (Query(("orders",), JAN, JAN, filters={"hour": ["noon"]}), "bad value for hour"),
                     (Query(("orders",), JAN, JAN, order_by=("revenue",)), "cannot order by 'revenue'"),
                     (Query(("orders",), FEB_END, JAN), "before the start"),
                     (Query(("orders",), JAN, JAN, limit=0), "positive whole number"),
                     (Query(("review_score",), JAN, JAN, by=("review_score",)), "both a dimension and a metric")):
        with pytest.raises(UnknownName, match=words):
            answer(powers, q)


def test_a_rollup_whose_definition_changed_is_not_read(powers):
    live = state.current(powers, CATALOGUE)
    assert {r.name for r in live.rollups} == {r.name for r in CATALOGUE.rollups}
    changed = replace(CATALOGUE, rollups=tuple(replace(r, measures=r.measures[:-1]) if r.name == "daily" else r
                                               for r in CATALOGUE.rollups))
    assert "daily" not in {r.name for r in state.current(powers, changed).rollups}
    assert "monthly" not in {r.name for r in state.current(powers, changed).rollups}  # summed from daily


def test_a_changed_expression_stales_exactly_the_rollups_that_keep_it(powers):
    """The hash is of the SQL that fills a rollup: a dimension's new expression (or a storage
    rule's) stales the rollups keeping it, and the ones summed from them, and no other."""
    keeping = {r.name for r in CATALOGUE.rollups if "hour" in r.dimensions}
    keeping |= {r.name for r in CATALOGUE.rollups if r.source in keeping}
    dims = dict(CATALOGUE.dimensions)
    dims["hour"] = replace(dims["hour"], expr=dims["hour"].expr + " + 0")
    changed = replace(CATALOGUE, dimensions=dims)
    live = {r.name for r in state.current(powers, changed).rollups}
    assert keeping and live == {r.name for r in CATALOGUE.rollups} - keeping
    assert state.definitions(changed) != state.definitions(CATALOGUE)


# The property: any query drawn from the catalogue, answered from any rollup the planner accepts,
# equals the star schema's answer.
@pytest.fixture(scope="module")
def demo(server_url, template_db, tmp_path_factory):
    with generated_warehouse(server_url, template_db, tmp_path_factory.mktemp("semantic"),
                             f"olist_sem_{os.getpid()}", 2000, seed=5) as conn:
        values = {
            "category": [r[0] for r in conn.execute(sa.text(
                "SELECT DISTINCT product_category_name_english FROM warehouse.dim_products ORDER BY 1 LIMIT 6"))],
            "seller": [r[0] for r in conn.execute(sa.text(
                "SELECT seller_id::text FROM warehouse.fact_order_items GROUP BY 1 ORDER BY count(*) DESC LIMIT 4"))],
            "payment_type": ["credit_card", "boleto", "voucher", "debit_card"],
            "state": ["SP", "RJ", "MG", "??"], "seller_state": ["SP", "PR", "MG"],
            "status": ["delivered", "shipped", "canceled", "invoiced"], "review_score": [1, 3, 5],
            "hour": [9, 14, 21], "weekday": [1, 5, 7], "price_band": [1, 2, 3], "delivery_days": [5, 10, 20],
            "days_late": [-10, 0, 3],
        }
        yield conn, values


DIMS = sorted(k for k in CATALOGUE.dimensions if k not in ("date", "product"))
days = st.dates(min_value=date(2017, 1, 1), max_value=date(2018, 8, 31))


@st.composite
def queries(draw, values):
    metrics = draw(st.lists(st.sampled_from(sorted(CATALOGUE.metrics)), min_size=1, max_size=3, unique=True))
    by = [d for d in draw(st.lists(st.sampled_from(["date", *DIMS]), max_size=2, unique=True)) if d not in metrics]
    grain = draw(st.sampled_from(CATALOGUE.dimensions["date"].grains))
    filters = {}
    for key in draw(st.lists(st.sampled_from(sorted(values)), max_size=2, unique=True)):
        filters[key] = draw(st.lists(st.sampled_from(values[key]), min_size=1, max_size=3, unique=True))
    if draw(st.booleans()):  # whole months, so the monthly rollups take part
        a, b = sorted((draw(days).replace(day=1), draw(days).replace(day=1)))
        start, end = a, date(b.year + b.month // 12, b.month % 12 + 1, 1).replace(day=1)
        end = end.fromordinal(end.toordinal() - 1)
    else:
        start, end = sorted((draw(days), draw(days)))
    return Query(tuple(metrics), start, end, tuple(by), grain, filters)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_rollup_the_planner_accepts_gives_the_stars_answer(demo, data):
    conn, values = demo
    q = CATALOGUE.prepare(data.draw(queries(values)))
    live = state.current(conn, CATALOGUE)
    star = compile_query(live, q, plan(live.star_only(), q))
    expected = [tuple(r) for r in conn.execute(star.text(), star.params)]
    overlaps = tuple(r for r in live.rollups if r.overlap)
    days = [r for r in live.rollups if r.grain == "day" and not r.overlap]
    tried = set()
    for r in live.rollups:  # each rollup alone, and with each daily one for the range's edges
        if r.overlap:
            continue  # never an answer alone: beside each rollup below
        for fine in [None, *days]:
            c = replace(live, rollups=((r,) if fine is None or fine is r else (r, fine)) + overlaps)
            p = plan(c, q)
            if p.table == STAR or tuple(p.parts) in tried:
                continue
            tried.add(tuple(p.parts))
            st_ = compile_query(c, q, p)
            got = [tuple(x) for x in conn.execute(st_.text(), st_.params)]
            assert got == expected, (q, p)
            event("answered by " + " + ".join(sorted({x.table for x in p.parts})))


OVERLAPS = {r.overlap: r.name for r in CATALOGUE.rollups if r.overlap}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_several_values_of_a_multi_valued_dimension_are_exact_from_a_rollup_and_its_overlap(demo, data):
    conn, values = demo
    key = data.draw(st.sampled_from(sorted(OVERLAPS)))
    q = data.draw(queries(values))
    by = tuple(d for d in q.by if d in ("date", "weekday", *ORDER_DIMENSIONS))
    filters = {k: v for k, v in q.filters.items() if k in ("state", "status")}
    filters[key] = data.draw(st.lists(st.sampled_from(values[key]), min_size=2, max_size=3, unique=True))
    q = CATALOGUE.prepare(replace(q, by=tuple(d for d in by if d not in q.metrics), filters=filters))
    live = state.current(conn, CATALOGUE)
    p = plan(live, q)
    star = compile_query(live, q, plan(live.star_only(), q))
    got = compile_query(live, q, p)
    assert ([tuple(r) for r in conn.execute(got.text(), got.params)]
            == [tuple(r) for r in conn.execute(star.text(), star.params)]), (q, p)
    if p.table != STAR and _split_by(CATALOGUE, key, CATALOGUE.measures_of(q)):
        assert OVERLAPS[key] in {x.table for x in p.parts}, p
    event("answered by " + " + ".join(x.table for x in p.parts))


def test_each_rollup_table_is_its_declaration(powers):
    from data.semantic.rollup_sql import TYPES
    for r in CATALOGUE.rollups:
        columns = powers.execute(sa.text(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'warehouse' "
            "AND table_name = :t ORDER BY ordinal_position"), {"t": f"rollup_{r.name}"}).all()
        expected = [("period", "date"), *((d, TYPES[CATALOGUE.dimensions[d].type])
                                          for d in r.dimensions),
                    *([(r.overlap, "ARRAY")] if r.overlap else []),
                    *((m, "bigint") for m in r.measures),
                    *([("source_rows", "bigint")] if r.source else [])]
        assert columns == expected, r.name
        indexed = {row[0] for row in powers.execute(sa.text(
            "SELECT regexp_replace(indexdef, '^.*USING btree ', '') FROM pg_indexes WHERE schemaname = 'warehouse' "
            "AND tablename = :t"), {"t": f"rollup_{r.name}"})}
        selective = {f'({d}, period)' for d in r.dimensions if CATALOGUE.dimensions[d].selective}
        unique = {i for i in indexed if i.startswith("(period, COALESCE(")}
        assert indexed - unique == {"(period)", *selective}, r.name  # one value of a category or seller reads its rows
        assert len(unique) == (1 if r.source else 0), r.name  # a summed rollup's groups are unique: a load adds to them



def test_each_rollup_holds_the_rows_its_declaration_gives_over_the_star(demo):
    """The loader fills the rollups from its shared input (data/semantic/base.py) and sums the
    monthly ones from the daily ones; compiled over the warehouse's star, the same declarations
    must give the same rows, to the cent."""
    conn, _ = demo
    assert conn.exec_driver_sql("SELECT count(*) FROM warehouse.rollup_daily_categories").scalar() > 0
    assert_rollups_are_the_stars_rows(lambda query: conn.exec_driver_sql(query).all())
    assert_hand_tables_are_the_facts(lambda query: conn.exec_driver_sql(query).all())
