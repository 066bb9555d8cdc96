"""H5: whether designation as a rural-revitalization demonstration village (示范村) captures resources.

Designation is staggered (cohorts 2021, 2022, 2023, ...), so the two-way fixed-effects regression can be
badly biased when effects differ by cohort or grow with time. Beside it: the Callaway–Sant'Anna ATT(g, t)
(never-treated and not-yet-treated controls, doubly robust with the pre-2021 endowment index and rich as
covariates) aggregated by event time with uniform bands, the Sun–Abraham event study, and the
Goodman-Bacon decomposition of the static TWFE coefficient. Outcome: asinh(funding), and funding in 万元
for the CS simple ATT.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from villageaid.analysis.variables import analysis_frame
from villageaid.estimators import (
    AggregatedEffects,
    ATTgtResult,
    BaconDecomposition,
    EventTimeEffects,
    RegressionResults,
    att_gt,
    bacon_decomposition,
    feols,
    sun_abraham,
    twfe_event_study,
)
from villageaid.estimators.limits import NoComparisonError

OUTCOME = "asinh_funding_total"


@dataclass(frozen=True)
class DemonstrationResults:
    """H5 estimates: static and dynamic TWFE, Sun–Abraham, Callaway–Sant'Anna and the Bacon decomposition."""

    twfe_static: RegressionResults
    twfe_dynamic: EventTimeEffects
    sun_abraham: EventTimeEffects
    cs_never: ATTgtResult
    cs_not_yet: ATTgtResult
    cs_never_dynamic: AggregatedEffects
    cs_not_yet_dynamic: AggregatedEffects
    cs_never_simple: AggregatedEffects
    cs_not_yet_simple: AggregatedEffects
    bacon: BaconDecomposition
    cs_levels_simple: AggregatedEffects
    #: CS dynamic effects with a universal base period (e = -1): the input of the sensitivity analysis.
    cs_universal_dynamic: AggregatedEffects | None = None


#: The staggered design of designation: outcome, time, unit and cohort columns of :func:`designation_frame`.
DESIGNATION = {"outcome": OUTCOME, "time": "year", "unit": "village_code", "cohort": "cohort"}
#: Covariates of the Callaway–Sant'Anna estimates (doubly robust).
COVARIATES = ["endowment_index", "rich_village"]


def designation_frame(panel: pd.DataFrame) -> pd.DataFrame:
    """Return the campaign and transition years with the H5 variables, or say why designation cannot be studied."""
    frame = analysis_frame(panel)
    frame = frame.loc[frame["period"].isin(["campaign", "transition"])].copy()
    frame["village_code"] = frame["village_id"].cat.codes.astype(int) if hasattr(frame["village_id"], "cat") \
        else pd.factorize(frame["village_id"])[0]
    frame["cohort"] = frame["demonstration_cohort"].astype(int)
    treated = frame.loc[frame["cohort"] > 0, "village_id"].nunique()
    if treated == 0:
        raise NoComparisonError("no village is designated a demonstration village in these data (no designations "
                                "table, or no designation in the campaign or transition years)")
    if (frame["cohort"] == 0).sum() == 0:
        raise NoComparisonError("every village is a demonstration village: there is no comparison group")
    return frame


def designation_effects(frame: pd.DataFrame, control_group: str, **options: object) -> ATTgtResult:
    """Estimate the Callaway–Sant'Anna ATT(g, t) of designation (doubly robust with :data:`COVARIATES`)."""
    return att_gt(frame, **DESIGNATION, covariates=COVARIATES, control_group=control_group, method="dr", **options)


def demonstration_models(panel: pd.DataFrame, *, draws: int = 999, seed: int = 5) -> DemonstrationResults:
    """Estimate the H5 models on the campaign and transition years (a balanced village panel)."""
    frame = designation_frame(panel)
    args = DESIGNATION
    static = feols(f"{OUTCOME} ~ demo | village_code + year", frame, vcov={"CRV1": "village_code"})
    dynamic = twfe_event_study(frame, **args)
    sa = sun_abraham(frame, **args)
    cs = {name: designation_effects(frame, control, bootstrap=True, draws=draws, seed=seed)
          for name, control in (("never", "never_treated"), ("not_yet", "not_yet_treated"))}
    bacon = bacon_decomposition(frame, **args)
    # Levels (万元), where the estimator allows them: CS needs no log transform.
    levels = att_gt(frame, **{**args, "outcome": "funding_total"}, covariates=COVARIATES,
                    control_group="not_yet_treated", method="dr")
    # Sensitivity analysis needs comparable pre- and post-period estimates: a universal base period.
    universal = designation_effects(frame, "not_yet_treated", base_period="universal").aggregate("dynamic")
    return DemonstrationResults(static, dynamic, sa, cs["never"], cs["not_yet"], cs["never"].aggregate("dynamic"),
                                cs["not_yet"].aggregate("dynamic"), cs["never"].aggregate("simple"),
                                cs["not_yet"].aggregate("simple"), bacon, levels.aggregate("simple"), universal)
