"""The query cache: one computation per question and data version, shared across threads."""
import threading
import time
from datetime import date

import pytest

from data.cache import QueryCache, one_version
from data.db import make_engine
from data.filters import Filters
from etl.load import load
from tests.conftest import FIXTURES


@pytest.fixture
def cache(tmp_path, db_url):
    engine = make_engine(db_url)
    found = QueryCache(tmp_path, lambda: engine)
    yield found
    found.close()
    engine.dispose()


def test_cached_until_the_data_changes(cache, db_url):
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    f = Filters(date(2017, 1, 1), date(2017, 12, 31))
    assert cache.answer("kpis", f.key(), compute) == 1
    assert cache.answer("kpis", f.key(), compute) == 1  # same question, same data: no work
    assert cache.answer("kpis", ("other",), compute) == 2
    load(db_url, FIXTURES / "tiny")  # a load that changes data bumps the version
    assert cache.answer("kpis", f.key(), compute) == 3
    load(db_url, FIXTURES / "tiny")  # nothing changed: the version and the cache stand
    assert cache.answer("kpis", f.key(), compute) == 3


def test_a_pinned_span_reads_the_data_version_once(cache, db_url):
    """Inside one_version (every callback), answers keep the version read first, even if a load
    lands meanwhile; the next span sees the new one."""
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    with one_version():
        assert cache.answer("kpis", ("a",), compute) == 1
        load(db_url, FIXTURES / "tiny")  # a new data version
        assert cache.answer("kpis", ("a",), compute) == 1  # still the version the span began with
    assert cache.answer("kpis", ("a",), compute) == 2


def test_identical_concurrent_requests_are_computed_once(cache):
    calls = []

    def slow():
        calls.append(1)
        time.sleep(0.3)
        return "answer"

    results = []
    threads = [threading.Thread(target=lambda: results.append(cache.answer("slow", (1,), slow))) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["answer"] * 6 and len(calls) == 1


def test_the_rfm_chart_and_members_share_one_scoring(tmp_path, db_url):
    """The segments and the members of a view are two cached answers over one cached scoring,
    which is looked up again only when one of them is not cached."""
    from data.warehouse import Warehouse

    load(db_url, FIXTURES / "tiny")
    engine = make_engine(db_url)
    w = Warehouse(lambda: engine, tmp_path)
    f = Filters(date(2017, 1, 1), date(2018, 12, 31))
    segments = w.rfm_segments(f)
    assert w.cache.computed == 2  # the scoring, then the segments
    members = w.segment_members(f, segments[0]["segment"], 500)
    assert w.cache.computed == 3 and members  # the members reuse the scoring
    w.rfm_segments(f)
    w.segment_members(f, segments[0]["segment"], 500)
    assert w.cache.computed == 3
    w.cache.close()
    engine.dispose()


def test_a_batch_of_a_few_orders_keeps_the_answers_over_other_days(tmp_path, db_url):
    """A load that refreshed by order changed its orders' days alone: answers over other ranges stay
    cached, answers over its days (and those reading beyond any range) are computed again with its
    data; a load by day changes every answer."""
    from data.warehouse import Warehouse
    from etl import formats

    load(db_url, FIXTURES / "tiny")  # orders of October 2017 to January 2018
    engine = make_engine(db_url)
    w = Warehouse(lambda: engine, tmp_path)
    autumn, new_year = Filters(date(2017, 1, 1), date(2018, 6, 30)), Filters(date(2019, 1, 1), date(2019, 1, 31))
    before = w.kpis(autumn)
    assert w.kpis(new_year)["orders"] == 0 and w.bounds()["last"] == date(2018, 1, 15)
    computed = w.cache.computed

    batch = tmp_path / "batch"
    batch.mkdir()
    (batch / "o.csv").write_text(",".join(formats.ORDERS.header) + "\n" + "d1000000000000000000000000000099,"
                                 "c1000000000000000000000000000099,shipped,2019-01-05 10:00:00,,,,"
                                 "2019-01-20 00:00:00\n")
    (batch / "c.csv").write_text(",".join(formats.CUSTOMERS.header) + "\n" + "c1000000000000000000000000000099,"
                                 "a1000000000000000000000000000099,01037,sao paulo,SP\n")
    assert load(db_url, batch).orders_refreshed == 1
    assert w.kpis(autumn) == before and w.cache.computed == computed  # kept: another range
    assert w.kpis(new_year)["orders"] == 1 and w.bounds()["last"] == date(2019, 1, 5)
    assert w.cache.computed == computed + 2  # its range, and the bounds (they read every day)

    moved = tmp_path / "moved"  # a customer moves: every order of theirs, whatever its day
    moved.mkdir()
    (moved / "c.csv").write_text(",".join(formats.CUSTOMERS.header) + "\n" + "c1000000000000000000000000000099,"
                                 "a1000000000000000000000000000099,20040,rio de janeiro,RJ\n")
    assert load(db_url, moved).orders_refreshed == 0  # by day
    assert w.kpis(autumn) == before and w.cache.computed == computed + 3
    w.cache.close()
    engine.dispose()
