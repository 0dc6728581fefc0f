"""`python app.py`'s start-up path: migrate, load demo data into an empty warehouse, report health."""
import contextlib
import dataclasses
import re
import threading
import time
import warnings

import psutil
import pytest

from app import create_app, prepare_warehouse
from data import migrate, users
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
    banner = {"output": "..db-banner.children...db-ok.data..",
              "outputs": [{"id": "db-banner", "property": "children"}, {"id": "db-ok", "property": "data"}],
              "inputs": [{"id": "health-poll", "property": "n_intervals", "value": 1}],
              "state": [{"id": "db-ok", "property": "data", "value": True}], "changedPropIds": ["health-poll.n_intervals"]}
    assert "unreachable" not in client.post("/_dash-update-component", json=banner).get_data(as_text=True)
    frozen = [postmaster, *postmaster.children(recursive=True)]
    for proc in frozen:
        proc.suspend()
    try:
        health, health_seconds = without_hanging(lambda: client.get("/healthz"))
        shown, banner_seconds = without_hanging(lambda: client.post("/_dash-update-component", json=banner))
    finally:
        for proc in frozen:
            proc.resume()
    assert health.status_code == 503 and health.get_json()["database"] == "unreachable"
    assert shown.status_code == 200 and "The database is unreachable" in shown.get_data(as_text=True)
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
