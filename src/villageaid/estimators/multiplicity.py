"""Multiple-testing adjustment for a family of K hypothesis tests.

:func:`romano_wolf` computes the step-down adjusted p-values of Romano & Wolf (2005, "Stepwise multiple
testing as formalized data snooping", Econometrica 73(4), 1237–1282; and 2005, "Exact and approximate
stepdown methods for multiple hypothesis testing", JASA 100(469), 94–108), in the form of Romano & Wolf
(2016, "Efficient computation of adjusted p-values for resampling-based stepdown multiple testing",
Statistics & Probability Letters 113, 38–40), from observed test statistics and a matrix of bootstrap
statistics that already impose the null (are centred). It controls the familywise error rate while
using the dependence between the tests, so it is less conservative than :func:`holm` or
:func:`bonferroni` (also given here, for comparison) when the statistics are correlated. The
algorithm and the ``(1 + count) / (B + 1)`` convention are those of Stata's ``rwolf`` (Clarke, Romano &
Wolf 2020, Stata Journal 20(4)) and R's ``wildrwolf``. :func:`bootstrap_t_statistics` turns bootstrap
estimates into the centred bootstrap t statistics these functions expect, and
:func:`bootstrap_p_values` gives the unadjusted single-test bootstrap p-values.

The module knows nothing about the models that produced the statistics. It is written here because
the formulas are short and no maintained Python package implements Romano–Wolf from given bootstrap
statistics with a per-hypothesis alternative (pyfixest's ``rwolf`` runs its own wild bootstrap on
fitted pyfixest models and tests two-sided only). Holm and Bonferroni are also in statsmodels
(``multipletests``), against which the tests check them; they are repeated here so that all three
adjustments validate their input the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

Alternative = Literal["two-sided", "greater", "less"]

#: The alternatives understood by :func:`romano_wolf` and :func:`bootstrap_p_values`.
ALTERNATIVES: tuple[str, ...] = ("two-sided", "greater", "less")


def _vector(values: object, name: str) -> np.ndarray:
    """Return ``values`` as a non-empty float vector without NaN, or raise ValueError."""
    array = np.asarray(values, dtype=float)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional (one entry per hypothesis); got shape {array.shape}")
    if array.size < 1:
        raise ValueError(f"{name} is empty: there must be at least one hypothesis (K >= 1)")
    if np.isnan(array).any():
        raise ValueError(f"{name} contains NaN at positions {np.flatnonzero(np.isnan(array)).tolist()}")
    if np.isinf(array).any():  # e.g. a statistic divided by a zero standard error: refused, not ranked first
        raise ValueError(f"{name} contains infinite values at positions {np.flatnonzero(np.isinf(array)).tolist()}")
    return array


def _draw_matrix(values: object, name: str, k: int) -> np.ndarray:
    """Return ``values`` as a (B, k) float matrix with B >= 1 and no NaN, or raise ValueError."""
    array = np.asarray(values, dtype=float)
    if array.ndim != 2:
        raise ValueError(f"{name} must be a two-dimensional (B draws x K hypotheses) array; got shape {array.shape}")
    if array.shape[1] != k:
        raise ValueError(f"{name} has {array.shape[1]} columns but there are {k} hypotheses; its shape must be "
                         f"(B, {k})")
    if array.shape[0] < 1:
        raise ValueError(f"{name} has no rows: at least one bootstrap draw is needed (B >= 1)")
    if np.isnan(array).any():
        rows = np.unique(np.nonzero(np.isnan(array))[0])
        raise ValueError(f"{name} contains NaN in {rows.size} of its {array.shape[0]} draws (first: row {rows[0]}); "
                         "drop or redo those draws first")
    if np.isinf(array).any():
        rows = np.unique(np.nonzero(np.isinf(array))[0])
        raise ValueError(f"{name} contains infinite values in {rows.size} of its {array.shape[0]} draws (first: row "
                         f"{rows[0]}); drop or redo those draws first")
    return array


def _signs(alternative: Alternative | Sequence[Alternative], k: int) -> tuple[np.ndarray, np.ndarray]:
    """Return, per hypothesis, the sign applied to the statistic and whether to take its absolute value."""
    if isinstance(alternative, str):
        alternatives = [alternative] * k
    else:
        alternatives = list(alternative)
        if len(alternatives) != k:
            raise ValueError(f"alternative has {len(alternatives)} entries but there are {k} hypotheses")
    unknown = sorted({str(a) for a in alternatives if a not in ALTERNATIVES})
    if unknown:
        raise ValueError(f"unknown alternative {', '.join(map(repr, unknown))}; use one of {ALTERNATIVES}")
    sign = np.array([-1.0 if a == "less" else 1.0 for a in alternatives])
    absolute = np.array([a == "two-sided" for a in alternatives])
    return sign, absolute


def _oriented(values: np.ndarray, sign: np.ndarray, absolute: np.ndarray) -> np.ndarray:
    """Return the statistics oriented so that large values are evidence against the null."""
    return np.where(absolute, np.abs(values), sign * values)


def _prepare(statistics: object, bootstrap_statistics: object,
             alternative: Alternative | Sequence[Alternative]) -> tuple[np.ndarray, np.ndarray]:
    """Validate the inputs and return the oriented observed (K,) and bootstrap (B, K) statistics."""
    t = _vector(statistics, "statistics")
    draws = _draw_matrix(bootstrap_statistics, "bootstrap_statistics", t.size)
    sign, absolute = _signs(alternative, t.size)
    return _oriented(t, sign, absolute), _oriented(draws, sign, absolute)


def _proportion(counts: np.ndarray, draws: int, plus_one: bool) -> np.ndarray:
    """Return ``(1 + counts) / (B + 1)`` or, without ``plus_one``, ``counts / B``."""
    if plus_one:
        return (1.0 + counts) / (draws + 1.0)
    return counts / float(draws)


def bootstrap_p_values(statistics: np.ndarray, bootstrap_statistics: np.ndarray, *,
                       alternative: Alternative | Sequence[Alternative] = "two-sided",
                       plus_one: bool = True) -> np.ndarray:
    """Compute unadjusted bootstrap p-values, one test at a time.

    Parameters
    ----------
    statistics : array_like, shape (K,)
        Observed test statistics.
    bootstrap_statistics : array_like, shape (B, K)
        Bootstrap statistics that impose the null (centred), one row per draw.
    alternative : {"two-sided", "greater", "less"} or sequence of them
        As in :func:`romano_wolf`.
    plus_one : bool, default True
        Report ``(1 + #{b: s*_bk >= s_k}) / (B + 1)`` rather than the proportion ``#{...} / B``.

    Returns
    -------
    ndarray, shape (K,)
        The p-value of each hypothesis ignoring the others.
    """
    observed, draws = _prepare(statistics, bootstrap_statistics, alternative)
    counts = (draws >= observed).sum(axis=0)
    return _proportion(counts, draws.shape[0], plus_one)


def romano_wolf(statistics: np.ndarray, bootstrap_statistics: np.ndarray, *,
                alternative: Alternative | Sequence[Alternative] = "two-sided",
                plus_one: bool = True) -> np.ndarray:
    """Compute Romano–Wolf step-down p-values adjusted for familywise error.

    Each statistic is first oriented so that large values speak against its null: ``|t|`` for
    "two-sided", ``t`` for "greater", ``-t`` for "less" (and likewise each bootstrap column). The
    hypotheses are ordered by decreasing oriented statistic ``s_(1) >= ... >= s_(K)``. At step j the null
    distribution is that of the maximum of the bootstrap statistics of the hypotheses not yet rejected,
    ``m*_bj = max(s*_b(j), ..., s*_b(K))``, and the step p-value is

        p_(j) = (1 + #{b : m*_bj >= s_(j)}) / (B + 1),

    the convention of Romano & Wolf (2016), Stata's ``rwolf`` and R's ``wildrwolf``, which counts the
    observed sample as one of the draws, so that no p-value is 0. The adjusted p-values are made monotone,
    ``p_adj_(j) = max(p_adj_(j-1), p_(j))``, and returned in the original order of the hypotheses.
    Hypotheses with equal oriented statistics receive the same adjusted p-value, whatever their order.

    Parameters
    ----------
    statistics : array_like, shape (K,)
        Observed test statistics, e.g. t statistics ``estimate / se``. K >= 1.
    bootstrap_statistics : array_like, shape (B, K)
        Bootstrap statistics with the null imposed (centred), one row per draw and one column per
        hypothesis, e.g. ``(theta*_b - theta_hat) / se*_b`` (see :func:`bootstrap_t_statistics`). Rows
        must come from the same resampling draw so that the dependence between the tests is kept.
        B >= 1. Infinite values are allowed, NaN is not.
    alternative : {"two-sided", "greater", "less"} or sequence of them, default "two-sided"
        The alternative hypothesis, for all tests or one per test.
    plus_one : bool, default True
        Use ``(1 + count) / (B + 1)``; with False, the proportion ``count / B`` (which can be 0).

    Returns
    -------
    ndarray, shape (K,)
        Adjusted p-values in the order of ``statistics``. Each is at least the unadjusted bootstrap
        p-value of its test (:func:`bootstrap_p_values`).

    Raises
    ------
    ValueError
        If the shapes do not match, an input contains NaN, B < 1, K < 1, or an alternative is unknown.

    Notes
    -----
    The cost is O(B K) after sorting: the maxima over the remaining hypotheses of every step are one
    reversed cumulative maximum along the rows of the reordered bootstrap matrix.
    """
    observed, draws = _prepare(statistics, bootstrap_statistics, alternative)
    order = np.argsort(-observed, kind="stable")
    ordered = observed[order]
    # Column j of ``remaining_max`` is the maximum over the hypotheses order[j:], i.e. those not yet rejected.
    remaining_max = np.maximum.accumulate(draws[:, order[::-1]], axis=1)[:, ::-1]
    counts = (remaining_max >= ordered).sum(axis=0)
    stepwise = np.maximum.accumulate(_proportion(counts, draws.shape[0], plus_one))
    adjusted = np.empty_like(stepwise)
    adjusted[order] = stepwise
    return adjusted


def _p_vector(p_values: object) -> np.ndarray:
    """Return p-values as a validated vector in [0, 1]."""
    p = _vector(p_values, "p_values")
    if ((p < 0.0) | (p > 1.0)).any():
        raise ValueError(f"p_values must lie in [0, 1]; got values from {p.min():g} to {p.max():g}")
    return p


def bonferroni(p_values: np.ndarray) -> np.ndarray:
    """Compute Bonferroni-adjusted p-values, ``min(1, K p_k)``.

    Parameters
    ----------
    p_values : array_like, shape (K,)
        Unadjusted p-values in [0, 1].

    Returns
    -------
    ndarray, shape (K,)
        Adjusted p-values in the same order.

    Raises
    ------
    ValueError
        If ``p_values`` is not a non-empty vector in [0, 1] without NaN.
    """
    p = _p_vector(p_values)
    return np.minimum(1.0, p.size * p)


def holm(p_values: np.ndarray) -> np.ndarray:
    """Compute Holm (1979) step-down adjusted p-values.

    With the p-values sorted increasingly, ``p_(1) <= ... <= p_(K)``, the adjusted value of the j-th is
    ``min(1, max_{i <= j} (K - i + 1) p_(i))``, returned in the original order.

    Parameters
    ----------
    p_values : array_like, shape (K,)
        Unadjusted p-values in [0, 1].

    Returns
    -------
    ndarray, shape (K,)
        Adjusted p-values in the same order.

    Raises
    ------
    ValueError
        If ``p_values`` is not a non-empty vector in [0, 1] without NaN.
    """
    p = _p_vector(p_values)
    order = np.argsort(p, kind="stable")
    multipliers = np.arange(p.size, 0, -1, dtype=float)
    stepwise = np.minimum(1.0, np.maximum.accumulate(multipliers * p[order]))
    adjusted = np.empty_like(stepwise)
    adjusted[order] = stepwise
    return adjusted


def bootstrap_t_statistics(estimates: np.ndarray, std_errors: np.ndarray, draws: np.ndarray, *,
                           draw_std_errors: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Compute observed and centred bootstrap t statistics from bootstrap estimates.

    The observed statistic tests ``theta_k = 0``: ``t_k = estimate_k / se_k`` (subtract another null
    value from ``estimates`` and ``draws`` first). The bootstrap statistics are centred on the estimate,
    which imposes the null on the bootstrap distribution: ``(draw_bk - estimate_k) / se*_bk`` with the
    standard error of each draw (the bootstrap-t), or ``(draw_bk - estimate_k) / se_k`` when
    ``draw_std_errors`` is None.

    Parameters
    ----------
    estimates : array_like, shape (K,)
        Point estimates.
    std_errors : array_like, shape (K,)
        Their standard errors, all positive.
    draws : array_like, shape (B, K)
        Bootstrap estimates, one row per draw.
    draw_std_errors : array_like, shape (B, K), optional
        Standard errors computed within each draw, all positive.

    Returns
    -------
    observed : ndarray, shape (K,)
        ``estimates / std_errors``.
    bootstrap : ndarray, shape (B, K)
        Centred bootstrap t statistics, ready for :func:`romano_wolf`.

    Raises
    ------
    ValueError
        If the shapes do not match, an input contains NaN, B < 1, K < 1, or a standard error is not
        positive.
    """
    estimate = _vector(estimates, "estimates")
    se = _vector(std_errors, "std_errors")
    if se.size != estimate.size:
        raise ValueError(f"std_errors has {se.size} entries but estimates has {estimate.size}")
    if not (se > 0.0).all():
        raise ValueError(f"std_errors must be positive; got {se[~(se > 0.0)].tolist()}")
    centred = _draw_matrix(draws, "draws", estimate.size) - estimate
    if draw_std_errors is None:
        return estimate / se, centred / se
    draw_se = _draw_matrix(draw_std_errors, "draw_std_errors", estimate.size)
    if draw_se.shape != centred.shape:
        raise ValueError(f"draw_std_errors has shape {draw_se.shape} but draws has shape {centred.shape}")
    if not (draw_se > 0.0).all():
        raise ValueError(f"draw_std_errors must be positive; {int((~(draw_se > 0.0)).sum())} entries are not")
    return estimate / se, centred / draw_se


def cluster_influence(result: object, term: str, cluster: str) -> pd.Series:
    """Return each cluster's linearised influence on one coefficient of a fitted model.

    For a model whose cluster-robust (CRV1) variance is ``bread @ meat @ bread`` with ``meat = Σ_g s_g s_g'``
    (``s_g`` the scores summed within cluster g), the influence of cluster g on coefficient j is
    ``(bread @ s_g)_j``: the sum of their squares is the CRV1 variance of the coefficient before its small-sample
    factor. Stacking the influences of coefficients from *different* models fitted on the same clusters gives
    their joint cluster-robust covariance (the device of Stata's ``suest``), which :func:`joint_correlation`
    turns into the correlation a joint test needs.

    Parameters
    ----------
    result : RegressionResults
        A fitted model that kept its inference inputs (scores, bread and estimation sample).
    term : str
        The coefficient.
    cluster : str
        Column of the estimation sample defining the clusters.

    Returns
    -------
    Series
        Influence by cluster label.

    Raises
    ------
    ValueError
        If the result has no inference inputs, lacks the term or the sample lacks the cluster column.
    """
    inputs = getattr(result, "inference", None)
    params = getattr(result, "params", None)
    if inputs is None or params is None:
        raise ValueError("cluster_influence needs a fitted model that kept its scores (not one after "
                         "remove_data(), nor a result without a variance of its own)")
    if term not in params.index:
        raise ValueError(f"term {term!r} is not among the model's coefficients ({', '.join(params.index)})")
    if cluster not in inputs.sample.columns:
        raise ValueError(f"cluster variable {cluster!r} is not in the model's estimation sample")
    labels = inputs.sample[cluster]
    if labels.isna().any():
        raise ValueError(f"cluster variable {cluster!r} has missing values in the estimation sample")
    scores = np.asarray(inputs.scores, dtype=float)
    if scores.shape[0] != len(labels):
        raise ValueError("the model's scores and its estimation sample have different numbers of rows")
    j = list(params.index).index(term)
    contributions = scores @ np.asarray(inputs.bread, dtype=float)[j, :]
    return pd.Series(contributions, index=labels.to_numpy()).groupby(level=0, sort=True).sum()


def joint_correlation(influences: Sequence[pd.Series]) -> np.ndarray:
    """Return the correlation matrix of estimates from their cluster influences (:func:`cluster_influence`).

    Clusters absent from one model's sample have zero influence on it. Raises ValueError when an estimate has no
    influence at all (its variance is zero) or no influences are given.
    """
    if not influences:
        raise ValueError("joint_correlation needs at least one estimate")
    frame = pd.concat(list(influences), axis=1, sort=True).fillna(0.0).to_numpy()
    covariance = frame.T @ frame
    scale = np.sqrt(np.diag(covariance))
    if not (scale > 0).all():
        raise ValueError("an estimate has no cluster influence (zero variance): it cannot enter a joint test")
    correlation = covariance / np.outer(scale, scale)
    np.fill_diagonal(correlation, 1.0)
    return correlation


def gaussian_romano_wolf(statistics: np.ndarray, correlation: np.ndarray, *,
                         alternative: Alternative | Sequence[Alternative] = "two-sided", draws: int = 9_999,
                         seed: int | None = None) -> np.ndarray:
    """Romano–Wolf step-down p-values with the null distribution drawn from a joint normal.

    Where the tests come from different models, a joint bootstrap is often out of reach; their statistics are
    jointly normal in large samples with the ``correlation`` of the estimates (e.g. :func:`joint_correlation`).
    ``draws`` rows of N(0, correlation) are the bootstrap statistics of :func:`romano_wolf` (a parametric
    bootstrap). The statistics should be on the normal scale: pass ``norm.isf(p)`` of one-sided p-values from
    other reference distributions (t), so that each single-test p-value is the one reported.

    Parameters
    ----------
    statistics : array_like, shape (K,)
        Observed statistics on the standard normal scale.
    correlation : array_like, shape (K, K)
        Their correlation under the null (symmetric, unit diagonal); a slightly indefinite matrix has its negative
        eigenvalues set to zero.
    alternative : as in :func:`romano_wolf`
    draws : int
        Number of normal draws (at least 1).
    seed : int, optional
        Seed of the draws.

    Returns
    -------
    ndarray, shape (K,)
        Adjusted p-values in the order of ``statistics``.
    """
    observed = _vector(statistics, "statistics")
    matrix = np.asarray(correlation, dtype=float)
    k = len(observed)
    if matrix.shape != (k, k) or not np.isfinite(matrix).all():
        raise ValueError(f"correlation must be a finite {k} × {k} matrix, got shape {matrix.shape}")
    if not np.allclose(matrix, matrix.T, rtol=0, atol=1e-10) or not np.allclose(np.diag(matrix), 1.0, rtol=0,
                                                                                atol=1e-10):
        raise ValueError("correlation must be symmetric with a unit diagonal")
    if int(draws) != draws or draws < 1:
        raise ValueError(f"draws must be a positive integer, got {draws!r}")
    values, vectors = np.linalg.eigh(matrix)
    if values.min() < -1e-8:
        raise ValueError(f"correlation is not positive semi-definite (smallest eigenvalue {values.min():.3g})")
    root = vectors * np.sqrt(np.clip(values, 0.0, None))
    normal = np.random.default_rng(seed).standard_normal((int(draws), k)) @ root.T
    return romano_wolf(observed, normal, alternative=alternative)
