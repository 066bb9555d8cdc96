"""Regression tables laid out as R fixest's ``etable``: estimates with standard errors in parentheses.

Tables are built from each model's ``tidy()`` output and its summary attributes, never from estimator
internals.
"""

from __future__ import annotations

import html
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
    #: How this model treats each fixed effect when "Yes"/"No" would mislead (e.g. differenced out).
    fixed_effects_shown: Mapping[str, str] | None = None
    #: Stable identifier of the model in the tidy output (``transition_ppml``), never its display label.
    model_id: str | None = None


@dataclass(frozen=True)
class ETable:
    """A regression table: ``to_frame()`` (the formatted cells), ``to_markdown()``, ``to_latex()``, ``tidy``.

    Prints as Markdown in a terminal and renders as HTML in a notebook.
    """

    tidy: pd.DataFrame
    formatted: FormattedTable

    def to_frame(self) -> pd.DataFrame:
        """Return the formatted cells as a DataFrame (row labels as index, one column per model)."""
        width = len(self.formatted.columns)
        rows = [row + [""] * (width - len(row)) for row in self.formatted.rows]
        frame = pd.DataFrame(rows, columns=self.formatted.columns)
        return frame.set_index(self.formatted.columns[0])

    def to_markdown(self) -> str:
        """Markdown (GitHub pipe table) with the notes under it."""
        return self.formatted.to_markdown()

    def to_latex(self) -> str:
        """LaTeX (booktabs ``table`` environment)."""
        return self.formatted.to_latex()

    def __str__(self) -> str:
        return self.to_markdown()

    def _repr_html_(self) -> str:
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.formatted.notes)
        return (f"<p><b>{html.escape(self.formatted.title)}</b></p>" + self.to_frame().to_html()
                + (f"<ul>{notes}</ul>" if notes else ""))


def etable(models: Sequence[RegressionResults | Column], *, labels: Sequence[str] | None = None,
           terms: Mapping[str, str] | None = None, title: str = "", label: str = "tab:regression",
           notes: Sequence[str] = (), fixed_effect_labels: Mapping[str, str] | None = None,
           groups: Sequence[ColumnGroup] = (), digits: int = 3) -> ETable:
    """Build a regression table of several models, as R fixest's ``etable``.

    Estimates with stars and standard errors in parentheses, then the fixed effects (Yes/No), the estimator,
    the variance of each column (e.g. "cluster jackknife (CRV3) by village (270)"), the observations and
    the fit statistics. Built from each model's ``tidy()`` and summary attributes only.

    Parameters
    ----------
    models : sequence of RegressionResults or Column
        The models, left to right (a :class:`Column` adds extra rows such as bootstrap p-values).
    labels : sequence of str, optional
        Column labels (default: each model's dependent variable).
    terms : mapping, optional
        Term → row label, in the order to print; by default every term, in order of appearance.
    title, label : str
        Caption and LaTeX label.
    notes : sequence of str
        Notes under the table (the star legend is added).
    fixed_effect_labels : mapping, optional
        Fixed-effect name → label for the fixed-effect rows.
    groups : sequence of ColumnGroup
        Spanning header (must cover the row-label column too).
    digits : int
        Decimals.

    Returns
    -------
    ETable

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from villageaid.estimators import feols
    >>> rng = np.random.default_rng(0)
    >>> data = pd.DataFrame({"g": np.repeat(np.arange(20), 5), "x": rng.normal(size=100)})
    >>> data["y"] = data["x"] + rng.normal(size=100)
    >>> table = etable([feols("y ~ x", data), feols("y ~ x | g", data)])
    >>> table.to_frame().loc["Standard errors"].tolist()
    ['iid', 'clustered (CRV1) by g (20)']
    """
    columns = [m if isinstance(m, Column) else Column(labels[i] if labels else m.depvar, m)
               for i, m in enumerate(models)]
    if labels is not None and len(labels) != len(columns):
        raise ValueError(f"{len(labels)} labels for {len(columns)} models")
    if terms is None:
        terms = {t: t for c in columns for t in c.result.tidy()["term"]}
    tidy, formatted = regression_table(columns, terms, title=title, label=label, notes=notes,
                                       fixed_effect_labels=fixed_effect_labels, groups=groups, digits=digits)
    return ETable(tidy, formatted)


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
        part.insert(0, "model_id", column.model_id or f"model_{number}")
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
            rows.append([shown, *[(c.fixed_effects_shown or {}).get(
                name, "Yes" if name in c.result.fixed_effects else "No") for c in columns]])
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
    """Describe the variance of a column with its cluster counts, e.g. "... (CRV3) by village (270)"."""
    label = result.vcov_type
    for name, count in result.clusters.items():
        label = label.replace(f"by {name}", f"by {name} ({count})", 1) if f"by {name}" in label \
            else f"{label}, {name} ({count})"
    return label
