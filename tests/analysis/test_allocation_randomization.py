"""Randomisation inference on the strong alliance (Table 3): units permuted among each county's villages."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from villageaid.analysis.allocation import _fast_coefficient, allocation_models, unit_randomization
from villageaid.analysis.variables import analysis_frame
from villageaid.estimators import feols
from villageaid.panel import build_panel
from villageaid.simulation import simulate


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return build_panel(simulate(seed=5).tables)


def test_the_fast_refit_equals_feols_on_a_permuted_frame(panel: pd.DataFrame) -> None:
    results = allocation_models(panel, bootstrap_draws=0, vcov={"CRV1": "village"}, models=("asinh_ols",))
    formula = results.asinh_ols.formula
    frame = analysis_frame(panel)
    frame = frame.loc[frame["period"] == "transition"].sort_values(["village", "year"], kind="stable")

    def rebuilt(data: pd.DataFrame) -> pd.DataFrame:
        return data.assign(city_x_rich=data["city"] * data["rich_village"],
                           city_x_members=data["city"] * (data["members_strength"] - 1.0))

    fast = _fast_coefficient(formula, frame, "city_x_rich", rebuilt)
    assert fast.__name__ == "coefficient"  # the least-squares path, not the feols fallback
    np.testing.assert_allclose(fast(frame), results.asinh_ols.params["city_x_rich"], rtol=1e-9, atol=1e-12)
    # move the units of two villages of one county between them: the fast refit still equals feols
    villages = frame.loc[frame["county"] == frame["county"].iloc[0], "village"].unique()[:2]
    swapped = frame.copy()
    for trait in ("city", "strong", "members_strength"):
        a, b = (swapped["village"] == villages[0]), (swapped["village"] == villages[1])
        values_a, values_b = swapped.loc[a, trait].to_numpy(), swapped.loc[b, trait].to_numpy()
        swapped.loc[a, trait], swapped.loc[b, trait] = values_b, values_a
    reference = feols(formula, rebuilt(swapped), vcov="iid").params["city_x_rich"]
    np.testing.assert_allclose(fast(swapped), reference, rtol=1e-9, atol=1e-12)


def test_the_test_is_seeded_and_reports_the_models_coefficient(panel: pd.DataFrame) -> None:
    results = allocation_models(panel, bootstrap_draws=0, vcov={"CRV1": "village"}, models=("asinh_ols",),
                                randomization_draws=199, seed=4)
    test = results.strong_alliance_randomization
    assert test is not None and not test.exact and test.assignments == 200
    np.testing.assert_allclose(test.statistic, results.asinh_ols.params["city_x_rich"], rtol=1e-9, atol=1e-12)
    assert 1 / 200 <= test.p_value <= 1
    again = allocation_models(panel, bootstrap_draws=0, vcov={"CRV1": "village"}, models=("asinh_ols",),
                              randomization_draws=199, seed=4).strong_alliance_randomization
    assert again.p_value == test.p_value
    assert allocation_models(panel, bootstrap_draws=0, vcov={"CRV1": "village"},
                             models=("asinh_ols",)).strong_alliance_randomization is None


def test_under_the_sharp_null_the_p_value_is_not_small() -> None:
    """The null scenario's units do nothing: the randomisation p-value of city × rich is uniform; on one draw of
    the data it falls below 0.01 only by a one-in-a-hundred chance (seed fixed)."""
    from villageaid.simulation import SCENARIOS

    panel = build_panel(simulate(SCENARIOS["null"](), seed=2).tables)
    frame = analysis_frame(panel)
    frame = frame.loc[frame["period"] == "transition"]
    formula = allocation_models(panel, bootstrap_draws=0, vcov={"CRV1": "village"},
                                models=("asinh_ols",)).asinh_ols.formula
    test = unit_randomization(formula, frame, "city_x_rich", draws=199, seed=1)
    assert test.p_value > 0.01
