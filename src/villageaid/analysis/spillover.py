"""H5 beside its neighbours: whether designation diverts county money from the other villages of a township.

The source paper says demonstration villages draw key projects (示范村虹吸) and that the county has to match them
(县里面也需要进行大量配套); the money a county puts into a designated village is money its neighbours do not get.
Comparisons of designated villages with not-yet-designated and never-designated villages of the same township then
overstate the effect of designation, and the neighbours' loss is itself a finding.

Exposure design (a difference in differences with three groups: treated, exposed-untreated and unexposed):

* ``exposure_designation``: for a village not designated in year t, the share of the *other* villages of its
  township that are designated demonstration villages by t (0 for a designated village);
* ``exposure_city``: the same share for villages with a city-level first secretary (a strong unit's pull on
  county matching), for a village without one;
* PPML of county funding (县级配套, the money a county can move between villages) with village and county × year
  fixed effects, the designation terms and the H4 terms that change within a village (the unit's level, the
  strong alliance and the changes at 2021): column 1 without exposure, column 2 with exposure to designation,
  column 3 with exposure to city-level units too; column 4 is total funding with both;
* column 5, the rational side the paper grants (以点带面, demonstration drawing its neighbours along): OLS of the
  log collective income of villages with income on the same terms and exposure to designation.

The exposure coefficient reads: a non-designated village all of whose township neighbours are designated gets
exp(β) times the county money it would otherwise get. Identification: exposure changes as cohorts are designated
(2021, 2022, ...), so the design needs townships with both designated and non-designated villages over several
years; it compares villages whose neighbours were designated earlier with those whose neighbours were designated
later or never, and assumes no other township-level change coincided with designation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from villageaid import registry
from villageaid.analysis.variables import analysis_frame, available_optional, fit_with_fallback, village_variance
from villageaid.estimators import RegressionResults, feols, fepois
from villageaid.estimators.limits import MissingDataError, NoVariationError
from villageaid.estimators.vcov import VcovSpec

#: Outcome of the diversion models: the county's own (matching) money, which a county moves between villages.
OUTCOME = "funding_county"


@dataclass(frozen=True)
class SpilloverResults:
    """The exposure models (columns of Table 6e) and what identifies them."""

    without_exposure: RegressionResults
    designation_exposure: RegressionResults
    both_exposures: RegressionResults | None
    total_funding: RegressionResults | None
    #: 以点带面: neighbours' log collective income on their exposure to designation (None without incomes).
    neighbour_income: RegressionResults | None
    #: Townships with both a designated and a never-designated village (the design's comparisons).
    mixed_townships: int
    #: Village-years of non-designated villages with a designated neighbour.
    exposed_village_years: int


def neighbour_share(frame: pd.DataFrame, indicator: str, *, group: str = "township", unit: str = "village",
                    time: str = "year") -> pd.Series:
    """Share of the *other* units of each unit's group with ``indicator`` = 1 in the same year; 0 where it is 1.

    Parameters
    ----------
    frame : DataFrame
        One row per unit and year.
    indicator : str
        0/1 column (e.g. designated by this year).
    group, unit, time : str
        Grouping (township), unit (village) and time (year) columns.

    Returns
    -------
    Series aligned with ``frame``: the exposure of an untreated unit; 0 for a treated one or a unit alone in its
    group.
    """
    flag = frame[indicator].astype(float)
    keys = [frame[group].astype(str), frame[time]]
    total = flag.groupby(keys).transform("sum")
    size = flag.groupby(keys).transform("size").astype(float)
    others = (total - flag) / np.maximum(size - 1.0, 1.0)
    return others.where(flag == 0, 0.0)


def spillover_frame(panel: pd.DataFrame) -> pd.DataFrame:
    """Return the campaign and transition years with the exposure variables, or say why they cannot be built."""
    frame = analysis_frame(panel)
    frame = frame.loc[frame["period"].isin(["campaign", "transition"])].copy()
    if "township" not in frame or frame["township"].isna().all():
        raise MissingDataError("the spillover design needs each village's township")
    if not frame["demo"].any():
        raise NoVariationError("no village is designated a demonstration village: there is no exposure to study")
    frame["exposure_designation"] = neighbour_share(frame, "demo")
    frame["exposure_city"] = neighbour_share(frame.assign(city=frame["city"].fillna(0.0)), "city")
    designated = frame.groupby("village", observed=True)["demo"].max()
    township = frame.groupby("village", observed=True)["township"].first().astype(str)
    mixed = int(pd.crosstab(township, designated > 0).clip(upper=1).sum(axis=1).eq(2).sum()) \
        if designated.nunique() > 1 else 0
    if mixed == 0:
        raise NoVariationError("no township has both a designated and a never-designated village: exposure cannot "
                               "be told from designation")
    if frame["exposure_designation"].nunique() < 2:
        raise NoVariationError("exposure to designated neighbours does not vary")
    frame.attrs["mixed_townships"] = mixed
    return frame


def _formula(outcome: str, terms: list[str]) -> str:
    return f"{outcome} ~ {' + '.join(terms)} | village + county_year"


def spillover_models(panel: pd.DataFrame, *, vcov: VcovSpec | None = None) -> SpilloverResults:
    """Estimate the exposure models of designation's diversion of county money.

    Parameters
    ----------
    panel : DataFrame
        The village-year panel.
    vcov : variance, optional
        The village variance (default the cluster jackknife by village; kept with marked CRV1 errors where it is
        undefined).

    Raises
    ------
    MissingDataError
        Without townships or county funding by source.
    NoVariationError
        Without designations, or without a township holding both designated and never-designated villages.
    """
    frame = spillover_frame(panel)
    if OUTCOME not in frame or frame[OUTCOME].isna().all() or not (frame[OUTCOME] > 0).any():
        raise MissingDataError("the spillover design needs county funding (funding by source, source = county)")
    optional = available_optional(frame)
    within = [t for t in registry.DID_TERMS if t not in registry.OPTIONAL_TERMS
              or registry.OPTIONAL_TERMS[t] in optional]
    base = [*within, "demo", "demo_years"]
    variance = village_variance(vcov)
    without = fit_with_fallback(fepois, _formula(OUTCOME, base), frame, vcov=variance)
    designation = fit_with_fallback(fepois, _formula(OUTCOME, [*base, "exposure_designation"]), frame,
                                    vcov=variance)
    both = total = None
    if frame["exposure_city"].nunique() > 1:
        both = fit_with_fallback(fepois, _formula(OUTCOME, [*base, "exposure_designation", "exposure_city"]), frame,
                                 vcov=variance)
        total = fit_with_fallback(fepois, _formula("funding_total", [*base, "exposure_designation",
                                                                       "exposure_city"]), frame, vcov=variance)
    income = None
    if "collective_income" in frame and (frame["collective_income"] > 0).sum() > 1:
        # 以点带面: do neighbours of designated villages do better? Log income of villages with positive income
        # (the outcome of H10), the same terms, OLS.
        incomes = frame.loc[frame["collective_income"] > 0].assign(
            log_collective_income=lambda f: np.log(f["collective_income"]))
        income = fit_with_fallback(feols, _formula("log_collective_income", [*base, "exposure_designation"]),
                                   incomes, vcov=variance)
    exposed = int(((frame["demo"] == 0) & (frame["exposure_designation"] > 0)).sum())
    return SpilloverResults(without, designation, both, total, income, frame.attrs["mixed_townships"], exposed)
