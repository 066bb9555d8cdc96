"""Logit with cluster-robust errors and average marginal effects (statsmodels' ``Logit``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from villageaid.estimators.formula import model_matrix, parse_formula
from villageaid.estimators.results import RegressionResults
from villageaid.estimators.vcov import VcovSpec, parse_vcov


@dataclass(frozen=True)
class LogitResults(RegressionResults):
    """Logit coefficients plus their average marginal effects (``marginal_effects``)."""

    marginal_effects: RegressionResults | None = None


def logit(formula: str, data: pd.DataFrame, *, vcov: VcovSpec = "hetero") -> LogitResults:
    """Fit a logit by maximum likelihood and compute average marginal effects.

    Standard errors: ``"iid"`` (inverse information), ``"hetero"`` (sandwich, n/(n − k)) or
    ``{"CRV1": "g"}`` (G/(G − 1) · (n − 1)/(n − k), as Stata and R ``sandwich::vcovCL(type = "HC1")``).
    Average marginal effects are mean derivatives of the probability over the sample (for dummies too),
    with delta-method standard errors from the same variance (statsmodels ``get_margeff(at="overall")``).
    Inference is normal (z).
    """
    import statsmodels.api as sm

    parsed = parse_formula(formula)
    if parsed.fixed_effects:
        raise ValueError("logit takes no '| fixed effects' part; add dummies with i(variable)")
    choice = parse_vcov(vcov)
    names, X = model_matrix(data, parsed)
    y = data[parsed.depvar].astype("float64").to_numpy(na_value=np.nan)
    ok = np.isfinite(y) & np.isfinite(X).all(axis=1)
    for column in choice.clusters:
        ok &= data[column].notna().to_numpy()
    if not set(np.unique(y[ok])) <= {0.0, 1.0}:
        raise ValueError(f"{parsed.depvar} must be 0/1 for a logit")
    model = sm.Logit(y[ok], pd.DataFrame(X[ok], columns=names))
    if choice.kind == "iid":
        fit = model.fit(disp=0, method="newton", tol=1e-12, maxiter=100)
    elif choice.kind == "hetero":
        fit = model.fit(disp=0, method="newton", tol=1e-12, maxiter=100, cov_type="HC1")
    elif len(choice.clusters) == 1:
        groups = pd.factorize(data.loc[ok, choice.clusters[0]])[0]
        fit = model.fit(disp=0, method="newton", tol=1e-12, maxiter=100, cov_type="cluster",
                        cov_kwds={"groups": groups, "use_correction": True})
    else:
        raise ValueError("logit supports one-way clustering only")
    params = pd.Series(np.asarray(fit.params), index=names)
    cov = pd.DataFrame(np.asarray(fit.cov_params()), index=names, columns=names)
    margeff = fit.get_margeff(at="overall", method="dydx")
    slopes = [n for n in names if n != "Intercept"]
    ame_cov = pd.DataFrame(np.asarray(margeff.margeff_cov), index=slopes, columns=slopes)
    clusters = {choice.clusters[0]: int(data.loc[ok, choice.clusters[0]].nunique())} if choice.clusters else {}
    notes = (f"{int((~ok).sum()):,} observations removed because of missing values",) if (~ok).any() else ()
    common = dict(formula=formula, depvar=parsed.depvar, vcov_type=choice.label, nobs=int(ok.sum()), df_t=np.inf,
                  clusters=clusters, notes=notes)
    ame = RegressionResults(estimator="Logit average marginal effects",
                            params=pd.Series(np.asarray(margeff.margeff), index=slopes), vcov=ame_cov, **common)
    return LogitResults(estimator="Logit", params=params, vcov=cov,
                        fit_statistics={"pseudo_r2": float(fit.prsquared), "loglik": float(fit.llf)},
                        marginal_effects=ame, **common)
