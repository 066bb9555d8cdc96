"""The policy simulator on the default simulated data: the paper's claims about the policies, budget neutrality,
cross-fitting, serial = parallel, and the outputs built from it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from villageaid.analysis.policy import (
    POLICIES,
    SHAPES,
    CountyModel,
    PolicySettings,
    _halves,
    simulate_policies,
)
from villageaid.analysis.policy_inputs import counties_from_panel, estimate_policy_models, policy_lists
from villageaid.analysis.policy_rules import RULES
from villageaid.config import DEFAULT_SEED
from villageaid.panel.village_year import build_panel
from villageaid.simulation import simulate


@pytest.fixture(scope="module")
def default_data() -> tuple:
    """The default simulated edition: panel, the two lists, counties and models."""
    tables = simulate(seed=DEFAULT_SEED).tables
    panel = build_panel(tables)
    lists = policy_lists(tables)
    counties = counties_from_panel(panel, lists)
    return panel, lists, counties, estimate_policy_models(panel)


@pytest.fixture(scope="module")
def default_result(default_data: tuple) -> object:
    _, _, counties, models = default_data
    return simulate_policies(counties, models, draws=20, seed=3)


def _estimate(result: object, policy: str, measure: str, shape: str = "concave") -> float:
    table = result.table.set_index(["shape", "policy", "measure"])["estimate"]
    return float(table[(shape, policy, measure)])


def test_precise_matching_sends_high_level_posts_to_high_need_villages(default_result: object) -> None:
    """Issue 25: fewer city-level posts with rich villages than the status quo and the strong alliance."""
    rich = {p: _estimate(default_result, p, "city_posts_rich_share") for p in POLICIES}
    assert rich["precise_matching"] < rich["status_quo"]
    assert rich["precise_matching"] < rich["strong_alliance"]
    assert rich["strong_alliance"] == 1.0
    need = {p: _estimate(default_result, p, "city_posts_high_need_share") for p in POLICIES}
    assert need["precise_matching"] > need["status_quo"] > need["strong_alliance"]


def test_campaign_logic_lowers_the_number_below_the_bottom_line(default_result: object) -> None:
    before = _estimate(default_result, "status_quo", "villages_below_line")
    assert before > 0
    assert _estimate(default_result, "campaign", "villages_below_line") < before
    # and it is need-graded targeting, not an equal split: funding sits with the needy
    assert _estimate(default_result, "campaign", "concentration_by_need") < 0
    assert _estimate(default_result, "campaign", "gini_within_county") > 0.1
    assert _estimate(default_result, "strong_alliance", "concentration_by_need") > 0


def test_every_policy_keeps_every_county_total(default_data: tuple, default_result: object) -> None:
    """Budget neutrality to 1e-9 万元, county by county, for every policy, shape and draw."""
    _, _, counties, models = default_data
    coefficients = models.draws(6, 1)
    settings = PolicySettings()
    for county in counties:
        for shape in SHAPES:
            model = CountyModel(county, coefficients, shape, settings)
            plan = CountyModel(county, coefficients[:1], shape, settings)
            for name, (rule, _) in RULES.items():
                money = rule(county, plan, 9000.0).money(model)
                np.testing.assert_allclose(money.sum(axis=1), county.total, rtol=0, atol=1e-9,
                                           err_msg=f"county {county.name}, {name}, {shape}")
    differences = default_result.table.loc[default_result.table["measure"] == "county_total_difference"]
    assert (differences[["estimate", "conf_low", "conf_high"]].abs().to_numpy() <= 1e-9).all()
    totals = default_result.table.loc[default_result.table["measure"] == "total_funding", "estimate"]
    np.testing.assert_allclose(totals, sum(c.total for c in counties), rtol=1e-12, atol=0)
    added = default_result.table.set_index(["shape", "policy", "measure"])["estimate"]
    assert added[("concave", "opening", "added_funding")] == pytest.approx(0.1 * sum(c.total for c in counties))


def test_linear_returns_cannot_change_total_collective_income(default_result: object) -> None:
    for policy in POLICIES:
        if policy != "opening":
            assert _estimate(default_result, policy, "collective_income_change", "linear") == pytest.approx(
                0.0, abs=1e-6)


def test_cross_fitting_plans_on_the_other_half() -> None:
    coefficients = np.arange(11 * 7, dtype=float).reshape(11, 7)
    plans = _halves(coefficients)
    judged = np.sort(np.concatenate([rows for rows, _ in plans]))
    np.testing.assert_array_equal(judged, np.arange(11))
    (rows_a, plan_a), (_, plan_b) = plans
    np.testing.assert_array_equal(rows_a, [0, 6, 7, 8, 9, 10])
    np.testing.assert_allclose(plan_a[0], coefficients[1:6].mean(axis=0))  # judged rows never planned on
    np.testing.assert_allclose(plan_b[0], coefficients[6:].mean(axis=0))
    assert _halves(coefficients[:2])[0][0].tolist() == [0, 1]  # one draw: planned and judged on the estimate


def test_a_planned_policy_never_sees_the_draw_it_is_judged_on(default_data: tuple) -> None:
    """Changing one draw of the first half changes no number judged with the first half's plan."""
    _, _, counties, models = default_data
    base = simulate_policies(counties, models, draws=6, seed=2, shapes=("concave",))

    class Shifted(type(models)):
        def draws(self, n: int, seed: int) -> np.ndarray:
            rows = super().draws(n, seed)
            rows[5, 3:] *= 1.5  # a draw of the second half (rows 4-6): it shapes only the first half's plan
            return rows

    shifted = simulate_policies(counties, Shifted(*[getattr(models, f) for f in models.__dataclass_fields__]),
                                draws=6, seed=2, shapes=("concave",))
    for frame in (base, shifted):
        assert frame.cross_fitted
    a = base.table.set_index(["policy", "measure"])
    b = shifted.table.set_index(["policy", "measure"])
    # the estimate (row 0) is judged with the first half's plan, which does not use row 5
    pd.testing.assert_series_equal(a["estimate"], b["estimate"])


def test_serial_and_parallel_give_identical_numbers(default_data: tuple) -> None:
    _, _, counties, models = default_data
    serial = simulate_policies(counties, models, draws=6, seed=4, workers=0)
    forked = simulate_policies(counties, models, draws=6, seed=4, workers=2, pool="fork",
                               counties_per_task=1)
    chunked = simulate_policies(counties, models, draws=6, seed=4, workers=0, counties_per_task=1)
    pd.testing.assert_frame_equal(forked.table, chunked.table, check_exact=True)
    pd.testing.assert_frame_equal(forked.curve, chunked.curve, check_exact=True)
    pd.testing.assert_frame_equal(serial.table, chunked.table, rtol=1e-12)


@pytest.mark.slow
def test_serial_and_local_dask_cluster_give_identical_results(default_data: tuple) -> None:
    _, _, counties, models = default_data
    serial = simulate_policies(counties, models, draws=10, seed=4, workers=0)
    cluster = simulate_policies(counties, models, draws=10, seed=4, workers=2)
    assert cluster.backend.startswith("dask")
    pd.testing.assert_frame_equal(serial.table, cluster.table, check_exact=True)
    pd.testing.assert_frame_equal(serial.curve, cluster.curve, check_exact=True)


def test_the_same_seed_gives_the_same_numbers(default_data: tuple) -> None:
    _, _, counties, models = default_data
    one = simulate_policies(counties, models, draws=5, seed=9)
    two = simulate_policies(counties, models, draws=5, seed=9)
    assert one.table.to_csv().encode() == two.table.to_csv().encode()
    other = simulate_policies(counties, models, draws=5, seed=10)
    assert not one.table["conf_low"].equals(other.table["conf_low"])


def test_a_user_policy_as_a_function(default_data: tuple) -> None:
    _, _, counties, models = default_data

    def reverse(county: object, plan: object) -> np.ndarray:
        return np.arange(county.size)[::-1]

    result = simulate_policies(counties, models, draws=2, seed=1, custom_function=reverse, shapes=("concave",))
    assert "custom" in set(result.table["policy"])

    def not_a_permutation(county: object, plan: object) -> np.ndarray:
        return np.zeros(county.size, dtype=int)

    with pytest.raises(RuntimeError, match="permutation"):
        simulate_policies(counties, models, draws=0, seed=1, custom_function=not_a_permutation, shapes=("concave",))


def test_without_the_lists_stand_ins_are_used_and_said(default_data: tuple) -> None:
    panel, _, _, models = default_data
    counties = counties_from_panel(panel)
    assert all(c.gaps is None and c.units is None for c in counties)
    result = simulate_policies(counties, models, draws=0, seed=1, shapes=("concave",))
    assert any("No resource list" in note for note in result.notes)
    assert any("not cross-fitted" in note for note in result.notes)
    assert np.isnan(result.table.set_index(["policy", "measure"]).loc[("status_quo", "need_gaps_met"), "estimate"])


@pytest.mark.parametrize("shape", ["concave", "complementarity"])
def test_precise_matching_equals_an_independent_integer_program_on_both_counties(default_data: tuple,
                                                                                shape: str) -> None:
    """The posts' assignment (linear_sum_assignment through solve_assignment) against scipy's milp, built here."""
    from scipy import sparse
    from scipy.optimize import Bounds, LinearConstraint, milp

    from villageaid.analysis.policy_rules import match_posts

    _, _, counties, models = default_data
    for county in counties:
        plan = CountyModel(county, models.draws(0, 0), shape, PolicySettings())
        value = plan.welfare_value(plan.own_money[0][None, :] + plan.post_money[0][:, None])  # posts × villages
        n = county.size
        rows = sparse.kron(sparse.eye(n), np.ones((1, n)))  # each post once
        columns = sparse.kron(np.ones((1, n)), sparse.eye(n))  # each village once
        result = milp(-value.ravel(), integrality=np.ones(n * n), bounds=Bounds(0, 1),
                      constraints=LinearConstraint(sparse.vstack([rows, columns]), 1, 1))
        assert result.status == 0
        post = match_posts(county, plan)
        assert value[post, np.arange(n)].sum() == pytest.approx(-result.fun, rel=1e-9)
