"""Coefficient and event-study plots for any results in a notebook (``coefplot``, ``iplot``).

Built from ``tidy()`` only. matplotlib is imported when a plot is drawn and its backend is never changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.axes import Axes

#: Columns that hold the x position of an event-study row, in order of preference.
_EVENT_COLUMNS = ("period", "event_time", "time", "cohort")


def _axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=(6.4, 4.0))
    return ax


def coefplot(results: object, *, terms: Sequence[str] | None = None, labels: Sequence[str] | None = None,
             conf_level: float = 0.95, keep: Sequence[str] | str | None = None,
             drop: Sequence[str] | str | None = None, ax: Axes | None = None) -> Axes:
    """Plot estimates with confidence intervals, one marker per term and model.

    Parameters
    ----------
    results : result, MultipleResults, or a sequence of them
        Anything with ``tidy(conf_level)`` (regression results, aggregations, ...).
    terms : sequence of str, optional
        Terms to show (default: all but the intercept, after ``keep`` and ``drop``).
    labels : sequence of str, optional
        Legend labels of the models.
    conf_level : float
    keep, drop : str or sequence of str, optional
        Regular expressions of terms to keep or drop (as :func:`~villageaid.etable`).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from villageaid.estimators import feols
    >>> data = pd.DataFrame({"x": np.arange(20.0), "z": np.sin(np.arange(20.0))})
    >>> data["y"] = data["x"] + data["z"] + np.cos(np.arange(20.0))
    >>> ax = coefplot(feols("y ~ x + z", data, vcov="hetero"))
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['x', 'z']
    """
    from villageaid.report.etable import _models, select_terms

    models = [m.result if hasattr(m, "result") and not hasattr(m, "tidy") else m for m in _models(results, "results")]
    labels = list(labels) if labels is not None else [f"({i})" for i in range(1, len(models) + 1)]
    tables = [m.tidy(conf_level) for m in models]
    shown = list(terms) if terms is not None else select_terms(list(dict.fromkeys(
        t for table in tables for t in table["term"] if t != "Intercept")), keep=keep, drop=drop)
    ax = _axes(ax)
    offsets = np.linspace(-0.2, 0.2, len(models)) if len(models) > 1 else np.zeros(1)
    for table, label, offset in zip(tables, labels, offsets, strict=True):
        table = table.set_index("term").reindex(shown)
        position = np.arange(len(shown)) + offset
        ax.errorbar(table["estimate"], position, xerr=[table["estimate"] - table["conf_low"],
                                                       table["conf_high"] - table["estimate"]],
                    fmt="o", capsize=3, label=label if len(models) > 1 else None)
    ax.axvline(0, color="grey", linewidth=0.8, linestyle="--")
    ax.set_yticks(np.arange(len(shown)), shown)
    ax.invert_yaxis()
    ax.set_xlabel(f"Estimate ({100 * conf_level:g}% CI)")
    if len(models) > 1:
        ax.legend()
    return ax


def interaction_table(result: object, conf_level: float = 0.95) -> tuple[pd.DataFrame, str]:
    """Return the rows of a fit's first ``i()`` term against its levels (the reference at zero), and their name.

    For a regression with ``i(year, treated, ref=2020)`` (fixest's ``iplot`` on a model), the coefficients of
    ``year::t:treated`` by year, with 2020 added at zero.
    """
    from villageaid.estimators.formula import _I_TERM, _parse_i, parse_formula

    formula = getattr(result, "formula", None) or getattr(getattr(result, "inner", None), "formula", None)
    if not formula:
        raise ValueError(f"{type(result).__name__} has no period or event-time column and no formula with an i() "
                         "term to plot against")
    for term in parse_formula(formula).terms:
        match = _I_TERM.match(term)
        if not match:
            continue
        factor, numeric, reference = _parse_i(match.group(1))
        suffix = f":{numeric}" if numeric else ""
        table = result.tidy(conf_level)
        rows = table.loc[table["term"].str.startswith(f"{factor}::") & table["term"].str.endswith(suffix)].copy()
        if rows.empty:
            continue
        levels = rows["term"].str.slice(len(factor) + 2)
        levels = levels.str.removesuffix(suffix) if suffix else levels
        numeric_levels = pd.to_numeric(levels, errors="coerce")
        rows[factor] = numeric_levels if numeric_levels.notna().all() else levels
        if reference is not None:
            rows = pd.concat([rows, pd.DataFrame([{"term": "(reference)", "estimate": 0.0, "conf_low": 0.0,
                                                   "conf_high": 0.0, factor: reference}])], ignore_index=True)
        return rows.sort_values(factor, kind="stable").reset_index(drop=True), factor
    raise ValueError(f"{type(result).__name__} ({formula}) has no i() term with estimated coefficients to plot")


def iplot(results: object, *, labels: Sequence[str] | None = None, conf_level: float = 0.95,
          uniform: bool = True, ax: Axes | None = None) -> Axes:
    """Plot event-study coefficients against the period or event time, as fixest's ``iplot``.

    Pointwise intervals as error bars; where the result has a uniform (simultaneous) band (Callaway–
    Sant'Anna with the multiplier bootstrap), it is shaded when ``uniform`` is true. A regression with an
    ``i(factor, x, ref=r)`` term is plotted against the factor's levels, the reference at zero.

    Parameters
    ----------
    results : result, MultipleResults, or a sequence of them
        :class:`~villageaid.estimators.EventStudyResult`, :class:`~villageaid.estimators.EventTimeEffects`, a
        dynamic :class:`~villageaid.estimators.AggregatedEffects`, or a fit with an ``i()`` term (several overlaid).
    labels : sequence of str, optional
    conf_level : float
    uniform : bool
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from villageaid.estimators import event_study, feols
    >>> rng = np.random.default_rng(5)
    >>> panel = pd.DataFrame({"unit": np.repeat(np.arange(60), 6), "year": np.tile(np.arange(2018, 2024), 60)})
    >>> panel["treated"] = (panel["unit"] < 30).astype(float)
    >>> panel["y"] = 0.5 * panel["treated"] * (panel["year"] >= 2021) + rng.normal(size=360)
    >>> study = event_study(panel, outcome="y", treatment="treated", time="year", unit="unit", reference=2020)
    >>> iplot(study).get_xlabel()
    'period'
    >>> feols("y ~ i(year, treated, ref=2020) | unit + year", panel).iplot().get_xlabel()
    'year'
    """
    from villageaid.report.etable import _models

    models = [m.result if hasattr(m, "result") and not hasattr(m, "tidy") else m for m in _models(results, "results")]
    labels = list(labels) if labels is not None else [type(m).__name__ for m in models]
    ax = _axes(ax)
    width = 0.08 * max(len(models) - 1, 0)
    column = ""
    for i, (model, label) in enumerate(zip(models, labels, strict=True)):
        table = model.tidy(conf_level)
        column = next((c for c in _EVENT_COLUMNS if c in table.columns), None)
        if column is None:
            table, column = interaction_table(model, conf_level)
        x = pd.to_numeric(table[column]).to_numpy(dtype=float) + (i * 0.16 - width)
        ax.errorbar(x, table["estimate"], yerr=[table["estimate"] - table["conf_low"],
                                                table["conf_high"] - table["estimate"]],
                    fmt="o-", capsize=3, label=label)
        if uniform and "conf_low_uniform" in table.columns:
            ax.fill_between(x, table["conf_low_uniform"], table["conf_high_uniform"], alpha=0.15,
                            label=f"{label}: uniform band")
    ax.axhline(0, color="grey", linewidth=0.8, linestyle="--")
    ax.set_xlabel(column)
    ax.set_ylabel(f"Estimate ({100 * conf_level:g}% CI)")
    ax.legend()
    return ax
