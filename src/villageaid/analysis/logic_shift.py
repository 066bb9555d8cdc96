"""H4: the logic shift from "benefits all" (雨露均沾) to "strong alliance" (强强联合) after 2021.

Triple differences with village fixed effects and county × year fixed effects (which contain the year
effects), errors clustered by village (cluster jackknife, see ``analysis.variables``):

    funding ~ post×rich + post×city + post×city×rich + city + city×rich + post×endowment_index + post×need_index
              + strong + members' strength (and × city, × post × city) + demonstration terms | village + county×year

(the need and members' terms where the records have them),

by OLS on asinh(funding) and log(1 + funding) and by Poisson pseudo-ML on funding. Event studies of
rich × year and city × year against 2020 show when the shift happened, with the joint test that the
pre-2020 coefficients are zero.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import pandas as pd

from villageaid import registry
from villageaid.analysis.variables import (
    analysis_frame,
    available_optional,
    fit_with_fallback,
    formula_models,
    township_bootstrap,
    village_variance,
)
from villageaid.estimators import (
    EventStudyResult,
    RegressionResults,
    WildBootstrapResult,
    event_study,
    feols,
    fepois,
)
from villageaid.estimators.vcov import VcovSpec

REFERENCE_YEAR = 2020


@dataclass(frozen=True)
class LogicShiftResults:
    """H4 difference-in-differences models and event studies."""

    asinh_ols: RegressionResults | None
    log1p_ols: RegressionResults | None
    ppml: RegressionResults | None
    rich_event_study: EventStudyResult | None
    city_event_study: EventStudyResult | None
    rich_event_study_ppml: EventStudyResult | None
    city_event_study_ppml: EventStudyResult | None
    strong_alliance_shift_bootstrap: WildBootstrapResult | None
    #: The triple difference's own event study: city × rich × year against 2020 (the key claim of H4).
    #: (asinh OLS only: the PPML version's cluster jackknife refits some forty columns once per village, which
    #: would double the time of the whole build; the triple difference's PPML estimate is in Table 4.)
    triple_event_study: EventStudyResult | None = None


#: The difference-in-differences models of H4, by where its results keep them.
SHIFT_MODELS = ("asinh_ols", "log1p_ols", "ppml")


def logic_shift_models(panel: pd.DataFrame, *, bootstrap_draws: int = 9999, seed: int = 2,
                       event_studies: bool = True, vcov: VcovSpec | None = None,
                       models: Collection[str] = SHIFT_MODELS) -> LogicShiftResults:
    """Estimate the H4 models on the campaign and transition years of the panel.

    ``event_studies=False`` skips the event studies and ``models`` names the difference-in-differences models to
    estimate (the others are None): Monte Carlo work needs only what its claims read. ``vcov`` is the variance of
    every model (default: the cluster jackknife by village; where it is undefined on these data, a model keeps its
    estimates with CRV1 errors by village, marked).
    """
    frame = analysis_frame(panel)
    frame = frame.loc[frame["period"].isin(["campaign", "transition"])].copy()
    demonstration = bool(frame["demo"].any())
    optional = available_optional(frame)
    variance = village_variance(vcov)
    specs = formula_models("logic_shift")
    unknown = set(models) - set(SHIFT_MODELS)
    if unknown:
        raise ValueError(f"unknown logic-shift models {sorted(unknown)}: use some of {SHIFT_MODELS}")
    asinh_formula = specs["asinh_ols"].formula(demonstration=demonstration, available=optional)
    fitted = {name: fit_with_fallback(fepois if name == "ppml" else feols,
                                      specs[name].formula(demonstration=demonstration, available=optional), frame,
                                      vcov=variance)
              for name in SHIFT_MODELS if name in models}
    asinh_ols, log1p_ols, ppml = (fitted.get(name) for name in SHIFT_MODELS)
    demo = ("demo", "demo_years") if frame["demo"].any() else ()
    common = dict(time="year", unit="village", reference=REFERENCE_YEAR, fixed_effects=("village", "county_year"))
    extra = tuple(t for t in ("post:need_index", "post:deep_poverty", "members_strength", "city_x_members",
                              "post:city_x_members")
                  if registry.OPTIONAL_TERMS[t] in optional)
    rich_controls = ("city", "city_x_rich", "post:city", "post:city_x_rich", "post:endowment_index", "strong", *extra,
                     *demo)
    city_controls = ("city", "city_x_rich", "post:rich_village", "post:city_x_rich", "post:endowment_index", "strong",
                     *extra, *demo)
    rich_es = city_es = rich_es_ppml = city_es_ppml = triple_es = None
    # city × rich by year, beside rich × year and city-level × year (the double differences' own paths)
    triple_controls = ("city", "city_x_rich", f"i(year, rich_village, ref={REFERENCE_YEAR})",
                       f"i(year, city, ref={REFERENCE_YEAR})", "post:endowment_index", "strong", *extra, *demo)
    if event_studies:
        triple_es = fit_with_fallback(event_study, frame, outcome="asinh_funding_total", treatment="city_x_rich",
                                      controls=triple_controls, vcov=variance, **common)
        rich_es = fit_with_fallback(event_study, frame, outcome="asinh_funding_total", treatment="rich_village",
                                    controls=rich_controls, vcov=variance, **common)
        city_es = fit_with_fallback(event_study, frame, outcome="asinh_funding_total", treatment="city",
                                    controls=city_controls, vcov=variance, **common)
        rich_es_ppml = fit_with_fallback(event_study, frame, outcome="funding_total", treatment="rich_village",
                                         controls=rich_controls, estimator="ppml", vcov=variance, **common)
        city_es_ppml = fit_with_fallback(event_study, frame, outcome="funding_total", treatment="city",
                                         controls=city_controls, estimator="ppml", vcov=variance, **common)
    bootstrap = None
    if (bootstrap_draws and "township" in frame and asinh_ols is not None
            and specs["asinh_ols"].key_term in asinh_ols.params.index):
        bootstrap = township_bootstrap(asinh_formula, frame, specs["asinh_ols"].key_term, draws=bootstrap_draws,
                                       seed=seed)
    return LogicShiftResults(asinh_ols, log1p_ols, ppml, rich_es, city_es, rich_es_ppml, city_es_ppml, bootstrap,
                             triple_es)

