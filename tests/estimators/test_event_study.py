from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from villageaid.estimators import event_study, feols


def _panel(pre_effect: float = 0.0, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    units, years = 200, np.arange(2016, 2026)
    d = pd.DataFrame({"unit": np.repeat(np.arange(units), len(years)), "year": np.tile(years, units)})
    d["rich"] = np.repeat(rng.random(units) < 0.4, len(years)).astype(float)
    effect = np.where(d["year"] >= 2021, 0.5 + 0.1 * (d["year"] - 2021), np.where(d["year"] == 2019, pre_effect, 0))
    d["y"] = effect * d["rich"] + rng.normal(size=units)[d["unit"]] + rng.normal(size=len(d))
    return d


def test_event_study_equals_regression_on_hand_made_dummies() -> None:
    d = _panel()
    result = event_study(d, outcome="y", treatment="rich", time="year", unit="unit", reference=2020)
    manual = d.copy()
    terms = []
    for year in range(2016, 2026):
        if year != 2020:
            manual[f"rich_{year}"] = manual["rich"] * (manual["year"] == year)
            terms.append(f"rich_{year}")
    fit = feols(f"y ~ {' + '.join(terms)} | unit + year", manual, vcov={"CRV1": "unit"})
    table = result.tidy()
    assert table["period"].tolist() == list(range(2016, 2026))
    assert table.loc[table["period"] == 2020, "estimate"].item() == 0.0
    estimates = table.loc[table["period"] != 2020, "estimate"].to_numpy()
    np.testing.assert_allclose(estimates, fit.params.to_numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(table.loc[table["period"] != 2020, "std_error"].to_numpy(), fit.std_errors.to_numpy(),
                               rtol=1e-10, atol=0)
    # the pre-trend test: F = W / q with (q, n - K) degrees of freedom, as fixest's wald()
    pre = [f"rich_{y}" for y in (2016, 2017, 2018, 2019)]
    b = fit.params[pre].to_numpy()
    wald = b @ np.linalg.solve(fit.vcov.loc[pre, pre].to_numpy(), b)
    np.testing.assert_allclose(result.pre_trend.statistic, wald / 4, rtol=1e-10, atol=0)
    np.testing.assert_allclose(result.pre_trend.p_value, stats.f.sf(wald / 4, 4, fit.df_resid), rtol=1e-10, atol=0)
    assert fit.df_resid == fit.nobs - len(fit.params) - (200 + 10 - 1)


def test_event_study_recovers_effects_and_detects_pre_trends() -> None:
    clean = event_study(_panel(), outcome="y", treatment="rich", time="year", unit="unit", reference=2020)
    post = clean.tidy().set_index("period").loc[2021:, ["conf_low", "conf_high"]]
    truth = 0.5 + 0.1 * (np.arange(2021, 2026) - 2021)
    assert ((post["conf_low"] < truth) & (truth < post["conf_high"])).mean() >= 0.8
    assert clean.pre_trend.p_value > 0.01
    trending = event_study(_panel(pre_effect=1.0), outcome="y", treatment="rich", time="year", unit="unit",
                           reference=2020)
    assert trending.pre_trend.p_value < 0.001


def test_reference_must_exist() -> None:
    with pytest.raises(ValueError, match="reference period 2030"):
        event_study(_panel(), outcome="y", treatment="rich", time="year", unit="unit", reference=2030)
