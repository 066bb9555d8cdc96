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
    LogitResults,
    RegressionResults,
    att_gt,
    bacon_decomposition,
    feols,
    logit,
    sun_abraham,
    twfe_event_study,
)
from villageaid.estimators.limits import DATA_LIMITS, NoComparisonError

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
    #: CS (not yet treated) allowing ``anticipation`` years of anticipation: effects may start before designation.
    cs_anticipation_simple: AggregatedEffects | None = None
    anticipation: int = 0
    #: Who is designated: a logit of ever being designated on the village's endowment, need and 2021 unit.
    selection: LogitResults | None = None


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


def designation_selection(panel: pd.DataFrame) -> LogitResults:
    """Estimate who is designated: a logit of ever being designated on endowment, need and the 2021 unit.

    One row per village: designated in any year (0/1) on the endowment index, the need index (where recorded),
    a city-level first secretary and a strong department in the transition's first year, with county dummies and
    errors clustered by township. Designation is not random: the comparison villages of H5 differ on these.
    """
    first = panel.loc[panel["period"] == "transition", "year"].min()
    rows = panel.loc[panel["year"] == first].copy()
    rows = rows.assign(designated=(rows["demonstration_cohort"] > 0).astype(float),
                       city=rows["city_unit"].astype("Float64").astype(float),
                       strong=rows["strong_unit"].astype("Float64").astype(float),
                       county=rows["county"].astype(str), township=rows["township"].astype(str))
    terms = ["endowment_index", "city", "strong"]
    if "need_index" in rows and rows["need_index"].notna().all():
        terms.insert(1, "need_index")
    counties = sorted(rows["county"].unique())
    formula = f"designated ~ {' + '.join(terms)}" + (f" + i(county, ref={counties[0]!r})" if len(counties) > 1 else "")
    return logit(formula, rows.dropna(subset=["city", "strong", "endowment_index"]), vcov={"CRV1": "township"})


def demonstration_models(panel: pd.DataFrame, *, draws: int = 999, seed: int = 5,
                         anticipation: int = 1) -> DemonstrationResults:
    """Estimate the H5 models on the campaign and transition years (a balanced village panel).

    ``anticipation`` is the number of years before designation in which effects may already start (villages
    know they will be designated: lists are drawn up and announced before the designation year); the main
    estimates assume none, and the CS simple ATT allowing it is reported beside them.
    """
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
    anticipated = (designation_effects(frame, "not_yet_treated", anticipation=anticipation).aggregate("simple")
                   if anticipation > 0 else None)
    try:
        selection = designation_selection(panel)
    except DATA_LIMITS:
        selection = None  # the selection equation is context; its absence does not stop the H5 estimates
    return DemonstrationResults(static, dynamic, sa, cs["never"], cs["not_yet"], cs["never"].aggregate("dynamic"),
                                cs["not_yet"].aggregate("dynamic"), cs["never"].aggregate("simple"),
                                cs["not_yet"].aggregate("simple"), bacon, levels.aggregate("simple"), universal,
                                anticipated, anticipation, selection)
