"""`python app.py`'s start-up path: migrate, load demo data into an empty warehouse, report health."""
import contextlib
import dataclasses
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import warnings
from pathlib import Path

import psutil
import pytest

from app import create_app, prepare_warehouse
from auth.sessions import COOKIE
from data import db, migrate, users
from data.db import make_engine
from data.settings import load_settings


def test_an_empty_warehouse_gets_demo_data_and_health_reports_it(tmp_path, db_url, sql, capsys):
    settings = dataclasses.replace(load_settings({"INSTANCE_DIR": str(tmp_path)}), database_url=db_url,
                                   demo_orders=400)
    assert prepare_warehouse(settings) == db_url
    assert sql("SELECT count(*) FROM warehouse.fact_orders") == [(400,)]
    out = capsys.readouterr().out
    assert "generating and loading 400 demo orders" in out
    # The first admin, with a generated password printed once, that signs in.
    password = re.search(r"Created the admin user 'admin' with the password (\S+) ", out).group(1)
    assert sql("SELECT username, role FROM app.users") == [("admin", "admin")]
    engine = make_engine(db_url)
    assert users.check_password(engine, "admin", password) is not None
    engine.dispose()

    prepare_warehouse(settings)  # a second start finds data and users: it loads and creates nothing
    assert sql("SELECT count(*) FROM etl.runs") == [(1,)]
    assert "Created the admin" not in capsys.readouterr().out

    app = create_app(db_url)
    health = app.server.test_client().get("/healthz")
    assert "warehouse_engine" not in app.server.extensions  # the health check needs no pool
    assert health.status_code == 200
    assert health.get_json() == {"app_version": "0.1.0", "database": "ok", "data_version": 1}


def test_health_says_when_the_database_is_unreachable(tmp_path):
    client = create_app("postgresql://nobody@127.0.0.1:9/none", load_settings({"INSTANCE_DIR": str(tmp_path)})
                        ).server.test_client()
    health = client.get("/healthz")
    assert health.status_code == 503 and health.get_json()["database"] == "unreachable"


@pytest.fixture
def stoppable_server(tmp_path):
    """A PostgreSQL server of this test's own, so it can be frozen (SIGSTOP) without touching others."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver

        server = pgserver.get_server(tmp_path / "pgdata", cleanup_mode="delete")
    postmaster = psutil.Process(int((tmp_path / "pgdata" / "postmaster.pid").read_text().split()[0]))
    try:
        yield server.get_uri("postgres"), postmaster
    finally:
        for proc in [postmaster, *postmaster.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                proc.resume()
        server.cleanup()


def test_a_frozen_database_gives_503_and_the_banner_within_seconds(tmp_path, stoppable_server):
    url, postmaster = stoppable_server
    migrate.upgrade_url(url)
    engine = make_engine(url)
    users.create(engine, "olga", "long password 1", "viewer")
    engine.dispose()
    settings = dataclasses.replace(load_settings({"INSTANCE_DIR": str(tmp_path / "instance")}), database_url=url)
    server = create_app(url, settings).server
    client = server.test_client()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/login").get_data(as_text=True))
    client.post("/login", data={"username": "olga", "password": "long password 1", "csrf_token": token.group(1)})
    assert client.get("/healthz").status_code == 200
    banner = {"output": "..db-banner.children...db-ok.data...data-version.data...live-status.data..",
              "outputs": [{"id": "db-banner", "property": "children"}, {"id": "db-ok", "property": "data"},
                          {"id": "data-version", "property": "data"}, {"id": "live-status", "property": "data"}],
              "inputs": [{"id": "health-poll", "property": "n_intervals", "value": 1},
                         {"id": "live-switch", "property": "value", "value": True}],
              "state": [{"id": "db-ok", "property": "data", "value": True},
                        {"id": "data-version", "property": "data", "value": None},
                        {"id": "live-status", "property": "data", "value": None}],
              "changedPropIds": ["health-poll.n_intervals"]}
    assert "unreachable" not in client.post("/_dash-update-component", json=banner).get_data(as_text=True)
    # A second worker of the same host that has not yet seen this session (gunicorn runs several).
    other = create_app(url, settings).server.test_client()
    other.set_cookie(COOKIE, client.get_cookie(COOKIE).value)
    frozen = [postmaster, *postmaster.children(recursive=True)]
    for proc in frozen:
        with contextlib.suppress(psutil.NoSuchProcess):  # a backend that was ending as it was listed
            proc.suspend()
    try:
        health, health_seconds = without_hanging(lambda: client.get("/healthz"))
        shown, banner_seconds = without_hanging(lambda: client.post("/_dash-update-component", json=banner))
        elsewhere, _ = without_hanging(lambda: other.post("/_dash-update-component", json=banner))
    finally:
        for proc in frozen:
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.resume()
    assert health.status_code == 503 and health.get_json()["database"] == "unreachable"
    assert shown.status_code == 200 and "The database is unreachable" in shown.get_data(as_text=True)
    assert elsewhere.status_code == 200 and "The database is unreachable" in elsewhere.get_data(as_text=True)
    print(f"frozen database: /healthz answered in {health_seconds:.1f} s, the banner in {banner_seconds:.1f} s")
    assert client.get("/healthz").status_code == 200
    found = server.extensions.get("warehouse_engine")
    if found is not None:
        found.dispose()


def without_hanging(ask, patience: float = 60):
    """Ask in a thread; fail if no answer comes at all (without the probe's deadline, a request to a
    frozen server waits as long as the server stays frozen). Returns the answer and its seconds."""
    box = []
    started = time.monotonic()
    worker = threading.Thread(target=lambda: box.append(ask()), daemon=True)
    worker.start()
    worker.join(patience)
    assert box, "the request hung on the frozen database"
    return box[0], time.monotonic() - started


def _embedded_postgres(pgdata) -> list:
    return [p for p in psutil.process_iter(["cmdline"])
            if str(pgdata) in " ".join(p.info["cmdline"] or []) and "postgres" in " ".join(p.info["cmdline"] or [])]


def _start(tmp_path, port):
    """`python app.py` on a fresh instance, in its own session as a terminal's foreground job."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "LOG_LEVEL")}
    env.update(INSTANCE_DIR=str(tmp_path / "instance"), PORT=str(port), DEMO_ORDERS="400",
               ADMIN_PASSWORD="console test 1", WEB_WORKERS="1")
    return subprocess.Popen([sys.executable, "app.py"], cwd=Path(__file__).resolve().parent.parent, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)


def _ctrl_c(tmp_path, port: int, marker: str, then=lambda: None) -> tuple[str, int]:
    """Start the app, wait for `marker` on its console, run `then`, press Ctrl-C (SIGINT to the whole
    process group); return everything it printed and its exit code."""
    proc = _start(tmp_path, port)
    seen = []
    try:
        for line in proc.stdout:
            seen.append(line)
            if marker in line:
                break
        else:
            raise AssertionError(f"the app ended before printing {marker!r}:\n" + "".join(seen))
        then()
        os.killpg(proc.pid, signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    return "".join(seen) + out, proc.returncode


def test_the_console_is_plain_and_ctrl_c_stops_the_embedded_postgres(tmp_path):
    """Not on a terminal: progress lines for each step of the first start, no colour codes, the address
    once, no line per request; Ctrl-C stops the PostgreSQL it started."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]

    def browse():
        assert _embedded_postgres(tmp_path / "instance" / "pgdata")
        for _ in range(100):  # the line comes just before gunicorn binds
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10).read()
                break
            except OSError:
                time.sleep(0.2)
        for path in ("/login", "/login"):
            urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10).read()

    text, _ = _ctrl_c(tmp_path, port, "Serving on", browse)
    assert "\x1b[" not in text
    assert text.count(f"127.0.0.1:{port}") == 1, text
    for step in ("generated the demo files", "copied olist_orders_dataset.csv", "wrote fact_orders",
                 "rollup 1/", "Demo data loaded"):
        assert step in text, (step, text)
    assert "GET /login" not in text and "Booting worker" not in text and "Traceback" not in text
    assert not _embedded_postgres(tmp_path / "instance" / "pgdata")


def test_ctrl_c_during_the_first_load_leaves_nothing_running_and_nothing_half_written(tmp_path):
    text, code = _ctrl_c(tmp_path, 1, "generated the demo files")  # stopped while loading: never serves
    assert code != 0 and "Traceback" not in text and "Stopped before serving" in text, text
    assert not _embedded_postgres(tmp_path / "instance" / "pgdata")
    url = db.start_embedded(tmp_path / "instance")  # the load rolled back as one transaction
    try:
        with db.connect(url) as conn:
            orders = conn.execute("SELECT count(*) FROM warehouse.fact_orders").fetchone()[0]
            days = conn.execute("SELECT count(*) FROM warehouse.rollup_daily").fetchone()[0]
        assert orders in (0, 400) and (orders == 0) == (days == 0)  # all of it, or nothing
    finally:
        import pgserver
        pgserver.get_server(tmp_path / "instance" / "pgdata").cleanup()
