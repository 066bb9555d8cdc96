"""First-difference OLS with an intercept, as R plm's ``model = "fd"``, with plm's variance conventions."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pandas as pd

from villageaid.estimators.checks import (
    check_scale,
    refuse_infinite,
    require_columns,
    require_frame,
    require_text,
)
from villageaid.estimators.formula import model_matrix, parse_formula
from villageaid.estimators.ols import feols
from villageaid.estimators.results import RegressionResults
from villageaid.estimators.vcov import SSC, VcovSpec, as_vcov, require_supported

#: (the differenced data keep no other column); the jackknife is refused.
FD_SUPPORTED_VCOV = ("iid", "HC1", "CRV1")


def first_difference(formula: str, data: pd.DataFrame, *, entity: str, time: str, vcov: VcovSpec = "iid",
                     gaps: str = "time", ssc: SSC | None = None) -> RegressionResults:
    """First-difference OLS with an intercept (a common trend in levels), as R plm's ``model = "fd"``.

    Parameters
    ----------
    formula : str
        ``"y ~ x1 + x2"`` in levels; differenced before estimation.
    data : DataFrame
        Missing values drop the differences they enter (counted in the notes); infinite values are refused
        (``ValueError`` naming the column and row): a difference with an infinite level is not a number.
    entity, time : str
        Panel identifiers.
    vcov : VarianceEstimator, str or dict
        ``IID`` (default), ``HC1`` or ``CRV1`` by ``entity``.
    gaps : {"time", "row"}
        "time" (default) differences only consecutive periods of an entity (time must be
        integer-valued), so a missing year gives no difference; "row" differences consecutive
        available observations whatever the gap, which is what plm 2.6's ``model = "fd"`` does.
    ssc : SSC, optional
        Small-sample correction (default fixest's, which gives plm's conventions).

    Written with :func:`feols` on the differenced data because linearmodels' ``FirstDifferenceOLS``
    allows no intercept, which makes its slopes differ from plm's. Variances: ``IID``, ``HC1`` and ``CRV1`` by
    the entity (plm's conventions, see :func:`random_effects`); the jackknife is refused. Fitted values,
    residuals and predictions are of the differences.

    Returns
    -------
    RegressionResults

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(9)
    >>> panel = pd.DataFrame({"unit": np.repeat(np.arange(40), 4), "year": np.tile(np.arange(4), 40)})
    >>> panel["x"] = rng.normal(size=160)
    >>> panel["y"] = 2 * panel["x"] + np.repeat(rng.normal(size=40), 4) + rng.normal(scale=0.1, size=160)
    >>> fit = first_difference("y ~ x", panel, entity="unit", time="year", vcov={"CRV1": "unit"})
    >>> round(float(fit.params["x"]))
    2
    """
    require_text(formula, "formula", "first_difference")
    require_frame(data, "first_difference")
    require_columns(data, {"entity": entity, "time": time}, "first_difference")
    if gaps not in ("time", "row"):
        raise ValueError(f"first_difference: gaps must be 'time' or 'row', got {gaps!r}")
    choice = as_vcov(vcov, ssc)
    require_supported("first_difference", choice, FD_SUPPORTED_VCOV)
    if choice.clusters and choice.clusters != (entity,):
        raise ValueError(f"first_difference clusters by the entity ({entity!r}) only, not {choice.clusters}")
    parsed = parse_formula(formula)
    if parsed.fixed_effects:
        raise ValueError("first differences take no '| fixed effects' part")
    names, X = model_matrix(data, parsed)
    if parsed.depvar not in data.columns:
        raise KeyError(f"dependent variable {parsed.depvar!r} is not in the data")
    infinite = np.isinf(X).any(axis=0)
    if infinite.any() or np.isinf(data[parsed.depvar].to_numpy(dtype=float, na_value=np.nan)).any():
        refuse_infinite(pd.DataFrame(X, columns=names).assign(**{parsed.depvar: data[parsed.depvar].to_numpy()})
                        .set_axis(data.index), [parsed.depvar, *names], "first_difference")
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
    usable = np.isfinite(diffs).all(axis=1)
    check_scale(names, diffs[usable, 1:], "first_difference", outcome=diffs[usable, 0], depvar=parsed.depvar)
    result = feols("dy ~ " + " + ".join(columns), diffed, vcov=choice)
    rename = {"Intercept": "Intercept", **dict(zip(columns, names, strict=True))}
    # the notes name the differenced columns by their own names, not the internal x0, x1, ...
    result = replace(result, notes=tuple(_renamed(note, rename) for note in result.notes))
    params = result.params.rename(index=rename)
    cov = result.vcov.rename(index=rename, columns=rename)
    return RegressionResults(
        estimator="First differences", formula=formula, depvar=parsed.depvar, params=params, vcov=cov,
        vcov_type=result.vcov_type, nobs=result.nobs, df_t=result.df_t, fit_statistics=result.fit_statistics,
        clusters=result.clusters, notes=result.notes, variance=choice, predictor=result.predictor,
        inference=replace(result.inference, estimator="first_difference", supported=FD_SUPPORTED_VCOV),
        df_resid=result.df_resid, ssc=result.ssc,
    )


def _renamed(note: str, rename: dict[str, str]) -> str:
    """Put the regressors' own names in a note of the feols fit on the internal columns x0, x1, ..."""
    return re.sub(r"\bterm (x\d+) ", lambda match: f"term {rename.get(match.group(1), match.group(1))} ", note)
