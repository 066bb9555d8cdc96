"""Logit with robust or cluster-robust errors and average marginal effects.

The maximum-likelihood fit is statsmodels' ``Logit`` (Newton); the variances come from the shared core in
:mod:`villageaid.estimators.vcov`, with fixest's small-sample correction by default (``feglm``): ``IID`` is
the inverse information times (n − 1)/(n − k) (R ``vcov(glm)`` with ``SSC(adj=False)``), ``HC1`` multiplies
the sandwich by n/(n − k) (``sandwich::vcovHC(type = "HC1")``), ``CRV1`` by G/(G − 1) · (n − 1)/(n − k)
(``vcovCL(type = "HC1")``, Stata's ``vce(cluster)``). Two-way clustering and the jackknife are refused.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial

import numpy as np
import pandas as pd

from villageaid.estimators.checks import check_scale, refuse_collinear, require_frame, require_text, sample_mask
from villageaid.estimators.formula import model_matrix, parse_formula
from villageaid.estimators.inference import InferenceInputs, compute_vcov
from villageaid.estimators.limits import TooFewError
from villageaid.estimators.predict import Predictor
from villageaid.estimators.results import RegressionResults
from villageaid.estimators.vcov import SSC, VcovSpec, as_vcov, require_supported

#: Variances the logit supports.
SUPPORTED_VCOV = ("iid", "HC1", "CRV1")


@dataclass(frozen=True, repr=False)
class LogitResults(RegressionResults):
    """Logit coefficients plus their average marginal effects (``marginal_effects``)."""

    marginal_effects: RegressionResults | None = None
    ame_jacobian: np.ndarray | None = None

    def with_vcov(self, vcov: VcovSpec, *, ssc: SSC | None = None) -> LogitResults:
        """Return the same estimates with another variance; the marginal effects' variance follows."""
        updated = super().with_vcov(vcov, ssc=ssc)
        return replace(updated, marginal_effects=_marginal_effects(updated, self.ame_jacobian,
                                                                   self.marginal_effects.params))


def _marginal_effects(result: RegressionResults, jacobian: np.ndarray, ame: pd.Series) -> RegressionResults:
    cov = jacobian @ result.vcov.to_numpy() @ jacobian.T
    slopes = list(ame.index)
    return RegressionResults(estimator="Logit average marginal effects", formula=result.formula,
                             depvar=result.depvar, params=ame, vcov=pd.DataFrame(cov, index=slopes, columns=slopes),
                             vcov_type=result.vcov_type, nobs=result.nobs, df_t=np.inf, clusters=result.clusters,
                             notes=result.notes, variance=result.variance, df_resid=result.df_resid, ssc=result.ssc)


def logit(formula: str, data: pd.DataFrame, *, vcov: VcovSpec = "hetero", ssc: SSC | None = None) -> LogitResults:
    """Fit a logit by maximum likelihood and compute average marginal effects.

    Parameters
    ----------
    formula : str
        ``"d ~ x1 + x2"`` (no fixed effects; use ``i(f)`` for dummies); d must be 0/1.
    data : DataFrame
        Missing values drop their observations with a counted note, infinite ones with their own counted note;
        empty data is refused.
    vcov : VarianceEstimator, str or dict
        ``IID``, ``HC1`` (default) or one-way ``CRV1`` (module notes); anything else raises ``ValueError``.
    ssc : SSC, optional
        Small-sample correction (default fixest's; ``SSC(adj=False)`` gives R ``vcov(glm)`` for ``IID``).

    Returns
    -------
    LogitResults
        Coefficients; ``marginal_effects`` holds the average marginal effects (mean derivative of the
        probability over the sample, for dummies too, as statsmodels ``get_margeff(at="overall")``) with
        delta-method standard errors from the same variance. Inference is normal (z).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(2)
    >>> data = pd.DataFrame({"x": rng.normal(size=400), "g": np.repeat(np.arange(40), 10)})
    >>> data["d"] = (rng.logistic(size=400) < 0.8 * data["x"]).astype(int)
    >>> fit = logit("d ~ x", data, vcov={"CRV1": "g"})
    >>> fit.marginal_effects.params.index.tolist()
    ['x']
    """
    import statsmodels.api as sm

    require_text(formula, "formula", "logit")
    require_frame(data, "logit")
    parsed = parse_formula(formula)
    if parsed.fixed_effects:
        raise ValueError("logit takes no '| fixed effects' part; add dummies with i(variable)")
    choice = as_vcov(vcov, ssc)
    require_supported("logit", choice, SUPPORTED_VCOV)
    names, X = model_matrix(data, parsed)
    y = data[parsed.depvar].astype("float64").to_numpy(na_value=np.nan)
    absent = np.zeros(len(data), dtype=bool)
    for column in choice.clusters:
        if column not in data.columns:
            raise KeyError(f"cluster variable {column!r} is not in the data")
        absent |= data[column].isna().to_numpy()
    notes_list: list[str] = []
    ok = sample_mask([y, X], [parsed.depvar, *names], "logit", notes=notes_list, data=data, also_missing=absent)
    if not ok.any():
        raise TooFewError("logit: no observation is left to estimate from: " + "; ".join(notes_list))
    if not set(np.unique(y[ok])) <= {0.0, 1.0}:
        raise ValueError(f"{parsed.depvar} must be 0/1 for a logit")
    y, X = y[ok], X[ok]
    check_scale(names, X, "logit")
    refuse_collinear(X, names, "logit")  # statsmodels would stop on a singular matrix without naming the term
    fit = sm.Logit(y, X).fit(disp=0, method="newton", tol=1e-12, maxiter=100)
    beta = np.asarray(fit.params)
    p = 1 / (1 + np.exp(-(X @ beta)))
    weight = p * (1 - p)
    bread = np.linalg.inv((X * weight[:, None]).T @ X)
    n, k = X.shape
    sample = data.loc[ok].reset_index(drop=True)
    inputs = InferenceInputs(estimator="logit", supported=SUPPORTED_VCOV, bread=bread, scores=X * (y - p)[:, None],
                             nobs=n, n_coef=k, absorbed=0, fixed=None, sample=sample, params=beta, rss=None,
                             linear=False)
    v = compute_vcov(choice, inputs)
    params = pd.Series(beta, index=names)
    cov = pd.DataFrame(v.matrix, index=names, columns=names)
    notes = tuple(notes_list)
    # Average marginal effects of the slopes and their Jacobian with respect to all coefficients:
    # ∂AME_j/∂b_l = mean(φ(1 − 2p) x_l) b_j + 1[j = l] mean(φ), φ = p(1 − p).
    slopes = [j for j, name in enumerate(names) if name != "Intercept"]
    ame = pd.Series(weight.mean() * beta[slopes], index=[names[j] for j in slopes])
    curvature = (weight * (1 - 2 * p)) @ X / n
    jacobian = np.outer(beta[slopes], curvature)
    jacobian[np.arange(len(slopes)), slopes] += weight.mean()
    result = LogitResults(estimator="Logit", formula=formula, depvar=parsed.depvar, params=params, vcov=cov,
                          vcov_type=choice.label, nobs=n, df_t=np.inf,
                          fit_statistics={"pseudo_r2": float(fit.prsquared), "loglik": float(fit.llf)},
                          clusters=v.clusters, notes=notes, variance=choice, inference=inputs,
                          predictor=Predictor(parsed, y, X @ beta, partial(np.dot, X, beta), "logit"),
                          ame_jacobian=jacobian, df_resid=inputs.df_resid, ssc=v.ssc)
    return replace(result, marginal_effects=_marginal_effects(result, jacobian, ame))

