"""Concentration indices (standard, generalized, Wagstaff, Erreygers) and a unit-resampling bootstrap.

A concentration index measures how a variable ``y`` is distributed across units ranked by another variable
(``rank_by``): it is twice the area between the line of equality and the concentration curve of ``y``. With
fractional ranks Rᵢ = (i − 0.5)/n (ties given the mean fractional rank of their group; O'Donnell, van Doorslaer,
Wagstaff & Lindelow 2008, *Analyzing Health Equity Using Household Survey Data*, ch. 8) and μ the mean of ``y``:

* standard (Kakwani, Wagstaff & van Doorslaer 1997, *J. Econometrics* 77): C = 2 cov(y, R) / μ, with the
  population covariance (divided by n); equivalently C = (2 / (n μ)) Σᵢ yᵢ Rᵢ − 1 without ties, or the OLS slope
  of 2 σ_R² (y / μ) on R;
* generalized (absolute): GC = μ C = 2 cov(y, R);
* Wagstaff (2005, *Health Economics* 14) for y bounded in [a, b]: W = (b − a) μ C / ((b − μ)(μ − a));
* Erreygers (2009, *J. Health Economics* 28) for y bounded in [a, b]: E = 4 μ C / (b − a).

Sign convention: units are ranked ascending by ``rank_by`` (e.g. from the least to the most endowed), so a
positive index means ``y`` is concentrated among the units ranked high, a negative one among those ranked low,
and zero means no association with the ranking (e.g. equal values). The standard index lies in
[−(n − 1)/n, (n − 1)/n] for non-negative ``y``.

Written by hand because no maintained Python library computes the Wagstaff- and Erreygers-corrected indices
with a bootstrap that resamples whole units (clusters of columns such as the years of a village panel) and
re-ranks within each resample; the formulas are short and the tests check them against independent
computations (covariance, sum and regression forms) and known values. Nothing here knows about villages.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from villageaid.estimators.checks import require_draws, require_finite_array, require_seed

Form = Literal["standard", "generalized", "wagstaff", "erreygers"]

#: Forms accepted by :func:`concentration_index` and friends.
FORMS: tuple[str, ...] = ("standard", "generalized", "wagstaff", "erreygers")

#: Bounded forms, which need ``bounds=(a, b)``.
BOUNDED_FORMS: tuple[str, ...] = ("wagstaff", "erreygers")

# Largest number of float64 elements (draws × n × T) gathered at once by the bootstrap (about 32 MB).
_CHUNK_ELEMENTS = 4_000_000


def _ranking(rank_by: ArrayLike) -> np.ndarray:
    keys = np.asarray(rank_by)
    if keys.ndim != 1:
        raise ValueError(f"rank_by must be one-dimensional, got shape {keys.shape}")
    if keys.size == 0:
        raise ValueError("rank_by is empty: fractional ranks need at least one unit")
    if keys.dtype.kind in "fc" and np.isnan(keys).any():
        raise ValueError("rank_by contains NaN: drop or impute the missing ranking values first")
    return keys


def _ranks(keys: np.ndarray) -> np.ndarray:
    """Rank along the last axis of ``keys`` (already validated) into fractional ranks, ties averaged."""
    return (_average_ranks(keys) - 0.5) / keys.shape[-1]


def _average_ranks(keys: np.ndarray) -> np.ndarray:
    """``scipy.stats.rankdata(keys, method="average", axis=-1)`` for keys without NaN, the same values bit for bit.

    Written here because importing ``scipy.stats`` (for this one function) took 0.7–0.9 s, the largest single
    cost of ``villageaid simulate`` after drawing, whose truth ranks villages. A tie group occupying sorted
    positions ``first … last`` (0-based) gets ``0.5 · (first + last + 2)``, as rankdata's ``0.5 · (count[dense] +
    count[dense - 1] + 1)``: a half of an integer, exact in floating point, so both give the same bits.
    """
    keys = np.asarray(keys)
    n = keys.shape[-1]
    order = np.argsort(keys, axis=-1, kind="stable")
    ordered = np.take_along_axis(keys, order, axis=-1)
    position = np.broadcast_to(np.arange(n), keys.shape)
    starts = np.ones(keys.shape, dtype=bool)  # a position where a new value begins
    starts[..., 1:] = ordered[..., 1:] != ordered[..., :-1]
    ends = np.ones(keys.shape, dtype=bool)  # a position where a value's last copy stands
    ends[..., :-1] = starts[..., 1:]
    first = np.maximum.accumulate(np.where(starts, position, 0), axis=-1)
    last = np.flip(np.minimum.accumulate(np.flip(np.where(ends, position, n - 1), axis=-1), axis=-1), axis=-1)
    ranks = np.empty(keys.shape, dtype=np.float64)
    np.put_along_axis(ranks, order, 0.5 * (first + last + 2), axis=-1)
    return ranks


def fractional_rank(rank_by: ArrayLike) -> np.ndarray:
    """Compute the fractional rank Rᵢ = (i − 0.5)/n of each unit, ties given their group's mean rank.

    Units are sorted ascending by ``rank_by``; the unit in position i (1-based) gets (i − 0.5)/n, and units with
    equal ``rank_by`` all get the mean of the fractional ranks their group occupies (O'Donnell et al. 2008,
    ch. 8). The ranks always average 0.5.

    Parameters
    ----------
    rank_by : array_like
        One-dimensional ranking variable (e.g. income or endowment per unit); any orderable values.

    Returns
    -------
    ndarray of float
        Fractional ranks in the original order of the units.

    Raises
    ------
    ValueError
        If ``rank_by`` is empty, not one-dimensional or contains NaN.

    Examples
    --------
    >>> fractional_rank([10.0, 30.0, 20.0, 20.0]).tolist()
    [0.125, 0.875, 0.5, 0.5]
    """
    return _ranks(_ranking(rank_by))


def _check_form(form: str, bounds: tuple[float, float] | None) -> tuple[float, float] | None:
    if form not in FORMS:
        raise ValueError(f"unknown form {form!r}: choose one of {', '.join(FORMS)}")
    if form not in BOUNDED_FORMS:
        if bounds is not None:
            raise ValueError(f"bounds apply only to the {' and '.join(BOUNDED_FORMS)} forms, not to {form!r}")
        return None
    if bounds is None:
        raise ValueError(f"the {form} form needs bounds=(a, b), the range of the bounded variable")
    if len(bounds) != 2:
        raise ValueError(f"bounds must be a pair (a, b), got {bounds!r}")
    low, high = float(bounds[0]), float(bounds[1])
    if not (np.isfinite(low) and np.isfinite(high)):
        raise ValueError(f"bounds must be finite, got ({low}, {high})")
    if high <= low:
        raise ValueError(f"bounds (a, b) need b > a, got ({low}, {high})")
    return low, high


def _matrix(matrix: ArrayLike, n: int, bounds: tuple[float, float] | None) -> np.ndarray:
    values = np.asarray(matrix, dtype=float)
    if values.ndim == 1:
        values = values[:, None]
    if values.ndim != 2:
        raise ValueError(f"values must be a vector or an (n × T) matrix, got shape {values.shape}")
    if values.shape[0] != n:
        raise ValueError(f"values have {values.shape[0]} rows but rank_by has {n} units")
    if values.shape[1] == 0:
        raise ValueError("the matrix has no columns")
    if not np.isfinite(values).all():  # named entries, as every estimator's check (module checks)
        require_finite_array(values, "values", "concentration indices (which need finite values)")
    if bounds is not None and ((values < bounds[0]).any() or (values > bounds[1]).any()):
        raise ValueError(f"values lie outside the bounds [{bounds[0]}, {bounds[1]}]")
    return values


def _indices(values: np.ndarray, ranks: np.ndarray, form: str, bounds: tuple[float, float] | None) -> np.ndarray:
    """Compute the indices of ``values`` (..., n, T) against ``ranks`` (..., n); degenerate means give inf/NaN."""
    n = values.shape[-2]
    mean = values.mean(axis=-2)
    centred_ranks = ranks - ranks.mean(axis=-1, keepdims=True)
    centred = values - mean[..., None, :]
    covariance = np.matmul(centred_ranks[..., None, :], centred)[..., 0, :] / n
    generalized = 2.0 * covariance
    if form == "standard":
        return generalized / mean
    if form == "generalized":
        return generalized
    low, high = bounds  # type: ignore[misc]
    if form == "wagstaff":
        return (high - low) * generalized / ((high - mean) * (mean - low))
    return 4.0 * generalized / (high - low)


def _check_means(values: np.ndarray, form: str, bounds: tuple[float, float] | None) -> None:
    mean = values.mean(axis=0)
    if form == "standard" and (mean == 0).any():
        column = int(np.flatnonzero(mean == 0)[0])
        raise ValueError(f"the standard index divides by the mean, which is 0 (column {column}); "
                         "use form='generalized'")
    if form == "wagstaff":
        at_bound = (mean == bounds[0]) | (mean == bounds[1])  # type: ignore[index]
        if at_bound.any():
            column = int(np.flatnonzero(at_bound)[0])
            raise ValueError(f"the wagstaff index is undefined when the mean equals a bound "
                             f"(mean {mean[column]} in column {column}, bounds {bounds})")


def concentration_indices(matrix: ArrayLike, rank_by: ArrayLike, *, form: Form = "standard",
                          bounds: tuple[float, float] | None = None) -> np.ndarray:
    """Compute the concentration index of each column of an (n × T) matrix against one ranking of its rows.

    Vectorized over the columns; column j gives the same value as
    ``concentration_index(matrix[:, j], rank_by, form=form, bounds=bounds)``.

    Parameters
    ----------
    matrix : array_like, shape (n, T)
        Values of T variables (e.g. years) for n units; a vector is taken as one column. Must be finite.
    rank_by : array_like, shape (n,)
        Ranking variable; units are ranked ascending by it (fractional ranks, ties averaged).
    form : {"standard", "generalized", "wagstaff", "erreygers"}
        Which index (see the module docstring for the formulas).
    bounds : tuple of float, optional
        ``(a, b)`` with b > a, the range of the variable; required by "wagstaff" and "erreygers" and refused by
        the other forms.

    Returns
    -------
    ndarray of float, shape (T,)
        Positive where a column is concentrated among the units ranked high.

    Raises
    ------
    ValueError
        On an unknown form, missing or invalid bounds, values outside the bounds, non-finite values, a shape
        mismatch, a NaN or empty ranking, a zero mean ("standard") or a mean equal to a bound ("wagstaff").

    Examples
    --------
    >>> concentration_indices([[0.0, 1.0], [0.0, 1.0], [1.0, 1.0]], [1, 2, 3]).round(4).tolist()
    [0.6667, 0.0]
    """
    keys = _ranking(rank_by)
    checked = _check_form(form, bounds)
    values = _matrix(matrix, keys.size, checked)
    _check_means(values, form, checked)
    return _indices(values, _ranks(keys), form, checked)


def concentration_index(values: ArrayLike, rank_by: ArrayLike, *, form: Form = "standard",
                        bounds: tuple[float, float] | None = None) -> float:
    """Compute the concentration index of ``values`` across units ranked ascending by ``rank_by``.

    Standard: C = 2 cov(y, R)/μ (Kakwani, Wagstaff & van Doorslaer 1997), R the fractional rank (ties averaged)
    and cov the population covariance; generalized: μ C; Wagstaff (2005): (b − a) μ C / ((b − μ)(μ − a));
    Erreygers (2009): 4 μ C / (b − a), for values bounded in [a, b].

    Parameters
    ----------
    values : array_like, shape (n,)
        The variable whose concentration is measured; must be finite (may be negative, except that the
        standard index then loses its usual bounds).
    rank_by : array_like, shape (n,)
        Ranking variable; ranking ascending (e.g. least to most endowed), a positive index means the values are
        concentrated among the units ranked high, a negative one among those ranked low.
    form : {"standard", "generalized", "wagstaff", "erreygers"}
    bounds : tuple of float, optional
        ``(a, b)`` with b > a; required by "wagstaff" and "erreygers", refused by the other forms.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        See :func:`concentration_indices`; also if ``values`` is not one-dimensional.

    Examples
    --------
    >>> round(concentration_index([0.0, 0.0, 0.0, 1.0], [1, 2, 3, 4]), 4)
    0.75
    >>> round(concentration_index([1.0, 0.0, 0.0, 0.0], [1, 2, 3, 4]), 4)
    -0.75
    """
    vector = np.asarray(values, dtype=float)
    if vector.ndim != 1:
        raise ValueError(f"values must be one-dimensional, got shape {vector.shape}")
    return float(concentration_indices(vector[:, None], rank_by, form=form, bounds=bounds)[0])


def _group_columns(groups: Sequence[object] | np.ndarray, columns: int) -> tuple[np.ndarray, np.ndarray]:
    labels = list(np.asarray(groups, dtype=object).ravel())
    if len(labels) != columns:
        raise ValueError(f"groups has {len(labels)} labels but the matrix has {columns} columns")
    order = list(dict.fromkeys(labels))
    if len(order) != 2:
        raise ValueError(f"groups must contain exactly two distinct labels, got {len(order)}: {order!r}")
    first = np.array([label == order[0] for label in labels])
    return first, ~first


def _summary(boot: np.ndarray, conf_level: float) -> tuple[float, float, float, int]:
    valid = boot[np.isfinite(boot)]
    if valid.size == 0:
        return np.nan, np.nan, np.nan, 0
    low, high = np.quantile(valid, [(1 - conf_level) / 2, (1 + conf_level) / 2])
    error = float(valid.std(ddof=1)) if valid.size > 1 else np.nan
    return float(low), float(high), error, int(valid.size)


def concentration_bootstrap(matrix: ArrayLike, rank_by: ArrayLike, *, draws: int = 999, seed: int | None = 0,
                            conf_level: float = 0.95, form: Form = "standard",
                            bounds: tuple[float, float] | None = None,
                            groups: Sequence[object] | np.ndarray | None = None) -> pd.DataFrame:
    """Bootstrap percentile intervals of the concentration index of each column, resampling whole rows.

    Each draw resamples the n rows with replacement (a row — e.g. a village observed over T years — keeps all
    its columns and its ``rank_by`` together), recomputes the fractional ranks on the resample (duplicated
    units tie and share their mean rank) and computes every column's index. The resampled rows of draw b are
    row b of ``np.random.default_rng(seed).integers(0, n, size=(draws, n))``, so results are deterministic for
    a seed. Draws run in vectorized chunks (no Python loop over draws or columns).

    Draws whose resample makes an index undefined (mean 0 for "standard", mean at a bound for "wagstaff")
    are left out of that column's interval; the ``draws`` column reports how many were used.

    Parameters
    ----------
    matrix : array_like, shape (n, T)
        Values for n units (rows) and T variables or periods (columns); a vector is one column.
    rank_by : array_like, shape (n,)
        Ranking variable of the units.
    draws : int
        Number of bootstrap resamples (at least 1).
    seed : int, optional
        Seed of :func:`numpy.random.default_rng`.
    conf_level : float
        Coverage of the percentile interval, strictly between 0 and 1.
    form : {"standard", "generalized", "wagstaff", "erreygers"}
    bounds : tuple of float, optional
        ``(a, b)``; required by "wagstaff" and "erreygers".
    groups : sequence, optional
        Length-T labels with exactly two distinct values (e.g. ``["campaign"] * 5 + ["transition"] * 5``).
        Adds a row ``column="change"``: the mean index over the columns of the second label (in order of first
        appearance) minus the mean over those of the first, with its interval from the same resamples.

    Returns
    -------
    DataFrame
        One row per column: ``column`` (0 … T − 1, then ``"change"`` if ``groups`` is given), ``estimate``
        (on the full sample), ``conf_low``, ``conf_high`` (percentiles of the bootstrap distribution),
        ``std_error`` (its standard deviation, ddof=1; NaN with one draw) and ``draws`` (valid draws used).

    Raises
    ------
    ValueError
        On ``draws`` < 1, ``conf_level`` outside (0, 1), invalid ``groups`` and everything
        :func:`concentration_indices` rejects.

    Examples
    --------
    >>> table = concentration_bootstrap([[1.0, 0.0], [2.0, 1.0], [3.0, 5.0], [4.0, 9.0]], [1, 2, 3, 4],
    ...                                 draws=99, seed=1, groups=["a", "b"])
    >>> table["column"].tolist()
    [0, 1, 'change']
    """
    if isinstance(draws, bool) or not isinstance(draws, int | np.integer) or draws < 1:
        raise ValueError(f"draws must be an integer >= 1, got {draws!r}")
    if not 0 < conf_level < 1:
        raise ValueError(f"conf_level must lie strictly between 0 and 1, got {conf_level!r}")
    require_seed(seed, "concentration_bootstrap")
    keys = _ranking(rank_by)
    checked = _check_form(form, bounds)
    values = _matrix(matrix, keys.size, checked)
    n, columns = values.shape
    require_draws(draws, columns, "concentration_bootstrap", what="indices")  # the draws' indices are held
    split = None if groups is None else _group_columns(groups, columns)
    estimate = concentration_indices(values, keys, form=form, bounds=checked)

    rng = np.random.default_rng(seed)
    boot = np.empty((draws, columns))
    chunk = max(1, _CHUNK_ELEMENTS // (n * columns))
    with np.errstate(divide="ignore", invalid="ignore"):
        for start in range(0, draws, chunk):
            size = min(chunk, draws - start)
            rows = rng.integers(0, n, size=(size, n))
            boot[start:start + size] = _indices(values[rows], _ranks(keys[rows]), form, checked)

    records = []
    for column in range(columns):
        low, high, error, used = _summary(boot[:, column], conf_level)
        records.append({"column": column, "estimate": float(estimate[column]), "conf_low": low,
                        "conf_high": high, "std_error": error, "draws": used})
    if split is not None:
        first, second = split
        change = boot[:, second].mean(axis=1) - boot[:, first].mean(axis=1)
        low, high, error, used = _summary(change, conf_level)
        records.append({"column": "change", "estimate": float(estimate[second].mean() - estimate[first].mean()),
                        "conf_low": low, "conf_high": high, "std_error": error, "draws": used})
    table = pd.DataFrame.from_records(records, columns=["column", "estimate", "conf_low", "conf_high",
                                                        "std_error", "draws"])
    table["column"] = table["column"].astype(object)
    return table
