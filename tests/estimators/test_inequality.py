from __future__ import annotations

import itertools

import numpy as np
import pytest

from villageaid.estimators.inequality import (
    bootstrap_inequality,
    gini,
    lorenz_curve,
    theil_decomposition,
    theil_t,
)


def test_known_values() -> None:
    assert gini([5, 5, 5, 5]) == 0.0 and theil_t([5, 5, 5, 5]) == 0.0
    np.testing.assert_allclose(gini([0, 0, 0, 1]), 0.75, rtol=0, atol=1e-15)  # (n - 1) / n
    np.testing.assert_allclose(theil_t([0, 0, 0, 1]), np.log(4), rtol=0, atol=1e-15)  # ln n
    np.testing.assert_allclose(gini([1, 2, 3]), 2 / 9, rtol=0, atol=1e-15)  # (|1-2|+|1-3|+|2-3|)·2 / (2·9·2)
    np.testing.assert_allclose(theil_t([1, 3]), 0.5 * (0.5 * np.log(0.5) + 1.5 * np.log(1.5)), rtol=0, atol=1e-15)


def test_gini_equals_mean_absolute_difference_definition() -> None:
    x = np.random.default_rng(1).lognormal(size=50)
    pairs = sum(abs(a - b) for a, b in itertools.product(x, x))
    np.testing.assert_allclose(gini(x), pairs / (2 * len(x) ** 2 * x.mean()), rtol=1e-12, atol=0)


def test_theil_decomposition_is_exact() -> None:
    rng = np.random.default_rng(2)
    x = np.concatenate([rng.lognormal(0, 1, 40), np.zeros(10), rng.lognormal(2, 0.5, 30)])
    groups = np.array(["A"] * 20 + ["B"] * 30 + ["C"] * 30)
    result = theil_decomposition(x, groups)
    np.testing.assert_allclose(result.between + result.within, result.total, rtol=0, atol=1e-12)
    np.testing.assert_allclose(result.total, theil_t(x), rtol=0, atol=1e-15)
    np.testing.assert_allclose(result.groups["income_share"].sum(), 1.0, rtol=0, atol=1e-12)
    equal_groups = theil_decomposition(np.array([1.0, 3.0, 1.0, 3.0]), np.array(["a", "a", "b", "b"]))
    assert equal_groups.between == pytest.approx(0.0, abs=1e-15)


def test_lorenz_curve() -> None:
    curve = lorenz_curve([0, 0, 0, 1])
    assert curve["population_share"].tolist() == [0, 0.25, 0.5, 0.75, 1.0]
    assert curve["income_share"].tolist() == [0, 0, 0, 0, 1.0]


def test_bootstrap_is_seeded_and_brackets_the_estimate() -> None:
    x = np.random.default_rng(3).lognormal(size=200)
    first, second = bootstrap_inequality(x, draws=199, seed=5), bootstrap_inequality(x, draws=199, seed=5)
    first, second = first.tidy(), second.tidy()
    assert first.equals(second)
    assert ((first["conf_low"] <= first["estimate"]) & (first["estimate"] <= first["conf_high"])).all()


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        gini([1.0, -1.0])
