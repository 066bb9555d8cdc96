"""Analysis variables derived from the village × year panel (numeric forms of the panel's indicators)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import numpy as np
import pandas as pd

from villageaid import registry
from villageaid.estimators.vcov import CRV1, CRV3, VarianceEstimator, VcovSpec, as_vcov

if TYPE_CHECKING:
    from villageaid.estimators import WildBootstrapResult
    from villageaid.registry import ModelSpec

T = TypeVar("T")

#: Default inference of the village panel models: the exact cluster jackknife (CRV3) by village (every model
#: re-estimated without each village, the county × year effects included). Type A villages
#: are rare (few "treated" clusters carry the strong-alliance terms), where CRV1 errors are too small: in two
#: runs of 200 simulated data sets of the default scenario, 95% intervals of the PPML H1, H3 and H4
#: coefficients covered as little as 0.86 with CRV1 and at least 0.895 with CRV3 (MacKinnon, Nielsen &
#: Webb 2023 recommend CRV3 with few clusters).
VILLAGE_JACKKNIFE = CRV3("village")

def formula_models(analysis: str) -> dict[str, ModelSpec]:
    """Return the formula models (H1–H4) an analysis declares in the registry, by where it keeps each result."""
    return {spec.result: spec for spec in registry.models_of(analysis) if spec.terms}


def village_variance(vcov: VcovSpec | None) -> VarianceEstimator:
    """Return the variance of the village panel models: ``vcov``, or the cluster jackknife by village."""
    return VILLAGE_JACKKNIFE if vcov is None else as_vcov(vcov)


def fit_with_fallback(fit: Callable[..., T], formula_or_data: object, *args: object, vcov: VarianceEstimator,
                      **options: object) -> T:
    """Fit a model with ``vcov``; where the cluster jackknife is undefined, keep it with CRV1 errors, marked.

    ``fit(…, vcov=CRV1(cluster))`` is estimated once and the jackknife computed from it without refitting the
    estimates; when leaving out some cluster leaves a coefficient unidentified (JackknifeUndefinedError), the
    result keeps its estimates with the CRV1 errors and says why in its ``fallback_reason`` (tables put a dagger
    on those errors and explain it in their notes). Any other variance is used as asked.
    """
    if not isinstance(vcov, CRV3):
        return fit(formula_or_data, *args, vcov=vcov, **options)
    fallback = CRV1(vcov.cluster)
    return fit(formula_or_data, *args, vcov=fallback, **options).with_fallback(vcov, fallback)


def township_bootstrap(formula: str, frame: pd.DataFrame, term: str, *, draws: int, seed: int
                       ) -> WildBootstrapResult:
    """Wild cluster bootstrap p-value of ``term``, errors clustered by township, robust to few treated townships.

    What governs the bootstrap is the number of *treated* townships — those where ``term`` (a column or an
    interaction ``a:b``, treated where the product is non-zero) is non-zero — or of untreated ones, whichever is
    smaller (MacKinnon & Webb 2017, 2018). With fewer than :data:`~villageaid.estimators.FEW_TREATED_CLUSTERS`
    of either, the weights are drawn by village within the townships (the subcluster wild bootstrap), and the
    result says so (``bootstrap_level``); otherwise by township (Webb weights either way).
    """
    from villageaid.estimators import FEOLS, treated_clusters, wild_cluster_bootstrap
    from villageaid.estimators.bootstrap import FEW_TREATED_CLUSTERS

    treatment = np.prod([frame[name].to_numpy(dtype=float) for name in term.split(":")], axis=0)
    marked = frame.assign(_treated=treatment)
    treated = treated_clusters(marked, "_treated", "township")
    untreated = treated_clusters(marked.assign(_treated=(treatment == 0).astype(float)), "_treated", "township")
    few = min(treated, untreated) < FEW_TREATED_CLUSTERS and "village" in frame
    return wild_cluster_bootstrap(FEOLS(formula, frame), term, "township", draws=draws, weights="webb", seed=seed,
                                  bootstrap_cluster="village" if few else None)


#: Baseline controls of the allocation models: size and remoteness. They are also two of the four indicators of
#: the endowment index, which enters the models itself: the index's coefficient is then what endowment adds to a
#: village's size and remoteness (terrain and road access, weighted as in the index).
BASELINE_CONTROLS = ("log_population", "log_distance")


def analysis_frame(panel: pd.DataFrame) -> pd.DataFrame:
    """Return the panel with the numeric variables the models use.

    Added columns: ``city`` (city-level first secretary, 0/1), ``rich_village`` (0/1), ``strong``
    (strong department, 0/1), ``demo`` (designated demonstration village, 0/1), ``demo_years`` (years since
    designation while designated, else 0), ``log_population``, ``log_distance`` (log(1 + km)),
    ``county_year`` (county × year cell), ``city_x_rich``.
    """
    frame = panel.copy()
    frame["city"] = frame["city_unit"].astype("Float64").astype(float)
    frame["rich_village"] = frame["rich"].astype("Float64").astype(float)
    frame["strong"] = frame["strong_unit"].astype("Float64").astype(float)
    frame["city_x_rich"] = frame["city"] * frame["rich_village"]
    frame["demo"] = frame["demonstration"].astype(float)
    years_since = frame["year"] - frame["demonstration_cohort"]
    frame["demo_years"] = np.where(frame["demo"] > 0, years_since, 0).astype(float)
    if "population" in frame:
        frame["log_population"] = np.log(frame["population"].astype(float).clip(lower=1))
    if "distance_to_county_km" in frame:
        frame["log_distance"] = np.log1p(frame["distance_to_county_km"].astype(float))
    if "members_strength_index" in frame:
        frame["members_strength"] = frame["members_strength_index"].astype(float)
        # centred at 1 (general-strength members), so that ``city`` is the effect of a city-level secretary with
        # a team of general strength, not at a team of marginal departments that city secretaries rarely have
        frame["city_x_members"] = frame["city"] * (frame["members_strength"] - 1.0)
    if "deep_poverty" in frame:
        frame["deep_poverty"] = frame["deep_poverty"].astype(float)
    frame["county_year"] = frame["county"].astype(str) + "_" + frame["year"].astype(str)
    frame["village"] = frame["village_id"].astype(str)
    return frame


def available_optional(frame: pd.DataFrame) -> frozenset[str]:
    """Variables of the optional model terms (:data:`~villageaid.registry.OPTIONAL_TERMS`) these data have.

    A variable counts when it is recorded for every row and varies: a term with gaps would drop the rows without
    it, so the models leave it out instead (the tables' notes list the terms used).
    """
    names = set(registry.OPTIONAL_TERMS.values())
    return frozenset(name for name in names if name in frame and frame[name].notna().all()
                     and frame[name].nunique() > 1)


def available_controls(frame: pd.DataFrame) -> list[str]:
    """Baseline controls present (and varying) in this data."""
    return [c for c in BASELINE_CONTROLS if c in frame and frame[c].notna().any() and frame[c].std() > 0]
