"""Table 10 of a simulated edition: every key estimate beside the truth the simulation put in.

Read from the tidy tables like the paper's text (never re-estimated): the estimate and its 95% interval, the true
value from the panel's ``truth.json`` (marked ≈ where it is an approximation on the estimator's scale), whether
the interval covers it, and for the coefficients of indicators how many villages carry them in each period.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from villageaid.analysis.truth import carrying_villages, key_truth, panel_truth
from villageaid.registry import KEY_ESTIMATES, KeyEstimate, ModelSpec
from villageaid.report.context import OutputContext
from villageaid.report.etable import fmt
from villageaid.report.key_numbers import select_row
from villageaid.report.render import FormattedTable
from villageaid.report.tables import MIN_CARRYING_VILLAGES, PERIOD_YEARS


def _carried_by(panel: pd.DataFrame, key: KeyEstimate) -> dict[str, int] | None:
    if not isinstance(key.source, ModelSpec) or not key.source.terms:
        return None
    term = str(key.where.get("term", ""))
    periods = key.source.periods if not term.startswith("post:") else ("campaign", "transition")
    return carrying_villages(panel, term, periods)


def recovery(tables_dir: object, panel: pd.DataFrame) -> pd.DataFrame:
    """Return one row per key estimate with an interval: estimate, interval, truth, covered, carrying villages."""
    truth = panel_truth(panel)
    if truth is None:
        raise ValueError("the panel carries no truth: Table 10 is written for simulated editions only")
    rows = []
    for key in KEY_ESTIMATES:
        if key.interval is None:
            continue
        try:
            row = select_row(pd.read_csv(tables_dir / key.file), key.selection)  # type: ignore[operator]
            estimate = float(row[key.column])
            low, high = (float(row.get(column, np.nan)) for column in key.interval)
        except (OSError, KeyError):  # the table says why it was not estimated
            estimate = low = high = np.nan
        value, approximate = key_truth(truth, key)
        carried = _carried_by(panel, key) or {}
        covered = (low <= value <= high) if value is not None and np.isfinite(low) and np.isfinite(high) else None
        rows.append({"key": key.id, "hypothesis": key.hypothesis, "description": key.description,
                     "estimate": estimate, "conf_low": low, "conf_high": high,
                     "truth": np.nan if value is None else value, "truth_approximate": approximate,
                     "covered": covered, "claim": key.claim,
                     "carrying_villages": min(carried.values()) if carried else np.nan,
                     "carrying_detail": "; ".join(f"{PERIOD_YEARS[p]}: {n}" for p, n in carried.items())})
    return pd.DataFrame(rows)


def _covered_cell(row: pd.Series) -> str:
    if row["covered"] is None or (isinstance(row["covered"], float) and np.isnan(row["covered"])):
        return "–"
    return "yes" if bool(row["covered"]) else "NO"


def table10(context: OutputContext) -> tuple[pd.DataFrame, FormattedTable]:
    """Table 10: the key estimates beside the simulation's truth, with coverage and the villages carrying them."""
    tidy = recovery(context.tables_dir, context.panel)
    truth = panel_truth(context.panel) or {}
    scenario = truth.get("scenario", {})
    rows = []
    for _, row in tidy.iterrows():
        interval = (f"{fmt(row['estimate'])} [{fmt(row['conf_low'])}, {fmt(row['conf_high'])}]"
                    if np.isfinite(row["estimate"]) else "not estimated")
        true_value = "–" if not np.isfinite(row["truth"]) else ("≈ " if row["truth_approximate"] else "") \
            + fmt(row["truth"])
        carried = row["carrying_detail"] or "–"
        if np.isfinite(row["carrying_villages"]) and row["carrying_villages"] < MIN_CARRYING_VILLAGES:
            carried += " (fragile)"
        rows.append([f"{row['hypothesis']}: {row['description']}", interval, true_value, _covered_cell(row),
                     carried])
    with_truth = tidy.loc[tidy["truth"].notna() & tidy["estimate"].notna()]
    missed = int((with_truth["covered"] == False).sum())  # noqa: E712 (None is neither)
    notes = [f"Scenario {scenario.get('name', '?')}: {scenario.get('description', '')} Each key estimate of the "
             "paper beside the value the simulation put in (truth.json): the effects on the log of expected "
             "funding that PPML estimates; ≈ marks a truth that is an approximation on the estimator's scale (OLS "
             "on asinh(funding) estimates about (1 − share of village-years without funding) times the log effect; "
             "2SLS without the interaction a weighted average of heterogeneous returns). Covered: whether the 95% "
             f"interval contains the truth ({missed} of {len(with_truth)} do not). Carried by: the villages on the "
             "rarer side of an indicator (or a product of indicators) in each period; a coefficient carried by "
             f"fewer than {MIN_CARRYING_VILLAGES} villages in a period is fragile. Descriptive numbers (the Gini "
             "of a year) have no truth beyond the data.", context.note]
    return tidy, FormattedTable(context.title, context.label,
                                ["Key estimate", "Estimate [95% CI]", "Truth", "Covered", "Carried by (villages)"],
                                rows, [], notes, paragraph_widths=("0.42", "0.17", "0.07", "0.07", "0.17"))
