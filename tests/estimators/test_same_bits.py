"""The fast paths of the demeaning, PPML and the wild bootstrap give the same bits as the direct computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from villageaid.estimators import demean, feols, fepois
from villageaid.estimators.bootstrap import wild_cluster_bootstrap


def _unit_year(units: int, years: int, drop: float, duplicate: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    unit, year = np.repeat(np.arange(units), years), np.tile(np.arange(years), units)
    kept = rng.random(len(unit)) > drop
    unit, year = unit[kept], year[kept]
    twice = rng.random(len(unit)) < duplicate  # a second observation in some cells
    unit, year = np.concatenate([unit, unit[twice]]), np.concatenate([year, year[twice]])
    order = rng.permutation(len(unit))
    return unit[order], year[order]


@pytest.mark.parametrize(("units", "years", "drop", "duplicate"), [(20_000, 10, 0.0, 0.0), (12_000, 12, 0.3, 0.1)])
def test_dense_cells_in_sparse_order_match_the_sparse_absorption(monkeypatch, units, years, drop, duplicate):
    unit, year = _unit_year(units, years, drop, duplicate, seed=units)
    rng = np.random.default_rng(1)
    fixed = demean.FixedEffects(("unit", "year"), (unit, year), (units, years))
    columns = np.asfortranarray(rng.normal(size=(len(unit), 3)))
    weights = rng.exponential(size=len(unit))
    assert units * years > demean.DENSE_CELLS  # the shape takes the sparse absorption, or its dense copy
    fast, _ = fixed.demean(columns, weights)
    monkeypatch.setattr(demean, "SPARSE_ORDER_DENSE_CELLS", 0)  # the scipy.sparse computation
    direct, _ = fixed.demean(columns, weights)
    assert fast.tobytes() == direct.tobytes()


def test_three_observations_in_a_cell_keep_the_sparse_matrices():
    unit, year = np.array([0, 0, 0, 1, 1]), np.array([0, 0, 0, 1, 0])
    assert demean._cells_in_sparse_order(unit, year, np.ones(5), 2, 2) is None


def test_ppml_with_many_units_gives_the_same_bits_by_either_absorption(monkeypatch):
    rng = np.random.default_rng(3)
    units = 15_000
    data = pd.DataFrame({"unit": np.repeat(np.arange(units), 8), "year": np.tile(np.arange(8), units)})
    data["x"] = rng.normal(size=len(data))
    data["y"] = rng.poisson(np.exp(0.8 + 0.3 * data["x"] + rng.normal(0, 0.5, units)[data["unit"]]))
    fast = fepois("y ~ x | unit + year", data, vcov={"CRV1": "unit"})
    monkeypatch.setattr(demean, "SPARSE_ORDER_DENSE_CELLS", 0)
    direct = fepois("y ~ x | unit + year", data, vcov={"CRV1": "unit"})
    assert fast.params.to_numpy().tobytes() == direct.params.to_numpy().tobytes()
    assert fast.std_errors.to_numpy().tobytes() == direct.std_errors.to_numpy().tobytes()


def test_bootstrap_rejections_from_moments_are_those_of_the_t_statistics():
    rng = np.random.default_rng(5)
    n, clusters = 3_000, 30
    data = pd.DataFrame({"g": rng.integers(0, clusters, n), "t": rng.integers(0, 5, n), "x": rng.normal(size=n)})
    data["y"] = 0.05 * data["x"] + rng.normal(size=clusters)[data["g"]] + rng.normal(size=n)
    fit = feols("y ~ x | t", data, vcov={"CRV1": "g"})
    result = wild_cluster_bootstrap(fit, "x", "g", draws=1999, seed=2)
    inversion = result.inversion
    for null in np.concatenate([np.linspace(-0.3, 0.3, 41), [result.conf_low, result.conf_high, result.estimate]]):
        t_observed = (inversion.estimate - null) / inversion.se_hat
        threshold = abs(t_observed) * (1 - 1e-10)
        direct = np.abs(inversion.bootstrap_t(null)) >= threshold
        assert np.array_equal(inversion._rejections(null, threshold), direct)
    # at the interval's ends some draws sit on the threshold: they are recomputed, not guessed
    assert 0 < result.p_value < 1
