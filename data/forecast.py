"""Forecast a slice's daily revenue and orders, chosen by an honest backtest; flag unusual days.

The series come from SQL (daily sums of the rollups, or of the facts for sellers); only the
few hundred daily totals reach Python. Each candidate model is scored by a rolling-origin
backtest over the forecast's own horizon, against seasonal naive (the same weekday a week
earlier), and the page shows both scores: a model is used only when it beats that baseline.

The smoothing models work on log(1 + y): sales grow and shrink in proportion, so a weekly pattern
and an error that scale with the level are additive there, and forecasts never go below zero.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import pandas as pd
from statsmodels.tools.sm_exceptions import ConvergenceWarning
from statsmodels.tsa.exponential_smoothing.ets import ETSModel
from statsmodels.tsa.forecasting.theta import ThetaModel
from statsmodels.tsa.seasonal import STL

from data.filters import Filters
from data.semantic.answer import answer
from data.semantic.model import Query

HORIZONS = (30, 60, 90)          # days ahead the page offers
DEMAND_WEEKS = (4, 8, 12)
SEASON = 7                        # the weekly cycle of daily sales
FOLDS, FOLD_STEP, MIN_FIT = 3, 14, 56  # backtest origins two weeks apart; at least 8 weeks to fit on
LEVELS = (80, 95)                 # prediction intervals, percent
ANOMALY_MADS = 4.0                # a day is unusual beyond this many scaled MADs of the STL residuals
MEASURES = ("revenue", "orders")
USEFUL_ERROR = 0.40               # a backtest percentage error above this: the forecast is not worth reading
CAP = 2.0                         # no interval reaches past twice a high day (98th percentile, or the last 8 weeks' top)
MIN_BASE = 10                     # demand: fewer items than this lately gives no meaningful percentage


class NotEnoughHistory(ValueError):
    """The slice is too short to fit and backtest: the message says how much it needs."""


def needed_days(horizon: int) -> int:
    """Days of history a forecast `horizon` days ahead needs: 8 weeks to fit on, then the backtest's
    folds, the last of which holds out the final `horizon` days."""
    return MIN_FIT + FOLD_STEP * (FOLDS - 1) + horizon


# The models. Each takes the history (a daily Series) and a horizon and returns its forecast:
# the point forecast and the interval bounds per level, as arrays of `horizon` values.

def _z(level: int) -> float:
    return {80: 1.2815515655446004, 95: 1.959963984540054}[level]


def _repeating(profile: np.ndarray, errors: np.ndarray, horizon: int) -> dict:
    """A forecast that repeats a weekly `profile`, with intervals from the rule's past `errors`,
    widening with each week ahead (as the errors of a random walk in weekly steps)."""
    mean = np.array([profile[k % SEASON] for k in range(horizon)])
    sigma = float(np.std(errors, ddof=1)) if len(errors) > 1 else 0.0
    weeks = np.array([k // SEASON + 1 for k in range(horizon)])
    out = {"mean": mean}
    for level in LEVELS:
        half = _z(level) * sigma * np.sqrt(weeks)
        out[level] = (np.maximum(mean - half, 0.0), mean + half)
    return out


def seasonal_naive(y: pd.Series, horizon: int) -> dict:
    """The same weekday a week earlier."""
    values = y.to_numpy(dtype=float)
    return _repeating(values[-SEASON:], values[SEASON:] - values[:-SEASON], horizon)


def seasonal_average(y: pd.Series, horizon: int, weeks: int = 4) -> dict:
    """Each weekday's mean over the last `weeks` weeks: seasonal naive with the day-to-day noise
    averaged out."""
    values = y.to_numpy(dtype=float)
    span = SEASON * weeks
    past = np.array([values[t - span:t:SEASON].mean() for t in range(span, len(values))])
    return _repeating(values[-span:].reshape(weeks, SEASON).mean(axis=0), values[span:] - past, horizon)


def _on_logs(fit_predict):
    """Run a model on log(1 + y) and bring its forecast and intervals back to the data's scale."""
    def run(y: pd.Series, horizon: int) -> dict:
        logged = np.log1p(y.clip(lower=0).astype(float))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            warnings.simplefilter("ignore", UserWarning)
            raw = fit_predict(logged, horizon)
        out = {"mean": np.expm1(raw["mean"])}
        for level in LEVELS:
            low, high = raw[level]
            out[level] = (np.maximum(np.expm1(low), 0.0), np.expm1(high))
        return out
    run.__doc__ = fit_predict.__doc__
    return run


@_on_logs
def exponential_smoothing(y: pd.Series, horizon: int) -> dict:
    """ETS with additive errors, a damped trend and a weekly season (statsmodels' ETSModel)."""
    fitted = ETSModel(y, error="add", trend="add", damped_trend=True, seasonal="add",
                      seasonal_periods=SEASON).fit(disp=False)
    prediction = fitted.get_prediction(start=len(y), end=len(y) + horizon - 1)
    out = {"mean": prediction.predicted_mean.to_numpy()}
    for level in LEVELS:
        frame = prediction.summary_frame(alpha=1 - level / 100)
        out[level] = (frame["pi_lower"].to_numpy(), frame["pi_upper"].to_numpy())
    return out


@_on_logs
def theta(y: pd.Series, horizon: int) -> dict:
    """The Theta method on the deseasonalised series (statsmodels' ThetaModel, weekly period)."""
    fitted = ThetaModel(y, period=SEASON).fit()
    out = {"mean": fitted.forecast(horizon).to_numpy()}
    for level in LEVELS:
        bounds = fitted.prediction_intervals(horizon, alpha=1 - level / 100)
        out[level] = (bounds["lower"].to_numpy(), bounds["upper"].to_numpy())
    return out


@dataclass(frozen=True)
class Model:
    key: str
    label: str
    run: object


BASELINE = Model("seasonal_naive", "Seasonal naive (same weekday last week)", seasonal_naive)
MODELS = (BASELINE, Model("seasonal_average", "Seasonal average (each weekday over the last 4 weeks)",
                          seasonal_average),
          Model("ets", "Exponential smoothing (damped trend, weekly season)", exponential_smoothing),
          Model("theta", "Theta method (weekly season)", theta))


def backtest(y: pd.Series, horizon: int, model: Model) -> dict:
    """Fit on the history up to each of FOLDS origins, forecast `horizon` days, compare with what
    happened: mean absolute error, and MAPE, or sMAPE when some actual values are near zero."""
    actual, predicted = [], []
    for fold in range(FOLDS):
        origin = len(y) - horizon - fold * FOLD_STEP
        predicted.append(model.run(y.iloc[:origin], horizon)["mean"])
        actual.append(y.iloc[origin:origin + horizon].to_numpy(dtype=float))
    a, p = np.concatenate(actual), np.concatenate(predicted)
    mae = float(np.mean(np.abs(a - p)))
    if a.min() >= 0.1 * max(a.mean(), 1e-9):
        return {"mae": mae, "pct": float(np.mean(np.abs(a - p) / a)), "metric": "MAPE"}
    denominator = np.abs(a) + np.abs(p)
    share = np.divide(2 * np.abs(a - p), denominator, out=np.zeros_like(a), where=denominator > 0)
    return {"mae": mae, "pct": float(np.mean(share)), "metric": "sMAPE"}


def forecast(y: pd.Series, horizon: int, progress=None) -> dict:
    """Backtest every model on `y` (a daily Series), pick the best by MAE if it beats seasonal naive,
    and forecast `horizon` days after the last one with it. `progress(done, total)` is told as it goes."""
    if horizon not in HORIZONS:
        raise ValueError(f"unknown horizon {horizon!r}")
    need = needed_days(horizon)
    if len(y) < need:
        shorter = [h for h in HORIZONS if h < horizon and needed_days(h) <= len(y)]
        advice = (f"choose the {max(shorter)}-day horizon, or widen the date range" if shorter
                  else "widen the date range")
        raise NotEnoughHistory(
            f"This slice has {len(y)} days of history; a {horizon}-day forecast needs at least {need} (8 weeks "
            f"to fit, then {FOLDS} backtests holding out {horizon} days): {advice}.")
    steps, done = len(MODELS) + 1, 0
    scores = []
    for model in MODELS:
        scores.append({"model": model.key, "label": model.label, **backtest(y, horizon, model)})
        done += 1
        if progress:
            progress(done, steps)
    baseline = scores[0]
    best = min(scores, key=lambda s: (s["mae"], s["model"] != BASELINE.key))
    chosen = next(m for m in MODELS if m.key == best["model"])
    result = chosen.run(y, horizon)
    if progress:
        progress(steps, steps)
    start = y.index[-1] + timedelta(days=1)
    cap = CAP * max(float(y.quantile(0.98)), float(y.iloc[-MIN_FIT:].max())) if len(y) else 0.0
    chosen_score = next(sc for sc in scores if sc["model"] == chosen.key)
    return {"dates": [d.date() for d in pd.date_range(start, periods=horizon, freq="D")],
            "mean": np.clip(result["mean"], 0, cap).tolist(),
            **{f"lower{level}": np.clip(result[level][0], 0, cap).tolist() for level in LEVELS},
            **{f"upper{level}": np.clip(result[level][1], 0, cap).tolist() for level in LEVELS},
            "capped": bool(any((result[level][1] > cap).any() for level in LEVELS)), "cap": cap,
            "model": chosen.key, "label": chosen.label, "accuracy": scores,
            "useful": chosen_score["pct"] <= USEFUL_ERROR,
            "beats_baseline": chosen is not BASELINE and best["mae"] < baseline["mae"]}


def thinning_tail(y: pd.Series, recent: int = 14, before: int = 28, floor: float = 0.6) -> float | None:
    """The last `recent` days' mean over the `before` days' preceding them, when it is under `floor`:
    exports often end mid-stream (the published Olist data thins out over its last weeks), and a
    forecast learned from such a tail follows it down. None when the tail looks ordinary."""
    if len(y) < recent + before:
        return None
    earlier = float(y.iloc[-(recent + before):-recent].mean())
    share = float(y.iloc[-recent:].mean()) / earlier if earlier > 0 else None
    return share if share is not None and share < floor else None


def anomalies(y: pd.Series) -> list[dict]:
    """Days whose STL residual lies beyond ANOMALY_MADS scaled median absolute deviations: the day,
    its value, the expected value (trend and weekly pattern) and the deviation.

    The decomposition (weekly period, a seasonal window of 31 days and a trend window of 57, robust
    to the outliers it looks for) runs on the square root of the values, which steadies their
    spread as sales grow without making the empty days of a thin slice look extreme, as a logarithm
    would. A trend that follows two months rather than STL's default dozen days leaves ordinary
    noise in the residuals, so that it sets the threshold (on clean Poisson series: 4 days flagged
    in 20 years, against 30 with the default).

    The smoothers are evaluated every tenth of their window and interpolated between, as the
    reference implementation (R's stl) does by default: a quarter of the time of evaluating them at
    every day (two years of days: about 25 ms against 100), for the same unusual days but the odd
    one at the threshold."""
    if len(y) < 4 * SEASON or float(np.median(y)) <= 0:
        return []  # too short, or mostly empty days: nothing is usual enough to depart from
    parts = STL(np.sqrt(y.clip(lower=0).astype(float)), period=SEASON, seasonal=31, trend=57, robust=True,
                seasonal_jump=4, trend_jump=6).fit()
    resid = parts.resid.to_numpy()
    centre = float(np.median(resid))
    spread = 1.4826 * float(np.median(np.abs(resid - centre)))
    if spread == 0:
        return []
    expected = np.square(np.maximum(parts.trend.to_numpy() + parts.seasonal.to_numpy(), 0))
    out = []
    for k in np.flatnonzero(np.abs(resid - centre) > ANOMALY_MADS * spread):
        value = float(y.iloc[k])
        out.append({"date": y.index[k].date(), "value": value, "expected": float(expected[k]),
                    "deviation": value - float(expected[k]), "mads": float((resid[k] - centre) / spread)})
    return sorted(out, key=lambda a: -abs(a["mads"]))


# The series, from SQL.

def daily(conn, f: Filters) -> dict[str, pd.Series]:
    """Revenue and orders per day of the range, every day present (days without orders are 0)."""
    found = answer(conn, Query(("revenue", "orders"), f.start, f.end, ("date",), "day", f.by_dimension()))
    return as_daily([{"period": day, "revenue": revenue, "orders": n} for day, revenue, n in found.rows], f)


def as_daily(rows: list[dict], f: Filters) -> dict[str, pd.Series]:
    """Day-grain rows (period, revenue, orders) as one Series per measure over every day of the range."""
    days = pd.date_range(f.start, f.end, freq="D")
    found = {pd.Timestamp(r["period"]): r for r in rows}
    return {m: pd.Series([float(found[d][m]) if d in found else 0.0 for d in days], index=days, name=m)
            for m in MEASURES}


def weekly_items(conn, f: Filters) -> dict[str, pd.Series]:
    """Items sold per ISO week and category in the range's whole weeks (categories with any sale)."""
    first = f.start + timedelta(days=(7 - f.start.weekday()) % 7)      # the first Monday in the range
    last = f.end - timedelta(days=(f.end.weekday() + 1) % 7)           # the last Sunday in the range
    if last < first:
        return {}
    found = answer(conn, Query(("items",), first, last, ("date", "category"), "week", f.by_dimension()))
    weeks = pd.date_range(first, last, freq="W-MON")
    series: dict[str, dict] = {}
    for week, category, n in found.rows:
        series.setdefault(category, {})[pd.Timestamp(week)] = float(n)
    return {c: pd.Series([v.get(w, 0.0) for w in weeks], index=weeks, name=c) for c, v in series.items()}


def demand(series: dict[str, pd.Series], weeks: int, progress=None, paths: int = 300) -> list[dict]:
    """Items each category will sell in the next `weeks` weeks, with an 80% interval, against the
    last `weeks` weeks: ETS with a damped trend on log(1 + items), the total's interval from
    simulated paths. Categories with under 8 weeks of history, or none sold lately, are left out.
    Ranked by the expected change in items (1 -> 5 items is not the top mover); the percentage is
    given only over a base of MIN_BASE items or more."""
    rows = []
    for k, (category, y) in enumerate(sorted(series.items())):
        if progress:
            progress(k, len(series))
        recent = float(y.iloc[-weeks:].sum()) if len(y) >= weeks else 0.0
        if len(y) < max(8, weeks) or recent == 0:
            continue
        logged = np.log1p(y.astype(float))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fitted = ETSModel(logged, error="add", trend="add", damped_trend=True).fit(disp=False)
            mean = float(np.expm1(fitted.forecast(weeks)).sum())
            simulated = np.expm1(fitted.simulate(weeks, repetitions=paths, anchor="end",
                                                 rng=np.random.default_rng(7)))
        totals = np.asarray(simulated).reshape(weeks, -1).sum(axis=0)
        low, high = np.percentile(np.maximum(totals, 0), [10, 90])
        rows.append({"category": category, "last": recent, "forecast": round(mean, 1), "lower80": round(float(low), 1),
                     "upper80": round(float(high), 1), "change": round(mean - recent, 1),
                     "growth": mean / recent - 1 if recent >= MIN_BASE else None})
    return sorted(rows, key=lambda r: (-r["change"], r["category"]))


def forecast_after(conn, f: Filters, measure: str, horizon: int, progress=None) -> tuple[pd.Series, dict]:
    """The slice's daily `measure` over the range, and its forecast for `horizon` days after."""
    history = daily(conn, f)[measure]
    return history, forecast(history, horizon, progress)


def demand_after(conn, f: Filters, weeks: int, progress=None) -> list[dict]:
    """The demand table for the `weeks` weeks after the range."""
    return demand(weekly_items(conn, f), weeks, progress)
