"""Tables of what follows from the allocation: Table 6b (H6), 7 (H7), 8b (H10) and 9 (the policies).

Writers only format: every estimate comes from the analyses the output declares in the registry.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from villageaid.analysis.pretrends import ARRIVAL_POWER
from villageaid.analysis.returns import FUNDING, INTERACTION, OUTCOMES
from villageaid.estimators.summary import normal_inference
from villageaid.registry import (
    ANDERSON_HSIAO,
    H10_ARRIVAL_DYNAMIC,
    H10_ARRIVAL_SENSITIVITY,
    H10_ARRIVAL_SIMPLE,
    H10_HETEROGENEITY_COLLECTIVE,
    H10_HETEROGENEITY_PER_CAPITA,
    H10_IV_COLLECTIVE,
    H10_IV_PER_CAPITA,
    H10_MARGINAL_RETURN,
    H10_OLS_COLLECTIVE,
    H10_OLS_PER_CAPITA,
    WITHIN,
)
from villageaid.report.allocation_tables import FE_LABELS
from villageaid.report.context import OutputContext, identified
from villageaid.report.etable import Column, estimate_cells, fmt, regression_table
from villageaid.report.event_study_tables import sensitivity_columns
from villageaid.report.render import FormattedTable


def table6b(context: OutputContext) -> tuple[pd.DataFrame, FormattedTable]:
    """Table 6b: H6, persistence of funding — Anderson–Hsiao beside the within estimator."""
    results = context.analysis(ANDERSON_HSIAO.analysis)
    labels = {"L.log_unit_funding": "log unit funding, t − 1",
              "L.log_collective_income": "log collective income, t − 1",
              "D.demo": "Demonstration village (Δ)", "D.demo_years": "Years since designation (Δ)",
              "demo": "Demonstration village", "demo_years": "Years since designation"}
    columns = [Column(ANDERSON_HSIAO.label, context.model(ANDERSON_HSIAO),
                      {f"First-stage F, {labels.get(k, k)}": f"{v:.1f}" for k, v in results.first_stage_f.items()},
                      fixed_effects_shown={"village": "Differenced out", "year": "Yes (dummies)"},
                      model_id=ANDERSON_HSIAO.id),
               Column(WITHIN.label, context.model(WITHIN), model_id=WITHIN.id)]
    notes = ["H6 (强者愈强): log funding from the dispatching unit in years with such funding, on its own lag and "
             "the lag of log collective income. Anderson–Hsiao: first differences remove village effects, the "
             "differenced lags are instrumented by second lags in levels; year effects; equations where t − 2 "
             "and t fall in the same period. The within estimator is biased in short panels (Nickell 1981). "
             "Errors clustered by village.", context.note]
    return regression_table(columns, labels, title=context.title, label=context.label, notes=notes,
                            fixed_effect_labels=FE_LABELS)


def table7(context: OutputContext) -> tuple[pd.DataFrame, FormattedTable]:
    """Table 7: H7, inequality of funding between villages by year and the change between periods."""
    results = context.analysis("inequality")
    rows = []
    for r in results.by_year.itertuples(index=False):
        rows.append([str(r.year), f"{r.gini:.3f} [{r.gini_low:.3f}, {r.gini_high:.3f}]",
                     f"{r.theil:.3f} [{r.theil_low:.3f}, {r.theil_high:.3f}]", f"{r.theil_between_types:.3f}",
                     f"{r.theil_within_types:.3f}", f"{100 * r.between_share:.1f}%"])
    rows.append(["Period means and change (transition − campaign)"])
    for r in results.change.itertuples(index=False):
        label = "Gini" if r.measure == "gini" else "Theil T"
        rows.append([label, f"campaign {r.campaign:.3f}", f"transition {r.transition:.3f}",
                     f"change {r.change:+.3f}", f"[{r.conf_low:+.3f}, {r.conf_high:+.3f}]", ""])
    notes = ["H7: inequality of total funding between villages, each year. Brackets: 95% percentile bootstrap "
             "intervals resampling villages. Theil T splits exactly into a part between village types A–D and a "
             "part within them (between + within = total); the last column is the between-type share.",
             context.note]
    tidy = pd.concat([results.by_year.assign(table='by_year'), results.change.assign(table='change')],
                     ignore_index=True)
    return tidy, FormattedTable(context.title, context.label,
                                ["Year", "Gini [95% CI]", "Theil T [95% CI]", "Theil between types",
                                 "Theil within types", "Between share"], rows, [], notes)


#: Table 8b's models by outcome: 2SLS, OLS and the 2SLS with the endowment interaction.
RETURN_MODELS = {"log_collective_income": (H10_IV_COLLECTIVE, H10_OLS_COLLECTIVE, H10_HETEROGENEITY_COLLECTIVE),
                 "log_per_capita_income": (H10_IV_PER_CAPITA, H10_OLS_PER_CAPITA, H10_HETEROGENEITY_PER_CAPITA)}


def table8b(context: OutputContext) -> tuple[pd.DataFrame, FormattedTable]:
    """Table 8b: H10, returns to funding on village outcomes and whether they are lower in richer villages."""
    results = context.analysis(H10_IV_COLLECTIVE.analysis)
    tidy_parts = []
    header = ["", *[f"{OUTCOMES[o]}: 2SLS" for o in OUTCOMES], *[f"{OUTCOMES[o]}: OLS" for o in OUTCOMES]]
    rows: list[list[str]] = [["Panel A. Return to funding: asinh(funding), village and year effects"]]
    est, se = ["asinh(funding)"], [""]
    for kind in (0, 1):  # 2SLS, then OLS
        for outcome in OUTCOMES:
            spec = RETURN_MODELS[outcome][kind]
            model = context.model(spec)
            row = model.tidy().set_index("term").loc[FUNDING]
            value, error = estimate_cells(row["estimate"], row["std_error"], row["p_value"])
            est.append(value)
            se.append(error)
            tidy_parts.append(identified(model.tidy(), spec))
    rows += [est, se]
    rows.append(["Anderson–Rubin 95% set", *[results.iv[o].anderson_rubin[FUNDING].describe() for o in OUTCOMES],
                 "", ""])
    rows.append(["First-stage partial F", *[f"{results.iv[o].first_stage_f[FUNDING]:.1f}" for o in OUTCOMES], "", ""])
    rows.append(["Panel B. Heterogeneity: asinh(funding) × endowment index (2SLS)"])
    for term, label in ((FUNDING, "asinh(funding)"), (INTERACTION, "asinh(funding) × endowment index")):
        est, se = [label], [""]
        for outcome in OUTCOMES:
            row = context.model(RETURN_MODELS[outcome][2]).tidy().set_index("term").loc[term]
            value, error = estimate_cells(row["estimate"], row["std_error"], row["p_value"])
            est.append(value)
            se.append(error)
        rows += [[*est, "", ""], [*se, "", ""]]
    rows.append(["First-stage partial F (funding; interaction)",
                 *[f"{h.first_stage_f[FUNDING]:.1f}; {h.first_stage_f[INTERACTION]:.1f}"
                   for h in (results.heterogeneity[o] for o in OUTCOMES)], "", ""])
    for outcome in OUTCOMES:
        tidy_parts.append(identified(context.model(RETURN_MODELS[outcome][2]).tidy(), RETURN_MODELS[outcome][2]))
    rows.append(["Panel C. Marginal return per 10,000 yuan (%), at the group's median funding"])
    marginal = context.model(H10_MARGINAL_RETURN)
    for label in marginal["villages"].unique():
        cells = [f"{label[0].upper()}{label[1:]} villages"]
        for outcome in OUTCOMES:
            row = marginal.loc[(marginal["outcome"] == outcome) & (marginal["villages"] == label)].iloc[0]
            cells.append(f"{fmt(row['estimate'])} [{fmt(row['conf_low'])}, {fmt(row['conf_high'])}]")
        rows.append([*cells, "", ""])
    tidy_parts.append(marginal.assign(model_id=H10_MARGINAL_RETURN.id, model=H10_MARGINAL_RETURN.label,
                                      term=marginal["outcome"] + ": " + marginal["villages"]))
    rows.append(["Panel D. Arrival of a city-level first secretary (Callaway–Sant'Anna, log collective income)"])
    simple = context.model(H10_ARRIVAL_SIMPLE)
    p_value = normal_inference(np.array([simple.overall_estimate]), np.array([simple.overall_std_error]),
                               simple.conf_level)["p_value"][0]
    value, error = estimate_cells(simple.overall_estimate, simple.overall_std_error, float(p_value))
    cohorts = ", ".join(f"{g}: {v} villages" for g, v in results.arrival_cohorts.items())
    rows += [["ATT, average over post-arrival years", value, "", "", ""], ["", error, "", "", ""],
             ["Arrival cohorts", cohorts, "", "", ""]]
    arrival = context.analysis("returns_sensitivity")
    sensitivity = arrival.sensitivity[H10_ARRIVAL_SENSITIVITY.result]
    breakdowns = {k: ("none" if v.breakdown is None else fmt(v.breakdown, 3)) for k, v in sensitivity.items()}
    rows.append(["Breakdown of the first-year effect (ΔSD: M; ΔRM: M̄)",
                 f"{breakdowns['ΔSD']}; {breakdowns['ΔRM']}", "", "", ""])
    rows.append(["Linear pre-trend slope detected with 80% power",
                 fmt(arrival.slopes[H10_ARRIVAL_SENSITIVITY.result][ARRIVAL_POWER]), "", "", ""])
    for column in sensitivity_columns(H10_ARRIVAL_SENSITIVITY, sensitivity, separator=" "):
        tidy_parts.append(identified(column.result.tidy(), H10_ARRIVAL_SENSITIVITY, column.label,
                                     model_id=column.model_id))
    tidy_parts.append(identified(context.model(H10_ARRIVAL_DYNAMIC).tidy(), H10_ARRIVAL_DYNAMIC))
    tidy_parts.append(pd.DataFrame([{"model_id": H10_ARRIVAL_SIMPLE.id, "model": H10_ARRIVAL_SIMPLE.label,
                                     "term": "ATT", "estimate": simple.overall_estimate,
                                     "std_error": simple.overall_std_error}]))
    rows.append(["Observations", *[f"{results.iv[o].nobs:,}" for o in OUTCOMES],
                 *[f"{results.iv[o].ols.nobs:,}" for o in OUTCOMES]])
    notes = ["H10 (低效): log village outcomes on asinh(funding, 万元) with village and year effects; 2SLS instruments "
             "funding by the first secretary's unit level (city-level or higher) and department strength (strong), "
             "valid if the unit raises outcomes only through the money it brings. OLS beside it is biased if "
             "funding answers to bad years. The Anderson–Rubin set is robust to weak instruments (it can be "
             "unbounded). Panel B adds asinh(funding) × endowment index, instrumented by the instruments × index: "
             "a negative coefficient means lower returns in better-endowed villages — the efficiency cost of the "
             "strong alliance. Panel C: the marginal return θ/√(1 + F²) in percent per 10,000 yuan at the 20th and "
             "80th percentiles of the index, each at the median funding of villages near it (delta-method "
             "intervals). Panel D: villages whose first secretary is city-level for the first time, against "
             "villages that never have one (doubly robust with the endowment index); it is the total effect of the "
             "new unit, through funding and anything else that changes with it; its breakdown values (Rambachan & Roth "
             "2023, universal base period, R HonestDiD's defaults) and the pre-trend slope its pre-test detects with "
             "80% power (Roth 2022) say how much a violation of parallel trends it could bear. Errors clustered by "
             "village.",
             context.note]
    tidy = pd.concat(tidy_parts, ignore_index=True)
    return tidy, FormattedTable(context.title, context.label, header, rows, [], notes)


#: Table 9's columns: measure, short label and digits; the first four carry intervals in the estimated shape's panel.
POLICY_MEASURES = {"welfare_change": ("Need-weighted welfare (元)", 0),
                   "per_capita_income_change": ("Per-capita income (元)", 0),
                   "collective_income_change": ("Collective income (万元/yr)", 1),
                   "villages_below_line": ("Below the bottom line", 0),
                   "concentration_by_need": ("Concentration by need", 3),
                   "share_poorest_40": ("Poorest 40% share", 3),
                   "city_posts_rich_share": ("City posts: rich", 2),
                   "city_posts_high_need_share": ("City posts: high need", 2),
                   "need_gaps_met": ("Gaps met by slots", 2)}
_WITH_INTERVALS = ("welfare_change", "per_capita_income_change", "collective_income_change", "villages_below_line")


def _policy_cell(row: pd.Series, digits: int, interval: bool) -> str:
    if not np.isfinite(row["estimate"]):
        return "—"
    text = f"{row['estimate']:.{digits}f}"
    if interval and np.isfinite(row["conf_low"]):
        text += f" [{row['conf_low']:.{digits}f}, {row['conf_high']:.{digits}f}]"
    return text


def table9(context: OutputContext) -> tuple[pd.DataFrame, FormattedTable]:
    """Table 9: what the paper's logics and recommendations would change, budget-neutral, under four return shapes.

    One panel per return shape (the estimated concave shape first, with intervals); the changes are against the
    status quo, whose row gives the levels it starts from where a change makes no sense (villages below the
    bottom line, shares).
    """
    from villageaid.analysis.policy import POLICY_LABELS, SHAPE_LABELS

    results = context.analysis("policy")
    table = results.tidy()
    rows: list[list[str]] = []
    shapes = list(dict.fromkeys(table["shape"]))
    for k, shape in enumerate(shapes):
        rows.append([f"{chr(65 + k)}. Returns {SHAPE_LABELS.get(shape, shape)}"])
        part = table.loc[table["shape"] == shape]
        for policy in dict.fromkeys(part["policy"]):
            values = part.loc[part["policy"] == policy].set_index("measure")
            rows.append([POLICY_LABELS.get(policy, policy), *(
                _policy_cell(values.loc[measure], digits, k == 0 and measure in _WITH_INTERVALS)
                for measure, (_, digits) in POLICY_MEASURES.items())])
    estimated = table.loc[table["shape"] == shapes[0]].set_index(["policy", "measure"])["estimate"]

    def value(policy: str, measure: str) -> float:
        return float(estimated.get((policy, measure), np.nan))

    settings = results.settings
    notes = [
        f"Counterfactual allocations within each county ({results.counties} counties, {results.villages:,} villages); "
        "every policy keeps each county's total money (largest difference of any county's total from the status "
        f"quo's: {table.loc[table['measure'] == 'county_total_difference', 'estimate'].abs().max():.1e} 万元). "
        "Money follows the posts: the allocation model (PPML) splits each village's mean transition funding into "
        "what its post brings and what it keeps. Changes are against the status quo.",
        "Campaign logic (雨露均沾, 兜底、按需分级 — not an equal split): the strongest posts to the neediest villages; "
        "the county's money first, neediest first, to what lifts each village to the bottom line (at most "
        f"{settings.campaign_cap:g}× the county mean), the rest in proportion to need. Strong alliance: the strongest "
        "posts to the best-endowed villages. Precise matching (两张清单): posts assigned to maximise need-weighted "
        "welfare (linear assignment), technical and market slots to the need gaps of the types they serve under the "
        f"units' capacities. County pooling (县级统筹): all money as projects of {settings.project_size:g} 万元, no "
        f"village above {settings.cap:g}× the county mean. Fewer but stronger cadres: ordinary villages' teams cut "
        f"to {settings.ordinary_team_size}, the cadre cost saved paying for high-level first secretaries from spare "
        f"slots (city-level posts {value('status_quo', 'city_posts'):.0f} → {value('cadre_reform', 'city_posts'):.0f}; "
        f"cadres {value('status_quo', 'cadres'):.0f} → {value('cadre_reform', 'cadres'):.0f}; cadre cost "
        f"{value('status_quo', 'cadre_cost'):.0f} → {value('cadre_reform', 'cadre_cost'):.0f}), the high-level posts "
        f"to the neediest villages. 开源: the status quo plus {100 * settings.opening_share:g}% added money "
        f"({value('opening', 'added_funding'):,.0f} 万元 a year, shared by need), outside the budget-neutral "
        "comparison.",
        f"Need-weighted welfare: the change in the equally distributed equivalent per-capita income (Atkinson, ε = "
        f"{settings.epsilon:g}), villages weighted by population × (1 + need), need the village's mean gap on the "
        f"need list. Bottom line: per-capita income of {results.bottom_line:,.0f} 元. Concentration by need: "
        "villages ranked from the neediest within counties (negative: funding sits with the needy). Poorest 40%: "
        "by endowment within counties. City posts: city-level or higher first secretaries held by rich villages "
        "and by each county's neediest third. Gaps met: share of the need gaps technical and market slots could "
        "meet that they meet.",
        "Return shapes: concave is the estimated H10 model (Table 8b); linear gives every 万元 the same return "
        "everywhere (so a budget-neutral policy cannot change total collective income); complementarity makes "
        "returns rise with endowment; lumpy counts money only in whole projects. Brackets (panel A): 2.5 and 97.5 "
        f"percentiles over {results.draws} parametric-bootstrap draws of the allocation and return coefficients; "
        + ("planned policies are planned on one half of the draws and judged on the other (cross-fitted)."
           if results.cross_fitted else "plans were judged on the coefficients they were made with."),
        *results.notes, context.note]
    return table, FormattedTable(context.title, context.label,
                                 ["Policy", *[label for label, _ in POLICY_MEASURES.values()]], rows, [], notes)
