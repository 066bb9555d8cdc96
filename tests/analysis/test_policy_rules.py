"""The policies: each optimiser against brute force or an independent program, each rule doing what it says."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest

from tests.analysis.test_policy_model import COEF, small_county
from villageaid.analysis.policy_model import (
    SHAPES,
    UNIT_RESOURCE_COLUMNS,
    Allocation,
    County,
    CountyModel,
    CountyUnits,
    PolicySettings,
)
from villageaid.analysis.policy_rules import (
    RULES,
    _project_values,
    cadre_reform,
    campaign_funding,
    match_posts,
    match_slots,
    pool_projects,
    slots_following_posts,
    strong_alliance,
)


def with_lists(county: County, seed: int = 0, *, spare: int = 2) -> County:
    """The county with need gaps and a resource list: one unit per post, the city-level ones with spare slots."""
    rng = np.random.default_rng(seed)
    n = county.size
    gaps = rng.random((n, 5))
    capacity = np.column_stack([rng.uniform(20, 200, n), rng.integers(0, 3, n), rng.integers(0, 3, n),
                                np.where(county.city, 1 + spare, 1)]).astype(float)
    units = CountyUnits(county.unit_id.copy(), capacity, np.where(county.city, float(spare), 0.0), county.city.copy(),
                        np.arange(n))
    return replace(county, gaps=gaps, need=gaps.mean(axis=1), units=units)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("shape", ["concave", "linear"])
def test_precise_matching_is_the_best_of_all_assignments(seed: int, shape: str) -> None:
    """Against every permutation of the posts (7! = 5,040)."""
    county = small_county(n=7, seed=seed, city=3)
    plan = CountyModel(county, COEF, shape, PolicySettings())
    funding = plan.own_money[0][None, :] + plan.post_money[0][:, None]
    value = plan.welfare_value(funding)  # posts × villages
    best = max(value[list(perm), np.arange(7)].sum() for perm in itertools.permutations(range(7)))
    post = match_posts(county, plan)
    assert sorted(post) == list(range(7))
    assert value[post, np.arange(7)].sum() == pytest.approx(best, rel=1e-12)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("cap", [1.0, 2.0, np.inf])
def test_pooling_greedy_equals_the_knapsack_program(seed: int, shape: str, cap: float) -> None:
    """The greedy (where exact) and the multiple-choice knapsack through milp reach the same need-weighted welfare."""
    county = small_county(n=10, seed=seed)
    settings = PolicySettings(project_size=40.0)
    plan = CountyModel(county, COEF, shape, settings)
    total, n, size = county.total, county.size, settings.project_size
    projects = int(np.floor(total / size + 1e-9))
    most = min(projects, projects if not np.isfinite(cap) else max(1, int(np.floor(cap * total / n / size + 1e-9))))
    values = _project_values(county, plan, most, total - projects * size)
    auto, milp = pool_projects(county, plan, cap), pool_projects(county, plan, cap, method="milp")
    for count in (auto, milp):
        assert count.sum() <= projects and count.max() <= most
    assert values[np.arange(n), auto].sum() == pytest.approx(values[np.arange(n), milp].sum(), rel=1e-9)


def test_pooling_handles_values_that_are_not_concave() -> None:
    """A village whose value is convex in its projects: the knapsack is used and beats a naive greedy."""
    county = small_county(n=4, seed=5)
    plan = CountyModel(county, COEF, "concave", PolicySettings(project_size=25.0))
    convex = np.array([[0.0, 0.1, 0.2, 5.0], [0.0, 1.0, 1.5, 1.8], [0.0, 0.9, 1.2, 1.3], [0.0, 0.2, 0.3, 0.35]])
    from villageaid.analysis import policy_rules

    original = policy_rules._project_values
    try:
        policy_rules._project_values = lambda *args: convex
        best = max((convex[np.arange(4), list(k)].sum(), k) for k in itertools.product(range(4), repeat=4)
                   if sum(k) <= 3)
        count = pool_projects(county, plan, np.inf)
    finally:
        policy_rules._project_values = original
    projects = int(np.floor(county.total / 25.0 + 1e-9))
    if projects >= 3:  # the county's fund buys at least three projects
        assert convex[np.arange(4), count].sum() >= best[0] - 1e-9


def test_campaign_money_goes_to_the_bottom_line_neediest_first() -> None:
    county = small_county(n=12, seed=4)
    plan = CountyModel(county, COEF, "concave", PolicySettings())
    line = float(np.quantile(county.per_capita, 0.3))
    funding = campaign_funding(county, plan, line)
    assert funding.sum() == pytest.approx(county.total, rel=1e-12)
    income = plan.per_capita(funding)[0]
    needed = plan.funding_for(line)
    cap = plan.settings.campaign_cap * county.total / county.size
    order = county.need_order()
    covered = np.zeros(county.size, dtype=bool)
    covered[order] = np.cumsum(np.minimum(needed, cap)[order]) <= county.total  # before the money runs out
    lifted = covered & (needed <= cap)
    assert lifted.sum() >= 3
    assert (income[lifted] >= line * (1 - 1e-9)).all()  # the money covered every village it could lift, in order
    # a line every village meets now: each needs at most its own funding to stay there, and the money suffices
    low = 0.99 * float(county.per_capita.min())
    assert (plan.funding_for(low) <= county.funding + 1e-9).all()
    assert (plan.per_capita(campaign_funding(county, plan, low))[0] >= low * (1 - 1e-9)).all()
    # the rest is shared by need: among villages needing nothing for the line, more need, more money
    free = needed == 0
    order = np.argsort(county.need[free])
    assert np.all(np.diff(funding[free][order]) >= -1e-9)
    # with too little money the neediest come first
    poor = replace(county, funding=county.funding * 0.01)
    plan_poor = CountyModel(poor, COEF, "concave", PolicySettings())
    little = campaign_funding(poor, plan_poor, line)
    assert little.sum() == pytest.approx(poor.total, rel=1e-12)
    neediest = poor.need_order()[0]
    assert little[neediest] == pytest.approx(min(plan_poor.funding_for(line)[neediest],
                                                 3.0 * poor.total / poor.size, poor.total), rel=1e-9)


def test_strong_alliance_and_campaign_order_the_posts() -> None:
    county = small_county(n=10, seed=6, city=3)
    plan = CountyModel(county, COEF, "concave", PolicySettings())
    alliance = strong_alliance(county, plan, 0.0)
    richest = county.richest_order()[:3]
    assert county.city[alliance.post[richest]].all()
    campaign = RULES["campaign"][0](county, plan, 0.0)
    assert county.city[campaign.post[county.need_order()[:3]]].all()


def test_cadre_reform_stays_within_the_cadre_budget() -> None:
    county = with_lists(small_county(n=12, seed=7, city=2), spare=3)
    settings = PolicySettings()
    reform = cadre_reform(county, CountyModel(county, COEF, "concave", settings), 0.0)
    created = int((reform.post == -1).sum())
    assert 0 < created <= 2 * 3  # from the high-level units' spare slots
    cost = settings.cadre_cost
    before = sum(cost[lv] for lv in county.level) + (county.team_size - 1).sum()
    secretaries = [cost[county.level[p]] if p >= 0 else cost["city"] for p in reform.post]
    after = sum(secretaries) + (reform.team_size - 1).sum()
    assert after <= before
    key = county.need_order()[:2 + created]
    assert reform.post_city(county)[key].all()  # the high-level posts sit with the neediest villages
    ordinary = np.setdiff1d(np.arange(county.size), key)
    assert (reform.team_size[ordinary] == settings.ordinary_team_size).all()
    without = cadre_reform(replace(county, units=None), CountyModel(county, COEF, "concave", settings), 0.0)
    assert (without.post >= 0).all()  # no resource list: no spare slots, no new posts


def test_slots_are_matched_to_the_gaps_they_serve() -> None:
    county = with_lists(small_county(n=10, seed=8))
    met, servable = match_slots(county)
    following = slots_following_posts(county, np.arange(county.size))
    assert following is not None and following[0] <= met + 1e-9 and servable == following[1]
    # slots of one type are interchangeable: the optimum fills the largest gaps of each type, up to the slots
    gaps = np.nan_to_num(county.gaps)
    expected = 0.0
    for k, dims in enumerate(([0, 1, 3], [1, 4])):  # technical, market (RESOURCE_SERVES)
        slots = int(np.floor(county.units.capacity[:, UNIT_RESOURCE_COLUMNS.index(("technical", "market")[k])]).sum())
        expected += np.sort(gaps[:, dims].max(axis=1))[::-1][:slots].sum()
    assert met == pytest.approx(expected, rel=1e-9)
    assert match_slots(replace(county, units=None)) is None


def test_every_rule_keeps_the_county_total() -> None:
    county = with_lists(small_county(n=15, seed=9, city=4), spare=2)
    coefficients = np.repeat(COEF, 7, axis=0) * np.linspace(0.6, 1.4, 7)[:, None]
    for shape in SHAPES:
        model = CountyModel(county, coefficients, shape, PolicySettings())
        plan = CountyModel(county, coefficients[:1], shape, PolicySettings())
        for name, (rule, _) in RULES.items():
            allocation: Allocation = rule(county, plan, float(np.median(county.per_capita)))
            np.testing.assert_allclose(allocation.money(model).sum(axis=1), county.total, rtol=0, atol=1e-9,
                                       err_msg=f"{name} under {shape}")


@pytest.mark.parametrize("seed", range(5))
def test_the_knapsack_program_is_exact_on_values_of_any_shape(seed: int) -> None:
    """The dynamic program (pooling where the greedy is not exact) against every combination of projects."""
    from villageaid.analysis.policy_rules import _knapsack_projects

    rng = np.random.default_rng(seed)
    values = np.cumsum(rng.normal(size=(4, 5)), axis=1)  # neither concave nor monotone
    for projects in (0, 3, 6, 16):
        count = _knapsack_projects(values, projects)
        best = max(values[np.arange(4), list(k)].sum() for k in itertools.product(range(5), repeat=4)
                   if sum(k) <= projects)
        assert count.sum() <= projects
        assert values[np.arange(4), count].sum() == pytest.approx(best, rel=1e-12, abs=1e-12)


def test_slot_matching_equals_the_transportation_program() -> None:
    """Sorting the gains of each slot type equals the full transportation problem solved by solve_assignment."""
    from villageaid.analysis.policy_rules import _best_gaps, _slot_capacity
    from villageaid.estimators.assignment import solve_assignment

    for seed in range(3):
        county = with_lists(small_county(n=12, seed=seed))
        best, capacity = _best_gaps(county), _slot_capacity(county)
        value = np.full((capacity.shape[0] * 2, county.size * 2), -np.inf)
        for k in range(2):
            value[k::2, k::2] = best[:, k][None, :]
        program = solve_assignment(value, capacity.reshape(-1), 1.0)
        assert match_slots(county)[0] == pytest.approx(program.objective, rel=1e-12)


def test_slots_following_posts_serve_the_neediest_of_each_unit_first() -> None:
    county = with_lists(small_county(n=15, seed=2))
    rng = np.random.default_rng(1)
    for post in (np.arange(15), rng.permutation(15), np.where(np.arange(15) < 3, -1, rng.permutation(15))):
        best = np.column_stack([np.nan_to_num(county.gaps)[:, [0, 1, 3]].max(axis=1),
                                np.nan_to_num(county.gaps)[:, [1, 4]].max(axis=1)])
        capacity = np.floor(county.units.capacity[:, [1, 2]])
        unit = np.where(post >= 0, county.units.post_unit[np.maximum(post, 0)], -1)
        served = 0.0
        for k in range(2):  # the rule written out as loops
            left = capacity[:, k].copy()
            for village in county.need_order():
                if unit[village] >= 0 and left[unit[village]] >= 1:
                    left[unit[village]] -= 1
                    served += best[village, k]
        assert slots_following_posts(county, post) == (served, float(best.sum()))
