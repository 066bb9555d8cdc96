"""H10: the returns to funding recover the simulated truth; bad inputs are refused with a reason."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from villageaid.analysis.returns import FUNDING, INTERACTION, returns_models
from villageaid.panel.village_year import build_panel
from villageaid.simulation import simulate


def _fit(seed: int) -> tuple[object, dict]:
    data = simulate(seed=seed)
    return returns_models(build_panel(data.tables)), data.truth["effects"]


@pytest.fixture(scope="module")
def default() -> tuple[object, dict]:
    return _fit(20240601)


def test_iv_recovers_the_simulated_returns(default: tuple) -> None:
    results, truth = default
    for outcome, model in results.iv.items():
        true = truth["H10_returns"][f"mean_return_{outcome}"]
        estimate, se = model.iv.params[FUNDING], np.sqrt(model.iv.vcov.loc[FUNDING, FUNDING])
        assert abs(estimate - true) < 3 * se
        assert model.first_stage_f[FUNDING] > 10
        low, high = model.anderson_rubin[FUNDING].hull
        assert low < true < high
    for outcome, model in results.heterogeneity.items():
        true = truth["H10_returns"][outcome]
        for term, key in ((FUNDING, "asinh_funding"), (INTERACTION, "asinh_funding_x_endowment_index")):
            assert abs(model.iv.params[term] - true[key]) < 3 * np.sqrt(model.iv.vcov.loc[term, term])


def test_marginal_returns_are_lower_in_richer_villages_and_arrival_matches_truth(default: tuple) -> None:
    results, truth = default
    marginal = results.marginal_returns.set_index(["outcome", "villages"])["estimate"]
    for outcome in results.iv:
        assert marginal[(outcome, "poorer (20th percentile)")] > marginal[(outcome, "richer (80th percentile)")]
    arrival = truth["H10_arrival"]
    assert results.arrival_cohorts == {arrival["cohort"]: arrival["villages"]}
    post = [v for year, v in arrival["att_log_collective_income_by_year"].items() if int(year) >= arrival["cohort"]]
    simple = results.arrival_simple
    assert abs(simple.overall_estimate - np.mean(post)) < 3 * simple.overall_std_error


def test_without_outcomes_or_instrument_variation_it_says_why(default: tuple) -> None:
    data = simulate(seed=3)
    panel = build_panel(data.tables)
    with pytest.raises(ValueError, match="no outcome data"):
        returns_models(panel.assign(collective_income=np.nan))
    with pytest.raises(ValueError, match="instruments are constant"):
        returns_models(panel.assign(city_unit=pd.array([False] * len(panel), dtype="boolean"),
                                    strong_unit=pd.array([False] * len(panel), dtype="boolean")))


@pytest.mark.slow
def test_coverage_of_the_iv_and_anderson_rubin_intervals() -> None:
    """60 simulated data sets: 95% Wald and AR intervals of the return on log collective income cover the truth
    about 95% of the time (binomial sd 0.028)."""
    wald = ar = 0
    replications = 60
    for seed in range(replications):
        results, truth = _fit(1000 + seed)
        model = results.iv["log_collective_income"]
        true = truth["H10_returns"]["mean_return_log_collective_income"]
        low, high = model.iv.conf_int().loc[FUNDING]
        wald += int(low <= true <= high)
        ar += int(any(a <= true <= b for a, b in model.anderson_rubin[FUNDING].pieces))
    assert wald / replications >= 0.85 and ar / replications >= 0.85
