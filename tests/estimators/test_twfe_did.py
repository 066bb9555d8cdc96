from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from villageaid.estimators import att_gt, feols
from villageaid.estimators.twfe_did import bacon_decomposition, sun_abraham, twfe_event_study

MPDTA = pd.read_csv(Path(__file__).resolve().parents[1] / "reference" / "did_mpdta" / "mpdta.csv").rename(
    columns={"first.treat": "g"})
ARGS = {"outcome": "lemp", "time": "year", "unit": "countyreal", "cohort": "g"}


def _staggered(seed: int = 4, always: bool = True) -> pd.DataFrame:
    """Balanced panel with cohorts 2, 4, 6, never-treated and always-treated units; effects grow over time."""
    rng = np.random.default_rng(seed)
    cohorts = np.array([0] * 40 + [2] * 30 + [4] * 30 + [6] * 30 + ([1] * 20 if always else []))
    units, periods = len(cohorts), np.arange(1, 9)
    d = pd.DataFrame({"unit": np.repeat(np.arange(units), len(periods)), "t": np.tile(periods, units)})
    d["g"] = cohorts[d["unit"]]
    e = d["t"] - d["g"]
    effect = np.where((d["g"] > 0) & (e >= 0), 1.0 + 0.5 * e + 0.3 * d["g"], 0.0)
    d["y"] = effect + rng.normal(size=units)[d["unit"]] + 0.2 * d["t"] + rng.normal(size=len(d))
    return d


@pytest.mark.parametrize("frame", ["mpdta", "simulated"])
def test_bacon_weights_sum_to_one_and_reproduce_twfe(frame: str) -> None:
    if frame == "mpdta":
        result = bacon_decomposition(MPDTA, **ARGS)
    else:
        result = bacon_decomposition(_staggered(), outcome="y", time="t", unit="unit", cohort="g")
        assert "treated vs always treated" in set(result.comparisons["type"])
    np.testing.assert_allclose(result.comparisons["weight"].sum(), 1.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(result.weighted_sum, result.twfe_estimate, rtol=0, atol=1e-10)
    assert (result.comparisons["weight"] > 0).all()


def test_bacon_twfe_is_the_static_regression() -> None:
    d = MPDTA.assign(treated=((MPDTA["g"] > 0) & (MPDTA["year"] >= MPDTA["g"])).astype(float))
    fit = feols("lemp ~ treated | countyreal + year", d, vcov="iid")
    np.testing.assert_allclose(bacon_decomposition(MPDTA, **ARGS).twfe_estimate, fit.params["treated"], rtol=1e-12,
                               atol=0)


def test_bacon_needs_a_balanced_panel() -> None:
    with pytest.raises(ValueError, match="balanced panel"):
        bacon_decomposition(MPDTA.iloc[1:], **ARGS)


def test_sun_abraham_equals_callaway_santanna_with_never_treated_controls() -> None:
    sa = sun_abraham(MPDTA, **ARGS).tidy().set_index("event_time")["estimate"]
    post = att_gt(MPDTA, outcome="lemp", time="year", unit="countyreal", cohort="g").aggregate("dynamic").tidy()
    post = post.set_index("event_time")["estimate"]
    np.testing.assert_allclose(sa.loc[[0, 1, 2, 3]], post.loc[[0, 1, 2, 3]], rtol=1e-10, atol=1e-12)
    universal = att_gt(MPDTA, outcome="lemp", time="year", unit="countyreal", cohort="g", base_period="universal")
    pre = universal.aggregate("dynamic").tidy().set_index("event_time")["estimate"]
    np.testing.assert_allclose(sa.loc[[-4, -3, -2]], pre.loc[[-4, -3, -2]], rtol=1e-10, atol=1e-12)


def test_sun_abraham_recovers_heterogeneous_effects_and_twfe_covers_the_same_event_times() -> None:
    d = _staggered(always=False)
    truth = {e: 1.0 + 0.5 * e + 0.3 * 4 for e in (0, 1, 2)}  # cohorts 2, 4, 6 equally weighted at e = 0, 1, 2
    twfe = twfe_event_study(d, outcome="y", time="t", unit="unit", cohort="g").tidy()
    sa = sun_abraham(d, outcome="y", time="t", unit="unit", cohort="g").tidy()
    for e, value in truth.items():
        row = sa.set_index("event_time").loc[e]
        assert row["conf_low"] < value < row["conf_high"]
    assert list(twfe["event_time"]) == list(sa["event_time"])
    assert twfe.set_index("event_time").loc[-1, "estimate"] == 0.0


def test_callaway_santanna_recovers_heterogeneous_dynamic_effects() -> None:
    d = _staggered(always=False)
    dynamic = att_gt(d, outcome="y", time="t", unit="unit", cohort="g").aggregate("dynamic").tidy()
    dynamic = dynamic.set_index("event_time")
    for e in (0, 1, 2):
        truth = 1.0 + 0.5 * e + 0.3 * 4
        assert dynamic.loc[e, "conf_low"] < truth < dynamic.loc[e, "conf_high"]
    for e in (-3, -2, -1):  # no effect before treatment
        assert dynamic.loc[e, "conf_low"] < 0 < dynamic.loc[e, "conf_high"]
