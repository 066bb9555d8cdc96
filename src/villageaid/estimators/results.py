"""One results interface for every estimator: tidy(), summary(), Wald tests, notebook display."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

TIDY_COLUMNS = ["term", "estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"]


@dataclass(frozen=True)
class WaldTest:
    """A joint test that linear combinations of coefficients are zero.

    Attributes
    ----------
    statistic : float
        The F statistic (W / q) when ``distribution`` is "F", else the chi-square statistic W.
    df_num, df_denom : float
        Numerator degrees of freedom (restrictions) and denominator (inf for chi-square).
    p_value : float
    distribution : {"F", "chi2"}
    hypothesis : str
        What was tested.
    """

    statistic: float
    df_num: int
    df_denom: float
    p_value: float
    distribution: Literal["F", "chi2"]
    hypothesis: str

    def __str__(self) -> str:
        dist = f"F({self.df_num}, {self.df_denom:g})" if self.distribution == "F" else f"chi2({self.df_num})"
        return f"Wald test {self.hypothesis}: {dist} = {self.statistic:.4f}, p = {self.p_value:.4g}"


@dataclass(frozen=True)
class RegressionResults:
    """Estimates, their variance and fit statistics of one model (immutable).

    Attributes
    ----------
    estimator : str
        "OLS", "PPML", "Logit", "Random effects", "First differences", ...
    formula : str
        The model as specified.
    depvar : str
        Dependent variable.
    params : Series
        Coefficients by term.
    vcov : DataFrame
        Their variance matrix.
    vcov_type : str
        Human-readable description ("CRV1 by village", "hetero (HC1)", ...).
    nobs : int
        Observations used.
    df_t : float
        Degrees of freedom of the t distribution used for p-values and intervals; ``inf`` means normal.
    fit_statistics : dict
        R², within R², pseudo R², RMSE, log-likelihood, deviance... (what applies to the estimator).
    fixed_effects : dict
        Fixed effect name → number of groups.
    clusters : dict
        Cluster variable → number of clusters.
    notes : tuple of str
        Messages about the sample (dropped observations, singletons, collinear terms, separation).
    """

    estimator: str
    formula: str
    depvar: str
    params: pd.Series
    vcov: pd.DataFrame
    vcov_type: str
    nobs: int
    df_t: float
    fit_statistics: dict[str, float] = field(default_factory=dict)
    fixed_effects: dict[str, int] = field(default_factory=dict)
    clusters: dict[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @cached_property
    def std_errors(self) -> pd.Series:
        """Standard errors."""
        return pd.Series(np.sqrt(np.diag(self.vcov.to_numpy())), index=self.params.index, name="std_error")

    @cached_property
    def tstats(self) -> pd.Series:
        """Coefficient over standard error."""
        return self.params / self.std_errors

    @cached_property
    def pvalues(self) -> pd.Series:
        """Two-sided p-values (t with ``df_t`` degrees of freedom, normal if infinite)."""
        dist = stats.norm if not np.isfinite(self.df_t) else stats.t(self.df_t)
        return pd.Series(2 * dist.sf(np.abs(self.tstats.to_numpy())), index=self.params.index)

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Confidence intervals at ``level``."""
        dist = stats.norm if not np.isfinite(self.df_t) else stats.t(self.df_t)
        q = dist.ppf(0.5 + level / 2)
        return pd.DataFrame({"conf_low": self.params - q * self.std_errors,
                             "conf_high": self.params + q * self.std_errors})

    def tidy(self, conf_level: float = 0.95) -> pd.DataFrame:
        """One row per term: term, estimate, std_error, statistic, p_value, conf_low, conf_high."""
        ci = self.conf_int(conf_level)
        return pd.DataFrame({
            "term": self.params.index.to_numpy(dtype=object),
            "estimate": self.params.to_numpy(),
            "std_error": self.std_errors.to_numpy(),
            "statistic": self.tstats.to_numpy(),
            "p_value": self.pvalues.to_numpy(),
            "conf_low": ci["conf_low"].to_numpy(),
            "conf_high": ci["conf_high"].to_numpy(),
        })[TIDY_COLUMNS]

    def wald_test(self, terms: list[str] | None = None, *, restriction: np.ndarray | None = None,
                  value: np.ndarray | None = None, hypothesis: str | None = None) -> WaldTest:
        """Test R·b = r jointly.

        Give either ``terms`` (each coefficient zero) or a restriction matrix ``restriction`` (q × k)
        with optional right-hand side ``value``. Uses F = W/q with (q, df_t) degrees of freedom for
        t-based models, as fixest's ``wald()``, and chi-square for normal-based ones.
        """
        names = list(self.params.index)
        if restriction is None:
            if not terms:
                raise ValueError("give terms or a restriction matrix")
            missing = [t for t in terms if t not in names]
            if missing:
                raise KeyError(f"terms not in the model: {missing}")
            restriction = np.zeros((len(terms), len(names)))
            for row, term in enumerate(terms):
                restriction[row, names.index(term)] = 1.0
            hypothesis = hypothesis or f"{', '.join(terms)} = 0"
        restriction = np.atleast_2d(np.asarray(restriction, dtype=float))
        rhs = np.zeros(restriction.shape[0]) if value is None else np.asarray(value, dtype=float)
        diff = restriction @ self.params.to_numpy() - rhs
        middle = restriction @ self.vcov.to_numpy() @ restriction.T
        statistic = float(diff @ np.linalg.solve(middle, diff))
        q = restriction.shape[0]
        if np.isfinite(self.df_t):
            return WaldTest(statistic / q, q, float(self.df_t), float(stats.f.sf(statistic / q, q, self.df_t)),
                            "F", hypothesis or "R b = r")
        return WaldTest(statistic, q, np.inf, float(stats.chi2.sf(statistic, q)), "chi2", hypothesis or "R b = r")

    def summary(self) -> str:
        """Return a readable text summary (coefficients, inference, fit, notes)."""
        table = self.tidy()
        lines = [f"{self.estimator} estimation: {self.formula}",
                 f"Observations: {self.nobs:,}"]
        if self.fixed_effects:
            lines.append("Fixed effects: " + ", ".join(f"{k} ({v:,})" for k, v in self.fixed_effects.items()))
        lines.append(f"Standard errors: {self.vcov_type}"
                     + ("" if not self.clusters else " — " + ", ".join(f"{k}: {v:,} clusters"
                                                                       for k, v in self.clusters.items())))
        width = max([len(t) for t in table["term"]] + [4])
        stat_name = "t" if np.isfinite(self.df_t) else "z"
        lines.append(f"{'term':<{width}} {'estimate':>12} {'std.error':>12} {stat_name + ' value':>9} {'p':>9}")
        for row in table.itertuples(index=False):
            lines.append(f"{row.term:<{width}} {row.estimate:>12.6g} {row.std_error:>12.6g} "
                         f"{row.statistic:>9.3f} {row.p_value:>9.3g}")
        stats_text = ", ".join(f"{k}: {v:.6g}" for k, v in self.fit_statistics.items() if np.isfinite(v))
        if stats_text:
            lines.append(stats_text)
        lines += [f"Note: {note}" for note in self.notes]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        rows = "".join(
            "<tr>" + "".join(f"<td>{html.escape(str(v if isinstance(v, str) else f'{v:.6g}'))}</td>"
                             for v in row) + "</tr>"
            for row in self.tidy().itertuples(index=False)
        )
        header = "".join(f"<th>{c}</th>" for c in TIDY_COLUMNS)
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        fit = ", ".join(f"{k}: {v:.4g}" for k, v in self.fit_statistics.items() if np.isfinite(v))
        return (f"<p><b>{html.escape(self.estimator)}</b>: {html.escape(self.formula)}<br>"
                f"Observations: {self.nobs:,}; standard errors: {html.escape(self.vcov_type)}</p>"
                f"<table><thead><tr>{header}</tr></thead><tbody>{rows}</tbody></table>"
                f"<p>{html.escape(fit)}</p>" + (f"<ul>{notes}</ul>" if notes else ""))
