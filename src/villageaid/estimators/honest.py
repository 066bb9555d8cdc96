"""Sensitivity of event-study conclusions to violations of parallel trends (Rambachan & Roth 2023).

villageaid's port of R HonestDiD, for any event-study coefficients and their covariance:

* **smoothness** (ΔSD(M): the slope of the difference in trends changes by at most M between consecutive
  periods) with the fixed-length confidence interval (FLCI, R's default for ΔSD) and the conditional tests;
* **relative magnitudes** (ΔRM(M̄): no post-period change in the difference in trends exceeds M̄ times the
  largest pre-period change) with the conditional-least-favourable hybrid (C-LF, R's default) and the
  conditional test.

The FLCI is the affine estimator ``v'β̂`` whose interval ``v'β̂ ± cv_α(b/h)·h`` is shortest, where ``h`` is its
standard deviation, ``b`` its worst-case bias over ΔSD(M) and ``cv_α(t)`` the 1−α quantile of ``|N(t, 1)|``
(Armstrong & Kolesár 2018); the small convex program is solved with SciPy's SLSQP (HonestDiD uses CVXR/ECOS)
and the folded-normal quantile is exact (HonestDiD simulates it), so intervals agree with R to about 1e-4 of
their length. The conditional methods invert the Andrews–Roth–Pakes test (``villageaid.estimators.arp``) over
R's grid of 1,000 values, with R's least-favourable draws, and give R's intervals grid point for grid point.

Checked against R HonestDiD in ``tests/reference/honestdid``: the intervals its README and vignette publish
(Medicaid expansions, Lovenheim–Willen) and the output of its own sources (``conditional.R``) on the Medicaid,
Benzarti–Carloni and Lovenheim–Willen event studies and on villageaid's H4 event study. Not implemented (they
raise): R's conditional FLCI hybrid ("C-F") and the sign and monotonicity variants (ΔSDB, ΔSDM, ΔRMB, ΔRMM).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import ClassVar

import numpy as np
import pandas as pd

from villageaid.estimators.arp import MomentInequalities, conditional_test, least_favorable_cv, problem_vertices
from villageaid.estimators.checks import (
    require_covariance,
    require_draws,
    require_finite_array,
    require_int,
    require_seed,
)
from villageaid.estimators.limits import TooFewError
from villageaid.estimators.pretrends import _check_inputs
from villageaid.estimators.results import DescriptiveResults
from villageaid.threads import fixed_blas_order


def folded_normal_quantile(p: float, mean: float) -> float:
    """Return the ``p`` quantile of ``|N(mean, 1)|`` (exact; R HonestDiD simulates it)."""
    from scipy import optimize, special, stats

    mean = abs(float(mean))

    def coverage(c: float) -> float:
        # special.ndtr is the standard normal CDF that stats.norm.cdf evaluates, without its per-call
        # argument handling (this runs tens of thousands of times per sensitivity table)
        return float(special.ndtr(c - mean) - special.ndtr(-c - mean)) - p

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


@fixed_blas_order
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


@dataclass(frozen=True, repr=False)
class SensitivityResult(DescriptiveResults):
    """Robust intervals against the size of the allowed violation, with the original interval and the breakdown.

    ``tidy()`` has one row per value of M or M̄ (``term`` "M=…"), the robust interval in ``conf_low``/
    ``conf_high``, and the columns ``M``, ``method``, ``restriction``, ``worst_case_bias`` (FLCI), ``empty``
    (no value on the test grid accepted: bounds missing) and ``open_at_grid_end`` (the interval reaches the end
    of the test grid, so its true end lies beyond).
    """

    table: pd.DataFrame
    original: tuple[float, float]
    restriction: str
    method: str
    alpha: float
    nobs: int = 0
    #: The arguments of :func:`honest_did` that made it, to compute the intervals at another level.
    inputs: dict | None = field(default=None, compare=False, repr=False)

    no_variance_reason: ClassVar[str] = ("its intervals are robust confidence sets under a restriction on violations "
                                         "of parallel trends, not Wald intervals from a variance")

    def tidy(self, conf_level: float | None = None) -> pd.DataFrame:
        """Return one row per grid value with the robust interval at ``conf_level`` (default: as computed).

        Another level re-runs :func:`honest_did` with the same inputs and options at α = 1 − ``conf_level``.
        """
        if conf_level is None or abs(self._level(conf_level) - (1 - self.alpha)) <= 1e-12:
            return self.table.copy()
        if self.inputs is None:
            raise ValueError(f"these intervals were computed at level {1 - self.alpha:g} and their inputs were "
                             f"removed; rerun honest_did with alpha={1 - conf_level:g}")
        return honest_did(**{**self.inputs, "alpha": 1 - conf_level}).table.copy()

    def remove_data(self) -> SensitivityResult:
        """Return the result without its inputs (intervals then only at the level computed)."""
        return replace(self, inputs=None)

    @property
    def breakdown(self) -> float | None:
        """Return the largest M on the grid at which the robust interval still excludes zero (None: never).

        An empty set counts as not excluding zero: it says the data reject the restriction, not that the
        effect survives it.
        """
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


def _second_differences(num_pre: int, num_post: int) -> np.ndarray:
    """Rows (+ and −) of |δ_{t+1} − 2δ_t + δ_{t−1}| ≤ M over all periods, δ_0 = 0 dropped (R's ``.create_A_SD``)."""
    total = num_pre + num_post
    rows = np.zeros((total - 1, total + 1))
    for r in range(total - 1):
        rows[r, r:r + 3] = (1.0, -2.0, 1.0)
    rows = np.delete(rows, num_pre, axis=1)
    return np.vstack([rows, -rows])


def _relative_magnitude_rows(num_pre: int, num_post: int, mbar: float, s: int, positive: bool) -> np.ndarray:
    """Rows of Δ^RM_{s,±}(M̄): every first difference bounded by the pre-period one ending at s (R's ``.create_A_RM``).

    |δ_{t} − δ_{t−1}| ≤ ±(δ_s − δ_{s−1}) for pre periods and ≤ ±M̄(δ_s − δ_{s−1}) for post periods; the union
    over s ≤ 0 and both signs is Δ^RM(M̄).
    """
    total = num_pre + num_post
    differences = np.zeros((total, total + 1))
    for r in range(total):
        differences[r, r:r + 2] = (-1.0, 1.0)
    largest = np.zeros(total + 1)
    largest[num_pre + s - 1:num_pre + s + 1] = (-1.0, 1.0)
    if not positive:
        largest = -largest
    bound = np.vstack([np.tile(largest, (num_pre, 1)), np.tile(mbar * largest, (num_post, 1))])
    rows = np.vstack([differences - bound, -differences - bound])
    rows = rows[np.sum(rows * rows, axis=1) > 1e-10]
    return np.delete(rows, num_pre, axis=1)


def _moment_problem(betahat: np.ndarray, sigma: np.ndarray, rows: np.ndarray, bounds: np.ndarray, num_pre: int,
                    l_vec: np.ndarray) -> MomentInequalities:
    """Write A δ ≤ d as moments of θ = l'τ with the rest of τ as nuisance (R's change of basis Γ).

    τ = g θ + N ν with g = l / l'l and N an orthonormal basis of l's complement: any such split gives the same
    test, because it only matters that {g θ + N ν} is the set of τ with l'τ = θ.
    """
    post = rows[:, num_pre:]
    direction = l_vec / float(l_vec @ l_vec)
    complement = np.linalg.svd(l_vec[None, :])[2][1:].T
    return MomentInequalities(rows @ betahat - bounds, post @ direction, post @ complement,
                              rows @ sigma @ rows.T)


def _conditional_accept(betahat: np.ndarray, sigma: np.ndarray, rows: np.ndarray, bounds: np.ndarray, *,
                        num_pre: int, num_post: int, l_vec: np.ndarray, theta: np.ndarray, alpha: float,
                        hybrid: str, kappa: float, draws: int, seed: int) -> np.ndarray:
    """Return whether each θ is accepted by the ARP conditional test or the LF hybrid (R's two code paths).

    With several post periods only the moments involving post periods enter (R's ``postPeriodMomentsOnly``)
    and the other post-period effects are nuisance parameters. With one post period there is no nuisance
    parameter and R's ``.testInIdentifiedSet`` rules apply: the critical value of the un-centred moment is
    floored at zero and the LF hybrid's second stage is not truncated at the least-favourable value.
    """
    if num_post > 1:
        involved = np.any(rows[:, num_pre:] != 0, axis=1)
        rows, bounds = rows[involved], bounds[involved]
    problem = _moment_problem(betahat, sigma, rows, bounds, num_pre, l_vec)
    vertices = problem_vertices(problem)
    lf_cv = least_favorable_cv(problem, kappa, draws=draws, seed=seed, vertices=vertices) if hybrid == "LF" else None
    single = num_post == 1
    floor = -bounds / problem.sd if single else None
    return conditional_test(problem, theta, alpha=alpha, hybrid=hybrid, kappa=kappa, lf_cv=lf_cv, floor=floor,
                            truncate_at_lf=not single, vertices=vertices)


def _smoothness_bias_bound(num_pre: int, num_post: int, m: float, l_vec: np.ndarray) -> float:
    """Largest l'δ_post over Δ^SD(M) with δ_pre = 0: the identified set under parallel trends is ± this (HiGHS)."""
    from scipy.optimize import linprog

    rows = _second_differences(num_pre, num_post)
    total = num_pre + num_post
    objective = -np.concatenate([np.zeros(num_pre), l_vec])
    equality = np.hstack([np.eye(num_pre), np.zeros((num_pre, num_post))])
    result = linprog(objective, A_ub=rows, b_ub=np.full(len(rows), m), A_eq=equality, b_eq=np.zeros(num_pre),
                     bounds=[(None, None)] * total, method="highs")
    if result.status != 0:
        raise RuntimeError(f"the identified-set program failed: {result.message}")
    return float(-result.fun)


@fixed_blas_order
def smoothness_m_upper_bound(betahat: np.ndarray, sigma: np.ndarray, num_pre: int, alpha: float = 0.05) -> float:
    """Return R HonestDiD's ``DeltaSD_upperBound_Mpre``, the top of the default grid of M.

    It is the largest one-sided 1 − alpha upper confidence bound of a pre-period second difference (δ_0 = 0).
    """
    from scipy import stats

    rows = _second_differences(num_pre, 0)
    beta_pre, sigma_pre = betahat[:num_pre], sigma[:num_pre, :num_pre]
    se = np.sqrt(np.diag(rows @ sigma_pre @ rows.T))
    return float(np.max(rows @ beta_pre + stats.norm.ppf(1 - alpha) * se))


_RESTRICTIONS = {"smoothness": "smoothness (DeltaSD)", "relative_magnitudes": "relative magnitudes (DeltaRM)"}
_METHODS = {"smoothness": ("FLCI", "Conditional", "C-LF"), "relative_magnitudes": ("C-LF", "Conditional")}


def _interval_from_grid(theta: np.ndarray, accept: np.ndarray) -> tuple[float, float, bool, bool]:
    """Hull of the accepted grid points (as R), whether it is empty and whether it touches an end of the grid."""
    if not accept.any():
        return np.nan, np.nan, True, False
    inside = theta[accept]
    return float(inside.min()), float(inside.max()), False, bool(accept[0] or accept[-1])


@fixed_blas_order
def honest_did(betahat: np.ndarray, sigma: np.ndarray, *, num_pre: int, num_post: int,
               restriction: str = "smoothness", grid: np.ndarray | None = None, l_vec: np.ndarray | None = None,
               alpha: float = 0.05, method: str | None = None, nobs: int = 0,
               bias_direction: str | None = None, monotonicity_direction: str | None = None,
               grid_points: int = 1000, grid_bounds: tuple[float, float] | None = None, seed: int = 0,
               draws: int = 1000) -> SensitivityResult:
    """Robust confidence intervals under a restriction on violations of parallel trends (Rambachan & Roth 2023).

    Parameters
    ----------
    betahat, sigma : array
        Event-study coefficients (pre periods first, reference period omitted) and their covariance. NaN or
        infinite entries are refused (``ValueError`` naming them), as is a sigma that is not symmetric and
        positive semi-definite.
    num_pre, num_post : int
        Numbers of pre- and post-period coefficients.
    restriction : {"smoothness", "relative_magnitudes"}
        ΔSD(M): the slope of the violation changes by at most M between consecutive periods; or ΔRM(M̄): no
        post-period change in the violation is larger than M̄ times the largest pre-period one.
    grid : array, optional
        Values of M (or M̄). Defaults as R HonestDiD: for ΔSD 10 values from 0 to the largest one-sided 95%
        upper bound of a pre-period second difference (``DeltaSD_upperBound_Mpre``; with one pre period, to the
        standard error of its coefficient); for ΔRM 10 values from 0 to 2.
    l_vec : array, optional
        Weights on the post-period effects (default: the first post period).
    alpha : float
        1 − coverage (default 0.05).
    method : str, optional
        For ΔSD "FLCI" (default, as R), "Conditional" or "C-LF"; for ΔRM "C-LF" (default, as R) or
        "Conditional". R's "C-F" (the conditional FLCI hybrid) is not implemented and raises.
    bias_direction, monotonicity_direction : str, optional
        R's sign (ΔSDPB/ΔSDNB, ΔRMB) and monotonicity (ΔSDI/ΔSDD, ΔRMM) variants are not implemented in
        villageaid: giving either raises NotImplementedError.
    grid_points, grid_bounds : int, (float, float), optional
        The conditional methods invert a test over ``grid_points`` equally spaced values (R: 1000) between
        ``grid_bounds``; default as R: ±20 standard errors of l'β̂_post around the identified set under
        parallel trends (ΔSD) or around zero (ΔRM). The interval is the hull of the accepted values; rows
        whose interval touches an end of the grid are flagged ``open_at_grid_end`` (and warned about), rows
        where no value is accepted are flagged ``empty`` with missing bounds.
    seed, draws : int
        The C-LF hybrid's least-favourable critical value is a quantile over ``draws`` simulated draws
        (R: 1000, seed 0); villageaid draws the same normals as R for the same seed.

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
    import warnings

    who = "honest_did"
    betahat = require_finite_array(betahat, "betahat", who, ndim=1)
    sigma = require_covariance(sigma, who)
    num_pre, num_post = require_int(num_pre, "num_pre", who), require_int(num_post, "num_post", who)
    require_int(grid_points, "grid_points", who)
    require_draws(draws, len(betahat), who, what="coefficients")
    require_seed(seed, who)
    if restriction not in _RESTRICTIONS:
        raise ValueError(f"unknown restriction {restriction!r}; expected 'smoothness' or 'relative_magnitudes'")
    if bias_direction is not None or monotonicity_direction is not None:
        raise NotImplementedError("sign and monotonicity restrictions (R's biasDirection / monotonicityDirection) "
                                  "are not implemented in villageaid; use the plain restriction")
    method = method or _METHODS[restriction][0]
    if method == "C-F":
        raise NotImplementedError("the conditional FLCI hybrid (R's method 'C-F') is not implemented in villageaid; "
                                  f"use one of {', '.join(_METHODS[restriction])}")
    if method not in _METHODS[restriction]:
        raise ValueError(f"method {method!r} is not available for {restriction}; expected one of "
                         f"{', '.join(_METHODS[restriction])} (as R HonestDiD)")
    if len(betahat) != num_pre + num_post or sigma.shape != (len(betahat), len(betahat)):
        raise ValueError(f"betahat has {len(betahat)} coefficients and sigma is {sigma.shape}; expected "
                         f"num_pre + num_post = {num_pre + num_post}")
    if num_pre < 1 or num_post < 1:
        raise TooFewError("at least one pre-period and one post-period coefficient are needed")
    if l_vec is not None and np.asarray(l_vec, float).shape != (num_post,):
        raise ValueError(f"l_vec must have one weight per post period ({num_post}), got {np.asarray(l_vec).shape}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie between 0 and 1, got {alpha}")
    if int(grid_points) < 2:
        raise ValueError(f"grid_points must be 2 or more, got {grid_points}")
    if grid_bounds is not None:
        require_finite_array(grid_bounds, "grid_bounds", who)
    if grid_bounds is not None and not float(grid_bounds[0]) < float(grid_bounds[1]):
        raise ValueError(f"grid_bounds must be (lower, upper) with lower < upper, got {grid_bounds}")
    _check_inputs(betahat, sigma, np.arange(num_pre + num_post), who)  # finite, symmetric, positive semi-definite
    l_vec = np.eye(num_post)[0] if l_vec is None else require_finite_array(l_vec, "l_vec", who)
    if not np.any(l_vec != 0):
        raise ValueError("l_vec must have a non-zero weight")
    if grid is None:
        if restriction == "relative_magnitudes":
            grid = np.linspace(0.0, 2.0, 10)
        elif num_pre == 1:
            grid = np.linspace(0.0, float(np.sqrt(sigma[0, 0])), 10)
        else:
            grid = np.linspace(0.0, smoothness_m_upper_bound(betahat, sigma, num_pre), 10)
    grid = require_finite_array(grid, "grid (the values of M)", who)
    if np.any(grid < 0):
        raise ValueError(f"{who}: grid (the values of M) must be zero or more, got {grid[grid < 0][:5].tolist()}")
    post = slice(num_pre, num_pre + num_post)
    sd_theta = float(np.sqrt(l_vec @ sigma[post, post] @ l_vec))
    rows = []
    for m in grid:
        row = {"term": f"M={m:g}", "estimate": np.nan, "std_error": np.nan, "statistic": np.nan, "p_value": np.nan,
               "M": float(m), "method": method, "restriction": _RESTRICTIONS[restriction],
               "worst_case_bias": np.nan, "empty": False, "open_at_grid_end": False}
        if method == "FLCI":
            interval = flci(betahat, sigma, num_pre=num_pre, num_post=num_post, m=float(m), l_vec=l_vec, alpha=alpha)
            row.update(estimate=(interval.conf_low + interval.conf_high) / 2, std_error=interval.std_error,
                       conf_low=interval.conf_low, conf_high=interval.conf_high,
                       worst_case_bias=interval.worst_case_bias)
            rows.append(row)
            continue
        hybrid = "LF" if method == "C-LF" else "ARP"
        # R's default grid: ±20 s.e. around the identified set under parallel trends, [−half, half] for ΔSD
        # and {0} for ΔRM.
        if restriction == "smoothness":
            half = _smoothness_bias_bound(num_pre, num_post, float(m), l_vec)
            pieces = [(_second_differences(num_pre, num_post), np.full(2 * (num_pre + num_post - 1), float(m)))]
        else:
            half = 0.0
            pieces = []
            for s in range(-(num_pre - 1), 1):
                for positive in (True, False):
                    a_rm = _relative_magnitude_rows(num_pre, num_post, float(m), s, positive)
                    if num_post == 1:
                        a_rm = a_rm[a_rm[:, -1] != 0]
                    pieces.append((a_rm, np.zeros(len(a_rm))))
        low, high = grid_bounds if grid_bounds is not None else (-half - 20 * sd_theta, half + 20 * sd_theta)
        theta = np.linspace(float(low), float(high), int(grid_points))
        accept = np.zeros(theta.size, dtype=bool)
        for a_rows, d_rows in pieces:
            accept |= _conditional_accept(betahat, sigma, a_rows, d_rows, num_pre=num_pre, num_post=num_post,
                                          l_vec=l_vec, theta=theta, alpha=alpha, hybrid=hybrid, kappa=alpha / 10,
                                          draws=draws, seed=seed)
        conf_low, conf_high, empty, open_end = _interval_from_grid(theta, accept)
        row.update(conf_low=conf_low, conf_high=conf_high, empty=empty, open_at_grid_end=open_end)
        if empty:
            warnings.warn(f"{method} robust confidence set is empty at M={m:g}: every value on the grid "
                          f"[{low:.4g}, {high:.4g}] is rejected (the pre-period coefficients are unlikely under this "
                          "restriction, or the grid misses the set)", stacklevel=2)
        elif open_end:
            warnings.warn(f"{method} robust confidence interval at M={m:g} reaches the end of the grid "
                          f"[{low:.4g}, {high:.4g}]: its true end lies beyond; widen grid_bounds", stacklevel=2)
        rows.append(row)
    original = original_interval(betahat, sigma, num_pre=num_pre, num_post=num_post, l_vec=l_vec, alpha=alpha)
    columns = ["term", "estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high", "M", "method",
               "restriction", "worst_case_bias", "empty", "open_at_grid_end"]
    inputs = {"betahat": betahat, "sigma": sigma, "num_pre": num_pre, "num_post": num_post,
              "restriction": restriction, "grid": grid, "l_vec": l_vec, "method": method, "nobs": nobs,
              "bias_direction": bias_direction, "monotonicity_direction": monotonicity_direction,
              "grid_points": grid_points, "grid_bounds": grid_bounds, "seed": seed, "draws": draws}
    return SensitivityResult(pd.DataFrame(rows)[columns], original, _RESTRICTIONS[restriction], method, alpha, nobs,
                             inputs)


@fixed_blas_order
def sensitivity_of(result: object, **options: object) -> SensitivityResult:
    """Sensitivity of a villageaid event study (the ``.sensitivity()`` of event-study results).

    Picks the coefficients (pre periods, then post periods), their covariance and the split at the reference
    period, and passes ``options`` (restriction, grid, l_vec, alpha, method) to :func:`honest_did`.
    """
    from villageaid.estimators.pretrends import event_study_inputs

    beta, sigma, t, reference, nobs = event_study_inputs(result)
    num_pre, num_post = int(np.sum(t < reference)), int(np.sum(t > reference))
    return honest_did(beta, sigma, num_pre=num_pre, num_post=num_post, nobs=nobs, **options)  # type: ignore[arg-type]
