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

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

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
        ``policy_draws``, ``seed`` (the root seed plus ``seed_offset``) or ``vcov`` (the village variance).
    seed_offset : int
        Offset of its seed from the root seed, so that each analysis has its own fixed seed.
    needs : tuple of str
        Analyses whose results it takes; where one of them cannot be estimated on the data, neither can this.
    uses : tuple of str
        Analyses whose results it takes when they could be estimated (None otherwise).
    repeatable : bool
        Short enough (under a second) that two worker processes may each estimate it.
    """

    id: str
    function: str
    options: dict = field(default_factory=dict)
    settings: dict = field(default_factory=dict)
    seed_offset: int = 0
    needs: tuple[str, ...] = ()
    uses: tuple[str, ...] = ()
    repeatable: bool = False


_BOOT = {"bootstrap_draws": "bootstrap_draws", "seed": "seed", "vcov": "vcov"}
_SMALL = {"draws": "small_draws", "seed": "seed"}

ANALYSES: dict[str, AnalysisSpec] = {a.id: a for a in (
    AnalysisSpec("allocation_transition", "villageaid.analysis.allocation:allocation_models",
                 {"period": "transition"}, _BOOT, 31, repeatable=True),
    AnalysisSpec("allocation_campaign", "villageaid.analysis.allocation:allocation_models",
                 {"period": "campaign"}, _BOOT, 32, repeatable=True),
    AnalysisSpec("logic_shift", "villageaid.analysis.logic_shift:logic_shift_models", {}, _BOOT, 41),
    AnalysisSpec("logic_shift_power", "villageaid.analysis.pretrends:event_study_power", needs=("logic_shift",)),
    AnalysisSpec("logic_shift_sensitivity", "villageaid.analysis.pretrends:event_study_sensitivity",
                 needs=("logic_shift",)),
    AnalysisSpec("demonstration", "villageaid.analysis.demonstration:demonstration_models", {}, _SMALL, 51),
    AnalysisSpec("demonstration_sensitivity", "villageaid.analysis.pretrends:designation_sensitivity",
                 needs=("demonstration",)),
    AnalysisSpec("persistence", "villageaid.analysis.persistence:persistence_models"),
    AnalysisSpec("inequality", "villageaid.analysis.inequality:inequality_models", {}, _SMALL, 71),
    AnalysisSpec("matching", "villageaid.analysis.matching:matching_models", {}, _SMALL, 91),
    AnalysisSpec("returns", "villageaid.analysis.returns:returns_models"),
    AnalysisSpec("returns_sensitivity", "villageaid.analysis.pretrends:arrival_sensitivity", needs=("returns",)),
    AnalysisSpec("policy", "villageaid.analysis.policy_inputs:policy_analysis", {},
                 {"draws": "policy_draws", "seed": "seed"}, 101, uses=("returns",)),
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
                outcome: str | None = None, fixed_effects: str | None = None) -> str:
        """Return the model's formula, with the controls and demonstration terms the data support."""
        terms = [*self.terms, *(DEMONSTRATION_TERMS if demonstration else ()), *(controls if self.controls else ())]
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

MODEL_SPECS: dict[str, ModelSpec] = {m.id: m for m in globals().copy().values() if isinstance(m, ModelSpec)}


def models_of(analysis: str) -> list[ModelSpec]:
    """Return the models an analysis estimates, in the order they are declared."""
    return [m for m in MODEL_SPECS.values() if m.analysis == analysis]


def sensitivity_id(model: ModelSpec, restriction: Restriction) -> str:
    """Return the id of a model's sensitivity analysis under ``restriction`` (the model's id and the suffix)."""
    return model.id + restriction.id_suffix


# --- outputs --------------------------------------------------------------------------------------------------

Section = Literal["data", "results", "consequences", "policy", "truth"]


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
TABLE4 = OutputSpec(
    "table4_logic_shift", "table", "Table 4. The logic shift after 2021 (H4)", "表4 2021年后的逻辑转换（H4）",
    needs=("logic_shift",), writer=f"{_R}.allocation_tables:table4", models=(SHIFT_ASINH, SHIFT_LOG1P, SHIFT_PPML),
    label="tab:logic-shift", program="analysis/logic_shift.py")
TABLE5 = OutputSpec(
    "table5_event_study", "table", "Table 5. Event studies: rich × year and city-level × year (2020 = 0)",
    "表5 事件研究：富裕村×年份与市级单位×年份（2020年为基准）", needs=("logic_shift", "logic_shift_power"),
    writer=f"{_R}.event_study_tables:table5", models=(RICH_ASINH, CITY_ASINH, RICH_PPML, CITY_PPML),
    label="tab:event-study", program="analysis/logic_shift.py, estimators/event_study.py")
TABLE5B = OutputSpec(
    "table5b_sensitivity", "table", "Table 5b. Sensitivity of the 2021 effect to violations of parallel trends (H4)",
    "表5b 2021年效应对平行趋势偏离的敏感性（H4）", needs=("logic_shift", "logic_shift_sensitivity"),
    writer=f"{_R}.event_study_tables:table5b", models=(RICH_ASINH, RICH_PPML), label="tab:sensitivity",
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
    "Table 8. Vertical and horizontal gaps (H8) and who gets the strong units (H9)",
    "表8 纵向与横向差距（H8）与强势单位的去向（H9）", needs=("allocation_transition", "matching"),
    writer=f"{_R}.allocation_tables:table8",
    models=(H8_ASINH, H8_PPML, H9_LOGIT_CAMPAIGN, H9_LOGIT_TRANSITION, H9_AME_CAMPAIGN, H9_AME_TRANSITION,
            MATCHING_LEVEL, MATCHING_STRENGTH), label="tab:level-strength-matching",
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
    "figure_frontier", "figure", "Fairness–efficiency frontier", "公平与效率的权衡", needs=("policy",),
    writer=f"{_R}.paper_figures:write_frontier", section="policy", width="0.75", program="analysis/policy.py",
    caption="Fairness and efficiency: predicted change in collective income against the Gini of funding within "
            "counties, as the pooling cap varies from an equal split (1$\\times$ the county mean) to no cap, with the "
            "named policies beside it; bars are 95\\% intervals over coefficient draws")

TABLE10 = OutputSpec(
    "table10_recovery", "table", "Table 10. The estimates beside the truth of the simulation",
    "表10 估计值与模拟真值对照", needs=(), writer=f"{_R}.recovery:table10", section="truth", label="tab:recovery",
    editions="simulated", reads="tables", program="analysis/truth.py")

#: Every output, in the order the paper places them.
OUTPUTS: tuple[OutputSpec, ...] = (
    TABLE1, TABLE2, FIGURE_FUNDING_BY_TYPE, TABLE3, TABLE4, TABLE5, TABLE5B, FIGURE_SENSITIVITY, FIGURE_EVENT_STUDY,
    TABLE6, FIGURE_DESIGNATION_DYNAMIC, TABLE6C, FIGURE_SENSITIVITY_DESIGNATION, TABLE6B, TABLE7, FIGURE_INEQUALITY,
    TABLE8, FIGURE_MATCHING, FIGURE_COEFFICIENTS, TABLE8B, FIGURE_ARRIVAL, TABLE9, FIGURE_FRONTIER, TABLE10)

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
        "logit", "return" (log outcome on asinh funding), "return_change", "count" or "plain".
    description : str
        What the number is, for the text.
    macro : str or None
        LaTeX macro (in ``key_numbers.tex``) quoting it.
    truth : str or None
        In a simulated edition, where ``truth.json`` → ``effects`` holds its true value (a dotted path); the
        formula models' terms find theirs by term (:mod:`villageaid.analysis.truth`).
    truth_approximate : bool
        The true value is an approximation on the estimator's scale.
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
                "estimate", claim=+1, scale="elasticity", macro="HSixPersistence",
                description="the persistence of unit funding (Anderson–Hsiao coefficient of its lag)",
                truth="H6_funding_shock_persistence"),
    KeyEstimate("inequality.by_year.2025.gini", "H7", TABLE7, {"table": "by_year", "year": 2025}, "gini",
                scale="index", macro="HSevenGini", description="the Gini coefficient of funding in 2025",
                interval=("gini_low", "gini_high")),
    KeyEstimate("inequality.change.theil", "H7", TABLE7, {"table": "change", "measure": "theil"}, "change",
                claim=+1, scale="index", macro="HSevenTheilChange",
                description="the change in the Theil index between the campaign and the transition"),
    KeyEstimate("endowment", "H9", H9_LOGIT_TRANSITION,
                {"term": "endowment_index"}, "estimate", claim=+1, scale="logit", macro="HNineSlope",
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
                            "(2SLS, asinh(funding) × endowment index)",
                truth="H10_returns.log_collective_income.asinh_funding_x_endowment_index"),
)

#: The key estimates by id.
BY_ID: dict[str, KeyEstimate] = {k.id: k for k in KEY_ESTIMATES}


def key_for(model: ModelSpec, term: str, column: str = "estimate") -> KeyEstimate:
    """Return the key estimate the paper quotes for ``term`` of ``model`` (its ``column``)."""
    matches = [k for k in KEY_ESTIMATES if k.source is model and k.where.get("term") == term and k.column == column]
    if len(matches) != 1:
        raise LookupError(f"no single key estimate for {model.id}, term {term!r}, column {column!r}")
    return matches[0]
