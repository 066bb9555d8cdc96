"""IV with absorbed fixed effects: 2SLS from linearmodels, Anderson–Rubin sets written here."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from villageaid.estimators.iv import anderson_rubin_set, iv_fe


def _panel(strength: float, seed: int = 0, units: int = 150, periods: int = 6) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = units * periods
    unit = np.repeat(np.arange(units), periods)
    year = np.tile(np.arange(periods), units)
    z1, z2 = rng.normal(size=n), rng.binomial(1, 0.3, n).astype(float)
    confounder = rng.normal(size=n)
    effect = rng.normal(size=units)[unit]
    x = strength * (z1 + z2) + confounder + effect + rng.normal(size=n)
    y = 0.5 * x - confounder + effect + 0.1 * year + rng.normal(size=n)
    return pd.DataFrame({"y": y, "x": x, "z1": z1, "z2": z2, "unit": unit, "year": year})


def test_two_stage_least_squares_recovers_the_effect_and_ols_does_not() -> None:
    result = iv_fe(_panel(1.0), outcome="y", endogenous=["x"], instruments=["z1", "z2"],
                   fixed_effects=("unit", "year"), cluster="unit")
    assert abs(result.iv.params["x"] - 0.5) < 3 * np.sqrt(result.iv.vcov.loc["x", "x"])
    assert result.ols.params["x"] < 0.3  # the confounder biases OLS down
    assert result.first_stage_f["x"] > 50
    ar = result.anderson_rubin["x"]
    assert ar.bounded and len(ar.pieces) == 1
    low, high = ar.pieces[0]
    assert low < result.iv.params["x"] < high
    table = result.tidy()
    assert list(table["estimator"]) == ["2SLS", "OLS"] and "Anderson–Rubin" in str(result.summary())


def test_anderson_rubin_statistic_is_the_clustered_wald_test_of_the_reduced_form() -> None:
    """At any β₀ the statistic equals linearmodels' clustered Wald test of the instruments in y − β₀x, and the
    set's ends are where it crosses the chi-square critical value."""
    from linearmodels.iv import IV2SLS
    from scipy import stats

    from villageaid.estimators.demean import FixedEffects

    frame = _panel(0.6, seed=2)
    effects = FixedEffects.from_data(frame, ("unit", "year"))
    columns = ["y", "x", "z1", "z2"]
    demeaned = pd.DataFrame(effects.demean(frame[columns].to_numpy(float))[0], columns=columns)

    def wald(beta: float) -> float:
        fit = IV2SLS(demeaned["y"] - beta * demeaned["x"], demeaned[["z1", "z2"]], None, None).fit(
            cov_type="clustered", clusters=frame["unit"], debiased=True)
        return float(fit.params.to_numpy() @ np.linalg.solve(fit.cov.to_numpy(), fit.params.to_numpy()))

    for beta in (-1.0, 0.2, 0.5, 2.0):
        shifted = anderson_rubin_set((demeaned["y"] - beta * demeaned["x"]).to_numpy(), demeaned["x"].to_numpy(),
                                     demeaned[["z1", "z2"]].to_numpy(), np.zeros((len(frame), 0)),
                                     frame["unit"].to_numpy())
        assert shifted.statistic_at_zero == pytest.approx(wald(beta), rel=1e-9)
    result = iv_fe(frame, outcome="y", endogenous=["x"], instruments=["z1", "z2"], fixed_effects=("unit", "year"),
                   cluster="unit")
    for end in result.anderson_rubin["x"].pieces[0]:
        assert wald(end) == pytest.approx(stats.chi2.ppf(0.95, 2), rel=1e-6)


def test_weak_instruments_give_an_unbounded_set_not_a_narrow_interval() -> None:
    result = iv_fe(_panel(0.0, seed=4), outcome="y", endogenous=["x"], instruments=["z1", "z2"],
                   fixed_effects=("unit", "year"), cluster="unit")
    assert result.first_stage_f["x"] < 5
    ar = result.anderson_rubin["x"]
    assert not ar.bounded
    assert "inf" in ar.describe()


def test_refused_inputs() -> None:
    frame = _panel(1.0)
    with pytest.raises(ValueError, match="at least as many instruments"):
        iv_fe(frame, outcome="y", endogenous=["x", "z2"], instruments=["z1"], cluster="unit")
    with pytest.raises(KeyError, match="not in the data"):
        iv_fe(frame, outcome="y", endogenous=["x"], instruments=["nothing"], cluster="unit")
