"""Poisson pseudo-maximum likelihood with absorbed fixed effects (fixest's ``fepois``, Stata's ``ppmlhdfe``).

Iteratively reweighted least squares in which each weighted least-squares step absorbs the fixed effects
by weighted alternating projections. Written here because statsmodels has no absorbed fixed effects
(GLM with dummies does not scale past ~10,000 rows and ConditionalPoisson cannot cluster) and
linearmodels has no Poisson model.

Before estimating, observations whose mean is not identified are removed, as ppmlhdfe and fixest do:

1. observations in a fixed-effect group whose outcome is always zero (iterated until none is left);
2. observations separated by the regressors: found with the ReLU algorithm of Correia, Guimarães and
   Zylkin (2021, "Verifying the existence of maximum likelihood estimates for generalized linear
   models"): a linear combination z = Xγ (with fixed effects) that is zero wherever y > 0 and
   non-negative wherever y = 0; the zeros with z > 0 are separated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd
from scipy import linalg
from scipy.special import gammaln

from villageaid.estimators.checks import check_scale, require_frame, require_text, sample_mask
from villageaid.estimators.demean import FixedEffects
from villageaid.estimators.formula import model_matrix, parse_formula
from villageaid.estimators.inference import COLLINEARITY_TOLERANCE, InferenceInputs, collinear_on_gram, compute_vcov
from villageaid.estimators.jackknife import labels_of, poisson_leave_one_out, undefined_error
from villageaid.estimators.limits import TooFewError
from villageaid.estimators.multiple import MultipleResults, estimate_multiple, is_multiple
from villageaid.estimators.ols import drop_collinear
from villageaid.estimators.predict import Predictor
from villageaid.estimators.results import RegressionResults
from villageaid.estimators.vcov import CRV1, HC1, SSC, VcovSpec, as_vcov
from villageaid.threads import fixed_blas_order

#: Variances Poisson pseudo-ML supports (see :mod:`villageaid.estimators.vcov`).
SUPPORTED_VCOV = ("iid", "HC1", "CRV1", "CRV1 two-way", "CRV3")
#: In a leave-one-cluster-out refit, a fitted mean below this share of the mean outcome triggers the
#: separation check (separated observations have means that shrink towards zero at every iteration; the refits
#: stop at a looser tolerance than the full fit, so the trigger is set well above where the means end up).
COLLAPSED_MEAN = 1e-6

#: Convergence: relative change of the deviance between iterations.
DEVIANCE_TOLERANCE = 1e-14
#: The same for the leave-one-cluster-out refits of the jackknife, which start from the full fit and so converge in
#: two or three Newton steps: stopping at 1e-10 saves the last step of each of G refits and keeps the jackknife
#: within 3e-9 (relative) of brute-force refits to full convergence on the paper's models (the tests hold it to
#: 1e-6); at 1e-8 the gap grew to 1e-5.
JACKKNIFE_DEVIANCE_TOLERANCE = 1e-10
MAX_IRLS_ITERATIONS = 200
#: ReLU separation check: weight of the positive observations and the zero threshold for fitted values.
RELU_POSITIVE_WEIGHT = 1e6
RELU_TOLERANCE = 1e-8
RELU_MAX_ITERATIONS = 100


def _drop_all_zero_groups(y: np.ndarray, fixed: FixedEffects, keep: np.ndarray) -> np.ndarray:
    """Drop (in ``keep``, returned) the rows whose group of a fixed effect has only zero outcomes, until none is left.

    The groups are those of ``fixed``'s own codes (over all its rows): a group's outcomes among the kept rows sum to
    zero (they are non-negative) exactly when they are all zero, whatever the numbering, so the kept rows need no
    renumbering here (a jackknife makes this check for every cluster left out).
    """
    while True:
        rows = np.flatnonzero(keep)
        outcome = y[rows]
        drop = np.zeros(len(rows), dtype=bool)
        for code, size in zip(fixed.codes, fixed.levels, strict=True):
            kept_code = code[rows]
            drop |= (np.bincount(kept_code, weights=outcome, minlength=size) == 0)[kept_code]
        if not drop.any():
            return keep
        keep[rows[drop]] = False


def _relu_separated(y: np.ndarray, X: np.ndarray, fixed: FixedEffects | None) -> np.ndarray:
    """Return a mask of observations separated by the regressors (ReLU algorithm)."""
    zero = y == 0
    if not zero.any() or X.shape[1] == 0:
        return np.zeros(len(y), dtype=bool)
    weights = np.where(zero, 1.0, RELU_POSITIVE_WEIGHT)
    u = zero.astype(float)
    for _ in range(RELU_MAX_ITERATIONS):
        if fixed is not None:
            design = np.empty((len(u), X.shape[1] + 1), order="F")  # column-major, demeaned in place
            design[:, 0], design[:, 1:] = u, X
            design, _ = fixed.demean(design, weights, copy=False)
        else:
            design = np.column_stack([u, X])
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
        Missing values drop their observations with a counted note, infinite ones with their own counted note
        naming the columns; empty data, negative outcomes and columns too large or small for float64 are refused.
    """

    formula: str
    data: pd.DataFrame

    @fixed_blas_order
    def fit(self, *, vcov: VcovSpec | None = None, ssc: SSC | None = None) -> RegressionResults:
        """Estimate by iteratively reweighted least squares.

        ``vcov`` is as for :func:`villageaid.estimators.feols` (default: clustered by the first fixed
        effect, else HC1); ``IID`` is the inverse information times fixest's (n − 1)/(n − K)
        (``SSC(adj=False)`` gives R ``vcov(glm)``) and ``CRV3`` refits the model without each cluster
        (see :mod:`villageaid.estimators.jackknife`). ``ssc`` is the small-sample correction (default
        fixest's). Inference is normal (z), as in fixest's ``fepois``.
        """
        require_text(self.formula, "formula", "fepois")
        require_frame(self.data, "fepois")
        parsed = parse_formula(self.formula)
        if vcov is None:
            vcov = CRV1(parsed.fixed_effects[0]) if parsed.fixed_effects else HC1()
        choice = as_vcov(vcov, ssc)
        if parsed.depvar not in self.data.columns:
            raise KeyError(f"dependent variable {parsed.depvar!r} is not in the data")
        y_all = self.data[parsed.depvar].to_numpy(dtype=float, na_value=np.nan)
        names, X_all = model_matrix(self.data, parsed)
        absent = np.zeros(len(self.data), dtype=bool)
        for column in (*[p for fe in parsed.fixed_effects for p in fe.split("^")], *choice.clusters):
            if column not in self.data.columns:
                raise KeyError(f"column {column!r} is not in the data")
            absent |= self.data[column].isna().to_numpy()
        notes: list[str] = []
        keep = sample_mask([y_all, X_all], [parsed.depvar, *names], "fepois", notes=notes, data=self.data,
                           also_missing=absent)
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
        if not keep.any():
            raise TooFewError("fepois: no observation is left to estimate from: " + "; ".join(notes or [
                "the sample is empty"]))
        check_scale(names, X, "fepois", outcome=y, depvar=parsed.depvar)
        check = fixed.demean(X)[0] if fixed is not None else X
        _, kept = drop_collinear(check, names, (X**2).sum(axis=0), None, notes)
        X = X[:, [names.index(name) for name in kept]]
        names = kept
        data = self.data.loc[keep].reset_index(drop=True)
        beta, mu, Xt, iterations = self._irls(y, X, fixed)
        n, k = X.shape
        working = Xt * mu[:, None]
        bread = linalg.inv(working.T @ Xt)
        eta = np.log(mu)

        inputs = InferenceInputs(
            estimator="fepois (Poisson pseudo-ML)", supported=SUPPORTED_VCOV, bread=bread,
            scores=Xt * (y - mu)[:, None], nobs=n, n_coef=k,
            absorbed=fixed.degrees_of_freedom if fixed is not None else 0, fixed=fixed, sample=data, params=beta,
            rss=None, linear=False, leave_one_out=_PoissonLeaveOneOut(y, X, fixed, names, eta, data))
        v = compute_vcov(choice, inputs)
        with np.errstate(divide="ignore", invalid="ignore"):
            ylogy = np.where(y > 0, y * np.log(y / mu), 0.0)
            ylogy_null = np.where(y > 0, y * np.log(y / y.mean()), 0.0)
        deviance = float(2 * (ylogy - (y - mu)).sum())
        null_deviance = float(2 * ylogy_null.sum())
        loglik = float((y * np.log(mu) - mu - gammaln(y + 1)).sum())
        params = pd.Series(beta, index=names)
        predictor = Predictor(parsed, y, eta, partial(np.dot, X, beta), "log", fixed, data)
        return RegressionResults(
            estimator="PPML", formula=self.formula, depvar=parsed.depvar, params=params,
            vcov=pd.DataFrame(v.matrix, index=names, columns=names), vcov_type=choice.label, nobs=n,
            df_t=np.inf,
            fit_statistics={"deviance": deviance, "pseudo_r2": 1 - deviance / null_deviance if null_deviance else
                            np.nan, "loglik": loglik, "iterations": float(iterations)},
            fixed_effects=dict(zip(fixed.names, fixed.levels, strict=True)) if fixed is not None else {},
            clusters=v.clusters, notes=tuple(notes) + v.notes, variance=choice, inference=inputs,
            predictor=predictor, model=self, df_resid=inputs.df_resid, ssc=v.ssc,
        )

    @staticmethod
    @fixed_blas_order
    def _irls(y: np.ndarray, X: np.ndarray, fixed: FixedEffects | None,
              start: np.ndarray | None = None, *, transform: bool = True, tolerance: float = DEVIANCE_TOLERANCE,
              check: Callable[[np.ndarray, np.ndarray], None] | None = None
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, int]:
        """Fit by iteratively reweighted least squares, from ``start`` (a linear predictor) if given.

        ``check(weighted gram, weights)`` runs on the first iteration's design: a jackknife refit checks there that
        no column lost its variation.
        """
        mu = (y + y.mean()) / 2 if start is None else np.exp(start)
        eta = np.log(mu)
        deviance_old = np.inf
        iterations = 0
        if fixed is not None:
            # Each iteration demeans z and the regressors in place in one column-major array; it and the weighted
            # regressors are allocated once (the jackknife's refits run thousands of iterations on small arrays),
            # and the regressors are copied column-major once, so that each iteration copies them whole.
            regressors = np.asfortranarray(X)
            stacked = np.empty((len(y), X.shape[1] + 1), order="F")
            weighted = np.empty(X.shape, order="F")
        while True:
            iterations += 1
            if iterations > MAX_IRLS_ITERATIONS:
                raise RuntimeError(f"PPML did not converge in {MAX_IRLS_ITERATIONS} iterations")
            z = eta + (y - mu) / mu
            if fixed is not None:
                stacked[:, 0], stacked[:, 1:] = z, regressors
                demeaned, _ = fixed.demean(stacked, mu, copy=False)
                zt, Xt = demeaned[:, 0], demeaned[:, 1:]
                # the same products as Xt * mu[:, None], which is column-major too
                Xw = np.multiply(Xt, mu[:, None], out=weighted) if Xt.flags.f_contiguous else Xt * mu[:, None]
            else:
                zt, Xt = z, X
                Xw = Xt * mu[:, None]
            gram = Xw.T @ Xt
            if check is not None and iterations == 1:
                check(gram, mu)
            beta = linalg.solve(gram, Xw.T @ zt, assume_a="pos")
            eta = z - (zt - Xt @ beta)  # linear predictor including the fixed effects
            mu = np.exp(eta)
            with np.errstate(divide="ignore", invalid="ignore"):
                deviance = float(2 * (np.where(y > 0, y * np.log(y / mu), 0.0) - (y - mu)).sum())
            if abs(deviance - deviance_old) <= tolerance * max(abs(deviance), 1.0):
                break
            deviance_old = deviance
        if not transform:  # a jackknife refit needs the coefficients only
            return beta, mu, None, iterations
        if fixed is not None:
            demeaned, _ = fixed.demean(X, mu)
            Xt = demeaned
        else:
            Xt = X
        return beta, mu, Xt, iterations


@dataclass(frozen=True)
class _PoissonLeaveOneOut:
    """The leave-one-cluster-out Poisson estimates, each refitted from the full fit (a picklable callable)."""

    y: np.ndarray
    X: np.ndarray
    fixed: FixedEffects | None
    names: list[str]
    eta: np.ndarray
    data: pd.DataFrame

    def __call__(self, codes: np.ndarray, cluster_name: str) -> np.ndarray:
        labels = labels_of(self.data, cluster_name, codes)
        refit = partial(_refit_without, self, self.X**2, codes, cluster_name, labels)
        return poisson_leave_one_out(refit, self.eta, codes)


def _refit_without(problem: _PoissonLeaveOneOut, squares: np.ndarray, codes: np.ndarray, cluster_name: str,
                   labels: np.ndarray, rows: np.ndarray, start: np.ndarray) -> np.ndarray:
    return _refit(problem.y, problem.X, problem.fixed, rows, start, problem.names, cluster_name,
                  lambda: labels[codes[~rows][0]], squares=squares)


@fixed_blas_order
def _refit(y: np.ndarray, X: np.ndarray, fixed: FixedEffects | None, rows: np.ndarray, start: np.ndarray,
           names: list[str], cluster_name: str, label: object | Callable[[], object], *,
           squares: np.ndarray | None = None) -> np.ndarray:
    """Refit on ``rows`` (one cluster left out) from the linear predictor ``start``, with the full fit's rules.

    ``label`` names the cluster left out in a refusal (or a function that returns it, called only then);
    ``squares`` is ``X**2`` when the caller has it (a jackknife squares the regressors once for all its refits).
    """
    squares = X**2 if squares is None else squares

    def collinear(kept_squares: np.ndarray, gram: np.ndarray, mu: np.ndarray) -> None:
        # On the first iteration's weighted design: weights are positive, so a column without variation left
        # (the full fit's rule, on its unweighted design) has none here either.
        dropped = collinear_on_gram(gram, (kept_squares * mu[:, None]).sum(axis=0), COLLINEARITY_TOLERANCE)
        if dropped:
            raise undefined_error(cluster_name, label() if callable(label) else label, names[dropped[0]])

    def fit(keep: np.ndarray) -> tuple[np.ndarray, np.ndarray, FixedEffects | None]:
        sub = fixed.subset(keep) if fixed is not None else None
        # the rows of X[keep], row-major as a boolean index returns them, gathered several times faster
        index = np.flatnonzero(keep)
        kept_X = np.ascontiguousarray(np.take(X, index, axis=0))
        kept_squares = np.ascontiguousarray(np.take(squares, index, axis=0))
        beta, mu, _, _ = FEPoisson._irls(y[keep], kept_X, sub, start[keep], transform=False,
                                         tolerance=JACKKNIFE_DEVIANCE_TOLERANCE, check=partial(collinear, kept_squares))
        return beta, mu, sub

    keep = _drop_all_zero_groups(y, fixed, rows.copy()) if fixed is not None else rows.copy()
    beta, mu, sub = fit(keep)
    if mu.min() >= COLLAPSED_MEAN * max(y[keep].mean(), 1e-300):
        return beta
    # A mean collapsing towards zero: one separation check, as the full fit makes, then the final fit.
    separated = _relu_separated(y[keep], X[keep], sub)
    if not separated.any():
        return beta
    keep[np.flatnonzero(keep)[separated]] = False
    if fixed is not None:
        keep = _drop_all_zero_groups(y, fixed, keep)
    return fit(keep)[0]


def fepois(formula: str, data: pd.DataFrame, *, vcov: VcovSpec | None = None, ssc: SSC | None = None,
           split: str | None = None, fsplit: str | None = None) -> RegressionResults | MultipleResults:
    """Fit a Poisson pseudo-ML model with fixed effects: ``FEPoisson(formula, data).fit(vcov=vcov, ssc=ssc)``.

    Parameters
    ----------
    formula : str
        ``"y ~ x1 + x2 | fe1 + fe2"``; y must be non-negative. Several outcomes or a stepwise function
        estimate several models (see :mod:`villageaid.estimators.multiple`).
    data : DataFrame
    vcov : VarianceEstimator, str or dict, optional
        See :meth:`FEPoisson.fit`.
    ssc : SSC, optional
        Small-sample correction (default fixest's).
    split, fsplit : str, optional
        Estimate on each value of this column (``fsplit``: and on the full sample).

    Returns
    -------
    RegressionResults, or MultipleResults for several models

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> data = pd.DataFrame({"unit": np.repeat(np.arange(40), 5), "x": rng.normal(size=200)})
    >>> data["y"] = rng.poisson(np.exp(0.3 * data["x"]))
    >>> fit = fepois("y ~ x | unit", data, vcov={"CRV3": "unit"})
    >>> fit.vcov_type
    'cluster jackknife (CRV3) by unit'
    """
    def fit(text: str, sample: pd.DataFrame) -> RegressionResults:
        return FEPoisson(text, sample).fit(vcov=vcov, ssc=ssc)

    require_text(formula, "formula", "fepois")
    require_frame(data, "fepois")
    if is_multiple(formula, split, fsplit):
        return estimate_multiple(formula, data, fit, split=split, fsplit=fsplit)
    return fit(formula, data)
