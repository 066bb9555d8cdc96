"""What every result prints: the tidy columns, the summary (text and HTML) and Wald-type inference.

:data:`TIDY_COLUMNS` are the first columns of every ``tidy()``; :class:`Summary` prints as text in a terminal
and renders as an HTML table in a notebook; :func:`normal_inference` turns estimates and standard errors into
statistics, p-values and intervals (t with given degrees of freedom, or normal).
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np
import pandas as pd

TIDY_COLUMNS = ["term", "estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"]


def _stats():  # scipy.stats costs ~0.3 s to import; only results that compute p-values need it
    from scipy import stats

    return stats


@dataclass(frozen=True)
class Summary:
    """A results summary: prints as text in a terminal and renders as an HTML table in a notebook.

    Attributes
    ----------
    title : str
    header : tuple of str
        Lines above the coefficient table (sample, variance, ...).
    table : DataFrame
        The ``tidy()`` rows shown.
    footer : tuple of str
        Lines below it (fit statistics, tests).
    notes : tuple of str
    """

    title: str
    header: tuple[str, ...]
    table: pd.DataFrame
    footer: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def as_text(self) -> str:
        """Return the summary as plain text."""
        lines = [self.title, *self.header]
        if len(self.table):
            shown = self.table.copy()
            for column in shown.columns:
                if pd.api.types.is_float_dtype(shown[column]):
                    shown[column] = shown[column].map(lambda v: "" if not np.isfinite(v) else f"{v:.6g}")
            lines.append(shown.to_string(index=False))
        lines += list(self.footer)
        lines += [f"Note: {note}" for note in self.notes]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.as_text()

    def __repr__(self) -> str:
        return self.as_text()

    def __contains__(self, text: str) -> bool:
        return text in self.as_text()

    def _repr_html_(self) -> str:
        header = "".join(f"<th>{html.escape(str(c))}</th>" for c in self.table.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row) + "</tr>"
            for row in self.table.itertuples(index=False))
        top = "<br>".join(html.escape(line) for line in self.header)
        bottom = "<br>".join(html.escape(line) for line in self.footer)
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        return (f"<div><p><b>{html.escape(self.title)}</b><br>{top}</p>"
                f"<table><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>"
                + (f"<p>{bottom}</p>" if bottom else "") + (f"<ul>{notes}</ul>" if notes else "") + "</div>")


def _cell(value: object) -> str:
    if isinstance(value, float | np.floating):
        return "" if not np.isfinite(value) else f"{value:.6g}"
    return str(value)


def normal_inference(estimates: np.ndarray, std_errors: np.ndarray, conf_level: float,
                     df: float = np.inf) -> dict[str, np.ndarray]:
    """statistic, p_value, conf_low, conf_high from estimates and standard errors (t with ``df``, or normal)."""
    stats = _stats()
    dist = stats.norm if not np.isfinite(df) else stats.t(df)
    q = dist.ppf(0.5 + conf_level / 2)
    estimates, std_errors = np.asarray(estimates, float), np.asarray(std_errors, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        statistic = estimates / std_errors
    return {"statistic": statistic, "p_value": 2 * dist.sf(np.abs(statistic)),
            "conf_low": estimates - q * std_errors, "conf_high": estimates + q * std_errors}
