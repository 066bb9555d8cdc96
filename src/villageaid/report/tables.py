"""The paper's tables: tidy CSV for machines, Markdown and LaTeX (booktabs) for people."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from villageaid.analysis.descriptives import DESCRIBED, descriptive_statistics
from villageaid.analysis.typology import ALL_COUNTIES, typology_counts
from villageaid.io.write import write_csv, write_text
from villageaid.panel.typology import TYPE_LABELS, VILLAGE_TYPES
from villageaid.report.etable import Column, fmt, regression_table
from villageaid.report.render import ColumnGroup, FormattedTable

if TYPE_CHECKING:
    from villageaid.report.context import OutputContext

#: Largest number of counties shown one by one; with more, only the total is shown.
MAX_COUNTIES_SHOWN = 6
_PERIOD_LABELS = {"campaign": "Campaign 2016–2020", "transition": "Transition 2021–2025"}
#: The periods' years, as notes name them.
PERIOD_YEARS = {"campaign": "2016–2020", "transition": "2021–2025"}


def data_note(panel: pd.DataFrame) -> str:
    """Return the sentence every table carries about where its data come from."""
    source = panel.attrs.get("data_source", "")
    if source.startswith("simulated"):
        return (f"Data: {source}. These are SIMULATED data from villageaid's documented data-generating "
                "process, not real county records.")
    return f"Data: {source or 'user-supplied records'}."


#: Below these, inference is fragile and the tables and the paper say so.
MIN_BOOTSTRAP_CLUSTERS = 10
MIN_VARIANCE_CLUSTERS = 30
MIN_CARRYING_VILLAGES = 5


def sample_facts(panel: pd.DataFrame) -> dict:
    """Return what the notes and the paper say about the sample, computed from the panel.

    Returns
    -------
    dict
        ``counties``, ``townships``, ``villages``, ``first_year``, ``last_year``, ``simulated`` (bool),
        ``source`` and ``types_transition`` (village type → number of villages, modal type in 2021–2025).
    """
    from villageaid.analysis.typology import village_period_types

    source = str(panel.attrs.get("data_source", "")) or "user-supplied records"
    types = {t: 0 for t in VILLAGE_TYPES}
    if "village_type" in panel and "period" in panel:
        typed = village_period_types(panel, periods=("transition",)) \
            if (panel["period"] == "transition").any() else None
        if typed is not None:
            for vtype, n in typed["village_type"].astype(object).value_counts().items():
                types[str(vtype)] = int(n)
    return {"counties": int(panel["county"].nunique()), "townships": int(panel["township"].nunique()),
            "villages": int(panel["village_id"].nunique()), "first_year": int(panel["year"].min()),
            "last_year": int(panel["year"].max()), "simulated": source.startswith("simulated"), "source": source,
            "types_transition": types}


def sample_note(panel: pd.DataFrame) -> str:
    """Return the computed sentence on the sample: counties, townships, villages, years and types."""
    facts = sample_facts(panel)
    total = sum(facts["types_transition"].values())
    types = ", ".join(f"{t} {n} ({100 * n / total:.0f}%)" for t, n in facts["types_transition"].items()) \
        if total else "no typed villages"
    return (f"Sample: {facts['counties']} count{'y' if facts['counties'] == 1 else 'ies'}, "
            f"{facts['townships']} townships, {facts['villages']} villages, {facts['first_year']}–"
            f"{facts['last_year']}; village types in 2021–2025: {types}.")


def _count_cell(villages: int, share: float) -> str:
    return f"{villages} ({100 * share:.1f}%)" if np.isfinite(share) else "0 (–)"


def table1(context: OutputContext) -> tuple[pd.DataFrame, FormattedTable]:
    """Table 1: villages by type (unit level × endowment), by county and period, with mean funding.

    Returns
    -------
    tidy : DataFrame
        The numbers (see :func:`villageaid.analysis.typology_counts`).
    formatted : FormattedTable
        The printed layout.
    """
    panel = context.panel
    tidy = typology_counts(panel)
    counties = [c for c in tidy["county"].unique() if c != ALL_COUNTIES]
    shown = [*counties, ALL_COUNTIES] if len(counties) <= MAX_COUNTIES_SHOWN else [ALL_COUNTIES]
    periods = list(dict.fromkeys(tidy["period"]))
    columns = ["Type"]
    groups = [ColumnGroup("", 1)]
    for period in periods:
        groups.append(ColumnGroup(f"Villages, {_PERIOD_LABELS.get(period, period)}", len(shown)))
        columns += [c if c != ALL_COUNTIES else "All" for c in shown]
    groups.append(ColumnGroup("Mean annual funding (万元)", len(periods)))
    columns += [_PERIOD_LABELS.get(p, p).split()[0] for p in periods]
    indexed = tidy.set_index(["period", "county", "village_type"]).sort_index()
    rows = []
    for vtype in VILLAGE_TYPES:
        row = [f"{vtype}: {TYPE_LABELS[vtype]}"]
        for period in periods:
            for county in shown:
                r = indexed.loc[(period, county, vtype)]
                row.append(_count_cell(int(r["villages"]), float(r["share"])))
        for period in periods:
            mean = indexed.loc[(period, ALL_COUNTIES, vtype), "mean_funding"]
            row.append(f"{mean:.1f}" if np.isfinite(mean) else "–")
        rows.append(row)
    total_row = ["Total"]
    for period in periods:
        for county in shown:
            total_row.append(str(int(indexed.loc[(period, county), "villages"].sum())))
    for period in periods:
        sub = tidy.loc[(tidy["period"] == period) & (tidy["county"] == ALL_COUNTIES)]
        years = sub["village_years"].to_numpy()
        mean = float(np.nansum(sub["mean_funding"].to_numpy() * years) / years.sum()) if years.sum() else np.nan
        total_row.append(f"{mean:.1f}" if np.isfinite(mean) else "–")
    rows.append(total_row)
    notes = [
        "Notes: A village's type in a period is the type it has in most of the period's years. City level "
        "means a first secretary from a central, provincial or city unit; county level covers county and "
        "township units. Rich: endowment index at or above the county's "
        f"{panel.attrs.get('rich_quantile', 2 / 3):.3g} quantile; the index is the first principal component "
        "of pre-2021 baseline indicators. Shares are of the county's villages in that period. Mean funding is "
        "over village-years of the type, all sources.",
        sample_note(panel),
        data_note(panel),
    ]
    formatted = FormattedTable(
        title=context.title,
        label=context.label,
        columns=columns,
        rows=rows,
        groups=groups,
        notes=notes,
    )
    return tidy, formatted


def table2(context: OutputContext) -> tuple[pd.DataFrame, FormattedTable]:
    """Table 2: means (standard deviations) by village type and period."""
    panel = context.panel
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
    return tidy, FormattedTable(context.title, context.label, columns, rows, groups, notes)


def models_table(context: OutputContext) -> tuple[pd.DataFrame, FormattedTable]:
    """Write a regression table of the output's declared models, one column each (the generic writer).

    Any output whose models are regressions can use it (``writer="villageaid.report.tables:models_table"``):
    rows are the models' terms in order of appearance, the notes say what the table shows (the output's
    ``caption``), which declared models the data could not give (an analysis leaves those None), how the errors
    were computed and where the data come from.
    """
    fitted = [(spec, context.model(spec)) for spec in context.spec.models]
    columns = [Column(spec.label, result, model_id=spec.id) for spec, result in fitted if result is not None]
    missing = [spec.label for spec, result in fitted if result is None]
    if not columns:
        raise ValueError(f"{context.spec.stem}: none of its models could be estimated on these data")
    terms = {term: term for column in columns for term in column.result.tidy()["term"]}
    absent = (f"Not estimated on these data (what they need does not vary or is missing): {'; '.join(missing)}."
              if missing else "")
    notes = [note for note in (context.spec.caption, absent, context.note) if note]
    return regression_table(columns, terms, title=context.title, label=context.label, notes=notes)


def write_table(name: str, tidy: pd.DataFrame, formatted: FormattedTable, out_dir: Path | str) -> list[Path]:
    """Write ``name``.csv (tidy numbers, full precision), ``name``.md and ``name``.tex atomically."""
    out_dir = Path(out_dir)
    return [
        write_csv(tidy, out_dir / f"{name}.csv"),
        write_text(out_dir / f"{name}.md", formatted.to_markdown()),
        write_text(out_dir / f"{name}.tex", formatted.to_latex()),
    ]
