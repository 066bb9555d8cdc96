"""IV with absorbed fixed effects: 2SLS through the variance core, first stages and Anderson–Rubin sets.

fixest references for every variance are in test_fixest_reference.py."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from villageaid.estimators import CRV1, CRV3, HC1, feols
from villageaid.estimators.iv import iv_fe


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
    assert list(result.tidy()["term"]) == ["x"] and list(result.ols.tidy()["term"]) == ["x"]
    assert "Anderson–Rubin" in str(result.summary())


@pytest.mark.parametrize("vcov", [CRV1("unit"), HC1(), CRV3("unit"), CRV1("unit+year")], ids=str)
def test_anderson_rubin_statistic_is_the_wald_test_of_the_reduced_form(vcov) -> None:
    """At any β₀ the statistic equals the Wald test of the instruments in a regression of y − β₀x fitted anew
    (feols, the same variance), and the set's ends are where that test crosses the chi-square critical value."""
    from scipy import stats

    frame = _panel(0.6, seed=2)

    def wald(beta: float) -> float:
        fit = feols("shifted ~ z1 + z2 | unit + year", frame.assign(shifted=frame["y"] - beta * frame["x"]), vcov=vcov)
        return fit.wald_test(["z1", "z2"]).statistic * 2  # F = W/q

    result = iv_fe(frame, outcome="y", endogenous=["x"], instruments=["z1", "z2"], fixed_effects=("unit", "year"),
                   vcov=vcov)
    robust = result.anderson_rubin["x"]
    assert robust.statistic_at_zero == pytest.approx(wald(0.0), rel=1e-9)
    for end in robust.pieces[0]:
        assert wald(end) == pytest.approx(stats.chi2.ppf(0.95, 2), rel=1e-6)
    # with_vcov recomputes the set from the stored fits without refitting: equal to a fit with that variance.
    switched = iv_fe(frame, outcome="y", endogenous=["x"], instruments=["z1", "z2"], fixed_effects=("unit", "year"),
                     vcov="iid").with_vcov(vcov)
    np.testing.assert_allclose(switched.anderson_rubin["x"].pieces, robust.pieces, rtol=1e-10, atol=0)
    np.testing.assert_allclose(switched.std_errors, result.std_errors, rtol=1e-12, atol=0)


def test_the_iv_jackknife_equals_brute_force_refits() -> None:
    frame = _panel(1.0, seed=5, units=40)
    result = iv_fe(frame, outcome="y", endogenous=["x"], instruments=["z1", "z2"], fixed_effects=("unit", "year"),
                   vcov=CRV3("unit"))
    groups = sorted(frame["unit"].unique())
    leave_out = np.array([iv_fe(frame[frame["unit"] != g], outcome="y", endogenous=["x"], instruments=["z1", "z2"],
                                fixed_effects=("unit", "year")).params["x"] for g in groups])
    expected = (len(groups) - 1) / len(groups) * ((leave_out - result.params["x"]) ** 2).sum()
    assert result.vcov.loc["x", "x"] == pytest.approx(expected, rel=1e-10)
    assert result.df_t == len(groups) - 1


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
    with pytest.raises(ValueError, match="not both"):
        iv_fe(frame, outcome="y", endogenous=["x"], instruments=["z1"], cluster="unit", vcov="iid")
    with pytest.raises(ValueError, match="not identified"):
        iv_fe(frame.assign(constant=1.0), outcome="y", endogenous=["x"], instruments=["constant"],
              fixed_effects=("unit",))
