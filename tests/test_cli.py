"""The ETL command line, run as ops run it: exit codes, messages, --json, and the database after."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, write

ROOT = Path(__file__).resolve().parent.parent


def etl(*args, url=None, cwd=None):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
    if url:
        env["DATABASE_URL"] = url
    return subprocess.run([sys.executable, "-m", "etl", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, env=env, timeout=300)


def test_load_json_then_reload_reports_nothing_changed(db_url, sql):
    first = etl("load", str(FIXTURES / "tiny"), "--json", url=db_url)
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert summary["status"] == "succeeded" and summary["changed"] is True
    orders = summary["tables"]["fact_orders"]
    assert orders.pop("seconds") >= 0
    assert orders == {"read": 3, "inserted": 3, "updated": 0, "unchanged": 0, "quarantined": 0, "skipped": 0,
                      "unknown_members": 0, "loaded": 3}
    assert sql("SELECT count(*) FROM warehouse.fact_payments") == [(4,)]

    second = etl("load", str(FIXTURES / "tiny"), url=db_url)
    assert second.returncode == 0
    assert "nothing changed" in second.stdout

    status = etl("status", "--json", url=db_url)
    info = json.loads(status.stdout)
    assert info["tables"]["fact_orders"] == 3 and info["data_version"] == summary["run_id"]
    assert [r["changed"] for r in info["runs"]] == [False, True]


def test_dry_run_changes_nothing(db_url, sql):
    out = etl("load", str(FIXTURES / "tiny"), "--dry-run", url=db_url)
    assert out.returncode == 0, out.stderr
    assert "dry run" in out.stdout
    assert sql("SELECT count(*) FROM warehouse.fact_orders") == [(0,)]


@pytest.mark.parametrize("files, message", [
    ({"orders.csv": "order_id,customer_id,status\nx,y,z\n"},
     "orders.csv looks like the orders file (olist_orders_dataset.csv) but its header is missing"),
    ({"orders.csv": ""}, "orders.csv is empty"),
    ({"orders.csv": b"PK\x03\x04rest-of-a-zip"}, "orders.csv is a zip archive or an Excel workbook"),
    ({"notes.csv": "a,b\n1,2\n"}, "notes.csv is not one of the nine Olist files"),
    ({"readme.md": "hello"}, "no Olist CSV files found"),
])
def test_bad_input_is_one_line_and_exit_1(tmp_path, db_url, sql, files, message):
    for name, body in files.items():
        write(tmp_path, name, body)
    out = etl("load", str(tmp_path), url=db_url)
    assert out.returncode == 1
    assert message in out.stderr
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1
    assert sql("SELECT count(*) FROM warehouse.fact_orders") == [(0,)]


def test_undecodable_bytes_name_the_file_and_line(tmp_path, db_url, sql):
    header = (FIXTURES / "tiny" / "olist_customers_dataset.csv").read_bytes().splitlines()[0]
    write(tmp_path, "c.csv", header + b"\nc1000000000000000000000000000001,a1000000000000000000000000000001,01037,s\xe3o paulo,SP\n")
    write(tmp_path, "o.csv", (FIXTURES / "tiny" / "olist_orders_dataset.csv").read_bytes())
    out = etl("load", str(tmp_path), url=db_url)
    assert out.returncode == 1
    assert "c.csv has bytes that are not UTF-8 (line 2)" in out.stderr and "Traceback" not in out.stderr
    assert sql("SELECT count(*) FROM warehouse.fact_orders") == [(0,)]
    assert sql("SELECT status FROM etl.runs") == [("failed",)]


def test_database_down_is_one_line(tmp_path):
    out = etl("load", str(FIXTURES / "tiny"), url="postgresql://nobody@127.0.0.1:9/none")
    assert out.returncode == 1
    assert out.stderr.startswith("error: cannot connect to the database at postgresql://nobody@127.0.0.1:9/none")
    assert "Traceback" not in out.stderr


def test_usage_errors_exit_2(tmp_path):
    assert etl("load").returncode == 2
    assert etl("load", str(tmp_path / "missing")).returncode == 2
    assert etl("load", str(FIXTURES / "tiny"), "--date-format", "ymd").returncode == 2
    assert etl("generate", str(tmp_path), "--orders", "0").returncode == 2


def test_generate_then_load_a_demo_set(tmp_path, db_url, sql):
    out = etl("generate", str(tmp_path / "demo"), "--orders", "2000", "--seed", "7")
    assert out.returncode == 0, out.stderr
    assert "2,000 orders" in out.stderr
    loaded = etl("load", str(tmp_path / "demo"), "--json", url=db_url)
    assert loaded.returncode == 0, loaded.stderr
    summary = json.loads(loaded.stdout)
    assert summary["tables"]["fact_orders"]["inserted"] == 2000
    assert all(t["quarantined"] == 0 for t in summary["tables"].values())
    # Every rollup answer equals the answer from the fact tables (a rollup keeps sums in hundredths).
    assert sql("SELECT sum(revenue) * 0.01, sum(orders), sum(items) FROM warehouse.rollup_daily") == sql(
        "SELECT sum(order_value), count(*), sum(items_count) FROM warehouse.fact_orders")
    assert sql("SELECT sum(revenue) * 0.01, sum(items) FROM warehouse.rollup_daily_categories") == sql(
        "SELECT sum(item_value), count(*) FROM warehouse.fact_order_items")


def test_a_killed_load_leaves_the_warehouse_as_it_was(tmp_path, db_url, sql):
    import signal
    import time

    from etl.generate import generate

    generate(tmp_path / "demo", 20_000, seed=5)
    env = {**os.environ, "DATABASE_URL": db_url, "LOG_LEVEL": "INFO"}
    proc = subprocess.Popen([sys.executable, "-m", "etl", "load", str(tmp_path / "demo")], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:  # wait until it is writing the warehouse, then kill it outright
        if "validated orders" in line:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stderr.close()
    deadline = time.monotonic() + 30
    while sql("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
              "AND pid <> pg_backend_pid()")[0][0] and time.monotonic() < deadline:
        time.sleep(0.2)  # the server notices the dead client and rolls its transaction back
    assert sql("SELECT count(*) FROM warehouse.dim_customers") == [(0,)]
    assert sql("SELECT status FROM etl.runs") == [("running",)]

    out = etl("load", str(FIXTURES / "tiny"), url=db_url)
    assert out.returncode == 0, out.stderr
    assert sql("SELECT status FROM etl.runs ORDER BY run_id") == [("abandoned",), ("succeeded",)]
    assert sql("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'etl_run_%'") == [(0,)]


def test_rollups_status_and_build(db_url, sql):
    assert etl("load", str(FIXTURES / "tiny"), url=db_url).returncode == 0
    status = json.loads(etl("rollups", "status", "--json", url=db_url).stdout)
    assert {r["state"] for r in status} == {"current"} and {"daily", "monthly"} <= {r["name"] for r in status}
    # A rollup built by another definition (or by nobody) is not current; building rebuilds it and what is summed from it.
    sql("UPDATE etl.rollups SET definition = 'older' WHERE name = 'daily'")
    sql("CREATE TABLE warehouse.rollup_forgotten (period date)")
    stale = {r["name"]: r["state"] for r in json.loads(etl("rollups", "status", "--json", url=db_url).stdout)}
    assert stale["daily"] == "stale" and stale["monthly"] == "current"
    built = etl("rollups", "build", url=db_url)
    assert built.returncode == 0 and built.stdout.strip().endswith("built 2 rollups: daily, monthly"), built.stdout
    assert sql("SELECT count(*) FROM pg_tables WHERE tablename = 'rollup_forgotten'") == [(0,)]  # no longer declared
    assert sql("SELECT sum(orders) FROM warehouse.rollup_daily") == [(3,)]
    again = etl("rollups", "build", url=db_url)
    assert again.returncode == 0 and "every one is current" in again.stdout
    wrong = etl("rollups", "build", "dialy", url=db_url)
    assert wrong.returncode == 2 and wrong.stderr.startswith("error: no rollup is declared by the name dialy")
    table = etl("rollups", "status", url=db_url)
    assert "daily_categories" in table.stdout and "current" in table.stdout
