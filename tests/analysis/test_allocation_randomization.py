"""Randomisation inference on the strong alliance (Table 3): units permuted among each county's villages."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from villageaid.analysis.allocation import _fast_coefficient, _unit_products, allocation_models, unit_randomization
from villageaid.analysis.variables import analysis_frame
from villageaid.estimators import feols
from villageaid.panel import build_panel
from villageaid.simulation import simulate


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return build_panel(simulate(seed=5).tables)


TRAITS = ("city", "strong", "members_strength")
READS = ("rich_village", "members_strength", "city_x_members")


def _transition_frame(panel: pd.DataFrame) -> pd.DataFrame:
    frame = analysis_frame(panel)
    return frame.loc[frame["period"] == "transition"].sort_values(["village", "year"], kind="stable")


def _swap_two_villages(frame: pd.DataFrame) -> np.ndarray:
    """Rows of an assignment that swaps the units of two villages of one county (as many years each)."""
    villages = frame.loc[frame["county"] == frame["county"].iloc[0], "village"].unique()[:2]
    rows = np.arange(len(frame))
    a = np.flatnonzero((frame["village"] == villages[0]).to_numpy())
    b = np.flatnonzero((frame["village"] == villages[1]).to_numpy())
    rows[a], rows[b] = b, a
    return rows


def test_the_fast_refit_equals_feols_on_a_permuted_frame(panel: pd.DataFrame) -> None:
    results = allocation_models(panel, bootstrap_draws=0, vcov={"CRV1": "village"}, models=("asinh_ols",))
    formula = results.asinh_ols.formula
    frame = _transition_frame(panel)
    fast, reads = _fast_coefficient(formula, frame, "city_x_rich", _unit_products, TRAITS, product_reads=READS)
    assert reads == "rows"  # the least-squares path, not the feols fallback
    np.testing.assert_allclose(fast(np.arange(len(frame))), results.asinh_ols.params["city_x_rich"], rtol=1e-9,
                               atol=1e-12)
    # move the units of two villages of one county between them: the fast refit still equals feols
    rows = _swap_two_villages(frame)
    swapped = frame.copy()
    for trait in TRAITS:
        swapped[trait] = frame[trait].to_numpy()[rows]
    reference = feols(formula, swapped.assign(**_unit_products(swapped)), vcov="iid").params["city_x_rich"]
    np.testing.assert_allclose(fast(rows), reference, rtol=1e-9, atol=1e-12)


def test_the_fast_refit_is_the_same_bits_as_rebuilding_the_whole_frame(panel: pd.DataFrame) -> None:
    """The refit from gathered columns does the arithmetic of the earlier refit, which rebuilt the frame of every
    assignment and demeaned its design columns: the same bits, on the observed and on random assignments."""
    from villageaid.estimators.demean import FixedEffects
    from villageaid.estimators.formula import parse_formula

    formula = allocation_models(panel, bootstrap_draws=0, vcov={"CRV1": "village"},
                                models=("asinh_ols",)).asinh_ols.formula
    frame = _transition_frame(panel)
    parsed = parse_formula(formula)
    fixed = FixedEffects.from_data(frame, parsed.fixed_effects)
    outcome = fixed.demean(frame[[parsed.depvar]].to_numpy(dtype=float))[0][:, 0]

    def whole_frame(rows: np.ndarray) -> float:  # the earlier implementation
        moved = frame.copy(deep=False)
        for trait in TRAITS:
            moved[trait] = frame[trait].array.take(rows)
        moved = moved.assign(**_unit_products(moved))
        design = fixed.demean(moved[list(parsed.terms)].to_numpy(dtype=float))[0]
        return float(np.linalg.lstsq(design, outcome, rcond=None)[0][parsed.terms.index("city_x_rich")])

    fast, _ = _fast_coefficient(formula, frame, "city_x_rich", _unit_products, TRAITS, product_reads=READS)
    rng = np.random.default_rng(3)
    assignments = [np.arange(len(frame)), _swap_two_villages(frame), rng.permutation(len(frame))]
    for rows in assignments:
        assert fast(rows) == whole_frame(rows)


def test_a_formula_the_fast_path_cannot_take_refits_with_feols(panel: pd.DataFrame) -> None:
    frame = _transition_frame(panel)
    formula = "asinh_funding_total ~ city + rich_village + city:rich_village | county^year"
    statistic, reads = _fast_coefficient(formula, frame, "city:rich_village", _unit_products, TRAITS,
                                         product_reads=READS)
    assert reads == "frame"
    expected = feols(formula, frame.assign(**_unit_products(frame)), vcov="iid").params["city:rich_village"]
    assert statistic(frame) == float(expected)


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
