"""Regression tables laid out as R fixest's ``etable``: estimates with standard errors in parentheses.

Tables are built from each model's ``tidy()`` output and its summary attributes, never from estimator
internals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from villageaid.estimators.results import RegressionResults
from villageaid.report.render import ColumnGroup, FormattedTable

STARS = ((0.01, "***"), (0.05, "**"), (0.10, "*"))
STAR_NOTE = "Standard errors in parentheses. * p < 0.10, ** p < 0.05, *** p < 0.01."


def stars(p_value: float) -> str:
    """Significance stars of a p-value."""
    for threshold, mark in STARS:
        if p_value < threshold:
            return mark
    return ""


def fmt(value: float, digits: int = 3) -> str:
    """Format a number for a table ('–' when missing)."""
    if value is None or not np.isfinite(value):
        return "–"
    return f"{value:.{digits}f}"


def estimate_cells(estimate: float, std_error: float, p_value: float, digits: int = 3) -> tuple[str, str]:
    """Format an estimate as two cells: the value with stars, and the standard error in parentheses."""
    return fmt(estimate, digits) + stars(p_value), f"({fmt(std_error, digits)})"


@dataclass(frozen=True)
class Column:
    """One model column of a regression table."""

    label: str
    result: RegressionResults
    extra: Mapping[str, str] | None = None  # further rows, e.g. {"Wild bootstrap p (township)": "0.031"}


def regression_table(columns: Sequence[Column], terms: Mapping[str, str], *, title: str, label: str,
                     notes: Sequence[str], fixed_effect_labels: Mapping[str, str] | None = None,
                     groups: Sequence[ColumnGroup] = (), digits: int = 3) -> tuple[pd.DataFrame, FormattedTable]:
    """Build a regression table.

    Parameters
    ----------
    columns : sequence of Column
        The models, left to right.
    terms : mapping
        Term name in the models → row label, in the order to print (terms absent from a model are blank).
    title, label : str
        Caption and LaTeX label.
    notes : sequence of str
        Notes under the table (the star legend is added).
    fixed_effect_labels : mapping, optional
        Fixed-effect name → label for the "Fixed effects" rows.
    groups : sequence of ColumnGroup
        Spanning header (must cover the row-label column too).

    Returns
    -------
    tidy : DataFrame
        Long table: model, term, estimate, std_error, statistic, p_value, conf_low, conf_high, nobs.
    formatted : FormattedTable
    """
    tidy_parts = []
    for number, column in enumerate(columns, start=1):
        part = column.result.tidy()
        part.insert(0, "model", f"({number}) {column.label}")
        part["nobs"] = column.result.nobs
        tidy_parts.append(part)
    tidy = pd.concat(tidy_parts, ignore_index=True)
    header = ["", *[f"({i}) {c.label}" for i, c in enumerate(columns, start=1)]]
    rows: list[list[str]] = []
    for term, term_label in terms.items():
        estimates, errors = [term_label], [""]
        present = False
        for column in columns:
            table = column.result.tidy().set_index("term")
            if term in table.index:
                present = True
                row = table.loc[term]
                value, error = estimate_cells(row["estimate"], row["std_error"], row["p_value"], digits)
                estimates.append(value)
                errors.append(error)
            else:
                estimates.append("")
                errors.append("")
        if present:
            rows += [estimates, errors]
    fe_names = list(dict.fromkeys(name for c in columns for name in c.result.fixed_effects))
    if fe_names:
        rows.append(["Fixed effects"])
        for name in fe_names:
            shown = (fixed_effect_labels or {}).get(name, name)
            rows.append([shown, *["Yes" if name in c.result.fixed_effects else "No" for c in columns]])
    rows.append(["Estimator", *[c.result.estimator for c in columns]])
    rows.append(["Standard errors", *[_cluster_label(c.result) for c in columns]])
    rows.append(["Observations", *[f"{c.result.nobs:,}" for c in columns]])
    for key, shown in (("r2", "R²"), ("within_r2", "Within R²"), ("pseudo_r2", "Pseudo R²")):
        if any(key in c.result.fit_statistics for c in columns):
            rows.append([shown, *[fmt(c.result.fit_statistics.get(key, np.nan), 3) for c in columns]])
    extra_keys = list(dict.fromkeys(k for c in columns for k in (c.extra or {})))
    for key in extra_keys:
        rows.append([key, *[(c.extra or {}).get(key, "") for c in columns]])
    formatted = FormattedTable(title=title, label=label, columns=header, rows=rows, groups=list(groups),
                               notes=[*notes, STAR_NOTE])
    return tidy, formatted


def _cluster_label(result: RegressionResults) -> str:
    if result.clusters:
        return "Clustered: " + ", ".join(f"{k} ({v})" for k, v in result.clusters.items())
    return result.vcov_type
