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

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import ClassVar, Literal

import numpy as np

from villageaid.estimators.limits import DataLimitError


class JackknifeUndefinedError(DataLimitError):
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
