"""The one core that computes every variance of every regression estimator, from what a fit keeps.

:class:`InferenceInputs` is what a fitted model keeps (bread, scores, sample, fixed effects, the leave-one-out
refit); :func:`compute_vcov` turns it and a variance object (:mod:`villageaid.estimators.vcov`) into a matrix with
the small-sample correction (:class:`~villageaid.estimators.vcov.SSC`) and the t degrees of freedom. Influence-
function estimators have their one path, :func:`influence_vcov`. The formulas are in the notes of
:mod:`villageaid.estimators.vcov`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from villageaid.estimators.checks import require_clusters
from villageaid.estimators.demean import FixedEffects
from villageaid.estimators.limits import TooFewError
from villageaid.estimators.vcov import (
    CRV3,
    HC1,
    IID,
    INFLUENCE_SSC,
    SSC,
    VarianceEstimator,
    require_supported,
)
from villageaid.threads import fixed_blas_order


def cluster_codes(data: pd.DataFrame, names: tuple[str, ...],
                  known: Mapping[str, np.ndarray] | None = None) -> list[np.ndarray]:
    """Integer codes of each cluster variable (and of their intersection for two-way clustering).

    ``known`` holds codes already computed for the same sample (a fixed effect that is also the
    cluster variable), which are reused.
    """
    codes = []
    for name in names:
        if known and name in known:
            codes.append(known[name])
            continue
        if name not in data.columns:
            raise KeyError(f"cluster variable {name!r} is not in the data")
        if data[name].isna().any():
            raise ValueError(f"cluster variable {name!r} has missing values in the estimation sample")
        codes.append(pd.factorize(data[name], sort=False)[0].astype(np.int64))
    if len(codes) == 2:
        both = pd.factorize(pd.MultiIndex.from_arrays([codes[0], codes[1]]), sort=False)[0]
        codes.append(both.astype(np.int64))
    return codes


def cluster_sums(values: np.ndarray, codes: np.ndarray, groups: int | None = None) -> np.ndarray:
    """Sum the rows of ``values`` (n × p) within clusters: a (G × p) array."""
    groups = int(codes.max()) + 1 if groups is None else groups
    if values.ndim == 1:
        return np.bincount(codes, weights=values, minlength=groups)
    out = np.empty((groups, values.shape[1]))
    for j in range(values.shape[1]):
        out[:, j] = np.bincount(codes, weights=values[:, j], minlength=groups)
    return out


def nested_parameters(fixed: FixedEffects | None, codes: list[np.ndarray]) -> int:
    """Absorbed parameters counted in K' when the fixed effects nested in any of ``codes`` count one each."""
    if fixed is None or not fixed.names:
        return 0
    nested = np.zeros(len(fixed.names), dtype=bool)
    for code in codes:
        nested |= np.asarray(fixed.nested_in(code))
    nested_levels = sum(lv for lv, is_nested in zip(fixed.levels, nested, strict=True) if is_nested)
    return fixed.degrees_of_freedom - nested_levels + int(nested.sum())


def counted_parameters(ssc: SSC, n_coef: int, fixed: FixedEffects | None, absorbed: int,
                       cluster_codes_: list[np.ndarray] | None = None) -> int:
    """K of the (n − 1)/(n − K) factor: the coefficients plus the absorbed parameters ``ssc.fixef_k`` counts.

    ``cluster_codes_`` are the clustering variables' codes (nested fixed effects count one each under
    "nested"); without them every absorbed parameter counts, as fixest does for iid and HC1.
    """
    if ssc.fixef_k == "none" or absorbed == 0:
        return n_coef
    if ssc.fixef_k == "full" or not cluster_codes_:
        return n_coef + absorbed
    return max(n_coef + nested_parameters(fixed, cluster_codes_), n_coef + 1)


def clustered_factor(ssc: SSC, n: int, K: int, groups: int) -> float:
    """Return the one-way CRV1 factor adj · G/(G − 1) (shared by the sandwich and the wild bootstrap's t statistics)."""
    factor = (n - 1) / (n - K) if ssc.adj else 1.0
    return factor * (groups / (groups - 1) if ssc.cluster_adj else 1.0)


def t_degrees_of_freedom(ssc: SSC, n: int, K: int, min_clusters: int | None, linear: bool) -> float:
    """Degrees of freedom of the t distribution (inf: normal inference)."""
    if not linear:
        return np.inf
    if isinstance(ssc.t_df, int | np.integer):  # as fixest: a given number applies to every variance
        return float(ssc.t_df)
    if min_clusters is not None and ssc.t_df == "min":
        return float(max(min_clusters - 1, 1))
    return float(max(n - K, 1))


@dataclass(frozen=True)
class VcovResult:
    """A variance matrix with the degrees of freedom for inference and cluster counts.

    Attributes
    ----------
    matrix : ndarray
    df_t : float
        Degrees of freedom of t inference (inf: normal).
    clusters : dict
        Cluster variable → number of clusters.
    notes : tuple of str
    ssc : SSC or None
        The small-sample correction applied (None for the jackknife, which has its own factor).
    """

    matrix: np.ndarray
    df_t: float
    clusters: dict[str, int]
    notes: tuple[str, ...] = ()
    ssc: SSC | None = None


#: Computes the leave-one-cluster-out estimates (G × k) for given cluster codes and cluster name.
LeaveOneOut = Callable[[np.ndarray, str], np.ndarray]


@dataclass(frozen=True)
class InferenceInputs:
    """What a fitted model keeps so that any supported variance can be computed later without refitting.

    Attributes
    ----------
    estimator : str
        Name used in error messages.
    supported : tuple of str
        Variance keys the estimator supports (see :attr:`VarianceEstimator.key`).
    bread : ndarray (k, k)
        Inverse Hessian of the (partialled-out) problem: (X̃'WX̃)⁻¹ for OLS, (X̂'X̂)⁻¹ for 2SLS, the
        inverse information otherwise.
    scores : ndarray (n, k)
        Per-observation scores x̃ᵢ wᵢ ûᵢ.
    nobs, n_coef : int
    absorbed : int
        Absorbed fixed-effect parameters (0 without fixed effects).
    fixed : FixedEffects or None
        For nesting of fixed effects in clusters.
    sample : DataFrame
        The data rows of the estimation sample (cluster variables are read from it).
    params : ndarray (k,)
        Full-sample estimates (the jackknife's centre).
    rss : float or None
        Residual sum of squares for the linear iid variance; ``None`` means the inverse information.
    linear : bool
        t inference (linear model) or normal (likelihood models) — one rule per estimator, whatever the variance.
    leave_one_out : callable, optional
        Computes the leave-one-cluster-out estimates for CRV3 (absent: CRV3 unsupported). A picklable object.
    known_codes : dict
        Codes of fixed effects that may also be cluster variables.
    default_ssc : SSC
        The estimator's small-sample correction when the variance object sets none.
    """

    estimator: str
    supported: tuple[str, ...]
    bread: np.ndarray
    scores: np.ndarray
    nobs: int
    n_coef: int
    absorbed: int
    fixed: FixedEffects | None
    sample: pd.DataFrame
    params: np.ndarray
    rss: float | None
    linear: bool
    leave_one_out: LeaveOneOut | None = field(default=None, repr=False)
    known_codes: Mapping[str, np.ndarray] = field(default_factory=dict, repr=False)
    default_ssc: SSC = field(default_factory=SSC)

    @property
    def df_resid(self) -> float:
        """Return n − K with every absorbed parameter counted (fixest's ``nobs − nparams``)."""
        return float(self.nobs - self.n_coef - self.absorbed)


def _require_residual_df(n: int, K: int, choice: VarianceEstimator, ssc: SSC) -> None:
    """Refuse a variance whose small-sample factor (n − 1)/(n − K) or iid scale RSS/(n − 1) is undefined."""
    if n < 2 or (ssc.adj and n <= K) or (isinstance(choice, IID) and n <= K):
        raise TooFewError(f"{choice.label}: {n} observation(s) for {K} parameters (coefficients and the fixed "
                          "effects counted): no residual degrees of freedom, so the variance is undefined")


@fixed_blas_order
def compute_vcov(choice: VarianceEstimator, inputs: InferenceInputs) -> VcovResult:
    """Compute the variance ``choice`` from a model's :class:`InferenceInputs` (checks support first)."""
    require_supported(inputs.estimator, choice, inputs.supported)
    n, k = inputs.nobs, inputs.n_coef
    if n < 1 or len(inputs.sample) == 0:
        raise TooFewError(f"{choice.label}: no observations are left in the estimation sample (all were dropped: "
                          "missing values, singletons or observations separated by the fixed effects)")
    if isinstance(choice, CRV3):
        codes = cluster_codes(inputs.sample, choice.clusters, inputs.known_codes)
        groups = int(codes[0].max()) + 1
        require_clusters(groups, f"{choice.label}:")
        if inputs.leave_one_out is None:  # guarded by require_supported; kept for estimators built by hand
            raise ValueError(f"{inputs.estimator} has no leave-one-cluster-out computation for CRV3")
        estimates = inputs.leave_one_out(codes[0], choice.cluster)
        shifts = estimates - inputs.params[None, :]
        matrix = (groups - 1) / groups * shifts.T @ shifts
        return VcovResult(matrix, float(groups - 1) if inputs.linear else np.inf, {choice.cluster: groups})
    ssc = choice.ssc or inputs.default_ssc
    if isinstance(choice, IID | HC1):
        K = counted_parameters(ssc, k, inputs.fixed, inputs.absorbed)
        _require_residual_df(n, K, choice, ssc)
        adj = (n - 1) / (n - K) if ssc.adj else 1.0
        if isinstance(choice, IID):
            base = inputs.bread if inputs.rss is None else inputs.rss / (n - 1) * inputs.bread
        else:
            meat = inputs.scores.T @ inputs.scores
            base = (n / (n - 1) if ssc.cluster_adj else 1.0) * inputs.bread @ meat @ inputs.bread
        return VcovResult(adj * base, t_degrees_of_freedom(ssc, n, K, None, inputs.linear), {}, ssc=ssc)
    codes = cluster_codes(inputs.sample, choice.clusters, inputs.known_codes)
    sizes = [int(c.max()) + 1 for c in codes]
    require_clusters(min(sizes[: len(choice.clusters)]), f"{choice.label}:")
    K = counted_parameters(ssc, k, inputs.fixed, inputs.absorbed, codes[: len(choice.clusters)])
    _require_residual_df(n, K, choice, ssc)
    adj = (n - 1) / (n - K) if ssc.adj else 1.0
    meats = []
    for code, size in zip(codes, sizes, strict=True):
        sums = cluster_sums(inputs.scores, code, size)
        meat = sums.T @ sums
        if ssc.cluster_adj and ssc.cluster_df == "conventional":
            meat = size / (size - 1) * meat
        meats.append(meat)
    if len(choice.clusters) == 1:
        meat, g_min = meats[0], sizes[0]
    else:
        meat, g_min = meats[0] + meats[1] - meats[2], min(sizes[0], sizes[1])
    if ssc.cluster_adj and ssc.cluster_df == "min":
        meat = g_min / (g_min - 1) * meat
    matrix = adj * inputs.bread @ meat @ inputs.bread
    notes: tuple[str, ...] = ()
    if len(choice.clusters) == 2 and np.linalg.eigvalsh((matrix + matrix.T) / 2).min() < 0:
        notes = ("the two-way clustered variance matrix is not positive semi-definite",)
        if (np.diag(matrix) < 0).any():
            # As fixest (and Cameron, Gelbach & Miller 2011): a negative variance is replaced by the matrix with
            # its eigenvalues clipped at 1e-10, and the note says so.
            values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
            matrix = (vectors * np.maximum(values, 1e-10)) @ vectors.T
            notes = ("the two-way clustered variance matrix had a negative variance; its negative eigenvalues were "
                     "set to 1e-10 (Cameron, Gelbach & Miller 2011), as fixest does",)
    clusters = {name: size for name, size in zip(choice.clusters, sizes, strict=False)}
    return VcovResult(matrix, t_degrees_of_freedom(ssc, n, K, g_min, inputs.linear), clusters, notes, ssc)


@fixed_blas_order
def influence_vcov(functions: np.ndarray, codes: np.ndarray | None, ssc: SSC = INFLUENCE_SSC) -> np.ndarray:
    """Variance of estimates from their influence functions (n units × m estimates), clustered by ``codes``.

    Σ ψψ'/n² with ψ the influence functions (or their sums within clusters); times G/(G − 1) when clustered
    and ``ssc.cluster_adj`` (R ``did`` applies no factor: :data:`INFLUENCE_SSC`). The one path of every
    influence-function variance.
    """
    if functions.ndim == 1:
        functions = functions[:, None]
    n = functions.shape[0]
    if codes is None:
        return functions.T @ functions / n**2
    sums = cluster_sums(functions, codes)
    factor = sums.shape[0] / (sums.shape[0] - 1) if ssc.cluster_adj else 1.0
    return factor * (sums.T @ sums) / n**2


def influence_standard_errors(functions: np.ndarray, codes: np.ndarray | None,
                              ssc: SSC = INFLUENCE_SSC) -> np.ndarray:
    """Return standard errors from influence functions: the square root of :func:`influence_vcov`'s diagonal.

    Computed column by column (without forming the m × m matrix) for many estimates.
    """
    if functions.ndim == 1:
        functions = functions[:, None]
    n = functions.shape[0]
    if codes is None:
        return np.sqrt((functions**2).sum(axis=0)) / n
    sums = cluster_sums(functions, codes)
    factor = sums.shape[0] / (sums.shape[0] - 1) if ssc.cluster_adj else 1.0
    return np.sqrt(factor * (sums**2).sum(axis=0)) / n


#: A column whose demeaned sum of squares falls below this share of its raw sum of squares is collinear
#: with the fixed effects and the other regressors, and is dropped (as fixest does); the leave-one-cluster-out
#: refits use the same tolerance.
COLLINEARITY_TOLERANCE = 1e-10


def collinear_on_gram(gram: np.ndarray, raw_ss: np.ndarray, tolerance: float) -> list[int]:
    """Return the indices of columns that are (nearly) linear combinations of earlier ones, from their Gram matrix.

    A column is collinear when its residual sum of squares on the earlier kept columns falls below
    ``tolerance`` times its raw sum of squares.
    """
    try:  # the usual case, no collinear column, in one factorization: residual_j = L[j, j]²
        diagonal = np.diag(np.linalg.cholesky(gram)) ** 2
        if (diagonal > 2 * tolerance * np.maximum(raw_ss, 1e-300)).all():
            return []
    except np.linalg.LinAlgError:
        pass
    keep: list[int] = []
    dropped: list[int] = []
    for j in range(gram.shape[0]):
        residual = gram[j, j]
        if keep:
            sub = gram[np.ix_(keep, keep)]
            cross = gram[keep, j]
            residual = gram[j, j] - cross @ np.linalg.solve(sub, cross)
        if residual > tolerance * max(raw_ss[j], 1e-300):
            keep.append(j)
        else:
            dropped.append(j)
    return dropped
