"""`gunicorn app:server -w 3`: several workers, one database, one cache, the same login rules."""
import json
import os
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import urlencode

import pytest

from data import users
from data.db import make_engine
from data.scope import Scope
from etl.load import load
from tests.conftest import FIXTURES
from tests.test_browser import free_port

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = shutil.which("gunicorn")
pytestmark = pytest.mark.skipif(GUNICORN is None, reason="gunicorn is not installed")


def read(opener, url, data=None) -> bytes:
    with opener.open(url, data=data) as response:
        return response.read()


def test_several_workers_serve_the_app(db_url, tmp_path):
    load(db_url, FIXTURES / "tiny")
    engine = make_engine(db_url)
    users.create(engine, "worker", "worker test 1", "viewer")
    engine.dispose()
    port = free_port()
    env = {**os.environ, "DATABASE_URL": db_url, "INSTANCE_DIR": str(tmp_path), "SECRET_KEY": "k" * 32}
    proc = subprocess.Popen([GUNICORN, "app:server", "-w", "3", "-b", f"127.0.0.1:{port}"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1).close()
                break
            except OSError:
                time.sleep(0.5)
        jar = CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        with pytest.raises(urllib.error.HTTPError) as refused:
            opener.open(base + "/_dash-layout")
        assert refused.value.code == 401
        refused.value.close()
        page = read(opener, base + "/login").decode()
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        read(opener, base + "/login", urlencode({"username": "worker", "password": "worker test 1",
                                                 "csrf_token": token}).encode())
        # Requests spread over the workers; every one accepts the session cookie.
        for _ in range(9):
            assert b'"props"' in read(opener, base + "/_dash-layout")
        health = [read(urllib.request.build_opener(), base + "/healthz") for _ in range(6)]
        assert all(b'"database":"ok"' in h for h in health)
    finally:
        proc.terminate()
        proc.wait(timeout=20)


class Site:
    """A gunicorn of the app on its own port, signed-in openers, JSON posts."""

    def __init__(self, db_url, tmp_path, workers=2):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "DATABASE_URL": db_url, "INSTANCE_DIR": str(tmp_path), "SECRET_KEY": "k" * 32}
        self.proc = subprocess.Popen([GUNICORN, "app:server", "-w", str(workers), "--threads", "8",
                                      "-b", f"127.0.0.1:{self.port}"], cwd=ROOT, env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(120):
            try:
                urllib.request.urlopen(self.base + "/healthz", timeout=1).close()
                return
            except OSError:
                time.sleep(0.5)
        self.stop()
        pytest.fail("gunicorn did not start")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)

    def sign_in(self, username, password):
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        status, _ = self.form(opener, username, password)
        assert status == 302 or status == 200
        return opener

    def form(self, opener, username, password):
        page = read(opener, self.base + "/login").decode()
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        request = urllib.request.Request(self.base + "/login", urlencode(
            {"username": username, "password": password, "csrf_token": token}).encode())
        try:
            with opener.open(request) as response:
                return response.status, dict(response.headers)
        except urllib.error.HTTPError as exc:
            exc.close()
            return exc.code, dict(exc.headers)

    def post(self, opener, body, query=""):
        request = urllib.request.Request(self.base + "/_dash-update-component" + query, json.dumps(body).encode(),
                                         {"Content-Type": "application/json"})
        with opener.open(request) as response:
            return json.loads(response.read() or b"null")


def test_sign_in_limits_are_shared_by_the_workers(db_url, tmp_path):
    load(db_url, FIXTURES / "tiny")
    engine = make_engine(db_url)
    users.create(engine, "wendy", "worker test 1", "viewer")
    engine.dispose()
    site = Site(db_url, tmp_path, workers=2)
    try:
        codes = []
        for i in range(8):  # each attempt on a new connection: the workers take turns
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
            codes.append(site.form(opener, "wendy", f"guess {i}"))
        assert [c for c, _ in codes[:5]] == [400] * 5 and codes[-1][0] == 429
        assert int(codes[-1][1]["Retry-After"]) >= 1
        with urllib.request.urlopen(site.base + "/healthz") as health:
            assert health.headers["Server"] == "gunicorn"  # no version
    finally:
        site.stop()


def test_one_viewer_cannot_start_six_forecast_jobs(db_url, tmp_path, tmp_path_factory):
    """Six fits asked at once by one viewer: four run (JOBS_PER_USER), two are told to wait, no more processes."""
    from etl.generate import generate

    data = tmp_path_factory.mktemp("jobs-data")
    generate(data, 3000, seed=3)
    load(db_url, data)
    engine = make_engine(db_url)
    users.create(engine, "vic", "worker test 1", "viewer")
    engine.dispose()
    site = Site(db_url, tmp_path, workers=2)
    try:
        viewer = site.sign_in("vic", "worker test 1")
        deps = json.loads(read(viewer, site.base + "/_dash-dependencies"))
        fit = next(d for d in deps if d["output"].startswith("..forecast-chart.figure"))
        view = {"start": "2017-01-01", "end": "2018-08-31", "state": "", "category": "", "seller": "",
                "status": ["delivered", "shipped", "invoiced", "processing", "approved", "created"]}

        def body(measure, horizon, view):
            values = {"filters": view, "forecast-measure": measure, "forecast-horizon": horizon, "theme": "light",
                      "forecast-cancel": None}
            return {"output": fit["output"],
                    "outputs": [dict(zip(("id", "property"), o.rsplit(".", 1)))
                                for o in fit["output"].strip(".").split("...")],
                    "inputs": [{**i, "value": values.get(i["id"])} for i in fit["inputs"]],
                    "state": [{**s, "value": values.get(s["id"])} for s in fit["state"]],
                    "changedPropIds": ["filters.data"]}

        asks = [body(m, h, view) for m in ("revenue", "orders") for h in (30, 60, 90)]
        with ThreadPoolExecutor(6) as pool:
            handles = list(pool.map(lambda b: site.post(viewer, b), asks))
        pids = [int(h["job"].split("~")[0]) for h in handles]
        assert sum(1 for p in pids if p) == 4  # four processes started, the other two none
        answers = [outcome(site, viewer, ask, handle) for ask, handle in zip(asks, handles)]
        waiting = [a for a in answers if "You already have 4 forecasts being fitted" in a]
        assert len(waiting) == 2 and sum("backtest" in a for a in answers) == 4

        # A job runs inside its user's scope: a seller-scoped user asking for another seller's forecast
        # gets exactly the forecast of their own seller.
        engine = make_engine(db_url)
        with engine.connect() as conn:
            mine, other = [str(r[0]) for r in conn.exec_driver_sql(
                "SELECT seller_id FROM warehouse.fact_order_items GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 2")]
        users.create(engine, "sol", "worker test 1", "analyst", scope=Scope(sellers=(mine,)))
        users.create(engine, "ana", "worker test 1", "admin")
        engine.dispose()
        scoped, admin = site.sign_in("sol", "worker test 1"), site.sign_in("ana", "worker test 1")
        ask_scoped, ask_admin = body("orders", 30, {**view, "seller": other}), body("orders", 30, {**view, "seller": mine})
        theirs = outcome(site, scoped, ask_scoped, site.post(scoped, ask_scoped))
        expected = outcome(site, admin, ask_admin, site.post(admin, ask_admin))
        assert "backtest" in theirs and theirs == expected
    finally:
        site.stop()


def outcome(site, opener, ask, handle) -> str:
    """Poll a background callback as the renderer does, until it answers."""
    query = "?" + urlencode({"cacheKey": handle["cacheKey"], "job": handle["job"]})
    for _ in range(240):
        got = site.post(opener, ask, query)
        if got and "response" in got:
            return json.dumps(got["response"], sort_keys=True)
        time.sleep(0.5)
    pytest.fail("the background callback never answered")
