"""Tables of the event studies: Table 5 (H4 by year), 5b and 6c (sensitivity), 6 (H5, demonstration villages).

Writers only format: the event studies, their sensitivity and their pre-tests' power are estimated by the
analyses the output declares in the registry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from villageaid.estimators import EventStudyResult, SensitivityResult
from villageaid.registry import (
    CS_NEVER,
    CS_NOT_YET,
    CS_UNIVERSAL,
    PRETREND_POWERS,
    SENSITIVITY_RESTRICTIONS,
    SUN_ABRAHAM,
    TWFE_DYNAMIC,
    ModelSpec,
    sensitivity_id,
)
from villageaid.report.allocation_tables import variance_sentence
from villageaid.report.context import OutputContext, identified
from villageaid.report.etable import FALLBACK_MARK, STAR_NOTE, estimate_cells, fmt, stars
from villageaid.report.render import FormattedTable


def table5(context: OutputContext) -> tuple[pd.DataFrame, FormattedTable]:
    """Table 5: event-study coefficients by year (2020 = 0) with the pre-trend test and its power."""
    specs = context.spec.models
    studies = {spec.label: context.model(spec) for spec in specs}
    power = context.analysis("logic_shift_power")
    slopes = {spec.label: power.slopes[spec.result] for spec in specs}
    tidy_parts = []
    for spec in specs:
        study = studies[spec.label]
        tidy_parts.append(identified(study.tidy(), spec))
        if study.pre_trend is not None:  # the pre-trend test as a row, so the paper reads it, not re-estimates
            tidy_parts.append(pd.DataFrame([{"model_id": spec.id, "model": spec.label, "term": "pre_trend_test",
                                             "statistic": study.pre_trend.statistic,
                                             "p_value": study.pre_trend.p_value}]))
            # Roth (2022): the linear violation (per year) the pre-test would detect with 50% and 80% power.
            tidy_parts.append(pd.DataFrame([{"model_id": spec.id, "model": spec.label,
                                             "term": f"pretrend_slope_{int(100 * p)}",
                                             "estimate": slopes[spec.label][p]} for p in PRETREND_POWERS]))
    tidy = pd.concat(tidy_parts, ignore_index=True)
    # every row of a study (coefficients, its pre-trend test and power) rests on the same variance
    models = {spec.id: studies[spec.label].model for spec in specs}
    tidy["vcov"] = tidy["model_id"].map({k: m.vcov_type for k, m in models.items()})
    tidy["fallback_reason"] = tidy["model_id"].map({k: m.fallback_reason or "" for k, m in models.items()})
    periods = sorted({int(p) for p in tidy["period"].dropna()})
    rows = []
    for period in periods:
        est, se = [str(period)], [""]
        for study in studies.values():
            table = study.tidy().set_index("period")
            if period not in table.index:  # a year this study could not estimate (no variation in it)
                est.append("")
                se.append("")
                continue
            row = table.loc[period]
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
    for p in PRETREND_POWERS:
        rows.append([f"Linear pre-trend slope detected with {100 * p:.0f}% power",
                     *[fmt(slopes[label][p]) for label in studies]])
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
             STAR_NOTE, context.note]
    failed = [label for label, s in studies.items() if s.pre_trend is not None and s.pre_trend.p_value < 0.05]
    if failed:
        notes.insert(1, "Caution: the pre-trend test rejects at 5% for " + ", ".join(failed) + "; parallel trends "
                     "before 2020 are in doubt for these models.")
    return tidy, FormattedTable(context.title, context.label, ["Year", *studies], rows, [], notes)


def _pre_trend(study: EventStudyResult) -> str:
    test = study.pre_trend
    if test is None:
        return "–"
    return f"{'F' if test.distribution == 'F' else 'χ²'} = {test.statistic:.2f}"


@dataclass(frozen=True)
class SensitivityColumn:
    """One column of a sensitivity table: a model under one restriction, and its pre-test's slopes if shown."""

    label: str
    model_id: str
    result: SensitivityResult
    slopes: dict[float, float] | None = None


def sensitivity_columns(model: ModelSpec, sensitivity: dict[str, SensitivityResult],
                        slopes: dict[float, float] | None = None, *, separator: str = ": ") -> list[SensitivityColumn]:
    """Return a model's columns under each restriction (ΔSD, ΔRM); the slopes go with the first."""
    return [SensitivityColumn(f"{model.label}{separator}{r.symbol}", sensitivity_id(model, r),
                              sensitivity[r.symbol], slopes if i == 0 else None)
            for i, r in enumerate(SENSITIVITY_RESTRICTIONS)]


def sensitivity_tidy(columns: Sequence[SensitivityColumn], model: ModelSpec) -> pd.DataFrame:
    """Tidy rows of each column's robust intervals, original interval, breakdown value and slopes."""
    parts = []
    for column in columns:
        result = column.result
        parts.append(identified(result.tidy(), model, column.label, model_id=column.model_id))
        parts.append(pd.DataFrame([{"model_id": column.model_id, "model": column.label, "term": "original",
                                    "conf_low": result.original[0], "conf_high": result.original[1]},
                                   {"model_id": column.model_id, "model": column.label, "term": "breakdown",
                                    "estimate": np.nan if result.breakdown is None else result.breakdown},
                                   *[{"model_id": column.model_id, "model": column.label,
                                      "term": f"pretrend_slope_{int(100 * p)}", "estimate": value}
                                     for p, value in (column.slopes or {}).items()]]))
    return pd.concat(parts, ignore_index=True)


def _robust_cell(row: pd.Series) -> str:
    """One robust interval: '[low, high]', '†' when it reaches the end of the test grid, 'empty' when empty."""
    symbol = "M̄" if str(row.get("restriction", "")).startswith("relative") else "M"
    if bool(row.get("empty", False)):
        return f"{symbol} = {row['M']:.3f}: empty"
    mark = "†" if bool(row.get("open_at_grid_end", False)) else ""
    return f"{symbol} = {row['M']:.3f}: [{fmt(row['conf_low'])}, {fmt(row['conf_high'])}]{mark}"


def _sensitivity_table(context: OutputContext, columns: Sequence[tuple[ModelSpec, SensitivityColumn]],
                       what: str) -> tuple[pd.DataFrame, FormattedTable]:
    """Robust intervals per model, restriction and grid point, the original interval and the breakdown value."""
    tidy = pd.concat([sensitivity_tidy([column], model) for model, column in columns], ignore_index=True)
    results = {column.label: column.result for _, column in columns}
    rows = [["Method", *[r.method for r in results.values()]],
            ["Original 95% interval", *[f"[{fmt(r.original[0])}, {fmt(r.original[1])}]" for r in results.values()]]]
    tables = {label: r.tidy() for label, r in results.items()}
    for i in range(max(len(t) for t in tables.values())):  # the bound on one line, its interval under it
        cells = [_robust_cell(t.iloc[i]).split(": ", 1) if i < len(t) else ["", ""] for t in tables.values()]
        rows.append([f"Grid point {i + 1}", *[cell[0] for cell in cells]])
        rows.append(["", *[cell[1] for cell in cells]])
    rows.append(["Breakdown value (M or M̄)", *["none" if r.breakdown is None else fmt(r.breakdown, 3)
                                               for r in results.values()]])
    if any(column.slopes for _, column in columns):
        for p in PRETREND_POWERS:
            rows.append([f"Linear pre-trend slope detected with {100 * p:.0f}% power",
                         *[fmt(column.slopes[p]) if column.slopes else "" for _, column in columns]])
    notes = [what + " under two restrictions on how the difference in trends may evolve after the reference "
             "period (Rambachan & Roth 2023). ΔSD(M), smoothness: its slope may change by at most M between "
             "consecutive years; fixed-length confidence intervals (FLCI); M runs from 0 to the largest one-sided "
             "95% upper bound of a pre-period change in slope. ΔRM(M̄), relative magnitudes: no post-period change "
             "in the difference in trends exceeds M̄ times the largest pre-period change; conditional-least-"
             "favourable hybrid (C-LF) sets, found on a grid of 1,000 values within ±20 standard errors; M̄ runs "
             "from 0 to 2. Both are R HonestDiD's defaults. The breakdown value is the largest M (M̄) on the "
             "grid at which the interval still excludes zero.", context.note]
    flagged = [label for label, t in tables.items() if t.get("open_at_grid_end", pd.Series(False)).any()]
    if flagged:
        notes.insert(1, "† The interval reaches the end of the test grid (" + ", ".join(flagged) + "): its true end "
                     "lies further out; the interval shown is a lower bound on its width.")
    empty = [label for label, t in tables.items() if t.get("empty", pd.Series(False)).any()]
    if empty:
        notes.insert(1, "'empty': every value on the grid is rejected (" + ", ".join(empty) + "): the pre-period "
                     "coefficients are unlikely under this restriction, which is itself evidence against it.")
    return tidy, FormattedTable(context.title, context.label, ["", *results], rows, [], notes)


def table5b(context: OutputContext) -> tuple[pd.DataFrame, FormattedTable]:
    """Table 5b: how large a violation of parallel trends would overturn the 2021 effect of richness (H4)."""
    sensitivity = context.analysis("logic_shift_sensitivity").sensitivity
    columns = [(spec, column) for spec in context.spec.models
               for column in sensitivity_columns(spec, sensitivity[spec.result])]
    tidy, formatted = _sensitivity_table(
        context, columns, "H4: robust 95% confidence intervals for the 2021 coefficient of rich × year and of "
        "city-level × rich × year, the triple difference's own event study (against 2020)")
    studies = {spec.label: context.model(spec) for spec in context.spec.models}
    notes = [f"The event-study coefficients and their variance come from Table 5: "
             f"{variance_sentence([s.model for s in studies.values()])}",
             *[f"Table 5's {label}: {s.model.fallback_reason}." for label, s in studies.items()
               if s.model.fallback_reason]]
    return tidy, replace(formatted, notes=[*formatted.notes[:-1], *notes, formatted.notes[-1]])


def table6c(context: OutputContext) -> tuple[pd.DataFrame, FormattedTable]:
    """Table 6c: how large a violation of parallel trends would overturn the effect of designation (H5).

    Beside the robust intervals: the linear pre-trend slopes its pre-test detects with 50% and 80% power
    (Roth 2022).
    """
    estimates = context.analysis("demonstration_sensitivity")
    columns = [(CS_UNIVERSAL, column) for column in sensitivity_columns(
        CS_UNIVERSAL, estimates.sensitivity[CS_UNIVERSAL.result], estimates.slopes[CS_UNIVERSAL.result])]
    return _sensitivity_table(
        context, columns,
        "H5: robust 95% confidence intervals for the Callaway–Sant'Anna effect of designation as a demonstration "
        "village in its first year (not-yet-treated controls, covariates as in Table 6, universal base period "
        "e = −1 so that pre- and post-period estimates are comparable, as the method requires)")


#: Table 6's dynamic estimators, in column order.
DYNAMIC_MODELS = (TWFE_DYNAMIC, SUN_ABRAHAM, CS_NEVER, CS_NOT_YET)


def table6(context: OutputContext) -> tuple[pd.DataFrame, FormattedTable]:
    """Table 6: H5, demonstration villages — TWFE, Sun–Abraham and Callaway–Sant'Anna side by side."""
    results = context.analysis(CS_NEVER.analysis)
    columns = {spec.label: context.model(spec).tidy().set_index("event_time") for spec in DYNAMIC_MODELS}
    events = sorted({int(e) for table in columns.values() for e in table.index})
    rows: list[list[str]] = [["Panel A. Effect of designation by years since designation (asinh funding)"]]
    tidy_parts = []
    for spec in DYNAMIC_MODELS:
        part = identified(columns[spec.label].reset_index(), spec)
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
    anticipated = results.cs_anticipation_simple
    if anticipated is not None:
        years = f"{results.anticipation} year{'s' * (results.anticipation > 1)}"
        rows.append([f"Simple ATT allowing {years} of anticipation (CS)", "", "", "",
                     fmt(anticipated.overall_estimate)])
        rows.append(["", "", "", "", f"({fmt(anticipated.overall_std_error)})"])
        tidy_parts.append(pd.DataFrame([{"model_id": "cs_anticipation", "model": "CS, not yet treated, anticipation",
                                         "event_time": np.nan, "estimate": anticipated.overall_estimate,
                                         "std_error": anticipated.overall_std_error}]))
    pre_never, pre_not_yet = results.cs_never.pre_trend_test(), results.cs_not_yet.pre_trend_test()
    rows.append(["Pre-trend test p-value (CS, all pre-periods)", "", "",
                 *[f"{test.p_value:.3f}" if test is not None else "–" for test in (pre_never, pre_not_yet)]])
    rows.append(["Observations (village-years)", *[f"{context.model(spec).nobs:,}" for spec in DYNAMIC_MODELS]])
    rows.append(["Panel C. Goodman-Bacon decomposition of the static TWFE coefficient"])
    for row in results.bacon.by_type().itertuples(index=False):
        rows.append([f"{row.type}: weight, estimate", f"{row.weight:.3f}", fmt(row.estimate), "", ""])
    if results.selection is not None:
        rows.append(["Panel D. Who is designated: logit of ever being designated (villages)"])
        selection = results.selection.tidy().set_index("term")
        for term, label in (("endowment_index", "Endowment index"), ("need_index", "Need index"),
                            ("city", "City-level first secretary (2021)"), ("strong", "Strong department (2021)")):
            if term in selection.index:
                value, error = estimate_cells(selection.loc[term, "estimate"], selection.loc[term, "std_error"],
                                              selection.loc[term, "p_value"])
                rows += [[label, value, "", "", ""], ["", error, "", "", ""]]
        tidy_parts.append(selection.reset_index().assign(model_id="designation_selection",
                                                         model="Selection into designation (logit)"))
    tidy = pd.concat(tidy_parts, ignore_index=True)
    notes = ["H5: funding after designation as a demonstration village (乡村振兴示范村), cohorts by first year "
             "of designation. TWFE: relative-time dummies with village and year effects. Sun–Abraham: cohort × "
             "relative-time interactions averaged by cohort shares, never-treated control. CS: Callaway & "
             "Sant'Anna (2021) doubly robust ATT(g,t) with the pre-2021 endowment index and rich as covariates, "
             "varying base period, aggregated by event time (pre-periods are short differences, so they are "
             "not comparable with the TWFE and Sun–Abraham leads, which are relative to e = −1). Errors "
             "clustered by village (TWFE, Sun–Abraham) or from influence functions (CS; uniform bands in the "
             "figure from a multiplier bootstrap). Bacon: where the static TWFE coefficient gets its weight; "
             "'later vs earlier' comparisons use already-treated villages as controls. The CS row with "
             "anticipation lets effects start before the designation year (lists are drawn up and announced "
             "first); Panel D shows that designation is not random (errors clustered by township), which the "
             "doubly robust CS estimates adjust for through the endowment covariates only.",
             STAR_NOTE, context.note]
    return tidy, FormattedTable(context.title, context.label, ["", *columns], rows, [], notes)
