"""One results protocol for every estimator: tidy(), summary(), conf_int(), nobs, Wald tests, notebook display.

Every result class derives from :class:`ResultsBase` and implements ``tidy(conf_level)``, a DataFrame whose
first columns are always :data:`TIDY_COLUMNS` (identifying columns such as ``period`` or ``cohort`` follow),
and ``_summary_header()``. From those the base class gives ``conf_int()``, ``summary()`` (a :class:`Summary`
that prints as text in a terminal and renders as HTML in a notebook), a short ``repr`` and notebook display.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from villageaid.estimators.vcov import InferenceInputs, VarianceEstimator, VcovSpec, as_vcov, compute_vcov

if TYPE_CHECKING:
    from villageaid.estimators.predict import Predictor

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


def stacked_tidy(models: dict[str, object], conf_level: float, column: str = "estimator") -> pd.DataFrame:
    """Stack the tidy tables of several models, the model's name in ``column`` after :data:`TIDY_COLUMNS`."""
    parts = [model.tidy(conf_level).assign(**{column: name}) for name, model in models.items()]  # type: ignore[attr-defined]
    return pd.concat(parts, ignore_index=True)[[*TIDY_COLUMNS, column]]


class ResultsBase:
    """The shared protocol (see the module notes). Subclasses are frozen dataclasses with a ``nobs``."""

    nobs: int

    def tidy(self, conf_level: float = 0.95) -> pd.DataFrame:  # pragma: no cover - every subclass overrides
        """One row per estimate; the first columns are :data:`TIDY_COLUMNS`."""
        raise TypeError(f"{type(self).__name__} does not define tidy()")

    def _summary_header(self) -> tuple[str, tuple[str, ...]]:
        return type(self).__name__, ()

    def _summary_footer(self) -> tuple[str, ...]:
        return ()

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Confidence intervals at ``level``, indexed by term: conf_low, conf_high."""
        table = self.tidy(level)
        return table.set_index("term")[["conf_low", "conf_high"]]

    def summary(self) -> Summary:
        """Return a :class:`Summary`: text with ``print()``, an HTML table in a notebook."""
        title, header = self._summary_header()
        return Summary(title, header, self.tidy(), self._summary_footer(), tuple(getattr(self, "notes", ()) or ()))

    def __str__(self) -> str:
        return self.summary().as_text()

    def __repr__(self) -> str:
        title, _ = self._summary_header()
        title = title if len(title) <= 80 else title[:77] + "..."
        return f"<{type(self).__name__}: {title}; {len(self.tidy())} estimates, nobs={self.nobs:,}>"

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()


class ModelBackedResults(ResultsBase):
    """Results that wrap one regression (``self.model``): observations and notes are the regression's."""

    model: RegressionResults

    @property
    def nobs(self) -> int:
        """Observations of the underlying regression."""
        return self.model.nobs

    @property
    def notes(self) -> tuple[str, ...]:
        """Notes of the underlying regression."""
        return self.model.notes


class WaldTestUndefinedError(ValueError):
    """A joint Wald test whose variance matrix is singular (more combinations than it has rank)."""


def wald_from(params: pd.Series, vcov: pd.DataFrame, df_t: float, terms: list[str] | None = None, *,
              restriction: np.ndarray | None = None, value: np.ndarray | None = None,
              hypothesis: str | None = None) -> WaldTest:
    """Test R·b = r jointly (F = W/q with (q, df_t) degrees of freedom when ``df_t`` is finite, else chi-square)."""
    stats = _stats()
    names = list(params.index)
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
    diff = restriction @ params.to_numpy() - rhs
    middle = restriction @ vcov.to_numpy() @ restriction.T
    q = restriction.shape[0]
    rank = int(np.linalg.matrix_rank(middle)) if np.isfinite(middle).all() else -1
    if rank < q:
        # A clustered variance has rank at most (clusters - 1): with few clusters, many combinations cannot
        # be tested jointly. Refused rather than inverted into a meaningless statistic.
        raise WaldTestUndefinedError(
            f"the Wald test of {hypothesis or 'R b = r'} is not defined: the variance of the {q} tested "
            f"combinations has rank {max(rank, 0)}" + (" (non-finite entries)" if rank < 0 else "")
            + "; a clustered variance has rank at most (clusters - 1), so test fewer terms or cluster on more "
            "groups")
    statistic = float(diff @ np.linalg.solve(middle, diff))
    if np.isfinite(df_t):
        return WaldTest(statistic / q, q, float(df_t), float(stats.f.sf(statistic / q, q, df_t)), "F",
                        hypothesis or "R b = r")
    return WaldTest(statistic, q, np.inf, float(stats.chi2.sf(statistic, q)), "chi2", hypothesis or "R b = r")


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

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(str(self))}</p>"




@dataclass(frozen=True, repr=False)
class RegressionResults(ResultsBase):
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
        Human-readable description ("clustered (CRV1) by village", ...).
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
    variance : VarianceEstimator or None
        The variance estimator behind ``vcov``.
    inference : InferenceInputs or None
        What :meth:`with_vcov` needs to compute another variance without refitting.
    predictor : Predictor or None
        What :meth:`predict`, :attr:`resid` and :attr:`fitted` need.
    model : object
        The model specification that was fitted (e.g. :class:`~villageaid.estimators.FEOLS`).
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
    variance: VarianceEstimator | None = None
    inference: InferenceInputs | None = field(default=None, compare=False)
    predictor: Predictor | None = field(default=None, compare=False)
    model: object = field(default=None, compare=False)

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
        values = normal_inference(self.params.to_numpy(), self.std_errors.to_numpy(), 0.95, self.df_t)["p_value"]
        return pd.Series(values, index=self.params.index)

    def tidy(self, conf_level: float = 0.95) -> pd.DataFrame:
        """One row per term: term, estimate, std_error, statistic, p_value, conf_low, conf_high."""
        inference = normal_inference(self.params.to_numpy(), self.std_errors.to_numpy(), conf_level, self.df_t)
        return pd.DataFrame({"term": self.params.index.to_numpy(dtype=object), "estimate": self.params.to_numpy(),
                             "std_error": self.std_errors.to_numpy(), **inference})[TIDY_COLUMNS]

    def wald_test(self, terms: list[str] | None = None, *, restriction: np.ndarray | None = None,
                  value: np.ndarray | None = None, hypothesis: str | None = None) -> WaldTest:
        """Test R·b = r jointly.

        Give either ``terms`` (each coefficient zero) or a restriction matrix ``restriction`` (q × k)
        with optional right-hand side ``value``. Uses F = W/q with (q, df_t) degrees of freedom for
        t-based models, as fixest's ``wald()``, and chi-square for normal-based ones.
        """
        return wald_from(self.params, self.vcov, self.df_t, terms, restriction=restriction, value=value,
                         hypothesis=hypothesis)

    def with_vcov(self, vcov: VcovSpec) -> RegressionResults:
        """Return the same estimates with another variance, computed from the stored scores without refitting.

        Parameters
        ----------
        vcov : VarianceEstimator, str or dict
            Any variance the estimator supports (an unsupported one raises ``ValueError``).

        Returns
        -------
        RegressionResults
            A new, immutable result; this one is unchanged.
        """
        if self.inference is None:
            raise ValueError(f"{self.estimator} results keep no scores: refit with the new variance instead")
        choice = as_vcov(vcov)
        result = compute_vcov(choice, self.inference)
        names = list(self.params.index)
        base_notes = tuple(n for n in self.notes if "not positive semi-definite" not in n)
        return replace(self, vcov=pd.DataFrame(result.matrix, index=names, columns=names), vcov_type=choice.label,
                       df_t=result.df_t, clusters=result.clusters, notes=base_notes + result.notes, variance=choice)

    def _need_predictor(self) -> Predictor:
        if self.predictor is None:
            raise ValueError(f"{self.estimator} results do not support predictions")
        return self.predictor

    @property
    def resid(self) -> np.ndarray:
        """Residuals y − ŷ over the estimation sample (response scale)."""
        return self._need_predictor().resid

    @property
    def fitted(self) -> np.ndarray:
        """Fitted values ŷ over the estimation sample (response scale, fixed effects included)."""
        return self._need_predictor().fitted

    def predict(self, newdata: pd.DataFrame | None = None) -> np.ndarray:
        """Predicted values (response scale) for ``newdata``, or the fitted values when it is None.

        Rows with a missing regressor, or a fixed-effect level not seen in the estimation sample, get NaN.
        """
        predictor = self._need_predictor()
        return predictor.fitted if newdata is None else predictor.predict(newdata, self.params)

    def _summary_header(self) -> tuple[str, tuple[str, ...]]:
        lines = [f"Observations: {self.nobs:,}"]
        if self.fixed_effects:
            lines.append("Fixed effects: " + ", ".join(f"{k} ({v:,})" for k, v in self.fixed_effects.items()))
        clusters = ", ".join(f"{k}: {v:,} clusters" for k, v in self.clusters.items())
        lines.append(f"Standard errors: {self.vcov_type}" + (f" — {clusters}" if clusters else "")
                     + ("; t" if np.isfinite(self.df_t) else "; normal") + " inference")
        return f"{self.estimator} estimation: {self.formula}", tuple(lines)

    def _summary_footer(self) -> tuple[str, ...]:
        text = ", ".join(f"{k}: {v:.6g}" for k, v in self.fit_statistics.items() if np.isfinite(v))
        return (text,) if text else ()

