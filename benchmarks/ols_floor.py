"""Two-way fixed-effects OLS with CRV1 errors at 5M rows: villageaid against the numpy floor.

Not a test. A balanced panel (500,000 units × 10 periods, three regressors) is generated in this process; the
"floor" is the least work the estimate needs, written directly in numpy: one sweep of unit and period means
(exact on a balanced panel), the normal equations, and the cluster-robust sandwich from per-unit score sums.
Both run --repeat times, interleaved, after one warm-up each; prints the medians, the ratio, the largest
coefficient and standard-error differences, and a TARGET line. Target (2 cores): villageaid ≤ 1.25× the floor.

    .venv/bin/python benchmarks/ols_floor.py [--units 500000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import pandas as pd


def floor(y: np.ndarray, X: np.ndarray, unit: np.ndarray, period: np.ndarray, units: int,
          periods: int) -> tuple[np.ndarray, np.ndarray]:
    """Within transformation (one sweep, balanced), OLS and CRV1 with fixest's small-sample factor."""
    data = np.column_stack([y, X])
    data = data - (np.vstack([np.bincount(unit, weights=c, minlength=units) for c in data.T]).T / periods)[unit]
    data = data - (np.vstack([np.bincount(period, weights=c, minlength=periods) for c in data.T]).T / units)[period]
    yt, Xt = data[:, 0], data[:, 1:]
    bread = np.linalg.inv(Xt.T @ Xt)
    beta = bread @ (Xt.T @ yt)
    scores = Xt * (yt - Xt @ beta)[:, None]
    sums = np.vstack([np.bincount(unit, weights=c, minlength=units) for c in scores.T]).T
    n, k = X.shape
    # unit effects nested in the clusters count as one parameter, as fixest (and villageaid) count them
    factor = units / (units - 1) * (n - 1) / (n - k - (periods - 1) - 1)
    vcov = factor * bread @ (sums.T @ sums) @ bread
    return beta, np.sqrt(np.diag(vcov))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", type=int, default=500_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    from villageaid.estimators import feols

    rng = np.random.default_rng(0)
    units, periods = args.units, 10
    n = units * periods
    frame = pd.DataFrame({"unit": np.repeat(np.arange(units), periods), "period": np.tile(np.arange(periods), units)})
    for name in ("x1", "x2", "x3"):
        frame[name] = rng.normal(size=n)
    frame["y"] = frame["x1"] - 0.5 * frame["x2"] + rng.normal(size=units)[frame["unit"]] + rng.normal(size=n)
    y, X = frame["y"].to_numpy(), frame[["x1", "x2", "x3"]].to_numpy()
    unit, period = frame["unit"].to_numpy(), frame["period"].to_numpy()
    ours_times, floor_times = [], []
    fit = feols("y ~ x1 + x2 + x3 | unit + period", frame, vcov={"CRV1": "unit"})  # warm-up
    beta, se = floor(y, X, unit, period, units, periods)
    for _ in range(args.repeat):
        start = time.perf_counter()
        fit = feols("y ~ x1 + x2 + x3 | unit + period", frame, vcov={"CRV1": "unit"})
        ours_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        beta, se = floor(y, X, unit, period, units, periods)
        floor_times.append(time.perf_counter() - start)
    ours, low = statistics.median(ours_times), statistics.median(floor_times)
    coef = float(np.abs(fit.params.to_numpy() - beta).max())
    se_gap = float(np.abs(fit.std_errors.to_numpy() / se - 1).max())
    print(f"villageaid feols: median {ours:.2f} s; numpy floor: median {low:.2f} s; ratio {ours / low:.2f}; "
          f"largest coefficient difference {coef:.1e}, largest relative SE difference {se_gap:.1e}")
    verdict = "met" if ours / low <= 1.25 else f"missed: {ours / low:.2f}× instead of ≤ 1.25×"
    print(f"TARGET | two-way OLS with CRV1, {n:,} rows | {ours:.2f} s ({ours / low:.2f}× the floor) | "
          f"≤ 1.25× the numpy floor | {verdict}")


if __name__ == "__main__":
    main()
