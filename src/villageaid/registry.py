"""The paper's models and key estimates, declared once, keyed by analysis id, model id and term.

:data:`MODEL_SPECS` declares each regression of H1–H4: estimator, outcome, terms, fixed effects, sample
(periods) and variance, with the term that carries the hypothesis. The analysis modules build their formulas
from it, and the specification curve and the Monte Carlo vary or re-estimate exactly these models.

Each :class:`KeyEstimate` says where its number lives in the machine-readable results (the tidy CSV a table
writes, selected by ``model_id``, ``term`` and other identifier columns), which hypothesis it tests, the
direction the source paper's claim predicts, and how the text should describe its size. ``replicate``,
``expected.json``, the LaTeX macros and the generated results text of the paper all read this list; the
text is rendered from the stored results and never re-estimates.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Terms of the level-and-endowment models (H1–H3), in the order tables print them.
LEVEL_TERMS = ("city", "rich_village", "city_x_rich", "endowment_index", "strong")
#: Terms of the typology model: types A, B, D against C.
TYPE_TERMS = ("i(village_type, ref='C')", "endowment_index", "strong")
#: Terms of the H4 triple differences.
DID_TERMS = ("post:rich_village", "post:city", "post:city_x_rich", "city", "city_x_rich", "post:endowment_index",
             "strong")
#: Terms added when the data have demonstration villages.
DEMONSTRATION_TERMS = ("demo", "demo_years")
#: The default variance of the H1–H4 models: the exact cluster jackknife by village.
VILLAGE_CRV3 = {"CRV3": "village"}


@dataclass(frozen=True)
class ModelSpec:
    """One regression of the paper.

    Attributes
    ----------
    id : str
        Model id, as in the tidy tables' ``model_id`` column.
    analysis : str
        Analysis id (``allocation_transition``, ``logic_shift``...).
    hypotheses : tuple of str
        Hypotheses it tests.
    estimator : {"feols", "fepois"}
    outcome : str
        Dependent variable.
    terms : tuple of str
        Regressors (baseline controls and demonstration terms are added where the data have them).
    fixed_effects : str
        Fixed effects, as after ``|`` in a formula.
    periods : tuple of str
        The sample: policy periods of the panel.
    controls : bool
        Whether the baseline controls enter.
    variance : dict
        Variance specification.
    key_term : str or None
        The term that carries the hypothesis.
    """

    id: str
    analysis: str
    hypotheses: tuple[str, ...]
    estimator: str
    outcome: str
    terms: tuple[str, ...]
    fixed_effects: str
    periods: tuple[str, ...]
    controls: bool = True
    variance: dict = field(default_factory=lambda: dict(VILLAGE_CRV3))
    key_term: str | None = None

    def formula(self, controls: list[str] | tuple[str, ...] = (), *, demonstration: bool = True,
                outcome: str | None = None, fixed_effects: str | None = None) -> str:
        """Return the model's formula, with the controls and demonstration terms the data support."""
        terms = [*self.terms, *(DEMONSTRATION_TERMS if demonstration else ()), *(controls if self.controls else ())]
        return f"{outcome or self.outcome} ~ {' + '.join(terms)} | {fixed_effects or self.fixed_effects}"


def _allocation_specs() -> dict[str, ModelSpec]:
    specs = {}
    for period in ("transition", "campaign"):
        analysis = f"allocation_{period}"
        specs[f"{period}_asinh"] = ModelSpec(f"{period}_asinh", analysis, ("H1", "H2", "H3", "H8"), "feols",
                                             "asinh_funding_total", LEVEL_TERMS, "county_year", (period,),
                                             key_term="city_x_rich")
        specs[f"{period}_ppml"] = ModelSpec(f"{period}_ppml", analysis, ("H1", "H2", "H3", "H8"), "fepois",
                                            "funding_total", LEVEL_TERMS, "county_year", (period,),
                                            key_term="city_x_rich")
        specs[f"{period}_types"] = ModelSpec(f"{period}_types", analysis, ("H3",), "feols", "asinh_funding_total",
                                             TYPE_TERMS, "county_year", (period,))
    for model_id, estimator, outcome in (("shift_asinh", "feols", "asinh_funding_total"),
                                         ("shift_log1p", "feols", "log1p_funding_total"),
                                         ("shift_ppml", "fepois", "funding_total")):
        specs[model_id] = ModelSpec(model_id, "logic_shift", ("H4",), estimator, outcome, DID_TERMS,
                                    "village + county_year", ("campaign", "transition"), controls=False,
                                    key_term="post:city_x_rich")
    return specs


MODEL_SPECS: dict[str, ModelSpec] = _allocation_specs()


@dataclass(frozen=True)
class KeyEstimate:
    """One number of the paper.

    Attributes
    ----------
    id : str
        Stable key: ``analysis.model_id.term.statistic``.
    hypothesis : str
        H1–H10.
    file : str
        Tidy CSV holding the result.
    where : dict
        Identifier columns (model_id, term, event_time, ...) selecting one row.
    column : str
        Column of that row (estimate, std_error, villages, gini, change).
    claim : int
        Direction the paper's claim predicts: +1, -1, or 0 for a descriptive number.
    scale : str
        How to describe the size: "semi_elasticity" (PPML, log points), "asinh", "elasticity", "index",
        "logit", "return" (log outcome on asinh funding), "return_change", "count" or "plain".
    description : str
        What the number is, for the text.
    macro : str or None
        LaTeX macro (in ``key_numbers.tex``) quoting it.
    """

    id: str
    hypothesis: str
    file: str
    where: dict
    column: str
    claim: int = 0
    scale: str = "plain"
    description: str = ""
    macro: str | None = None
    digits: int = 3
    interval: tuple[str, str] | None = ("conf_low", "conf_high")


KEY_ESTIMATES: tuple[KeyEstimate, ...] = (
    KeyEstimate("typology.transition.A.villages", "H3", "table1_typology.csv",
                {"period": "transition", "county": "All", "village_type": "A"}, "villages", scale="count",
                description="type-A villages (city-level unit, rich) in 2021–2025", interval=None),
    KeyEstimate("typology.transition.C.villages", "H3", "table1_typology.csv",
                {"period": "transition", "county": "All", "village_type": "C"}, "villages", scale="count",
                description="type-C villages (county-level unit, poor) in 2021–2025", interval=None),
    KeyEstimate("allocation.transition_ppml.city_x_rich.estimate", "H3", "table3_level_endowment.csv",
                {"model_id": "transition_ppml", "term": "city_x_rich"}, "estimate", claim=+1,
                scale="semi_elasticity", macro="HThreeTransition",
                description="the strong-alliance coefficient (city-level unit × rich village, PPML) in 2021–2025"),
    KeyEstimate("allocation.transition_ppml.city_x_rich.std_error", "H3", "table3_level_endowment.csv",
                {"model_id": "transition_ppml", "term": "city_x_rich"}, "std_error", macro="HThreeTransitionSE",
                description="its standard error", interval=None),
    KeyEstimate("allocation.campaign_ppml.rich_village.estimate", "H2", "table3_level_endowment.csv",
                {"model_id": "campaign_ppml", "term": "rich_village"}, "estimate", claim=-1,
                scale="semi_elasticity", macro="HTwoCampaign",
                description="funding of rich villages against others in the campaign (PPML)"),
    KeyEstimate("allocation.transition_ppml.rich_village.estimate", "H2", "table3_level_endowment.csv",
                {"model_id": "transition_ppml", "term": "rich_village"}, "estimate", claim=+1,
                scale="semi_elasticity", macro="HTwoTransition",
                description="funding of rich villages against others in 2021–2025 (PPML)"),
    KeyEstimate("allocation.transition_ppml.city.estimate", "H1", "table3_level_endowment.csv",
                {"model_id": "transition_ppml", "term": "city"}, "estimate", claim=+1, scale="semi_elasticity",
                macro="HOneTransition", description="funding of villages with a city-level first secretary in "
                                                    "2021–2025 (PPML)"),
    KeyEstimate("logic_shift.shift_ppml.post_rich.estimate", "H4", "table4_logic_shift.csv",
                {"model_id": "shift_ppml", "term": "post:rich_village"}, "estimate", claim=+1,
                scale="semi_elasticity", macro="HFourPostRich",
                description="the change after 2021 in the funding of rich villages (post × rich, PPML)"),
    KeyEstimate("logic_shift.shift_ppml.post_city_x_rich.estimate", "H4", "table4_logic_shift.csv",
                {"model_id": "shift_ppml", "term": "post:city_x_rich"}, "estimate", claim=+1,
                scale="semi_elasticity", macro="HFourTriple",
                description="the change after 2021 of the strong alliance (post × city-level × rich, PPML)"),
    KeyEstimate("logic_shift.shift_asinh.post_rich.estimate", "H4", "table4_logic_shift.csv",
                {"model_id": "shift_asinh", "term": "post:rich_village"}, "estimate", claim=+1, scale="asinh",
                description="post × rich in the asinh OLS model"),
    KeyEstimate("demonstration.cs_not_yet.e0.estimate", "H5", "table6_demonstration.csv",
                {"model_id": "cs_not_yet", "event_time": 0}, "estimate", claim=+1, scale="asinh", macro="HFiveCS",
                description="the Callaway–Sant'Anna effect of designation as a demonstration village in its "
                            "first year (not-yet-treated controls)"),
    KeyEstimate("persistence.anderson_hsiao.lag.estimate", "H6", "table6b_persistence.csv",
                {"model_id": "anderson_hsiao", "term": "L.log_unit_funding"}, "estimate", claim=+1,
                scale="elasticity", macro="HSixPersistence",
                description="the persistence of unit funding (Anderson–Hsiao coefficient of its lag)"),
    KeyEstimate("inequality.by_year.2025.gini", "H7", "table7_inequality.csv", {"table": "by_year", "year": 2025},
                "gini", scale="index", macro="HSevenGini", description="the Gini coefficient of funding in 2025",
                interval=("gini_low", "gini_high")),
    KeyEstimate("inequality.change.theil", "H7", "table7_inequality.csv", {"table": "change", "measure": "theil"},
                "change", claim=+1, scale="index", macro="HSevenTheilChange",
                description="the change in the Theil index between the campaign and the transition"),
    KeyEstimate("matching.h9_logit_transition.endowment.estimate", "H9", "table8_level_strength_matching.csv",
                {"model_id": "h9_logit_transition", "term": "endowment_index"}, "estimate", claim=+1, scale="logit",
                macro="HNineSlope",
                description="the logit slope of city-level assignment on the endowment index in 2021–2025"),
    KeyEstimate("returns.h10_iv_log_collective_income.funding.estimate", "H10", "table8b_returns.csv",
                {"model_id": "h10_iv_log_collective_income", "term": "asinh_funding_total"}, "estimate", claim=+1,
                scale="return", macro="HTenReturn",
                description="the return to funding on log collective income (2SLS, coefficient of asinh(funding))"),
    KeyEstimate("returns.h10_heterogeneity_log_collective_income.interaction.estimate", "H10",
                "table8b_returns.csv", {"model_id": "h10_heterogeneity_log_collective_income",
                                        "term": "asinh_funding_x_endowment"}, "estimate", claim=-1,
                scale="return_change", macro="HTenInteraction",
                description="how the return to funding on log collective income changes with the endowment index "
                            "(2SLS, asinh(funding) × endowment index)"),
)

#: The key estimates by id.
BY_ID: dict[str, KeyEstimate] = {k.id: k for k in KEY_ESTIMATES}
