from __future__ import annotations

import numpy as np
import pandas as pd

from villageaid.estimators.dynamic_panel import anderson_hsiao


def _ar1(rho: float = 0.5, units: int = 1500, periods: int = 8, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    alpha = rng.normal(size=units)
    y = np.zeros((units, periods))
    y[:, 0] = alpha / (1 - rho) + rng.normal(size=units)
    for t in range(1, periods):
        y[:, t] = rho * y[:, t - 1] + alpha + 0.1 * t + rng.normal(size=units)
    return pd.DataFrame({"i": np.repeat(np.arange(units), periods), "t": np.tile(np.arange(periods), units),
                         "y": y.ravel()})


def test_anderson_hsiao_removes_the_nickell_bias() -> None:
    result = anderson_hsiao(_ar1(), outcome="y", unit="i", time="t")
    ci = result.anderson_hsiao.conf_int(0.99).loc["L.y"]
    assert ci["conf_low"] < 0.5 < ci["conf_high"]
    within = result.within.params["L.y"]
    assert within < 0.4  # biased towards zero in a short panel
    assert result.first_stage_f["L.y"] > 100


def test_gaps_break_the_lags_and_missing_outcomes_drop_out() -> None:
    d = _ar1(units=300)
    with_gap = d[d["t"] != 3]
    result = anderson_hsiao(with_gap, outcome="y", unit="i", time="t")
    # equations need t, t-1, t-2 consecutive: dropping period 3 removes t = 3, 4, 5
    assert result.anderson_hsiao.nobs == 300 * (8 - 2 - 3)
