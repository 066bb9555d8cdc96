"""Regression tables laid out as R fixest's ``etable``: estimates with standard errors in parentheses.

Tables are built from each model's ``tidy()`` output and its summary attributes, never from estimator
internals.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from villageaid.estimators.results import ResultsBase
from villageaid.report.render import ColumnGroup, FormattedTable, Spanning

STARS = ((0.01, "***"), (0.05, "**"), (0.10, "*"))
STAR_NOTE = "Standard errors in parentheses. * p < 0.10, ** p < 0.05, *** p < 0.01."


def latex_style() -> Path:
    r"""Return the path of ``villageaid.sty``, the LaTeX style the tables' ``to_latex()`` output needs.

    It is installed with the package (the paper's own ``paper/villageaid.sty`` is the same file). Copy it beside
    your document and load it with ``\usepackage{villageaid}`` (XeLaTeX; CJK text needs xeCJK), e.g.
    ``shutil.copy(villageaid.latex_style(), "mypaper/")``.

    Returns
    -------
    Path
        The installed ``villageaid.sty``.

    Examples
    --------
    >>> import villageaid as va
    >>> va.latex_style().name
    'villageaid.sty'
    >>> r"\newcommand{\VAtable}" in va.latex_style().read_text(encoding="utf-8")
    True
    """
    from importlib import resources

    return Path(str(resources.files("villageaid") / "data" / "villageaid.sty"))


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


#: Mark of a standard error computed with a fallback variance (the one asked for was undefined).
FALLBACK_MARK = "†"


@dataclass(frozen=True)
class Column:
    """One model column of a regression table."""

    label: str
    result: ResultsBase
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
        rows = [[row[0]] + [row[1]] * (width - 1) if len(row) == 2 and isinstance(row[1], Spanning)
                else row + [""] * (width - len(row)) for row in self.formatted.rows]
        frame = pd.DataFrame(rows, columns=self.formatted.columns)
        return frame.set_index(self.formatted.columns[0])

    def to_markdown(self) -> str:
        """Markdown (GitHub pipe table) with the notes under it."""
        return self.formatted.to_markdown()

    def to_latex(self) -> str:
        r"""LaTeX: a ``\VAtable`` (booktabs, 8 pt, never scaled); needs ``villageaid.sty`` (:func:`latex_style`)."""
        return self.formatted.to_latex()

    def __str__(self) -> str:
        return self.to_markdown()

    def _repr_html_(self) -> str:
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.formatted.notes)
        return (f"<p><b>{html.escape(self.formatted.title)}</b></p>" + self.to_frame().to_html()
                + (f"<ul>{notes}</ul>" if notes else ""))


def _models(models: object, argument: str = "models", _position: str = "") -> list[object]:
    """Flatten what etable, coefplot and iplot take: a result, a Column, a collection, or a sequence of those."""
    from villageaid.estimators.multiple import MultipleResults, NotEstimated

    if isinstance(models, MultipleResults):
        return [m for m in models if not isinstance(m, NotEstimated)]
    if isinstance(models, list | tuple):
        if not _position and not models:
            raise ValueError(f"{argument} is empty: give at least one result")
        return [item for i, model in enumerate(models) for item in _models(model, argument, f"{_position}[{i}]")]
    if isinstance(models, Column) or callable(getattr(models, "tidy", None)):
        return [models]
    shown = repr(models)
    shown = shown if len(shown) <= 40 else shown[:37] + "..."
    raise TypeError(f"{argument}{_position} must be results with a tidy() method (a fit, an event study, an "
                    f"aggregation...), a MultipleResults or a sequence of them, got {type(models).__name__} {shown}")


def _attribute(result: object, name: str, default: object) -> object:
    """Return a result's attribute, else its inner result's (a 2SLS bundle answers for its model), else a default."""
    value = getattr(result, name, None)
    if value is None and hasattr(result, "inner"):
        value = getattr(result.inner, name, None)
    return default if value is None else value


def select_terms(terms: Sequence[str], *, keep: Sequence[str] | str | None = None,
                 drop: Sequence[str] | str | None = None, order: Sequence[str] | str | None = None,
                 exact_match: bool = False) -> list[str]:
    """Keep, drop and order terms by regular expressions (or exact names), as fixest's and pyfixest's etable.

    Examples
    --------
    >>> select_terms(["x1", "x2", "post:x1", "Intercept"], drop="Intercept", order=["^post"])
    ['post:x1', 'x1', 'x2']
    """
    def patterns(value: Sequence[str] | str | None) -> list[str]:
        items = [value] if isinstance(value, str) else list(value or [])
        return [f"^{re.escape(item)}$" if exact_match else item for item in items]

    def matches(term: str, pattern: str) -> bool:
        try:
            return re.search(pattern, term) is not None
        except re.error as exc:
            raise ValueError(f"keep/drop/order: {pattern!r} is not a regular expression ({exc}); use "
                             "exact_match=True for plain names") from exc

    kept, dropped, ordered = patterns(keep), patterns(drop), patterns(order)
    out = [t for t in terms if (not kept or any(matches(t, k) for k in kept))
           and not any(matches(t, d) for d in dropped)]
    if ordered:
        rank = {t: next((i for i, pattern in enumerate(ordered) if matches(t, pattern)), len(ordered)) for t in out}
        out = sorted(out, key=lambda t: rank[t])
    return out


def etable(models: object, *, labels: Sequence[str] | None = None, terms: Mapping[str, str] | None = None,
           keep: Sequence[str] | str | None = None, drop: Sequence[str] | str | None = None,
           order: Sequence[str] | str | None = None, rename: Mapping[str, str] | None = None,
           exact_match: bool = False, title: str = "", label: str = "tab:regression", notes: Sequence[str] = (),
           fixed_effect_labels: Mapping[str, str] | None = None, groups: Sequence[ColumnGroup] = (),
           digits: int = 3) -> ETable:
    """Build a regression table of several models, as R fixest's and pyfixest's ``etable``.

    Estimates with stars and standard errors in parentheses, then the fixed effects (Yes/No), the estimator,
    the variance of each column (e.g. "cluster jackknife (CRV3) by village (270)"), the observations, the fit
    statistics and each result's own rows (first-stage F, Anderson–Rubin sets, bootstrap p-values). Built
    from each model's ``tidy()`` and summary attributes only, so any result can be a column: regressions, IV,
    event studies, ATT aggregations, a wild bootstrap.

    Parameters
    ----------
    models : result, Column, MultipleResults, or a sequence of them
        The models, left to right (a :class:`Column` adds extra rows; a collection adds all its estimated models).
    labels : sequence of str, optional
        Column labels (default: each model's dependent variable, else its kind).
    terms : mapping, optional
        Term → row label, in the order to print (instead of keep/drop/order/rename).
    keep, drop, order : str or sequence of str, optional
        Regular expressions (plain names with ``exact_match=True``): terms to keep, to drop, and which come first.
    rename : mapping, optional
        Term → row label.
    exact_match : bool
        Treat keep/drop/order as names, not patterns.
    title, label : str
        Caption and LaTeX label.
    notes : sequence of str
        Notes under the table (the variance note and the star legend are added).
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
    ['iid', 'CRV1 by g (20)']
    """
    if isinstance(digits, bool) or not isinstance(digits, int | np.integer):
        raise TypeError(f"etable: digits must be a whole number of decimals, got {type(digits).__name__} {digits!r}")
    if not 0 <= digits <= 15:
        raise ValueError(f"etable: digits must be from 0 to 15 (float64 holds about 15 significant digits), got "
                         f"{digits!r}")
    items = _models(models)
    if labels is not None and (isinstance(labels, str) or not isinstance(labels, Sequence)):
        raise TypeError(f"etable: labels must be a sequence of column labels, got {type(labels).__name__} {labels!r}")
    if labels is not None and len(labels) != len(items):
        raise ValueError(f"{len(labels)} labels for {len(items)} models")
    columns = [m if isinstance(m, Column) else
               Column(labels[i] if labels else str(_attribute(m, "depvar", type(m).__name__)), m)
               for i, m in enumerate(items)]
    if terms is None:
        every = list(dict.fromkeys(t for c in columns for t in c.result.tidy()["term"]))
        chosen = select_terms(every, keep=keep, drop=drop, order=order, exact_match=exact_match)
        terms = {t: (rename or {}).get(t, t) for t in chosen}
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
        Notes under the table (the variance note and the star legend are added).
    fixed_effect_labels : mapping, optional
        Fixed-effect name → label for the "Fixed effects" rows.
    groups : sequence of ColumnGroup
        Spanning header (must cover the row-label column too).

    Returns
    -------
    tidy : DataFrame
        Long table: model, term, estimate, std_error, statistic, p_value, conf_low, conf_high, nobs, vcov (the
        variance with its cluster counts) and fallback_reason (why the variance is not the one asked for; empty).
    formatted : FormattedTable
    """
    tidy_parts, tables = [], []
    for number, column in enumerate(columns, start=1):
        part = column.result.tidy()
        tables.append(part.set_index("term"))
        part = part.copy()
        part.insert(0, "model", f"({number}) {column.label}")
        part.insert(0, "model_id", column.model_id or f"model_{number}")
        part["nobs"] = column.result.nobs
        part["vcov"] = _cluster_label(column.result)
        part["fallback_reason"] = _attribute(column.result, "fallback_reason", "")
        tidy_parts.append(part)
    tidy = pd.concat(tidy_parts, ignore_index=True)
    header = ["", *[f"({i}) {c.label}" for i, c in enumerate(columns, start=1)]]
    rows: list[list[str]] = []
    for term, term_label in terms.items():
        estimates, errors = [term_label], [""]
        present = False
        for column, table in zip(columns, tables, strict=True):
            if term in table.index:
                present = True
                row = table.loc[term]
                value, error = estimate_cells(row["estimate"], row["std_error"], row["p_value"], digits)
                if _attribute(column.result, "fallback_reason", None) and error != "(–)":
                    error += FALLBACK_MARK
                estimates.append(value)
                errors.append(error)
            else:
                estimates.append("")
                errors.append("")
        if present:
            rows += [estimates, errors]
    effects = [dict(_attribute(c.result, "fixed_effects", {})) for c in columns]
    fe_names = list(dict.fromkeys(name for shown in effects for name in shown))
    if fe_names:
        rows.append(["Fixed effects"])
        for name in fe_names:
            shown = (fixed_effect_labels or {}).get(name, name)
            rows.append([shown, *[(c.fixed_effects_shown or {}).get(name, "Yes" if name in fe else "No")
                                  for c, fe in zip(columns, effects, strict=True)]])
    rows.append(["Estimator", *[str(_attribute(c.result, "estimator", type(c.result).__name__)) for c in columns]])
    rows.append(standard_errors_row(columns))
    rows.append(["Observations", *[f"{c.result.nobs:,}" for c in columns]])
    statistics = [dict(_attribute(c.result, "fit_statistics", {})) for c in columns]
    for key, shown in (("r2", "R²"), ("within_r2", "Within R²"), ("pseudo_r2", "Pseudo R²")):
        if any(key in s for s in statistics):
            rows.append([shown, *[fmt(s.get(key, np.nan), 3) for s in statistics]])
    extras = [{**c.result.etable_rows(), **(c.extra or {})} for c in columns]
    for key in dict.fromkeys(k for extra in extras for k in extra):
        rows.append([key, *[extra.get(key, "") for extra in extras]])
    formatted = FormattedTable(title=title, label=label, columns=header, rows=rows, groups=list(groups),
                               notes=[*notes, *variance_notes(columns), STAR_NOTE])
    return tidy, formatted


def standard_errors_row(columns: Sequence[Column]) -> list[str]:
    """Return the "Standard errors" row: the short label of each column's variance, once when all columns share it.

    Examples
    --------
    ``["Standard errors", Spanning("CRV3 by village (270)")]`` when every column has the cluster jackknife by
    village; the variance notes say what the abbreviations mean.
    """
    labels = [short_cluster_label(c.result) for c in columns]
    if len(columns) > 1 and len(set(labels)) == 1:
        return ["Standard errors", Spanning(labels[0])]
    return ["Standard errors", *labels]


#: The abbreviations of variance labels and what they stand for (the variance notes spell out those in use).
VARIANCE_ABBREVIATIONS = {"CRV3": "the exact cluster jackknife", "CRV1": "cluster-robust (sandwich)",
                          "HC1": "heteroskedasticity-robust"}
_ABBREVIATED = re.compile(r"^[^()]*\((CRV3|CRV1|HC1)\)\s*")


def short_cluster_label(result: object) -> str:
    """Return a column's variance in short: "CRV3 by village (270)" for "cluster jackknife (CRV3) by village".

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> short_cluster_label(SimpleNamespace(vcov_type="cluster jackknife (CRV3) by village",
    ...                                     clusters={"village": 270}))
    'CRV3 by village (270)'
    """
    return _ABBREVIATED.sub(lambda m: m.group(1) + " ", _cluster_label(result)).strip()


def variance_notes(columns: Sequence[Column]) -> list[str]:
    """Return the notes that say how each column's errors were computed: the small-sample correction, fallbacks."""
    notes = []
    corrections: dict[str, list[int]] = {}
    for number, column in enumerate(columns, start=1):
        correction = _attribute(column.result, "ssc", None)
        if correction is not None and hasattr(correction, "describe"):
            corrections.setdefault(correction.describe(), []).append(number)
    used = [code for code in VARIANCE_ABBREVIATIONS
            if any(short_cluster_label(c.result).startswith(code) for c in columns)]
    if used:
        counted = any("(" in short_cluster_label(c.result) for c in columns)
        notes.append("Standard errors: " + "; ".join(f"{code}, {VARIANCE_ABBREVIATIONS[code]}" for code in used)
                     + ("; the number of clusters in parentheses." if counted else "."))
    if corrections:
        notes.append("Small-sample correction: " + "; ".join(
            f"{_numbers(numbers, len(columns))} {text}" for text, numbers in corrections.items()) + ".")
    reasons: dict[str, list[int]] = {}
    for number, column in enumerate(columns, start=1):
        reason = _attribute(column.result, "fallback_reason", None)
        if reason:
            reasons.setdefault(str(reason), []).append(number)
    for reason, numbers in reasons.items():
        where = "Column" + ("s " if len(numbers) > 1 else " ") + ", ".join(f"({n})" for n in numbers)
        notes.append(f"{FALLBACK_MARK} {where}: {reason}.")
    return notes


def _numbers(numbers: list[int], total: int) -> str:
    if len(numbers) == total:
        return "all columns:"
    return "columns " + ", ".join(f"({n})" for n in numbers) + ":"


def _cluster_label(result: object) -> str:
    """Describe the variance of a column with its cluster counts, e.g. "... (CRV3) by village (270)"."""
    label = str(_attribute(result, "vcov_type", "–"))
    clusters = _attribute(result, "clusters", {})
    for name, count in (clusters.items() if isinstance(clusters, Mapping) else ()):
        label = label.replace(f"by {name}", f"by {name} ({count})", 1) if f"by {name}" in label \
            else f"{label}, {name} ({count})"
    return label
