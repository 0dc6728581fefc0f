"""`gunicorn app:server -w 3`: several workers, one database, one cache, the same login rules."""
import os
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import urlencode

import pytest

from data import users
from data.db import make_engine
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
