"""One results protocol for every estimator: tidy(), summary(), conf_int(), nobs, Wald tests, notebook display.

Every result class derives from :class:`ResultsBase` and implements ``tidy(conf_level)``, a DataFrame whose
first columns are always :data:`TIDY_COLUMNS` (identifying columns such as ``period`` or ``cohort`` follow),
and ``_summary_header()``. From those the base class gives ``conf_int()``, ``summary()`` (a :class:`Summary`
that prints as text in a terminal and renders as HTML in a notebook), a short ``repr`` and notebook display.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING, ClassVar

import numpy as np
import pandas as pd

from villageaid.estimators.inference import InferenceInputs, compute_vcov
from villageaid.estimators.summary import TIDY_COLUMNS, Summary, normal_inference
from villageaid.estimators.vcov import SSC, JackknifeUndefinedError, VarianceEstimator, VcovSpec, as_vcov
from villageaid.estimators.wald import WaldTest, WaldTestUndefinedError, wald_from

if TYPE_CHECKING:
    from villageaid.estimators.predict import Predictor



class ResultsBase:
    """The shared protocol of every result (module notes). Subclasses are frozen dataclasses with a ``nobs``.

    Everything a result offers is read off ``tidy()`` unless the result has a variance matrix
    (:class:`VarianceResults`), whose accessors use ``params``, ``vcov`` and ``df_t`` directly.
    """

    nobs: int

    def tidy(self, conf_level: float | None = None) -> pd.DataFrame:  # pragma: no cover - every subclass overrides
        """One row per estimate; the first columns are :data:`TIDY_COLUMNS`; intervals at ``conf_level``.

        ``conf_level`` means the same for every result: the level of ``conf_low``/``conf_high``; None is the
        result's own level (0.95 unless it was computed at another). A result that keeps what it needs
        recomputes its intervals at any level; one whose data were removed says so.
        """
        raise TypeError(f"{type(self).__name__} does not define tidy()")

    def _summary_header(self) -> tuple[str, tuple[str, ...]]:
        return type(self).__name__, ()

    def _summary_footer(self) -> tuple[str, ...]:
        return ()

    def _level(self, conf_level: float | None) -> float:
        """Return the level of intervals: ``conf_level``, or the result's own (``self.conf_level``, else 0.95)."""
        if conf_level is None:
            return float(getattr(self, "conf_level", 0.95))
        if isinstance(conf_level, bool) or not isinstance(conf_level, int | float | np.floating) \
                or not 0 < conf_level < 1:
            raise ValueError(f"conf_level must be a number between 0 and 1 (e.g. 0.95), got {conf_level!r}")
        return float(conf_level)

    def _column(self, column: str, conf_level: float | None = None) -> pd.Series:
        table = self.tidy(conf_level)
        return pd.Series(table[column].to_numpy(), index=pd.Index(table["term"], name="term"), name=column)

    def coef(self) -> pd.Series:
        """Estimates by term (fixest's and pyfixest's ``coef()``)."""
        return self._column("estimate").rename("estimate")

    def se(self) -> pd.Series:
        """Return the standard errors by term (fixest's ``se()``)."""
        return self._column("std_error")

    def tstat(self) -> pd.Series:
        """Estimate over standard error, by term (fixest's ``tstat()``)."""
        return self._column("statistic")

    def pvalue(self) -> pd.Series:
        """Two-sided p-values by term (fixest's ``pvalue()``)."""
        return self._column("p_value")

    def conf_int(self, level: float | None = None) -> pd.DataFrame:
        """Confidence intervals at ``level`` (None: the result's own), indexed by term: conf_low, conf_high."""
        table = self.tidy(level)
        return table.set_index("term")[["conf_low", "conf_high"]]

    def confint(self, level: float | None = None) -> pd.DataFrame:
        """Confidence intervals (fixest's and pyfixest's ``confint()``; the same as :meth:`conf_int`)."""
        return self.conf_int(level)

    def etable_rows(self) -> dict[str, str]:
        """Extra rows this result adds to a regression table (first-stage F, bootstrap p-value...)."""
        return {}

    def remove_data(self) -> ResultsBase:
        """Return the result without the data it keeps (nothing to remove here: the same result)."""
        return self

    def iplot(self, **options: object) -> object:
        """Plot the estimates against their period or event time (:func:`villageaid.iplot`)."""
        from villageaid.report.plots import iplot

        return iplot(self, **options)

    def coefplot(self, **options: object) -> object:
        """Plot the estimates with their intervals (:func:`villageaid.coefplot`)."""
        from villageaid.report.plots import coefplot

        return coefplot(self, **options)

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


class DescriptiveResults(ResultsBase):
    """A result without a variance matrix (a decomposition, a bootstrap interval, a sensitivity analysis).

    ``vcov``, ``df_t``, ``wald_test`` and ``with_vcov`` say why they do not apply.
    """

    #: Why this result has no variance matrix (said by the refusals).
    no_variance_reason: ClassVar[str] = "it has no variance matrix"

    def _refuse(self, what: str) -> TypeError:
        return TypeError(f"{type(self).__name__} has no {what}: {self.no_variance_reason}")

    @property
    def params(self) -> pd.Series:
        """Estimates by term (the ``estimate`` column of ``tidy()``)."""
        return self.coef()

    @property
    def vcov(self) -> pd.DataFrame:
        """Refused: see :attr:`no_variance_reason`."""
        raise self._refuse("variance matrix (vcov)")

    @property
    def df_t(self) -> float:
        """Refused: see :attr:`no_variance_reason`."""
        raise self._refuse("degrees of freedom (df_t)")

    def wald_test(self, hypotheses: str | Sequence[str] | None = None, **options: object) -> WaldTest:
        """Refused: see :attr:`no_variance_reason`."""
        raise self._refuse("Wald test")

    def with_vcov(self, vcov: VcovSpec, *, ssc: SSC | None = None) -> ResultsBase:
        """Refused: see :attr:`no_variance_reason`."""
        raise self._refuse("variance to change (with_vcov)")


class VarianceResults(ResultsBase):
    """A result with estimates ``params``, their variance ``vcov`` (a DataFrame) and ``df_t`` (inf: normal).

    Gives the standard errors, ``tidy()``, the fixest accessors and Wald tests from those three. A result with
    a ``df_resid`` (n − K with every absorbed parameter counted, as fixest's ``wald()``) tests with F; one
    without it (influence-function estimators) with chi-square.
    """

    params: pd.Series
    vcov: pd.DataFrame
    df_t: float

    @property
    def std_errors(self) -> pd.Series:
        """Standard errors."""
        with np.errstate(invalid="ignore"):
            return pd.Series(np.sqrt(np.diag(self.vcov.to_numpy())), index=self.params.index, name="std_error")

    def _inference(self, conf_level: float | None) -> dict[str, np.ndarray]:
        return normal_inference(self.params.to_numpy(), self.std_errors.to_numpy(), self._level(conf_level),
                                self.df_t)

    def coef(self) -> pd.Series:
        """Estimates by term (fixest's and pyfixest's ``coef()``)."""
        return self.params

    def se(self) -> pd.Series:
        """Return the standard errors by term (fixest's ``se()``)."""
        return self.std_errors

    def tstat(self) -> pd.Series:
        """Estimate over standard error, by term (fixest's ``tstat()``)."""
        return pd.Series(self._inference(0.95)["statistic"], index=self.params.index, name="statistic")

    def pvalue(self) -> pd.Series:
        """Two-sided p-values by term (t with ``df_t`` degrees of freedom, normal if infinite)."""
        return pd.Series(self._inference(0.95)["p_value"], index=self.params.index, name="p_value")

    @property
    def pvalues(self) -> pd.Series:
        """Two-sided p-values (the same as :meth:`pvalue`)."""
        return self.pvalue()

    @property
    def tstats(self) -> pd.Series:
        """Coefficient over standard error (the same as :meth:`tstat`)."""
        return self.tstat()

    def conf_int(self, level: float | None = None) -> pd.DataFrame:
        """Wald confidence intervals at ``level`` (t with ``df_t``, or normal), indexed by term."""
        inference = self._inference(level)
        return pd.DataFrame({"conf_low": inference["conf_low"], "conf_high": inference["conf_high"]},
                            index=pd.Index(self.params.index, name="term"))

    def tidy(self, conf_level: float | None = None) -> pd.DataFrame:
        """One row per term: term, estimate, std_error, statistic, p_value, conf_low, conf_high."""
        return pd.DataFrame({"term": self.params.index.to_numpy(dtype=object), "estimate": self.params.to_numpy(),
                             "std_error": self.std_errors.to_numpy(), **self._inference(conf_level)})[TIDY_COLUMNS]

    def wald_test(self, hypotheses: str | Sequence[str] | None = None, *, restriction: np.ndarray | None = None,
                  value: np.ndarray | None = None, hypothesis: str | None = None) -> WaldTest:
        """Test linear restrictions jointly.

        Parameters
        ----------
        hypotheses : str or sequence of str, optional
            Terms (each coefficient zero) or restrictions as text, ``"city = strong"``, ``"a + b = 0"``
            (see :func:`~villageaid.estimators.restrictions.parse_restrictions`).
        restriction : ndarray (q × k), optional
            A restriction matrix R instead, with ``value`` r (default zero): tests R·b = r.
        hypothesis : str, optional
            How to name the hypothesis.

        Returns
        -------
        WaldTest
            F = W/q with (q, ``df_resid``) degrees of freedom, as fixest's ``wald()``, or chi-square(q) for
            results with normal inference and no residual degrees of freedom.
        """
        return wald_from(self.params, self.vcov, getattr(self, "df_resid", np.inf), hypotheses,
                         restriction=restriction, value=value, hypothesis=hypothesis)

    def with_vcov(self, vcov: VcovSpec, *, ssc: SSC | None = None) -> VarianceResults:  # pragma: no cover
        """Return the same estimates with another variance, without refitting (each subclass implements it)."""
        raise TypeError(f"{type(self).__name__} does not define with_vcov()")


class DelegatedResults(VarianceResults):
    """Results whose protocol is one inner result's (:attr:`inner`): estimates, variance, observations, notes.

    A result that bundles several models (2SLS with its OLS and first stages, an event study and its regression)
    answers for the one it is about.
    """

    @property
    def inner(self) -> VarianceResults:  # pragma: no cover - every subclass overrides
        """The result whose estimates and variance this one's are."""
        raise NotImplementedError

    @property
    def params(self) -> pd.Series:  # type: ignore[override]
        """Estimates of the inner result."""
        return self.inner.params

    @property
    def vcov(self) -> pd.DataFrame:  # type: ignore[override]
        """Their variance."""
        return self.inner.vcov

    @property
    def df_t(self) -> float:  # type: ignore[override]
        """Degrees of freedom of the inner result's t inference."""
        return self.inner.df_t

    @property
    def df_resid(self) -> float:
        """Residual degrees of freedom of the inner result (F tests)."""
        return getattr(self.inner, "df_resid", np.inf)

    @property
    def nobs(self) -> int:
        """Observations of the inner result."""
        return self.inner.nobs

    @property
    def notes(self) -> tuple[str, ...]:
        """Notes of the inner result."""
        return tuple(getattr(self.inner, "notes", ()) or ())

    @property
    def vcov_type(self) -> str:
        """The inner result's variance in words."""
        return str(getattr(self.inner, "vcov_type", ""))

    @property
    def clusters(self) -> dict[str, int]:
        """Cluster variable → number of clusters of the inner result."""
        return dict(getattr(self.inner, "clusters", {}) or {})

    @property
    def ssc(self) -> SSC | None:
        """The inner result's small-sample correction."""
        return getattr(self.inner, "ssc", None)

    @property
    def fallback_reason(self) -> str | None:
        """Why the inner result's variance is not the one asked for (None when it is)."""
        return getattr(self.inner, "fallback_reason", None)


class ModelBackedResults(DelegatedResults):
    """Results that wrap one regression (``self.model``): observations, notes and variance are the regression's."""

    model: RegressionResults

    @property
    def inner(self) -> RegressionResults:
        """The underlying regression."""
        return self.model

    def remove_data(self) -> ModelBackedResults:
        """Return the result with its regression's data removed (see :meth:`RegressionResults.remove_data`)."""
        return replace(self, model=self.model.remove_data())  # type: ignore[type-var]


@dataclass(frozen=True, repr=False)
class RegressionResults(VarianceResults):
    """Estimates, their variance and fit statistics of one model (immutable, picklable).

    Attributes
    ----------
    estimator : str
        "OLS", "PPML", "2SLS", "Logit", "Random effects", "First differences", ...
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
    df_resid : float
        n − K with every absorbed parameter counted: the denominator of F tests (as fixest's ``wald()``).
    ssc : SSC or None
        The small-sample correction behind ``vcov`` (None for the jackknife, which has its own factor).
    fallback_reason : str or None
        Set when the variance asked for could not be computed and ``vcov`` is another one: why, and which
        (see :meth:`with_fallback`). Tables mark such errors.
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
    df_resid: float = np.inf
    ssc: SSC | None = None
    fallback_reason: str | None = None

    @cached_property
    def std_errors(self) -> pd.Series:
        """Standard errors."""
        with np.errstate(invalid="ignore"):
            return pd.Series(np.sqrt(np.diag(self.vcov.to_numpy())), index=self.params.index, name="std_error")

    @property
    def vcov_description(self) -> str:
        """The variance in words with its cluster counts and small-sample correction, for table notes."""
        counts = ", ".join(f"{name} ({count:,})" for name, count in self.clusters.items())
        text = self.vcov_type + (f"; clusters: {counts}" if counts else "")
        if self.ssc is not None:
            text += "; " + self.ssc.describe()
        return text

    def with_vcov(self, vcov: VcovSpec, *, ssc: SSC | None = None) -> RegressionResults:
        """Return the same estimates with another variance, computed from the stored scores without refitting.

        Parameters
        ----------
        vcov : VarianceEstimator, str or dict
            Any variance the estimator supports (an unsupported one raises ``ValueError``).
        ssc : SSC, optional
            A small-sample correction (default: the variance object's, else the estimator's).

        Returns
        -------
        RegressionResults
            A new, immutable result; this one is unchanged.
        """
        if self.inference is None:
            raise ValueError(f"{self.estimator} results keep no scores (refit, or the data were removed with "
                             "remove_data()): refit with the new variance instead")
        choice = as_vcov(vcov, ssc)
        result = compute_vcov(choice, self.inference)
        names = list(self.params.index)
        base_notes = tuple(n for n in self.notes if "not positive semi-definite" not in n and "negative variance"
                           not in n and "no overall F statistic" not in n and n != self.fallback_reason)
        updated = replace(self, vcov=pd.DataFrame(result.matrix, index=names, columns=names), vcov_type=choice.label,
                          df_t=result.df_t, clusters=result.clusters, notes=base_notes + result.notes,
                          variance=choice, ssc=result.ssc, fallback_reason=None)
        return updated._with_overall_test() if "wald_f" in self.fit_statistics else updated

    def _with_overall_test(self) -> RegressionResults:
        """Return the result with its overall F test (every slope zero) under its own variance, in fit_statistics."""
        slopes = [name for name in self.params.index if name != "Intercept"]
        if not slopes:
            return self
        try:
            test = self.wald_test(slopes)
        except WaldTestUndefinedError as exc:  # the fit stands; its overall F does not exist: say so
            return replace(self, fit_statistics={**self.fit_statistics, "wald_f": np.nan, "wald_f_p": np.nan},
                           notes=(*self.notes, f"no overall F statistic: {exc}"))
        return replace(self, fit_statistics={**self.fit_statistics, "wald_f": test.statistic, "wald_f_p": test.p_value})

    def with_fallback(self, preferred: VcovSpec, fallback: VcovSpec) -> RegressionResults:
        """Return the result with the variance ``preferred``, or with ``fallback`` when ``preferred`` is undefined.

        Only an undefined cluster jackknife (:class:`~villageaid.estimators.JackknifeUndefinedError`) falls
        back; the result then says why in :attr:`fallback_reason` and its notes, and tables mark its errors.
        Any other error is raised.
        """
        try:
            return self.with_vcov(preferred)
        except JackknifeUndefinedError as exc:
            shown = self.with_vcov(fallback)
            reason = f"{exc.short}; {shown.vcov_type} shown"
            return replace(shown, fallback_reason=reason, notes=(*shown.notes, str(exc)))

    def remove_data(self) -> RegressionResults:
        """Return the result without the data it keeps (scores, sample, predictor, model): small to save.

        Estimates, variance, tests and tables work as before; ``with_vcov``, ``predict``, ``resid`` and ``fitted``
        then ask for a refit.
        """
        return replace(self, inference=None, predictor=None, model=None)

    def _need_predictor(self) -> Predictor:
        if self.predictor is None:
            raise ValueError(f"{self.estimator} results do not support predictions (or their data were removed "
                             "with remove_data())")
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
                     + (f" (t with {self.df_t:g} df)" if np.isfinite(self.df_t) else "; normal inference"))
        if self.ssc is not None:
            lines.append("Small-sample correction: " + self.ssc.describe())
        return f"{self.estimator} estimation: {self.formula}", tuple(lines)

    def _summary_footer(self) -> tuple[str, ...]:
        text = ", ".join(f"{k}: {v:.6g}" for k, v in self.fit_statistics.items() if np.isfinite(v))
        return (text,) if text else ()
