"""The paper's analyses, models, outputs and key numbers, each declared once.

Everything that runs, tabulates, simulates, replicates or documents the paper reads this module:

* :class:`AnalysisSpec` — an estimation step: the function that estimates it, its options and the build settings
  it takes, and the analyses whose results it uses. The workflow runs each analysis once per build.
* :class:`ModelSpec` — a model, keyed by the id its rows carry in the tidy tables (``model_id``): the analysis that
  estimates it and where its result is kept, its label and hypotheses, and for the regressions of H1–H4 the
  whole specification (outcome, terms, fixed effects, sample), from which the analyses build their formulas.
* :class:`OutputSpec` — a table or figure: its file stem, titles in English and Chinese, the analyses it needs,
  the models it shows, the function that formats it, and its place and caption in the paper.
* :class:`KeyEstimate` — a number the paper's text quotes and replication checks: the model (or table) and the
  identifier columns that select its row, the claim's direction and how to describe its size.

Ids and stems are written here and nowhere else in the package (a test searches). Adding an analysis means a
declaration here, the analysis function and its test (CONTRIBUTING.md walks through one).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Literal

#: Terms of the level-and-endowment models (H1–H3, H12), in the order tables print them: the need index and the
#: deep-poverty designation measure need apart from endowment (雨露均沾 is need-graded targeting), the members'
#: strength and its interaction with a city-level secretary the team alliance (多级合治).
LEVEL_TERMS = ("city", "rich_village", "city_x_rich", "endowment_index", "need_index", "deep_poverty", "strong",
               "members_strength", "city_x_members")
#: Terms of the typology model: types A, B, D against C.
TYPE_TERMS = ("i(village_type, ref='C')", "endowment_index", "need_index", "deep_poverty", "strong")
#: Terms of the H4 triple differences: the change at 2021 of the level, richness and strong-alliance terms and of
#: the endowment and need gradients.
DID_TERMS = ("post:rich_village", "post:city", "post:city_x_rich", "city", "city_x_rich", "post:endowment_index",
             "post:need_index", "post:deep_poverty", "strong", "members_strength", "city_x_members",
             "post:city_x_members")
#: Terms entered only where the data have what they need (the analysis frame's columns that must vary): records
#: without the poverty register, deep-poverty designations or team members keep the other terms.
OPTIONAL_TERMS: dict[str, str] = {
    "need_index": "need_index", "post:need_index": "need_index", "deep_poverty": "deep_poverty",
    "post:deep_poverty": "deep_poverty",
    "members_strength": "members_strength", "city_x_members": "members_strength",
    "post:city_x_members": "members_strength"}
#: Terms added when the data have demonstration villages.
DEMONSTRATION_TERMS = ("demo", "demo_years")
#: The default variance of the H1–H4 models: the exact cluster jackknife by village.
VILLAGE_CRV3 = {"CRV3": "village"}
#: Powers at which the linear pre-trend the pre-test would detect is reported (Roth 2022).
PRETREND_POWERS = (0.5, 0.8)


@dataclass(frozen=True)
class Restriction:
    """A restriction of Rambachan & Roth's sensitivity analysis: its symbol, model-id suffix and options."""

    symbol: str
    id_suffix: str
    options: dict = field(default_factory=dict)


#: The two restrictions reported for each event study: smoothness ΔSD(M) and relative magnitudes ΔRM(M̄).
SENSITIVITY_RESTRICTIONS = (Restriction("ΔSD", ""), Restriction("ΔRM", "_rm", {"restriction": "relative_magnitudes"}))


# --- analyses -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AnalysisSpec:
    """One estimation step of the paper.

    Attributes
    ----------
    id : str
        Key of its results in a build.
    function : str
        ``module:function`` that estimates it: called with the panel, ``options``, the build settings named in
        ``settings`` and the results of ``needs`` (keyword = analysis id).
    options : dict
        Fixed keyword arguments.
    settings : dict
        Keyword → build setting: ``bootstrap_draws``, ``small_draws`` (the bootstrap draws capped at 999),
        ``randomization_draws`` (the same, 0 when the bootstrap is off),
        ``policy_draws``, ``policy_lists`` (the two lists), ``seed`` (the root seed plus ``seed_offset``) or ``vcov``
        (the village variance).
    seed_offset : int
        Offset of its seed from the root seed, so that each analysis has its own fixed seed.
    needs : tuple of str
        Analyses whose results it takes; where one of them cannot be estimated on the data, neither can this.
    uses : tuple of str
        Analyses whose results it takes when they could be estimated (None otherwise).
    repeatable : bool
        Short enough (under a second) that two worker processes may each estimate it.
    cost : float
        About how many seconds it takes on the default simulated edition, one core (``python
        benchmarks/analysis_costs.py`` measures them). The build starts its longest tasks first, so that a long
        one does not start last while the other worker idles; the outputs are the same bytes in any order.
    """

    id: str
    function: str
    options: dict = field(default_factory=dict)
    settings: dict = field(default_factory=dict)
    seed_offset: int = 0
    needs: tuple[str, ...] = ()
    uses: tuple[str, ...] = ()
    repeatable: bool = False
    cost: float = 0.1


_BOOT = {"bootstrap_draws": "bootstrap_draws", "seed": "seed", "vcov": "vcov"}
_SMALL = {"draws": "small_draws", "seed": "seed"}

ANALYSES: dict[str, AnalysisSpec] = {a.id: a for a in (
    AnalysisSpec("allocation_transition", "villageaid.analysis.allocation:allocation_models",
                 {"period": "transition"}, {**_BOOT, "randomization_draws": "randomization_draws"}, 31,
                 repeatable=True, cost=0.9),
    AnalysisSpec("allocation_campaign", "villageaid.analysis.allocation:allocation_models",
                 {"period": "campaign"}, {**_BOOT, "randomization_draws": "randomization_draws"}, 32,
                 repeatable=True, cost=0.6),
    AnalysisSpec("logic_shift", "villageaid.analysis.logic_shift:logic_shift_models", {}, _BOOT, 41, cost=3.6),
    AnalysisSpec("logic_shift_power", "villageaid.analysis.pretrends:event_study_power", needs=("logic_shift",),
                 cost=3.1),
    AnalysisSpec("logic_shift_sensitivity", "villageaid.analysis.pretrends:event_study_sensitivity",
                 needs=("logic_shift",), cost=1.1),
    AnalysisSpec("demonstration", "villageaid.analysis.demonstration:demonstration_models", {}, _SMALL, 51, cost=0.7),
    AnalysisSpec("demonstration_sensitivity", "villageaid.analysis.pretrends:designation_sensitivity",
                 needs=("demonstration",), cost=1.4),
    AnalysisSpec("persistence", "villageaid.analysis.persistence:persistence_models"),
    AnalysisSpec("inequality", "villageaid.analysis.inequality:inequality_models", {}, _SMALL, 71),
    AnalysisSpec("matching", "villageaid.analysis.matching:matching_models", {}, _SMALL, 91, cost=0.6),
    AnalysisSpec("returns", "villageaid.analysis.returns:returns_models"),
    AnalysisSpec("returns_sensitivity", "villageaid.analysis.pretrends:arrival_sensitivity", needs=("returns",),
                 cost=0.7),
    AnalysisSpec("policy", "villageaid.analysis.policy_inputs:policy_analysis", {},
                 {"draws": "policy_draws", "seed": "seed", "lists": "policy_lists"}, 101, uses=("returns",), cost=0.2),
    AnalysisSpec("performance", "villageaid.analysis.performance:lagged_performance_models", {}, {"vcov": "vcov"},
                 cost=0.4),
    AnalysisSpec("divergence", "villageaid.analysis.performance:divergence_models", {}, _SMALL, 61,
                 repeatable=True),
    AnalysisSpec("concentration", "villageaid.analysis.concentration:concentration_models", {}, _SMALL, 111,
                 repeatable=True, cost=0.3),
    AnalysisSpec("county_matching", "villageaid.analysis.county_matching:county_matching_models", {},
                 {"vcov": "vcov"}, cost=0.7),
    AnalysisSpec("industry", "villageaid.analysis.industry:industry_models", {}, {"vcov": "vcov"}),
    AnalysisSpec("mismatch", "villageaid.analysis.mismatch:mismatch_models", {}, {"vcov": "vcov"}),
    AnalysisSpec("selection", "villageaid.analysis.selection:selection_models", {}, {"vcov": "vcov"}, cost=0.7),
    AnalysisSpec("spillover", "villageaid.analysis.spillover:spillover_models", {}, {"vcov": "vcov"}, cost=3.0),
    AnalysisSpec("claim_family", "villageaid.analysis.claim_family:claim_family", {}, {"vcov": "vcov", "seed": "seed"},
                 121, cost=0.5),
)}


# --- models ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ModelSpec:
    """One model of the paper, by the id its rows carry in the tidy tables.

    Attributes
    ----------
    id : str
        Model id (the ``model_id`` column of the tidy tables).
    analysis : str
        The analysis that estimates it.
    result : str
        Where that analysis keeps it: an attribute path of its results (``ppml``, ``iv.log_collective_income.iv``;
        a dotted part that is a dictionary key selects that entry).
    label : str
        How tables and their tidy ``model`` column name it.
    hypotheses : tuple of str
    estimator : str
        ``feols`` or ``fepois`` for the formula models; otherwise what estimates it, in words.
    outcome, terms, fixed_effects, periods, controls, variance, key_term
        The specification of a formula model (H1–H4): its outcome, regressors (baseline controls and the
        demonstration terms are added where the data have them), fixed effects, sample periods, whether the
        baseline controls enter, its variance and the term that carries the hypothesis.
    """

    id: str
    analysis: str
    result: str
    label: str = ""
    hypotheses: tuple[str, ...] = ()
    estimator: str = ""
    outcome: str = ""
    terms: tuple[str, ...] = ()
    fixed_effects: str = ""
    periods: tuple[str, ...] = ()
    controls: bool = True
    variance: dict = field(default_factory=lambda: dict(VILLAGE_CRV3))
    key_term: str | None = None

    def find(self, results: Mapping[str, object]) -> object:
        """Return this model's result among an estimate's analyses (analysis id → results).

        Follows :attr:`result` from the analysis's results: attributes, or keys where a part is a dictionary.
        """
        value = results[self.analysis]
        for part in self.result.split("."):
            value = value[part] if isinstance(value, Mapping) else getattr(value, part)
        return value

    def formula(self, controls: list[str] | tuple[str, ...] = (), *, demonstration: bool = True,
                outcome: str | None = None, fixed_effects: str | None = None,
                available: Collection[str] | None = None) -> str:
        """Return the model's formula, with the controls, demonstration and optional terms the data support.

        ``available`` names the variables of :data:`OPTIONAL_TERMS` the data have (None: all of them).
        """
        terms = [t for t in self.terms if available is None or t not in OPTIONAL_TERMS
                 or OPTIONAL_TERMS[t] in available]
        terms = [*terms, *(DEMONSTRATION_TERMS if demonstration else ()), *(controls if self.controls else ())]
        return f"{outcome or self.outcome} ~ {' + '.join(terms)} | {fixed_effects or self.fixed_effects}"


_LEVEL = {"hypotheses": ("H1", "H2", "H3", "H8"), "terms": LEVEL_TERMS, "fixed_effects": "county_year",
          "key_term": "city_x_rich"}
_TYPES = {"hypotheses": ("H3",), "terms": TYPE_TERMS, "fixed_effects": "county_year", "estimator": "feols",
          "outcome": "asinh_funding_total"}
TRANSITION_ASINH = ModelSpec("transition_asinh", "allocation_transition", "asinh_ols", "asinh(funding)",
                             estimator="feols", outcome="asinh_funding_total", periods=("transition",), **_LEVEL)
TRANSITION_PPML = ModelSpec("transition_ppml", "allocation_transition", "ppml", "Funding (PPML)", estimator="fepois",
                            outcome="funding_total", periods=("transition",), **_LEVEL)
TRANSITION_TYPES = ModelSpec("transition_types", "allocation_transition", "types_ols", "asinh(funding)",
                             periods=("transition",), **_TYPES)
CAMPAIGN_ASINH = ModelSpec("campaign_asinh", "allocation_campaign", "asinh_ols", "asinh(funding)", estimator="feols",
                           outcome="asinh_funding_total", periods=("campaign",), **_LEVEL)
CAMPAIGN_PPML = ModelSpec("campaign_ppml", "allocation_campaign", "ppml", "Funding (PPML)", estimator="fepois",
                          outcome="funding_total", periods=("campaign",), **_LEVEL)
CAMPAIGN_TYPES = ModelSpec("campaign_types", "allocation_campaign", "types_ols", "asinh(funding)",
                           periods=("campaign",), **_TYPES)
_SHIFT = {"hypotheses": ("H4",), "terms": DID_TERMS, "fixed_effects": "village + county_year",
          "periods": ("campaign", "transition"), "controls": False, "key_term": "post:city_x_rich"}
SHIFT_ASINH = ModelSpec("shift_asinh", "logic_shift", "asinh_ols", "asinh(funding)", estimator="feols",
                        outcome="asinh_funding_total", **_SHIFT)
SHIFT_LOG1P = ModelSpec("shift_log1p", "logic_shift", "log1p_ols", "log(1 + funding)", estimator="feols",
                        outcome="log1p_funding_total", **_SHIFT)
SHIFT_PPML = ModelSpec("shift_ppml", "logic_shift", "ppml", "Funding (PPML)", estimator="fepois",
                       outcome="funding_total", **_SHIFT)
_STUDY = {"hypotheses": ("H4",), "estimator": "event study"}
RICH_ASINH = ModelSpec("rich_asinh", "logic_shift", "rich_event_study", "Rich × year, asinh", **_STUDY)
CITY_ASINH = ModelSpec("city_asinh", "logic_shift", "city_event_study", "City-level × year, asinh", **_STUDY)
RICH_PPML = ModelSpec("rich_ppml", "logic_shift", "rich_event_study_ppml", "Rich × year, PPML", **_STUDY)
CITY_PPML = ModelSpec("city_ppml", "logic_shift", "city_event_study_ppml", "City-level × year, PPML", **_STUDY)
TRIPLE_ASINH = ModelSpec("triple_asinh", "logic_shift", "triple_event_study", "City × rich × year, asinh", **_STUDY)
_H5 = {"analysis": "demonstration", "hypotheses": ("H5",)}
TWFE_DYNAMIC = ModelSpec("twfe", result="twfe_dynamic", label="TWFE event study", estimator="TWFE event study", **_H5)
SUN_ABRAHAM = ModelSpec("sun_abraham", result="sun_abraham", label="Sun–Abraham", estimator="Sun–Abraham", **_H5)
CS_NEVER = ModelSpec("cs_never", result="cs_never_dynamic", label="CS, never treated", estimator="att_gt", **_H5)
CS_NOT_YET = ModelSpec("cs_not_yet", result="cs_not_yet_dynamic", label="CS, not yet treated", estimator="att_gt",
                       **_H5)
CS_UNIVERSAL = ModelSpec("cs_universal", result="cs_universal_dynamic", label="Designation, CS (universal base)",
                         estimator="att_gt", **_H5)
ANDERSON_HSIAO = ModelSpec("anderson_hsiao", "persistence", "anderson_hsiao", "Anderson–Hsiao IV", ("H6",),
                           "Anderson–Hsiao")
WITHIN = ModelSpec("within", "persistence", "within", "Within (FE)", ("H6",), "feols")
H8_ASINH = ModelSpec("h8_asinh", "allocation_transition", "asinh_ols", "asinh OLS", ("H8",), "feols")
H8_PPML = ModelSpec("h8_ppml", "allocation_transition", "ppml", "PPML", ("H8",), "fepois")
H8_SECTOR = ModelSpec("h8_sector_ppml", "allocation_transition", "sector_ppml", "PPML with the unit's sector",
                      ("H8",), "fepois")
H8_GAP = ModelSpec("h8_gap_ppml", "allocation_transition", "vertical_gap_ppml", "PPML, one-sided gap", ("H8",),
                   "one-sided test")
_H9 = {"analysis": "matching", "hypotheses": ("H9",)}
H9_LOGIT_CAMPAIGN = ModelSpec("h9_logit_campaign", result="logits.campaign",
                              label="Endowment index (logit coefficient) campaign", estimator="logit", **_H9)
H9_LOGIT_TRANSITION = ModelSpec("h9_logit_transition", result="logits.transition",
                                label="Endowment index (logit coefficient) transition", estimator="logit", **_H9)
H9_AME_CAMPAIGN = ModelSpec("h9_ame_campaign", result="logits.campaign.marginal_effects",
                            label="Average marginal effect campaign", estimator="logit", **_H9)
H9_AME_TRANSITION = ModelSpec("h9_ame_transition", result="logits.transition.marginal_effects",
                              label="Average marginal effect transition", estimator="logit", **_H9)
MATCHING_LEVEL = ModelSpec("matching_level", result="matching_index", label="matching level",
                           estimator="Spearman ρ", **_H9)
MATCHING_STRENGTH = ModelSpec("matching_strength", result="matching_index", label="matching strength",
                              estimator="Spearman ρ", **_H9)
_H10 = {"analysis": "returns", "hypotheses": ("H10",)}
H10_IV_COLLECTIVE = ModelSpec("h10_iv_log_collective_income", result="iv.log_collective_income.iv",
                              label="iv log_collective_income", estimator="2SLS", **_H10)
H10_IV_PER_CAPITA = ModelSpec("h10_iv_log_per_capita_income", result="iv.log_per_capita_income.iv",
                              label="iv log_per_capita_income", estimator="2SLS", **_H10)
H10_OLS_COLLECTIVE = ModelSpec("h10_ols_log_collective_income", result="iv.log_collective_income.ols",
                               label="ols log_collective_income", estimator="feols", **_H10)
H10_OLS_PER_CAPITA = ModelSpec("h10_ols_log_per_capita_income", result="iv.log_per_capita_income.ols",
                               label="ols log_per_capita_income", estimator="feols", **_H10)
H10_HETEROGENEITY_COLLECTIVE = ModelSpec(
    "h10_heterogeneity_log_collective_income", result="heterogeneity.log_collective_income.iv",
    label="heterogeneity log_collective_income", estimator="2SLS", **_H10)
H10_HETEROGENEITY_PER_CAPITA = ModelSpec(
    "h10_heterogeneity_log_per_capita_income", result="heterogeneity.log_per_capita_income.iv",
    label="heterogeneity log_per_capita_income", estimator="2SLS", **_H10)
H10_MARGINAL_RETURN = ModelSpec("h10_marginal_return", result="marginal_returns",
                                label="marginal return per 10,000 yuan", estimator="delta method", **_H10)
H10_ARRIVAL_SENSITIVITY = ModelSpec("h10_arrival_sensitivity", result="arrival_universal",
                                    label="arrival, sensitivity", estimator="HonestDiD", **_H10)
H10_ARRIVAL_DYNAMIC = ModelSpec("h10_arrival_dynamic", result="arrival_dynamic", label="arrival, by event time",
                                estimator="att_gt", **_H10)
H10_ARRIVAL_SIMPLE = ModelSpec("h10_arrival_simple", result="arrival_simple", label="arrival, average",
                               estimator="att_gt", **_H10)

H9_LOGIT_CHANGE = ModelSpec("h9_logit_change", result="change", label="Change at 2021 (pooled logit)",
                            estimator="logit", **_H9)
_SOURCE = {"analysis": "county_matching", "hypotheses": ("H11",), "estimator": "fepois", "terms": LEVEL_TERMS,
           "fixed_effects": "county_year", "key_term": "city"}
COUNTY_CAMPAIGN = ModelSpec("county_campaign_ppml", result="county_campaign", label="County funding, campaign",
                            outcome="funding_county", periods=("campaign",), **_SOURCE)
COUNTY_TRANSITION = ModelSpec("county_transition_ppml", result="county_transition",
                              label="County funding, transition", outcome="funding_county", periods=("transition",),
                              **_SOURCE)
UNIT_TRANSITION = ModelSpec("unit_transition_ppml", result="unit_transition", label="Unit funding, transition",
                            outcome="funding_unit", periods=("transition",), **_SOURCE)
LAGGED_PPML = ModelSpec("lagged_ppml", "performance", "ppml", "Funding (PPML)", ("H6",), "fepois")
LAGGED_ASINH = ModelSpec("lagged_asinh", "performance", "asinh_ols", "asinh(funding)", ("H6",), "feols")
BETA_CONVERGENCE = ModelSpec("beta_convergence", "divergence", "beta", "Growth of log collective income", ("H6",),
                             "feols")
INDUSTRY_SURVIVAL = ModelSpec("industry_survival", "industry", "after_departure", "Industry still active (LPM)",
                              ("H10",), "feols")
UNIT_EFFECTS = ModelSpec("unit_effects_asinh", "selection", "unit_effects", "Unit fixed effects, transition",
                         ("H1", "H3"), "feols")
ROTATION = ModelSpec("rotation_asinh", "selection", "rotation", "Rotation: changes of the sending unit", ("H1", "H3"),
                     "feols")
SPILLOVER_NONE = ModelSpec("spillover_none", "spillover", "without_exposure", "County funding, no exposure",
                           ("H5",), "fepois")
SPILLOVER_DESIGNATION = ModelSpec("spillover_designation", "spillover", "designation_exposure",
                                  "County funding, exposure to designation", ("H5",), "fepois")
SPILLOVER_BOTH = ModelSpec("spillover_both", "spillover", "both_exposures", "County funding, both exposures",
                           ("H5",), "fepois")
SPILLOVER_TOTAL = ModelSpec("spillover_total", "spillover", "total_funding", "Total funding, both exposures",
                            ("H5",), "fepois")
SPILLOVER_INCOME = ModelSpec("spillover_income", "spillover", "neighbour_income",
                             "Log collective income (以点带面)", ("H5",), "feols")
MISMATCH_RETURNS = ModelSpec("mismatch_returns", "mismatch", "returns", "log collective income", ("H10",), "feols")

MODEL_SPECS: dict[str, ModelSpec] = {m.id: m for m in globals().copy().values() if isinstance(m, ModelSpec)}


def models_of(analysis: str) -> list[ModelSpec]:
    """Return the models an analysis estimates, in the order they are declared."""
    return [m for m in MODEL_SPECS.values() if m.analysis == analysis]


def sensitivity_id(model: ModelSpec, restriction: Restriction) -> str:
    """Return the id of a model's sensitivity analysis under ``restriction`` (the model's id and the suffix)."""
    return model.id + restriction.id_suffix


# --- outputs --------------------------------------------------------------------------------------------------

Section = Literal["claims", "data", "results", "consequences", "policy", "truth"]


@dataclass(frozen=True)
class OutputSpec:
    """One table or figure of the paper.

    Attributes
    ----------
    stem : str
        File stem (``table3_level_endowment``: .csv, .md and .tex; a figure: .png and .pdf).
    kind : {"table", "figure"}
    title, title_zh : str
        Title in English and Chinese.
    needs : tuple of str
        Analyses it needs (each estimated once per build, shared by every output that needs it).
    writer : str
        ``module:function`` that formats it from an :class:`~villageaid.report.context.OutputContext`: a table
        writer returns (tidy numbers, formatted table), a figure writer (figure, the numbers it draws or None).
    models : tuple of ModelSpec
        The models it shows, in order.
    section : str
        Section of the paper it appears in.
    label : str
        LaTeX label of a table.
    caption : str
        Caption of a figure in the paper (LaTeX; the data label is added); for a table written by the generic
        writer (``villageaid.report.tables:models_table``), the note on what it shows.
    width : str
        Width of a figure in the paper (fraction of the line width).
    data_stem : str or None
        Stem of a figure's CSV of numbers (default: its own stem).
    program : str
        The modules that estimate it, for the replication package's table of programs.
    editions : {"all", "simulated"}
        Written in every edition, or only where the data are simulated (it shows their truth).
    reads : {"analyses", "tables"}
        What its writer formats: the analyses' results, or (written after every other output) the tidy tables
        of the others, as the paper's text does.
    """

    stem: str
    kind: Literal["table", "figure"]
    title: str
    title_zh: str
    needs: tuple[str, ...]
    writer: str
    models: tuple[ModelSpec, ...] = ()
    section: Section = "results"
    label: str = ""
    caption: str = ""
    width: str = "0.85"
    data_stem: str | None = None
    program: str = ""
    editions: Literal["all", "simulated"] = "all"
    reads: Literal["analyses", "tables"] = "analyses"


_R = "villageaid.report"
TABLE1 = OutputSpec(
    "table1_typology", "table", "Table 1. Village types by dispatching-unit level and village endowment",
    "表1 按派出单位层级与村庄禀赋划分的村庄类型", needs=(), writer=f"{_R}.tables:table1", section="data",
    label="tab:typology", program="analysis/typology.py")
TABLE2 = OutputSpec(
    "table2_descriptives", "table", "Table 2. Descriptive statistics by village type and period",
    "表2 分类型、分时期的描述统计", needs=(), writer=f"{_R}.tables:table2", section="data", label="tab:descriptives",
    program="analysis/descriptives.py")
FIGURE_FUNDING_BY_TYPE = OutputSpec(
    "figure_funding_by_type", "figure", "Mean funding by village type", "各类型村庄的平均帮扶资金", needs=(),
    writer=f"{_R}.paper_figures:write_funding_by_type", section="data", data_stem="",
    caption="Mean funding by village type, with 95\\% intervals", program="analysis/descriptives.py")
TABLE3 = OutputSpec(
    "table3_level_endowment", "table", "Table 3. Unit level, village endowment and funding (H1–H3)",
    "表3 单位层级、村庄禀赋与帮扶资金（H1–H3）", needs=("allocation_transition", "allocation_campaign"),
    writer=f"{_R}.allocation_tables:table3",
    models=(TRANSITION_ASINH, TRANSITION_PPML, TRANSITION_TYPES, CAMPAIGN_ASINH, CAMPAIGN_PPML, CAMPAIGN_TYPES),
    label="tab:level-endowment", program="analysis/allocation.py")
TABLE3B = OutputSpec(
    "table3b_selection", "table", "Table 3b. Units choose villages: unit fixed effects and rotations (H1, H3)",
    "表3b 单位选择村庄：派出单位固定效应与轮换设计（H1、H3）", needs=("selection",),
    writer=f"{_R}.tables:models_table", models=(UNIT_EFFECTS, ROTATION), label="tab:selection",
    program="analysis/selection.py",
    caption="Against the selection of villages by units (the source paper: a city-level secretary is sent where a "
            "village was already chosen). Column 1: asinh(funding), 2021–2025, with county × year and "
            "first-secretary-unit fixed effects, so that a unit is compared with itself: the unit's level and "
            "strength are absorbed, and rich and city × rich say whether the same unit's richer village gets "
            "more. Column 2: the year-on-year change of asinh(funding) on the change of the first secretary's "
            "level, strength and city × rich (with the changes at 2021 of the effects of level, richness, endowment "
            "and need, because the national re-selection fell in 2021, and the members' strength and designation), "
            "with county × year effects: only changes of the sending unit move these terms, successors from the "
            "same unit are the comparison, and every fixed trait of a village differences out.")
TABLE4 = OutputSpec(
    "table4_logic_shift", "table", "Table 4. The logic shift after 2021 (H4)", "表4 2021年后的逻辑转换（H4）",
    needs=("logic_shift",), writer=f"{_R}.allocation_tables:table4", models=(SHIFT_ASINH, SHIFT_LOG1P, SHIFT_PPML),
    label="tab:logic-shift", program="analysis/logic_shift.py")
TABLE5 = OutputSpec(
    "table5_event_study", "table",
    "Table 5. Event studies: rich × year, city-level × year and city-level × rich × year (2020 = 0)",
    "表5 事件研究：富裕村×年份、市级单位×年份与市级单位×富裕村×年份（2020年为基准）",
    needs=("logic_shift", "logic_shift_power"),
    writer=f"{_R}.event_study_tables:table5",
    models=(RICH_ASINH, CITY_ASINH, RICH_PPML, CITY_PPML, TRIPLE_ASINH),
    label="tab:event-study", program="analysis/logic_shift.py, estimators/event_study.py")
TABLE5B = OutputSpec(
    "table5b_sensitivity", "table", "Table 5b. Sensitivity of the 2021 effect to violations of parallel trends (H4)",
    "表5b 2021年效应对平行趋势偏离的敏感性（H4）", needs=("logic_shift", "logic_shift_sensitivity"),
    writer=f"{_R}.event_study_tables:table5b", models=(RICH_ASINH, RICH_PPML, TRIPLE_ASINH),
    label="tab:sensitivity",
    program="analysis/logic_shift.py, estimators/honest.py")
FIGURE_SENSITIVITY = OutputSpec(
    "figure_sensitivity", "figure", "Sensitivity to violations of parallel trends", "对平行趋势偏离的敏感性",
    needs=("logic_shift", "logic_shift_sensitivity"), writer=f"{_R}.paper_figures:write_h4_sensitivity",
    models=(RICH_ASINH, RICH_PPML), data_stem="", width="0.9", program="estimators/honest.py",
    caption="Robust 95\\% intervals for the 2021 effect of richness against the smoothness bound $M$ and the "
            "relative-magnitudes bound $\\bar{M}$, beside the original interval \\citep{RambachanRoth2023}")
FIGURE_EVENT_STUDY = OutputSpec(
    "figure_event_study", "figure", "Event studies", "事件研究", needs=("logic_shift",),
    writer=f"{_R}.paper_figures:write_event_study", models=(RICH_ASINH, CITY_ASINH), width="1",
    caption="Event studies of rich $\\times$ year and city-level $\\times$ year, 2020 = 0",
    program="analysis/logic_shift.py")
TABLE6 = OutputSpec(
    "table6_demonstration", "table",
    "Table 6. Demonstration villages: TWFE, Sun–Abraham and Callaway–Sant'Anna (H5)",
    "表6 示范村：双向固定效应、Sun–Abraham 与 Callaway–Sant'Anna（H5）", needs=("demonstration",),
    writer=f"{_R}.event_study_tables:table6", models=(TWFE_DYNAMIC, SUN_ABRAHAM, CS_NEVER, CS_NOT_YET),
    label="tab:demonstration", program="analysis/demonstration.py, estimators/staggered.py")
FIGURE_DESIGNATION_DYNAMIC = OutputSpec(
    "figure_demonstration_dynamic", "figure", "Effects of designation", "认定为示范村的效应",
    needs=("demonstration",), writer=f"{_R}.paper_figures:write_designation_dynamic", models=(CS_NOT_YET, SUN_ABRAHAM),
    caption="Effects of designation by years since designation, with the 95\\% uniform band",
    program="analysis/demonstration.py")
TABLE6C = OutputSpec(
    "table6c_sensitivity", "table",
    "Table 6c. Sensitivity of the effect of designation to violations of parallel trends (H5)",
    "表6c 示范村效应对平行趋势偏离的敏感性（H5）", needs=("demonstration", "demonstration_sensitivity"),
    writer=f"{_R}.event_study_tables:table6c", models=(CS_UNIVERSAL,), label="tab:sensitivity-demonstration",
    program="analysis/demonstration.py, estimators/honest.py")
FIGURE_SENSITIVITY_DESIGNATION = OutputSpec(
    "figure_sensitivity_demonstration", "figure", "Sensitivity of the effect of designation", "示范村效应的敏感性",
    needs=("demonstration", "demonstration_sensitivity"), writer=f"{_R}.paper_figures:write_h5_sensitivity",
    models=(CS_UNIVERSAL,), data_stem="", width="0.6", program="estimators/honest.py",
    caption="Robust 95\\% intervals for the effect of designation in its first year against $M$ and $\\bar{M}$, "
            "beside the original interval")
TABLE6B = OutputSpec(
    "table6b_persistence", "table", "Table 6b. The strong get stronger: persistence of funding (H6)",
    "表6b 强者愈强：帮扶资金的持续性（H6）", needs=("persistence",), writer=f"{_R}.consequence_tables:table6b",
    models=(ANDERSON_HSIAO, WITHIN), label="tab:persistence",
    program="analysis/persistence.py, estimators/dynamic_panel.py")
TABLE7 = OutputSpec(
    "table7_inequality", "table", "Table 7. Inequality of funding between villages (H7)",
    "表7 村庄间帮扶资金的不平等（H7）", needs=("inequality",), writer=f"{_R}.consequence_tables:table7",
    label="tab:inequality", program="analysis/inequality.py")
FIGURE_INEQUALITY = OutputSpec(
    "figure_inequality", "figure", "Inequality by year", "逐年不平等", needs=("inequality",),
    writer=f"{_R}.paper_figures:write_inequality", width="1", data_stem="figure_inequality_lorenz",
    caption="Gini and Theil T by year, and Lorenz curves", program="analysis/inequality.py")
TABLE8 = OutputSpec(
    "table8_level_strength_matching", "table",
    "Table 8. Vertical and horizontal gaps (H8) and who gets the strong units, and its change at 2021 (H9)",
    "表8 纵向与横向差距（H8）与强势单位的去向（H9）", needs=("allocation_transition", "matching"),
    writer=f"{_R}.allocation_tables:table8",
    models=(H8_ASINH, H8_PPML, H8_GAP, H8_SECTOR, H9_LOGIT_CAMPAIGN, H9_LOGIT_TRANSITION, H9_AME_CAMPAIGN,
            H9_AME_TRANSITION, H9_LOGIT_CHANGE, MATCHING_LEVEL, MATCHING_STRENGTH), label="tab:level-strength-matching",
    program="analysis/allocation.py, analysis/matching.py")
FIGURE_MATCHING = OutputSpec(
    "figure_matching", "figure", "Assortative matching", "选择性匹配", needs=("matching",),
    writer=f"{_R}.paper_figures:write_matching", caption="Assortative matching by year", program="analysis/matching.py")
FIGURE_COEFFICIENTS = OutputSpec(
    "figure_coefficients", "figure", "Main PPML coefficients", "主要 PPML 系数",
    needs=("allocation_transition", "allocation_campaign", "logic_shift"),
    writer=f"{_R}.paper_figures:write_coefficients",
    models=(TRANSITION_PPML, CAMPAIGN_PPML, SHIFT_PPML), caption="Main PPML coefficients with 95\\% intervals",
    program="analysis/allocation.py, analysis/logic_shift.py")
TABLE8B = OutputSpec(
    "table8b_returns", "table", "Table 8b. What the money does: returns to funding (H10)",
    "表8b 资金的作用：帮扶资金的回报（H10）", needs=("returns", "returns_sensitivity"),
    writer=f"{_R}.consequence_tables:table8b",
    models=(H10_IV_COLLECTIVE, H10_IV_PER_CAPITA, H10_OLS_COLLECTIVE, H10_OLS_PER_CAPITA, H10_HETEROGENEITY_COLLECTIVE,
            H10_HETEROGENEITY_PER_CAPITA, H10_MARGINAL_RETURN, H10_ARRIVAL_SENSITIVITY, H10_ARRIVAL_DYNAMIC,
            H10_ARRIVAL_SIMPLE), section="consequences", label="tab:returns",
    program="analysis/returns.py, estimators/iv.py")
FIGURE_ARRIVAL = OutputSpec(
    "figure_arrival", "figure", "Arrival of a city-level first secretary", "市级第一书记的到来", needs=("returns",),
    writer=f"{_R}.paper_figures:write_arrival", models=(H10_ARRIVAL_DYNAMIC,), section="consequences", width="0.75",
    program="analysis/returns.py",
    caption="Effect of the first city-level first secretary on log collective income by years since arrival "
            "(Callaway--Sant'Anna, never-treated controls")
TABLE9 = OutputSpec(
    "table9_policies", "table", "Table 9. What the recommendations would change: allocation policies",
    "表9 政策建议会带来什么变化：资源配置政策", needs=("policy",), writer=f"{_R}.consequence_tables:table9",
    section="policy", label="tab:policies", program="analysis/policy.py, analysis/policy_inputs.py")
FIGURE_FRONTIER = OutputSpec(
    "figure_cap_curve", "figure", "County pooling: the cap curve under four return shapes",
    "县级统筹：集中上限曲线（四种回报形态）", needs=("policy",),
    writer=f"{_R}.paper_figures:write_cap_curve", section="policy", width="0.95",
    program="analysis/policy.py, analysis/policy_rules.py",
    caption="County pooling as its concentration cap varies from 1$\\times$ the county mean to no cap: the change in "
            "need-weighted welfare (left) and in collective income (right) against the Gini of funding within "
            "counties, one curve per return shape (linear, concave as estimated, complementarity, lumpy "
            "projects), with the named policies under the estimated shape; a curve, not a frontier: which end is "
            "better depends on the shape")

_S = "villageaid.report.stated_tables"
TABLE1B = OutputSpec(
    "table1b_typology_cutoffs", "table", "Table 1b. The typology under three rich/poor cut-offs",
    "表1b 不同贫富划分标准下的村庄类型", needs=(), writer=f"{_S}:table1b", section="data", label="tab:typology-cutoffs",
    program="analysis/typology.py, panel/endowment.py")
TABLE6D = OutputSpec(
    "table6d_strong_get_stronger", "table",
    "Table 6d. The strong get stronger, as stated: funding on last year's results, and divergence (H6)",
    "表6d 强者愈强：资源追随既有成绩与村庄分化（H6）", needs=("performance", "divergence"),
    writer=f"{_S}:table6d", models=(LAGGED_PPML, LAGGED_ASINH, BETA_CONVERGENCE), label="tab:strong-stronger",
    program="analysis/performance.py")
TABLE6E = OutputSpec(
    "table6e_spillover", "table", "Table 6e. Diversion and demonstration: exposure to designated neighbours (H5)",
    "表6e 虹吸与带动：同镇示范村对邻村的影响（H5）", needs=("spillover",), writer=f"{_R}.tables:models_table",
    models=(SPILLOVER_NONE, SPILLOVER_DESIGNATION, SPILLOVER_BOTH, SPILLOVER_TOTAL, SPILLOVER_INCOME),
    label="tab:spillover", program="analysis/spillover.py",
    caption="Exposure design (treated, exposed-untreated and unexposed villages): exposure_designation is, for a "
            "village not designated, the share of the other villages of its township designated demonstration "
            "villages by that year (0 for a designated village); exposure_city the same share with a city-level "
            "first secretary. Columns 1–4: PPML of county funding (县级配套) and, in column 4, total funding, with "
            "village and county × year fixed effects and the designation and H4 terms; a negative exposure "
            "coefficient is money diverted from the neighbours of designated villages (示范村虹吸). Column 5: OLS "
            "of log collective income on the same terms, the demonstration effect on neighbours (以点带面). "
            "Identifying assumption: exposure changes as cohorts are designated, and no other township-level change "
            "coincides with a designation; the design needs townships with both designated and never-designated "
            "villages over several years.")
TABLE7B = OutputSpec(
    "table7b_concentration", "table", "Table 7b. Where the money sits: concentration by endowment and by need (H7)",
    "表7b 资金集中于谁：按禀赋与按需求的集中指数（H7）", needs=("concentration",), writer=f"{_S}:table7b",
    label="tab:concentration", program="analysis/concentration.py, estimators/concentration.py")
TABLE8C = OutputSpec(
    "table8c_county_matching", "table", "Table 8c. County matching funds follow strong units (H11)",
    "表8c 县级配套资金追随强势单位（H11）", needs=("county_matching",), writer=f"{_R}.tables:models_table",
    models=(COUNTY_CAMPAIGN, COUNTY_TRANSITION, UNIT_TRANSITION), label="tab:county-matching",
    program="analysis/county_matching.py",
    caption="H11 (县级配套): funding by source on the Table 3 terms, Poisson pseudo-ML with county × year "
            "effects. The claim is the city-level secretary's coefficient on the county's money in the transition "
            "(> 0); the unit's own money is beside it. Members' strength (the team's members, strong 2 ... "
            "marginal 0) and its product with a city-level secretary (centred at general strength) are the team "
            "alliance, 多级合治 (H12).")
TABLE8D = OutputSpec(
    "table8d_industry_mismatch", "table",
    "Table 8d. Consequences as stated: industries after the unit leaves, and 低效 as mismatch (H10)",
    "表8d 后果：帮扶单位撤离后的产业存续与资源需求错配的低效（H10）", needs=("industry", "mismatch"),
    writer=f"{_S}:table8d", models=(INDUSTRY_SURVIVAL, MISMATCH_RETURNS), section="consequences",
    label="tab:industry-mismatch", program="analysis/industry.py, analysis/mismatch.py")

TABLE10 = OutputSpec(
    "table10_recovery", "table", "Table 10. The estimates beside the truth of the simulation",
    "表10 估计值与模拟真值对照", needs=(), writer=f"{_R}.recovery:table10", section="truth", label="tab:recovery",
    editions="simulated", reads="tables", program="analysis/truth.py")

TABLE0 = OutputSpec(
    "table0_claims", "table", "Table 0. The source paper's arguments and what tests them",
    "表0 原文的论点及其检验", needs=("claim_family",), writer="villageaid.report.claims:table0", section="claims",
    label="tab:claims", reads="tables",
    program="registry.py (ARGUMENTS), report/claims.py, analysis/claim_family.py")

#: Every output, in the order the paper places them.
OUTPUTS: tuple[OutputSpec, ...] = (
    TABLE1, TABLE1B, TABLE2, FIGURE_FUNDING_BY_TYPE, TABLE3, TABLE3B, TABLE4, TABLE5, TABLE5B, FIGURE_SENSITIVITY,
    FIGURE_EVENT_STUDY, TABLE6, FIGURE_DESIGNATION_DYNAMIC, TABLE6C, FIGURE_SENSITIVITY_DESIGNATION, TABLE6B, TABLE6D,
    TABLE6E, TABLE7, TABLE7B, FIGURE_INEQUALITY, TABLE8, FIGURE_MATCHING, FIGURE_COEFFICIENTS, TABLE8C, TABLE8B,
    TABLE8D, FIGURE_ARRIVAL, TABLE9, FIGURE_FRONTIER, TABLE10, TABLE0)

#: The outputs by stem.
OUTPUTS_BY_STEM: dict[str, OutputSpec] = {o.stem: o for o in OUTPUTS}


def output_showing(model: ModelSpec) -> OutputSpec:
    """Return the first table that shows ``model`` (where its numbers are read)."""
    return next(o for o in OUTPUTS if o.kind == "table" and model in o.models)


# --- key numbers ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class KeyEstimate:
    """One number of the paper.

    Attributes
    ----------
    name : str
        For a model's number, what it is within the model (``city_x_rich``); its stable key :attr:`id` is
        ``analysis.model_id.name.column``. For a table's number, the whole key.
    hypothesis : str
        H1–H10.
    source : ModelSpec or OutputSpec
        The model whose row holds it (read from the first table showing the model, ``model_id`` added to
        ``where``), or a table whose rows are not models.
    where : dict
        Identifier columns (term, event_time, ...) selecting one row.
    column : str
        Column of that row (estimate, std_error, villages, gini, change).
    claim : int
        Direction the paper's claim predicts: +1, -1, or 0 for a descriptive number.
    scale : str
        How to describe the size: "semi_elasticity" (PPML, log points), "asinh", "elasticity", "index",
        "logit", "return" (log outcome on asinh funding), "return_change", "per_growth" (PPML per unit of
        lagged log growth), "count" or "plain".
    description : str
        What the number is, for the text.
    macro : str or None
        LaTeX macro (in ``key_numbers.tex``) quoting it.
    truth : str or None
        In a simulated edition, where ``truth.json`` → ``effects`` holds its true value (a dotted path); the
        formula models' terms find theirs by term (:mod:`villageaid.analysis.truth`).
    truth_approximate : bool
        The true value is an approximation on the estimator's scale.
    one_sided : bool
        The interval's ends are one-sided 95% bounds (the claim is directional and tested one-sided).
    """

    name: str
    hypothesis: str
    source: ModelSpec | OutputSpec
    where: dict
    column: str
    claim: int = 0
    scale: str = "plain"
    description: str = ""
    macro: str | None = None
    digits: int = 3
    interval: tuple[str, str] | None = ("conf_low", "conf_high")
    truth: str | None = None
    truth_approximate: bool = False
    one_sided: bool = False

    @property
    def id(self) -> str:
        """Stable key of the number (in ``expected.json`` and replication reports)."""
        if isinstance(self.source, OutputSpec):
            return self.name
        family = self.source.analysis.removesuffix("_transition").removesuffix("_campaign")
        return f"{family}.{self.source.id}.{self.name}.{self.column}"

    @property
    def file(self) -> str:
        """The tidy CSV that holds the number."""
        table = self.source if isinstance(self.source, OutputSpec) else output_showing(self.source)
        return f"{table.stem}.csv"

    @property
    def selection(self) -> dict:
        """The identifier columns that select its row (``model_id`` first for a model)."""
        if isinstance(self.source, ModelSpec):
            return {"model_id": self.source.id, **self.where}
        return dict(self.where)


KEY_ESTIMATES: tuple[KeyEstimate, ...] = (
    KeyEstimate("typology.transition.A.villages", "H3", TABLE1,
                {"period": "transition", "county": "All", "village_type": "A"}, "villages", scale="count",
                description="type-A villages (city-level unit, rich) in 2021–2025", interval=None),
    KeyEstimate("typology.transition.C.villages", "H3", TABLE1,
                {"period": "transition", "county": "All", "village_type": "C"}, "villages", scale="count",
                description="type-C villages (county-level unit, poor) in 2021–2025", interval=None),
    KeyEstimate("city_x_rich", "H3", TRANSITION_PPML, {"term": "city_x_rich"},
                "estimate", claim=+1, scale="semi_elasticity", macro="HThreeTransition",
                description="the strong-alliance coefficient (city-level unit × rich village, PPML) in 2021–2025"),
    KeyEstimate("city_x_rich", "H3", TRANSITION_PPML, {"term": "city_x_rich"},
                "std_error", macro="HThreeTransitionSE", description="its standard error", interval=None),
    KeyEstimate("rich_village", "H2", CAMPAIGN_PPML, {"term": "rich_village"},
                "estimate", claim=-1, scale="semi_elasticity", macro="HTwoCampaign",
                description="funding of rich villages against others in the campaign (PPML)"),
    KeyEstimate("rich_village", "H2", TRANSITION_PPML, {"term": "rich_village"},
                "estimate", claim=+1, scale="semi_elasticity", macro="HTwoTransition",
                description="funding of rich villages against others in 2021–2025 (PPML)"),
    KeyEstimate("city", "H1", TRANSITION_PPML, {"term": "city"}, "estimate",
                claim=+1, scale="semi_elasticity", macro="HOneTransition",
                description="funding of villages with a city-level first secretary in 2021–2025 (PPML)"),
    KeyEstimate("post_rich", "H4", SHIFT_PPML, {"term": "post:rich_village"},
                "estimate", claim=+1, scale="semi_elasticity", macro="HFourPostRich",
                description="the change after 2021 in the funding of rich villages (post × rich, PPML)"),
    KeyEstimate("post_city_x_rich", "H4", SHIFT_PPML, {"term": "post:city_x_rich"},
                "estimate", claim=+1, scale="semi_elasticity", macro="HFourTriple",
                description="the change after 2021 of the strong alliance (post × city-level × rich, PPML)"),
    KeyEstimate("post_rich", "H4", SHIFT_ASINH, {"term": "post:rich_village"},
                "estimate", claim=+1, scale="asinh", description="post × rich in the asinh OLS model"),
    KeyEstimate("e0", "H5", CS_NOT_YET, {"event_time": 0}, "estimate", claim=+1,
                scale="asinh", macro="HFiveCS",
                description="the Callaway–Sant'Anna effect of designation as a demonstration village in its first "
                            "year (not-yet-treated controls)", truth="asinh_approx.H5_at_designation",
                truth_approximate=True),
    KeyEstimate("lag", "H6", ANDERSON_HSIAO, {"term": "L.log_unit_funding"},
                "estimate", claim=0, scale="elasticity", macro="HSixPersistence",
                description="the persistence of unit funding (Anderson–Hsiao coefficient of its lag; descriptive: "
                            "persistence is not the claim that results attract resources)",
                truth="H6_funding_shock_persistence"),
    KeyEstimate("inequality.by_year.2025.gini", "H7", TABLE7, {"table": "by_year", "year": 2025}, "gini",
                scale="index", macro="HSevenGini", description="the Gini coefficient of funding in 2025",
                interval=("gini_low", "gini_high")),
    KeyEstimate("inequality.change.theil", "H7", TABLE7, {"table": "change", "measure": "theil"}, "change",
                claim=0, scale="index", macro="HSevenTheilChange",
                description="the change in the Theil index between the campaign and the transition (descriptive: "
                            "inequality cannot tell whom the money favours)"),
    KeyEstimate("endowment", "H9", H9_LOGIT_TRANSITION,
                {"term": "endowment_index"}, "estimate", claim=0, scale="logit", macro="HNineSlope",
                description="the logit slope of city-level assignment on the endowment index in 2021–2025",
                truth="H9_assignment_logit_slope.transition"),
    KeyEstimate("funding", "H10", H10_IV_COLLECTIVE,
                {"term": "asinh_funding_total"}, "estimate", claim=+1, scale="return", macro="HTenReturn",
                description="the return to funding on log collective income (2SLS, coefficient of asinh(funding))",
                truth="H10_returns.mean_return_log_collective_income", truth_approximate=True),
    KeyEstimate("interaction", "H10",
                H10_HETEROGENEITY_COLLECTIVE, {"term": "asinh_funding_x_endowment"}, "estimate", claim=-1,
                scale="return_change", macro="HTenInteraction",
                description="how the return to funding on log collective income changes with the endowment index "
                            "(2SLS, asinh(funding) × endowment index: the heterogeneity of returns, not the paper's "
                            "低效, which is the mismatch of resources and needs)",
                truth="H10_returns.log_collective_income.asinh_funding_x_endowment_index"),
)

KEY_ESTIMATES += (
    KeyEstimate("exposure_designation", "H5", SPILLOVER_DESIGNATION, {"term": "exposure_designation"}, "estimate",
                claim=-1, scale="semi_elasticity", macro="HFiveDiversion",
                description="county funding of a village not designated on the share of its township's other "
                            "villages designated (PPML; the diversion of county money, 示范村虹吸)",
                truth="spillover_designation_county"),
    KeyEstimate("exposure_designation", "H5", SPILLOVER_INCOME, {"term": "exposure_designation"}, "estimate",
                claim=+1, scale="plain", macro="HFiveNeighbours",
                description="log collective income of a village not designated on the share of its township's other "
                            "villages designated (OLS; the demonstration effect on neighbours, 以点带面)",
                truth="spillover_designation_income"),
)

KEY_ESTIMATES += (
    KeyEstimate("need_index", "H2", CAMPAIGN_PPML, {"term": "need_index"}, "estimate", claim=+1,
                scale="semi_elasticity", macro="HTwoNeed",
                description="the need gradient of funding in the campaign (PPML, per standard deviation of the need "
                            "index): 雨露均沾 as need-graded targeting"),
    KeyEstimate("deep_poverty", "H2", CAMPAIGN_PPML, {"term": "deep_poverty"}, "estimate", claim=+1,
                scale="semi_elasticity", macro="HTwoDeep",
                description="funding of deep-poverty villages (深度贫困村) against others of the same need in the "
                            "campaign (PPML)"),
    KeyEstimate("post_need", "H4", SHIFT_PPML, {"term": "post:need_index"}, "estimate", claim=-1,
                scale="semi_elasticity", macro="HFourNeed",
                description="the change after 2021 of the need gradient of funding (post × need index, PPML)"),
    KeyEstimate("post_endowment", "H4", SHIFT_PPML, {"term": "post:endowment_index"}, "estimate", claim=+1,
                scale="semi_elasticity", macro="HFourEndowment",
                description="the change after 2021 of the endowment gradient of funding (post × endowment index, "
                            "PPML)"),
    KeyEstimate("post_lag_growth", "H6", LAGGED_PPML, {"term": "post:lag_growth"}, "estimate", claim=+1,
                scale="per_growth", macro="HSixResults",
                description="how much more funding follows last year's growth of collective income after 2021 "
                            "(post × lagged growth, PPML): results attract resources",
                truth="H6_post_x_lagged_growth", truth_approximate=True),
    KeyEstimate("divergence", "H6", BETA_CONVERGENCE, {"term": "transition:log_initial"}, "estimate", claim=+1,
                scale="plain", macro="HSixDivergence",
                description="the change in β of collective-income growth on its starting level after 2021 (> 0: "
                            "villages diverge)"),
    KeyEstimate("concentration.change.endowment", "H7", TABLE7B,
                {"table": "change", "ranking": "endowment", "form": "standard"}, "change", claim=+1, scale="index",
                macro="HSevenConcEndowment",
                description="the change at 2021 of the concentration index of funding ranked by endowment",
                truth="H7_concentration.endowment", truth_approximate=True),
    KeyEstimate("concentration.change.need", "H7", TABLE7B,
                {"table": "change", "ranking": "need", "form": "standard"}, "change", claim=+1, scale="index",
                macro="HSevenConcNeed",
                description="the change at 2021 of the concentration index of funding ranked from the neediest",
                truth="H7_concentration.need", truth_approximate=True),
    KeyEstimate("vertical_over_horizontal", "H8", H8_GAP, {"term": "city - strong"}, "estimate", claim=+1,
                scale="semi_elasticity", macro="HEightGap",
                description="the vertical gap minus the horizontal one (city-level minus strong-department "
                            "coefficient, PPML, 2021–2025)", truth="H8_city_minus_strong.transition",
                one_sided=True),
    KeyEstimate("change", "H9", H9_LOGIT_CHANGE, {"term": "endowment_index:transition"}, "estimate", claim=+1,
                scale="logit", macro="HNineChange",
                description="the change at 2021 of the logit slope of city-level assignment on endowment",
                truth="H9_assignment_logit_change"),
    KeyEstimate("collapse", "H10", INDUSTRY_SURVIVAL, {"term": "post:weak"}, "estimate", claim=-1, scale="plain",
                macro="HTenIndustry",
                description="the change in the probability that the assisted industry is still active after the "
                            "unit left, in villages that are not rich against rich ones",
                truth="H10_industry_collapse.probability_change_weak_minus_rich", truth_approximate=True),
    KeyEstimate("unmatched", "H10", MISMATCH_RETURNS, {"term": "unmatched_share"}, "estimate", claim=-1,
                scale="plain", macro="HTenMismatch",
                description="log collective income against the share of funding whose projects serve no listed need "
                            "(低效 as mismatch)", truth="H10_mismatch.unmatched_share_on_log_collective_income"),
    KeyEstimate("city", "H11", COUNTY_TRANSITION, {"term": "city"}, "estimate", claim=+1,
                scale="semi_elasticity", macro="HElevenCounty",
                description="county funding of villages with a city-level first secretary in 2021–2025 (PPML): "
                            "county matching, 县级配套"),
    KeyEstimate("city_x_members", "H12", TRANSITION_PPML, {"term": "city_x_members"}, "estimate", claim=+1,
                scale="semi_elasticity", macro="HTwelveTeam",
                description="the team alliance (多级合治): a city-level secretary × the members' strength, PPML, "
                            "2021–2025"),
)

#: The key estimates by id.
BY_ID: dict[str, KeyEstimate] = {k.id: k for k in KEY_ESTIMATES}


def key_for(model: ModelSpec, term: str, column: str = "estimate") -> KeyEstimate:
    """Return the key estimate the paper quotes for ``term`` of ``model`` (its ``column``)."""
    matches = [k for k in KEY_ESTIMATES if k.source is model and k.where.get("term") == term and k.column == column]
    if len(matches) != 1:
        raise LookupError(f"no single key estimate for {model.id}, term {term!r}, column {column!r}")
    return matches[0]


# --- the source paper's arguments -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Argument:
    """One argument of the source paper (Lan & Cheng) and what tests it, or why county records cannot.

    Attributes
    ----------
    number : int
        Its number in the map of the paper's arguments.
    text, text_zh : str
        The argument, in English and in the paper's words.
    where : str
        Where the paper makes it.
    hypothesis : str
        The hypothesis id of this package (H1–H12, policy), or "" for what no hypothesis covers.
    test : str
        How it is tested, in words.
    keys : tuple of KeyEstimate
        The key estimates that test it; the claims table prints their verdicts.
    untestable : str
        What county records cannot show of it, and what data would test it ("" when the keys test all of it).
    """

    number: int
    text: str
    text_zh: str
    where: str
    hypothesis: str
    test: str
    keys: tuple[KeyEstimate, ...] = ()
    untestable: str = ""


ARGUMENTS: tuple[Argument, ...] = (
    Argument(1, "Resources are mainly project money, plus technical help, equipment, services and the cadre's social "
             "capital, from the unit, county matching and the cadre",
             "资源以项目资金为主，兼有技术、设备、服务与干部社会资本",
             "§二(二)", "H11", "funding by source and project type (Tables 2, 8c, 8d)",
             (key_for(COUNTY_TRANSITION, "city"),),
             "Non-monetary resources (technical help, equipment, the cadre's social capital) are not in funding "
             "ledgers: needs each unit's resource list (资源库) with what it supplied to which village."),
    Argument(2, "Vertical (level) gaps between units exceed horizontal (department) gaps", "纵向差距大于横向差距",
             "§二(二)", "H8", "one-sided test of the city-level against the strong-department coefficient, and the "
             "unit's sector where recorded (Table 8)",
             (key_for(H8_GAP, "city - strong"),),
             "The sector gaps (党政机关 / 事业单位 / 国有企业, from units.sector) are estimated beside it (Table 8) "
             "with a joint test, but the paper gives them no direction to test; with few units of each sector at "
             "each level, telling level from sector needs the postings of many counties."),
    Argument(3, "Typology A–D: A (city unit + advantaged village) very rare, C (county unit + weak village) most "
             "common, B and D more common than A", "A类极少，C类最常见", "lines 201–229", "H3",
             "type counts under three cut-offs (Tables 1, 1b)",
             (BY_ID["typology.transition.A.villages"], BY_ID["typology.transition.C.villages"])),
    Argument(4, "B (market competitiveness) and D (political competitiveness) capture more than C",
             "B类与D类比C类获得更多资源", "line 245", "H3", "types A, B, D against C (Table 3)",
             (key_for(TRANSITION_PPML, "city_x_rich"),)),
    Argument(5, "雨露均沾: bottom-line targeting graded by depth of poverty, not an equal split; withdrawn on exit",
             "雨露均沾：兜底、按贫困程度分级", "lines 258–265, 279, 329", "H2",
             "the need gradient of funding in the campaign and deep-poverty villages first (Table 3)",
             (key_for(CAMPAIGN_PPML, "need_index"), key_for(CAMPAIGN_PPML, "deep_poverty")),
             "Withdrawal on exit (退出) needs each village's exit year from the poverty register."),
    Argument(6, "The shift to 强强联合 after 2021", "2021年后转向强强联合", "§二(三)", "H4",
             "the change at 2021 of the endowment and need gradients and of the assignment of city-level units by "
             "endowment; the triple difference with its event study and sensitivity (Tables 4, 5, 5b, 8)",
             (key_for(SHIFT_PPML, "post:city_x_rich"), key_for(SHIFT_PPML, "post:endowment_index"),
              key_for(SHIFT_PPML, "post:need_index"), key_for(H9_LOGIT_CHANGE, "endowment_index:transition"))),
    Argument(7, "多级合治: a city first secretary plus two members from strong county departments, township support "
             "for key villages", "多级合治：市派第一书记＋县强势部门队员", "lines 346, 368–372", "H12",
             "the members' strength and its interaction with a city-level secretary (Table 3)",
             (key_for(TRANSITION_PPML, "city_x_members"),),
             "Township support for key villages is not in the records: needs the township's own postings and "
             "funds by village."),
    Argument(8, "强者愈强: resources follow results already achieved; advantaged villages convert inputs better",
             "强者愈强：资源追随既有成绩", "lines 396–398, 453", "H6",
             "funding on last year's growth of collective income before and after 2021; divergence of outcomes by "
             "initial type, β- and σ-convergence (Table 6d); AR(1) persistence descriptive (Table 6b)",
             (key_for(LAGGED_PPML, "post:lag_growth"), key_for(BETA_CONVERGENCE, "transition:log_initial"))),
    Argument(9, "Demonstration villages capture key projects", "示范村虹吸重点项目", "lines 479, 505–512", "H5",
             "staggered difference in differences with anticipation, and its sensitivity (Tables 6, 6c); the "
             "diversion of county money from the other villages of the township (exposure design, Table 6e)",
             (next(k for k in KEY_ESTIMATES if k.source is CS_NOT_YET), key_for(SPILLOVER_DESIGNATION,
                                                                                 "exposure_designation"))),
    Argument(10, "County matching funds follow strong units (县里面也需要进行大量配套)", "县级配套追随强势单位",
             "line 511", "H11", "county funding on the unit's level and the village's endowment (Table 8c)",
             (key_for(COUNTY_TRANSITION, "city"),)),
    Argument(11, "Causes: vague revitalisation standards; dependence on showcase results and inspections; county "
             "capacity; competition for credit and cadre incentives",
             "原因：标准模糊、政绩依赖、县级能力不足、争功与激励",
             "line 537, lines 547–570", "",
             "—", (),
             "Not testable with two counties' records: vague standards need the evaluation rules of many counties "
             "over time; dependence on showcase results needs inspection schedules and scores by village; county "
             "capacity ('只有几个干部来管这个数百人的队伍') needs the staff of each county's office against the cadres "
             "it manages across many counties; competition for credit needs cadres' evaluations and careers."),
    Argument(12, "Consequence: postings become a promotion tool (behavioural bias)", "后果：驻村成为晋升工具",
             "line 662", "", "—", (),
             "Not testable without cadre careers: needs each cadre's posts and promotions before and after the "
             "posting, beside comparable cadres not posted."),
    Argument(13, "Consequence: new inequality between villages; weak villages lose opportunities; industries "
             "collapse after support ends", "后果：村庄间新的不平等；产业在帮扶结束后垮掉", "lines 674–680", "H7",
             "concentration of funding by need and by endowment and its change at 2021 (Table 7b); industry "
             "survival after the unit leaves (Table 8d); Gini and Theil descriptive (Table 7)",
             (BY_ID["concentration.change.endowment"], BY_ID["concentration.change.need"],
              key_for(INDUSTRY_SURVIVAL, "post:weak"))),
    Argument(14, "Consequence: 低效 — diverse resources and diverse needs cannot be matched",
             "后果：资源与需求难以匹配导致低效", "line 690", "H10",
             "returns by whether the funded project's type serves the village's main need (Table 8d); the "
             "heterogeneity of returns by endowment beside it (Table 8b)",
             (key_for(MISMATCH_RETURNS, "unmatched_share"),),
             "Needs each village's need list (需求清单, villages.main_need) and project types (funding.project_type); "
             "without them the test says not estimated."),
    Argument(15, "Consequence: a low-level management trap", "后果：低水平治理陷阱", "§三(二)", "", "—", (),
             "Not testable with county records: needs measures of village governance (committee capacity, "
             "collective decisions, disputes) over time, in villages with and without strong postings."),
    Argument(16, "The rational side: demonstration effects, 以点带面", "示范带动、以点带面", "line 479", "H5",
             "neighbours' collective income on their exposure to designated villages of the same township "
             "(exposure design, Table 6e column 5)", (key_for(SPILLOVER_INCOME, "exposure_designation"),)),
    Argument(17, "Recommendation 1: a resource list and a need list, precise matching, dynamic adjustment",
             "建议一：资源库与需求清单，精准匹配，动态调整", "line 779", "policy",
             "type-specific matching of the resource list to the need list under unit capacities, maximising "
             "need-weighted welfare, budget-neutral and cross-fitted (Table 9)", (),
             "A counterfactual, not a claim about the records: Table 9 shows what it would change under four "
             "return shapes."),
    Argument(18, "Recommendation 2: county pooling and sharing, multidimensional evaluation, no over-concentration",
             "建议二：县级统筹共享，多维评价，避免过度集中", "line 796 onward", "policy",
             "a pooled fund of indivisible projects with a concentration cap (Table 9, the cap curve)", (),
             "A counterfactual: the cap curve shows what the cap changes under each return shape."),
    Argument(19, "Recommendation 3: 开源节流; 重点派、精准派、派精干 — more higher-level cadres, fewer county ones, "
             "smaller teams for ordinary villages", "建议三：开源节流；重点派、精准派、派精干", "lines 806–822",
             "policy", "fewer county posts, more high-level posts for key villages and smaller teams for ordinary "
             "ones under a cadre-cost budget; 开源 as added money (Table 9)", (),
             "A counterfactual; the added social and market channel (开源) is not in the records."),
)
