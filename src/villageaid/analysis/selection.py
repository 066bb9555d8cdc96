"""H1 and H3 against the selection of villages by units: unit fixed effects and a rotation design.

The source paper says a city-level secretary is sent to a village already chosen for concentration: units choose
villages, so a cross-section credits the unit with what the village would have had anyway. Two designs answer a
referee:

* **Unit fixed effects** (transition years): asinh(funding) on the level-and-endowment terms with county × year
  and first-secretary-unit effects. A unit serves about two villages, so its effect — the level and strength of
  the unit included, which it absorbs — is compared with itself: what remains is whether the same unit's rich
  village gets more than its poor one (rich, city × rich).
* **Rotation** (campaign and transition years): the year-on-year change of asinh(funding) on the change of the
  first secretary's level and strength (and city × rich, the members' strength where recorded, designation), with
  county × year effects. Only villages whose sending unit changed move these terms; years in which a successor came
  from the same unit are the comparison. A village's fixed traits, observed or not, difference out. Where the
  rotation falls at 2021, as the national re-selection did, the changes at 2021 of the effects of level, richness,
  endowment and need (H4) enter too (``d_post_*``), so that ``d_city`` is the level effect of the campaign and
  ``d_post_city`` its change.

Both use the cluster jackknife by village (kept with marked CRV1 errors where it is undefined), as Table 3 does.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from villageaid.analysis.variables import (
    analysis_frame,
    available_controls,
    available_optional,
    fit_with_fallback,
    village_variance,
)
from villageaid.estimators import RegressionResults, feols
from villageaid.estimators.limits import MissingDataError, NoVariationError
from villageaid.estimators.vcov import VcovSpec

#: Terms of the unit fixed-effects model (the unit's level and strength are absorbed by its effect), and those
#: entered where the records have them.
UNIT_TERMS = ("rich_village", "city_x_rich", "endowment_index")
UNIT_OPTIONAL_TERMS = ("need_index", "deep_poverty", "members_strength")
#: Terms of the rotation model: changes of the unit's level, strength and the strong alliance; where the records
#: have team members, the changes of the members' strength and of its product with a city-level secretary, which
#: change with the secretary at a rotation (多级合治).
ROTATION_TERMS = ("d_city", "d_post_city", "d_strong", "d_city_x_rich", "d_post_city_x_rich", "d_post_rich",
                  "d_post_endowment", "d_demo", "d_demo_years")
ROTATION_TEAM_TERMS = ("d_members_strength", "d_city_x_members")


@dataclass(frozen=True)
class SelectionResults:
    """The unit fixed-effects model (transition) and the rotation model (changes of the sending unit)."""

    unit_effects: RegressionResults
    rotation: RegressionResults
    rotations: int


def selection_models(panel: pd.DataFrame, *, vcov: VcovSpec | None = None) -> SelectionResults:
    """Estimate the unit fixed-effects and rotation designs of H1 and H3.

    Raises
    ------
    MissingDataError
        Without first secretaries' units or transition years.
    NoVariationError
        Where no unit serves two villages of different richness, or no sending unit changes.
    """
    frame = analysis_frame(panel)
    if "first_secretary_unit_id" not in frame or frame["first_secretary_unit_id"].isna().all():
        raise MissingDataError("the selection designs need the first secretaries' units (assignments)")
    variance = village_variance(vcov)
    frame["unit"] = frame["first_secretary_unit_id"].astype(str)

    transition = frame.loc[(frame["period"] == "transition") & frame["first_secretary_unit_id"].notna()]
    if transition.empty:
        raise MissingDataError("the unit fixed-effects design needs transition years")
    mixed = transition.groupby("unit", observed=True)["rich_village"].nunique()
    if not (mixed > 1).any():
        raise NoVariationError("no dispatching unit serves both a rich and a poor village in the transition: unit "
                               "fixed effects leave nothing to compare")
    optional = available_optional(transition)
    terms = [*UNIT_TERMS, *(t for t in UNIT_OPTIONAL_TERMS if t in optional)]
    terms += available_controls(transition) + (["demo", "demo_years"] if transition["demo"].any() else [])
    unit_effects = fit_with_fallback(feols, f"asinh_funding_total ~ {' + '.join(terms)} | county_year + unit",
                                     transition, vcov=variance)

    years = frame.loc[frame["period"].isin(["campaign", "transition"])].sort_values(["village", "year"])
    previous = years.groupby("village", observed=True).shift(1)
    consecutive = (years["year"] - previous["year"]) == 1
    changes = years.assign(
        d_asinh_funding=years["asinh_funding_total"] - previous["asinh_funding_total"],
        d_city=years["city"] - previous["city"], d_strong=years["strong"] - previous["strong"],
        d_city_x_rich=years["city_x_rich"] - previous["city_x_rich"],
        d_post_city=years["post"] * years["city"] - previous["post"] * previous["city"],
        d_post_city_x_rich=years["post"] * years["city_x_rich"] - previous["post"] * previous["city_x_rich"],
        d_post_rich=(years["post"] - previous["post"]) * years["rich_village"],
        d_post_endowment=(years["post"] - previous["post"]) * years["endowment_index"],
        d_demo=years["demo"] - previous["demo"], d_demo_years=years["demo_years"] - previous["demo_years"],
        changed=(years["unit"] != previous["unit"]) & previous["unit"].notna())
    terms = list(ROTATION_TERMS)
    for name, column in (("d_post_need", "need_index"), ("d_post_deep", "deep_poverty")):
        if column in available_optional(years):  # need-graded targeting changes at 2021 too (H4)
            changes = changes.assign(**{name: (years["post"] - previous["post"]) * years[column]})
            terms.append(name)
    if "members_strength" in available_optional(years):
        changes = changes.assign(d_members_strength=years["members_strength"] - previous["members_strength"],
                                 d_city_x_members=years["city_x_members"] - previous["city_x_members"])
        terms += ROTATION_TEAM_TERMS
    changes = changes.loc[consecutive & changes[["d_asinh_funding", *terms]].notna().all(axis=1)]
    rotations = int(changes["changed"].sum())
    if not (changes["d_city"] != 0).any():
        raise NoVariationError("no village's sending unit changed level between consecutive years: the rotation "
                               "design has nothing to compare")
    rotation = fit_with_fallback(feols, f"d_asinh_funding ~ {' + '.join(terms)} | county_year", changes,
                                 vcov=variance)
    return SelectionResults(unit_effects, rotation, rotations)
