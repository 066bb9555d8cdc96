"""Variance estimators with the small-sample conventions of R fixest (and Stata).

Conventions (fixest defaults ``ssc(adj = TRUE, fixef.K = "nested", cluster.adj = TRUE,
cluster.df = "min", t.df = "min")``), with n observations, k regressors and K = k + absorbed
fixed-effect parameters (sum of levels minus one per additional fixed effect):

* ``"iid"``: σ²(X'X)⁻¹ with σ² = RSS / (n − K); t with n − K degrees of freedom.
* ``"hetero"``: HC1, n / (n − K) · (X'X)⁻¹ X'ΩX (X'X)⁻¹ (fixest's "hetero" and Stata's ``robust``).
* ``{"CRV1": "g"}``: G/(G − 1) · (n − 1)/(n − K') · sandwich with cluster sums of scores, where in K'
  a fixed effect nested in the clusters (a village effect when clustering by village) counts as one
  parameter instead of its number of levels; t with G − 1 degrees of freedom.
* ``{"CRV3": "g"}``: the cluster jackknife of MacKinnon, Nielsen & Webb (2023),
  (G − 1)/G · Σ_g (β₋g − β̂)(β₋g − β̂)', with the leave-one-cluster-out estimates from one Newton step,
  β₋g = β̂ − (H − H_g)⁻¹ s_g (H the Hessian of the partialled-out problem, H_g and s_g cluster g's part
  of it and of the score). For OLS with fixed effects nested in the clusters the step is exact; otherwise
  fixed effects are not re-estimated without the cluster. t with G − 1 degrees of freedom. Recommended
  when few clusters carry a coefficient (few treated clusters), where CRV1 is too small.
* ``{"CRV1": "g1+g2"}``: V₁ + V₂ − V₁₂ (Cameron, Gelbach & Miller), all scaled by
  G_min/(G_min − 1) · (n − 1)/(n − K') where fixed effects nested in either clustering are left out;
  t with G_min − 1 degrees of freedom. If the result is not positive semi-definite it is kept as is
  (as fixest does) and a note says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from villageaid.estimators.demean import FixedEffects

VcovSpec = str | Mapping[str, str]


@dataclass(frozen=True)
class VcovChoice:
    """A parsed variance option."""

    kind: str  # "iid", "hetero" or "cluster"
    clusters: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """Description used in tables and summaries."""
        if self.kind == "iid":
            return "iid"
        if self.kind == "hetero":
            return "heteroskedasticity-robust (HC1)"
        if self.kind == "jackknife":
            return "cluster jackknife (CRV3) by " + self.clusters[0]
        return "clustered (CRV1) by " + " and ".join(self.clusters)


def parse_vcov(spec: VcovSpec) -> VcovChoice:
    """Parse ``"iid"``, ``"hetero"``/``"HC1"`` or ``{"CRV1": "g"}`` / ``{"CRV1": "g1+g2"}``."""
    if isinstance(spec, str):
        key = spec.strip().lower()
        if key == "iid":
            return VcovChoice("iid")
        if key in ("hetero", "hc1", "robust"):
            return VcovChoice("hetero")
        raise ValueError(f"unknown vcov {spec!r}: use 'iid', 'hetero' or {{'CRV1': 'cluster'}}")
    if isinstance(spec, Mapping) and len(spec) == 1:
        (kind, value), = spec.items()
        clusters = tuple(c.strip() for c in str(value).split("+") if c.strip())
        if str(kind).upper() == "CRV1" and 1 <= len(clusters) <= 2:
            return VcovChoice("cluster", clusters)
        if str(kind).upper() == "CRV3" and len(clusters) == 1:
            return VcovChoice("jackknife", clusters)
    raise ValueError(f"unknown vcov {spec!r}: use 'iid', 'hetero', {{'CRV1': 'g'}}, {{'CRV1': 'g1+g2'}} or "
                     "{'CRV3': 'g'}")


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


def _cluster_meat(scores: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, int]:
    groups = int(codes.max()) + 1 if len(codes) else 0
    sums = np.column_stack([np.bincount(codes, weights=scores[:, j], minlength=groups)
                            for j in range(scores.shape[1])]) if scores.shape[1] else np.zeros((groups, 0))
    return sums.T @ sums, groups


@dataclass(frozen=True)
class VcovResult:
    """A variance matrix with the degrees of freedom for inference and cluster counts."""

    matrix: np.ndarray
    df_t: float
    clusters: dict[str, int]
    notes: tuple[str, ...] = ()


def jackknife_vcov(X: np.ndarray, hessian_weights: np.ndarray | None, scores: np.ndarray, codes: np.ndarray,
                   hessian: np.ndarray) -> VcovResult:
    """Compute the CRV3 cluster jackknife from one-step leave-one-cluster-out estimates (see module notes)."""
    groups = int(codes.max()) + 1
    k = X.shape[1]
    weighted = X * hessian_weights[:, None] if hessian_weights is not None else X
    cluster_hessian = np.zeros((groups, k, k))
    for j in range(k):  # column by column keeps memory at O(n) however many observations
        for m in range(j, k):
            part = np.bincount(codes, weights=weighted[:, j] * X[:, m], minlength=groups)
            cluster_hessian[:, j, m] = part
            cluster_hessian[:, m, j] = part
    cluster_scores = np.column_stack([np.bincount(codes, weights=scores[:, j], minlength=groups)
                                      for j in range(k)])
    shifts = np.empty((groups, k))
    for g in range(groups):
        shifts[g] = np.linalg.lstsq(hessian - cluster_hessian[g], cluster_scores[g], rcond=None)[0]
    matrix = (groups - 1) / groups * shifts.T @ shifts
    return VcovResult(matrix, float(groups - 1), {})


def sandwich_vcov(choice: VcovChoice, bread: np.ndarray, scores: np.ndarray, rss: float, nobs: int,
                  n_coef: int, fixed: FixedEffects | None, cluster: list[np.ndarray] | None, *,
                  X: np.ndarray | None = None, hessian_weights: np.ndarray | None = None) -> VcovResult:
    """Compute the variance of OLS-type estimates.

    Parameters
    ----------
    choice : VcovChoice
    bread : ndarray (k, k)
        (X'WX)⁻¹ of the demeaned regressors.
    scores : ndarray (n, k)
        x̃ᵢ wᵢ ûᵢ.
    rss : float
        Weighted residual sum of squares.
    nobs, n_coef : int
        Observations and non-absorbed coefficients.
    fixed : FixedEffects or None
        Absorbed fixed effects (for K and nesting).
    cluster : list of ndarray or None
        Cluster codes from :func:`cluster_codes`.
    """
    fe_df_full = fixed.degrees_of_freedom if fixed is not None else 0
    k_full = n_coef + fe_df_full
    if choice.kind == "iid":
        sigma2 = rss / (nobs - k_full)
        return VcovResult(sigma2 * bread, float(nobs - k_full), {})
    if choice.kind == "hetero":
        meat = scores.T @ scores
        return VcovResult(nobs / (nobs - k_full) * bread @ meat @ bread, float(nobs - k_full), {})
    assert cluster is not None
    if choice.kind == "jackknife":
        assert X is not None, "the jackknife needs the partialled-out regressors"
        result = jackknife_vcov(X, hessian_weights, scores, cluster[0], np.linalg.inv(bread))
        return VcovResult(result.matrix, result.df_t, {choice.clusters[0]: int(cluster[0].max()) + 1})
    # Fixed effects nested in (any of) the clusters count as one parameter each instead of their levels
    # (fixest's fixef.K = "nested": K = k + Σlevels − (n_fe − 1) − Σlevels_nested + n_nested).
    k_nested = k_full
    if fixed is not None and fixed.names:
        nested = np.zeros(len(fixed.names), dtype=bool)
        for codes in cluster[: len(choice.clusters)]:
            nested |= np.asarray(fixed.nested_in(codes))
        if nested.any():
            nested_levels = sum(lv for lv, is_nested in zip(fixed.levels, nested, strict=True) if is_nested)
            k_nested = k_full - nested_levels + int(nested.sum())
    meats, sizes = [], []
    for codes in cluster:
        meat, groups = _cluster_meat(scores, codes)
        meats.append(meat)
        sizes.append(groups)
    if len(choice.clusters) == 1:
        meat = meats[0]
        g_min = sizes[0]
    else:
        meat = meats[0] + meats[1] - meats[2]
        g_min = min(sizes[0], sizes[1])
    factor = g_min / (g_min - 1) * (nobs - 1) / (nobs - k_nested)
    matrix = factor * bread @ meat @ bread
    notes: tuple[str, ...] = ()
    if len(choice.clusters) == 2 and np.linalg.eigvalsh((matrix + matrix.T) / 2).min() < 0:
        notes = ("the two-way clustered variance matrix is not positive semi-definite",)
    clusters = {name: size for name, size in zip(choice.clusters, sizes, strict=False)}
    return VcovResult(matrix, float(g_min - 1), clusters, notes)
