"""Tables 2–8 of the companion paper (descriptives, H1–H3, H4, event studies, H5, H7, H8–H9)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from villageaid.analysis import AllocationResults, LogicShiftResults, MatchingResults, descriptive_statistics
from villageaid.analysis.demonstration import DemonstrationResults
from villageaid.analysis.descriptives import DESCRIBED
from villageaid.analysis.inequality import InequalityResults
from villageaid.analysis.policy import PolicyResults
from villageaid.analysis.returns import ReturnsResults
from villageaid.estimators import EventStudyResult, WildBootstrapResult
from villageaid.estimators.dynamic_panel import DynamicPanelResults
from villageaid.estimators.results import RegressionResults
from villageaid.estimators.summary import normal_inference
from villageaid.panel.typology import TYPE_LABELS, VILLAGE_TYPES
from villageaid.report.etable import FALLBACK_MARK, Column, estimate_cells, fmt, regression_table, stars
from villageaid.report.render import ColumnGroup, FormattedTable
from villageaid.report.tables import (
    MIN_BOOTSTRAP_CLUSTERS,
    MIN_CARRYING_VILLAGES,
    MIN_VARIANCE_CLUSTERS,
    data_note,
    sample_facts,
    sample_note,
)

TERM_LABELS = {
    "city": "City-level first secretary",
    "rich_village": "Rich village",
    "city_x_rich": "City-level × rich",
    "village_type::A": "Type A (city-level + rich)",
    "village_type::B": "Type B (county-level + rich)",
    "village_type::D": "Type D (city-level + poor)",
    "endowment_index": "Endowment index",
    "strong": "Strong department",
    "post:rich_village": "Post-2021 × rich",
    "post:city": "Post-2021 × city-level",
    "post:city_x_rich": "Post-2021 × city-level × rich",
    "post:endowment_index": "Post-2021 × endowment index",
    "demo": "Demonstration village",
    "demo_years": "Demonstration × years since designation",
}
#: Powers at which Table 5 reports the linear pre-trend the pre-test would detect (Roth 2022).
POWERS = (0.5, 0.8)
FE_LABELS = {"county_year": "County × year", "village": "Village", "year": "Year"}


def _identified(tidy: pd.DataFrame, model_id: str, label: str) -> pd.DataFrame:
    """Return a model's tidy rows led by its stable id and its display label (the registry keys on the id)."""
    tidy = tidy.copy()
    tidy.insert(0, "model", label)
    tidy.insert(0, "model_id", model_id)
    return tidy


def variance_sentence(models: Sequence[RegressionResults]) -> str:
    """How the village models' errors were computed, from the models themselves (jackknife, CRV1, fallbacks)."""
    jackknife = [m for m in models if m.variance is not None and m.variance.kind == "CRV3"]
    fallbacks = [m for m in models if m.fallback_reason]
    if jackknife or fallbacks:
        text = ("Standard errors are clustered by village, by the exact cluster jackknife (CRV3: each model is "
                "re-estimated without each village, fixed effects included, and the spread of those estimates "
                "around the full-sample one is the variance): with few villages carrying a coefficient the usual "
                "CRV1 errors are too small (in simulations of the default two-county design its 95% intervals "
                "covered as little as 86%).")
        if fallbacks:
            text += (f" {FALLBACK_MARK} The jackknife is undefined for {len(fallbacks)} of these models (leaving "
                     "one village out leaves a coefficient without variation, so the spread of the refits does not "
                     "exist): they show CRV1 errors by village instead, marked with a dagger, which are too small "
                     "where few villages carry a coefficient.")
        return text
    descriptions = sorted({m.vcov_type + (f" ({m.ssc.describe()})" if m.ssc is not None else "") for m in models})
    return ("Standard errors: " + "; ".join(descriptions) + ", as chosen for this build (VCOV=CRV1); the exact "
            "cluster jackknife (the default) is larger where few villages carry a coefficient.")


def inference_note(models: Sequence[RegressionResults], bootstrap: WildBootstrapResult | None,
                   panel: pd.DataFrame) -> str:
    """Why the errors are computed as they are, and where inference is fragile, from the data and models at hand."""
    facts = sample_facts(panel)
    type_a = facts["types_transition"].get("A", 0)
    text = variance_sentence(models)
    counties = facts["counties"]
    if counties < MIN_VARIANCE_CLUSTERS:
        text += (f" County-clustered errors are not used: with {counties} "
                 f"count{'y' if counties == 1 else 'ies'} a cluster-robust variance would rest on too few clusters.")
    if facts["villages"] < MIN_VARIANCE_CLUSTERS:
        text += (f" Caution: the variance rests on {facts['villages']} villages, fewer than "
                 f"{MIN_VARIANCE_CLUSTERS} clusters.")
    if type_a < MIN_CARRYING_VILLAGES:
        text += (f" Caution: only {type_a} type-A village{'' if type_a == 1 else 's'} (city-level unit, rich) in "
                 f"2021–2025 {'carries' if type_a == 1 else 'carry'} the city × rich coefficient; it is fragile.")
    if bootstrap is not None:
        text += (f" Wild cluster bootstrap p-values impose the null and resample the {bootstrap.clusters} "
                 f"townships (Webb weights, B = {bootstrap.draws}, seed {bootstrap.seed}).")
        if bootstrap.clusters < MIN_BOOTSTRAP_CLUSTERS:
            text += (f" Caution: {bootstrap.clusters} bootstrap clusters are fewer than {MIN_BOOTSTRAP_CLUSTERS}; "
                     "the bootstrap p-values are unreliable.")
    return text


def _bootstrap_cell(result: WildBootstrapResult | None) -> str:
    return "" if result is None else f"{result.p_value:.3f}"


def table2(panel: pd.DataFrame) -> tuple[pd.DataFrame, FormattedTable]:
    """Table 2: means (standard deviations) by village type and period."""
    tidy = descriptive_statistics(panel)
    periods = list(dict.fromkeys(tidy["period"]))
    types = [*VILLAGE_TYPES, "All"]
    indexed = tidy.set_index(["period", "village_type", "variable"]).sort_index()
    columns = ["Variable"] + [t for _ in periods for t in types]
    groups = [ColumnGroup("", 1)] + [ColumnGroup(p.capitalize(), len(types)) for p in periods]
    rows = []
    for variable, label in DESCRIBED.items():
        if variable not in set(tidy["variable"]):
            continue
        means, sds = [label], [""]
        for period in periods:
            for vtype in types:
                cell = indexed.loc[(period, vtype, variable)]
                means.append(fmt(cell["mean"], 2))
                sds.append(f"({fmt(cell['sd'], 2)})" if np.isfinite(cell["sd"]) else "")
        rows += [means, sds]
    counts = ["Village-years"]
    for period in periods:
        for vtype in types:
            counts.append(f"{int(indexed.loc[(period, vtype, 'funding_total'), 'n']):,}")
    rows.append(counts)
    notes = ["Means with standard deviations in parentheses, over village-years. Types: "
             + "; ".join(f"{k} = {v}" for k, v in TYPE_LABELS.items()) + ".", sample_note(panel), data_note(panel)]
    return tidy, FormattedTable("Table 2. Descriptive statistics by village type and period", "tab:descriptives",
                                columns, rows, groups, notes)


def table3(transition: AllocationResults, campaign: AllocationResults,
           panel: pd.DataFrame) -> tuple[pd.DataFrame, FormattedTable]:
    """Table 3: H1–H3, level, endowment and the strong alliance, in each period."""
    columns = []
    for period, results in (("transition", transition), ("campaign", campaign)):
        boot = {"Wild bootstrap p, city × rich": _bootstrap_cell(results.strong_alliance_bootstrap)}
        h8 = {"H8 p-value: city = strong": f"{results.level_vs_strength_ols.p_value:.3f}"}
        h8_ppml = {"H8 p-value: city = strong": f"{results.level_vs_strength_ppml.p_value:.3f}"}
        controls = {"Baseline controls": "Yes"}
        columns += [
            Column("asinh(funding)", results.asinh_ols, {**controls, **boot, **h8}, model_id=f"{period}_asinh"),
            Column("Funding (PPML)", results.ppml, {**controls, **h8_ppml}, model_id=f"{period}_ppml"),
            Column("asinh(funding)", results.types_ols, controls, model_id=f"{period}_types"),
        ]
    groups = [ColumnGroup("", 1), ColumnGroup("Transition 2021–2025", 3), ColumnGroup("Campaign 2016–2020", 3)]
    notes = ["H1: city-level first secretary; H2: rich village and endowment index; H3: city-level × rich "
             "(the strong alliance, 强强联合), and types A, B, D against C (county-level unit + poor village). "
             "County × year fixed effects; baseline controls are log population and log(1 + distance to the "
             "county seat). Columns (2) and (5) are Poisson pseudo-maximum likelihood on funding in 万元 "
             "(coefficients are semi-elasticities); the others OLS on asinh(funding).",
             inference_note([transition.asinh_ols, transition.ppml, transition.types_ols, campaign.asinh_ols,
                             campaign.ppml, campaign.types_ols], transition.strong_alliance_bootstrap, panel),
             data_note(panel)]
    return regression_table(columns, TERM_LABELS, title="Table 3. Unit level, village endowment and funding (H1–H3)",
                            label="tab:level-endowment", notes=notes, fixed_effect_labels=FE_LABELS, groups=groups)


def table4(results: LogicShiftResults, panel: pd.DataFrame) -> tuple[pd.DataFrame, FormattedTable]:
    """Table 4: H4, the logic shift after 2021 (difference-in-differences)."""
    boot = {"Wild bootstrap p, post × city × rich": _bootstrap_cell(results.strong_alliance_shift_bootstrap)}
    columns = [Column("asinh(funding)", results.asinh_ols, boot, model_id="shift_asinh"),
               Column("log(1 + funding)", results.log1p_ols, model_id="shift_log1p"),
               Column("Funding (PPML)", results.ppml, model_id="shift_ppml")]
    notes = ["H4: the change after 2021 in how funding follows richness, unit level and their combination "
             "(from 雨露均沾 to 强强联合). Village and county × year fixed effects; 2016–2025.",
             inference_note([results.asinh_ols, results.log1p_ols, results.ppml],
                            results.strong_alliance_shift_bootstrap, panel), data_note(panel)]
    return regression_table(columns, TERM_LABELS, title="Table 4. The logic shift after 2021 (H4)",
                            label="tab:logic-shift", notes=notes, fixed_effect_labels=FE_LABELS)


def table5(results: LogicShiftResults, panel: pd.DataFrame) -> tuple[pd.DataFrame, FormattedTable]:
    """Table 5: event-study coefficients by year (2020 = 0) with the pre-trend test."""
    studies = {"Rich × year, asinh": results.rich_event_study, "City-level × year, asinh": results.city_event_study,
               "Rich × year, PPML": results.rich_event_study_ppml,
               "City-level × year, PPML": results.city_event_study_ppml}
    ids = dict(zip(studies, ("rich_asinh", "city_asinh", "rich_ppml", "city_ppml"), strict=True))
    slopes = {label: {power: study.slope_for_power(power) if study.pre_trend is not None else np.nan
                      for power in POWERS} for label, study in studies.items()}
    tidy_parts = []
    for label, study in studies.items():
        tidy_parts.append(_identified(study.tidy(), ids[label], label))
        if study.pre_trend is not None:  # the pre-trend test as a row, so the paper reads it, not re-estimates
            tidy_parts.append(pd.DataFrame([{"model_id": ids[label], "model": label, "term": "pre_trend_test",
                                             "statistic": study.pre_trend.statistic,
                                             "p_value": study.pre_trend.p_value}]))
            # Roth (2022): the linear violation (per year) the pre-test would detect with 50% and 80% power.
            tidy_parts.append(pd.DataFrame([{"model_id": ids[label], "model": label,
                                             "term": f"pretrend_slope_{int(100 * power)}",
                                             "estimate": slopes[label][power]} for power in POWERS]))
    tidy = pd.concat(tidy_parts, ignore_index=True)
    # every row of a study (coefficients, its pre-trend test and power) rests on the same variance
    models = {ids[label]: study.model for label, study in studies.items()}
    tidy["vcov"] = tidy["model_id"].map({k: m.vcov_type for k, m in models.items()})
    tidy["fallback_reason"] = tidy["model_id"].map({k: m.fallback_reason or "" for k, m in models.items()})
    periods = sorted({int(p) for p in tidy["period"].dropna()})
    rows = []
    for period in periods:
        est, se = [str(period)], [""]
        for study in studies.values():
            row = study.tidy().set_index("period").loc[period]
            if row["term"] == "(reference)":
                est.append("0 (ref.)")
                se.append("")
            else:
                value, error = estimate_cells(row["estimate"], row["std_error"], row["p_value"])
                est.append(value)
                se.append(error + (FALLBACK_MARK if study.model.fallback_reason else ""))
        rows += [est, se]
    rows.append(["Pre-trend test (before 2020)", *[_pre_trend(s) for s in studies.values()]])
    rows.append(["Pre-trend p-value", *[f"{s.pre_trend.p_value:.3f}" if s.pre_trend else "–"
                                        for s in studies.values()]])
    for power in POWERS:
        rows.append([f"Linear pre-trend slope detected with {100 * power:.0f}% power",
                     *[fmt(slopes[label][power]) for label in studies]])
    rows.append(["Observations", *[f"{s.model.nobs:,}" for s in studies.values()]])
    notes = ["Coefficients of the interaction with each year against 2020, with village and county × year fixed "
             "effects and the other H4 terms as controls. The pre-trend test is the joint Wald test that all "
             "pre-2020 coefficients are zero (F with fixest's n − K denominator). The slopes are the linear "
             "violations of parallel trends per year (through 2020) that the usual pre-test — any pre-2020 "
             "coefficient significant at 5% — would detect with 50% and 80% probability (Roth 2022): violations "
             "smaller than these often pass it.",
             variance_sentence([s.model for s in studies.values()]),
             *[f"{FALLBACK_MARK} {label}: {s.model.fallback_reason}." for label, s in studies.items()
               if s.model.fallback_reason],
             "Standard errors in parentheses. * p < 0.10, ** p < 0.05, *** p < 0.01.", data_note(panel)]
    failed = [label for label, s in studies.items() if s.pre_trend is not None and s.pre_trend.p_value < 0.05]
    if failed:
        notes.insert(1, "Caution: the pre-trend test rejects at 5% for " + ", ".join(failed) + "; parallel trends "
                     "before 2020 are in doubt for these models.")
    return tidy, FormattedTable("Table 5. Event studies: rich × year and city-level × year (2020 = 0)",
                                "tab:event-study", ["Year", *studies], rows, [], notes)


#: The two restrictions of Rambachan & Roth (2023) reported for each event study: label suffix, id suffix, options.
RESTRICTIONS = (("ΔSD", "", {}), ("ΔRM", "_rm", {"restriction": "relative_magnitudes"}))


def _both_restrictions(studies: dict) -> dict:
    return {f"{label}: {suffix}": study.sensitivity(**options)
            for label, study in studies.items() for suffix, _, options in RESTRICTIONS}


def sensitivity_results(results: LogicShiftResults) -> dict:
    """Sensitivity (ΔSD FLCI and ΔRM C-LF) of the 2021 rich × year effect, asinh and PPML (Rambachan & Roth)."""
    return _both_restrictions({"Rich × year, asinh": results.rich_event_study,
                               "Rich × year, PPML": results.rich_event_study_ppml})


def demonstration_sensitivity(results: DemonstrationResults) -> dict:
    """Sensitivity (ΔSD FLCI and ΔRM C-LF) of the effect of designation in its first year (CS, universal base)."""
    return _both_restrictions({"Designation, CS (universal base)": results.cs_universal_dynamic})


def _with_restrictions(ids: dict) -> dict:
    return {f"{label}: {suffix}": model_id + id_suffix for label, model_id in ids.items()
            for suffix, id_suffix, _ in RESTRICTIONS}


def table6c(sensitivity: dict, panel: pd.DataFrame, dynamic: object = None) -> tuple[pd.DataFrame, FormattedTable]:
    """Table 6c: how large a violation of parallel trends would overturn the effect of designation (H5).

    With ``dynamic`` (the CS dynamic effects, universal base) the tidy table also carries the linear pre-trend
    slopes its pre-test detects with 50% and 80% power (Roth 2022).
    """
    label = "Designation, CS (universal base)"
    return _sensitivity_table(
        sensitivity, panel, _with_restrictions({label: "cs_universal"}),
        "Table 6c. Sensitivity of the effect of designation to violations of parallel trends (H5)",
        "tab:sensitivity-demonstration",
        "H5: robust 95% confidence intervals for the Callaway–Sant'Anna effect of designation as a demonstration "
        "village in its first year (not-yet-treated controls, covariates as in Table 6, universal base period "
        "e = −1 so that pre- and post-period estimates are comparable, as the method requires)",
        pretests={f"{label}: ΔSD": dynamic} if dynamic is not None else None)


def table5b(sensitivity: dict, panel: pd.DataFrame,
            shift: LogicShiftResults | None = None) -> tuple[pd.DataFrame, FormattedTable]:
    """Table 5b: how large a violation of parallel trends would overturn the 2021 effect of richness (H4).

    With ``shift`` (the event studies behind it) the notes say which variance their coefficients carry.
    """
    tidy, formatted = _sensitivity_table(
        sensitivity, panel, _with_restrictions({"Rich × year, asinh": "rich_asinh", "Rich × year, PPML": "rich_ppml"}),
        "Table 5b. Sensitivity of the 2021 effect to violations of parallel trends (H4)", "tab:sensitivity",
        "H4: robust 95% confidence intervals for the 2021 coefficient of rich × year (against 2020)")
    if shift is not None:
        studies = {"Rich × year, asinh": shift.rich_event_study, "Rich × year, PPML": shift.rich_event_study_ppml}
        notes = [f"The event-study coefficients and their variance come from Table 5: "
                 f"{variance_sentence([s.model for s in studies.values()])}",
                 *[f"Table 5's {label}: {s.model.fallback_reason}." for label, s in studies.items()
                   if s.model.fallback_reason]]
        formatted = replace(formatted, notes=[*formatted.notes[:-1], *notes, formatted.notes[-1]])
    return tidy, formatted


def _robust_cell(row: pd.Series) -> str:
    """One robust interval: '[low, high]', '†' when it reaches the end of the test grid, 'empty' when empty."""
    symbol = "M̄" if str(row.get("restriction", "")).startswith("relative") else "M"
    if bool(row.get("empty", False)):
        return f"{symbol} = {row['M']:.3f}: empty"
    mark = "†" if bool(row.get("open_at_grid_end", False)) else ""
    return f"{symbol} = {row['M']:.3f}: [{fmt(row['conf_low'])}, {fmt(row['conf_high'])}]{mark}"


def _sensitivity_table(sensitivity: dict, panel: pd.DataFrame, ids: dict, title: str, table_label: str,
                       what: str, pretests: dict | None = None) -> tuple[pd.DataFrame, FormattedTable]:
    """Robust intervals per model, restriction and grid point, the original interval and the breakdown value.

    ``pretests`` (model label → its event study) adds the linear pre-trend slopes the pre-test detects with
    50% and 80% power (Roth 2022).
    """
    slopes = {model: {power: study.slope_for_power(power) for power in POWERS}
              for model, study in (pretests or {}).items()}
    parts = []
    for model, result in sensitivity.items():
        parts.append(_identified(result.tidy(), ids[model], model))
        parts.append(pd.DataFrame([{"model_id": ids[model], "model": model, "term": "original",
                                    "conf_low": result.original[0], "conf_high": result.original[1]},
                                   {"model_id": ids[model], "model": model, "term": "breakdown",
                                    "estimate": np.nan if result.breakdown is None else result.breakdown},
                                   *[{"model_id": ids[model], "model": model,
                                      "term": f"pretrend_slope_{int(100 * power)}", "estimate": value}
                                     for power, value in slopes.get(model, {}).items()]]))
    tidy = pd.concat(parts, ignore_index=True)
    rows = [["Method", *[r.method for r in sensitivity.values()]],
            ["Original 95% interval",
             *[f"[{fmt(r.original[0])}, {fmt(r.original[1])}]" for r in sensitivity.values()]]]
    tables = {model: r.tidy() for model, r in sensitivity.items()}
    for i in range(max(len(t) for t in tables.values())):
        rows.append([f"Grid point {i + 1}", *[_robust_cell(t.iloc[i]) if i < len(t) else ""
                                              for t in tables.values()]])
    rows.append(["Breakdown value (M or M̄)", *["none" if r.breakdown is None else fmt(r.breakdown, 3)
                                               for r in sensitivity.values()]])
    if slopes:
        for power in POWERS:
            rows.append([f"Linear pre-trend slope detected with {100 * power:.0f}% power",
                         *[fmt(slopes[model][power]) if model in slopes else "" for model in sensitivity]])
    notes = [what + " under two restrictions on how the difference in trends may evolve after the reference "
             "period (Rambachan & Roth 2023). ΔSD(M), smoothness: its slope may change by at most M between "
             "consecutive years; fixed-length confidence intervals (FLCI); M runs from 0 to the largest one-sided "
             "95% upper bound of a pre-period change in slope. ΔRM(M̄), relative magnitudes: no post-period change "
             "in the difference in trends exceeds M̄ times the largest pre-period change; conditional-least-"
             "favourable hybrid (C-LF) sets, found on a grid of 1,000 values within ±20 standard errors; M̄ runs "
             "from 0 to 2. Both are R HonestDiD's defaults. The breakdown value is the largest M (M̄) on the "
             "grid at which the interval still excludes zero.", data_note(panel)]
    flagged = [model for model, t in tables.items() if t.get("open_at_grid_end", pd.Series(False)).any()]
    if flagged:
        notes.insert(1, "† The interval reaches the end of the test grid (" + ", ".join(flagged) + "): its true end "
                     "lies further out; the interval shown is a lower bound on its width.")
    empty = [model for model, t in tables.items() if t.get("empty", pd.Series(False)).any()]
    if empty:
        notes.insert(1, "'empty': every value on the grid is rejected (" + ", ".join(empty) + "): the pre-period "
                     "coefficients are unlikely under this restriction, which is itself evidence against it.")
    return tidy, FormattedTable(title, table_label, ["", *sensitivity], rows, [], notes)


def _pre_trend(study: EventStudyResult) -> str:
    test = study.pre_trend
    if test is None:
        return "–"
    return f"{'F' if test.distribution == 'F' else 'χ²'} = {test.statistic:.2f}"


def table8(allocation: AllocationResults, matching: MatchingResults,
           panel: pd.DataFrame) -> tuple[pd.DataFrame, FormattedTable]:
    """Table 8: H8 (vertical vs horizontal gaps) and H9 (who gets the strong units)."""
    tidy_rows = []
    rows: list[list[str]] = [["Panel A. Level and department strength, transition 2021–2025"],
                             ["", "asinh OLS", "PPML"]]
    for term, label in (("city", "City-level first secretary"), ("strong", "Strong department")):
        est, se = [label], [""]
        for name, model in (("asinh OLS", allocation.asinh_ols), ("PPML", allocation.ppml)):
            row = model.tidy().set_index("term").loc[term]
            value, error = estimate_cells(row["estimate"], row["std_error"], row["p_value"])
            est.append(value)
            se.append(error)
            tidy_rows.append({"panel": "A", "model_id": f"h8_{name.split()[0].lower()}", "model": name, "term": term,
                              **row.to_dict()})
        rows += [est, se]
    rows.append(["Wald test, city = strong: p-value", f"{allocation.level_vs_strength_ols.p_value:.3f}",
                 f"{allocation.level_vs_strength_ppml.p_value:.3f}"])
    rows.append(["Panel B. Logit of city-level assignment on endowment"])
    rows.append(["", "Campaign", "Transition"])
    logits = [matching.logits[p] for p in ("campaign", "transition") if p in matching.logits]
    for label, getter in (("Endowment index (logit coefficient)", lambda r: r),
                          ("Average marginal effect", lambda r: r.marginal_effects)):
        est, se = [label], [""]
        for period, result in zip(("campaign", "transition"), logits, strict=False):
            row = getter(result).tidy().set_index("term").loc["endowment_index"]
            value, error = estimate_cells(row["estimate"], row["std_error"], row["p_value"])
            est.append(value)
            se.append(error)
            kind = "logit" if label.startswith("Endowment") else "ame"
            tidy_rows.append({"panel": "B", "model_id": f"h9_{kind}_{period}", "model": f"{label} {period}",
                              "term": "endowment_index", **row.to_dict()})
        rows += [est, se]
    rows.append(["Villages", *[f"{r.nobs:,}" for r in logits]])
    rows.append(["Pseudo R²", *[fmt(r.fit_statistics["pseudo_r2"]) for r in logits]])
    rows.append(["Panel C. Assortative matching: Spearman ρ with endowment, by year"])
    rows.append(["", "Unit level", "Department strength"])
    index = matching.matching_index.set_index(["year", "dimension"])
    for year in sorted(set(matching.matching_index["year"])):
        cells = [str(year)]
        for dimension in ("level", "strength"):
            r = index.loc[(year, dimension)]
            cells.append(f"{fmt(r['estimate'])} [{fmt(r['conf_low'])}, {fmt(r['conf_high'])}]")
            tidy_rows.append({"panel": "C", "model_id": f"matching_{dimension}", "model": f"matching {dimension}",
                              "term": str(year),
                              "estimate": r["estimate"], "conf_low": r["conf_low"], "conf_high": r["conf_high"]})
        rows.append(cells)
    notes = ["H8: are vertical gaps (unit level) larger than horizontal ones (department strength)? Panel A is "
             "the Table 3 transition model; the Wald test is of equal coefficients. H9 (双向选择): Panel B is a "
             "logit of a city-level first secretary on the endowment index with county dummies, one observation "
             "per village and period, errors clustered by township; Panel C the rank correlation of the first "
             "secretary's unit level (township < county < city < provincial < central) and department strength "
             "with village endowment by year, with 95% bootstrap intervals resampling villages.",
             "Standard errors in parentheses. * p < 0.10, ** p < 0.05, *** p < 0.01.", data_note(panel)]
    formatted = FormattedTable("Table 8. Vertical and horizontal gaps (H8) and who gets the strong units (H9)",
                               "tab:level-strength-matching", ["", "(1)", "(2)"], rows, [], notes)
    return pd.DataFrame(tidy_rows), formatted


def table6(results: DemonstrationResults, panel: pd.DataFrame) -> tuple[pd.DataFrame, FormattedTable]:
    """Table 6: H5, demonstration villages — TWFE, Sun–Abraham and Callaway–Sant'Anna side by side."""
    columns = {
        "TWFE event study": results.twfe_dynamic.tidy().set_index("event_time"),
        "Sun–Abraham": results.sun_abraham.tidy().set_index("event_time"),
        "CS, never treated": results.cs_never_dynamic.tidy().set_index("event_time"),
        "CS, not yet treated": results.cs_not_yet_dynamic.tidy().set_index("event_time"),
    }
    events = sorted({int(e) for table in columns.values() for e in table.index})
    rows: list[list[str]] = [["Panel A. Effect of designation by years since designation (asinh funding)"]]
    tidy_parts = []
    model_ids = dict(zip(columns, ("twfe", "sun_abraham", "cs_never", "cs_not_yet"), strict=True))
    for label, table in columns.items():
        part = _identified(table.reset_index(), model_ids[label], label)
        tidy_parts.append(part[["model_id", "model", "event_time", "estimate", "std_error", "conf_low",
                                "conf_high"]])
    for e in events:
        est, se = [str(e)], [""]
        for table in columns.values():
            if e in table.index and np.isfinite(table.loc[e, "std_error"]):
                value, error = estimate_cells(table.loc[e, "estimate"], table.loc[e, "std_error"],
                                              table.loc[e, "p_value"])
                est.append(value)
                se.append(error)
            elif e in table.index:
                est.append("0 (ref.)")
                se.append("")
            else:
                est.append("")
                se.append("")
        rows += [est, se]
    static = results.twfe_static.tidy().set_index("term").loc["demo"]
    rows.append(["Panel B. Overall effect"])
    rows.append(["Static TWFE / simple ATT", fmt(static["estimate"]) + stars(static["p_value"]), "",
                 fmt(results.cs_never_simple.overall_estimate), fmt(results.cs_not_yet_simple.overall_estimate)])
    rows.append(["", f"({fmt(static['std_error'])})", "", f"({fmt(results.cs_never_simple.overall_std_error)})",
                 f"({fmt(results.cs_not_yet_simple.overall_std_error)})"])
    levels = results.cs_levels_simple
    rows.append(["Simple ATT in 万元 (CS, funding in levels)", "", "", "", fmt(levels.overall_estimate, 1)])
    rows.append(["", "", "", "", f"({fmt(levels.overall_std_error, 1)})"])
    pre_never, pre_not_yet = results.cs_never.pre_trend_test(), results.cs_not_yet.pre_trend_test()
    rows.append(["Pre-trend test p-value (CS, all pre-periods)", "", "",
                 *[f"{test.p_value:.3f}" if test is not None else "–" for test in (pre_never, pre_not_yet)]])
    dynamic = (results.twfe_dynamic, results.sun_abraham, results.cs_never_dynamic, results.cs_not_yet_dynamic)
    rows.append(["Observations (village-years)", *[f"{r.nobs:,}" for r in dynamic]])
    rows.append(["Panel C. Goodman-Bacon decomposition of the static TWFE coefficient"])
    for row in results.bacon.by_type().itertuples(index=False):
        rows.append([f"{row.type}: weight, estimate", f"{row.weight:.3f}", fmt(row.estimate), "", ""])
    tidy = pd.concat(tidy_parts, ignore_index=True)
    notes = ["H5: funding after designation as a demonstration village (乡村振兴示范村), cohorts by first year "
             "of designation. TWFE: relative-time dummies with village and year effects. Sun–Abraham: cohort × "
             "relative-time interactions averaged by cohort shares, never-treated control. CS: Callaway & "
             "Sant'Anna (2021) doubly robust ATT(g,t) with the pre-2021 endowment index and rich as covariates, "
             "varying base period, aggregated by event time (pre-periods are short differences, so they are "
             "not comparable with the TWFE and Sun–Abraham leads, which are relative to e = −1). Errors "
             "clustered by village (TWFE, Sun–Abraham) or from influence functions (CS; uniform bands in the "
             "figure from a multiplier bootstrap). Bacon: where the static TWFE coefficient gets its weight; "
             "'later vs earlier' comparisons use already-treated villages as controls.",
             "Standard errors in parentheses. * p < 0.10, ** p < 0.05, *** p < 0.01.", data_note(panel)]
    return tidy, FormattedTable("Table 6. Demonstration villages: TWFE, Sun–Abraham and Callaway–Sant'Anna (H5)",
                                "tab:demonstration", ["", *columns], rows, [], notes)


def table7(results: InequalityResults, panel: pd.DataFrame) -> tuple[pd.DataFrame, FormattedTable]:
    """Table 7: H7, inequality of funding between villages by year and the change between periods."""
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
             data_note(panel)]
    tidy = pd.concat([results.by_year.assign(table='by_year'), results.change.assign(table='change')],
                     ignore_index=True)
    return tidy, FormattedTable("Table 7. Inequality of funding between villages (H7)", "tab:inequality",
                                ["Year", "Gini [95% CI]", "Theil T [95% CI]", "Theil between types",
                                 "Theil within types", "Between share"], rows, [], notes)


def table6b(results: DynamicPanelResults, panel: pd.DataFrame) -> tuple[pd.DataFrame, FormattedTable]:
    """Table 6b: H6, persistence of funding — Anderson–Hsiao beside the within estimator."""
    labels = {"L.log_unit_funding": "log unit funding, t − 1",
              "L.log_collective_income": "log collective income, t − 1",
              "D.demo": "Demonstration village (Δ)", "D.demo_years": "Years since designation (Δ)",
              "demo": "Demonstration village", "demo_years": "Years since designation"}
    columns = [Column("Anderson–Hsiao IV", results.anderson_hsiao,
                      {f"First-stage F, {labels.get(k, k)}": f"{v:.1f}" for k, v in results.first_stage_f.items()},
                      fixed_effects_shown={"village": "Differenced out", "year": "Yes (dummies)"},
                      model_id="anderson_hsiao"),
               Column("Within (FE)", results.within, model_id="within")]
    terms = dict(labels)
    notes = ["H6 (强者愈强): log funding from the dispatching unit in years with such funding, on its own lag and "
             "the lag of log collective income. Anderson–Hsiao: first differences remove village effects, the "
             "differenced lags are instrumented by second lags in levels; year effects; equations where t − 2 "
             "and t fall in the same period. The within estimator is biased in short panels (Nickell 1981). "
             "Errors clustered by village.", data_note(panel)]
    return regression_table(columns, terms, title="Table 6b. The strong get stronger: persistence of funding (H6)",
                            label="tab:persistence", notes=notes, fixed_effect_labels=FE_LABELS)


def table8b(results: ReturnsResults, panel: pd.DataFrame) -> tuple[pd.DataFrame, FormattedTable]:
    """Table 8b: H10, returns to funding on village outcomes and whether they are lower in richer villages."""
    from villageaid.analysis.returns import FUNDING, INTERACTION, OUTCOMES

    tidy_parts = []
    header = ["", *[f"{OUTCOMES[o]}: 2SLS" for o in OUTCOMES], *[f"{OUTCOMES[o]}: OLS" for o in OUTCOMES]]
    rows: list[list[str]] = [["Panel A. Return to funding: asinh(funding), village and year effects"]]
    est, se = ["asinh(funding)"], [""]
    for name in ("iv", "ols"):
        for outcome in OUTCOMES:
            model = getattr(results.iv[outcome], name)
            row = model.tidy().set_index("term").loc[FUNDING]
            value, error = estimate_cells(row["estimate"], row["std_error"], row["p_value"])
            est.append(value)
            se.append(error)
            tidy_parts.append(_identified(model.tidy(), f"h10_{name}_{outcome}", f"{name} {outcome}"))
    rows += [est, se]
    rows.append(["Anderson–Rubin 95% set", *[results.iv[o].anderson_rubin[FUNDING].describe() for o in OUTCOMES],
                 "", ""])
    rows.append(["First-stage partial F", *[f"{results.iv[o].first_stage_f[FUNDING]:.1f}" for o in OUTCOMES], "", ""])
    rows.append(["Panel B. Heterogeneity: asinh(funding) × endowment index (2SLS)"])
    for term, label in ((FUNDING, "asinh(funding)"), (INTERACTION, "asinh(funding) × endowment index")):
        est, se = [label], [""]
        for outcome in OUTCOMES:
            row = results.heterogeneity[outcome].iv.tidy().set_index("term").loc[term]
            value, error = estimate_cells(row["estimate"], row["std_error"], row["p_value"])
            est.append(value)
            se.append(error)
        rows += [[*est, "", ""], [*se, "", ""]]
    rows.append(["First-stage partial F (funding; interaction)",
                 *[f"{h.first_stage_f[FUNDING]:.1f}; {h.first_stage_f[INTERACTION]:.1f}"
                   for h in (results.heterogeneity[o] for o in OUTCOMES)], "", ""])
    for outcome in OUTCOMES:
        tidy_parts.append(_identified(results.heterogeneity[outcome].iv.tidy(), f"h10_heterogeneity_{outcome}",
                                      f"heterogeneity {outcome}"))
    rows.append(["Panel C. Marginal return per 10,000 yuan (%), at the group's median funding"])
    marginal = results.marginal_returns
    for label in marginal["villages"].unique():
        cells = [f"{label[0].upper()}{label[1:]} villages"]
        for outcome in OUTCOMES:
            row = marginal.loc[(marginal["outcome"] == outcome) & (marginal["villages"] == label)].iloc[0]
            cells.append(f"{fmt(row['estimate'])} [{fmt(row['conf_low'])}, {fmt(row['conf_high'])}]")
        rows.append([*cells, "", ""])
    tidy_parts.append(marginal.assign(model_id="h10_marginal_return", model="marginal return per 10,000 yuan",
                                      term=marginal["outcome"] + ": " + marginal["villages"]))
    rows.append(["Panel D. Arrival of a city-level first secretary (Callaway–Sant'Anna, log collective income)"])
    simple = results.arrival_simple
    p_value = normal_inference(np.array([simple.overall_estimate]), np.array([simple.overall_std_error]),
                               simple.conf_level)["p_value"][0]
    value, error = estimate_cells(simple.overall_estimate, simple.overall_std_error, float(p_value))
    cohorts = ", ".join(f"{g}: {v} villages" for g, v in results.arrival_cohorts.items())
    rows += [["ATT, average over post-arrival years", value, "", "", ""], ["", error, "", "", ""],
             ["Arrival cohorts", cohorts, "", "", ""]]
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # flags are in the results and the tidy table
        sensitivity = {suffix: results.arrival_universal.sensitivity(**options) for suffix, _, options in RESTRICTIONS}
    breakdowns = {k: ("none" if v.breakdown is None else fmt(v.breakdown, 3)) for k, v in sensitivity.items()}
    rows.append(["Breakdown of the first-year effect (ΔSD: M; ΔRM: M̄)",
                 f"{breakdowns['ΔSD']}; {breakdowns['ΔRM']}", "", "", ""])
    rows.append(["Linear pre-trend slope detected with 80% power",
                 fmt(results.arrival_universal.slope_for_power(0.8)), "", "", ""])
    for suffix, id_suffix, _ in RESTRICTIONS:
        tidy_parts.append(_identified(sensitivity[suffix].tidy(), f"h10_arrival_sensitivity{id_suffix}",
                                      f"arrival, sensitivity {suffix}"))
    tidy_parts.append(_identified(results.arrival_dynamic.tidy(), "h10_arrival_dynamic", "arrival, by event time"))
    tidy_parts.append(pd.DataFrame([{"model_id": "h10_arrival_simple", "model": "arrival, average",
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
             data_note(panel)]
    tidy = pd.concat(tidy_parts, ignore_index=True)
    return tidy, FormattedTable("Table 8b. What the money does: returns to funding (H10)", "tab:returns", header,
                                rows, [], notes)


#: Table 9's measures: label and digits.
POLICY_MEASURES = {"total_gain": ("Change in collective income (万元/year)", 1),
                   "gini_within_county": ("Gini of funding within counties", 3),
                   "theil_between_types": ("Theil T between types A–D", 3),
                   "share_poorest_40": ("Share of funding to the poorest 40%", 3),
                   "high_need_without_strong": ("High-need villages without a strong secretary", 0)}


def table9(results: PolicyResults, panel: pd.DataFrame) -> tuple[pd.DataFrame, FormattedTable]:
    """Table 9: what the paper's recommendations would change — each policy's gain and fairness, with intervals."""
    table = results.tidy()
    rows = []
    for policy in table["policy"].unique():
        part = table.loc[table["policy"] == policy].set_index("measure")
        cells = [str(part["label"].iloc[0])]
        for measure, (_, digits) in POLICY_MEASURES.items():
            row = part.loc[measure]
            interval = (f" [{row['conf_low']:.{digits}f}, {row['conf_high']:.{digits}f}]"
                        if np.isfinite(row["conf_low"]) else "")
            cells.append(f"{row['estimate']:.{digits}f}{interval}")
        rows.append(cells)
    notes = [f"Counterfactual allocations within each county ({results.counties} counties, {results.villages:,} "
             "villages), transition-period posts reassigned among the county's villages. Funding under another "
             "post: the village's mean transition funding times the PPML multiplier of the post's level, strength "
             "and level × rich; collective income: the village's mean times exp(θ·Δasinh(funding)), θ from the H10 "
             "heterogeneity model (Table 8b). Benefits all: the county's funding split equally. Strong alliance: "
             "strongest posts to the richest villages. Need-based matching: the assignment that maximises the "
             "county's predicted gain (linear assignment problem). County pooling: need-based, then no village above "
             f"{results.cap:g} × the county mean, the excess shared by the others. Strong cadres to key villages: "
             "the strongest first secretaries to the neediest villages. The change in collective income is against "
             "the status quo (zero by construction). The Gini is computed within each county and averaged "
             "(weighted by villages); Theil T between types uses the types under each policy; the poorest 40% (by "
             "endowment) are within counties; a strong secretary is city-level or from a strong department. "
             f"Brackets: 2.5 and 97.5 percentiles over {results.draws} parametric-bootstrap draws of the allocation "
             "and return coefficients (every policy re-optimised in each draw).", *results.notes, data_note(panel)]
    return table, FormattedTable("Table 9. What the recommendations would change: allocation policies", "tab:policies",
                                 ["Policy", *[label for label, _ in POLICY_MEASURES.values()]], rows, [], notes)
