"""Exact leave-one-cluster-out estimates for the CRV3 jackknife (see :mod:`villageaid.estimators.vcov`).

Linear models (:func:`linear_leave_one_out`)
    Fixed effects nested in the clusters disappear with their cluster, so absorbing them on the full
    sample is already exact for every leave-one-out sample. The fixed effects that are *not* nested (county
    × year effects when clustering by village, year effects...) must be re-estimated without the cluster:
    they enter as dummy regressors (after absorbing the nested ones), and for each cluster g the augmented
    normal equations without g give β₋g = β̂ − (H − H_g)⁻¹ S_g in closed form (H = Z'WZ, H_g and S_g
    cluster g's part of it and of the scores Z'Wû). A dummy whose level occurs only in cluster g is left
    out of that cluster's system. This is the leave-one-out refit exactly, at O(G·p³) after one pass over
    the data. When the non-nested fixed effects have more than
    :data:`~villageaid.estimators.demean.SMALL_FIXED_EFFECT_LEVELS` levels in all, each cluster's model is
    refitted instead (every fixed effect re-absorbed on the remaining rows).

Poisson pseudo-ML (:func:`poisson_leave_one_out`)
    Each leave-one-out model is refitted by IRLS, starting from the full-sample linear predictor, with
    the same sample rules as the full fit (fixed-effect groups left with only zero outcomes are dropped;
    separation is checked when a fitted mean collapses towards zero).

If leaving out a cluster leaves a coefficient without identifying variation (a dummy that is one only in
that cluster), the jackknife is undefined: :class:`~villageaid.estimators.vcov.JackknifeUndefinedError`
names the cluster and the term.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy import linalg

from villageaid.estimators.demean import SMALL_FIXED_EFFECT_LEVELS, FixedEffects
from villageaid.estimators.inference import COLLINEARITY_TOLERANCE, cluster_sums, collinear_on_gram
from villageaid.estimators.vcov import JackknifeUndefinedError
from villageaid.threads import fixed_blas_order


def undefined_error(cluster_name: str, label: object, term: str) -> JackknifeUndefinedError:
    """Return the error for a term left without variation once cluster ``label`` is left out."""
    return JackknifeUndefinedError(
        f"the cluster jackknife (CRV3) by {cluster_name} is undefined: without cluster '{label}', term {term!r} "
        "has no variation left (it is identified by that cluster alone). Use CRV1, or drop or pool the term",
        cluster_name=cluster_name, cluster=label, term=term)


def _cluster_grams(Z: np.ndarray, weights: np.ndarray | None, codes: np.ndarray, groups: int) -> np.ndarray:
    """Per-cluster Z_g'W_gZ_g as a (G × p × p) array, column pair by column pair (memory O(n))."""
    p = Z.shape[1]
    weighted = Z * weights[:, None] if weights is not None else Z
    grams = np.empty((groups, p, p))
    for j in range(p):
        for m in range(j, p):
            part = np.bincount(codes, weights=weighted[:, j] * Z[:, m], minlength=groups)
            grams[:, j, m] = part
            grams[:, m, j] = part
    return grams


def _split_fixed(fixed: FixedEffects | None, codes: np.ndarray) -> tuple[FixedEffects | None, list[int]]:
    """Split the fixed effects into those nested in the clusters (as one FixedEffects) and the indices of the others."""
    if fixed is None:
        return None, []
    nested = fixed.nested_in(codes)
    inner = [j for j, is_nested in enumerate(nested) if is_nested]
    outer = [j for j, is_nested in enumerate(nested) if not is_nested]
    if not inner:
        return None, outer
    sub = FixedEffects(tuple(fixed.names[j] for j in inner), tuple(fixed.codes[j] for j in inner),
                       tuple(fixed.levels[j] for j in inner))
    return sub, outer


@fixed_blas_order
def linear_leave_one_out(y: np.ndarray, X: np.ndarray, weights: np.ndarray | None, fixed: FixedEffects | None,
                         codes: np.ndarray, names: list[str], cluster_name: str,
                         cluster_labels: np.ndarray) -> np.ndarray:
    """Leave-one-cluster-out OLS estimates (G × k), every fixed effect re-estimated (module notes).

    Parameters
    ----------
    y, X : ndarray
        Outcome and regressors of the estimation sample, before absorbing fixed effects.
    weights : ndarray or None
    fixed : FixedEffects or None
        Fixed effects over the sample.
    codes : ndarray
        Cluster code (0 … G−1) of each row.
    names : list of str
        Regressor names (for messages).
    cluster_name : str
        Cluster variable (for messages).
    cluster_labels : ndarray
        Cluster value of each code (for messages).
    """
    groups = int(codes.max()) + 1
    inner, outer = _split_fixed(fixed, codes)
    outer_levels = sum(fixed.levels[j] for j in outer) if fixed is not None else 0
    if outer and outer_levels > SMALL_FIXED_EFFECT_LEVELS:
        return _refit_each_cluster(y, X, weights, fixed, codes, names, cluster_name, cluster_labels)
    k = X.shape[1]
    dummies = [fixed.codes[j] == level for j in outer for level in range(fixed.levels[j])] if fixed else []
    Z = np.empty((len(y), len(dummies) + k + 1), order="F")
    for j, column in enumerate(dummies):
        Z[:, j] = column
    Z[:, len(dummies):-1] = X
    Z[:, -1] = y
    raw_counts = cluster_sums(Z[:, : len(dummies)], codes, groups) if dummies else np.zeros((groups, 0))
    raw_ss = cluster_sums(Z[:, :-1] ** 2, codes, groups)
    if inner is not None:
        Z, _ = inner.demean(Z, weights, copy=False)
    yt, Z = Z[:, -1].copy(), Z[:, :-1]
    gram = (Z * weights[:, None]).T @ Z if weights is not None else Z.T @ Z
    # Dummies redundant with each other or with the nested effects are dropped on the full sample (they come
    # first, so the regressors, already checked against every fixed effect, are never dropped here).
    redundant = collinear_on_gram(gram, raw_ss.sum(axis=0), COLLINEARITY_TOLERANCE)
    keep = np.setdiff1d(np.arange(Z.shape[1]), redundant)
    if np.any(keep[-k:] != np.arange(Z.shape[1] - k, Z.shape[1])):
        raise RuntimeError("a regressor is collinear with the fixed effects in the jackknife design")
    Z, gram, raw_ss, n_dummies = Z[:, keep], gram[np.ix_(keep, keep)], raw_ss[:, keep], int(np.sum(keep < len(dummies)))
    raw_counts = raw_counts[:, keep[:n_dummies]]
    Zw = Z * weights[:, None] if weights is not None else Z
    beta = np.linalg.solve(gram, Zw.T @ yt)
    resid = yt - Z @ beta
    scores = cluster_sums(Zw * resid[:, None], codes, groups)
    grams = _cluster_grams(Z, weights, codes, groups)
    vanished = raw_counts >= raw_counts.sum(axis=0)[None, :] - 0.5  # the level lies within cluster g alone
    total_ss = raw_ss.sum(axis=0)
    estimates = np.empty((groups, k))
    for g in range(groups):
        active = np.concatenate([~vanished[g], np.ones(k, dtype=bool)])
        index = np.flatnonzero(active)
        reduced = gram[np.ix_(index, index)] - grams[g][np.ix_(index, index)]
        shift = _solve_if_identified(reduced, scores[g, index], (total_ss - raw_ss[g])[index])
        if shift is None:  # something is (nearly) collinear without cluster g: find it column by column
            dropped = collinear_on_gram(reduced, (total_ss - raw_ss[g])[index], COLLINEARITY_TOLERANCE)
            lost = [int(index[d]) - n_dummies for d in dropped if index[d] >= n_dummies]
            if lost:
                raise undefined_error(cluster_name, cluster_labels[g], names[lost[0]])
            index = np.delete(index, dropped)
            reduced = gram[np.ix_(index, index)] - grams[g][np.ix_(index, index)]
            shift = np.linalg.solve(reduced, scores[g, index])
        estimates[g] = beta[n_dummies:] - shift[-k:]
    return estimates


def _solve_if_identified(gram: np.ndarray, rhs: np.ndarray, raw_ss: np.ndarray) -> np.ndarray | None:
    """Solve gram · b = rhs by Cholesky when every column is identified, else return None.

    The residual sum of squares of column j on all the others is 1 / (gram⁻¹)_jj; every column passes when
    it exceeds the collinearity tolerance times the column's raw sum of squares (the test of the full fit).
    """
    try:
        factor = linalg.cho_factor(gram, check_finite=False)
    except linalg.LinAlgError:
        return None
    inverse_diagonal = np.diag(linalg.cho_solve(factor, np.eye(len(gram)), check_finite=False))
    if not np.all(1 / inverse_diagonal > COLLINEARITY_TOLERANCE * np.maximum(raw_ss, 1e-300)):
        return None
    return linalg.cho_solve(factor, rhs, check_finite=False)


def _refit_each_cluster(y: np.ndarray, X: np.ndarray, weights: np.ndarray | None, fixed: FixedEffects | None,
                        codes: np.ndarray, names: list[str], cluster_name: str,
                        cluster_labels: np.ndarray) -> np.ndarray:
    """Refit the linear model without each cluster, every fixed effect re-absorbed (large non-nested FE)."""
    groups = int(codes.max()) + 1
    estimates = np.empty((groups, X.shape[1]))
    design = np.column_stack([y, X])
    for g in range(groups):
        keep = codes != g
        w = weights[keep] if weights is not None else None
        sub = design[keep]
        raw_ss = (sub[:, 1:] ** 2).sum(axis=0)
        if fixed is not None:
            sub, _ = fixed.subset(keep).demean(sub, w, copy=False)
        Xg, yg = sub[:, 1:], sub[:, 0]
        Xw = Xg * w[:, None] if w is not None else Xg
        gram = Xw.T @ Xg
        dropped = collinear_on_gram(gram, raw_ss, COLLINEARITY_TOLERANCE)
        if dropped:
            raise undefined_error(cluster_name, cluster_labels[g], names[dropped[0]])
        estimates[g] = np.linalg.solve(gram, Xw.T @ yg)
    return estimates


#: Refit function of a Poisson model on a subsample: (keep mask, starting linear predictor) → estimates.
PoissonRefit = Callable[[np.ndarray, np.ndarray], np.ndarray]


@fixed_blas_order
def poisson_leave_one_out(refit: PoissonRefit, eta: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Leave-one-cluster-out Poisson estimates (G × k), each refitted from the full-sample linear predictor."""
    groups = int(codes.max()) + 1
    rows = [refit(codes != g, eta) for g in range(groups)]
    return np.vstack(rows)


def labels_of(sample: pd.DataFrame, cluster_name: str, codes: np.ndarray) -> np.ndarray:
    """Return the cluster value of each code (for messages)."""
    values = sample[cluster_name].to_numpy()
    first = np.full(int(codes.max()) + 1, -1, dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes))[::-1]
    return values[first]
