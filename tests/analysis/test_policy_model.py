"""The policy simulator's model: money follows the posts within a fixed total; the four return shapes; welfare."""

from __future__ import annotations

import numpy as np
import pytest

from villageaid.analysis.policy_model import (
    COEFFICIENTS,
    SHAPES,
    Allocation,
    County,
    CountyModel,
    PolicySettings,
    equivalent_income,
    utility,
)


def small_county(n: int = 8, seed: int = 0, *, city: int = 2) -> County:
    """A county of ``n`` villages with ``city`` city-level posts (the first ones) and varied needs."""
    rng = np.random.default_rng(seed)
    endowment = rng.normal(size=n)
    is_city = np.zeros(n, dtype=bool)
    is_city[:city] = True
    strong = rng.random(n) < 0.4
    need = rng.random(n)
    return County(
        f"K{seed}", np.array([f"V{i}" for i in range(n)], dtype=object),
        np.array([f"U{i}" for i in range(n)], dtype=object),
        np.where(is_city, "city", "county").astype(object), is_city, strong, endowment > 0.4, endowment,
        np.exp(rng.normal(3.5, 0.6, n)), np.exp(rng.normal(2.0, 0.5, n)), np.exp(rng.normal(9.4, 0.3, n)),
        rng.integers(300, 3000, n).astype(float), need, endowment <= np.quantile(endowment, 0.4),
        need >= np.quantile(need, 2 / 3), np.full(n, 3))


#: One coefficient row: city, strong, city × rich, θ₀, θ₁ (collective), θ₀, θ₁ (per capita).
COEF = np.array([[0.5, 0.1, 0.8, 0.08, -0.05, 0.03, -0.02]])


def test_coefficient_names_match_the_row() -> None:
    assert COEF.shape[1] == len(COEFFICIENTS)


@pytest.mark.parametrize("shape", SHAPES)
def test_every_shape_reproduces_the_status_quo(shape: str) -> None:
    county = small_county()
    model = CountyModel(county, COEF, shape, PolicySettings())
    np.testing.assert_allclose(model.level("collective", county.funding)[0], county.income, rtol=1e-12)
    np.testing.assert_allclose(model.per_capita(county.funding)[0], county.per_capita, rtol=1e-12)


def test_the_shapes_are_what_they_say() -> None:
    county = small_county(n=10, seed=1)
    settings = PolicySettings()
    moved = county.funding[::-1].copy()  # a budget-neutral reallocation
    linear = CountyModel(county, COEF, "linear", settings)
    # the same return everywhere: a budget-neutral reallocation leaves total collective income unchanged
    assert (linear.level("collective", moved) - county.income).sum() == pytest.approx(0.0, abs=1e-9)
    # concave: the estimated form, θ held at 0 where negative
    concave = CountyModel(county, COEF, "concave", settings)
    theta = np.clip(COEF[0, 3] + COEF[0, 4] * county.endowment, 0.0, None)
    np.testing.assert_allclose(concave.level("collective", moved)[0],
                               county.income * np.exp(theta * (np.arcsinh(moved) - np.arcsinh(county.funding))),
                               rtol=1e-12)
    # complementarity: θ rises with endowment
    complementarity = CountyModel(county, COEF, "complementarity", settings)
    order = np.argsort(county.endowment)
    assert np.all(np.diff(complementarity._theta["collective"][0][order]) >= 0)
    # lumpy: money counts only in whole projects
    lumpy = CountyModel(county, COEF, "lumpy", settings)
    size = settings.project_size
    within = np.floor(county.funding / size) * size + 0.5 * size  # the same number of projects
    np.testing.assert_allclose(lumpy.level("collective", within)[0], county.income, rtol=1e-12)


def test_money_follows_the_posts_within_the_county_total() -> None:
    county = small_county(n=9, seed=2, city=3)
    model = CountyModel(county, np.repeat(COEF, 5, axis=0) * np.linspace(0.5, 1.5, 5)[:, None], "concave",
                        PolicySettings())
    np.testing.assert_allclose(model.own_money + model.post_money, np.broadcast_to(county.funding, (5, 9)),
                               rtol=1e-12)
    assert (model.post_money >= 0).all() and (model.own_money >= 0).all()
    permuted = Allocation(np.roll(np.arange(9), 3)).money(model)
    np.testing.assert_allclose(permuted.sum(axis=1), county.total, rtol=0, atol=1e-9)
    created = Allocation(np.array([-1, -1, 0, 1, 2, 3, 4, 5, 6])).money(model)  # two new high-level posts
    np.testing.assert_allclose(created.sum(axis=1), county.total, rtol=0, atol=1e-9)


@pytest.mark.parametrize("shape", SHAPES)
def test_funding_for_the_bottom_line_reaches_it(shape: str) -> None:
    county = small_county(n=12, seed=3)
    model = CountyModel(county, COEF, shape, PolicySettings())
    target = float(np.median(county.per_capita)) * 1.01
    need = model.funding_for(target)
    reachable = np.isfinite(need)
    assert reachable.any()
    income = model.per_capita(np.where(reachable, need, 0.0))[0]
    assert (income[reachable] >= target * (1 - 1e-9)).all()
    # and not much less would do (continuous shapes: it is the least)
    if shape != "lumpy":
        less = model.per_capita(np.where(reachable & (need > 0), need * 0.999, 0.0))[0]
        assert (less[reachable & (need > 0)] < target).all()


def test_atkinson_utility_and_its_inverse() -> None:
    incomes = np.array([5000.0, 12000.0, 30000.0])
    for epsilon in (0.0, 0.5, 1.0, 2.0):
        mean = utility(incomes, epsilon).mean()
        ede = equivalent_income(np.array(mean), epsilon)
        assert incomes.min() <= ede <= incomes.mean() + 1e-9
    assert equivalent_income(np.array(utility(incomes, 0.0).mean()), 0.0) == pytest.approx(incomes.mean())


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="epsilon") as error:
        PolicySettings(epsilon=-1, cap=0.5, project_size=0)
    assert "cap" in str(error.value) and "project_size" in str(error.value)
