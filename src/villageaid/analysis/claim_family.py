"""The family of the paper's claims, tested together: Romano–Wolf adjusted p-values beside the unadjusted ones.

The paper tests each claim (every key estimate with a direction, :data:`CLAIMS`) at 5%; with some twenty claims,
one or two would pass by chance alone. Romano & Wolf's step-down procedure controls the familywise error rate
using the dependence between the tests, so it adjusts less than Holm or Bonferroni where the claims share data
(H1, H3 and H4 share the same villages, and often the same model).

The claims come from different models, so there is no one bootstrap to redraw them all. Their estimates are
jointly normal in large samples with the covariance of their cluster influences (each cluster's linearised pull on
each estimate, the device of Stata's ``suest``): :func:`claim_family` refits the claims' models with CRV1 errors by
the build's cluster (the estimates are the tables', the variance only serves the correlation) and keeps the
correlation matrix. :meth:`ClaimFamily.adjust` then takes each claim's one-sided p-value as the tables report it
(the village jackknife by default), maps it to the normal scale, and computes the step-down p-values from
normal draws with that correlation (:func:`~villageaid.estimators.multiplicity.gaussian_romano_wolf`), so that a
claim alone would keep its reported p-value. Claims without a model of their own (a table's statistic, a test
built on another model, a staggered-adoption aggregate) stay outside the family, and the table says so.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from villageaid.analysis.allocation import allocation_models
from villageaid.analysis.county_matching import county_matching_models
from villageaid.analysis.industry import industry_models
from villageaid.analysis.logic_shift import logic_shift_models
from villageaid.analysis.matching import MatchingResults, assignment_change, assignment_logits
from villageaid.analysis.mismatch import mismatch_models
from villageaid.analysis.performance import divergence_models, lagged_performance_models
from villageaid.analysis.returns import return_models
from villageaid.analysis.spillover import spillover_models
from villageaid.estimators.limits import DATA_LIMITS
from villageaid.estimators.multiplicity import cluster_influence, gaussian_romano_wolf, joint_correlation
from villageaid.estimators.vcov import CRV1, CRV3, VarianceEstimator, VcovSpec, as_vcov
from villageaid.registry import KEY_ESTIMATES, KeyEstimate, ModelSpec

#: The claims: every key estimate whose direction the source paper asserts.
CLAIMS: tuple[KeyEstimate, ...] = tuple(k for k in KEY_ESTIMATES if k.claim != 0 and k.interval is not None)


def claim_models(analysis: str) -> tuple[str, ...]:
    """Return the results of an analysis that the claims read (the models to estimate).

    The one-sided H8 gap is computed from the PPML model, so reading it means estimating that model.
    """
    read = {k.source.result for k in CLAIMS if isinstance(k.source, ModelSpec) and k.source.analysis == analysis}
    return tuple(sorted({"ppml" if result == "vertical_gap_ppml" else result for result in read}))


def model_steps(panel: pd.DataFrame, vcov: VarianceEstimator, *, draws: int = 199,
                seed: int = 0) -> dict[str, Callable[[], object]]:
    """Return, by analysis, how to estimate the regression models behind the claims (each only what they read).

    ``draws`` and ``seed`` serve the convergence analysis's bootstrap of σ-convergence (not a claim's variance).
    """
    return {
        "allocation_transition": lambda: allocation_models(panel, period="transition", bootstrap_draws=0, vcov=vcov,
                                                           models=claim_models("allocation_transition")),
        "allocation_campaign": lambda: allocation_models(panel, period="campaign", bootstrap_draws=0, vcov=vcov,
                                                         models=claim_models("allocation_campaign")),
        "logic_shift": lambda: logic_shift_models(panel, bootstrap_draws=0, event_studies=False, vcov=vcov,
                                                  models=claim_models("logic_shift")),
        "matching": lambda: MatchingResults(assignment_logits(panel), pd.DataFrame(), assignment_change(panel)),
        "performance": lambda: lagged_performance_models(panel, vcov=vcov),
        "divergence": lambda: divergence_models(panel, draws=draws, seed=seed),
        "county_matching": lambda: county_matching_models(panel, vcov=vcov, models=claim_models("county_matching")),
        "industry": lambda: industry_models(panel, vcov=vcov),
        "mismatch": lambda: mismatch_models(panel, vcov=vcov),
        "spillover": lambda: spillover_models(panel, vcov=vcov),
        # the claims read the returns on collective income only
        "returns": lambda: dict(zip(("frame", "iv", "heterogeneity"),
                                    return_models(panel, ("log_collective_income",)), strict=True)),
    }


def run_steps(steps: Mapping[str, Callable[[], object]]) -> tuple[dict[str, object], dict[str, str]]:
    """Run each step; return the results and, for the steps the data cannot support, why (by analysis)."""
    results, limits = {}, {}
    for name, step in steps.items():
        try:
            results[name] = step()
        except DATA_LIMITS as exc:
            limits[name] = f"{type(exc).__name__}: {exc}"
    return results, limits


def one_sided_p(estimate: float, statistic: float, p_value: float, claim: int) -> float:
    """Return the one-sided p-value in the claimed direction from a symmetric test's two-sided p-value."""
    if not (np.isfinite(statistic) and np.isfinite(p_value)):
        return np.nan
    agrees = np.sign(statistic if statistic != 0 else estimate) == np.sign(claim)
    return p_value / 2 if agrees else 1 - p_value / 2


@dataclass(frozen=True)
class ClaimFamily:
    """The claims tested together: their joint correlation and what stays outside (see the module docstring).

    Attributes
    ----------
    keys : tuple of str
        Ids of the claims in the family, in registry order.
    directions : tuple of int
        The claimed sign of each (+1 or −1).
    correlation : ndarray
        Correlation of their estimates from the cluster influences (K × K).
    cluster : str
        The cluster of the influences (the build's variance cluster).
    excluded : dict
        Claim id → why it is outside the family.
    draws, seed : int
        Normal draws of the step-down null distribution and their seed.
    """

    keys: tuple[str, ...]
    directions: tuple[int, ...]
    correlation: np.ndarray = field(repr=False)
    cluster: str
    excluded: dict[str, str]
    draws: int
    seed: int

    def adjust(self, p_values: Mapping[str, float]) -> dict[str, float]:
        """Return the Romano–Wolf adjusted p-values of the family's claims from their one-sided p-values.

        ``p_values`` maps claim ids to one-sided p-values in the claimed direction (as the tables report them);
        claims without a finite one drop out of the family for this adjustment. Returns claim id → adjusted p.
        """
        kept = [i for i, key in enumerate(self.keys) if np.isfinite(p_values.get(key, np.nan))]
        if not kept:
            return {}
        p = np.clip(np.array([p_values[self.keys[i]] for i in kept], dtype=float), 1e-300, 1.0)
        statistics = stats.norm.isf(p)  # oriented: large speaks for the claim's direction
        correlation = self.correlation[np.ix_(kept, kept)]
        oriented = np.array([self.directions[i] for i in kept], dtype=float)
        # the statistics are oriented by the claim's sign, so their correlation is too
        correlation = correlation * np.outer(oriented, oriented)
        adjusted = gaussian_romano_wolf(statistics, correlation, alternative="greater", draws=self.draws,
                                        seed=self.seed)
        return {self.keys[i]: float(value) for i, value in zip(kept, adjusted, strict=True)}

    def tidy(self) -> pd.DataFrame:
        """One row per claim: in the family or not, and why not."""
        rows = [{"claim_id": key, "in_family": True, "reason": ""} for key in self.keys]
        rows += [{"claim_id": key, "in_family": False, "reason": reason} for key, reason in self.excluded.items()]
        return pd.DataFrame(rows)


def claim_family(panel: pd.DataFrame, *, vcov: VcovSpec | None = None, draws: int = 9_999,
                 seed: int = 0) -> ClaimFamily:
    """Refit the claims' models and return their family for the Romano–Wolf adjustment.

    Parameters
    ----------
    panel : DataFrame
        The village-year panel.
    vcov : variance, optional
        The build's variance; its cluster (village by default) is the cluster of the influences.
    draws : int
        Normal draws of the step-down procedure (default 9,999).
    seed : int
        Their seed.
    """
    variance = CRV3("village") if vcov is None else as_vcov(vcov)
    clusters = getattr(variance, "clusters", None) or ("village",)
    if len(clusters) != 1:
        raise ValueError(f"the claims' family needs one cluster variable, the build's variance has {clusters}")
    cluster = clusters[0]
    steps = model_steps(panel, CRV1(cluster), seed=seed)
    results, limits = run_steps(steps)
    keys, directions, influences, excluded = [], [], [], {}
    for key in CLAIMS:
        source = key.source
        term = key.where.get("term")
        if not isinstance(source, ModelSpec):
            excluded[key.id] = "a table's statistic, not a model's coefficient"
            continue
        if source.analysis not in steps:
            excluded[key.id] = "not a regression coefficient (an aggregate of group-time effects)"
            continue
        if source.analysis in limits:
            excluded[key.id] = f"not estimated on these data ({limits[source.analysis]})"
            continue
        model = source.find(results)
        if term is None or getattr(model, "inference", None) is None:
            excluded[key.id] = "a test built on a model, not one of its coefficients"
            continue
        if term not in model.params.index:
            excluded[key.id] = "its term was dropped as collinear on these data"
            continue
        column = cluster
        if cluster == "village" and cluster not in model.inference.sample and "village_id" in model.inference.sample:
            column = "village_id"  # village-level samples (the H9 logits) keep the id, whose labels are the same
        if column not in model.inference.sample:
            excluded[key.id] = f"its sample has no {cluster} to cluster on"
            continue
        keys.append(key.id)
        directions.append(int(np.sign(key.claim)))
        influences.append(cluster_influence(model, term, column))
    correlation = joint_correlation(influences) if influences else np.zeros((0, 0))
    return ClaimFamily(tuple(keys), tuple(directions), correlation, cluster, excluded, int(draws), int(seed))
