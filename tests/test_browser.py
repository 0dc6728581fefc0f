"""The app in a real headless Chromium: sign in, read the Overview, change a preset, no console errors."""
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psycopg
import pytest

from data import names, users
from data.db import make_engine
from etl.generate import generate
from etl.load import load
from tests.conftest import database

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
SHOTS = Path(os.environ.get("SCREENSHOT_DIR", ROOT / "instance" / "screenshots"))

if not (CHROMIUM and CHROMEDRIVER):
    if os.environ.get("CI"):
        raise RuntimeError("CI needs Debian's chromium and chromium-driver for the browser tests")
    pytest.skip("no chromium/chromedriver on this machine (.ci/run installs them)", allow_module_level=True)

from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

pytestmark = pytest.mark.browser
PASSWORD = "browser test 1"


def wait(driver, timeout: int) -> WebDriverWait:
    """A wait that retries when Dash re-renders the element it is reading (a stale reference)."""
    return WebDriverWait(driver, timeout, ignored_exceptions=(StaleElementReferenceException,))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def live_app(server_url, template_db, tmp_path_factory):
    """`python app.py` on its own database with 3,000 generated orders, as a user starts it."""
    with database(server_url, template_db, database_name()) as url:
        yield from _serve(url, tmp_path_factory)


def database_name() -> str:
    return f"olist_browser_{os.getpid()}"


def _serve(url, tmp_path_factory):
    data = tmp_path_factory.mktemp("data")
    generate(data, 3000, seed=21)
    load(url, data)
    bad = tmp_path_factory.mktemp("bad")  # a second run with a row the loader must quarantine
    header = (data / "olist_orders_dataset.csv").read_text().splitlines()[0]
    (bad / "orders.csv").write_text(header + "\nd9000000000000000000000000000001,c9000000000000000000000000000001,"
                                    "delivered,not a date,,,,2018-02-20 00:00:00\n")
    load(url, bad)
    # A review whose text is markup: the Reviews page must show it as typed.
    first_order = (data / "olist_orders_dataset.csv").read_text().splitlines()[1].split(",")[0]
    hostile = tmp_path_factory.mktemp("hostile")
    (hostile / "reviews.csv").write_text(
        "review_id,order_id,review_score,review_comment_title,review_comment_message,review_creation_date,"
        f"review_answer_timestamp\nf9000000000000000000000000000001,{first_order},1,<b>bold</b>,"
        "\"<img src=x onerror=window.__xss=1><script>window.__xss=1</script>\",2030-01-01 00:00:00,\n")
    # ... and an extra payment on that order, the largest difference for the reconciliation table.
    (hostile / "payments.csv").write_text("order_id,payment_sequential,payment_type,payment_installments,"
                                          f"payment_value\n{first_order},9,voucher,1,99999.99\n")
    load(url, hostile)
    engine = make_engine(url)
    users.create(engine, "tester", PASSWORD, "analyst")
    users.create(engine, "viewer", PASSWORD, "viewer")
    users.create(engine, "boss", PASSWORD, "admin")
    users.create(engine, "idle", PASSWORD, "viewer")  # never signs in
    engine.dispose()
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "PORT": str(port), "HOST": "127.0.0.1",
           "INSTANCE_DIR": str(tmp_path_factory.mktemp("instance")), "ADMIN_PASSWORD": "admin password 1"}
    log = open(os.environ.get("APP_LOG", os.devnull), "w")  # APP_LOG=file keeps the app's log for debugging
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        log.close()
        pytest.fail("the app did not start")
    yield base
    proc.terminate()
    proc.wait(timeout=20)
    log.close()


@pytest.fixture
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1400,1000"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def wait_for_text(driver, element_id, not_text="…", timeout=30):
    wait(driver, timeout).until(lambda d: d.find_element(By.ID, element_id).text not in ("", not_text))
    return driver.find_element(By.ID, element_id).text


def sign_in(driver, base, path="/", user="tester"):
    driver.get(base + path)
    wait(driver, 20).until(EC.presence_of_element_located((By.ID, "username")))
    driver.find_element(By.ID, "username").send_keys(user)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()


def choose(driver, dropdown_id, label):
    """Open a Dash dropdown and click the option with this label."""
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].click();",
                          driver.find_element(By.ID, dropdown_id))
    try:
        option = wait(driver, 10).until(EC.presence_of_element_located(
            (By.XPATH, f"//*[@role='option'][normalize-space()='{label}']")))
    except Exception:
        print("POPUP", driver.find_element(By.TAG_NAME, "body").get_attribute("innerHTML")[-4000:])
        raise
    driver.execute_script("arguments[0].click();", option)


def errors(driver):
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def test_sign_in_see_the_overview_and_change_a_preset(live_app, browser):
    sign_in(browser, live_app, "/?start=2018-01-01&end=2018-06-30")
    revenue = wait_for_text(browser, "overview-kpi-revenue")
    assert revenue.startswith("R$ ")
    assert "start=2018-01-01" in browser.current_url and "end=2018-06-30" in browser.current_url
    wait(browser, 10).until(lambda d: "Showing 01 Jan 2018 to 30 Jun 2018" in d.find_element(By.ID, "filter-range").text)
    for graph in ("overview-timeseries", "overview-status", "overview-categories", "overview-payments"):
        wait(browser, 30).until(lambda d, g=graph: d.find_elements(By.CSS_SELECTOR, f"#{g} .trace"))
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.set_window_size(1400, 1300)
    browser.save_screenshot(str(SHOTS / "overview.png"))

    # Pick "Last 30 days": the URL, the range and the KPI follow.
    choose(browser, "filter-preset", "Last 30 days")
    wait(browser, 30).until(lambda d: "(30 days;" in d.find_element(By.ID, "filter-range").text)
    def ends_on_the_last_data_day(d):
        text = d.find_element(By.ID, "filter-range").text
        return f"to {text.split('the data ends on ')[1].split(')')[0].split(',')[0]} (30 days" in text
    wait(browser, 10).until(ends_on_the_last_data_day)
    # A relative range: the link names it, so it moves with the data.
    assert "range=30d" in browser.current_url and "start=" not in browser.current_url
    wait(browser, 30).until(
        lambda d: d.find_element(By.ID, "overview-kpi-revenue").text not in ("…", revenue))
    wait(browser, 10).until(lambda d: "Last 30 days" in d.find_element(By.ID, "filter-preset").text)
    browser.save_screenshot(str(SHOTS / "overview-30d.png"))

    # Dark mode, and a phone's width: the cards stack, nothing errors.
    browser.execute_script("arguments[0].click();", browser.find_element(By.ID, "theme-switch"))
    wait(browser, 10).until(
        lambda d: d.execute_script("return document.documentElement.getAttribute('data-bs-theme')") == "dark")
    browser.set_window_size(400, 900)
    time.sleep(1)
    browser.save_screenshot(str(SHOTS / "overview-dark-phone.png"))
    assert errors(browser) == []


def test_sales_bars_filter_on_click_and_the_grid_fills(live_app, browser):
    from selenium.webdriver.common.action_chains import ActionChains

    browser.set_window_size(1400, 1600)  # before the charts draw: a later resize redraws them under the mouse
    sign_in(browser, live_app, "/sales?start=2017-01-01&end=2018-08-31")
    wait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#sales-products .ag-row"))
    for selector in ("#sales-by-category .trace", "#sales-by-state .trace", "#sales-heatmap .heatmaplayer .hm"):
        wait(browser, 30).until(lambda d, s=selector: d.find_elements(By.CSS_SELECTOR, s))
    wait(browser, 10).until(lambda d: d.find_element(By.ID, "sales-export-csv").is_enabled())
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SHOTS / "sales.png"))
    bars = browser.find_elements(By.CSS_SELECTOR, "#sales-by-category .bars .point path")
    top = bars[-1]  # the top bar: the largest category; click near its left end, away from the modebar
    ActionChains(browser).move_to_element_with_offset(top, -top.size["width"] // 2 + 8, 0).click().perform()
    wait(browser, 20).until(lambda d: "category=" in d.current_url)
    chosen = browser.current_url.split("category=")[1].split("&")[0]
    wait(browser, 20).until(lambda d: f"Category: {names.category(chosen)}" in d.find_element(By.ID, "filter-chips").text)
    # The clicked chart keeps its shape: every bar is still there, the others dimmed. (While Plotly
    # draws the new figure its data can be empty for a moment: that reads as none dimmed yet.)
    wait(browser, 20).until(lambda d: d.execute_script(
        "const t = (document.querySelector('#sales-by-category .js-plotly-plot').data || [])[0];"
        "return t && t.marker && Array.isArray(t.marker.opacity) ? t.marker.opacity.filter(o => o < 1).length : 0;")
        >= 5)
    assert errors(browser) == []


def test_viewers_cannot_export(live_app, browser):
    sign_in(browser, live_app, "/sales", user="viewer")
    wait(browser, 30).until(lambda d: "Viewers cannot export" in d.find_element(By.ID, "sales-export-note").text)
    wait(browser, 10).until(lambda d: not d.find_element(By.ID, "sales-export-csv").is_enabled()
                            and not d.find_element(By.ID, "sales-export-xlsx").is_enabled())


def test_an_unknown_path_shows_the_not_found_page(live_app, browser):
    sign_in(browser, live_app, "/no-such-page")
    wait(browser, 20).until(lambda d: "This page does not exist" in d.find_element(By.TAG_NAME, "body").text)
    nav = [a.text for a in browser.find_elements(By.CSS_SELECTOR, ".navbar .nav-link")]
    assert nav == ["Overview", "Sales", "Customers", "Products", "Sellers", "Payments", "Delivery", "Reviews",
                   "Geography", "Live", "Analyze"]  # no Admin; Analyze holds Explore, Questions, Dashboards, Forecast
    assert errors(browser) == []


def test_a_database_outage_shows_a_banner_and_recovers(live_app, browser, server_url):
    sign_in(browser, live_app, "/?start=2018-01-01&end=2018-03-31")
    wait_for_text(browser, "overview-kpi-orders")
    name = database_name()
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
    try:
        wait(browser, 30).until(lambda d: "database is unreachable" in d.find_element(By.ID, "db-banner").text)
        assert "Traceback" not in browser.find_element(By.TAG_NAME, "body").text
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
    wait(browser, 30).until(lambda d: d.find_element(By.ID, "db-banner").text == "")
    # The figures reload: wait for the count itself, not the first text shown while they do.
    wait(browser, 30).until(lambda d: d.find_element(By.ID, "overview-kpi-orders").text.replace(",", "").isdigit())


def test_nonsense_parameters_open_the_page_with_a_notice(live_app, browser):
    sign_in(browser, live_app, "/?start=nonsense&state=XX")
    wait_for_text(browser, "overview-kpi-orders")
    notices = browser.find_element(By.ID, "notices").text
    assert "ignored start='nonsense'" in notices and "ignored state='XX'" in notices
    assert errors(browser) == []


def test_admins_browse_runs_and_the_quarantine(live_app, browser):
    sign_in(browser, live_app, "/admin", user="boss")
    wait(browser, 30).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#admin-runs .ag-row")) >= 2)
    assert "Admin" in [a.text for a in browser.find_elements(By.CSS_SELECTOR, ".navbar .nav-link")]
    wait(browser, 30).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#admin-users .ag-row")) == 4)
    wait(browser, 10).until(lambda d: "never" in d.find_element(By.ID, "admin-users").text)  # idle's last sign-in
    latest = browser.find_element(By.CSS_SELECTOR, "#admin-runs .ag-row[row-index='0'] .ag-cell")
    browser.execute_script("arguments[0].click();", latest)
    wait(browser, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#admin-run-tables .ag-row"))
    wait(browser, 20).until(lambda d: "1 quarantined row" in d.find_element(By.ID, "admin-q-count").text)
    reason = wait(browser, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#admin-quarantine .ag-row"))
    assert "order_purchase_timestamp" in reason[0].text and "not a date" in reason[0].text
    browser.set_window_size(1400, 1700)
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SHOTS / "admin.png"))
    assert errors(browser) == []


def test_analysts_neither_see_nor_open_admin(live_app, browser):
    sign_in(browser, live_app, "/admin")
    wait(browser, 20).until(lambda d: "Admins only" in d.find_element(By.TAG_NAME, "body").text)
    assert "Admin" not in [a.text for a in browser.find_elements(By.CSS_SELECTOR, ".navbar .nav-link")]
    assert not browser.find_elements(By.CSS_SELECTOR, "#admin-runs .ag-row")


def test_geography_map_filters_on_click_and_tables_fill(live_app, browser):
    from selenium.webdriver.common.action_chains import ActionChains

    browser.set_window_size(1400, 1300)  # before the charts draw: a later resize redraws them under the mouse
    sign_in(browser, live_app, "/geography?start=2017-01-01&end=2018-08-31")
    wait(browser, 30).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#geography-map path.choroplethlocation")) > 20)
    wait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#geography-states .ag-row"))
    wait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#geography-flows .ag-row"))
    choose(browser, "geography-metric", "On-time rate")
    wait(browser, 20).until(lambda d: "On-time rate" in d.find_element(By.CSS_SELECTOR, "#geography-map .colorbar").text)
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SHOTS / "geography.png"))
    shapes = browser.find_elements(By.CSS_SELECTOR, "#geography-map path.choroplethlocation")
    largest = max(shapes, key=lambda p: p.size["width"] * p.size["height"])
    ActionChains(browser).move_to_element(largest).click().perform()
    wait(browser, 20).until(lambda d: "state=" in d.current_url)
    chosen = browser.current_url.split("state=")[1].split("&")[0]
    wait(browser, 20).until(lambda d: f"State: {names.state(chosen)}" in d.find_element(By.ID, "filter-chips").text)
    # The map still draws every state (a click does not redraw it around one).
    assert len(browser.find_elements(By.CSS_SELECTOR, "#geography-map path.choroplethlocation")) > 20
    assert errors(browser) == []


def test_delivery_page_draws_every_chart(live_app, browser):
    sign_in(browser, live_app, "/delivery?start=2017-01-01&end=2018-08-31")
    assert wait_for_text(browser, "delivery-kpi-on_time_rate").endswith("%")
    assert wait_for_text(browser, "delivery-kpi-handoff_days").endswith("days")
    for graph in ("delivery-trend", "delivery-promise", "delivery-histogram", "delivery-states", "delivery-reviews"):
        wait(browser, 30).until(lambda d, g=graph: d.find_elements(By.CSS_SELECTOR, f"#{g} .trace"))
    browser.set_window_size(1400, 1500)
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SHOTS / "delivery.png"))
    browser.execute_script("arguments[0].click();", browser.find_element(By.ID, "theme-switch"))
    wait(browser, 10).until(
        lambda d: d.execute_script("return document.documentElement.getAttribute('data-bs-theme')") == "dark")
    time.sleep(1)
    browser.save_screenshot(str(SHOTS / "delivery-dark.png"))
    assert errors(browser) == []


def test_reviews_page_shows_markup_as_text(live_app, browser):
    sign_in(browser, live_app, "/reviews?start=2016-01-01&end=2018-12-31&status=delivered,shipped,canceled,"
                               "invoiced,processing,approved,created,unavailable")
    assert wait_for_text(browser, "reviews-kpi-review_score").replace(".", "").isdigit()
    for graph in ("reviews-mix", "reviews-trend", "reviews-categories", "reviews-lateness"):
        wait(browser, 30).until(lambda d, g=graph: d.find_elements(By.CSS_SELECTOR, f"#{g} .trace"))
    wait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#reviews-sellers .ag-row"))
    first = wait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#reviews-low .ag-row[row-index='0']"))
    assert "<script>window.__xss=1</script>" in first[0].text and "<b>bold</b>" in first[0].text
    assert browser.execute_script("return window.__xss") is None
    assert not browser.find_elements(By.CSS_SELECTOR, "#reviews-low img, #reviews-low b")
    browser.set_window_size(1400, 1800)
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SHOTS / "reviews.png"))
    assert errors(browser) == []


def test_payments_page_and_reconciliation_tolerance(live_app, browser):
    sign_in(browser, live_app, "/payments?start=2016-01-01&end=2018-12-31&status=delivered,shipped,canceled,"
                               "invoiced,processing,approved,created,unavailable")
    assert wait_for_text(browser, "payments-kpi-value").startswith("R$ ")
    for graph in ("payments-value", "payments-count", "payments-installments", "payments-average"):
        wait(browser, 30).until(lambda d, g=graph: d.find_elements(By.CSS_SELECTOR, f"#{g} .trace"))
    row = wait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#payments-reconcile .ag-row"))
    assert "99,999.99" in row[0].text
    assert "orders differ by more than R$ 1.00" in browser.find_element(By.ID, "payments-reconcile-totals").text
    browser.set_window_size(1400, 1500)
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SHOTS / "payments.png"))
    box = browser.find_element(By.ID, "payments-tolerance")
    box.clear()
    box.send_keys("100000\n")
    wait(browser, 20).until(lambda d: "No order's payments differ" in d.find_element(
        By.ID, "payments-reconcile-totals").text and "R$ 100,000.00" in d.find_element(
        By.ID, "payments-reconcile-totals").text)
    assert errors(browser) == []


def test_sellers_leaderboard_opens_a_seller_and_unknown_ids_say_so(live_app, browser):
    sign_in(browser, live_app, "/sellers?start=2016-01-01&end=2018-12-31")
    rows = wait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#sellers-board .ag-row"))
    assert wait_for_text(browser, "sellers-kpi-top10").endswith("%")
    for graph in ("sellers-lorenz", "sellers-states"):
        wait(browser, 30).until(lambda d, g=graph: d.find_elements(By.CSS_SELECTOR, f"#{g} .trace"))
    browser.set_window_size(1400, 1500)
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SHOTS / "sellers.png"))
    state = rows[0].find_element(By.CSS_SELECTOR, "[col-id='state']").text
    browser.find_element(By.ID, "sellers-search").send_keys(state)
    wait(browser, 10).until(lambda d: all(r.find_element(By.CSS_SELECTOR, "[col-id='state']").text == state or
                                          state in r.text for r in d.find_elements(By.CSS_SELECTOR, "#sellers-board .ag-row")))
    link = browser.find_element(By.CSS_SELECTOR, "#sellers-board .ag-row[row-index='0'] a")
    seller = link.text
    browser.execute_script("arguments[0].click();", link)
    assert " · " in seller  # named by its city and state, then its id's start
    wait(browser, 30).until(lambda d: seller in d.find_element(By.ID, "seller-header").text)
    assert "start=2016-01-01" in browser.current_url  # the filters came along
    assert wait_for_text(browser, "seller-kpi-revenue").startswith("R$ ")
    assert "marketplace" in wait_for_text(browser, "seller-kpi-review_score")
    for graph in ("seller-trend", "seller-categories"):
        wait(browser, 30).until(lambda d, g=graph: d.find_elements(By.CSS_SELECTOR, f"#{g} .trace"))
    browser.save_screenshot(str(SHOTS / "seller.png"))
    assert errors(browser) == []
    browser.get(live_app + "/sellers/00000000-0000-0000-0000-000000000000")
    wait(browser, 30).until(lambda d: "No such seller" in d.find_element(By.ID, "seller-header").text)
    assert not browser.find_element(By.ID, "seller-body").is_displayed()


def test_customers_page_draws_cohorts_and_a_segment_click_lists_its_customers(live_app, browser):
    from selenium.webdriver.common.action_chains import ActionChains

    browser.set_window_size(1400, 2100)  # before the charts draw: a later resize redraws them under the mouse
    sign_in(browser, live_app, "/customers?start=2016-01-01&end=2018-12-31")
    assert wait_for_text(browser, "customers-kpi-customers").replace(",", "").isdigit()
    assert wait_for_text(browser, "customers-kpi-repeat_rate").endswith("%")
    for graph in ("customers-new-returning", "customers-second-order", "customers-rfm", "customers-ltv"):
        wait(browser, 30).until(lambda d, g=graph: d.find_elements(By.CSS_SELECTOR, f"#{g} .trace"))
    wait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#customers-cohorts .heatmaplayer .hm"))
    first = wait_for_text(browser, "customers-members-note", not_text="").split(":")[0]
    wait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#customers-members .ag-row"))
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SHOTS / "customers.png"))
    labels = [t.text for t in browser.find_elements(By.CSS_SELECTOR, "#customers-rfm .ytick text")]
    bars = browser.find_elements(By.CSS_SELECTOR, "#customers-rfm .bars .point path")
    # Bars and ticks both run bottom to top; click the widest bar of another segment. Plotly takes the
    # clicked point from its last (throttled) hover: hover first, then click.
    target = max((k for k, label in enumerate(labels) if label != first), key=lambda k: bars[k].size["width"])
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", bars[target])
    # A real pointer sends many moves before a click: move within the bar, then click; a click that
    # Chromium delivered before Plotly's hover had caught up is tried again, as a person would.
    for _attempt in range(3):
        ActionChains(browser).move_to_element_with_offset(bars[target], -12, 0).pause(0.3).move_to_element(
            bars[target]).pause(0.5).click().perform()
        try:
            wait(browser, 10).until(lambda d: d.find_element(By.ID, "customers-members-note").text.startswith(
                labels[target] + ":"))
            break
        except TimeoutException:
            continue
    else:
        pytest.fail(f"clicking the {labels[target]} bar did not list its customers")
    wait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#customers-members .ag-row"))
    # Percent and counts: the switch redraws the heatmap with counts.
    browser.execute_script("arguments[0].click();", browser.find_element(
        By.CSS_SELECTOR, "#customers-cohort-measure input[value='count']"))
    wait(browser, 20).until(lambda d: not any("%" in t.text for t in d.find_elements(
        By.CSS_SELECTOR, "#customers-cohorts .heatmaplayer text")) and d.find_elements(
        By.CSS_SELECTOR, "#customers-cohorts .heatmaplayer text"))
    assert errors(browser) == []


def test_products_page_opens_a_product_and_unknown_ids_say_so(live_app, browser):
    sign_in(browser, live_app, "/products?start=2016-01-01&end=2018-12-31")
    assert wait_for_text(browser, "products-kpi-top20").endswith("%")
    wait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#products-categories .ag-row"))
    total = wait(browser, 30).until(lambda d: d.find_elements(
        By.CSS_SELECTOR, "#products-categories .ag-floating-bottom .ag-row"))[0].text
    assert "All categories" in total and "100.0%" in total and "no data" not in total  # blank where it does not add up
    for graph in ("products-bands", "products-pareto", "products-trends"):
        wait(browser, 30).until(lambda d, g=graph: d.find_elements(By.CSS_SELECTOR, f"#{g} .trace"))
    link = wait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#products-top .ag-row[row-index='0'] a"))[0]
    browser.set_window_size(1400, 2400)
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SHOTS / "products.png"))
    product = link.text
    browser.execute_script("arguments[0].click();", link)
    assert " · " in product  # named by its category, then its id's start
    wait(browser, 30).until(lambda d: product in d.find_element(By.ID, "product-header").text)
    assert "start=2016-01-01" in browser.current_url  # the filters came along
    assert wait_for_text(browser, "product-kpi-revenue").startswith("R$ ")
    wait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#product-trend .trace"))
    wait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#product-sellers .ag-row"))
    browser.save_screenshot(str(SHOTS / "product.png"))
    assert errors(browser) == []
    browser.get(live_app + "/products/00000000-0000-0000-0000-000000000000")
    wait(browser, 30).until(lambda d: "No such product" in d.find_element(By.ID, "product-header").text)
    assert not browser.find_element(By.ID, "product-body").is_displayed()


def test_forecast_runs_in_the_background_and_draws_a_forecast_with_its_backtest(live_app, browser):
    sign_in(browser, live_app, "/forecast?start=2017-01-01&end=2018-08-31")
    # History, the 95% and 80% bands and the forecast: four traces once the job has finished.
    wait(browser, 90).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#forecast-chart .scatterlayer .trace")) >= 4)
    verdict = wait_for_text(browser, "forecast-verdict")
    assert "backtest" in verdict and "Learned from 01 Jan 2017 to 31 Aug 2018" in verdict
    models = [r.text for r in browser.find_elements(By.CSS_SELECTOR, "#forecast-accuracy-table tbody tr")]
    assert len(models) == 4 and models[0].startswith("Seasonal naive") and sum("drawn" in m for m in models) == 1
    wait(browser, 90).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#forecast-demand .ag-row"))
    wait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#forecast-anomalies .ag-row"))
    browser.set_window_size(1400, 2000)
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SHOTS / "forecast.png"))
    # Orders and 60 days: a new job, drawn in place of the first.
    browser.execute_script("arguments[0].click();", browser.find_element(
        By.CSS_SELECTOR, "#forecast-horizon input[value='60']"))
    # A second job fits four models again: on a loaded two-core machine that took over 90 s.
    wait(browser, 240).until(lambda d: "60 days after" in d.find_element(By.ID, "forecast-verdict").text)
    assert errors(browser) == []
    # The unusual days are flagged on the Overview's chart too.
    browser.get(live_app + "/?start=2017-01-01&end=2018-08-31")
    wait(browser, 30).until(lambda d: any("Unusual day" in t.text for t in d.find_elements(
        By.CSS_SELECTOR, "#overview-timeseries .legendtext")))
    # Ten days of history: the page says how much a forecast needs, and offers the whole history.
    browser.get(live_app + "/forecast?start=2018-08-01&end=2018-08-10")
    wait(browser, 60).until(lambda d: "needs at least" in d.find_element(By.ID, "forecast-verdict").text)
    link = wait(browser, 30).until(lambda d: d.find_elements(By.ID, "forecast-whole-history"))[0]
    browser.execute_script("arguments[0].click();", link)
    wait(browser, 90).until(lambda d: "backtest" in d.find_element(By.ID, "forecast-verdict").text
                            and "end=2018-08-10" in d.current_url and "start=2016-" in d.current_url)
    assert errors(browser) == []


PAGES = ["/", "/sales", "/customers", "/products", "/sellers", "/payments", "/delivery", "/reviews", "/geography",
         "/forecast?start=2017-01-01&end=2018-08-31", "/explore?metrics=revenue,aov&by=state&chart=map", "/questions",
         "/dashboards", "/admin", "/account/two-factor"]


def test_no_page_breaks_the_content_security_policy_and_it_is_enforced(live_app, browser):
    sign_in(browser, live_app, "/", user="boss")
    wait_for_text(browser, "overview-kpi-revenue")
    for path in PAGES:
        browser.get(live_app + path)
        wait(browser, 30).until(lambda d: d.execute_script("return document.readyState") == "complete")
        time.sleep(2)  # the page's callbacks and charts
        violations = [e["message"] for e in browser.get_log("browser") if "Content Security Policy" in e["message"]]
        assert violations == [], path
    # The policy is really enforced: a script injected into the page does not run, and says why.
    browser.get(live_app + "/")
    wait_for_text(browser, "overview-kpi-revenue")
    browser.execute_script("const s = document.createElement('script'); s.textContent = 'window.__injected = 1';"
                           "document.body.appendChild(s);")
    assert browser.execute_script("return window.__injected === undefined")
    assert any("Content Security Policy" in e["message"] for e in browser.get_log("browser"))
    # Nothing may frame the app; `python app.py` serves it with gunicorn, which names no version.
    assert browser.execute_script("return fetch('/').then(r => r.headers.get('x-frame-options'))") == "DENY"
    with urllib.request.urlopen(live_app + "/healthz") as health:
        assert health.headers["Server"] == "gunicorn"


def test_sign_out_from_the_user_menu_ends_the_session(live_app, browser):
    sign_in(browser, live_app, "/sales", user="viewer")
    wait(browser, 30).until(lambda d: d.find_elements(By.ID, "user-menu"))
    browser.find_element(By.CSS_SELECTOR, "#user-menu .dropdown-toggle").click()
    wait(browser, 10).until(EC.element_to_be_clickable((By.ID, "sign-out"))).click()
    wait(browser, 20).until(EC.presence_of_element_located((By.ID, "username")))
    browser.get(live_app + "/sales")
    assert "/login" in browser.current_url
    assert errors(browser) == []


def filter_chips(driver) -> str:
    return driver.find_element(By.ID, "filter-chips").text


def click_bar(driver, graph: str, label: str):
    """Click the bar of a horizontal bar chart whose axis label is `label`, near its left end."""
    from selenium.webdriver.common.action_chains import ActionChains
    k = driver.execute_script(
        f"return document.querySelector('#{graph} .js-plotly-plot').data[0].y.indexOf(arguments[0]);", label)
    assert k >= 0, f"no bar {label!r} on {graph}"
    bar = driver.find_elements(By.CSS_SELECTOR, f"#{graph} .bars .point path")[k]
    ActionChains(driver).move_to_element_with_offset(bar, -bar.size["width"] // 2 + 4, 0).click().perform()


def test_a_seller_found_by_city_keeps_its_numbers_in_a_new_tab_and_through_sign_in(live_app, browser):
    sign_in(browser, live_app, "/?start=2017-01-01&end=2018-08-31")
    everyone = wait_for_text(browser, "overview-kpi-revenue")
    browser.find_element(By.CSS_SELECTOR, "#filter-seller button.dash-dropdown").click()
    browser.switch_to.active_element.send_keys("sao paulo")  # a city, not an id: the type-ahead searches cities
    # Each keystroke asks the server again ("sa" finds Santos too): wait for the answer to the whole name.
    options = wait(browser, 20).until(lambda d: [o for o in d.find_elements(By.XPATH, "//*[@role='option']")]
                                      if all(o.text.startswith("Sao Paulo, SP · ") for o in d.find_elements(
                                          By.XPATH, "//*[@role='option']")) else [])
    browser.execute_script("arguments[0].click();", options[0])
    wait(browser, 20).until(lambda d: "seller=" in d.current_url)
    wait(browser, 30).until(lambda d: d.find_element(By.ID, "overview-kpi-revenue").text not in ("…", everyone))
    theirs, link = browser.find_element(By.ID, "overview-kpi-revenue").text, browser.current_url
    assert "Seller: Sao Paulo, SP · " in filter_chips(browser)

    assert errors(browser) == []
    # A colleague opens the link in a new tab, signed out: the sign-in comes first.
    browser.delete_all_cookies()
    first = browser.current_window_handle
    browser.switch_to.new_window("tab")
    fresh = browser.current_window_handle
    browser.switch_to.window(first)
    browser.close()  # signed out, its health poll was refused (401): those lines are not this tab's
    browser.switch_to.window(fresh)
    browser.get_log("browser")
    sign_in(browser, "", link)
    wait(browser, 30).until(lambda d: d.find_element(By.ID, "overview-kpi-revenue").text not in ("", "…"))
    assert browser.find_element(By.ID, "overview-kpi-revenue").text == theirs
    assert browser.current_url == link and "Seller: Sao Paulo, SP · " in filter_chips(browser)
    browser.refresh()
    wait(browser, 30).until(lambda d: d.find_element(By.ID, "overview-kpi-revenue").text == theirs)
    assert browser.current_url == link
    assert errors(browser) == []


def test_an_unknown_seller_in_a_link_is_dropped_with_a_notice(live_app, browser):
    sign_in(browser, live_app, "/?seller=00000000-0000-0000-0000-0000000000aa")
    wait(browser, 20).until(lambda d: "there is no such seller" in d.find_element(By.ID, "notices").text)
    assert "Seller:" not in filter_chips(browser)


def test_payment_type_and_seller_state_filter_every_page_from_the_url_and_the_bar(live_app, browser):
    """The two filters added as declarations: read from the URL, shown as chips and in their dropdowns,
    kept across pages, checked against the data (a value it does not hold is dropped with a notice)."""
    sign_in(browser, live_app, "/sellers?start=2017-01-01&end=2018-08-31&payment_type=voucher,cash&seller_state=SP")
    wait(browser, 30).until(lambda d: "Payment: Voucher" in filter_chips(d)
                            and "Seller state: São Paulo (SP)" in filter_chips(d))
    assert "ignored payment_type='cash': unknown payment_type" in browser.find_element(By.ID, "notices").text
    bar = browser.find_element(By.ID, "filter-payment_type").text
    assert "Payment" in bar and "Voucher" in bar
    browser.find_element(By.CSS_SELECTOR, "a.nav-link[href^='/customers']").click()
    wait(browser, 20).until(lambda d: d.current_url.startswith(live_app + "/customers?")
                            and "payment_type=voucher" in d.current_url and "seller_state=SP" in d.current_url)
    wait(browser, 30).until(lambda d: "Payment: Voucher" in filter_chips(d))


def test_the_navbar_keeps_the_filters_and_back_and_forward_step_once(live_app, browser):
    view = "?start=2018-01-01&end=2018-06-30&state=SP"
    sign_in(browser, live_app, "/" + view)
    wait(browser, 20).until(lambda d: "State: São Paulo (SP)" in filter_chips(d))
    browser.find_element(By.LINK_TEXT, "Sales").click()
    wait(browser, 20).until(lambda d: d.current_url == live_app + "/sales" + view)
    wait(browser, 20).until(lambda d: "State: São Paulo (SP)" in filter_chips(d))
    wait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#sales-by-state .trace"))
    time.sleep(1)
    click_bar(browser, "sales-by-state", "Rio de Janeiro (RJ)")  # a cross-filter adds RJ ...
    wait(browser, 20).until(lambda d: "state=SP,RJ" in d.current_url)
    wait(browser, 20).until(lambda d: "State: Rio de Janeiro (RJ)" in filter_chips(d))
    time.sleep(1)
    click_bar(browser, "sales-by-state", "São Paulo (SP)")  # ... a second click on SP takes it off
    wait(browser, 20).until(lambda d: d.current_url.endswith("state=RJ"))
    wait(browser, 20).until(lambda d: "São Paulo" not in filter_chips(d))
    browser.find_element(By.LINK_TEXT, "Payments").click()
    wait(browser, 20).until(lambda d: d.current_url.startswith(live_app + "/payments?") and "state=RJ" in d.current_url)

    steps = [("/sales", "state=RJ"), ("/sales", "state=SP,RJ"), ("/sales", "state=SP"), ("/", "state=SP")]
    for path, query in steps:  # Back: each filter change and each page once, and the bar follows
        browser.back()
        wait(browser, 20).until(lambda d: d.current_url.split("?")[0] == live_app + path
                                and d.current_url.endswith(query))
    wait(browser, 20).until(lambda d: "State: São Paulo (SP)" in filter_chips(d) and "Rio" not in filter_chips(d))
    for path, query in [("/sales", "state=SP"), ("/sales", "state=SP,RJ")]:
        browser.forward()
        wait(browser, 20).until(lambda d: d.current_url.split("?")[0] == live_app + path
                                and d.current_url.endswith(query))
    wait(browser, 20).until(lambda d: "Rio de Janeiro (RJ)" in filter_chips(d))
    # A chip's × takes that one value off.
    browser.find_element(By.CSS_SELECTOR, "#filter-chips a[title='Remove State: São Paulo (SP)']").click()
    wait(browser, 20).until(lambda d: d.current_url.endswith("state=RJ") and "São Paulo" not in filter_chips(d))
    assert errors(browser) == []


def test_clearing_status_means_every_status(live_app, browser):
    sign_in(browser, live_app, "/?start=2017-01-01&end=2018-08-31")
    wait(browser, 20).until(lambda d: "Left out: Canceled, Unavailable" in d.find_element(By.ID, "filter-range").text)
    clear = browser.find_element(By.CSS_SELECTOR, "#filter-status .dash-dropdown-clear")
    browser.execute_script("arguments[0].click();", clear)
    wait(browser, 20).until(lambda d: "status=all" in d.current_url)
    wait(browser, 20).until(lambda d: "Left out" not in d.find_element(By.ID, "filter-range").text)
    assert "Status: all" in filter_chips(browser)
    browser.refresh()  # and it stays so
    wait(browser, 20).until(lambda d: "Status: all" in filter_chips(d))
    assert "Left out" not in browser.find_element(By.ID, "filter-range").text


def test_a_click_on_a_month_drills_into_its_days_and_back_steps_out(live_app, browser):
    from selenium.webdriver.common.action_chains import ActionChains
    browser.set_window_size(1400, 1300)
    view = "/?start=2017-01-01&end=2018-06-30"  # 546 days: a bar a month
    sign_in(browser, live_app, view)
    wait(browser, 30).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#overview-timeseries .bars .point")) > 12)
    time.sleep(1)
    bar = browser.find_elements(By.CSS_SELECTOR, "#overview-timeseries .bars .point path")[2]  # March 2017
    ActionChains(browser).move_to_element_with_offset(bar, 0, bar.size["height"] // 2 - 3).click().perform()
    wait(browser, 20).until(lambda d: d.current_url.endswith("/?start=2017-03-01&end=2017-03-31"))
    wait(browser, 30).until(lambda d: "(31 days;" in d.find_element(By.ID, "filter-range").text)
    wait(browser, 30).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#overview-timeseries .bars .point")) > 25)
    browser.back()
    wait(browser, 20).until(lambda d: d.current_url == live_app + view)
    wait(browser, 30).until(lambda d: "(546 days;" in d.find_element(By.ID, "filter-range").text)
    assert errors(browser) == []


def test_a_picked_category_offers_a_drill_to_its_products(live_app, browser):
    sign_in(browser, live_app, "/sales?start=2017-01-01&end=2018-08-31&category=health_beauty")
    link = wait(browser, 30).until(lambda d: d.find_elements(By.ID, "drill-products"))[0]
    assert "Health Beauty" in link.text
    browser.execute_script("arguments[0].click();", link)
    wait(browser, 20).until(lambda d: d.current_url.startswith(live_app + "/products?") and "category=health_beauty"
                            in d.current_url)
    wait(browser, 20).until(lambda d: "Category: Health Beauty" in filter_chips(d))


def test_a_status_slice_filters_on_click_and_a_second_click_clears_it(live_app, browser):
    from selenium.webdriver.common.action_chains import ActionChains

    browser.set_window_size(1400, 1400)  # before the charts draw: a later resize redraws them under the mouse
    sign_in(browser, live_app, "/?start=2017-01-01&end=2018-08-31")
    wait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#overview-status .slice path"))

    def click_delivered():
        k = browser.execute_script(
            "return document.querySelector('#overview-status .js-plotly-plot').data[0].customdata.indexOf('delivered');")
        slice_ = browser.find_elements(By.CSS_SELECTOR, "#overview-status .slice")[k]
        # On its percentage: the middle of a large slice's box is the donut's hole.
        ActionChains(browser).move_to_element(slice_.find_element(By.CSS_SELECTOR, "text.slicetext")).click().perform()

    click_delivered()
    wait(browser, 20).until(lambda d: "status=delivered" in d.current_url)
    wait(browser, 20).until(lambda d: "Status: Delivered" in filter_chips(d))
    # Every status is still drawn; the others fade.
    wait(browser, 20).until(lambda d: d.execute_script(
        "return document.querySelector('#overview-status .js-plotly-plot').data[0].marker.colors"
        ".filter(c => c.startsWith('rgba(')).length") >= 1)
    click_delivered()
    wait(browser, 20).until(lambda d: "status=" not in d.current_url)
    assert errors(browser) == []


def test_a_picked_state_drills_to_its_cities(live_app, browser):
    sign_in(browser, live_app, "/sales?start=2017-01-01&end=2018-08-31&state=RJ")
    link = wait(browser, 30).until(lambda d: d.find_elements(By.ID, "drill-cities"))[0]
    assert "Rio de Janeiro (RJ)" in link.text
    browser.execute_script("arguments[0].click();", link)
    wait(browser, 20).until(lambda d: d.current_url.startswith(live_app + "/geography?") and "state=RJ" in d.current_url)
    rows = wait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#geography-cities .ag-row"))
    states = {r.find_element(By.CSS_SELECTOR, "[col-id='state']").text for r in rows}
    assert states == {"Rio de Janeiro (RJ)"}
    city = rows[0].find_element(By.CSS_SELECTOR, "[col-id='city']").text
    assert city and city[0].isupper()  # "Rio de Janeiro", not the export's "rio de janeiro"
    assert errors(browser) == []


def test_the_column_chooser_hides_a_column_and_remembers_it(live_app, browser):
    sign_in(browser, live_app, "/geography?start=2017-01-01&end=2018-08-31")
    wait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#geography-flows .ag-row"))
    header = "#geography-flows .ag-header-cell[col-id='freight']"
    assert browser.find_elements(By.CSS_SELECTOR, header)
    button = browser.find_element(By.ID, "geography-flows-columns")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].click();", button)
    box = wait(browser, 10).until(lambda d: d.find_elements(
        By.XPATH, "//div[contains(@class,'popover')]//label[normalize-space()='Freight (R$)']/../input"))[0]
    browser.execute_script("arguments[0].click();", box)
    wait(browser, 10).until(lambda d: not d.find_elements(By.CSS_SELECTOR, header))
    assert "1 hidden" in button.text
    # Numbers are never cut: every shown column is at least as wide as its widest value.
    assert browser.execute_script("""
        return [...document.querySelectorAll('#geography-flows .ag-cell-value')]
            .every(c => c.scrollWidth <= c.clientWidth + 1);""")
    browser.refresh()
    wait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#geography-flows .ag-row"))
    wait(browser, 10).until(lambda d: not d.find_elements(By.CSS_SELECTOR, header))  # remembered
    assert errors(browser) == []


def pick(driver, dropdown_id, label, close=True):
    """Open an Explore picker, click the option named `label` (its name, over its definition), and
    close it: a multiple picker sends its choice when it closes."""
    dropdown = driver.find_element(By.ID, dropdown_id)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].click();", dropdown)
    option = wait(driver, 10).until(EC.presence_of_element_located(
        (By.XPATH, f"//*[@role='option'][.//div[normalize-space()='{label}'] or normalize-space()='{label}']")))
    driver.execute_script("arguments[0].click();", option)
    if close:
        driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)


def answered(driver) -> str:
    wait(driver, 30).until(lambda d: "answered from" in d.find_element(By.ID, "explore-answered").text)
    return driver.find_element(By.ID, "explore-answered").text


def test_explore_composes_a_question_step_by_step_and_its_link_reopens_it(live_app, browser):
    """The issue's question, built as a new user would: pickers, then the filter bar; every step is
    one history entry, and the link reopens it."""
    sign_in(browser, live_app, "/explore?state=RJ")
    answered(browser)
    assert browser.find_element(By.ID, "explore-title").text == "Revenue per week"  # 90 days: weekly
    pick(browser, "explore-metrics", "AOV")
    wait(browser, 20).until(lambda d: "metrics=revenue,aov" in d.current_url)
    pick(browser, "explore-by", "Payment type")
    wait(browser, 20).until(lambda d: "by=date,payment_type" in d.current_url)
    pick(browser, "explore-grain", "Month", close=False)
    pick(browser, "explore-vs", "The same period a year before", close=False)
    wait(browser, 20).until(lambda d: "grain=month" in d.current_url and "vs=year" in d.current_url)
    choose(browser, "filter-preset", "Last 365 days")
    wait(browser, 20).until(lambda d: "range=365d" in d.current_url and "metrics=revenue,aov" in d.current_url)
    assert "state=RJ" in browser.current_url
    title = "Revenue and AOV by payment type per month, vs the same period a year before"
    wait(browser, 20).until(lambda d: d.find_element(By.ID, "explore-title").text == title)
    assert "answered from daily_payment_types" in answered(browser)
    legend = browser.find_elements(By.CSS_SELECTOR, "#explore-chart-graph .legendtext")
    assert "Credit card" in {e.text for e in legend}
    link = browser.current_url
    browser.get(link)  # a copied link reopens the same question with the same filters
    assert "answered from daily_payment_types" in answered(browser)
    assert browser.find_element(By.ID, "explore-title").text == title and browser.current_url == link
    browser.back()  # steps out of the range change, the question kept
    wait(browser, 20).until(lambda d: "start=" not in d.current_url and "vs=year" in d.current_url)
    browser.back()
    wait(browser, 20).until(lambda d: "vs=year" not in d.current_url)
    wait(browser, 20).until(lambda d: d.find_element(By.ID, "explore-title").text ==
                            "Revenue and AOV by payment type per month")
    assert errors(browser) == []


def test_explore_drops_what_a_link_gets_wrong_and_a_viewer_cannot_export(live_app, browser):
    sign_in(browser, live_app, "/explore?metrics=revenue,<b>bold</b>&by=state&chart=radar", user="viewer")
    answered(browser)
    notices = browser.find_element(By.ID, "explore-notices").text
    assert "dropped the metric '<b>bold</b>'" in notices and "dropped chart='radar'" in notices  # shown as typed
    assert not browser.find_element(By.ID, "explore-csv").is_enabled()
    assert browser.find_element(By.ID, "explore-png").is_enabled()  # a picture of what one sees
    assert "Viewers cannot export" in browser.find_element(By.ID, "explore-export-note").text
    assert errors(browser) == []


def test_a_saved_question_is_shared_with_viewers_who_open_it_but_cannot_change_it(live_app, browser):
    sign_in(browser, live_app, "/explore?state=RJ&metrics=revenue,aov&by=date,payment_type&grain=month&vs=year")
    answered(browser)
    browser.find_element(By.ID, "question-save").click()
    name = wait(browser, 10).until(EC.visibility_of_element_located((By.ID, "question-name")))
    assert name.get_attribute("value") == "Revenue and AOV by payment type per month, vs the same period a year before"
    name.clear()
    name.send_keys("<i>RJ</i> payments")
    browser.find_element(By.XPATH, "//label[normalize-space()='These roles:']").click()
    browser.find_element(By.XPATH, "//label[normalize-space()='Viewers']").click()
    browser.find_element(By.ID, "question-submit").click()
    wait(browser, 20).until(lambda d: "/questions/" in d.current_url)
    link = browser.current_url
    assert "answered from" in answered(browser)
    assert browser.find_element(By.ID, "question-title").text == "<i>RJ</i> payments"  # as typed
    assert "State: Rio de Janeiro (RJ)" in filter_chips(browser)  # its filters came with it
    assert errors(browser) == []
    browser.delete_all_cookies()
    sign_in(browser, live_app, "/questions", user="viewer")
    wait(browser, 30).until(lambda d: "<i>RJ</i> payments" in d.find_element(By.ID, "questions-list").text)
    browser.find_element(By.LINK_TEXT, "<i>RJ</i> payments").click()
    wait(browser, 20).until(lambda d: d.current_url == link)
    assert "answered from daily_payment_types" in answered(browser)
    assert not browser.find_element(By.ID, "question-save").is_enabled()
    assert not browser.find_element(By.ID, "question-delete").is_enabled()
    assert not browser.find_element(By.ID, "explore-csv").is_enabled()
    choose(browser, "filter-preset", "All time")  # viewers change the filters of what they open
    wait(browser, 20).until(lambda d: "range=all" in d.current_url and d.current_url.startswith(link))
    assert "answered from" in answered(browser)
    assert errors(browser) == []


def test_a_dashboard_of_three_questions_is_built_arranged_shared_and_seen_by_a_viewer(live_app, browser, server_url):
    from tests.conftest import _with_database
    from data import questions
    engine = make_engine(_with_database(server_url, database_name()))
    tester = users.find(engine, "tester")
    for name, query in (("Revenue by payment", {"metrics": "revenue,aov", "by": "date,payment_type", "grain": "month"}),
                        ("Orders by state", {"metrics": "orders", "by": "state", "chart": "map"}),
                        ("Service", {"metrics": "review_score,on_time_rate", "vs": "year"})):
        questions.create(engine, tester, name, "", query)  # private: the dashboard shares what it shows
    engine.dispose()
    sign_in(browser, live_app, "/dashboards")
    wait(browser, 20).until(EC.presence_of_element_located((By.ID, "dashboards-new-name"))).send_keys("Rio board")
    browser.find_element(By.ID, "dashboards-new").click()
    wait(browser, 20).until(lambda d: "/dashboards/" in d.current_url)
    board = browser.current_url
    for name in ("Revenue by payment", "Orders by state", "Service"):
        choose(browser, "dashboard-question-choice", name)
        browser.find_element(By.ID, "dashboard-add-question").click()
        wait(browser, 20).until(lambda d, n=name: n in d.find_element(By.ID, "dashboard-body").text)
    wait(browser, 30).until(lambda d: len([n for n in d.find_elements(By.CSS_SELECTOR, ".card-note")
                                           if "answered from" in n.text]) == 3)
    third = browser.find_element(By.ID, "card-c3")
    assert third.rect["x"] < 100  # two a row: the third starts the second row
    handle = browser.find_element(By.CSS_SELECTOR, "#card-c3 .card-handle")
    ActionChains(browser).click_and_hold(handle).move_by_offset(100, 0).move_by_offset(450, -5).release().perform()
    wait(browser, 20).until(lambda d: d.find_element(By.ID, "dashboard-message").text == "Arranged.")
    browser.get(board)  # the place was kept on the server
    wait(browser, 30).until(lambda d: d.find_element(By.ID, "card-c3").rect["x"] > 500)
    browser.find_element(By.ID, "dashboard-details").click()
    wait(browser, 10).until(EC.visibility_of_element_located((By.ID, "dashboard-name")))
    browser.find_element(By.XPATH, "//label[normalize-space()='These roles:']").click()
    browser.find_element(By.XPATH, "//label[normalize-space()='Viewers']").click()
    browser.find_element(By.ID, "dashboard-submit").click()
    wait(browser, 20).until(lambda d: "shared with roles: viewer" in d.find_element(By.ID, "dashboard-header").text)
    assert errors(browser) == []
    browser.delete_all_cookies()
    sign_in(browser, live_app, "/dashboards", user="viewer")
    wait(browser, 30).until(lambda d: "Rio board" in d.find_element(By.ID, "dashboards-list").text)
    browser.find_element(By.LINK_TEXT, "Rio board").click()
    wait(browser, 20).until(lambda d: d.current_url == board)
    wait(browser, 30).until(lambda d: len([n for n in d.find_elements(By.CSS_SELECTOR, ".card-note")
                                           if "answered from" in n.text]) == 3)
    assert browser.find_elements(By.ID, "dashboard-add-question") == []  # no tools to change it
    assert not browser.find_element(By.ID, "dashboard-details").is_enabled()
    assert not browser.find_element(By.ID, "dashboard-delete").is_enabled()
    # A click on a state of the map card filters the whole dashboard.
    state = wait(browser, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#card-c2 .choroplethlocation"))[0]
    ActionChains(browser).move_to_element(state).click().perform()
    wait(browser, 20).until(lambda d: "state=" in d.current_url)
    assert errors(browser) == []


@pytest.fixture
def moving_app(server_url, template_db, tmp_path_factory):
    """An app of its own, whose data a test moves (the shared one must keep its data)."""
    with database(server_url, template_db, database_name() + "_moving") as url:
        for base in _serve(url, tmp_path_factory):
            yield base, url


def test_an_open_page_shows_a_new_batch_without_reloading_and_a_paused_one_waits(moving_app, browser, tmp_path):
    base, url = moving_app
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    sign_in(browser, base, "/?range=7d")
    before = int(wait_for_text(browser, "overview-kpi-orders").replace(",", ""))
    wait(browser, 20).until(lambda d: d.find_element(By.ID, "live-updated").text)
    updated = browser.find_element(By.ID, "live-updated").text
    browser.execute_script("window.stillHere = true;")
    from etl.simulate import Simulator, read_world, write_batch
    from etl.watch import Watcher

    def load_batch(n, seed):
        with psycopg.connect(url) as conn:
            world = read_world(conn, inbox)
        world.orders, world.unreviewed = [], []  # new orders only: the KPI's change is theirs
        rows = Simulator(world, n, 1, seed).next_batch()
        write_batch(inbox, "batch-%d" % seed, rows)
        done = Watcher(url, inbox, lambda _b: None, lambda _s: None).drain()
        assert [b.status for b in done] == ["loaded"]
        return {r[0] for r in rows["orders"]}

    # A reader has the Category menu open when the batch lands: it stays open.
    browser.find_element(By.CSS_SELECTOR, "#filter-category button.dash-dropdown").click()
    wait(browser, 10).until(lambda d: d.find_elements(By.XPATH, "//*[@role='option']"))
    added = load_batch(40, 1)
    wait(browser, 15).until(
        lambda d: d.find_element(By.ID, "overview-kpi-orders").text.replace(",", "") == str(before + len(added)))
    assert browser.find_elements(By.XPATH, "//*[@role='option']")  # still open
    ActionChains(browser).send_keys(Keys.ESCAPE).perform()
    assert browser.execute_script("return window.stillHere === true")  # no reload: the same page
    assert browser.find_element(By.ID, "live-updated").text != updated
    assert "range=7d" in browser.current_url

    # Paused, the page keeps what it shows and says newer data is there; on again, it catches up.
    shown = browser.find_element(By.ID, "overview-kpi-orders").text
    browser.execute_script("arguments[0].click();", browser.find_element(By.ID, "live-switch"))
    wait(browser, 10).until(lambda d: "Paused" in d.find_element(By.ID, "live-updated").get_attribute("textContent"))
    more = load_batch(25, 2)
    wait(browser, 15).until(lambda d: "newer data" in d.find_element(By.ID, "live-updated").text)
    assert browser.find_element(By.ID, "overview-kpi-orders").text == shown
    browser.execute_script("arguments[0].click();", browser.find_element(By.ID, "live-switch"))
    wait(browser, 15).until(lambda d: d.find_element(By.ID, "overview-kpi-orders").text.replace(",", "")
                            == str(before + len(added) + len(more)))
    assert browser.execute_script("return window.stillHere === true")

    # The Live page: the newest orders in its feed, the batches with their lag.
    browser.find_element(By.LINK_TEXT, "Live").click()
    wait(browser, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#live-orders .ag-row"))
    feed = browser.find_element(By.ID, "live-orders").text
    assert any(o[:8] in feed for o in more)
    wait(browser, 20).until(lambda d: "batch-2" in d.find_element(By.ID, "live-batches").text)
    assert wait_for_text(browser, "live-kpi-orders").replace(",", "").isdigit()
    newest = load_batch(5, 3)
    wait(browser, 15).until(lambda d: any(o[:8] in d.find_element(By.ID, "live-orders").text for o in newest))
    assert browser.execute_script("return window.stillHere === true")
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SHOTS / "live.png"))
    assert errors(browser) == []

    # An admin's list of runs follows too: the next batch's run appears on top.
    browser.delete_all_cookies()
    sign_in(browser, base, "/admin", user="boss")
    top = "#admin-runs .ag-row[row-index='0'] .ag-cell"
    wait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, top))
    shown = browser.find_element(By.CSS_SELECTOR, top).text
    browser.execute_script("window.stillHere = true;")
    load_batch(3, 4)
    wait(browser, 15).until(lambda d: int(d.find_element(By.CSS_SELECTOR, top).text) > int(shown))
    assert browser.execute_script("return window.stillHere === true")
    assert errors(browser) == []
