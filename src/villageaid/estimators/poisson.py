"""Poisson pseudo-maximum likelihood with absorbed fixed effects (fixest's ``fepois``, Stata's ``ppmlhdfe``).

Iteratively reweighted least squares in which each weighted least-squares step absorbs the fixed effects
by weighted alternating projections. Written here because statsmodels has no absorbed fixed effects
(GLM with dummies does not scale past ~10,000 rows and ConditionalPoisson cannot cluster, PEERS.md) and
linearmodels has no Poisson model.

Before estimating, observations whose mean is not identified are removed, as ppmlhdfe and fixest do:

1. observations in a fixed-effect group whose outcome is always zero (iterated until none is left);
2. observations separated by the regressors: found with the ReLU algorithm of Correia, Guimarães and
   Zylkin (2021, "Verifying the existence of maximum likelihood estimates for generalized linear
   models"): a linear combination z = Xγ (with fixed effects) that is zero wherever y > 0 and
   non-negative wherever y = 0; the zeros with z > 0 are separated.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import linalg
from scipy.special import gammaln

from villageaid.estimators.demean import FixedEffects
from villageaid.estimators.formula import model_matrix, parse_formula
from villageaid.estimators.ols import drop_collinear
from villageaid.estimators.results import RegressionResults
from villageaid.estimators.vcov import VcovSpec, cluster_codes, parse_vcov, sandwich_vcov

#: Convergence: relative change of the deviance between iterations.
DEVIANCE_TOLERANCE = 1e-14
MAX_IRLS_ITERATIONS = 200
#: ReLU separation check: weight of the positive observations and the zero threshold for fitted values.
RELU_POSITIVE_WEIGHT = 1e6
RELU_TOLERANCE = 1e-8
RELU_MAX_ITERATIONS = 100


def _drop_all_zero_groups(y: np.ndarray, fixed: FixedEffects, keep: np.ndarray) -> np.ndarray:
    while True:
        sub = fixed.subset(keep)
        drop = np.zeros(int(keep.sum()), dtype=bool)
        for code, size in zip(sub.codes, sub.levels, strict=True):
            drop |= (np.bincount(code, weights=y[keep], minlength=size) == 0)[code]
        if not drop.any():
            return keep
        keep[np.flatnonzero(keep)[drop]] = False


def _relu_separated(y: np.ndarray, X: np.ndarray, fixed: FixedEffects | None) -> np.ndarray:
    """Return a mask of observations separated by the regressors (ReLU algorithm)."""
    zero = y == 0
    if not zero.any() or X.shape[1] == 0:
        return np.zeros(len(y), dtype=bool)
    weights = np.where(zero, 1.0, RELU_POSITIVE_WEIGHT)
    u = zero.astype(float)
    for _ in range(RELU_MAX_ITERATIONS):
        design = np.column_stack([u, X])
        if fixed is not None:
            design, _ = fixed.demean(design, weights)
        target, regressors = design[:, 0], design[:, 1:]
        gamma, *_ = np.linalg.lstsq(regressors * np.sqrt(weights)[:, None], target * np.sqrt(weights), rcond=None)
        fitted = u - (target - regressors @ gamma)  # fitted value including the fixed effects
        scale = max(float(np.abs(fitted[zero]).max()), 1e-300)
        # A certificate of separation: z = Xγ is zero on every positive outcome and non-negative on the
        # zeros, with some strictly positive. Heavy weights push z towards zero on the positives; only
        # values there below RELU_TOLERANCE × scale count as zero.
        on_positive = np.abs(fitted[~zero]).max() if (~zero).any() else 0.0
        if on_positive <= RELU_TOLERANCE * scale and (fitted[zero] >= -RELU_TOLERANCE * scale).all():
            return zero & (fitted > RELU_TOLERANCE * scale)
        u = np.where(zero, np.maximum(fitted, 0.0), 0.0)
        if u.max() <= RELU_TOLERANCE:  # the iteration has shrunk to nothing: no separation
            break
    return np.zeros(len(y), dtype=bool)


@dataclass(frozen=True)
class FEPoisson:
    """A Poisson pseudo-maximum-likelihood model with absorbed fixed effects.

    Parameters
    ----------
    formula : str
        ``"y ~ x1 + x2 | fe1 + fe2"``; y must be non-negative (zeros allowed).
    data : DataFrame
    """

    formula: str
    data: pd.DataFrame

    def fit(self, *, vcov: VcovSpec | None = None) -> RegressionResults:
        """Estimate by iteratively reweighted least squares.

        ``vcov`` is as for :func:`villageaid.estimators.feols` (default: clustered by the first fixed
        effect, else heteroskedasticity-robust); inference is normal (z), as in fixest's ``fepois``.
        """
        parsed = parse_formula(self.formula)
        if vcov is None:
            vcov = {"CRV1": parsed.fixed_effects[0]} if parsed.fixed_effects else "hetero"
        choice = parse_vcov(vcov)
        y_all = self.data[parsed.depvar].to_numpy(dtype=float, na_value=np.nan)
        names, X_all = model_matrix(self.data, parsed)
        keep = np.isfinite(y_all) & np.isfinite(X_all).all(axis=1)
        for column in (*[p for fe in parsed.fixed_effects for p in fe.split("^")], *choice.clusters):
            keep &= self.data[column].notna().to_numpy()
        notes = []
        if (~keep).any():
            notes.append(f"{int((~keep).sum()):,} observations removed because of missing values")
        if (y_all[keep] < 0).any():
            raise ValueError(f"{parsed.depvar} has negative values; Poisson pseudo-ML needs y >= 0")
        fixed_all = FixedEffects.from_data(self.data, parsed.fixed_effects) if parsed.fixed_effects else None
        if fixed_all is not None:
            before = int(keep.sum())
            keep = _drop_all_zero_groups(y_all, fixed_all, keep)
            if int(keep.sum()) < before:
                notes.append(f"{before - int(keep.sum()):,} observations removed because their fixed-effect "
                             "group has only zero outcomes")
        fixed = fixed_all.subset(keep) if fixed_all is not None else None
        separated = _relu_separated(y_all[keep], X_all[keep], fixed)
        if separated.any():
            notes.append(f"{int(separated.sum()):,} observations removed because they are separated by the "
                         "regressors (their fitted mean would be zero)")
            keep[np.flatnonzero(keep)[separated]] = False
            fixed = fixed_all.subset(keep) if fixed_all is not None else None
        y, X = y_all[keep], X_all[keep]
        check = fixed.demean(X)[0] if fixed is not None else X
        _, kept = drop_collinear(check, names, (X**2).sum(axis=0), None, notes)
        X = X[:, [names.index(name) for name in kept]]
        names = kept
        data = self.data.loc[keep].reset_index(drop=True)
        beta, mu, Xt, iterations = self._irls(y, X, fixed)
        n, k = X.shape
        working = Xt * mu[:, None]
        bread = linalg.inv(working.T @ Xt)
        scores = Xt * (y - mu)[:, None]
        clusters = cluster_codes(data, choice.clusters) if choice.clusters else None
        v = sandwich_vcov(choice, bread, scores, 0.0, n, k, fixed, clusters, X=Xt, hessian_weights=mu)
        if choice.kind == "iid":  # Poisson variance: dispersion fixed at one
            v = replace(v, matrix=bread)
        with np.errstate(divide="ignore", invalid="ignore"):
            ylogy = np.where(y > 0, y * np.log(y / mu), 0.0)
            ylogy_null = np.where(y > 0, y * np.log(y / y.mean()), 0.0)
        deviance = float(2 * (ylogy - (y - mu)).sum())
        null_deviance = float(2 * ylogy_null.sum())
        loglik = float((y * np.log(mu) - mu - gammaln(y + 1)).sum())
        params = pd.Series(beta, index=names)
        return RegressionResults(
            estimator="PPML", formula=self.formula, depvar=parsed.depvar, params=params,
            vcov=pd.DataFrame(v.matrix, index=names, columns=names), vcov_type=choice.label, nobs=n,
            df_t=np.inf,
            fit_statistics={"deviance": deviance, "pseudo_r2": 1 - deviance / null_deviance if null_deviance else
                            np.nan, "loglik": loglik, "iterations": float(iterations)},
            fixed_effects=dict(zip(fixed.names, fixed.levels, strict=True)) if fixed is not None else {},
            clusters=v.clusters, notes=tuple(notes) + v.notes,
        )

    @staticmethod
    def _irls(y: np.ndarray, X: np.ndarray, fixed: FixedEffects | None) -> tuple[np.ndarray, np.ndarray,
                                                                                    np.ndarray, int]:
        mu = (y + y.mean()) / 2
        eta = np.log(mu)
        deviance_old = np.inf
        iterations = 0
        while True:
            iterations += 1
            if iterations > MAX_IRLS_ITERATIONS:
                raise RuntimeError(f"PPML did not converge in {MAX_IRLS_ITERATIONS} iterations")
            z = eta + (y - mu) / mu
            if fixed is not None:
                demeaned, _ = fixed.demean(np.column_stack([z, X]), mu)
                zt, Xt = demeaned[:, 0], demeaned[:, 1:]
            else:
                zt, Xt = z, X
            Xw = Xt * mu[:, None]
            beta = linalg.solve(Xw.T @ Xt, Xw.T @ zt, assume_a="pos")
            eta = z - (zt - Xt @ beta)  # linear predictor including the fixed effects
            mu = np.exp(eta)
            with np.errstate(divide="ignore", invalid="ignore"):
                deviance = float(2 * (np.where(y > 0, y * np.log(y / mu), 0.0) - (y - mu)).sum())
            if abs(deviance - deviance_old) <= DEVIANCE_TOLERANCE * max(abs(deviance), 1.0):
                break
            deviance_old = deviance
        if fixed is not None:
            demeaned, _ = fixed.demean(X, mu)
            Xt = demeaned
        else:
            Xt = X
        return beta, mu, Xt, iterations


def fepois(formula: str, data: pd.DataFrame, *, vcov: VcovSpec | None = None) -> RegressionResults:
    """Fit a Poisson pseudo-ML model with fixed effects: ``FEPoisson(formula, data).fit(vcov=vcov)``."""
    return FEPoisson(formula, data).fit(vcov=vcov)
