"""Conditional and hybrid tests of moment inequalities with nuisance parameters (Andrews, Roth & Pakes 2023).

HonestDiD's conditional (``"Conditional"``) and conditional-least-favourable hybrid (``"C-LF"``) confidence sets
invert, over a grid of values θ of the target parameter, the test of

    H0: E[y(θ) − X δ] ≤ 0 for some nuisance δ,   y(θ) ~ N(μ, Σ),  y(θ) = y₀ − a θ.

The statistic is η = min over (η, δ) of η subject to y − X δ ≤ η·sd (a linear program). Its dual is the
maximum of λ'y over the polytope {λ ≥ 0 : sd'λ = 1, X'λ = 0}, so η is the largest λ_v'y over the polytope's
vertices λ_v. ARP condition on the optimal vertex γ: η is then a truncated normal with variance γ'Σγ, and
the truncation points are the range of c over which γ stays optimal along y = s + b·c (b = Σγ / γ'Σγ),
i.e. ``{c : λ_v's + (λ_v'b)·c ≤ c for all v}`` — one linear inequality per vertex.

Two ways to evaluate it:

* **vertex enumeration** (the default when the polytope has few candidate bases, as in event studies with a
  handful of post periods): all vertices are found once by solving the (k+1)×(k+1) systems of every support,
  after which η, the truncation points and the least-favourable critical value are matrix products —
  thousands of grid points and simulation draws in milliseconds, and the truncation points are exact;
* **linear programming** (any size): η and γ from SciPy's HiGHS, the truncation points by the cutting-plane
  (Newton) iteration on the convex piecewise-linear ``c ↦ max_v λ_v'(s + b c)`` that R HonestDiD uses as its
  first step, each step one HiGHS program; exact at convergence.

R HonestDiD (``arp-nuisance.R``) computes the truncation points by the primal basis when it is non-degenerate
and by bisection (tolerance 1e-6) otherwise; both give the same interval as the closed form above, which is
why villageaid agrees with R to its grid. The least-favourable critical value is the 1−κ quantile of η over
simulated draws; :func:`r_mvnorm` reproduces R's draws (``set.seed(seed); mvtnorm::rmvnorm(...)``) exactly, so
that the hybrid's first stage, and hence the interval, are the ones R prints for the same seed.

Written here because no maintained Python implementation exists; the linear programs use SciPy's HiGHS
(``scipy.optimize.linprog``) and the truncated normal quantiles ``scipy.stats.truncnorm``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from villageaid.threads import fixed_blas_order

#: Largest number of candidate supports (rows choose k+1) enumerated before switching to linear programming.
MAX_SUPPORTS = 250_000
_R_UNIT = 2.3283064365386963e-10  # 2^-32, R's MT_genrand scaling
_R_BIG = 134217728.0  # 2^27, R's norm_rand INVERSION


def r_normal_draws(size: int, seed: int) -> np.ndarray:
    """Return ``size`` standard normal draws identical to R's ``set.seed(seed); rnorm(size)``.

    R seeds its Mersenne Twister by scrambling the seed with the linear congruential generator
    ``x ← 69069 x + 1`` (50 times, then once per state word) and draws normals by inversion from two uniforms
    (``(floor(2^27 u1) + u2) / 2^27``). NumPy's MT19937 is the same generator: given R's state it produces
    R's stream, and SciPy's ``ndtri`` inverts. Used so that simulated critical values match R HonestDiD's.
    """
    from scipy.special import ndtri

    state = int(seed) & 0xFFFFFFFF
    for _ in range(50):
        state = (69069 * state + 1) & 0xFFFFFFFF
    words = np.empty(625, dtype=np.uint32)
    for j in range(625):
        state = (69069 * state + 1) & 0xFFFFFFFF
        words[j] = state
    generator = np.random.MT19937()
    generator.state = {"bit_generator": "MT19937", "state": {"key": words[1:], "pos": 624}}
    uniforms = generator.random_raw(2 * size).astype(np.float64) * _R_UNIT
    uniforms = np.clip(uniforms, 0.5 * _R_UNIT, 1.0 - 0.5 * _R_UNIT)  # R's fixup: strictly inside (0, 1)
    return ndtri((np.floor(_R_BIG * uniforms[0::2]) + uniforms[1::2]) / _R_BIG)


def r_mvnorm(draws: int, sigma: np.ndarray, seed: int) -> np.ndarray:
    """Return ``draws`` rows of N(0, sigma) identical to R's ``set.seed(seed); mvtnorm::rmvnorm(draws, sigma=sigma)``.

    mvtnorm multiplies a row-major matrix of normals by the symmetric square root of sigma from its
    eigendecomposition (negative eigenvalues set to zero); the symmetric root is unique, so the draws agree
    with R up to rounding.
    """
    sigma = np.asarray(sigma, float)
    values, vectors = np.linalg.eigh(sigma)
    root = (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T
    return r_normal_draws(draws * sigma.shape[0], seed).reshape(draws, sigma.shape[0]) @ root


def _column_basis(x: np.ndarray | None, rows: int) -> np.ndarray:
    """Return an orthonormal basis of the column space of x (the nuisance directions), shape (rows, rank)."""
    if x is None or x.size == 0:
        return np.zeros((rows, 0))
    u, singular, _ = np.linalg.svd(x, full_matrices=False)
    if singular.size == 0 or singular[0] == 0:
        return np.zeros((rows, 0))
    rank = int(np.sum(singular > singular[0] * 1e-10))
    return u[:, :rank]


class TooManySupportsError(ValueError):
    """More candidate vertex supports than :data:`MAX_SUPPORTS`: use linear programming instead."""


def supports_count(rows: int, nuisance_rank: int) -> int:
    """Return the number of candidate vertex supports: rows choose (rank + 1)."""
    return math.comb(rows, nuisance_rank + 1)


def dual_vertices(x: np.ndarray | None, sd: np.ndarray) -> np.ndarray:
    """Return the vertices of ``{λ ≥ 0 : sd'λ = 1, X'λ = 0}``, one per row (empty when the set is empty).

    Every vertex solves the equality constraints on a support of rank(X) + 1 rows; all supports are tried
    at once (a batched linear solve) and the non-negative solutions kept, duplicates removed.
    """
    sd = np.asarray(sd, float)
    rows = sd.size
    basis = _column_basis(x, rows)
    size = basis.shape[1] + 1
    if size > rows:
        return np.zeros((0, rows))
    count = supports_count(rows, basis.shape[1])
    if count > MAX_SUPPORTS:
        raise TooManySupportsError(f"{count} candidate vertices exceed MAX_SUPPORTS={MAX_SUPPORTS}; use linear "
                                   "programming")
    constraints = np.vstack([sd, basis.T])  # (size, rows)
    supports = np.array(list(combinations(range(rows), size)), dtype=np.intp)
    systems = np.transpose(constraints[:, supports], (1, 0, 2))  # (count, size, size)
    singular = np.linalg.svd(systems, compute_uv=False)
    regular = singular[:, -1] > 1e-10 * np.maximum(singular[:, 0], 1e-300)
    systems, supports = systems[regular], supports[regular]
    if len(supports) == 0:
        return np.zeros((0, rows))
    rhs = np.zeros((len(supports), size, 1))
    rhs[:, 0, 0] = 1.0
    weights = np.linalg.solve(systems, rhs)[:, :, 0]
    scale = np.abs(weights).max(axis=1, keepdims=True)
    feasible = np.all(weights >= -1e-9 * np.maximum(scale, 1.0), axis=1)
    vertices = np.zeros((int(feasible.sum()), rows))
    np.put_along_axis(vertices, supports[feasible], np.clip(weights[feasible], 0.0, None), axis=1)
    if len(vertices) == 0:
        return vertices
    keys = np.round(vertices / np.abs(vertices).max(), 9)
    _, first = np.unique(keys, axis=0, return_index=True)
    return vertices[np.sort(first)]


def _eta_lp(y: np.ndarray, x: np.ndarray, sd: np.ndarray) -> tuple[float, np.ndarray | None]:
    """η = min η s.t. y − Xδ ≤ η·sd, and the dual solution λ (HiGHS); (-inf, None) when unbounded."""
    from scipy.optimize import linprog

    k = x.shape[1]
    result = linprog(np.r_[1.0, np.zeros(k)], A_ub=-np.column_stack([sd, x]), b_ub=-y,
                     bounds=[(None, None)] * (k + 1), method="highs")
    if result.status == 3:
        return -np.inf, None
    if result.status != 0:
        raise RuntimeError(f"the ARP linear program failed: {result.message}")
    return float(result.fun), -np.asarray(result.ineqlin.marginals)


def _dual_max(direction: np.ndarray, x: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """Return a maximiser of λ'direction over {λ ≥ 0 : sd'λ = 1, X'λ = 0} (HiGHS)."""
    from scipy.optimize import linprog

    equality = np.vstack([sd, x.T])
    rhs = np.r_[1.0, np.zeros(x.shape[1])]
    result = linprog(-direction, A_eq=equality, b_eq=rhs, bounds=[(0, None)] * sd.size, method="highs")
    if result.status != 0:
        raise RuntimeError(f"the ARP dual program failed: {result.message}")
    return np.asarray(result.x)


def _truncation_lp(s: np.ndarray, b: np.ndarray, eta: float, scale: float, x: np.ndarray,
                   sd: np.ndarray) -> tuple[float, float]:
    """Return the truncation points (vlo, vup) of η by linear programming.

    ``h(c) = max_λ λ'(s + b c) − c`` is convex and piecewise linear, zero on [vlo, vup] and positive outside.
    From a start outside the interval, each step takes the supporting line of h at c (from the maximising
    vertex, one HiGHS program) and moves to its root: the iterates decrease monotonically to vup (increase
    to vlo) and stop at it after finitely many vertices. Starts as R: max(100, η + 20·sd) and min(−100, η − 20·sd);
    a start that already satisfies h ≤ 0 gives an infinite bound, as in R.
    """
    def supporting_line(c: float) -> tuple[float, float, bool]:
        vertex = _dual_max(s + b * c, x, sd)
        alpha, beta = float(vertex @ s), float(vertex @ b)
        return alpha, beta, alpha + beta * c <= c + 1e-9 * max(1.0, abs(c))

    bounds = []
    for start, infinite in ((max(100.0, eta + 20 * scale), np.inf), (min(-100.0, eta - 20 * scale), -np.inf)):
        alpha, beta, solved = supporting_line(start)
        c = infinite if solved else start
        for _ in range(500):
            if solved or abs(1.0 - beta) < 1e-14:
                break
            c = alpha / (1.0 - beta)
            alpha, beta, solved = supporting_line(c)
        bounds.append(c)
    vup, vlo = bounds
    return vlo, vup


def problem_vertices(problem: MomentInequalities) -> np.ndarray | None:
    """Return the dual vertices of a problem, or None when there are too many supports to enumerate."""
    try:
        return dual_vertices(problem.nuisance, problem.sd)
    except TooManySupportsError:
        return None


@dataclass(frozen=True)
class MomentInequalities:
    """The moments y(θ) = y₀ − a·θ with nuisance design X and covariance Σ of y (one ARP problem)."""

    y0: np.ndarray
    slope: np.ndarray
    nuisance: np.ndarray
    sigma: np.ndarray

    @property
    def sd(self) -> np.ndarray:
        """Standard deviations of the moments."""
        return np.sqrt(np.diag(self.sigma))


@fixed_blas_order
def least_favorable_cv(problem: MomentInequalities, kappa: float, *, draws: int = 1000, seed: int = 0,
                       vertices: np.ndarray | None = None) -> float:
    """Return the 1−κ quantile of η when every moment has mean zero (ARP's least-favourable critical value).

    The draws are R's (``r_mvnorm``), so the value is R HonestDiD's ``.compute_least_favorable_cv`` for the
    same seed.
    """
    xi = r_mvnorm(draws, problem.sigma, seed)
    if vertices is not None:
        eta = (xi @ vertices.T).max(axis=1) if len(vertices) else np.full(draws, -np.inf)
    else:
        basis = _column_basis(problem.nuisance, len(problem.y0))
        eta = np.array([_eta_lp(row, basis, problem.sd)[0] for row in xi])
    eta = eta[np.isfinite(eta)]
    return float(np.quantile(eta, 1 - kappa)) if eta.size else np.inf


def _truncated_normal_quantile(p: float, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    from scipy.stats import truncnorm

    with np.errstate(invalid="ignore"):
        return np.asarray(truncnorm.ppf(p, lower, upper), dtype=float)


@fixed_blas_order
def conditional_test(problem: MomentInequalities, theta: np.ndarray, *, alpha: float, hybrid: str = "ARP",
                     kappa: float | None = None, lf_cv: float | None = None, floor: np.ndarray | None = None,
                     truncate_at_lf: bool = True, vertices: np.ndarray | None = None) -> np.ndarray:
    """Return, for each θ, whether the ARP conditional (or LF hybrid) test accepts H0 at level alpha.

    Parameters
    ----------
    problem : MomentInequalities
    theta : array
        The grid of values to test.
    alpha : float
        Size of the test.
    hybrid : {"ARP", "LF"}
        Plain conditional test, or the least-favourable hybrid: reject when η exceeds ``lf_cv`` (first stage,
        size κ), otherwise condition also on η ≤ lf_cv and test at size (α − κ)/(1 − κ).
    floor : array, optional
        Without nuisance parameters only: per-moment lower bound of the critical value on the η scale
        (default 0, as in ARP). R HonestDiD's single-post-period code floors the critical value of the
        un-centred moment at zero instead, i.e. at −d_i/sd_i on the η scale; passing that reproduces R.
    truncate_at_lf : bool
        Whether the LF hybrid's second stage truncates at lf_cv (R does so with nuisance parameters, not
        without).
    vertices : array, optional
        The dual vertices from :func:`problem_vertices`; without them η and the truncation points come from
        linear programs.

    Returns
    -------
    numpy.ndarray of bool
    """
    theta = np.asarray(theta, float)
    sd = problem.sd
    size = alpha
    if hybrid == "LF":
        if kappa is None or lf_cv is None:
            raise ValueError("the LF hybrid needs kappa and lf_cv")
        size = (alpha - kappa) / (1 - kappa)
    elif hybrid != "ARP":
        raise ValueError(f"hybrid must be 'ARP' or 'LF', got {hybrid!r}")
    use_vertices = vertices is not None
    if use_vertices:
        if len(vertices) == 0:  # η = −∞: the moments can always be met, never reject (as R)
            return np.ones(theta.size, dtype=bool)
        values = (vertices @ problem.y0)[:, None] - (vertices @ problem.slope)[:, None] * theta[None, :]
        best = values.argmax(axis=0)
        eta = values[best, np.arange(theta.size)]
    else:
        basis = _column_basis(problem.nuisance, sd.size)
        solved = [_eta_lp(problem.y0 - problem.slope * t, basis, sd) for t in theta]
        eta = np.array([value for value, _ in solved])
    accept = np.ones(theta.size, dtype=bool)
    if hybrid == "LF":
        accept &= ~(eta > lf_cv)
    groups = np.unique(best) if use_vertices else np.arange(theta.size)
    for group in groups:
        if use_vertices:
            where = np.flatnonzero((best == group) & accept)
            gamma = vertices[group]
        else:
            if not accept[group] or not np.isfinite(eta[group]):
                continue
            where = np.array([group])
            gamma = solved[group][1]
        if where.size == 0:
            continue
        variance = float(gamma @ problem.sigma @ gamma)
        if abs(variance) < np.finfo(float).eps:
            accept[where] = ~(eta[where] > 0)
            continue
        b = problem.sigma @ gamma / variance
        scale = np.sqrt(variance)
        if use_vertices:
            beta = vertices @ b
            alpha_v = values[:, where] - beta[:, None] * eta[None, where]
            with np.errstate(divide="ignore", invalid="ignore"):
                cut = alpha_v / (1.0 - beta)[:, None]
            low_rows, up_rows = beta < 1 - 1e-12, beta > 1 + 1e-12
            vlo = cut[low_rows].max(axis=0) if low_rows.any() else np.full(where.size, -np.inf)
            vup = cut[up_rows].min(axis=0) if up_rows.any() else np.full(where.size, np.inf)
        else:
            y = problem.y0 - problem.slope * theta[group]
            low, up = _truncation_lp(y - b * eta[group], b, float(eta[group]), scale, basis, sd)
            vlo, vup = np.array([low]), np.array([up])
        if hybrid == "LF" and truncate_at_lf:
            vup = np.minimum(vup, lf_cv)
        stat, zlo, zup = eta[where] / scale, vlo / scale, vup / scale
        inside = (zlo <= stat) & (stat <= zup)
        quantile = _truncated_normal_quantile(1 - size, zlo, zup)
        if floor is None:
            bound = np.zeros(where.size)
        else:
            bound = np.full(where.size, floor[int(np.argmax(gamma))] / scale)
        critical = np.maximum(bound, np.where(np.isnan(quantile), -np.inf, quantile))
        accept[where] = ~(inside & (stat > critical))
    return accept
