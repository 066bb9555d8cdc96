"""Random-effects GLS (Swamy–Arora), as R plm's ``model = "random"``, with plm's variance conventions."""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd

from villageaid.estimators.checks import (
    check_scale,
    refuse_collinear,
    require_columns,
    require_frame,
    require_text,
    sample_mask,
)
from villageaid.estimators.formula import model_matrix, parse_formula
from villageaid.estimators.inference import InferenceInputs, cluster_sums, compute_vcov
from villageaid.estimators.limits import TooFewError
from villageaid.estimators.predict import Predictor
from villageaid.estimators.results import RegressionResults
from villageaid.estimators.vcov import SSC, VcovSpec, as_vcov, require_supported

#: Variances of the random-effects model (plm conventions, see :func:`random_effects`).
RE_SUPPORTED_VCOV = ("iid", "HC1", "CRV1")
#: Variances of first differences: the OLS ones on the differenced data, clustered by the entity only


def random_effects(formula: str, data: pd.DataFrame, *, entity: str, time: str,
                   vcov: VcovSpec = "iid", ssc: SSC | None = None) -> RegressionResults:
    """Random-effects GLS (Swamy–Arora variance components), as R plm's ``model = "random"``.

    The variance components and estimates come from linearmodels' ``RandomEffects`` (``small_sample=True``
    matches plm's ``random.method = "swar"``). GLS is OLS on the quasi-demeaned data y − θᵢȳᵢ,
    X − θᵢX̄ᵢ; the variances are computed on those by the shared core, with plm's conventions:

    * ``IID``: σ̂²(X*'X*)⁻¹, σ̂² = RSS*/(n − k) (``vcov(plm)``);
    * ``HC1``: n/(n − k) · sandwich of the observation scores (``vcovHC(method = "white1", type = "HC1")``);
    * ``CRV1`` one-way: G/(G − 1) · (n − 1)/(n − k) · sandwich of the cluster sums
      (``vcovHC(method = "arellano", type = "sss")``, Stata's convention).

    Two-way clustering and the jackknife are refused. Inference is normal (z), as plm reports.

    Parameters
    ----------
    formula : str
        ``"y ~ x1 + x2"`` (no fixed effects).
    data : DataFrame
        Missing values drop their observations with a counted note, infinite ones with their own counted note;
        empty data is refused.
    entity, time : str
        Panel identifiers.
    vcov : VarianceEstimator, str or dict
        ``IID`` (default), ``HC1`` or one-way ``CRV1``.
    ssc : SSC, optional
        Small-sample correction (default fixest's, which gives plm's conventions above).

    Returns
    -------
    RegressionResults

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> panel = pd.DataFrame({"unit": np.repeat(np.arange(30), 5), "year": np.tile(np.arange(5), 30)})
    >>> panel["x"] = rng.normal(size=150)
    >>> panel["y"] = panel["x"] + np.repeat(rng.normal(size=30), 5) + rng.normal(size=150)
    >>> fit = random_effects("y ~ x", panel, entity="unit", time="year", vcov={"CRV1": "unit"})
    >>> fit.clusters
    {'unit': 30}
    """
    from linearmodels import RandomEffects

    require_text(formula, "formula", "random_effects")
    require_frame(data, "random_effects")
    require_columns(data, {"entity": entity, "time": time}, "random_effects")
    parsed = parse_formula(formula)
    if parsed.fixed_effects:
        raise ValueError("random effects takes no '| fixed effects' part")
    choice = as_vcov(vcov, ssc)
    require_supported("random_effects", choice, RE_SUPPORTED_VCOV)
    names, X = model_matrix(data, parsed)
    y = data[parsed.depvar].to_numpy(dtype=float, na_value=np.nan)
    absent = data[entity].isna().to_numpy() | data[time].isna().to_numpy()
    for column in choice.clusters:
        if column not in data.columns:
            raise KeyError(f"cluster variable {column!r} is not in the data")
        absent |= data[column].isna().to_numpy()
    notes_list: list[str] = []
    ok = sample_mask([y, X], [parsed.depvar, *names], "random_effects", notes=notes_list, data=data,
                     also_missing=absent)
    if not ok.any():
        raise TooFewError("random_effects: no observation is left to estimate from: " + "; ".join(notes_list))
    check_scale(names, X[ok], "random_effects", outcome=y[ok], depvar=parsed.depvar)
    refuse_collinear(X[ok], names, "random_effects")  # linearmodels would stop on the rank without naming the term
    index = pd.MultiIndex.from_arrays([data[entity].to_numpy()[ok], data[time].to_numpy()[ok]])
    fit = RandomEffects(pd.Series(y[ok], index=index, name=parsed.depvar),
                        pd.DataFrame(X[ok], index=index, columns=names)).fit(small_sample=True)
    y, X = y[ok], X[ok]
    codes = pd.factorize(data[entity].to_numpy()[ok])[0]
    theta = fit.theta.iloc[:, 0].reindex(pd.Index(data[entity].to_numpy()[ok])).to_numpy()
    counts = np.bincount(codes).astype(float)
    means = cluster_sums(np.column_stack([y, X]), codes) / counts[:, None]
    transformed = np.column_stack([y, X]) - theta[:, None] * means[codes]
    y_star, X_star = transformed[:, 0], transformed[:, 1:]
    beta = fit.params.to_numpy()
    resid = y_star - X_star @ beta
    n, k = X.shape
    sample = data.loc[ok].reset_index(drop=True)
    inputs = InferenceInputs(estimator="random_effects", supported=RE_SUPPORTED_VCOV,
                             bread=np.linalg.inv(X_star.T @ X_star), scores=X_star * resid[:, None], nobs=n, n_coef=k,
                             absorbed=0, fixed=None, sample=sample, params=beta, rss=float(resid @ resid),
                             linear=False)
    v = compute_vcov(choice, inputs)
    notes = tuple(notes_list)
    return RegressionResults(
        estimator="Random effects", formula=formula, depvar=parsed.depvar, params=pd.Series(beta, index=names),
        vcov=pd.DataFrame(v.matrix, index=names, columns=names), vcov_type=choice.label, nobs=n, df_t=np.inf,
        fit_statistics={"r2_overall": float(fit.rsquared_overall), "r2_within": float(fit.rsquared_within),
                        "theta_mean": float(fit.theta.to_numpy().mean()),
                        "sigma2_idiosyncratic": float(fit.variance_decomposition["Residual"]),
                        "sigma2_effects": float(fit.variance_decomposition["Effects"])},
        clusters=v.clusters, notes=notes, variance=choice, inference=inputs,
        predictor=Predictor(parsed, y, X @ beta, partial(np.dot, X, beta), "identity"), df_resid=inputs.df_resid,
        ssc=v.ssc,
    )
