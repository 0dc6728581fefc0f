"""The loader's rules for imperfect data, each on a small file written in the test."""
import os
import signal
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import psycopg
import pytest

from data.version import data_version
from etl import formats
from etl.load import LOAD_LOCK, LoadError, load
from tests.conftest import FIXTURES, assert_rollups_are_the_stars_rows, write
from tests.oracle import assert_hand_tables_are_the_facts

ROOT = Path(__file__).resolve().parent.parent
H = {k.key: ",".join(k.header) + "\n" for k in formats.KINDS}
O = "d10000000000000000000000000000{:02d}"
C = "c10000000000000000000000000000{:02d}"
P = "b1000000000000000000000000000001"
S = "e1000000000000000000000000000001"


def order_row(i, ts="2017-10-02 10:56:33", status="delivered", customer=None):
    return f"{O.format(i)},{customer or C.format(i)},{status},{ts},,,,2017-10-18 00:00:00\n"


def customer_row(i, zip_="01037", state="SP"):
    return f"{C.format(i)},a10000000000000000000000000000{i:02d},{zip_},sao paulo,{state}\n"


def assert_rollups_match_facts(sql):
    """Every rollup row equals the same aggregate computed from the fact tables."""
    assert sql("SELECT period, state, status, orders, items, revenue * 0.01, payments * 0.01, "  # hundredths
               "reviews, review_score_sum / 100 FROM warehouse.rollup_daily ORDER BY 1, 2, 3") == sql(
        "SELECT o.purchase_date, coalesce(c.customer_state, '??'), o.order_status, count(*)::int, "
        "sum(o.items_count)::int, sum(o.order_value), sum(o.payment_value), coalesce(sum(r.n), 0)::int, "
        "coalesce(sum(r.s), 0)::int "
        "FROM warehouse.fact_orders o LEFT JOIN warehouse.dim_customers c USING (customer_id) "
        "LEFT JOIN (SELECT order_id, count(*) AS n, sum(review_score) AS s FROM warehouse.fact_reviews "
        "GROUP BY 1) r USING (order_id) "
        "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3")
    assert sql("SELECT period, category, sum(items)::int, sum(revenue) * 0.01 "
               "FROM warehouse.rollup_daily_categories GROUP BY 1, 2 ORDER BY 1, 2") == sql(
        "SELECT o.purchase_date, p.product_category_name_english, count(*)::int, sum(i.item_value) "
        "FROM warehouse.fact_order_items i JOIN warehouse.fact_orders o USING (order_id) "
        "JOIN warehouse.dim_products p USING (product_id) GROUP BY 1, 2 ORDER BY 1, 2")


def quarantine(sql):
    return sql("SELECT file_name, line_number, table_name, reason FROM etl.quarantine ORDER BY line_number")


def test_parsing_bom_blank_lines_crlf_quotes_and_zip(tmp_path, db_url, sql):
    body = ("\ufeff" + H["customers"].replace("\n", "\r\n") + "\r\n" + customer_row(1, "1037").replace("\n", "\r\n")
            + "   \r\n" + customer_row(2, zip_="02037").replace("\n", "\r\n"))
    write(tmp_path, "clientes.csv", body)
    reviews = (H["reviews"]
               + f'r{"0" * 31},{O.format(1)},4,"Titulo, com virgula","linha 1\n\nlinha 3 ""citado""",'
                 "2017-10-11 00:00:00,2017-10-12 03:43:48\n\n")
    write(tmp_path, "avaliacoes.csv", reviews.replace("r" + "0" * 31, "f" + "0" * 31))
    write(tmp_path, "pedidos.csv", H["orders"] + order_row(1) + order_row(2))
    result = load(db_url, tmp_path)
    assert result.tables["dim_customers"].read == 2 and result.tables["dim_customers"].skipped == 2
    assert sql("SELECT customer_zip_code_prefix FROM warehouse.dim_customers ORDER BY 1") == [("01037",), ("02037",)]
    assert sql("SELECT review_comment_title, review_comment_message FROM warehouse.fact_reviews") == [
        ("Titulo, com virgula", 'linha 1\n\nlinha 3 "citado"')]
    assert quarantine(sql) == []


@pytest.mark.parametrize("stamp, option, expected", [
    ("10/2/2017 10:56", "auto", datetime(2017, 10, 2, 10, 56)),
    ("10/2/2017 10:56:33", "auto", datetime(2017, 10, 2, 10, 56, 33)),
    ("10/2/17 1:56 PM", "auto", datetime(2017, 10, 2, 13, 56)),
    ("2017-10-02T10:56:33", "auto", datetime(2017, 10, 2, 10, 56, 33)),
    ("2/10/2017 10:56", "dmy", datetime(2017, 10, 2, 10, 56)),
])
def test_spreadsheet_dates(tmp_path, db_url, sql, stamp, option, expected):
    write(tmp_path, "o.csv", H["orders"] + order_row(1, stamp) + order_row(2, stamp))
    load(db_url, tmp_path, date_format=option)
    assert sql("SELECT DISTINCT order_purchase_timestamp FROM warehouse.fact_orders") == [(expected,)]


def test_day_month_detected_per_column_and_ambiguity_warned(tmp_path, db_url, sql):
    write(tmp_path, "o.csv", H["orders"] + order_row(1, "02/10/2017 10:56") + order_row(2, "25/10/2017 08:00"))
    result = load(db_url, tmp_path)
    assert sql("SELECT order_purchase_timestamp FROM warehouse.fact_orders ORDER BY 1") == [
        (datetime(2017, 10, 2, 10, 56),), (datetime(2017, 10, 25, 8, 0),)]
    assert not any("could be month/day" in w for w in result.warnings)

    other = tmp_path / "second"
    write(other, "o.csv", H["orders"] + order_row(3, "03/04/2018 10:00"))
    result = load(db_url, other)
    assert any("order_purchase_timestamp" in w and "could be month/day" in w for w in result.warnings)
    assert sql(f"SELECT order_purchase_timestamp FROM warehouse.fact_orders WHERE order_id = '{O.format(3)}'") == [
        (datetime(2018, 3, 4, 10, 0),)]


def test_each_quarantine_reason_with_its_line(tmp_path, db_url, sql):
    write(tmp_path, "o.csv", H["orders"]
          + order_row(1)                                          # line 2: good
          + order_row(2, "2017-02-30 10:00:00")                   # line 3: no such day
          + f"{O.format(3)},{C.format(3)},delivered,,,,,\n"       # line 4: no purchase time
          + order_row(1, status="shipped")                        # line 5: same key, other values
          + order_row(1)                                          # line 6: exact repeat
          + "not-an-id,x,delivered,2017-10-02 10:56:33,,,,\n"     # line 7: bad id
          + order_row(4).rstrip("\n") + ",extra\n"                 # line 8: too many fields
          )
    write(tmp_path, "r.csv", H["reviews"]
          + f"f{'0' * 31},{O.format(1)},7,,,2017-10-11 00:00:00,\n"   # line 2: score out of range
          + f"f{'0' * 30}1,{O.format(99)},5,,,2017-10-11 00:00:00,\n"  # line 3: unknown order
          )
    write(tmp_path, "i.csv", H["items"] + f"{O.format(1)},1,{P},{S},2017-10-06 11:07:15,-3.00,1.00\n")
    result = load(db_url, tmp_path)
    rows = quarantine(sql)
    reasons = {(r[0], r[1]): r[3] for r in rows}
    assert reasons[("o.csv", 3)] == "order_purchase_timestamp does not parse"
    assert reasons[("o.csv", 4)] == "missing order_purchase_timestamp"
    assert reasons[("o.csv", 5)] == "duplicate order_id with conflicting values (the first row was kept)"
    assert reasons[("o.csv", 7)] == "order_id does not parse"
    assert reasons[("o.csv", 8)] == "wrong number of fields"
    assert reasons[("r.csv", 2)] == "review_score out of range"
    assert reasons[("r.csv", 3)] == "unknown order_id"  # a fixed vocabulary: the id is in the record
    assert reasons[("i.csv", 2)] == "price out of range"
    assert len(rows) == 8
    assert result.tables["fact_orders"].skipped == 1  # the exact repeat on line 6
    assert sql("SELECT order_id::text, order_status FROM warehouse.fact_orders") == [
        ("d1000000-0000-0000-0000-000000000001", "delivered")]
    raw = sql("SELECT raw FROM etl.quarantine WHERE line_number = 3 AND file_name = 'o.csv'")[0][0]
    assert raw["order_purchase_timestamp"] == "2017-02-30 10:00:00"


def test_unknown_members_keep_the_revenue(tmp_path, db_url, sql):
    write(tmp_path, "o.csv", H["orders"] + order_row(1))
    write(tmp_path, "i.csv", H["items"] + f"{O.format(1)},1,{P},{S},2017-10-06 11:07:15,10.00,2.50\n")
    result = load(db_url, tmp_path)
    assert result.tables["dim_customers"].unknown_members == 1
    assert result.tables["dim_products"].unknown_members == 1
    assert result.tables["dim_sellers"].unknown_members == 1
    assert sql("SELECT order_value::float FROM warehouse.fact_orders") == [(12.5,)]
    assert sql("SELECT state, revenue FROM warehouse.rollup_daily") == [("??", 1250)]  # hundredths
    assert sql("SELECT category FROM warehouse.rollup_daily_categories") == [("unknown",)]

    # The real customer arrives later: the unknown member becomes a known one, the rollup follows.
    later = tmp_path / "later"
    write(later, "c.csv", H["customers"] + customer_row(1, state="RJ"))
    again = load(db_url, later)
    assert again.tables["dim_customers"].updated == 1
    assert sql("SELECT customer_state, is_unknown FROM warehouse.dim_customers") == [("RJ", False)]
    assert sql("SELECT state, revenue FROM warehouse.rollup_daily") == [("RJ", 1250)]
    assert_rollups_match_facts(sql)


def test_deltas_resolve_keys_against_the_warehouse(tmp_path, db_url, sql):
    write(tmp_path / "day1", "o.csv", H["orders"] + order_row(1) + order_row(2))
    load(db_url, tmp_path / "day1")
    write(tmp_path / "day2", "i.csv", H["items"] + f"{O.format(1)},1,{P},{S},2017-10-06 11:07:15,10.00,2.50\n")
    write(tmp_path / "day2", "p.csv", H["payments"] + f"{O.format(1)},1,boleto,1,12.50\n")
    write(tmp_path / "day2", "o.csv", H["orders"] + order_row(2, status="canceled") + order_row(3))
    result = load(db_url, tmp_path / "day2")
    assert result.orders_refreshed == 3  # by order: each of its three
    assert result.tables["fact_order_items"].inserted == 1 and result.tables["fact_order_items"].quarantined == 0
    assert (result.tables["fact_orders"].inserted, result.tables["fact_orders"].updated) == (1, 1)
    assert sql("SELECT order_id::text, order_status, items_count, order_value::float, payment_value::float "
               "FROM warehouse.fact_orders ORDER BY 1") == [
        ("d1000000-0000-0000-0000-000000000001", "delivered", 1, 12.5, 12.5),
        ("d1000000-0000-0000-0000-000000000002", "canceled", 0, 0.0, 0.0),
        ("d1000000-0000-0000-0000-000000000003", "delivered", 0, 0.0, 0.0),
    ]
    assert sql("SELECT status, orders, revenue * 0.01 FROM warehouse.rollup_daily ORDER BY 1") == [
        ("canceled", 1, 0.0), ("delivered", 2, 12.5)]
    assert_rollups_match_facts(sql)

    # Reviews that arrive later move the review totals of their orders and days.
    write(tmp_path / "day3", "r.csv", H["reviews"] + f"f{'0' * 31},{O.format(1)},2,,,2017-10-11 00:00:00,\n")
    load(db_url, tmp_path / "day3")
    assert sql(f"SELECT reviews_count, review_score_sum FROM warehouse.fact_orders WHERE order_id = '{O.format(1)}'") == [
        (1, 2)]
    assert_rollups_match_facts(sql)
    low = "SELECT review_id::text, order_id::text, review_score, purchase_date FROM {} ORDER BY 1"
    assert sql(low.format("warehouse.low_reviews")) == sql(low.format(
        "warehouse.fact_reviews JOIN warehouse.fact_orders USING (order_id) WHERE review_score <= 2")) != []

    # Statuses that leave the month: its delivered group goes from the monthly rollups too (summed
    # again from the days, only the rows that differ written).
    write(tmp_path / "day4", "o.csv", H["orders"] + order_row(1, status="shipped") + order_row(3, status="shipped"))
    load(db_url, tmp_path / "day4")
    assert sql("SELECT status, orders FROM warehouse.rollup_monthly ORDER BY 1") == [("canceled", 1), ("shipped", 2)]
    assert_rollups_are_the_stars_rows(sql)
    assert_hand_tables_are_the_facts(sql)


def test_a_delta_of_a_few_orders_refreshes_the_rollups_by_those_orders(tmp_path, db_url, sql):
    """A batch naming a few orders changes each rollup by what those orders (and their people's
    other orders) change, group by group, not by rebuilding their days; it must end where the star
    does, groups emptied deleted and overlap rows replaced. A batch with products refreshes by day."""
    p2, s2 = "b1000000000000000000000000000002", "e1000000000000000000000000000002"

    def item(i, n, product, seller=S, price="10.00"):
        return f"{O.format(i)},{n},{product},{seller},2017-10-06 11:07:15,{price},2.50\n"

    def payment(i, value):
        return f"{O.format(i)},1,credit_card,2,{value}\n"

    day1 = tmp_path / "day1"
    write(day1, "k.csv", H["categories"] + "cama_mesa_banho,bed_bath_table\nmoveis,furniture\n")
    write(day1, "pr.csv", H["products"] + f"{P},cama_mesa_banho,10,100,1,500,10,10,10\n"
          f"{p2},moveis,10,100,1,500,10,10,10\n")
    write(day1, "s.csv", H["sellers"] + f"{S},01037,sao paulo,SP\n{s2},20040,rio de janeiro,RJ\n")
    write(day1, "c.csv", H["customers"] + "".join(customer_row(i) for i in range(1, 5)))
    write(day1, "o.csv", H["orders"] + order_row(1) + order_row(2) + order_row(3, "2017-10-03 08:00:00")
          + order_row(4, "2017-10-03 09:00:00"))
    write(day1, "i.csv", H["items"] + item(1, 1, P) + item(2, 1, P) + item(3, 1, p2, s2) + item(4, 1, P)
          + item(4, 2, p2, s2))
    write(day1, "p.csv", H["payments"] + "".join(payment(i, v) for i, v in ((1, 12.5), (2, 12.5), (3, 12.5), (4, 25))))
    assert load(db_url, day1).orders_refreshed == 0  # a first load builds everything
    assert len(sql("SELECT * FROM warehouse.rollup_overlap_categories")) == 1  # order 4: two categories

    # Customer 1's person orders again under a new customer id (their first order is no longer a
    # one-order person's), order 1 gains an item of a second category (it joins the overlap table),
    # order 4's second item changes product (it leaves it), order 2 is canceled, order 3 reviewed.
    day2 = tmp_path / "day2"
    write(day2, "c.csv", H["customers"] + f"{C.format(5)},a1000000000000000000000000000001,20040,rio de janeiro,RJ\n")
    write(day2, "o.csv", H["orders"] + order_row(5, "2017-10-09 12:00:00") + order_row(2, status="canceled"))
    write(day2, "i.csv", H["items"] + item(1, 2, p2, s2, "30.00") + item(4, 2, P) + item(5, 1, P))
    write(day2, "p.csv", H["payments"] + payment(5, 12.5))
    write(day2, "r.csv", H["reviews"] + f"f{'0' * 31},{O.format(3)},1,,,2017-10-11 00:00:00,\n")
    result = load(db_url, day2)
    assert result.orders_refreshed == 5  # orders 1 to 5: customer 1's person's two among them
    assert_rollups_are_the_stars_rows(sql)
    assert_hand_tables_are_the_facts(sql)
    assert_rollups_match_facts(sql)
    assert sql("SELECT period, category FROM warehouse.rollup_overlap_categories") == [
        (datetime(2017, 10, 2).date(), ["bed_bath_table", "furniture"])]
    assert sql("SELECT sum(single_buyers)::int FROM warehouse.rollup_daily") == [(3,)]  # customers 2, 3 and 4
    assert sql("SELECT status FROM warehouse.rollup_daily WHERE period = '2017-10-02' ORDER BY 1") == [
        ("canceled",), ("delivered",)]
    assert sql("SELECT count(*)::int FROM warehouse.rollup_daily_categories WHERE period = '2017-10-03' "
               "AND category = 'furniture'") == [(1,)]  # order 3's; order 4's furniture group is gone

    # A product changing category reaches every order of it: the load refreshes by day.
    day3 = tmp_path / "day3"
    write(day3, "pr.csv", H["products"] + f"{p2},cama_mesa_banho,10,100,1,500,10,10,10\n")
    assert load(db_url, day3).orders_refreshed == 0
    assert_rollups_are_the_stars_rows(sql)
    assert_hand_tables_are_the_facts(sql)


def test_a_delta_lists_again_only_its_people_and_ends_where_a_full_rebuild_does(tmp_path, db_url, sql):
    """A delta rebuilds the repeat buyers' orders of the people it touched only (and grows the
    calendar from its own orders); what it leaves must equal rebuilding everything from the facts."""
    from etl.rollups import ensure_current

    people = ("a1000000000000000000000000000001", "a1000000000000000000000000000002", "a1000000000000000000000000000003")
    write(tmp_path / "day1", "o.csv", H["orders"] + "".join(order_row(i, f"2017-10-0{i} 10:00:00") for i in range(1, 6)))
    write(tmp_path / "day1", "c.csv", H["customers"] + "".join(
        f"{C.format(i)},{people[min(i, 5) // 2]},01037,sao paulo,SP\n" for i in range(1, 6)))  # 1 | 2,3 | 4,5
    load(db_url, tmp_path / "day1")
    table = "SELECT order_id::text, customer_unique_id::text, purchase_date, first_date, second_date, order_cents " \
            "FROM warehouse.repeat_buyer_orders ORDER BY 1"
    assert {r[1] for r in sql(table)} == {"a1000000-0000-0000-0000-000000000002",
                                         "a1000000-0000-0000-0000-000000000003"} and len(sql(table)) == 4
    # Day 2: person 1 orders again (a repeat buyer now), customer 5 turns out to be person 1 (person 3
    # keeps one order and leaves the list), and an order far later stretches the calendar.
    write(tmp_path / "day2", "o.csv", H["orders"] + order_row(6, "2017-11-20 09:00:00", customer=C.format(1))
          + order_row(7, "2018-03-01 09:00:00", customer=C.format(2)))
    write(tmp_path / "day2", "c.csv", H["customers"] + f"{C.format(5)},{people[0]},01037,sao paulo,SP\n")
    load(db_url, tmp_path / "day2")
    assert_rollups_are_the_stars_rows(sql)  # the delta's touched days and months, refreshed in place
    assert_hand_tables_are_the_facts(sql)
    after_delta = sql(table), sql("SELECT min(date_key), max(date_key), count(*) FROM warehouse.dim_date")
    assert after_delta[1][0][1] >= datetime(2018, 3, 1).date()
    sql("UPDATE etl.rollup_state SET version = 0")  # everything again, from the facts
    with psycopg.connect(db_url) as conn:
        assert ensure_current(conn)
    assert (sql(table), sql("SELECT min(date_key), max(date_key), count(*) FROM warehouse.dim_date")) == after_delta
    assert {r[1] for r in after_delta[0]} == {"a1000000-0000-0000-0000-000000000001",
                                             "a1000000-0000-0000-0000-000000000002"}
    assert_rollups_match_facts(sql)


@pytest.mark.parametrize("stage", ["stage:orders", "upsert:items", "rollups", "end", "commit"])
def test_a_failure_late_in_the_load_changes_nothing(tmp_path, db_url, sql, stage):
    load(db_url, FIXTURES / "tiny")
    snapshot = "SELECT (SELECT md5(string_agg(t::text, ',' ORDER BY t::text)) FROM warehouse.{} t)"
    tables = ["fact_orders", "fact_order_items", "dim_customers", "rollup_daily", "etl.quarantine"]
    before = [sql(snapshot.format(t).replace("warehouse.etl.", "etl.")) for t in tables]
    write(tmp_path, "o.csv", H["orders"] + order_row(1, status="shipped") + order_row(9))
    write(tmp_path, "i.csv", H["items"] + f"{O.format(9)},1,{P},{S},2017-10-06 11:07:15,10.00,2.50\n"
          + f"{O.format(77)},1,{P},{S},2017-10-06 11:07:15,10.00,2.50\n")
    with pytest.raises(RuntimeError, match="failure injected"):
        load(db_url, tmp_path, fail_at=stage)
    assert [sql(snapshot.format(t).replace("warehouse.etl.", "etl.")) for t in tables] == before
    assert sql("SELECT status, error FROM etl.runs ORDER BY run_id DESC LIMIT 1") == [
        ("failed", f"failure injected at {stage}")]
    assert sql("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'etl_run_%'") == [(0,)]  # scratch dropped
    # And the same files load fine afterwards.
    after = load(db_url, tmp_path).tables["fact_orders"]
    assert (after.inserted, after.updated) == (1, 1)


def test_concurrent_runs_are_refused(tmp_path, db_url, sql):
    write(tmp_path, "o.csv", H["orders"] + order_row(1))
    with psycopg.connect(db_url) as other:
        other.execute("SELECT pg_advisory_xact_lock(%s)", (LOAD_LOCK,))
        with pytest.raises(LoadError, match="another load is running"):
            load(db_url, tmp_path)
    assert sql("SELECT count(*) FROM warehouse.fact_orders") == [(0,)]
    assert load(db_url, tmp_path).status == "succeeded"


def test_dry_run_reports_and_keeps_nothing(db_url, sql):
    result = load(db_url, FIXTURES / "tiny", dry_run=True)
    assert result.tables["fact_orders"].inserted == 3 and not result.changed
    assert sql("SELECT count(*) FROM warehouse.fact_orders") == [(0,)]
    assert sql("SELECT status, dry_run FROM etl.runs") == [("succeeded", True)]


KILL_AFTER = {
    # the moment the commit returns
    "commit": "import psycopg, etl.load\nrecord, commit = etl.load._record, psycopg.Connection.commit\n"
              "def marked(conn, *a):\n    record(conn, *a)\n    conn.last = True\n"
              "def then_die(self):\n    commit(self)\n"
              "    if getattr(self, 'last', False):\n        os.kill(os.getpid(), signal.SIGKILL)\n"
              "etl.load._record, psycopg.Connection.commit = marked, then_die\n",
    # dropping the run's scratch tables
    "scratch": "import etl.load\netl.load._drop_scratch = lambda *a: os.kill(os.getpid(), signal.SIGKILL)\n",
    # printing the summary
    "summary": "import click\nclick.echo = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)\n",
}


@pytest.mark.parametrize("step", list(KILL_AFTER))
def test_a_load_killed_after_its_commit_is_recorded_as_succeeded(tmp_path, db_url, sql, step):
    """The run's outcome and the data version commit with the data: a loader killed at any later step
    leaves a succeeded run whose data every cache key sees, and the next load goes on from there."""
    script = ("import os, signal, sys\n" + KILL_AFTER[step]
              + "from etl.cli import cli\nsys.exit(cli(['load', sys.argv[1], '--json']))\n")
    env = {**os.environ, "DATABASE_URL": db_url, "INSTANCE_DIR": str(tmp_path / "instance")}
    done = subprocess.run([sys.executable, "-c", script, str(FIXTURES / "tiny")], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert sql("SELECT count(*) FROM warehouse.fact_orders") == [(3,)]
    (run_id, status, changed), = sql("SELECT run_id, status, changed FROM etl.runs")
    assert (status, changed) == ("succeeded", True)
    with psycopg.connect(db_url) as conn:
        assert data_version(conn) == run_id
    assert sql("SELECT action, detail->>'status' FROM app.audit_log WHERE action = 'load'") == [("load", "succeeded")]
    write(tmp_path / "delta", "o.csv", H["orders"] + order_row(9))
    again = load(db_url, tmp_path / "delta")
    assert again.status == "succeeded" and sql("SELECT count(*) FROM warehouse.fact_orders") == [(4,)]
    with psycopg.connect(db_url) as conn:
        assert data_version(conn) == again.run_id > run_id
    assert sql("SELECT status FROM etl.runs ORDER BY run_id") == [("succeeded",), ("succeeded",)]


def test_a_spreadsheet_resaved_export_with_rows_of_bare_commas_loads_as_the_clean_one(tmp_path, db_url, sql):
    """A spreadsheet re-saving an export writes rows whose every field is empty (",,,,,,,"): blank
    rows, skipped and counted, never quarantined as "missing order_id" beside the real problems.
    One file also has a row with too many fields, so it takes the row-by-row path, which counts
    them the same way."""
    from etl.generate import generate
    clean, resaved = tmp_path / "clean", tmp_path / "resaved"
    generate(clean, 150, seed=5)
    resaved.mkdir()
    bare = {}
    for path in sorted(clean.glob("*.csv")):
        lines = path.read_text(encoding="utf-8").splitlines()
        width = lines[0].count(",")
        out, added = [lines[0]], 0
        for k, line in enumerate(lines[1:]):
            out.append(line)
            if k % 3 == 0:
                out.append("," * width if k % 2 else '"",' * width + '""')  # bare, or empty quoted fields
                added += 1
        if path.name == "olist_order_payments_dataset.csv":
            out.append(lines[1] + ",one too many")  # the careful path for this file
        (resaved / path.name).write_text("\r\n".join(out) + "\r\n", encoding="utf-8")
        bare[path.name] = added
    result = load(db_url, resaved)
    payments_lines = len((resaved / "olist_order_payments_dataset.csv").read_text().splitlines())
    assert quarantine(sql) == [("olist_order_payments_dataset.csv", payments_lines, "fact_payments",
                                "wrong number of fields")]
    assert result.tables["fact_orders"].skipped == bare["olist_orders_dataset.csv"]
    assert result.tables["fact_order_items"].skipped == bare["olist_order_items_dataset.csv"]
    assert result.tables["fact_payments"].skipped == bare["olist_order_payments_dataset.csv"]  # row by row

    def total(name, *columns):
        import csv
        with open(clean / name, encoding="utf-8", newline="") as f:
            return round(sum(sum(float(r[c]) for c in columns) for r in csv.DictReader(f)), 2)
    assert sql("SELECT count(*), sum(order_value)::float, sum(payment_value)::float FROM warehouse.fact_orders") == [
        (150, total("olist_order_items_dataset.csv", "price", "freight_value"),
         total("olist_order_payments_dataset.csv", "payment_value"))]
    assert_rollups_match_facts(sql)
