"""Wild cluster bootstrap for one coefficient of a linear model with few clusters.

Restricted (WCR, null imposed, Cameron, Gelbach & Miller 2008) and unrestricted (WCU) variants, with
Rademacher or Webb six-point weights, symmetric two-sided p-values from bootstrap t statistics that use
the same CRV1 variance as the estimate (the WCR-C / WCU-C variants of MacKinnon, Nielsen & Webb 2023),
and confidence intervals (WCU: percentile-t; WCR: test inversion). Fixed effects are absorbed first
(Frisch–Waugh–Lovell).

With few *treated* clusters (a treatment present in a handful of townships or counties) the ordinary wild cluster
bootstrap fails whatever the total number of clusters: WCR under-rejects badly and WCU over-rejects (MacKinnon &
Webb 2017, "Wild bootstrap inference for wildly different cluster sizes", J. Applied Econometrics 32:233–254;
2018, "The wild bootstrap for few (treated) clusters", Econometrics Journal 21:114–135). Their remedy is the
*subcluster* wild bootstrap: the variance and the t statistic stay clustered by the cluster variable, but the
bootstrap weights are drawn for finer groups nested in the clusters (villages within townships, or single
observations) — ``bootstrap_cluster``, as ``bootcluster`` in Stata's boottest and R's fwildclusterboot.
:func:`treated_clusters` counts the treated clusters; below about 10 of them, use the subcluster bootstrap.

Written here because no well-kept Python library offers it (fwildclusterboot and boottest are R/Stata;
wildboottest for Python has no fixed effects). The computation works on cluster-level sums as in
Roodman, MacKinnon, Nielsen & Webb (2019, "Fast and wild"): each draw costs O(G²) however many
observations there are (O(S·G) with weights drawn for S subclusters).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import ClassVar, Literal

import numpy as np
import pandas as pd

from villageaid.estimators.checks import (
    require_clusters,
    require_draws,
    require_frame,
    require_int,
    require_level,
    require_real,
    require_seed,
    require_text,
)
from villageaid.estimators.demean import FixedEffects
from villageaid.estimators.inference import cluster_codes, cluster_sums, clustered_factor, counted_parameters
from villageaid.estimators.ols import FEOLS
from villageaid.estimators.results import DescriptiveResults, RegressionResults
from villageaid.estimators.summary import TIDY_COLUMNS
from villageaid.estimators.vcov import SSC
from villageaid.threads import fixed_blas_order

WeightKind = Literal["rademacher", "webb"]
_WEBB = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])


@dataclass(frozen=True)
class _Inversion:
    """What a bootstrap test keeps to give its p-value at any null value and its interval at any level.

    The restricted (WCR) bootstrap statistics are affine in the null value b (module notes): ``numerators`` and
    ``scores`` hold their parts at b = 0 and their slopes in b, per draw. The unrestricted (WCU) statistics do
    not depend on b: ``t_star`` holds them.
    """

    estimate: float
    se_hat: float
    factor: float
    restricted: bool
    numerators: tuple[np.ndarray, np.ndarray] | None = None
    scores: tuple[np.ndarray, np.ndarray] | None = None
    t_star: np.ndarray | None = None

    def bootstrap_t(self, null_value: float) -> np.ndarray:
        """Bootstrap t statistics of the test of ``term = null_value``, one per draw (in the order of the draws)."""
        if self.restricted:
            scores = self.scores[0] + null_value * self.scores[1]
            return (self.numerators[0] + null_value * self.numerators[1]) / np.sqrt(
                self.factor * (scores**2).sum(axis=1))
        return self.t_star

    def p_value(self, null_value: float) -> float:
        """Symmetric bootstrap p-value of ``term = null_value``."""
        t_observed = (self.estimate - null_value) / self.se_hat
        threshold = abs(t_observed) * (1 - TIE_TOLERANCE)
        if self.restricted and np.isfinite(threshold):
            return float(np.mean(self._rejections(null_value, threshold)))
        t_star = self.bootstrap_t(null_value)
        return float(np.mean(np.abs(t_star) >= threshold))

    @cached_property
    def _score_moments(self) -> tuple[np.ndarray, ...]:
        """Per draw: Σ s0², Σ s0·s1, Σ s1² of the scores at b = 0 and their slopes, and the roots of the first and last.

        The bootstrap variance at b is Σ (s0 + b·s1)² = Σ s0² + 2b Σ s0·s1 + b² Σ s1²: with these three sums, a
        p-value costs O(B) instead of O(B·G).
        """
        s0, s1 = self.scores
        a, b, c = (s0**2).sum(axis=1), (s0 * s1).sum(axis=1), (s1**2).sum(axis=1)
        return a, 2 * b, c, np.sqrt(a), np.sqrt(c)

    def _rejections(self, null_value: float, threshold: float) -> np.ndarray:
        """Whether each restricted draw's |t*| reaches ``threshold``: the same booleans as from :meth:`bootstrap_t`.

        The inversion of the test for the interval evaluates some 80 p-values; computing each draw's variance from
        G scores every time cost O(B·G) per p-value. Here the variance comes from the three per-draw moments
        (:attr:`_score_moments`), and only the draws whose decision is within a relative 1e-8 of the threshold —
        far above the rounding of either way of summing, about G·2e-16 — are recomputed exactly as
        :meth:`bootstrap_t` does (the same operations on the same rows, so the same bits). The p-values, hence
        the interval found from them, are those of the direct computation.
        """
        square, twice_cross, slope_square, root, slope_root = self._score_moments
        numerator = self.numerators[0] + null_value * self.numerators[1]
        numerator_squared = numerator**2
        bound = threshold**2 * self.factor
        with np.errstate(over="ignore", invalid="ignore"):
            variance = square + null_value * (twice_cross + null_value * slope_square)
            gap = numerator_squared - bound * variance
            size = numerator_squared + bound * (root + abs(null_value) * slope_root) ** 2
            unsure = ~(np.abs(gap) > SCREEN_TOLERANCE * size)  # NaN counts as unsure
        rejected = gap > 0
        if unsure.any():
            rows = np.flatnonzero(unsure)
            scores = self.scores[0][rows] + null_value * self.scores[1][rows]
            t_star = numerator[rows] / np.sqrt(self.factor * (scores**2).sum(axis=1))
            rejected[rows] = np.abs(t_star) >= threshold
        return rejected

    def interval(self, conf_level: float) -> tuple[float, float]:
        """Bootstrap confidence interval: test inversion (WCR) or percentile-t (WCU)."""
        if not self.restricted:
            q = float(np.quantile(np.abs(self.t_star), conf_level))
            return self.estimate - q * self.se_hat, self.estimate + q * self.se_hat
        alpha = 1 - conf_level
        bounds = []
        for direction in (-1.0, 1.0):
            step, outer = self.se_hat, self.estimate
            for _ in range(60):  # walk out until the null is rejected
                outer = self.estimate + direction * step
                if self.p_value(outer) < alpha:
                    break
                step *= 1.5
            bounds.append(_brentq(lambda b: self.p_value(b) - alpha - 1e-12, self.estimate, outer,
                                  xtol=1e-10 * self.se_hat) if self.p_value(outer) < alpha else np.inf * direction)
        return bounds[0], bounds[1]


@dataclass(frozen=True, repr=False)
class WildBootstrapResult(DescriptiveResults):
    """Outcome of a wild cluster bootstrap test of ``term = null``.

    ``tidy(conf_level)`` gives one row: the estimate, its CRV1 standard error, the t statistic, the bootstrap
    p-value and the bootstrap confidence interval at ``conf_level`` (found from the same draws).

    ``clusters`` counts the variance clusters (of ``cluster_variable``). The bootstrap weights were drawn for
    ``bootstrap_groups`` groups of ``bootstrap_level`` (the subcluster bootstrap of MacKinnon & Webb 2018) or,
    when ``bootstrap_level`` is None, for the variance clusters themselves; ``draws`` and ``full_enumeration``
    refer to those groups (all 2^``bootstrap_groups`` sign patterns).
    """

    term: str
    estimate: float
    null: float
    t_stat: float
    p_value: float
    conf_low: float
    conf_high: float
    conf_level: float
    draws: int
    weights: str
    restricted: bool
    clusters: int
    seed: int | None
    full_enumeration: bool
    nobs: int = 0
    inversion: _Inversion | None = field(default=None, compare=False)
    cluster_variable: str | None = None
    bootstrap_level: str | None = None
    bootstrap_groups: int | None = None

    no_variance_reason: ClassVar[str] = ("its p-value and interval come from the bootstrap distribution of the t "
                                         "statistic, not from a variance matrix (the standard error shown is CRV1's)")

    def tidy(self, conf_level: float | None = None) -> pd.DataFrame:
        """One row: term, estimate, std_error (CRV1), statistic, p_value (bootstrap), conf_low, conf_high."""
        low, high = self.conf_low, self.conf_high
        conf_level = self._level(conf_level)
        if not np.isclose(conf_level, self.conf_level, rtol=0, atol=1e-12):
            if self.inversion is None:
                raise ValueError(f"this bootstrap interval was computed at level {self.conf_level} and its draws "
                                 f"were not kept; rerun with conf_level={conf_level}")
            low, high = self.inversion.interval(conf_level)
        std_error = (self.estimate - self.null) / self.t_stat if self.t_stat else np.nan
        return pd.DataFrame([{"term": self.term, "estimate": self.estimate, "std_error": std_error,
                              "statistic": self.t_stat, "p_value": self.p_value, "conf_low": low,
                              "conf_high": high}])[TIDY_COLUMNS]

    def remove_data(self) -> WildBootstrapResult:
        """Return the result without the bootstrap draws (intervals then only at the level computed)."""
        return replace(self, inversion=None)

    def etable_rows(self) -> dict[str, str]:
        """Return the bootstrap p-value and interval as rows of a regression table."""
        kind = "WCR" if self.restricted else "WCU"
        if self.bootstrap_level is not None:
            kind += f", weights by {self.bootstrap_level} ({self.bootstrap_groups})"
        return {f"Wild bootstrap p ({kind}, G = {self.clusters})": f"{self.p_value:.3f}",
                f"Wild bootstrap {100 * self.conf_level:g}% CI": f"[{self.conf_low:.3f}, {self.conf_high:.3f}]"}

    def _summary_header(self) -> tuple[str, tuple[str, ...]]:
        return str(self), (f"Observations: {self.nobs:,}",)

    def __str__(self) -> str:
        kind = "WCR" if self.restricted else "WCU"
        draws = f"all {self.draws} sign patterns" if self.full_enumeration else f"B = {self.draws}"
        level = f"G = {self.clusters}"
        if self.bootstrap_level is not None:
            clusters = f"{self.cluster_variable} clusters" if self.cluster_variable else "clusters"
            level = (f"bootstrap weights by {self.bootstrap_level} ({self.bootstrap_groups}) within "
                     f"{self.clusters} {clusters}")
        return (f"Wild cluster bootstrap ({kind}, {self.weights} weights, {draws}, {level}) "
                f"of {self.term} = {self.null:g}: t = {self.t_stat:.3f}, p = {self.p_value:.4f}, "
                f"{100 * self.conf_level:g}% CI [{self.conf_low:.4g}, {self.conf_high:.4g}]")


def _brentq(function, low: float, high: float, xtol: float) -> float:
    from scipy import optimize  # imported when needed: scipy.optimize costs ~0.3 s at import

    return float(optimize.brentq(function, low, high, xtol=xtol))


def bootstrap_weights(kind: WeightKind, draws: int, clusters: int,
                      rng: np.random.Generator) -> np.ndarray:
    """Draw a (draws × clusters) matrix of wild bootstrap weights."""
    if kind == "rademacher":
        return rng.choice(np.array([-1.0, 1.0]), size=(draws, clusters))
    if kind == "webb":
        return rng.choice(_WEBB, size=(draws, clusters))
    raise ValueError(f"unknown weights {kind!r}: use 'rademacher' or 'webb'")


class _ClusterSums:
    """Cluster-level pieces of a linear model's demeaned design, computed once."""

    def __init__(self, X: np.ndarray, y: np.ndarray, codes: np.ndarray, j: int,
                 fixed: FixedEffects | None = None) -> None:
        self.X, self.y, self.codes, self.fixed = X, y, codes, fixed
        self.G = int(codes.max()) + 1
        self.k = X.shape[1]
        self.j = j
        self.A = np.linalg.inv(X.T @ X)
        self.a = self.A[:, j]
        # H_g = X_g'X_g, X_g'y_g, X_g'x_gj per cluster
        self.H = np.zeros((self.G, self.k, self.k))
        np.add.at(self.H, codes, X[:, :, None] * X[:, None, :])
        self.Xy = np.zeros((self.G, self.k))
        np.add.at(self.Xy, codes, X * y[:, None])
        self.aH = np.einsum("k,gkl->gl", self.a, self.H)  # a_j' H_g, (G × k)

    def pieces(self, beta_base: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return e (G,) and the matrix Q (G × G) for residuals u = y − X·beta_base.

        A bootstrap draw v gives the cluster scores' projections q = v ⊙ e − Q v, where d_g = X_g'u_g,
        e_g = a_j'd_g, and Q = M + N with M[g, h] = a_j' H_g A d_h (re-estimating the slopes) and
        N[g, h] = a_j' X_g' P(u ⊙ 1_h)_g (re-absorbing the fixed effects from the bootstrap outcome,
        P the projection on them), so that a draw is the same as refitting the full model.
        """
        d = self._score_sums(beta_base)
        e = d @ self.a
        Q = self.aH @ self.A @ d.T
        if self.fixed is not None:
            u = self.y - self.X @ beta_base
            rows = np.arange(len(u))
            spread = np.zeros((len(u), self.G), order="F")
            spread[rows, self.codes] = u
            demeaned, _ = self.fixed.demean(spread, copy=False)  # in place: spread is rebuilt below
            # P(u ⊙ 1_h) = (u ⊙ 1_h) − demeaned, one column per cluster h: −demeaned off the own cluster's cells
            projected = np.negative(demeaned, out=demeaned)
            projected[rows, self.codes] = u + projected[rows, self.codes]
            xa = self.X @ self.a
            # N[g, h] = Σ_{i in g} xa_i P(u ⊙ 1_h)_i, summed in row order (as np.add.at did) one column at a time
            N = np.empty((self.G, self.G))
            for h in range(self.G):
                N[:, h] = np.bincount(self.codes, weights=xa * projected[:, h], minlength=self.G)
            Q = Q + N
        return e, Q

    def _score_sums(self, beta_base: np.ndarray) -> np.ndarray:
        """Return d (G × k), d_g = X_g'u_g for residuals u = y − X·beta_base."""
        return self.Xy - np.einsum("gkl,l->gk", self.H, beta_base)

    def cluster_scores(self, beta_base: np.ndarray) -> np.ndarray:
        """Return e (G,) of :meth:`pieces` alone (the estimate's own CRV1 scores need no Q)."""
        return self._score_sums(beta_base) @ self.a

    @staticmethod
    def scores(v: np.ndarray, e: np.ndarray, Q: np.ndarray) -> np.ndarray:
        """Return the draws' cluster score projections q = v ⊙ e − Q v, (draws × G), from :meth:`pieces`."""
        return v * e[None, :] - v @ Q.T


class _SubclusterSums:
    """Pieces of the bootstrap whose weights vary by S groups nested in the G variance clusters (subclusters).

    With weights v (one per bootstrap group s) the bootstrap residuals are u ⊙ v[s(i)]. As in
    :meth:`_ClusterSums.pieces`, with d_s = X_s'u_s and e_s = a_j'd_s: the estimate moves by v·e and cluster g's
    score projection is q_g = Σ_{s in g} v_s e_s − Σ_s (M[g, s] + N[g, s]) v_s, M[g, s] = a_j' H_g A d_s
    (re-estimating the slopes) and N[g, s] = a_j' X_g' P(u ⊙ 1_s)_g (re-absorbing the fixed effects). P being
    symmetric, N[g, s] = Σ_{i in s} u_i P(X a_j ⊙ 1_g)_i: the G columns P(X a_j ⊙ 1_g) are projected once, whatever S
    and whatever the residuals (an n × G array, as for the cluster-level bootstrap).

    :meth:`pieces` returns e (S,) and R (G × S), R[g, s] = e_s·[s in g] − M[g, s] − N[g, s], so that a draw's
    scores are R v. Each call costs O(n·(k + G) + S·G·k); a set of B draws costs O(B·S·G) time and O(B·(S + G))
    memory (the weights and the scores), against O(B·G²) for the cluster-level bootstrap.
    """

    def __init__(self, sums: _ClusterSums, codes: np.ndarray) -> None:
        self.sums = sums
        self.j = sums.j
        self.codes = codes
        self.S = int(codes.max()) + 1
        self.parent = np.empty(self.S, dtype=np.int64)  # the variance cluster of each bootstrap group
        self.parent[codes] = sums.codes
        self.projected = None
        if sums.fixed is not None:
            n = len(codes)
            spread = np.zeros((n, sums.G), order="F")
            spread[np.arange(n), sums.codes] = sums.X @ sums.a
            demeaned, _ = sums.fixed.demean(spread)
            self.projected = spread - demeaned  # P(X a_j ⊙ 1_g), one column per cluster g

    def pieces(self, beta_base: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return e (S,) and R (G × S) for residuals u = y − X·beta_base: a draw v gives scores q = R v."""
        sums = self.sums
        u = sums.y - sums.X @ beta_base
        d = cluster_sums(sums.X * u[:, None], self.codes, self.S)  # X_s'u_s, (S × k)
        e = d @ sums.a
        R = -(sums.aH @ sums.A @ d.T)
        if self.projected is not None:
            R -= cluster_sums(self.projected * u[:, None], self.codes, self.S).T
        R[self.parent, np.arange(self.S)] += e
        return e, R

    @staticmethod
    def scores(v: np.ndarray, e: np.ndarray, R: np.ndarray) -> np.ndarray:
        """Return the draws' cluster score projections R v, (draws × G), from :meth:`pieces`."""
        return v @ R.T


@fixed_blas_order
def _t_stats(sums: _ClusterSums | _SubclusterSums, v: np.ndarray, beta_base: np.ndarray, center: float,
             factor: float) -> np.ndarray:
    e, Q = sums.pieces(beta_base)
    beta_j = beta_base[sums.j] + v @ e
    q = sums.scores(v, e, Q)
    se = np.sqrt(factor * (q**2).sum(axis=1))
    return (beta_j - center) / se


@fixed_blas_order
def _restricted_beta(X: np.ndarray, y: np.ndarray, j: int, null: float) -> np.ndarray:
    others = [c for c in range(X.shape[1]) if c != j]
    beta = np.empty(X.shape[1])
    beta[j] = null
    if others:
        target = y - null * X[:, j]
        beta[others] = np.linalg.lstsq(X[:, others], target, rcond=None)[0]
    return beta


#: Bootstrap statistics within this relative distance of |t| count as ties (as large as |t|): draws that
#: reproduce the observed statistic exactly then count the same whatever the rounding of the arithmetic.
TIE_TOLERANCE = 1e-10
#: A restricted draw whose squared t statistic is within this relative distance of the threshold's is recomputed
#: from its scores (:meth:`_Inversion._rejections`); the moments' rounding is some G·1e-16.
SCREEN_TOLERANCE = 1e-8


#: Treated clusters below which MacKinnon & Webb (2017, 2018) find the ordinary wild cluster bootstrap unreliable.
FEW_TREATED_CLUSTERS = 10


def _as_columns(columns: str | Sequence[str] | None, what: str) -> tuple[str, ...]:
    if columns is None:
        return ()
    names = (columns,) if isinstance(columns, str) else tuple(columns)
    if not names or not all(isinstance(name, str) for name in names):
        raise ValueError(f"{what} must be a column name or a non-empty sequence of column names, got {columns!r}")
    return names


def _bootstrap_group_codes(data: pd.DataFrame, columns: tuple[str, ...]) -> np.ndarray:
    """Integer codes, by first appearance, of the groups of ``columns`` (of their intersection when several)."""
    codes = []
    for column in columns:
        if data[column].isna().any():
            raise ValueError(f"bootstrap_cluster column {column!r} has missing values in the estimation sample")
        codes.append(pd.factorize(data[column], sort=False)[0].astype(np.int64))
    if len(codes) == 1:
        return codes[0]
    return pd.factorize(pd.MultiIndex.from_arrays(codes), sort=False)[0].astype(np.int64)


def _require_nested(data: pd.DataFrame, boot_codes: np.ndarray, codes: np.ndarray, columns: tuple[str, ...],
                    cluster: str) -> None:
    """Raise ValueError naming a bootstrap group that spans two variance clusters, if there is one."""
    parent = np.empty(int(boot_codes.max()) + 1, dtype=np.int64)
    parent[boot_codes] = codes  # the last cluster seen for each group
    spanning = np.flatnonzero(parent[boot_codes] != codes)
    if spanning.size == 0:
        return
    row = int(spanning[0])
    other = int(np.flatnonzero((boot_codes == boot_codes[row]) & (codes == parent[boot_codes[row]]))[0])
    group = ", ".join(f"{column} = {data[column].iloc[row]}" for column in columns)
    names = " × ".join(repr(column) for column in columns)
    raise ValueError(f"bootstrap_cluster {names} is not nested in cluster {cluster!r}: the group {group} spans "
                     f"{cluster} = {data[cluster].iloc[row]} and {cluster} = {data[cluster].iloc[other]}; each "
                     "bootstrap group must lie within one variance cluster (e.g. villages within townships)")


def treated_clusters(data: pd.DataFrame, treatment: str, cluster: str | Sequence[str]) -> int:
    """Count the clusters in which ``treatment`` is non-zero for at least one observation.

    MacKinnon & Webb (2017, J. Applied Econometrics 32:233–254; 2018, Econometrics Journal 21:114–135) show that
    what governs the wild cluster bootstrap (and cluster-robust t tests) with a cluster-level treatment is not the
    number of clusters but the number of *treated* clusters (or, symmetrically, of untreated ones): with fewer
    than about 10 (:data:`FEW_TREATED_CLUSTERS`) the restricted bootstrap (WCR) under-rejects badly — its
    p-values are seldom small — and the unrestricted one (WCU) over-rejects, however many clusters there are in
    all. Their remedy is the subcluster wild bootstrap, :func:`wild_cluster_bootstrap` with ``bootstrap_cluster``
    set to a level nested in the clusters (villages within townships, or observations). It is not exact either:
    with a single treated cluster and errors strongly correlated within clusters it too can under-reject.

    Parameters
    ----------
    data : DataFrame
        The estimation sample.
    treatment : str
        Numeric or boolean treatment column; non-zero (True) means treated. Missing values count as untreated.
    cluster : str or sequence of str
        Column(s) defining the clusters (their intersection when several); rows with a missing cluster are
        ignored.

    Returns
    -------
    int
        Number of clusters with at least one treated observation.

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"township": [1, 1, 2, 2, 3, 3], "aid": [0, 1, 0, 0, 1, 1]})
    >>> treated_clusters(data, "aid", "township")
    2
    """
    require_frame(data, "treated_clusters")
    columns = _as_columns(cluster, "cluster")
    for column in (treatment, *columns):
        if column not in data.columns:
            raise KeyError(f"column {column!r} is not in the data")
    treated = data[treatment].fillna(0).ne(0)
    return int(treated.groupby([data[column] for column in columns], dropna=True).any().sum())


def wild_cluster_bootstrap(model: FEOLS | RegressionResults, term: str, cluster: str, *, null: float = 0.0,
                           draws: int = 9999,
                           weights: WeightKind = "rademacher", restricted: bool = True, seed: int | None = None,
                           conf_level: float = 0.95, enumerate_all: bool | None = None,
                           ssc: SSC | None = None,
                           bootstrap_cluster: str | Sequence[str] | None = None) -> WildBootstrapResult:
    """Test ``term = null`` in a linear model by the wild cluster bootstrap, clustering by ``cluster``.

    Parameters
    ----------
    model : FEOLS or RegressionResults
        The model (formula and data), or results fitted by :func:`~villageaid.estimators.feols`;
        weights are not supported.
    term : str
        Coefficient to test.
    cluster : str
        Column defining the variance clusters, e.g. township: the CRV1 t statistics of the estimate and of every
        bootstrap sample are clustered by it. Unless ``bootstrap_cluster`` is given, the bootstrap weights are
        drawn by it too.
    null : float
        Value under the null hypothesis.
    draws : int
        Bootstrap draws B. With Rademacher weights and 2^G ≤ B (G the number of bootstrap groups: clusters, or
        ``bootstrap_cluster`` groups), all 2^G sign patterns are enumerated instead (the exact bootstrap
        distribution). The draws are held in memory: B × (G + 2 × clusters) numbers may not exceed
        :data:`~villageaid.estimators.checks.MAX_DRAW_CELLS` (2 GiB), else ``ValueError`` stating the bound.
    weights : {"rademacher", "webb"}
        Webb's six-point weights are recommended with fewer than about 12 bootstrap groups.
    restricted : bool
        Impose the null when generating bootstrap samples (WCR, recommended) or not (WCU).
    seed : int, optional
        Seed of the weight draws (the same seed gives the same result).
    conf_level : float
        Level of the confidence interval.
    enumerate_all : bool, optional
        Enumerate all 2^G Rademacher sign patterns; by default when 2^G ≤ ``draws``.
    ssc : SSC, optional
        Small-sample correction of the CRV1 t statistics (default fixest's, the same as ``feols``).
    bootstrap_cluster : str or sequence of str, optional
        Column(s) whose groups (their intersection when several) receive the bootstrap weights: the
        *subcluster* wild bootstrap of MacKinnon & Webb (2018, "The wild bootstrap for few (treated) clusters",
        Econometrics Journal 21:114–135), Stata boottest's and fwildclusterboot's ``bootcluster``. Each group must
        lie within one cluster of ``cluster`` (villages within townships; a column unique by row bootstraps
        single observations). The variance stays clustered by ``cluster``. Use it when few clusters are treated
        (or few untreated; :func:`treated_clusters`): below about 10, the ordinary WCR under-rejects badly and
        WCU over-rejects. None (default): the weights are drawn by ``cluster``, the ordinary wild cluster
        bootstrap. A draw costs O(S·G) for S bootstrap groups in G clusters (O(G²) without subclusters) and the
        draws are held in memory, O(B·(S + G)) numbers: fine for S up to a few thousand.

    Returns
    -------
    WildBootstrapResult

    Raises
    ------
    KeyError
        ``term`` is not a coefficient, or a column of ``cluster`` or ``bootstrap_cluster`` is not in the data.
    ValueError
        A bootstrap group spans two clusters (not nested), or has missing values; unknown ``weights``.
    TooFewError
        Fewer than two clusters or two bootstrap groups.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from villageaid.estimators import feols
    >>> rng = np.random.default_rng(4)
    >>> data = pd.DataFrame({"g": np.repeat(np.arange(8), 25), "x": rng.normal(size=200)})
    >>> data["y"] = 0.3 * data["x"] + rng.normal(size=200)
    >>> fit = feols("y ~ x", data, vcov={"CRV1": "g"})
    >>> result = wild_cluster_bootstrap(fit, "x", "g", seed=1)
    >>> result.full_enumeration, result.draws
    (True, 256)

    Weights drawn by subcluster (here five of each cluster's rows), the variance still clustered by ``g``:

    >>> data["village"] = np.arange(200) // 5
    >>> sub = wild_cluster_bootstrap(fit, "x", "g", seed=1, draws=999, bootstrap_cluster="village")
    >>> sub.bootstrap_groups, sub.clusters, sub.full_enumeration
    (40, 8, False)
    """
    who = "wild_cluster_bootstrap"
    require_text(term, "term", who)
    require_text(cluster, "cluster", who)
    require_real(null, "null", who)
    require_int(draws, "draws", who, minimum=1)
    require_level(conf_level, who)
    require_seed(seed, who)
    if weights not in ("rademacher", "webb"):
        raise ValueError(f"unknown weights {weights!r}: use 'rademacher' or 'webb'")
    if not isinstance(model, FEOLS | RegressionResults):
        raise TypeError(f"{who}: model must be an FEOLS model or results of feols, got {type(model).__name__}")
    if isinstance(model, RegressionResults):
        if not isinstance(model.model, FEOLS):
            raise ValueError(f"the wild cluster bootstrap needs a linear model fitted by feols, not {model.estimator}")
        model = model.model
    if model.weights is not None:
        raise ValueError("the wild cluster bootstrap here does not support regression weights")
    boot_columns = _as_columns(bootstrap_cluster, "bootstrap_cluster")
    for column in boot_columns:
        if column not in model.data.columns:
            raise KeyError(f"bootstrap_cluster column {column!r} is not in the data")
    design = model.design((cluster,))
    if term not in design.names:
        raise KeyError(f"{term!r} is not a coefficient of the model ({', '.join(design.names)})")
    X, y = np.asarray(design.X_tilde), np.asarray(design.y_tilde)
    j = design.names.index(term)
    codes = cluster_codes(design.data, (cluster,))[0]
    sums = _ClusterSums(X, y, codes, j, design.fixed)
    n, k = X.shape
    G = sums.G
    require_clusters(G, "the wild cluster bootstrap", kind=f"clusters of {cluster!r}")
    boot: _ClusterSums | _SubclusterSums = sums
    groups = G
    if boot_columns:
        boot_codes = _bootstrap_group_codes(design.data, boot_columns)
        groups = int(boot_codes.max()) + 1
        require_clusters(groups, "the subcluster wild bootstrap",
                         kind=f"groups of bootstrap_cluster {' × '.join(boot_columns)}")
        _require_nested(design.data, boot_codes, codes, boot_columns, cluster)
        if groups > G:  # nested and as many groups as clusters: the same partition, the cluster-level algebra
            boot = _SubclusterSums(sums, boot_codes)
    small_sample = ssc or SSC()
    K = counted_parameters(small_sample, k, design.fixed, design.fixed.degrees_of_freedom if design.fixed else 0,
                           [codes])
    factor = clustered_factor(small_sample, n, K, G)  # the CRV1 factor of the core, so t is the estimate's own

    full = weights == "rademacher" and (2**groups <= draws if enumerate_all is None else enumerate_all)
    # held at once: the weights (draws × groups) and, restricted, two sets of scores (draws × clusters)
    require_draws(2**groups if full else draws, groups + 2 * G, who,
                  argument=f"enumerate_all ({groups} groups, 2^{groups} sign patterns)" if full else "draws",
                  what="bootstrap weights and cluster scores")
    if full:
        v = np.array(list(itertools.product([-1.0, 1.0], repeat=groups)))
    else:
        v = bootstrap_weights(weights, draws, groups, np.random.default_rng(seed))

    beta_hat = sums.A @ sums.Xy.sum(axis=0)
    e_hat = sums.cluster_scores(beta_hat)
    se_hat = float(np.sqrt(factor * (e_hat**2).sum()))  # the CRV1 standard error of the estimate
    t_obs = (beta_hat[j] - null) / se_hat

    if restricted:
        # The restricted estimate is affine in the null value b, so are the residuals, the cluster pieces e and Q,
        # and hence the bootstrap numerator and scores: computing them at b = 0 and b = 1 once gives every b's
        # bootstrap distribution from the same draws without rebuilding or re-demeaning anything — the p-value
        # and the interval's inversion cost a few vector operations each.
        e0, Q0 = boot.pieces(_restricted_beta(X, y, j, 0.0))
        e1, Q1 = boot.pieces(_restricted_beta(X, y, j, 1.0))
        de, dQ = e1 - e0, Q1 - Q0
        inversion = _Inversion(float(beta_hat[j]), se_hat, factor, True, numerators=(v @ e0, v @ de),
                               scores=(boot.scores(v, e0, Q0), boot.scores(v, de, dQ)))
    else:
        inversion = _Inversion(float(beta_hat[j]), se_hat, factor, False,
                               t_star=_t_stats(boot, v, beta_hat, beta_hat[j], factor))
    p = inversion.p_value(null)
    low, high = inversion.interval(conf_level)
    return WildBootstrapResult(term, float(beta_hat[j]), null, float(t_obs), p, float(low), float(high), conf_level,
                               int(v.shape[0]), weights, restricted, G, seed, full, n, inversion,
                               cluster_variable=cluster,
                               bootstrap_level=" × ".join(boot_columns) if boot_columns else None,
                               bootstrap_groups=groups)
