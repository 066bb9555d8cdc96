"""Variance estimators as objects, and the one sandwich core that every regression estimator uses.

A variance is chosen with an object — :class:`IID`, :class:`HC1`, :class:`CRV1` (one- or two-way),
:class:`CRV3` — or with the shorthands ``"iid"``, ``"hetero"`` (also ``"HC1"``, ``"robust"``),
``{"CRV1": "g"}``, ``{"CRV1": "g1+g2"}`` and ``{"CRV3": "g"}``, parsed once by :func:`as_vcov`. Each
estimator lists the kinds it supports and refuses any other with a ``ValueError`` naming the estimator,
the choice and what it supports (:func:`require_supported`): there is never a silent fallback.

Conventions (those of R fixest and sandwich, and of Stata), with n observations, k regressors and
K = k + absorbed fixed-effect parameters (sum of levels minus one per additional fixed effect):

* ``IID``: σ²(X'X)⁻¹ with σ² = RSS / (n − K) for linear models; the inverse information (dispersion one)
  for Poisson and logit, as R ``vcov(glm)``. t with n − K degrees of freedom (linear), else normal.
* ``HC1``: n / (n − K) · bread · Σᵢ sᵢsᵢ' · bread (fixest's "hetero", Stata's ``robust``,
  ``sandwich::vcovHC(type = "HC1")``).
* ``CRV1(g)``: G/(G − 1) · (n − 1)/(n − K') · bread · Σ_g S_g S_g' · bread, S_g the cluster sums of the
  scores, where in K' a fixed effect nested in the clusters (a village effect when clustering by village)
  counts as one parameter instead of its number of levels (fixest's ``fixef.K = "nested"``); t with
  G − 1 degrees of freedom.
* ``CRV1(g1, g2)``: V₁ + V₂ − V₁₂ (Cameron, Gelbach & Miller 2011), all scaled by
  G_min/(G_min − 1) · (n − 1)/(n − K') with fixed effects nested in either clustering left out of K';
  t with G_min − 1 degrees of freedom. A matrix that is not positive semi-definite is kept (as fixest
  does) and a note says so.
* ``CRV3(g)``: the exact leave-one-cluster-out jackknife of MacKinnon, Nielsen & Webb (2023, CV3),
  (G − 1)/G · Σ_g (β₋g − β̂)(β₋g − β̂)', centred at the full-sample estimate, where β₋g is the estimate
  *re-computed without cluster g*, every fixed effect included. How each estimator computes β₋g is said
  in its own module (linear models: closed form, exact; Poisson: refits). t with G − 1 degrees of freedom
  for linear models, else normal. Recommended when few clusters carry a coefficient, where CRV1 is too
  small. If a coefficient is not identified once some cluster is left out, the jackknife is undefined
  and :class:`JackknifeUndefinedError` says which cluster and term.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd

from villageaid.estimators.demean import FixedEffects


class JackknifeUndefinedError(ValueError):
    """Leaving out one cluster leaves a coefficient without identifying variation."""


@dataclass(frozen=True)
class VarianceEstimator:
    """Base class of the variance estimators (use :class:`IID`, :class:`HC1`, :class:`CRV1`, :class:`CRV3`)."""

    kind: ClassVar[str] = ""

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
        names = _cluster_names(self.cluster)
        if len(names) != 1:
            raise ValueError(f"CRV3 clusters one way only, got {names}")
        object.__setattr__(self, "cluster", names[0])

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


def as_vcov(spec: VcovSpec) -> VarianceEstimator:
    """Turn a variance choice (object or shorthand) into a :class:`VarianceEstimator`.

    Examples
    --------
    >>> as_vcov("hetero")
    HC1()
    >>> as_vcov({"CRV3": "village"})
    CRV3(cluster='village')
    """
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


@dataclass(frozen=True)
class VcovResult:
    """A variance matrix with the degrees of freedom for inference and cluster counts."""

    matrix: np.ndarray
    df_t: float
    clusters: dict[str, int]
    notes: tuple[str, ...] = ()


#: A function that returns the leave-one-cluster-out estimates (G × k) for given cluster codes.
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
        Inverse Hessian of the (partialled-out) problem: (X̃'WX̃)⁻¹ for OLS, the inverse information
        otherwise.
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
        Residual sum of squares for the linear iid variance; ``None`` means dispersion one.
    linear : bool
        t inference (linear model) or normal (likelihood models).
    leave_one_out : callable, optional
        Computes the leave-one-cluster-out estimates for CRV3 (absent: CRV3 unsupported).
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


def compute_vcov(choice: VarianceEstimator, inputs: InferenceInputs) -> VcovResult:
    """Compute the variance ``choice`` from a model's :class:`InferenceInputs` (checks support first)."""
    require_supported(inputs.estimator, choice, inputs.supported)
    n, k = inputs.nobs, inputs.n_coef
    k_full = k + inputs.absorbed
    df_resid = float(n - k_full)
    if isinstance(choice, IID):
        if inputs.rss is None:
            return VcovResult(inputs.bread.copy(), df_resid if inputs.linear else np.inf, {})
        return VcovResult(inputs.rss / (n - k_full) * inputs.bread, df_resid, {})
    if isinstance(choice, HC1):
        meat = inputs.scores.T @ inputs.scores
        return VcovResult(n / (n - k_full) * inputs.bread @ meat @ inputs.bread,
                          df_resid if inputs.linear else np.inf, {})
    codes = cluster_codes(inputs.sample, choice.clusters, inputs.known_codes)
    sizes = [int(c.max()) + 1 for c in codes]
    if min(sizes[: len(choice.clusters)]) < 2:
        raise ValueError(f"{choice.label}: needs at least two clusters, found {min(sizes)}")
    if isinstance(choice, CRV3):
        if inputs.leave_one_out is None:  # guarded by require_supported; kept for estimators built by hand
            raise ValueError(f"{inputs.estimator} has no leave-one-cluster-out computation for CRV3")
        estimates = inputs.leave_one_out(codes[0], choice.cluster)
        shifts = estimates - inputs.params[None, :]
        groups = sizes[0]
        matrix = (groups - 1) / groups * shifts.T @ shifts
        return VcovResult(matrix, float(groups - 1) if inputs.linear else np.inf, {choice.cluster: groups})
    meats = []
    for code, size in zip(codes, sizes, strict=True):
        sums = cluster_sums(inputs.scores, code, size)
        meats.append(sums.T @ sums)
    if len(choice.clusters) == 1:
        meat, g_min = meats[0], sizes[0]
    else:
        meat, g_min = meats[0] + meats[1] - meats[2], min(sizes[0], sizes[1])
    k_nested = k + nested_parameters(inputs.fixed, codes[: len(choice.clusters)])
    factor = g_min / (g_min - 1) * (n - 1) / (n - k_nested)
    matrix = factor * inputs.bread @ meat @ inputs.bread
    notes: tuple[str, ...] = ()
    if len(choice.clusters) == 2 and np.linalg.eigvalsh((matrix + matrix.T) / 2).min() < 0:
        notes = ("the two-way clustered variance matrix is not positive semi-definite",)
    clusters = {name: size for name, size in zip(choice.clusters, sizes, strict=False)}
    return VcovResult(matrix, float(g_min - 1) if inputs.linear else np.inf, clusters, notes)


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
