"""Variance estimators as objects, one small-sample correction object, and the one core that computes them.

A variance is chosen with an object — :class:`IID`, :class:`HC1`, :class:`CRV1` (one- or two-way),
:class:`CRV3` — or with the shorthands ``"iid"``, ``"hetero"`` (also ``"HC1"``, ``"robust"``),
``{"CRV1": "g"}``, ``{"CRV1": "g1+g2"}`` and ``{"CRV3": "g"}``, parsed once by :func:`as_vcov`. Each
estimator lists the kinds it supports and refuses any other with a ``ValueError`` naming the estimator,
the choice and what it supports (:func:`require_supported`): there is never a silent fallback.

The small-sample correction is an object too, :class:`SSC` (``ssc()`` builds one, with R fixest's and
pyfixest's argument names). Every variance object carries one (``CRV1("g", ssc=SSC(adj=False))``); left
unset, the estimator's default applies, which is fixest's ``ssc()`` for every regression estimator and
R ``did``'s convention (no factor) for influence-function estimators. The correction used is recorded on the
result and named in every table note. With n observations, k coefficients and K the parameters the
correction counts (k plus the absorbed fixed-effect parameters: sum of levels minus one per additional
fixed effect, fixest's ``nparams``):

* ``adj``: multiply by (n − 1)/(n − K); ``fixef_k`` says which fixed effects K counts: "nested" (the
  default: a fixed effect nested in a clustering variable counts as one parameter, not its number of
  levels — a village effect when clustering by village), "full" (all) or "none" (none: K = k).
  Without clustering, "nested" counts all of them, as fixest does.
* ``cluster_adj``: G/(G − 1) for clustered variances, and n/(n − 1) for the heteroskedasticity-robust one
  (so that HC1 is n/(n − K), Stata's ``robust``).
* ``cluster_df``: two-way clustering V₁ + V₂ − V₁₂ scaled once by G_min/(G_min − 1) ("min") or each term
  by its own G/(G − 1) ("conventional").
* ``t_df``: t inference with G_min − 1 degrees of freedom when clustered ("min"), n − K ("conventional")
  or a given integer; normal for likelihood estimators (Poisson, logit) and influence functions.

The formulas (fixest ``vcov.fixest``; Stata's ``regress``/``reghdfe``; ``sandwich``'s HC1 and ``vcovCL``):

* ``IID``: adj · RSS/(n − 1) · (X'X)⁻¹ for linear models (= RSS/(n − K) · (X'X)⁻¹ by default); adj · the
  inverse information for Poisson and logit (R ``vcov(glm)`` with ``SSC(adj=False)``).
* ``HC1``: adj · n/(n − 1) · bread · Σᵢ sᵢsᵢ' · bread (= n/(n − K) by default).
* ``CRV1(g)``: adj · G/(G − 1) · bread · Σ_g S_g S_g' · bread, S_g the cluster sums of the scores.
* ``CRV1(g1, g2)``: V₁ + V₂ − V₁₂ (Cameron, Gelbach & Miller 2011) with the cluster factor per
  ``cluster_df``; a matrix that is not positive semi-definite is kept with a note, unless a variance is
  negative: then, as fixest does, its negative eigenvalues are set to 1e-10 and the note says so.
* ``CRV3(g)``: the exact leave-one-cluster-out jackknife of MacKinnon, Nielsen & Webb (2023, CV3),
  (G − 1)/G · Σ_g (β₋g − β̂)(β₋g − β̂)', centred at the full-sample estimate, where β₋g is the estimate
  *re-computed without cluster g*, every fixed effect included. It has its own factor: a small-sample object
  other than the default is refused. How each estimator computes β₋g is said in its own module (linear
  models: closed form, exact; Poisson and IV: refits). t with G − 1 degrees of freedom for linear models,
  else normal. Recommended when few clusters carry a coefficient, where CRV1 is too small. If a coefficient
  is not identified once some cluster is left out, the jackknife is undefined and
  :class:`JackknifeUndefinedError` says which cluster and term.

Influence-function estimators (Callaway–Sant'Anna ATT(g, t) and their aggregations) use
:func:`influence_vcov`: Σ_g ψ_g ψ_g' / n² with ψ_g the cluster (or unit) sums of the influence functions,
times G/(G − 1) only if ``cluster_adj`` is asked for (R ``did`` applies none).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import ClassVar, Literal

import numpy as np
import pandas as pd

from villageaid.estimators.demean import FixedEffects


class JackknifeUndefinedError(ValueError):
    """Leaving out one cluster leaves a coefficient without identifying variation.

    ``cluster_name``, ``cluster`` and ``term`` say which clustering, which left-out cluster and which term.
    """

    def __init__(self, message: str, *, cluster_name: str = "", cluster: object = None, term: str = "") -> None:
        super().__init__(message)
        self.cluster_name, self.cluster, self.term = cluster_name, cluster, term

    def __reduce__(self) -> tuple:  # keep the fields through pickling (worker processes)
        return (_jackknife_error, (str(self), self.cluster_name, self.cluster, self.term))

    @property
    def short(self) -> str:
        """The reason in a few words, for a table note: "CRV3 undefined: without village 'C028', ... not identified"."""
        return (f"CRV3 undefined: without {self.cluster_name} {str(self.cluster)!r}, {self.term} is not identified"
                if self.term else str(self))


def _jackknife_error(message: str, cluster_name: str, cluster: object, term: str) -> JackknifeUndefinedError:
    return JackknifeUndefinedError(message, cluster_name=cluster_name, cluster=cluster, term=term)


@dataclass(frozen=True)
class SSC:
    """A small-sample correction, as R fixest's ``ssc()`` and pyfixest's ``ssc()`` (module notes).

    Parameters
    ----------
    adj : bool
        Multiply by (n − 1)/(n − K).
    fixef_k : {"nested", "full", "none"}
        Which absorbed fixed-effect parameters K counts.
    cluster_adj : bool
        G/(G − 1) for clustered variances (n/(n − 1) for HC1).
    cluster_df : {"min", "conventional"}
        How two-way clustered variances are scaled.
    t_df : {"min", "conventional"} or int
        Degrees of freedom of the t distribution of linear models: G_min − 1 when clustered ("min") or
        n − K ("conventional", and always without clustering), or the given number.

    Examples
    --------
    >>> SSC().describe()
    "fixest's small-sample correction (adj, fixef.K nested, cluster.adj, cluster.df min, t.df min)"
    >>> SSC(adj=False).describe()
    'small-sample correction: no (n-1)/(n-K) factor, fixef.K nested, cluster.adj, cluster.df min, t.df min'
    """

    adj: bool = True
    fixef_k: Literal["nested", "full", "none"] = "nested"
    cluster_adj: bool = True
    cluster_df: Literal["min", "conventional"] = "min"
    t_df: Literal["min", "conventional"] | int = "min"

    def __post_init__(self) -> None:
        for name in ("adj", "cluster_adj"):
            if not isinstance(getattr(self, name), bool | np.bool_):
                raise TypeError(f"SSC({name}=...) must be True or False, got {getattr(self, name)!r}")
        if self.fixef_k not in ("nested", "full", "none"):
            raise ValueError(f"SSC(fixef_k=...) must be 'nested', 'full' or 'none', got {self.fixef_k!r}")
        if self.cluster_df not in ("min", "conventional"):
            raise ValueError(f"SSC(cluster_df=...) must be 'min' or 'conventional', got {self.cluster_df!r}")
        if isinstance(self.t_df, bool) or not (self.t_df in ("min", "conventional")
                                               or (isinstance(self.t_df, int | np.integer) and self.t_df > 0)):
            raise ValueError(f"SSC(t_df=...) must be 'min', 'conventional' or a positive integer, got {self.t_df!r}")

    def describe(self) -> str:
        """Say which correction this is, in the words of fixest's ``ssc()`` arguments."""
        parts = ["adj" if self.adj else "no (n-1)/(n-K) factor", f"fixef.K {self.fixef_k}",
                 "cluster.adj" if self.cluster_adj else "no G/(G-1) factor", f"cluster.df {self.cluster_df}",
                 f"t.df {self.t_df}"]
        if self == SSC():
            return f"fixest's small-sample correction ({', '.join(parts)})"
        return "small-sample correction: " + ", ".join(parts)


def ssc(adj: bool = True, fixef_k: Literal["nested", "full", "none"] = "nested", cluster_adj: bool = True,
        cluster_df: Literal["min", "conventional"] = "min",
        t_df: Literal["min", "conventional"] | int = "min") -> SSC:
    """Build a small-sample correction (:class:`SSC`), with the names of pyfixest's ``ssc()``.

    Parameters
    ----------
    adj, fixef_k, cluster_adj, cluster_df, t_df
        See :class:`SSC`; the defaults are R fixest's.

    Returns
    -------
    SSC

    Examples
    --------
    >>> ssc(adj=False) == SSC(adj=False)
    True
    """
    return SSC(adj, fixef_k, cluster_adj, cluster_df, t_df)


#: R did's convention for influence-function variances: no small-sample factor.
INFLUENCE_SSC = SSC(adj=False, cluster_adj=False)


@dataclass(frozen=True)
class VarianceEstimator:
    """Base class of the variance estimators (use :class:`IID`, :class:`HC1`, :class:`CRV1`, :class:`CRV3`).

    Every variance takes a keyword ``ssc`` (:class:`SSC`); ``None`` means the estimator's default.
    """

    kind: ClassVar[str] = ""
    ssc: SSC | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        if self.ssc is not None and not isinstance(self.ssc, SSC):
            raise TypeError(f"ssc must be an SSC object (villageaid.ssc(...)), got {self.ssc!r}")

    @property
    def clusters(self) -> tuple[str, ...]:
        """Cluster variables (empty unless clustered)."""
        return ()

    @property
    def key(self) -> str:
        """What an estimator's list of supported variances names: "iid", "HC1", "CRV1", "CRV1 two-way", "CRV3"."""
        return self.kind

    @property
    def label(self) -> str:
        """Description used in tables and summaries (each concrete class says more)."""
        return self.kind


@dataclass(frozen=True)
class IID(VarianceEstimator):
    """Homoskedastic (iid) variance."""

    kind: ClassVar[str] = "iid"

    @property
    def label(self) -> str:
        """Description used in tables and summaries."""
        return "iid"


@dataclass(frozen=True)
class HC1(VarianceEstimator):
    """Heteroskedasticity-robust variance with the n/(n − K) factor (Stata's ``robust``)."""

    kind: ClassVar[str] = "HC1"

    @property
    def label(self) -> str:
        """Description used in tables and summaries."""
        return "heteroskedasticity-robust (HC1)"


def _cluster_names(value: str | tuple[str, ...]) -> tuple[str, ...]:
    parts = (value,) if isinstance(value, str) else tuple(value)
    names = tuple(c.strip() for part in parts for c in str(part).split("+") if c.strip())
    if not names:
        raise ValueError("a clustered variance needs a cluster variable")
    return names


@dataclass(frozen=True)
class CRV1(VarianceEstimator):
    """Cluster-robust sandwich variance, one- or two-way.

    Parameters
    ----------
    cluster : str or tuple of str
        Cluster column, or two columns (``"g1+g2"`` or ``("g1", "g2")``) for two-way clustering.
    ssc : SSC, optional
        Small-sample correction (default: the estimator's, fixest's for regressions).

    Examples
    --------
    >>> CRV1("village").label
    'clustered (CRV1) by village'
    >>> CRV1("village+year").key
    'CRV1 two-way'
    """

    cluster: str | tuple[str, ...]
    kind: ClassVar[str] = "CRV1"

    def __post_init__(self) -> None:
        super().__post_init__()
        names = _cluster_names(self.cluster)
        if len(names) > 2:
            raise ValueError(f"CRV1 clusters one- or two-way, got {len(names)} variables: {names}")
        object.__setattr__(self, "cluster", names)

    @property
    def clusters(self) -> tuple[str, ...]:
        """Cluster variables."""
        return tuple(self.cluster)

    @property
    def key(self) -> str:
        """"CRV1" or "CRV1 two-way"."""
        return "CRV1" if len(self.clusters) == 1 else "CRV1 two-way"

    @property
    def label(self) -> str:
        """Description used in tables and summaries."""
        return "clustered (CRV1) by " + " and ".join(self.clusters)


@dataclass(frozen=True)
class CRV3(VarianceEstimator):
    """Exact leave-one-cluster-out jackknife (MacKinnon, Nielsen & Webb CV3), one-way.

    Parameters
    ----------
    cluster : str
        Cluster column.

    Examples
    --------
    >>> CRV3("village").label
    'cluster jackknife (CRV3) by village'
    """

    cluster: str
    kind: ClassVar[str] = "CRV3"

    def __post_init__(self) -> None:
        super().__post_init__()
        names = _cluster_names(self.cluster)
        if len(names) != 1:
            raise ValueError(f"CRV3 clusters one way only, got {names}")
        object.__setattr__(self, "cluster", names[0])
        if self.ssc is not None and self.ssc != SSC():
            raise ValueError("CRV3 has its own (G - 1)/G factor and takes no small-sample correction "
                             f"(got {self.ssc.describe()}); use CRV1 for fixest's corrections")

    @property
    def clusters(self) -> tuple[str, ...]:
        """Cluster variable."""
        return (self.cluster,)

    @property
    def label(self) -> str:
        """Description used in tables and summaries."""
        return "cluster jackknife (CRV3) by " + self.cluster


VcovSpec = VarianceEstimator | str | Mapping[str, str]

_SHORTHANDS = "IID(), HC1(), CRV1('g'), CRV1('g1+g2'), CRV3('g'), or 'iid', 'hetero', {'CRV1': 'g'}, {'CRV3': 'g'}"


def as_vcov(spec: VcovSpec, ssc: SSC | None = None) -> VarianceEstimator:
    """Turn a variance choice (object or shorthand) into a :class:`VarianceEstimator`.

    ``ssc``, when given, replaces the choice's small-sample correction.

    Examples
    --------
    >>> as_vcov("hetero")
    HC1(ssc=None)
    >>> as_vcov({"CRV3": "village"})
    CRV3(ssc=None, cluster='village')
    """
    choice = _parse_vcov(spec)
    if ssc is not None:
        if not isinstance(ssc, SSC):
            raise TypeError(f"ssc must be an SSC object (villageaid.ssc(...)), got {ssc!r}")
        choice = replace(choice, ssc=ssc)
    return choice


def _parse_vcov(spec: VcovSpec) -> VarianceEstimator:
    if isinstance(spec, VarianceEstimator):
        return spec
    if isinstance(spec, str):
        key = spec.strip().lower()
        if key == "iid":
            return IID()
        if key in ("hetero", "hc1", "robust"):
            return HC1()
        raise ValueError(f"unknown vcov {spec!r}: use {_SHORTHANDS}")
    if isinstance(spec, Mapping) and len(spec) == 1:
        ((kind, value),) = spec.items()
        if str(kind).upper() == "CRV1":
            return CRV1(value)
        if str(kind).upper() == "CRV3":
            return CRV3(value)
    raise ValueError(f"unknown vcov {spec!r}: use {_SHORTHANDS}")


def require_supported(estimator: str, choice: VarianceEstimator, supported: tuple[str, ...]) -> None:
    """Raise a ``ValueError`` unless ``choice.key`` is one of ``supported`` (never fall back silently)."""
    if choice.key not in supported:
        raise ValueError(f"{estimator} does not support the variance {choice.label!r} ({choice.key}); "
                         f"supported: {', '.join(supported)}")


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


def compute_vcov(choice: VarianceEstimator, inputs: InferenceInputs) -> VcovResult:
    """Compute the variance ``choice`` from a model's :class:`InferenceInputs` (checks support first)."""
    require_supported(inputs.estimator, choice, inputs.supported)
    n, k = inputs.nobs, inputs.n_coef
    if isinstance(choice, CRV3):
        codes = cluster_codes(inputs.sample, choice.clusters, inputs.known_codes)
        groups = int(codes[0].max()) + 1
        if groups < 2:
            raise ValueError(f"{choice.label}: needs at least two clusters, found {groups}")
        if inputs.leave_one_out is None:  # guarded by require_supported; kept for estimators built by hand
            raise ValueError(f"{inputs.estimator} has no leave-one-cluster-out computation for CRV3")
        estimates = inputs.leave_one_out(codes[0], choice.cluster)
        shifts = estimates - inputs.params[None, :]
        matrix = (groups - 1) / groups * shifts.T @ shifts
        return VcovResult(matrix, float(groups - 1) if inputs.linear else np.inf, {choice.cluster: groups})
    ssc = choice.ssc or inputs.default_ssc
    if isinstance(choice, IID | HC1):
        K = counted_parameters(ssc, k, inputs.fixed, inputs.absorbed)
        adj = (n - 1) / (n - K) if ssc.adj else 1.0
        if isinstance(choice, IID):
            base = inputs.bread if inputs.rss is None else inputs.rss / (n - 1) * inputs.bread
        else:
            meat = inputs.scores.T @ inputs.scores
            base = (n / (n - 1) if ssc.cluster_adj else 1.0) * inputs.bread @ meat @ inputs.bread
        return VcovResult(adj * base, t_degrees_of_freedom(ssc, n, K, None, inputs.linear), {}, ssc=ssc)
    codes = cluster_codes(inputs.sample, choice.clusters, inputs.known_codes)
    sizes = [int(c.max()) + 1 for c in codes]
    if min(sizes[: len(choice.clusters)]) < 2:
        raise ValueError(f"{choice.label}: needs at least two clusters, found {min(sizes)}")
    K = counted_parameters(ssc, k, inputs.fixed, inputs.absorbed, codes[: len(choice.clusters)])
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


def collinear_on_gram(gram: np.ndarray, raw_ss: np.ndarray, tolerance: float) -> list[int]:
    """Return the indices of columns that are (nearly) linear combinations of earlier ones, from their Gram matrix.

    A column is collinear when its residual sum of squares on the earlier kept columns falls below
    ``tolerance`` times its raw sum of squares.
    """
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
