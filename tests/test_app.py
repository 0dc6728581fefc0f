"""`python app.py`'s start-up path: migrate, load demo data into an empty warehouse, report health."""
import dataclasses
import re

from app import create_app, prepare_warehouse
from data import users
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
