"""Data scopes: a user limited to a seller or to customer states gets, from every data callback and
export, exactly the answer an unlimited user gets with that scope chosen as a filter, whatever
filters their requests carry, over raw HTTP. Crafted requests (another seller, another state, a
seller's page outside the scope, the type-ahead) find nothing outside the scope."""
import json
import re
from datetime import date

import dash
import pytest
from flask_login import login_user

from data import users
from data.db import make_engine
from data.filters import DEFAULT_STATUSES, DIMENSIONS, STATES
from data.scope import Scope
from tests.conftest import database
from tests.test_auth import PASSWORD, make_app, sign_in

VIEW = {"start": "2017-01-01", "end": "2018-08-31", "state": "", "category": "", "seller": "",
        "status": list(DEFAULT_STATUSES)}
FAKE_SELLER = "00000000-0000-0000-0000-0000000000ff"


@pytest.fixture(scope="module")
def world(server_url, template_db, tmp_path_factory):
    """3,000 generated orders; an admin, a seller-scoped analyst and a state-scoped analyst."""
    from etl.generate import generate
    from etl.load import load

    data = tmp_path_factory.mktemp("scope-data")
    with database(server_url, template_db, "olist_scopes") as url:
        generate(data, 3000, seed=8)
        load(url, data)
        engine = make_engine(url)
        with engine.connect() as conn:
            busiest = [str(r[0]) for r in conn.exec_driver_sql(
                "SELECT seller_id FROM warehouse.fact_order_items GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 3")]
            product = str(conn.exec_driver_sql(
                "SELECT product_id FROM warehouse.fact_order_items WHERE seller_id = %(s)s::uuid "
                "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1", {"s": busiest[0]}).scalar_one())
        users.create(engine, "ana", PASSWORD, "admin")
        users.create(engine, "sol", PASSWORD, "analyst", scope=Scope(sellers=(busiest[0],)))
        users.create(engine, "rita", PASSWORD, "analyst", scope=Scope(states=("RJ", "MG")))
        engine.dispose()
        server = make_app(tmp_path_factory.mktemp("scope-instance"), url)
        yield {"server": server, "url": url, "seller": busiest[0], "others": busiest[1:], "product": product}
        server.extensions["warehouse_engine"].dispose()


def client_for(world, name):
    client = world["server"].test_client()
    assert sign_in(client, name).status_code == 302
    return client


def _walk(tree, found):
    """Collect every component's props by id from a layout (components or their JSON)."""
    if isinstance(tree, dash.development.base_component.Component):
        tree = tree.to_plotly_json()
    if isinstance(tree, dict):
        props = tree.get("props", tree)
        if isinstance(props, dict) and isinstance(props.get("id"), str):
            found.setdefault(props["id"], props)
        for v in (props.values() if isinstance(props, dict) else []):
            _walk(v, found)
    elif isinstance(tree, (list, tuple)):
        for v in tree:
            _walk(v, found)


def page_defaults(world):
    """component id -> (its page's path, its props), from every page's layout as an admin sees it."""
    server = world["server"]
    paths = {"pages.seller": f"/sellers/{world['seller']}", "pages.product": f"/products/{world['product']}"}
    out = {}
    with server.test_request_context():
        login_user(users.find(server.extensions["engine"](), "ana"))
        for page in dash.page_registry.values():
            if page["module"] in ("pages.admin", "pages.not_found_404"):
                continue
            layout = page["layout"]
            kwargs = {"seller_id": world["seller"]} if page["module"] == "pages.seller" else \
                {"product_id": world["product"]} if page["module"] == "pages.product" else {}
            found = {}
            _walk(layout(**kwargs) if callable(layout) else layout, found)
            for cid, props in found.items():
                out.setdefault(cid, (paths.get(page["module"], page["path"]), props))
    return out


def _outputs(spec: str):
    if spec.startswith(".."):
        return [dict(zip(("id", "property"), o.rsplit(".", 1))) for o in spec.strip(".").split("...")]
    return dict(zip(("id", "property"), spec.rsplit(".", 1)))


def data_callbacks(world):
    """(body maker, path) for every callback that reads the filters, but the background jobs'."""
    client = client_for(world, "ana")
    deps = client.get("/_dash-dependencies").get_json()
    defaults = page_defaults(world)
    found = []
    for dep in deps:
        ids = [i["id"] for i in dep["inputs"] + dep["state"]]
        if "filters" not in ids or dep.get("background") or "{" in dep["output"] or dep["output"].startswith(
                ("..url.search", "url.search")):
            continue
        path = next((defaults[i][0] for i in ids if i in defaults), "/")
        clicks = [f"{i['id']}.{i['property']}" for i in dep["inputs"] if i["property"] == "n_clicks"]

        def body(filters, pathname, overrides=None, dep=dep, clicks=clicks):
            def value(item):
                if item["id"] in (overrides or {}):
                    return overrides[item["id"]]
                if item["id"] == "filters":
                    return filters
                if item["id"] == "url":
                    return pathname if item["property"] == "pathname" else ""
                if item["id"] == "theme":
                    return "light"
                if item["property"] == "n_clicks":
                    return 1
                return defaults.get(item["id"], (None, {}))[1].get(item["property"])
            first = dep["inputs"][0]
            return {"output": dep["output"], "outputs": _outputs(dep["output"]),
                    "inputs": [{**i, "value": value(i)} for i in dep["inputs"]],
                    "state": [{**s, "value": value(s)} for s in dep["state"]],
                    "changedPropIds": clicks[:1] or [f"{first['id']}.{first['property']}"]}
        found.append((dep["output"], body, path))
    assert len(found) >= 50  # every page's cards, tables and exports
    return found


def answer(client, body):
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code in (200, 204), (body["output"], response.status_code, response.data[:300])
    return response.status_code, response.get_data(as_text=True)


@pytest.mark.parametrize("who, theirs, forced", [
    ("sol", {"seller": "OTHER"}, {"seller": "SCOPE"}),          # asks for another seller
    ("sol", {}, {"seller": "SCOPE"}),                           # asks for everything
    ("sol", {"seller": "OTHER,SCOPE", "state": "SP"}, {"seller": "SCOPE", "state": "SP"}),
    ("rita", {"state": "SP"}, {"state": "RJ,MG"}),              # asks for a state outside the scope
    ("rita", {"state": "RJ,SP"}, {"state": "RJ"}),              # one inside, one outside
])
def test_every_data_callback_answers_inside_the_scope(world, who, theirs, forced):
    scoped, admin = client_for(world, who), client_for(world, "ana")

    def fill(values):
        return {k: v.replace("OTHER", world["others"][0]).replace("SCOPE", world["seller"]) for k, v in values.items()}

    checked = 0
    for output, body, path in data_callbacks(world):
        mine = answer(scoped, body({**VIEW, **fill(theirs)}, path))
        if output in CROSS_FILTERS:
            # A cross-filter chart draws every value of its own dimension, the chosen ones bright: the
            # admin would see all 27 states, so compare with the scoped user asking for the scope, and
            # check that nothing outside it is drawn.
            expected = answer(scoped, body({**VIEW, **fill(forced)}, path))
            trace = json.loads(mine[1])["response"][output.split(".")[0]]["figure"]["data"][0]
            drawn = set(trace.get("locations") or [c if isinstance(c, str) else c[0] for c in trace.get("customdata", [])])
            if who == "rita" and CROSS_FILTERS[output] == "state":
                assert drawn <= {"RJ", "MG"}, (output, drawn)
        else:
            expected = answer(admin, body({**VIEW, **fill(forced)}, path))
        assert mine == expected, f"{output} answered outside {who}'s scope"
        checked += 1
    assert checked >= 50


CROSS_FILTERS = {"geography-map.figure": "state", "sales-by-state.figure": "state",
                 "sales-by-category.figure": "category", "overview-status.figure": "status",
                 "overview-categories.figure": "category", "delivery-states.figure": "state",
                 "reviews-categories.figure": "category"}


def test_the_scope_changes_the_numbers_and_they_match_the_facts(world):
    """The comparison above would pass if nothing were filtered at all: check the numbers themselves."""
    body = next(b for o, b, _ in data_callbacks(world) if "overview-kpi-revenue.children" in o)
    kpis = json.loads(answer(client_for(world, "sol"), body(VIEW, "/"))[1])["response"]
    everyone = json.loads(answer(client_for(world, "ana"), body(VIEW, "/"))[1])["response"]
    engine = make_engine(world["url"])
    with engine.connect() as conn:
        cents = conn.exec_driver_sql(
            "SELECT sum(i.price + i.freight_value) FROM warehouse.fact_order_items i "
            "JOIN warehouse.fact_orders o USING (order_id) WHERE i.seller_id = %(s)s::uuid "
            "AND o.purchase_date BETWEEN %(a)s AND %(b)s AND o.order_status = ANY(%(st)s)",
            {"s": world["seller"], "a": date(2017, 1, 1), "b": date(2018, 8, 31), "st": list(DEFAULT_STATUSES)}
        ).scalar_one()
    engine.dispose()
    assert kpis["overview-kpi-revenue"]["children"] == f"R$ {cents:,.2f}"
    assert everyone["overview-kpi-revenue"]["children"] != kpis["overview-kpi-revenue"]["children"]


def test_a_sellers_page_outside_the_scope_says_there_is_no_such_seller(world):
    other = world["others"][0]
    sol, admin = client_for(world, "sol"), client_for(world, "ana")
    checked = 0
    for output, body, path in data_callbacks(world):
        if not path.startswith("/sellers/"):
            continue
        mine = answer(sol, body(VIEW, f"/sellers/{other}", {"seller-id": other}))[1].replace(other, FAKE_SELLER)
        nobody = answer(admin, body(VIEW, f"/sellers/{FAKE_SELLER}", {"seller-id": FAKE_SELLER}))[1]
        assert mine == nobody, output
        checked += 1
    assert checked >= 4
    deps = admin.get("/_dash-dependencies").get_json()
    header = next(d for d in deps if d["output"].startswith("..seller-header"))
    response = sol.post("/_dash-update-component", json={
        "output": header["output"], "outputs": _outputs(header["output"]),
        "inputs": [{"id": "seller-id", "property": "data", "value": other}], "state": [],
        "changedPropIds": ["seller-id.data"]}).get_data(as_text=True)
    assert "No such seller" in response


def _sync_request(client, search: str, paths=("/", "/sales")) -> dict:
    """The shell's sync callback as the renderer posts it on opening `search` (its filters and the
    navbar's links are pattern-matched: one entry per dropdown and per link)."""
    def each(kind, values, prop, value=None, with_value=False):
        return [{"id": {"type": kind, **values(v)}, "property": prop, **({"value": value} if with_value else {})}
                for v in (DIMENSIONS if kind == "filter" else paths)]
    dim = (lambda d: {"key": d.key})
    nav = (lambda p: {"path": p})
    one = (lambda i, p: {"id": i, "property": p})
    return {
        "output": next(d["output"] for d in client.get("/_dash-dependencies").get_json()
                       if "filters.data" in d["output"]),
        "changedPropIds": ["url.search"],
        "outputs": [one("url", "search"), one("filter-preset", "value"), one("filter-dates", "start_date"),
                    one("filter-dates", "end_date"), each("filter", dim, "value"), each("filter", dim, "options"),
                    one("filters", "data"), one("filter-range", "children"), one("filter-chips", "children"),
                    one("notices", "children"), one("filter-dates", "min_date_allowed"),
                    one("filter-dates", "max_date_allowed"), each("nav", nav, "href"), each("nav", nav, "active"),
                    one("filter-compare", "value")],
        "inputs": [{**one("url", "search"), "value": search}, {**one("filter-preset", "value"), "value": None},
                   {**one("filter-dates", "start_date"), "value": None},
                   {**one("filter-dates", "end_date"), "value": None},
                   each("filter", dim, "value", None, True), {**one("db-ok", "data"), "value": True},
                   {**one("filter-compare", "value"), "value": None}, {**one("data-version", "data"), "value": None}],
        "state": [{**one("url", "pathname"), "value": "/"}]}


def _filter_key(key: str) -> str:
    return json.dumps({"key": key, "type": "filter"}, separators=(",", ":"))


def test_the_type_ahead_and_the_filter_bar_stay_inside_the_scope(world):
    sol = client_for(world, "sol")
    seller_box = {"key": "seller", "type": "filter"}
    output = next(d["output"] for d in sol.get("/_dash-dependencies").get_json()
                  if d["output"].startswith(_filter_key("seller") + ".options"))
    for typed in (world["others"][0][:3], world["seller"][:3], "00", "ab", "sao paulo", "SP"):
        response = sol.post("/_dash-update-component", json={
            "output": output, "outputs": {"id": seller_box, "property": "options"},
            "inputs": [{"id": seller_box, "property": "search_value", "value": typed}],
            "state": [{"id": seller_box, "property": "value", "value": None}],
            "changedPropIds": [_filter_key("seller") + ".search_value"]})
        assert response.status_code in (200, 204)
        offered = [o["value"] for o in response.get_json()["response"][_filter_key("seller")]["options"]] \
            if response.status_code == 200 else []
        assert set(offered) <= {world["seller"]}
    rita = client_for(world, "rita")
    for client, limit in ((sol, "Your access is limited to seller " + world["seller"][:8]),
                          (rita, "Your access is limited to customer states RJ, MG")):
        response = client.post("/_dash-update-component",
                               json=_sync_request(client, f"?seller={world['others'][0]}&state=XX"))
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        out = response.get_json()["response"]
        assert limit in json.dumps(out["filter-range"]["children"])
        if client is sol:
            assert "outside your access" in json.dumps(out["notices"]["children"])
            assert world["others"][0] not in json.dumps(out["filters"]["data"])
        else:
            assert [o["value"] for o in out[_filter_key("state")]["options"]] == ["MG", "RJ"]
    assert len(STATES) == 27


def test_exports_are_audited_with_the_scoped_filters(world):
    sol = client_for(world, "sol")
    body = next(b for o, b, _ in data_callbacks(world) if o.startswith("sellers-board-download"))
    sent = json.loads(answer(sol, body({**VIEW, "seller": world["others"][0]}, "/sellers"))[1])
    # The file is named by the filters it was made under: the scope's seller, never the one asked for.
    assert sent["response"]["sellers-board-download"]["data"]["filename"] == (
        f"sellers_2017-01-01_to_2018-08-31_seller-{world['seller']}.csv")
    engine = make_engine(world["url"])
    with engine.connect() as conn:
        actor, target, detail = conn.exec_driver_sql(
            "SELECT actor, target, detail FROM app.audit_log WHERE action = 'export' ORDER BY event_id DESC "
            "LIMIT 1").one()
    engine.dispose()
    assert (actor, target) == ("sol", "sellers") and detail["rows"] == 1 and detail["format"] == "csv"
    assert detail["filters"]["seller"] == world["seller"] and re.fullmatch(r"\d{4}-\d{2}-\d{2}",
                                                                           detail["filters"]["start"])


def test_the_live_page_answers_inside_the_scope(world):
    """Live reads no filters from the page: its cards and its feed are the scope's orders alone, and a
    scoped user sees batches without the counts of everyone's orders."""
    engine = make_engine(world["url"])
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE etl.runs SET arrived_at = finished_at - interval '1 second' "
                             "WHERE run_id = (SELECT max(run_id) FROM etl.runs WHERE status = 'succeeded')")
        day, last = conn.exec_driver_sql("SELECT max(purchase_date), max(order_purchase_timestamp) "
                                         "FROM warehouse.fact_orders").one()
        feed_days = conn.exec_driver_sql(
            "SELECT coalesce(c.customer_state, '??'), count(*) FROM warehouse.fact_orders o LEFT JOIN "
            "warehouse.dim_customers c USING (customer_id) WHERE o.purchase_date >= %(d)s::date - 1 GROUP BY 1",
            {"d": day}).all()
        today_rj_mg = conn.exec_driver_sql(
            "SELECT count(*) FROM warehouse.fact_orders o JOIN warehouse.dim_customers c USING (customer_id) "
            "WHERE o.purchase_date = %(d)s AND c.customer_state IN ('RJ', 'MG') AND o.order_status = ANY(%(st)s)",
            {"d": day, "st": list(DEFAULT_STATUSES)}).scalar_one()
    engine.dispose()
    deps = client_for(world, "ana").get("/_dash-dependencies").get_json()

    def call(client, output):
        dep = next(d for d in deps if output in d["output"].strip(".").split("..."))
        inputs = [{**i, "value": {"version": 1} if i["id"] == "data-version" else "light"} for i in dep["inputs"]]
        response = client.post("/_dash-update-component", json={
            "output": dep["output"], "outputs": _outputs(dep["output"]), "inputs": inputs, "state": [],
            "changedPropIds": ["data-version.data"]})
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        return response.get_json()["response"]

    rita, ana = client_for(world, "rita"), client_for(world, "ana")
    theirs = call(rita, "live-orders.rowData")["live-orders"]["rowData"]
    everyone = call(ana, "live-orders.rowData")["live-orders"]["rowData"]
    assert {r["state"] for r in theirs} <= {"Rio de Janeiro (RJ)", "Minas Gerais (MG)"}
    assert len(everyone) == min(25, sum(n for _, n in feed_days))
    assert len(theirs) == min(25, sum(n for s, n in feed_days if s in ("RJ", "MG")))
    assert len(everyone) > len(theirs)
    assert call(rita, "live-kpi-orders.children")["live-kpi-orders"]["children"] == f"{today_rj_mg:,}"
    heading = json.dumps(call(rita, "live-heading.children")["live-heading"]["children"])
    assert "limited to customer states RJ, MG" in heading and f"{last:%H:%M:%S}" in heading
    batch, = call(rita, "live-batches.rowData")["live-batches"]["rowData"]
    assert batch["new_orders"] is None and batch["lag"] == 1.0
    assert call(ana, "live-batches.rowData")["live-batches"]["rowData"][0]["new_orders"] > 0
