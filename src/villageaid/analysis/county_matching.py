"""H11: county matching funds (县级配套) follow strong units.

"县里面也需要进行大量配套": where a strong unit brings a project, the county adds its own money. The test takes the
county's funding as the outcome of the level-and-endowment model (PPML, county × year effects, the cluster
jackknife by village), for each period, beside the unit's own funding: a city-level secretary's coefficient on
county money is the claim (its effect on every source plus the county's matching).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import pandas as pd

from villageaid.analysis.variables import (
    analysis_frame,
    available_controls,
    available_optional,
    fit_with_fallback,
    formula_models,
    village_variance,
)
from villageaid.estimators import RegressionResults, fepois
from villageaid.estimators.limits import MissingDataError, NoVariationError
from villageaid.estimators.vcov import VcovSpec


@dataclass(frozen=True)
class SourceResults:
    """PPML models of funding by source: the county's in each period and the unit's in the transition."""

    county_campaign: RegressionResults | None
    county_transition: RegressionResults | None
    unit_transition: RegressionResults | None


def county_matching_models(panel: pd.DataFrame, *, vcov: VcovSpec | None = None,
                           models: Collection[str] | None = None) -> SourceResults:
    """Estimate the H11 models of county and unit funding on the unit's level and the village's endowment.

    ``models`` names the models to estimate (default all; the others are None): Monte Carlo work needs only what
    its claims read.

    Raises
    ------
    MissingDataError
        Where the records give no funding by source (no county or unit amounts at all).
    """
    frame = analysis_frame(panel)
    for column in ("funding_county", "funding_unit"):
        if column not in frame or not (frame[column] > 0).any():
            raise MissingDataError(f"the county-matching test needs funding by source; these data have no "
                                   f"{column.removeprefix('funding_')} funding (funding.source)")
    variance = village_variance(vcov)
    fitted: dict[str, RegressionResults | None] = {}
    for name, spec in formula_models("county_matching").items():
        if models is not None and name not in models:
            fitted[name] = None
            continue
        sample = frame.loc[frame["period"].isin(spec.periods)]
        if sample.empty:
            raise MissingDataError(f"the county-matching test needs {', '.join(spec.periods)} years")
        if not sample["city"].dropna().nunique() > 1:
            raise NoVariationError(f"no variation in the first secretary's level in the {spec.periods[0]}")
        formula = spec.formula(available_controls(sample), demonstration=bool(sample["demo"].any()),
                               available=available_optional(sample))
        fitted[name] = fit_with_fallback(fepois, formula, sample, vcov=variance)
    return SourceResults(**fitted)
