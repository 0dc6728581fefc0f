"""Forecasts and unusual days: on synthetic series with known shape, then on generated demo data."""
import os
from datetime import date

import numpy as np
import pandas as pd
import pytest

from data import forecast
from data.filters import Filters
from tests.conftest import generated_warehouse

WEEKLY = np.array([1.0, 1.1, 1.05, 1.0, 0.95, 0.7, 0.6])  # Monday .. Sunday


def series(days: int, level=200.0, slope=0.0, noise=0.0, seed=1, start="2017-01-02", counts=False) -> pd.Series:
    """A daily series with a linear trend, a weekly pattern and Gaussian noise (or, with counts,
    Poisson draws around it, as orders are)."""
    rng = np.random.default_rng(seed)
    t = np.arange(days)
    mean = (level + slope * t) * WEEKLY[t % 7]
    values = rng.poisson(mean).astype(float) if counts else mean + rng.normal(0, noise, days)
    return pd.Series(values, index=pd.date_range(start, periods=days, freq="D"))


def test_a_trend_and_a_weekly_season_are_recovered_and_beat_seasonal_naive():
    whole = series(400 + 30, slope=0.8, noise=4)
    history, truth = whole.iloc[:400], whole.iloc[400:].to_numpy()
    result = forecast.forecast(history, 30)
    assert result["beats_baseline"] and result["model"] != "seasonal_naive"
    predicted = np.array(result["mean"])
    assert np.mean(np.abs(predicted - truth) / truth) < 0.05  # within 5% of what happened, on average
    # The weekly shape: Sundays well below Tuesdays in the forecast, as in the data.
    days = pd.DatetimeIndex(result["dates"])
    assert predicted[days.day_of_week == 6].mean() < 0.7 * predicted[days.day_of_week == 1].mean()
    assert result["dates"][0] == date(2018, 2, 6)  # the day after the history
    scores = {s["model"]: s for s in result["accuracy"]}
    assert scores[result["model"]]["mae"] < scores["seasonal_naive"]["mae"] and scores["ets"]["metric"] == "MAPE"
    for level in forecast.LEVELS:  # intervals hold the point forecast, the 95% one the 80% one
        assert all(lo <= m <= hi for lo, m, hi in zip(result[f"lower{level}"], result["mean"], result[f"upper{level}"]))
    assert all(a <= b for a, b in zip(result["lower95"], result["lower80"]))


def test_when_nothing_beats_seasonal_naive_the_baseline_is_drawn_and_said_so():
    pattern = series(200)  # the same week over and over: last week is a perfect forecast
    result = forecast.forecast(pattern, 30)
    assert result["model"] == "seasonal_naive" and not result["beats_baseline"]
    assert result["mean"][:7] == pytest.approx(pattern.iloc[-7:].tolist())


def test_too_little_history_says_how_much_a_forecast_needs():
    with pytest.raises(forecast.NotEnoughHistory, match="has 10 days of history; a 30-day forecast needs at least 114"
                       r" \(.*\): widen the date range\.$"):  # 30 days is the shortest: no shorter one to suggest
        forecast.forecast(series(10), 30)
    with pytest.raises(forecast.NotEnoughHistory, match="choose the 30-day horizon, or widen the date range"):
        forecast.forecast(series(120), 90)
    assert forecast.needed_days(90) == 174
    with pytest.raises(ValueError):
        forecast.forecast(series(400), 45)  # not an offered horizon


def test_a_slice_too_noisy_to_forecast_is_not_called_useful_and_its_bands_are_capped():
    rng = np.random.default_rng(3)
    days = pd.date_range("2017-01-01", periods=200, freq="D")
    sparse = pd.Series(np.where(rng.random(200) < 0.15, rng.gamma(1.0, 400.0, 200), 0.0), index=days)  # state RR
    result = forecast.forecast(sparse, 30)
    assert not result["useful"] and min(s["pct"] for s in result["accuracy"]) > forecast.USEFUL_ERROR
    cap = forecast.CAP * max(sparse.quantile(0.98), sparse.iloc[-56:].max())
    assert max(result["upper95"]) <= cap and min(result["lower95"]) >= 0
    steady = forecast.forecast(series(200, level=300), 30)
    assert steady["useful"] and not steady["capped"]


def test_a_tail_that_thins_out_is_noticed():
    y = series(200, level=300)
    assert forecast.thinning_tail(y) is None
    y.iloc[-14:] *= 0.3
    assert forecast.thinning_tail(y) == pytest.approx(0.3)
    assert forecast.thinning_tail(series(30)) is None  # too short to tell


def test_near_zero_actuals_switch_the_percentage_error_to_smape():
    sparse = series(200, level=2.0, noise=1.5, seed=3).clip(lower=0).round()
    assert (sparse == 0).any()
    result = forecast.forecast(sparse, 30)
    assert {s["metric"] for s in result["accuracy"]} == {"sMAPE"}
    assert all(0 <= s["pct"] <= 2 for s in result["accuracy"])


def test_injected_spikes_and_a_drop_are_flagged_and_ordinary_days_are_not():
    y = series(365, level=300, slope=0.3, seed=8, counts=True)
    unusual = {"2017-03-15": 3.0, "2017-07-04": 2.5, "2017-11-24": 4.0, "2017-09-10": 0.2}
    for day, factor in unusual.items():
        y[day] *= factor
    found = forecast.anomalies(y)
    assert {a["date"].isoformat() for a in found} == set(unusual)
    assert found[0]["date"] == date(2017, 11, 24)  # the largest first
    drop = next(a for a in found if a["date"] == date(2017, 9, 10))
    assert drop["mads"] < 0 and drop["value"] < drop["expected"]
    assert forecast.anomalies(series(365, level=300, slope=0.3, seed=8, counts=True)) == []  # nothing to flag in plain noise
    sparse = pd.Series(0.0, index=y.index)
    sparse.iloc[[40, 200]] = 2.0
    assert forecast.anomalies(sparse) == []  # two sales in a year: no usual day to depart from


def test_demand_grows_where_items_grow_and_its_interval_holds_the_forecast():
    weeks = pd.date_range("2017-01-02", periods=60, freq="W-MON")
    rng = np.random.default_rng(2)
    growing = pd.Series(20 + 1.5 * np.arange(60) + rng.normal(0, 2, 60), index=weeks)
    flat = pd.Series(50 + rng.normal(0, 2, 60), index=weeks)
    rows = {r["category"]: r for r in forecast.demand({"toys": growing, "bed_bath_table": flat,
                                                       "new": growing.iloc[-5:]}, 8)}
    assert set(rows) == {"toys", "bed_bath_table"}  # under 8 weeks of history: left out
    assert rows["toys"]["growth"] > 0.05 and abs(rows["bed_bath_table"]["growth"]) < 0.05
    assert all(r["lower80"] <= r["forecast"] <= r["upper80"] for r in rows.values())


def test_demand_ranks_by_the_change_in_items_and_gives_no_percentage_on_a_tiny_base():
    weeks = pd.date_range("2017-01-02", periods=40, freq="W-MON")
    tiny = pd.Series([0.0] * 32 + [0, 0, 0, 1, 0, 1, 2, 3], index=weeks)  # 1 -> 5 items: +400%
    big = pd.Series(200 + 3.0 * np.arange(40), index=weeks)                 # +10%, but far more items
    rows = forecast.demand({"tiny": tiny, "big": big}, 4)
    assert [r["category"] for r in rows] == ["big", "tiny"]
    assert rows[0]["change"] > rows[1]["change"] and rows[0]["growth"] > 0
    assert rows[1]["growth"] is None  # a percentage of a few items means nothing


@pytest.fixture(scope="module")
def demo(server_url, template_db, tmp_path_factory):
    """A warehouse with 20,000 generated orders: enough daily volume for the demo data's shape."""
    with generated_warehouse(server_url, template_db, tmp_path_factory.mktemp("demo"), f"olist_fc_{os.getpid()}",
                             20000, seed=42) as conn:
        yield conn


def test_black_friday_in_the_demo_data_is_an_unusual_day_and_the_forecast_beats_the_baseline(demo):
    f = Filters(date(2017, 1, 1), date(2018, 8, 31))
    daily = forecast.daily(demo, f)
    assert len(daily["revenue"]) == (f.end - f.start).days + 1  # every day, empty ones as 0
    for measure in forecast.MEASURES:
        days = [a["date"] for a in forecast.anomalies(daily[measure])]
        assert date(2017, 11, 24) in days[:3], measure
        assert forecast.forecast(daily[measure], 30)["beats_baseline"], measure
    weekly = forecast.weekly_items(demo, f)
    assert all(s.index[0] == pd.Timestamp("2017-01-02") and s.index[-1] == pd.Timestamp("2018-08-20")
               for s in weekly.values())
    assert sum(s.sum() for s in weekly.values()) == demo.exec_driver_sql(
        "SELECT count(*) FROM warehouse.fact_order_items i JOIN warehouse.fact_orders o USING (order_id) "
        "WHERE o.purchase_date BETWEEN '2017-01-02' AND '2018-08-26' "
        "AND o.order_status NOT IN ('canceled', 'unavailable')").scalar()
