"""Variance estimators with the small-sample conventions of R fixest (and Stata).

Conventions (fixest defaults ``ssc(adj = TRUE, fixef.K = "nested", cluster.adj = TRUE,
cluster.df = "min", t.df = "min")``), with n observations, k regressors and K = k + absorbed
fixed-effect parameters (sum of levels minus one per additional fixed effect):

* ``"iid"``: σ²(X'X)⁻¹ with σ² = RSS / (n − K); t with n − K degrees of freedom.
* ``"hetero"``: HC1, n / (n − K) · (X'X)⁻¹ X'ΩX (X'X)⁻¹ (fixest's "hetero" and Stata's ``robust``).
* ``{"CRV1": "g"}``: G/(G − 1) · (n − 1)/(n − K') · sandwich with cluster sums of scores, where in K'
  a fixed effect nested in the clusters (a village effect when clustering by village) counts as one
  parameter instead of its number of levels; t with G − 1 degrees of freedom.
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
        if str(kind).upper() == "CRV1":
            clusters = tuple(c.strip() for c in str(value).split("+") if c.strip())
            if 1 <= len(clusters) <= 2:
                return VcovChoice("cluster", clusters)
    raise ValueError(f"unknown vcov {spec!r}: use 'iid', 'hetero', {{'CRV1': 'g'}} or {{'CRV1': 'g1+g2'}}")


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


def sandwich_vcov(choice: VcovChoice, bread: np.ndarray, scores: np.ndarray, rss: float, nobs: int,
                  n_coef: int, fixed: FixedEffects | None, cluster: list[np.ndarray] | None) -> VcovResult:
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
