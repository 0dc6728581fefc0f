"""Live ingest: the watcher (`python -m etl watch`) and the simulator (`python -m etl simulate`).

Every test runs against a real warehouse holding a small generated data set; batches are written
by the simulator itself, or by hand where a batch must be broken on purpose.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
import pytest

from etl import formats
from etl.generate import generate
from etl.load import load
from etl.simulate import Order, Simulator, World, read_world, write_batch
from etl.watch import Watcher
from tests.conftest import assert_rollups_are_the_stars_rows, database, write

ROOT = Path(__file__).resolve().parent.parent
H = {k.key: ",".join(k.header) + "\n" for k in formats.KINDS}


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """The files of a small generated data set, written once for the module."""
    folder = tmp_path_factory.mktemp("live-data")
    generate(folder, 2_000, seed=5)
    return folder


@pytest.fixture
def warehouse(server_url, template_db, generated):
    """A fresh warehouse holding the small data set, for one test."""
    with database(server_url, template_db, f"olist_live_{os.getpid()}_{time.monotonic_ns()}") as url:
        load(url, generated)
        yield url


def run(url, query, params=None):
    with psycopg.connect(url, autocommit=True) as conn:
        cur = conn.execute(query, params)
        return cur.fetchall() if cur.description else None


def simulated(url, inbox: Path, batches: int, seed: int = 1, rate: float = 5, seconds: float = 2) -> list[Path]:
    """Write `batches` simulated batches into inbox (as fast as they can be written)."""
    with psycopg.connect(url) as conn:
        world = read_world(conn, inbox)
    sim = Simulator(world, rate, seconds, seed)
    return [write_batch(inbox, sim.batch_name(), sim.next_batch()) for _ in range(batches)]


def watch_until_empty(url, inbox: Path, timeout: float = 120, keep_days: int = 0) -> list:
    """Run a watcher in a thread until the inbox holds no batch; return what it reported."""
    reports, said = [], []
    watcher = Watcher(url, inbox, reports.append, said.append, poll=0.05, keep_days=keep_days)
    thread = threading.Thread(target=watcher.run)
    thread.start()
    deadline = time.monotonic() + timeout
    try:
        while any(p.is_dir() and not p.name.startswith(".") for p in inbox.iterdir()):
            assert time.monotonic() < deadline, f"the watcher left {list(inbox.iterdir())}"
            time.sleep(0.05)
    finally:
        watcher.stop()
        thread.join(timeout=60)
    assert not thread.is_alive()
    watcher.said = said
    return reports


def order_ids(batch: Path, status: str | None = None) -> set[str]:
    path = batch / formats.ORDERS.file_name
    if not path.exists():
        return set()
    lines = path.read_text().splitlines()[1:]
    return {line.split(",")[0] for line in lines if status is None or line.split(",")[2] == status}


def test_batches_load_in_name_order_and_broken_ones_fail_alone(tmp_path, warehouse):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    good = simulated(warehouse, inbox, 3)
    names = [b.name for b in good]
    # Broken batches that sort between the good ones: each must fail alone and leave nothing behind.
    header = inbox / (names[0] + "-a-header")
    write(header, "orders.csv", "order_id,client,when\n1,2,3\n")
    raw = (good[1] / formats.ORDERS.file_name).read_bytes()
    bytes_ = inbox / (names[0] + "-b-bytes")
    write(bytes_, "orders.csv", raw.replace(b"created", b"cr\xff\xfeated", 1))
    partial = inbox / (names[1] + "-c-partial")
    write(partial, "orders.csv", raw[: len(raw) - 20])
    empty = inbox / (names[1] + "-d-empty")
    empty.mkdir()
    before = run(warehouse, "SELECT count(*) FROM warehouse.fact_orders")[0][0]
    new_ids = set().union(*(order_ids(b, "created") for b in good))

    reports = watch_until_empty(warehouse, inbox)

    assert [r.name for r in reports] == sorted(names + [header.name, bytes_.name, partial.name, empty.name])
    assert [r.status for r in reports] == ["loaded", "failed", "failed", "loaded", "failed", "failed", "loaded"]
    processed, failed = tmp_path / "processed", tmp_path / "failed"
    assert sorted(p.name for p in processed.iterdir()) == names
    assert sorted(p.name for p in failed.iterdir()) == sorted([header.name, bytes_.name, partial.name, empty.name])
    reasons = {p.name: (p / "reason.txt").read_text() for p in failed.iterdir()}
    for name, reason in reasons.items():
        assert reason.count("\n") == 1, reason  # one line
    assert "header matches none" in reasons[header.name]
    assert "not UTF-8" in reasons[bytes_.name]
    assert "ends in the middle of a line" in reasons[partial.name]
    assert "holds no files" in reasons[empty.name]
    # Exactly the good batches' new orders arrived, with their items and payments.
    after = run(warehouse, "SELECT count(*) FROM warehouse.fact_orders")[0][0]
    assert after - before == len(new_ids) == sum(r.orders for r in reports)
    assert run(warehouse, "SELECT count(*) FROM warehouse.fact_orders o WHERE replace(o.order_id::text, '-', '') "
                          "= ANY(%s) AND o.items_count > 0 AND o.payment_value > 0", (list(new_ids),))[0][0] == len(new_ids)
    runs = run(warehouse, "SELECT source, status, arrived_at IS NOT NULL FROM etl.runs WHERE source LIKE %s "
                          "ORDER BY run_id", (f"{inbox}%",))
    loaded = [(Path(s).name, st) for s, st, _ in runs if st == "succeeded"]
    assert loaded == [(n, "succeeded") for n in names] and all(a for *_, a in runs)
    assert reports[-1].data_version == run(warehouse, "SELECT max(run_id) FROM etl.runs WHERE status = 'succeeded'")[0][0]
    assert_rollups_are_the_stars_rows(lambda q: run(warehouse, q))


def test_a_committed_batch_left_in_the_inbox_is_not_loaded_twice(tmp_path, warehouse):
    """A watcher stopped between a batch's commit and its move picks up where it stopped."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    first, second = simulated(warehouse, inbox, 2)
    load(warehouse, first)  # committed, not moved: as a watcher killed at that moment leaves it
    counts = run(warehouse, "SELECT (SELECT count(*) FROM warehouse.fact_orders), "
                            "(SELECT count(*) FROM warehouse.fact_order_items)")[0]
    items = len((second / formats.ITEMS.file_name).read_text().splitlines()) - 1
    reports = watch_until_empty(warehouse, inbox)
    assert [(r.name, r.status) for r in reports] == [(first.name, "unchanged"), (second.name, "loaded")]
    assert run(warehouse, "SELECT (SELECT count(*) FROM warehouse.fact_orders), "
                          "(SELECT count(*) FROM warehouse.fact_order_items)")[0] == (
        counts[0] + reports[1].orders, counts[1] + items)


def test_the_watcher_waits_for_the_database_and_resumes(tmp_path, warehouse):
    """Its connections cut (a database restart, a network drop): it says so once, waits, reconnects
    and loads the batch, which was not called failed."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    reports, said = [], []
    watcher = Watcher(warehouse, inbox, reports.append, said.append, poll=0.05)
    thread = threading.Thread(target=watcher.run)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while watcher.connections is None:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        run(warehouse, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                       "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        batch, = simulated(warehouse, inbox, 1)
        while not reports:
            assert time.monotonic() < deadline + 60, said
            time.sleep(0.05)
    finally:
        watcher.stop()
        thread.join(timeout=60)
    assert [(r.name, r.status) for r in reports] == [(batch.name, "loaded")]
    assert [s for s in said if "unreachable" in s][:1] and len([s for s in said if "unreachable" in s]) == 1
    assert any("back" in s for s in said)


def _cli(args, url, tmp_path, **kw):
    env = {**os.environ, "DATABASE_URL": url, "INSTANCE_DIR": str(tmp_path / "instance")}
    return subprocess.Popen([sys.executable, "-m", "etl", *args], env=env, cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


@pytest.mark.processes
@pytest.mark.parametrize("signals", [1, 2])
def test_sigterm_mid_batch_commits_it_or_rolls_it_back(tmp_path, warehouse, signals):
    """One SIGTERM while a batch loads: it commits, moves, and the watcher stops (exit 0). A second
    one aborts it: the warehouse is as before and the batch waits in the inbox (exit 1)."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    big = tmp_path / "big"
    generate(big, 3_000, seed=9)  # new ids: a batch that takes a while to load
    shutil.move(str(big), inbox / "0001-big")
    before = run(warehouse, "SELECT count(*) FROM warehouse.fact_orders")[0][0]
    proc = _cli(["watch", str(inbox), "--json"], warehouse, tmp_path)
    deadline = time.monotonic() + 120
    while not run(warehouse, "SELECT 1 FROM etl.runs WHERE status = 'running'"):
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.02)
    for _ in range(signals):
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.05)
    out, err = proc.communicate(timeout=120)
    after = run(warehouse, "SELECT count(*) FROM warehouse.fact_orders")[0][0]
    if signals == 1:
        assert proc.returncode == 0, err
        assert after == before + 3_000
        assert (tmp_path / "processed" / "0001-big").is_dir() and not list(inbox.iterdir())
        assert '"status": "loaded"' in out and "stopping after the batch in flight" in err
    else:
        assert proc.returncode == 1, err
        assert after == before
        assert (inbox / "0001-big").is_dir() and not list((tmp_path / "processed").iterdir())
        assert err.strip().splitlines()[-1].startswith("error: aborted") and "Traceback" not in err
        assert run(warehouse, "SELECT status FROM etl.runs ORDER BY run_id DESC LIMIT 1") == [("failed",)]


@pytest.mark.processes
@pytest.mark.parametrize("command", ["watch", "simulate"])
def test_an_inbox_that_cannot_be_used_is_one_line_and_exit_2(tmp_path, command, server_url):
    args = {"watch": ["watch"], "simulate": ["simulate", "--into"]}[command]
    a_file = write(tmp_path, "inbox.txt", "x")
    for inbox, words in ((tmp_path / "nowhere", "does not exist"), (a_file, "is a file, not a folder")):
        proc = _cli([*args, str(inbox)], server_url, tmp_path)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 2 and words in err and len(err.strip().splitlines()) == 1, err


@pytest.mark.processes
def test_the_simulator_is_deterministic_and_its_batches_load_cleanly(tmp_path, warehouse):
    one, two = tmp_path / "one" / "inbox", tmp_path / "two" / "inbox"
    for inbox in (one, two):
        inbox.mkdir(parents=True)
        proc = _cli(["simulate", "--into", str(inbox), "--rate", "20", "--batch-seconds", "0.2",
                     "--batches", "3", "--seed", "7"], warehouse, tmp_path)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert len(out.strip().splitlines()) == 3
    files = sorted(p.relative_to(one) for p in one.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(two) for p in two.rglob("*") if p.is_file()) and files
    assert all((one / f).read_bytes() == (two / f).read_bytes() for f in files)
    with psycopg.connect(warehouse) as conn:
        world = read_world(conn, tmp_path)
    assert Simulator(world, 20, 0.2, 8).next_batch() != Simulator(world, 20, 0.2, 7).next_batch()
    latest = run(warehouse, "SELECT max(order_purchase_timestamp) FROM warehouse.fact_orders")[0][0]
    reports = watch_until_empty(warehouse, one)
    assert [r.status for r in reports] == ["loaded"] * 3
    assert sum(r.quarantined for r in reports) == 0
    assert run(warehouse, "SELECT min(order_purchase_timestamp) > %s FROM warehouse.fact_orders o "
                          "WHERE o.order_status = 'created' AND o.order_purchase_timestamp > %s",
               (latest, latest)) == [(True,)]
    assert run(warehouse, "SELECT count(*) FROM warehouse.fact_orders WHERE order_purchase_timestamp > %s",
               (latest,))[0][0] == sum(r.orders for r in reports) > 0


def test_the_later_life_of_earlier_orders_moves_their_status_and_the_rollups(tmp_path, warehouse):
    (oid, cid, purchase, estimated, carrier), = run(
        warehouse, "SELECT order_id, customer_id, order_purchase_timestamp, order_estimated_delivery_date, "
                   "order_delivered_carrier_date FROM warehouse.fact_orders WHERE order_status = 'shipped' "
                   "AND order_delivered_carrier_date IS NOT NULL AND order_id NOT IN (SELECT order_id FROM "
                   "warehouse.fact_reviews) ORDER BY order_id LIMIT 1")
    latest = run(warehouse, "SELECT max(order_purchase_timestamp) FROM warehouse.fact_orders")[0][0]
    world = World(latest, people=[("a" * 32, "01037", "sao paulo", "SP")],
                  offers=[("b" * 32, "c" * 32, 1000, 200)],
                  orders=[Order(oid.hex, cid.hex, "shipped", purchase, estimated, carrier, carrier)])
    before = run(warehouse, "SELECT status, sum(orders) FROM warehouse.rollup_daily WHERE period = %s "
                            "GROUP BY 1 ORDER BY 1", (purchase.date(),))
    sim = Simulator(world, rate=1e-9, batch_seconds=3600, seed=1)  # no new orders; an hour: the catch-up comes due
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    batch = write_batch(inbox, sim.batch_name(), sim.next_batch())
    assert order_ids(batch, "delivered") == {oid.hex}
    reports = watch_until_empty(warehouse, inbox)
    assert reports[0].updated_orders == 1
    assert run(warehouse, "SELECT order_status, order_delivered_customer_date IS NOT NULL FROM warehouse.fact_orders "
                          "WHERE order_id = %s", (oid,)) == [("delivered", True)]
    after = dict(run(warehouse, "SELECT status, sum(orders) FROM warehouse.rollup_daily WHERE period = %s "
                                "GROUP BY 1", (purchase.date(),)))
    assert after.get("delivered", 0) == dict(before).get("delivered", 0) + 1
    assert after.get("shipped", 0) == dict(before)["shipped"] - 1
    # Its review comes a few days after delivery, in a later batch of the same simulator.
    for _ in range(200):
        rows = sim.next_batch()
        if rows["reviews"]:
            break
    assert [r[1] for r in rows["reviews"]] == [oid.hex] and not rows["customers"]
    write_batch(inbox, sim.batch_name(), rows)
    watch_until_empty(warehouse, inbox)
    assert run(warehouse, "SELECT count(*) FROM warehouse.fact_reviews WHERE order_id = %s", (oid,)) == [(1,)]
    assert_rollups_are_the_stars_rows(lambda q: run(warehouse, q))


@pytest.mark.processes
def test_python_app_live_moves_the_data_by_itself_and_stops_with_the_app(tmp_path, warehouse):
    """`python app.py --live`: a simulator and a watcher beside the app; /healthz's data version moves
    without anyone loading anything, and stopping the app stops them."""
    import json
    import socket
    import urllib.request

    import psutil

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": warehouse, "PORT": str(port), "INSTANCE_DIR": str(tmp_path / "instance"),
           "ADMIN_PASSWORD": "admin password 1", "LIVE_RATE": "20", "LIVE_BATCH_SECONDS": "0.5", "WEB_WORKERS": "1"}
    app = subprocess.Popen([sys.executable, "app.py", "--live"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)

    def version():
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
            return json.load(answer)["data_version"]
    try:
        deadline = time.monotonic() + 120
        first = None
        while first is None:
            assert app.poll() is None and time.monotonic() < deadline
            try:
                first = version()
            except OSError:
                time.sleep(0.3)
        while version() <= first:
            assert time.monotonic() < deadline, "the data did not move"
            time.sleep(0.3)
        helpers = [p for p in psutil.Process(app.pid).children() if "etl" in " ".join(p.cmdline())]
        assert sorted(p.cmdline()[3] for p in helpers) == ["simulate", "watch"]
    finally:
        app.send_signal(signal.SIGINT)  # Ctrl-C
        out, _ = app.communicate(timeout=60)
    assert "Live: a simulator writes about 20 orders a second" in out
    psutil.wait_procs(helpers, timeout=30)
    assert not [p for p in helpers if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert (tmp_path / "instance" / "live" / "processed").is_dir()
    assert "Traceback" not in out


def test_a_batch_waits_for_another_load_and_says_so_once(tmp_path, warehouse):
    from etl.load import LOAD_LOCK

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    batch, = simulated(warehouse, inbox, 1)
    reports, said = [], []
    watcher = Watcher(warehouse, inbox, reports.append, said.append, poll=0.05)
    with psycopg.connect(warehouse) as other:
        other.execute("SELECT pg_advisory_xact_lock(%s)", (LOAD_LOCK,))  # a load by hand, running
        thread = threading.Thread(target=watcher.run)
        thread.start()
        time.sleep(3.5)
        assert reports == [] and batch.is_dir()
        waits = [s for s in said if "another load is running" in s]
        assert len(waits) == 1 and batch.name in waits[0]
    try:  # the other load ends (its transaction closed): the batch goes in
        deadline = time.monotonic() + 60
        while not reports:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        watcher.stop()
        thread.join(timeout=60)
    assert [(r.name, r.status) for r in reports] == [(batch.name, "loaded")]


def test_the_runs_of_old_batches_go_after_the_history_setting(tmp_path, warehouse):
    """A watcher keeps its batches' runs for RUN_HISTORY_DAYS: older ones go with their files'
    fingerprints, but not a run that quarantined rows, a load by hand or the newest run, and the
    data's versions (which key the cached answers) stay as they were."""
    from data.version import versions

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    simulated(warehouse, inbox, 3)
    write(inbox / "zz-quarantined", "o.csv", H["orders"] + "d9000000000000000000000000000001,"
          "c9000000000000000000000000000001,delivered,not a date,,,,2018-01-01 00:00:00\n")
    reports = watch_until_empty(warehouse, inbox)
    assert [r.status for r in reports][:3] == ["loaded"] * 3 and reports[3].quarantined == 1
    simulated(warehouse, inbox, 1, seed=3)  # the quarantined batch's run is not the newest: this one is
    latest = watch_until_empty(warehouse, inbox)[0].run_id
    run(warehouse, "UPDATE etl.runs SET finished_at = finished_at - interval '40 days'")
    with psycopg.connect(warehouse) as conn:
        before = versions(conn)
    kept = [r[0] for r in run(warehouse, "SELECT run_id FROM etl.runs WHERE arrived_at IS NULL")]
    kept += [reports[3].run_id, latest]
    files = run(warehouse, "SELECT count(*) FROM etl.files")[0][0]

    simulated(warehouse, inbox, 1, seed=4)  # the watcher prunes when it starts, then loads this
    watcher = Watcher(warehouse, inbox, lambda _b: None, lambda _s: None)
    assert watcher.prune() == 0  # not connected, and keeping everything by default
    newest = watch_until_empty(warehouse, inbox, keep_days=30)
    assert [r[0] for r in run(warehouse, "SELECT run_id FROM etl.runs ORDER BY 1")] == kept + [newest[0].run_id]
    assert {r[0] for r in run(warehouse, "SELECT DISTINCT run_id FROM etl.files")} <= {*kept, newest[0].run_id}
    assert run(warehouse, "SELECT count(*) FROM etl.files")[0][0] < files  # the pruned batches' fingerprints
    with psycopg.connect(warehouse) as conn:
        after = versions(conn)
    assert after.everywhere == before.everywhere and after.latest == newest[0].data_version > before.latest
