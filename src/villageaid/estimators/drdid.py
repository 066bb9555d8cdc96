"""The 2×2 difference-in-differences estimators of Sant'Anna & Zhao (2020) on panel data (R DRDID).

Outcome regression ("reg"), inverse probability weighting with normalized weights ("ipw") and the locally
efficient doubly robust estimator ("dr"), each with its influence function: the building blocks of
:func:`~villageaid.estimators.att_gt`, one per (cohort, period) comparison.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from villageaid.estimators.limits import DataLimitError

Method = Literal["dr", "reg", "ipw"]
_PS_CAP = 1 - 1e-6


class OverlapError(DataLimitError):
    """The propensity score cannot be estimated: treated and control units do not overlap in covariates."""


def logit_fit(X: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Logit by Newton's method; returns fitted probabilities and (X'WX/n)⁻¹ (the Hessian inverse)."""
    beta = np.zeros(X.shape[1])
    try:
        for _ in range(100):
            p = 1 / (1 + np.exp(-(X @ beta)))
            w = p * (1 - p)
            hessian = (X * w[:, None]).T @ X
            step = np.linalg.solve(hessian, X.T @ (d - p))
            beta += step
            if np.max(np.abs(step)) < 1e-12:
                break
        p = 1 / (1 + np.exp(-(X @ beta)))
        hessian = (X * (p * (1 - p))[:, None]).T @ X
        hessian_inv = np.linalg.inv(hessian) * len(d)
    except np.linalg.LinAlgError as exc:
        raise OverlapError("the propensity score logit is singular (no overlap in covariates)") from exc
    if p[d > 0].max() >= 0.999:  # R did's check: the overlap condition is violated
        raise OverlapError("the propensity score of a treated unit is 0.999 or more (overlap violated)")
    return p, hessian_inv


def did_panel(delta_y: np.ndarray, d: np.ndarray, X: np.ndarray, method: Method) -> tuple[float, np.ndarray]:
    """ATT and its influence function for one 2×2 comparison (the DRDID panel estimators)."""
    n = len(d)
    if X.shape[1] == 1:
        # Without covariates all three estimators reduce to the difference in mean changes, and their
        # influence functions to D(ΔY − μ₁)/p − (1 − D)(ΔY − μ₀)/(1 − p) (the propensity-score and
        # regression terms vanish); computing it directly avoids a logit and a regression per cell.
        treated = d > 0
        p = treated.mean()
        mu1, mu0 = delta_y[treated].mean(), delta_y[~treated].mean()
        influence = np.where(treated, (delta_y - mu1) / p, -(delta_y - mu0) / (1 - p))
        return float(mu1 - mu0), influence
    w_treat = d.astype(float)
    # The estimation-effect terms are (n × k scores) @ (k × k inverse) @ (k-vector); they are formed right to
    # left (a k-vector first, then one matrix-vector product), never as n × k matrices.
    if method in ("reg", "dr"):
        control = d == 0
        coef = np.linalg.lstsq(X[control], delta_y[control], rcond=None)[0]
        out_delta = X @ coef
        weights_ols = 1.0 - d
        xpx_inv = np.linalg.inv((X * weights_ols[:, None]).T @ X / n)
        ols_score = weights_ols * (delta_y - out_delta)

        def lin_ols(m: np.ndarray) -> np.ndarray:
            return ols_score * (X @ (xpx_inv @ m))
    if method in ("ipw", "dr"):
        ps, hessian_inv = logit_fit(X, d.astype(float))
        ps = np.minimum(ps, _PS_CAP)
        w_cont = ps * (1 - d) / (1 - ps)
        ps_score = d - ps

        def lin_ps(m: np.ndarray) -> np.ndarray:
            return ps_score * (X @ (hessian_inv @ m))
    if method == "reg":
        w_cont = w_treat
        att_treat = w_treat * delta_y
        att_cont = w_cont * out_delta
        eta_treat = att_treat.mean() / w_treat.mean()
        eta_cont = att_cont.mean() / w_cont.mean()
        inf_treat = (att_treat - w_treat * eta_treat) / w_treat.mean()
        inf_cont = ((att_cont - w_cont * eta_cont) + lin_ols(w_cont @ X / n)) / w_cont.mean()
        return float(eta_treat - eta_cont), inf_treat - inf_cont
    if method == "ipw":
        att_treat = w_treat * delta_y
        att_cont = w_cont * delta_y
        eta_treat = att_treat.mean() / w_treat.mean()
        eta_cont = att_cont.mean() / w_cont.mean()
        inf_treat = (att_treat - w_treat * eta_treat) / w_treat.mean()
        inf_cont = (att_cont - w_cont * eta_cont) / w_cont.mean()
        inf_cont = inf_cont + lin_ps((w_cont * (delta_y - eta_cont)) @ X / n) / w_cont.mean()
        return float(eta_treat - eta_cont), inf_treat - inf_cont
    # doubly robust (Sant'Anna & Zhao 2020, locally efficient panel estimator)
    residual = delta_y - out_delta
    att_treat = w_treat * residual
    att_cont = w_cont * residual
    eta_treat = att_treat.mean() / w_treat.mean()
    eta_cont = att_cont.mean() / w_cont.mean()
    inf_treat = ((att_treat - w_treat * eta_treat) - lin_ols(w_treat @ X / n)) / w_treat.mean()
    m2 = (w_cont * (residual - eta_cont)) @ X / n
    m3 = w_cont @ X / n
    inf_cont = ((att_cont - w_cont * eta_cont) + lin_ps(m2) - lin_ols(m3)) / w_cont.mean()
    return float(eta_treat - eta_cont), inf_treat - inf_cont


#: Variances of influence-function estimators: "HC1" is the unit-level variance (R did's analytic standard
#: errors), "CRV1" clusters the influence functions.
