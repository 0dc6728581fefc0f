"""`python app.py`'s start-up path: migrate, load demo data into an empty warehouse, report health."""
import dataclasses

from app import create_app, prepare_warehouse
from data.settings import load_settings


def test_an_empty_warehouse_gets_demo_data_and_health_reports_it(tmp_path, db_url, sql, capsys):
    settings = dataclasses.replace(load_settings({"INSTANCE_DIR": str(tmp_path)}), database_url=db_url,
                                   demo_orders=400)
    assert prepare_warehouse(settings) == db_url
    assert sql("SELECT count(*) FROM warehouse.fact_orders") == [(400,)]
    assert "generating and loading 400 demo orders" in capsys.readouterr().out

    prepare_warehouse(settings)  # a second start finds data and loads nothing
    assert sql("SELECT count(*) FROM etl.runs") == [(1,)]

    app = create_app(db_url)
    health = app.server.test_client().get("/healthz")
    app.server.extensions["warehouse_engine"].dispose()
    assert health.status_code == 200
    assert health.get_json() == {"app_version": "0.1.0", "database": "ok", "data_version": 1}


def test_health_says_when_the_database_is_unreachable():
    client = create_app("postgresql://nobody@127.0.0.1:9/none").server.test_client()
    health = client.get("/healthz")
    assert health.status_code == 503 and health.get_json()["database"] == "unreachable"
