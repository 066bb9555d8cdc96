"""Sensitivity of event-study conclusions to violations of parallel trends (Rambachan & Roth 2023).

Part 1 of villageaid's port of R HonestDiD: smoothness restrictions (ΔSD(M): the slope of the difference in
trends changes by at most M between consecutive periods) with the fixed-length confidence interval (FLCI,
HonestDiD's default for ΔSD). The FLCI is the affine estimator ``v'β̂`` (weights on pre- and post-period
coefficients) whose interval ``v'β̂ ± cv_α(b/h)·h`` is shortest, where ``h`` is its standard deviation, ``b``
its worst-case bias over ΔSD(M) and ``cv_α(t)`` the 1−α quantile of ``|N(t, 1)|`` (Armstrong & Kolesár 2018).
For each standard deviation h the worst-case bias is a small convex program (a linear objective, linear
constraints and one quadratic constraint), solved here with SciPy's SLSQP; the outer choice of h is a bounded
scalar minimisation. HonestDiD solves the same programs with CVXR/ECOS and takes the folded-normal quantile
from a million simulated draws; villageaid computes it exactly, so intervals agree with R to the precision of
that simulation (about 1e-4 of the interval's length).

Checked against the intervals HonestDiD publishes for the Medicaid-expansion example (its README) in
``tests/reference/honestdid``. Relative magnitudes (ΔRM) with the conditional-least-favourable hybrid are not
implemented yet: ``honest_did(..., restriction="relative_magnitudes")`` raises NotImplementedError.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from villageaid.estimators.pretrends import _check_inputs
from villageaid.estimators.results import ResultsBase


def folded_normal_quantile(p: float, mean: float) -> float:
    """Return the ``p`` quantile of ``|N(mean, 1)|`` (exact; R HonestDiD simulates it)."""
    from scipy import optimize, stats

    mean = abs(float(mean))

    def coverage(c: float) -> float:
        return stats.norm.cdf(c - mean) - stats.norm.cdf(-c - mean) - p

    upper = mean + stats.norm.ppf(1 - (1 - p) / 2) + 10
    return float(optimize.brentq(coverage, 0.0, upper, xtol=1e-14, rtol=1e-14))


def _w_to_l(num_pre: int) -> np.ndarray:
    """Matrix D with l_pre = D w: first differences of the cumulative weights w."""
    d = np.eye(num_pre)
    for col in range(num_pre - 1):
        d[col + 1, col] = -1.0
    return d


@dataclass(frozen=True)
class _FLCIProblem:
    quadratic: np.ndarray  # variance = w' Q w + q' w + c
    linear: np.ndarray
    constant: float
    target: float  # sum(w) must equal it
    bias_constant: float
    num_pre: int

    def variance(self, w: np.ndarray) -> float:
        return float(w @ self.quadratic @ w + self.linear @ w + self.constant)


def _flci_problem(sigma: np.ndarray, num_pre: int, num_post: int, l_vec: np.ndarray) -> _FLCIProblem:
    pre = slice(0, num_pre)
    post = slice(num_pre, num_pre + num_post)
    d = _w_to_l(num_pre)
    quadratic = d.T @ sigma[pre, pre] @ d
    linear = 2 * d.T @ sigma[pre, post] @ l_vec
    constant = float(l_vec @ sigma[post, post] @ l_vec)
    steps = np.arange(1, num_post + 1)
    bias_constant = sum(abs(float(np.arange(1, s + 1) @ l_vec[num_post - s:])) for s in range(1, num_post + 1)) \
        - float(steps @ l_vec)
    return _FLCIProblem(quadratic, linear, constant, float(steps @ l_vec), bias_constant, num_pre)


def _lowest_sd(problem: _FLCIProblem) -> tuple[float, np.ndarray]:
    """Smallest standard deviation under sum(w) = target (an equality-constrained QP, solved exactly)."""
    k = problem.num_pre
    kkt = np.zeros((k + 1, k + 1))
    kkt[:k, :k] = 2 * problem.quadratic
    kkt[:k, k] = 1.0
    kkt[k, :k] = 1.0
    rhs = np.concatenate([-problem.linear, [problem.target]])
    solution = np.linalg.lstsq(kkt, rhs, rcond=None)[0]
    w = solution[:k]
    return float(np.sqrt(max(problem.variance(w), 0.0))), w


def _folded_quantile_slope(c: float, t: float) -> float:
    """Return d cv / d t for the folded-normal quantile cv(t) (implicit differentiation)."""
    from scipy import stats

    a, b = stats.norm.pdf(c - t), stats.norm.pdf(c + t)
    return float((a - b) / (a + b))


def _shortest_interval(problem: _FLCIProblem, m: float, q: float, start: np.ndarray, scale: float
                       ) -> tuple[float, float, float, np.ndarray]:
    """Minimise the half-length cv_q(M·b(w)/s(w))·s(w) over the cumulative weights w.

    HonestDiD minimises over the standard deviation h the half-length of the estimator with the smallest
    worst-case bias among those with sd ≤ h. Because ``h·cv(M b/h)`` increases in h for fixed b (its derivative
    ``cv(t) − t·cv'(t)`` is positive), the optimal estimator has sd exactly h, so both problems have the same
    solution; this one is smooth once |cumsum(w)| is written with auxiliary variables u ≥ ±cumsum(w), convex
    (a perspective of the convex cv composed with convex b and s), and small: SciPy's SLSQP solves it.
    """
    from scipy import optimize

    k = problem.num_pre
    cumulative = np.tril(np.ones((k, k)))

    def parts(x: np.ndarray) -> tuple[float, float, float, float]:
        bias = problem.bias_constant + float(np.sum(x[:k]))
        sd = float(np.sqrt(max(problem.variance(x[k:]), 1e-300)))
        t = m * bias / sd
        return bias, sd, t, folded_normal_quantile(q, t)

    def objective(x: np.ndarray) -> float:
        _, sd, _, cv = parts(x)
        return cv * sd / scale

    def gradient(x: np.ndarray) -> np.ndarray:
        _, sd, t, cv = parts(x)
        slope = _folded_quantile_slope(cv, t)
        d_bias = slope * m  # d(cv·sd)/d bias
        d_sd = cv - slope * t  # d(cv·sd)/d sd
        d_var = (2 * problem.quadratic @ x[k:] + problem.linear) / (2 * sd)
        return np.concatenate([np.full(k, d_bias), d_sd * d_var]) / scale

    constraints = [
        {"type": "ineq", "fun": lambda x: x[:k] - cumulative @ x[k:],
         "jac": lambda x: np.hstack([np.eye(k), -cumulative])},
        {"type": "ineq", "fun": lambda x: x[:k] + cumulative @ x[k:],
         "jac": lambda x: np.hstack([np.eye(k), cumulative])},
        {"type": "eq", "fun": lambda x: np.sum(x[k:]) - problem.target,
         "jac": lambda x: np.concatenate([np.zeros(k), np.ones(k)])[None, :]},
    ]
    x0 = np.concatenate([np.abs(cumulative @ start), start])
    result = optimize.minimize(objective, x0, jac=gradient, constraints=constraints, method="SLSQP",
                               options={"ftol": 1e-15, "maxiter": 2000})
    if not result.success and result.status != 8:  # 8: no further descent at machine precision
        raise RuntimeError(f"the FLCI program did not converge: {result.message}")
    bias, sd, _, cv = parts(result.x)
    return cv * sd, bias, sd, result.x[k:]


@dataclass(frozen=True)
class FLCI:
    """A fixed-length confidence interval under ΔSD(M)."""

    conf_low: float
    conf_high: float
    weights: np.ndarray  # on all coefficients (pre then post)
    half_length: float
    std_error: float
    worst_case_bias: float


def flci(betahat: np.ndarray, sigma: np.ndarray, *, num_pre: int, num_post: int, m: float,
         l_vec: np.ndarray | None = None, alpha: float = 0.05) -> FLCI:
    """Return the optimal fixed-length confidence interval for ``l_vec'τ_post`` under ΔSD(M) (HonestDiD's FLCI).

    Parameters
    ----------
    betahat, sigma : array
        Event-study coefficients (pre periods first, the reference period omitted) and their covariance.
    num_pre, num_post : int
        Numbers of pre- and post-period coefficients.
    m : float
        The smoothness bound M ≥ 0.
    l_vec : array, optional
        Weights on the post-period effects (default: the first post period).
    alpha : float
        1 − coverage.

    Returns
    -------
    FLCI
    """
    betahat, sigma = np.asarray(betahat, float), np.asarray(sigma, float)
    l_vec = np.eye(num_post)[0] if l_vec is None else np.asarray(l_vec, float)
    problem = _flci_problem(sigma, num_pre, num_post, l_vec)
    h_min, w_min = _lowest_sd(problem)
    q = 1 - alpha
    if m == 0:
        # Without violations the bias is irrelevant: the shortest interval is the lowest-variance estimator.
        half_length, bias, h_star, w = folded_normal_quantile(q, 0.0) * h_min, 0.0, h_min, w_min
    else:
        half_length, bias, h_star, w = _shortest_interval(problem, m, q, w_min, h_min)
    weights = np.concatenate([_w_to_l(num_pre) @ w, l_vec])
    centre = float(weights @ betahat)
    return FLCI(centre - half_length, centre + half_length, weights, half_length, h_star, m * bias)


def original_interval(betahat: np.ndarray, sigma: np.ndarray, *, num_pre: int, num_post: int,
                      l_vec: np.ndarray | None = None, alpha: float = 0.05) -> tuple[float, float]:
    """Return the usual interval for ``l_vec'τ_post`` (HonestDiD's ``constructOriginalCS``)."""
    from scipy import stats

    l_vec = np.eye(num_post)[0] if l_vec is None else np.asarray(l_vec, float)
    post = slice(num_pre, num_pre + num_post)
    estimate = float(l_vec @ np.asarray(betahat, float)[post])
    se = float(np.sqrt(l_vec @ np.asarray(sigma, float)[post, post] @ l_vec))
    z = stats.norm.ppf(1 - alpha / 2)
    return estimate - z * se, estimate + z * se


@dataclass(frozen=True)
class SensitivityResult(ResultsBase):
    """Robust intervals against the size of the allowed violation, with the original interval and the breakdown.

    ``tidy()`` has one row per value of M (``term`` "M=…"), the robust interval in ``conf_low``/``conf_high``,
    and the columns ``M``, ``method`` and ``restriction``.
    """

    table: pd.DataFrame
    original: tuple[float, float]
    restriction: str
    method: str
    alpha: float
    nobs: int = 0

    def tidy(self, conf_level: float | None = None) -> pd.DataFrame:
        """Return one row per grid value: the robust interval (the level is fixed when it was computed)."""
        if conf_level is not None and abs(conf_level - (1 - self.alpha)) > 1e-12:
            raise ValueError(f"these intervals were computed at level {1 - self.alpha:g}; rerun honest_did with "
                             f"alpha={1 - conf_level:g}")
        return self.table.copy()

    @property
    def breakdown(self) -> float | None:
        """Return the largest M on the grid at which the robust interval still excludes zero (None: never)."""
        excludes = (self.table["conf_low"] > 0) | (self.table["conf_high"] < 0)
        if not excludes.iloc[0]:
            return None
        failing = np.flatnonzero(~excludes.to_numpy())
        last = failing[0] - 1 if failing.size else len(self.table) - 1
        return float(self.table["M"].iloc[last])

    def _summary_header(self) -> tuple[str, tuple[str, ...]]:
        return (f"Sensitivity to violations of parallel trends ({self.restriction}, {self.method})",
                (f"Original {100 * (1 - self.alpha):g}% interval: [{self.original[0]:.4f}, {self.original[1]:.4f}]",))

    def _summary_footer(self) -> tuple[str, ...]:
        value = self.breakdown
        return ("Breakdown value: " + ("the interval includes zero at every M" if value is None
                                       else f"M = {value:g} (largest on the grid with zero excluded)"),)


def honest_did(betahat: np.ndarray, sigma: np.ndarray, *, num_pre: int, num_post: int,
               restriction: str = "smoothness", grid: np.ndarray | None = None, l_vec: np.ndarray | None = None,
               alpha: float = 0.05, method: str | None = None, nobs: int = 0,
               bias_direction: str | None = None, monotonicity_direction: str | None = None) -> SensitivityResult:
    """Robust confidence intervals under a restriction on violations of parallel trends (Rambachan & Roth 2023).

    Parameters
    ----------
    betahat, sigma : array
        Event-study coefficients (pre periods first, reference period omitted) and their covariance.
    num_pre, num_post : int
        Numbers of pre- and post-period coefficients.
    restriction : {"smoothness"}
        ΔSD(M). ("relative_magnitudes" is not implemented yet and raises.)
    grid : array, optional
        Values of M; by default 10 values from 0 to the standard error of the first pre-period coefficient,
        as R HonestDiD's ``createSensitivityResults``.
    l_vec : array, optional
        Weights on the post-period effects (default: the first post period).
    alpha : float
        1 − coverage (default 0.05).
    method : {"FLCI"}, optional
        The default for ΔSD, as in R.
    bias_direction, monotonicity_direction : str, optional
        R's sign (ΔSDPB/ΔSDNB) and monotonicity (ΔSDI/ΔSDD) variants; they use the conditional FLCI hybrid in R,
        which villageaid does not implement yet: giving either raises NotImplementedError.

    Returns
    -------
    SensitivityResult

    Examples
    --------
    >>> import numpy as np
    >>> sigma = np.diag([0.01, 0.01, 0.01, 0.02])
    >>> result = honest_did(np.array([0.0, 0.02, -0.01, 0.5]), sigma, num_pre=3, num_post=1, grid=[0.0, 0.1])
    >>> bool(result.tidy()["conf_low"].iloc[0] > 0)
    True
    """
    betahat, sigma = np.asarray(betahat, float), np.asarray(sigma, float)
    if restriction == "relative_magnitudes":
        raise NotImplementedError("relative magnitudes (ΔRM, C-LF hybrid) are not implemented yet in villageaid; "
                                  "use restriction='smoothness'")
    if restriction != "smoothness":
        raise ValueError(f"unknown restriction {restriction!r}; expected 'smoothness'")
    if bias_direction is not None or monotonicity_direction is not None:
        raise NotImplementedError("sign and monotonicity restrictions (R's biasDirection / monotonicityDirection) "
                                  "use the conditional FLCI hybrid, not implemented yet in villageaid; use the plain "
                                  "smoothness restriction")
    method = method or "FLCI"
    if method != "FLCI":
        raise NotImplementedError(f"method {method!r} is not implemented for smoothness restrictions; use 'FLCI' "
                                  "(the default, as in R HonestDiD)")
    if len(betahat) != num_pre + num_post or sigma.shape != (len(betahat), len(betahat)):
        raise ValueError(f"betahat has {len(betahat)} coefficients and sigma is {sigma.shape}; expected "
                         f"num_pre + num_post = {num_pre + num_post}")
    if num_pre < 1 or num_post < 1:
        raise ValueError("at least one pre-period and one post-period coefficient are needed")
    if l_vec is not None and np.asarray(l_vec, float).shape != (num_post,):
        raise ValueError(f"l_vec must have one weight per post period ({num_post}), got {np.asarray(l_vec).shape}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie between 0 and 1, got {alpha}")
    _check_inputs(betahat, sigma, np.arange(num_pre + num_post))  # square, symmetric, positive variances
    if grid is None:
        grid = np.linspace(0.0, float(np.sqrt(sigma[0, 0])), 10)
    grid = np.asarray(grid, float)
    if np.any(grid < 0):
        raise ValueError("values of M must be zero or more")
    rows = []
    for m in grid:
        interval = flci(betahat, sigma, num_pre=num_pre, num_post=num_post, m=float(m), l_vec=l_vec, alpha=alpha)
        centre = (interval.conf_low + interval.conf_high) / 2
        rows.append({"term": f"M={m:g}", "estimate": centre, "std_error": interval.std_error,
                     "statistic": np.nan, "p_value": np.nan, "conf_low": interval.conf_low,
                     "conf_high": interval.conf_high, "M": float(m), "method": method,
                     "restriction": "smoothness (DeltaSD)", "worst_case_bias": interval.worst_case_bias})
    original = original_interval(betahat, sigma, num_pre=num_pre, num_post=num_post, l_vec=l_vec, alpha=alpha)
    return SensitivityResult(pd.DataFrame(rows), original, "smoothness (DeltaSD)", method, alpha, nobs)


def sensitivity_of(result: object, **options: object) -> SensitivityResult:
    """Sensitivity of a villageaid event study (the ``.sensitivity()`` of event-study results).

    Picks the coefficients (pre periods, then post periods), their covariance and the split at the reference
    period, and passes ``options`` (restriction, grid, l_vec, alpha, method) to :func:`honest_did`.
    """
    from villageaid.estimators.pretrends import event_study_inputs

    beta, sigma, t, reference, nobs = event_study_inputs(result)
    num_pre, num_post = int(np.sum(t < reference)), int(np.sum(t > reference))
    return honest_did(beta, sigma, num_pre=num_pre, num_post=num_post, nobs=nobs, **options)  # type: ignore[arg-type]
