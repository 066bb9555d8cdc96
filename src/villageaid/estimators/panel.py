"""Random effects and first differences, for the panel robustness table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from villageaid.estimators.formula import model_matrix, parse_formula
from villageaid.estimators.ols import feols
from villageaid.estimators.results import RegressionResults
from villageaid.estimators.vcov import VcovSpec, parse_vcov


def random_effects(formula: str, data: pd.DataFrame, *, entity: str, time: str,
                   vcov: VcovSpec = "iid") -> RegressionResults:
    """Random-effects GLS (Swamy–Arora variance components) with linearmodels' ``RandomEffects``.

    ``small_sample=True`` is used so that the variance components match R plm's
    ``random.method = "swar"``. ``vcov``: ``"iid"``, ``"hetero"`` (linearmodels "robust") or
    ``{"CRV1": entity}`` (linearmodels clustered by entity, with its G/(G − 1) correction).
    """
    from linearmodels import RandomEffects

    parsed = parse_formula(formula)
    if parsed.fixed_effects:
        raise ValueError("random effects takes no '| fixed effects' part")
    names, X = model_matrix(data, parsed)
    y = data[parsed.depvar].to_numpy(dtype=float, na_value=np.nan)
    ok = np.isfinite(y) & np.isfinite(X).all(axis=1) & data[entity].notna().to_numpy() & data[time].notna().to_numpy()
    index = pd.MultiIndex.from_arrays([data[entity].to_numpy()[ok], data[time].to_numpy()[ok]])
    model = RandomEffects(pd.Series(y[ok], index=index, name=parsed.depvar),
                          pd.DataFrame(X[ok], index=index, columns=names))
    choice = parse_vcov(vcov)
    if choice.kind == "iid":
        fit = model.fit(small_sample=True)
    elif choice.kind == "hetero":
        fit = model.fit(small_sample=True, cov_type="robust")
    elif choice.clusters == (entity,):
        fit = model.fit(small_sample=True, cov_type="clustered", cluster_entity=True)
    else:
        raise ValueError("random effects supports vcov 'iid', 'hetero' or {'CRV1': entity}")
    notes = (f"{int((~ok).sum()):,} observations removed because of missing values",) if (~ok).any() else ()
    theta = fit.theta.to_numpy().ravel()
    return RegressionResults(
        estimator="Random effects", formula=formula, depvar=parsed.depvar, params=fit.params.rename(None),
        vcov=fit.cov, vcov_type=choice.label + " (linearmodels)", nobs=int(fit.nobs), df_t=np.inf,
        fit_statistics={"r2_overall": float(fit.rsquared_overall), "r2_within": float(fit.rsquared_within),
                        "theta_mean": float(theta.mean()),
                        "sigma2_idiosyncratic": float(fit.variance_decomposition["Residual"]),
                        "sigma2_effects": float(fit.variance_decomposition["Effects"])},
        clusters={entity: int(data.loc[ok, entity].nunique())} if choice.kind == "cluster" else {},
        notes=notes,
    )


def first_difference(formula: str, data: pd.DataFrame, *, entity: str, time: str, vcov: VcovSpec = "iid",
                     gaps: str = "time") -> RegressionResults:
    """First-difference OLS with an intercept (a common trend in levels), as R plm's ``model = "fd"``.

    Parameters
    ----------
    gaps : {"time", "row"}
        "time" (default) differences only consecutive periods of an entity (time must be
        integer-valued), so a missing year gives no difference; "row" differences consecutive
        available observations whatever the gap, which is what plm 2.6's ``model = "fd"`` does.

    Written with :func:`feols` on the differenced data because linearmodels' ``FirstDifferenceOLS``
    allows no intercept, which makes its slopes differ from plm's.
    """
    if gaps not in ("time", "row"):
        raise ValueError("gaps must be 'time' or 'row'")
    parsed = parse_formula(formula)
    if parsed.fixed_effects:
        raise ValueError("first differences take no '| fixed effects' part")
    names, X = model_matrix(data, parsed)
    names = [n for n in names if n != "Intercept"]
    X = X[:, 1:] if parsed.has_intercept else X
    frame = pd.DataFrame(X, columns=names)
    frame.insert(0, "__y__", data[parsed.depvar].to_numpy(dtype=float, na_value=np.nan))
    frame["__entity__"] = data[entity].to_numpy()
    frame["__time__"] = data[time].to_numpy()
    frame = frame.sort_values(["__entity__", "__time__"], kind="mergesort")
    consecutive = frame["__entity__"].eq(frame["__entity__"].shift()).to_numpy().copy()
    if gaps == "time":
        consecutive &= (frame["__time__"] - frame["__time__"].shift() == 1).to_numpy()
    values = frame[["__y__", *names]].to_numpy(dtype=float)
    diffs = values[1:] - values[:-1]
    diffs = diffs[consecutive[1:]]
    columns = [f"x{j}" for j in range(len(names))]
    diffed = pd.DataFrame(diffs, columns=["dy", *columns])
    diffed[entity] = frame["__entity__"].to_numpy()[1:][consecutive[1:]]
    result = feols("dy ~ " + " + ".join(columns), diffed, vcov=vcov)
    rename = {"Intercept": "Intercept", **dict(zip(columns, names, strict=True))}
    params = result.params.rename(index=rename)
    cov = result.vcov.rename(index=rename, columns=rename)
    return RegressionResults(
        estimator="First differences", formula=formula, depvar=parsed.depvar, params=params, vcov=cov,
        vcov_type=result.vcov_type, nobs=result.nobs, df_t=result.df_t, fit_statistics=result.fit_statistics,
        clusters=result.clusters, notes=result.notes,
    )
