"""Concentration indices against independent computations from the published formulas, known values and a
hand-written bootstrap that re-ranks within each resample."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from villageaid.estimators import concentration
from villageaid.estimators.concentration import (
    concentration_bootstrap,
    concentration_index,
    concentration_indices,
    fractional_rank,
)

TIGHT = {"rtol": 1e-12, "atol": 1e-14}
LOOSE = {"rtol": 1e-10, "atol": 1e-12}


def _hand_ranks(keys: np.ndarray) -> np.ndarray:
    """Fractional ranks (i − 0.5)/n, tie groups given the mean of the ranks they occupy (written with loops)."""
    keys = list(keys)
    n = len(keys)
    order = sorted(range(n), key=lambda i: keys[i])
    ranks = np.empty(n)
    start = 0
    while start < n:
        stop = start
        while stop + 1 < n and keys[order[stop + 1]] == keys[order[start]]:
            stop += 1
        shared = sum((position + 1 - 0.5) / n for position in range(start, stop + 1)) / (stop - start + 1)
        for position in range(start, stop + 1):
            ranks[order[position]] = shared
        start = stop + 1
    return ranks


def _hand_index(y: np.ndarray, keys: np.ndarray) -> float:
    """Kakwani–Wagstaff–van Doorslaer covariance form with numpy's population covariance."""
    ranks = _hand_ranks(keys)
    return float(2 * np.cov(y, ranks, bias=True)[0, 1] / np.mean(y))


def _sample(n: int = 60, seed: int = 4, ties: bool = True) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    keys = rng.lognormal(size=n)
    if ties:
        keys = np.round(keys, 1)  # many tie groups
    y = rng.gamma(2.0, size=n) * (1 + keys)
    return y, keys


# --- fractional ranks ---------------------------------------------------------------------------------------------


def test_fractional_rank_hand_example_with_a_tie() -> None:
    # Sorted: 10 (1st), 20 and 20 (2nd and 3rd, sharing (1.5/4 + 2.5/4)/2), 30 (4th).
    np.testing.assert_allclose(fractional_rank([10.0, 30.0, 20.0, 20.0]), [1 / 8, 7 / 8, 1 / 2, 1 / 2], **TIGHT)


def test_fractional_rank_matches_loops_and_averages_one_half() -> None:
    _, keys = _sample(200)
    assert len(np.unique(keys)) < keys.size  # the sample does have ties
    ranks = fractional_rank(keys)
    np.testing.assert_allclose(ranks, _hand_ranks(keys), **TIGHT)
    np.testing.assert_allclose(ranks.mean(), 0.5, **TIGHT)


@pytest.mark.parametrize(("keys", "message"), [([1.0, np.nan, 2.0], "NaN"), ([], "empty"),
                                               ([[1.0, 2.0]], "one-dimensional")])
def test_fractional_rank_rejects(keys: list, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        fractional_rank(keys)


# --- the standard index against independent computations ----------------------------------------------------------


def test_covariance_form_with_numpy_cov() -> None:
    y, keys = _sample()
    np.testing.assert_allclose(concentration_index(y, keys), _hand_index(y, keys), **LOOSE)


def test_convenient_regression_slope_is_the_index() -> None:
    # Kakwani, Wagstaff & van Doorslaer (1997): regress 2 σ_R² (y/μ) on R; the OLS slope is C.
    y, keys = _sample(seed=9)
    ranks = _hand_ranks(keys)
    variance = np.mean((ranks - ranks.mean()) ** 2)
    fit = sm.OLS(2 * variance * y / y.mean(), sm.add_constant(ranks)).fit()
    np.testing.assert_allclose(concentration_index(y, keys), fit.params[1], **LOOSE)
    slope = np.linalg.lstsq(np.column_stack([np.ones_like(ranks), ranks]), 2 * variance * y / y.mean(), rcond=None)
    np.testing.assert_allclose(concentration_index(y, keys), slope[0][1], **LOOSE)


def test_sum_form_for_distinct_ranks() -> None:
    y, keys = _sample(ties=False, seed=2)
    assert len(np.unique(keys)) == keys.size
    n = y.size
    ranks = (np.argsort(np.argsort(keys)) + 1 - 0.5) / n
    expected = 2 / (n * y.mean()) * np.sum(y * ranks) - 1
    np.testing.assert_allclose(concentration_index(y, keys), expected, **LOOSE)


# --- known values --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [2, 3, 7, 50])
def test_known_values(n: int) -> None:
    keys = np.random.default_rng(n).permutation(n).astype(float)
    np.testing.assert_allclose(concentration_index(np.full(n, 3.7), keys), 0.0, rtol=0, atol=1e-14)
    top = np.where(keys == keys.max(), 5.0, 0.0)
    bottom = np.where(keys == keys.min(), 5.0, 0.0)
    np.testing.assert_allclose(concentration_index(top, keys), (n - 1) / n, **TIGHT)
    np.testing.assert_allclose(concentration_index(bottom, keys), -(n - 1) / n, **TIGHT)


def test_hand_worked_example_with_a_tie() -> None:
    # rank_by (1, 2, 2, 3): R = (1/8, 1/2, 1/2, 7/8); y = (1, 2, 3, 4), μ = 5/2;
    # cov = [(−3/2)(−3/8) + 0 + 0 + (3/2)(3/8)] / 4 = 9/32; C = 2 (9/32) / (5/2) = 9/40.
    np.testing.assert_allclose(concentration_index([1.0, 2.0, 3.0, 4.0], [1, 2, 2, 3]), 9 / 40, **TIGHT)
    # Averaged ties: swapping the values within the tie group changes nothing …
    np.testing.assert_allclose(concentration_index([1.0, 3.0, 2.0, 4.0], [1, 2, 2, 3]), 9 / 40, **TIGHT)
    # … whereas breaking the tie gives R = (1/8, 3/8, 5/8, 7/8), cov = 5/16 and C = 1/4.
    np.testing.assert_allclose(concentration_index([1.0, 2.0, 3.0, 4.0], [1, 2, 2.5, 3]), 1 / 4, **TIGHT)


# --- invariance ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("transform", [np.exp, np.arctan, lambda x: 3 * x - 7, lambda x: x**3 + 1, np.log1p])
def test_strictly_increasing_transform_of_the_ranking_changes_nothing(transform) -> None:
    y, keys = _sample()
    np.testing.assert_allclose(concentration_index(y, transform(keys)), concentration_index(y, keys), **TIGHT)


def test_reversing_the_ranking_flips_the_sign() -> None:
    y, keys = _sample(ties=False)
    index = concentration_index(y, keys)
    assert abs(index) > 0.05
    np.testing.assert_allclose(concentration_index(y, -keys), -index, **TIGHT)


# --- other forms ---------------------------------------------------------------------------------------------------


def test_generalized_is_mean_times_standard() -> None:
    y, keys = _sample()
    expected = 2 * np.cov(y, _hand_ranks(keys), bias=True)[0, 1]
    np.testing.assert_allclose(concentration_index(y, keys, form="generalized"), expected, **LOOSE)
    np.testing.assert_allclose(concentration_index(y, keys, form="generalized"),
                               y.mean() * concentration_index(y, keys), **LOOSE)


def test_wagstaff_and_erreygers_on_a_binary_variable() -> None:
    rng = np.random.default_rng(11)
    keys = rng.normal(size=120)
    y = (rng.uniform(size=120) < 1 / (1 + np.exp(-keys))).astype(float)
    mean = y.mean()
    standard = _hand_index(y, keys)
    np.testing.assert_allclose(concentration_index(y, keys, form="wagstaff", bounds=(0, 1)),
                               standard / (1 - mean), **LOOSE)
    np.testing.assert_allclose(concentration_index(y, keys, form="erreygers", bounds=(0, 1)),
                               4 * mean * standard, **LOOSE)


def test_wagstaff_and_erreygers_with_general_bounds() -> None:
    rng = np.random.default_rng(12)
    keys = rng.normal(size=80)
    y = np.clip(3 + keys + rng.normal(size=80), 1, 5)
    low, high, mean = 1.0, 5.0, y.mean()
    standard = _hand_index(y, keys)
    np.testing.assert_allclose(concentration_index(y, keys, form="wagstaff", bounds=(low, high)),
                               (high - low) * mean * standard / ((high - mean) * (mean - low)), **LOOSE)
    np.testing.assert_allclose(concentration_index(y, keys, form="erreygers", bounds=(low, high)),
                               4 * mean * standard / (high - low), **LOOSE)
    # Erreygers' index is invariant to shifting the variable together with its bounds; the standard one is not.
    np.testing.assert_allclose(concentration_index(y + 10, keys, form="erreygers", bounds=(low + 10, high + 10)),
                               concentration_index(y, keys, form="erreygers", bounds=(low, high)), **LOOSE)
    assert not np.isclose(concentration_index(y + 10, keys), standard, rtol=1e-3)


@pytest.mark.parametrize(("form", "bounds"), [("standard", None), ("generalized", None), ("wagstaff", (0.0, 100.0)),
                                              ("erreygers", (-1.0, 100.0))])
def test_indices_equal_column_by_column_calls(form: str, bounds: tuple[float, float] | None) -> None:
    rng = np.random.default_rng(5)
    keys = np.round(rng.normal(size=150), 1)
    matrix = rng.gamma(2.0, size=(150, 8)) * (1 + np.arange(8)) + keys[:, None].clip(0)
    assert matrix.max() < 100
    vectorized = concentration_indices(matrix, keys, form=form, bounds=bounds)
    assert vectorized.shape == (8,)
    one_by_one = [concentration_index(matrix[:, j], keys, form=form, bounds=bounds) for j in range(8)]
    np.testing.assert_allclose(vectorized, one_by_one, rtol=1e-12, atol=1e-12)


# --- errors --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("values", "keys", "kwargs", "message"), [
    ([1.0, 2.0], [1.0, np.nan], {}, "NaN"),
    ([], [], {}, "empty"),
    ([1.0, np.nan], [1, 2], {}, "finite"),
    ([1.0, np.inf], [1, 2], {}, "finite"),
    ([1.0, 2.0, 3.0], [1, 2], {}, "rows"),
    ([1.0, -1.0], [1, 2], {}, "mean, which is 0"),
    ([1.0, 2.0], [1, 2], {"form": "gini"}, "unknown form"),
    ([0.0, 1.0], [1, 2], {"form": "wagstaff"}, "needs bounds"),
    ([0.0, 1.0], [1, 2], {"form": "erreygers"}, "needs bounds"),
    ([0.0, 2.0], [1, 2], {"form": "wagstaff", "bounds": (0, 1)}, "outside the bounds"),
    ([-0.5, 1.0], [1, 2], {"form": "erreygers", "bounds": (0, 1)}, "outside the bounds"),
    ([0.0, 1.0], [1, 2], {"form": "erreygers", "bounds": (1, 1)}, "b > a"),
    ([0.0, 1.0], [1, 2], {"form": "wagstaff", "bounds": (1, 0)}, "b > a"),
    ([1.0, 1.0], [1, 2], {"form": "wagstaff", "bounds": (0, 1)}, "mean equals a bound"),
    ([0.0, 0.0], [1, 2], {"form": "wagstaff", "bounds": (0, 1)}, "mean equals a bound"),
    ([0.0, 1.0], [1, 2], {"form": "standard", "bounds": (0, 1)}, "bounds apply only"),
])
def test_index_rejects(values: list, keys: list, kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        concentration_index(values, keys, **kwargs)


def test_erreygers_allows_a_mean_at_a_bound_and_generalized_a_zero_mean() -> None:
    assert concentration_index([1.0, 1.0, 1.0], [1, 2, 3], form="erreygers", bounds=(0, 1)) == 0.0
    np.testing.assert_allclose(concentration_index([-1.0, 1.0], [1, 2], form="generalized"), 0.5, **TIGHT)


# --- bootstrap -----------------------------------------------------------------------------------------------------


def _panel(n: int = 300, columns: int = 10, seed: int = 21) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    keys = rng.lognormal(size=n)
    matrix = rng.gamma(2.0, size=(n, columns)) * (1 + keys[:, None]) * np.linspace(1, 2, columns)
    return matrix, keys


def test_bootstrap_is_deterministic_for_a_seed() -> None:
    matrix, keys = _panel(80, 4)
    first = concentration_bootstrap(matrix, keys, draws=199, seed=3)
    pd.testing.assert_frame_equal(first, concentration_bootstrap(matrix, keys, draws=199, seed=3))
    other = concentration_bootstrap(matrix, keys, draws=199, seed=4)
    assert not np.allclose(first["conf_low"], other["conf_low"], rtol=1e-6, atol=0)
    pd.testing.assert_series_equal(first["estimate"], other["estimate"])


def test_bootstrap_table_and_intervals_contain_the_estimate() -> None:
    matrix, keys = _panel()
    groups = ["campaign"] * 5 + ["transition"] * 5
    table = concentration_bootstrap(matrix, keys, draws=999, seed=0, groups=groups)
    assert list(table.columns) == ["column", "estimate", "conf_low", "conf_high", "std_error", "draws"]
    assert table["column"].tolist() == [*range(10), "change"]
    np.testing.assert_allclose(table["estimate"].iloc[:10], concentration_indices(matrix, keys), **TIGHT)
    assert (table["conf_low"] < table["estimate"]).all()
    assert (table["estimate"] < table["conf_high"]).all()
    assert (table["std_error"] > 0).all()
    assert (table["draws"] == 999).all()
    assert (table["conf_low"].iloc[:10] > 0).all()  # strongly pro-high-ranked concentration


def test_change_row_is_second_mean_minus_first_mean() -> None:
    matrix, keys = _panel(60, 6)
    groups = ["b", "a", "b", "a", "a", "b"]  # "b" appears first, so change = mean(a columns) − mean(b columns)
    table = concentration_bootstrap(matrix, keys, draws=99, seed=1, groups=groups)
    estimates = table["estimate"].iloc[:6].to_numpy()
    second, first = np.array([1, 3, 4]), np.array([0, 2, 5])
    change = table.set_index("column").loc["change"]
    np.testing.assert_allclose(change["estimate"], estimates[second].mean() - estimates[first].mean(), **TIGHT)
    # With a single draw every percentile is that draw's value, so the change interval is the draw's change.
    single = concentration_bootstrap(matrix, keys, draws=1, seed=1, groups=groups)
    lows = single["conf_low"].iloc[:6].to_numpy()
    np.testing.assert_allclose(single["conf_low"].iloc[6], lows[second].mean() - lows[first].mean(), **TIGHT)
    np.testing.assert_allclose(single["conf_high"], single["conf_low"], **TIGHT)
    assert single["std_error"].isna().all()


def _hand_bootstrap(matrix: np.ndarray, keys: np.ndarray, draws: int, seed: int, rerank: bool) -> np.ndarray:
    """Draw-by-draw, column-by-column bootstrap with the documented resampling stream."""
    n = keys.size
    rows = np.random.default_rng(seed).integers(0, n, size=(draws, n))
    full_ranks = _hand_ranks(keys)
    out = np.empty((draws, matrix.shape[1]))
    for b in range(draws):
        ranks = _hand_ranks(keys[rows[b]]) if rerank else full_ranks[rows[b]]
        for j in range(matrix.shape[1]):
            y = matrix[rows[b], j]
            out[b, j] = 2 * np.cov(y, ranks, bias=True)[0, 1] / y.mean()
    return out


def test_bootstrap_reranks_within_each_resample() -> None:
    # Five units with distinct ranks: a resample that duplicates a unit must give the copies a shared, new rank.
    matrix = np.array([[1.0, 0.0], [2.0, 1.0], [4.0, 1.0], [8.0, 3.0], [16.0, 9.0]])
    keys = np.array([10.0, 20.0, 30.0, 40.0, 50.0])
    seed = next(s for s in range(100) if len(set(np.random.default_rng(s).integers(0, 5, size=(1, 5))[0])) == 3)
    reranked = _hand_bootstrap(matrix, keys, 1, seed, rerank=True)[0]
    carried = _hand_bootstrap(matrix, keys, 1, seed, rerank=False)[0]
    assert not np.allclose(reranked, carried, rtol=1e-3)  # the example does discriminate
    table = concentration_bootstrap(matrix, keys, draws=1, seed=seed)
    np.testing.assert_allclose(table["conf_low"], reranked, **LOOSE)
    np.testing.assert_allclose(table["conf_high"], reranked, **LOOSE)


@pytest.mark.parametrize("chunk_elements", [None, 7, 100])
def test_bootstrap_matches_a_hand_written_one(monkeypatch: pytest.MonkeyPatch, chunk_elements: int | None) -> None:
    if chunk_elements is not None:  # force several chunks: the resampling stream must not depend on them
        monkeypatch.setattr(concentration, "_CHUNK_ELEMENTS", chunk_elements)
    rng = np.random.default_rng(8)
    keys = np.round(rng.normal(size=12), 0)  # ties before resampling too
    matrix = rng.gamma(2.0, size=(12, 3)) + keys[:, None].clip(0)
    draws, seed = 57, 13
    boot = _hand_bootstrap(matrix, keys, draws, seed, rerank=True)
    table = concentration_bootstrap(matrix, keys, draws=draws, seed=seed, conf_level=0.9)
    np.testing.assert_allclose(table["conf_low"], np.quantile(boot, 0.05, axis=0), **LOOSE)
    np.testing.assert_allclose(table["conf_high"], np.quantile(boot, 0.95, axis=0), **LOOSE)
    np.testing.assert_allclose(table["std_error"], boot.std(axis=0, ddof=1), **LOOSE)
    carried = _hand_bootstrap(matrix, keys, draws, seed, rerank=False)
    assert not np.allclose(table["std_error"], carried.std(axis=0, ddof=1), rtol=1e-3)


def test_bootstrap_leaves_out_draws_where_the_index_is_undefined() -> None:
    y = np.array([[0.0], [0.0], [1.0], [1.0]])
    keys = np.arange(4.0)
    table = concentration_bootstrap(y, keys, draws=400, seed=2, form="wagstaff", bounds=(0, 1))
    rows = np.random.default_rng(2).integers(0, 4, size=(400, 4))
    means = y[rows, 0].mean(axis=1)
    assert table["draws"].iloc[0] == np.sum((means > 0) & (means < 1)) < 400
    assert np.isfinite(table[["conf_low", "conf_high", "std_error"]].to_numpy()).all()


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"draws": 0}, "draws must be an integer >= 1"),
    ({"draws": 2.5}, "draws must be an integer >= 1"),
    ({"conf_level": 1.0}, "conf_level"),
    ({"conf_level": 0.0}, "conf_level"),
    ({"groups": ["a", "b"]}, "groups has 2 labels"),
    ({"groups": ["a", "a", "a"]}, "exactly two distinct labels"),
    ({"groups": ["a", "b", "c"]}, "exactly two distinct labels"),
    ({"form": "erreygers"}, "needs bounds"),
])
def test_bootstrap_rejects(kwargs: dict, message: str) -> None:
    matrix, keys = _panel(20, 3)
    with pytest.raises(ValueError, match=message):
        concentration_bootstrap(matrix, keys, **kwargs)


@pytest.mark.parametrize("seed", range(6))
def test_average_ranks_are_scipys_bit_for_bit(seed: int) -> None:
    """The hand-written average ranks (scipy.stats is not imported for them) equal rankdata's exactly."""
    from scipy.stats import rankdata

    from villageaid.estimators.concentration import _average_ranks

    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 400))
    cases = [rng.normal(size=n), rng.integers(0, 5, n), rng.integers(0, 3, (7, n)).astype(float),
             np.round(rng.normal(size=(3, 4, n)), 1), np.zeros(n), np.arange(n)[::-1], rng.integers(-2, 2, n) * 0.0]
    for keys in cases:
        expected = rankdata(keys, method="average", axis=-1)
        got = _average_ranks(keys)
        assert got.dtype == expected.dtype and got.shape == expected.shape
        assert np.array_equal(got.view(np.int64), expected.view(np.int64))
