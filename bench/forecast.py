"""Benchmark the forecasts: time to fetch, fit and backtest one slice cold, and backtest accuracy
of the chosen model against seasonal naive, for the whole marketplace and its five largest states.

    python -m bench.forecast --orders 1000000

Uses the data set and database of bench.dashboard (generated and loaded once under bench-data/).
The window is two years of daily data ending 50 days before the data's last day: the generated
export, like the published one, thins out over its last weeks. In the same run it times the
baseline: the daily series by naive SQL over the fact tables, and seasonal naive's own backtest.
"""
from __future__ import annotations

import argparse
import time
from datetime import timedelta

import psycopg

from bench.dashboard import prepared_database
from data import db, forecast, queries
from data.filters import Filters

NAIVE_DAILY = """
SELECT o.purchase_date, sum(o.order_value), count(*)
FROM warehouse.fact_orders o LEFT JOIN warehouse.dim_customers c USING (customer_id)
WHERE o.purchase_date BETWEEN %(start)s AND %(end)s AND o.order_status = ANY(%(statuses)s)
  AND (cardinality(%(states)s::text[]) = 0 OR coalesce(c.customer_state, '??') = ANY(%(states)s))
GROUP BY 1 ORDER BY 1
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--horizon", type=int, default=30, choices=forecast.HORIZONS)
    args = parser.parse_args()
    url, embedded = prepared_database(args.orders, args.seed)
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            last = queries.bounds(conn)["last"]
            end = last - timedelta(days=50)
            start = end - timedelta(days=729)
            states = [s for s, in conn.exec_driver_sql(
                "SELECT c.customer_state FROM warehouse.fact_orders o JOIN warehouse.dim_customers c USING (customer_id) "
                "GROUP BY 1 ORDER BY count(*) DESC LIMIT 5")]
        print(f"{args.orders:,} orders; window {start} to {end} (730 days); horizon {args.horizon} days\n")
        print(f"{'slice':<8}{'measure':<9}{'SQL ms':>8}{'naive SQL ms':>13}{'fit+backtest s':>15}{'naive s':>9}"
              f"  {'model':<16}{'MAE':>11}{'naive MAE':>11}{'% err':>8}{'naive % err':>12}{'MAE vs naive':>13}")
        for state in [None, *states]:
            f = Filters(start, end, states=(state,) if state else ())
            with engine.connect() as conn:
                started = time.perf_counter()
                series = forecast.daily(conn, f)
                sql = time.perf_counter() - started
            with psycopg.connect(url) as raw:
                started = time.perf_counter()
                raw.execute(NAIVE_DAILY, {"start": start, "end": end, "statuses": list(f.statuses),
                                          "states": list(f.states)}).fetchall()
                naive_sql = time.perf_counter() - started
            for measure in forecast.MEASURES:
                started = time.perf_counter()
                result = forecast.forecast(series[measure], args.horizon)
                fit = time.perf_counter() - started
                started = time.perf_counter()
                forecast.backtest(series[measure], args.horizon, forecast.BASELINE)
                baseline = time.perf_counter() - started
                scores = {s["model"]: s for s in result["accuracy"]}
                best, naive = scores[result["model"]], scores["seasonal_naive"]
                print(f"{state or 'all':<8}{measure:<9}{sql * 1000:>8.1f}{naive_sql * 1000:>13.1f}{fit:>15.2f}"
                      f"{baseline:>9.3f}  {result['model']:<16}{best['mae']:>11,.1f}{naive['mae']:>11,.1f}"
                      f"{best['pct']:>8.1%}{naive['pct']:>12.1%}{best['mae'] / naive['mae']:>13.2f}")
    finally:
        engine.dispose()
        if embedded is not None:
            embedded.cleanup()


if __name__ == "__main__":
    main()
