"""Linear models with any number of absorbed fixed effects (fixest's ``feols``).

The fixed effects are absorbed by alternating projections on numpy arrays (Frisch–Waugh–Lovell), the
coefficients solved from the normal equations of the demeaned data, and the variance computed with
fixest's small-sample conventions (see :mod:`villageaid.estimators.vcov`). Written here rather than
taken from pyfixest or linearmodels because at 5 million village-years both spend most of their time
building model matrices through general formula engines and pandas copies; this path keeps
the data in float64 arrays from the start. Coefficients and standard errors are checked against R.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pandas as pd
from scipy import linalg

from villageaid.estimators.checks import (
    check_scale,
    require_collinear,
    require_columns,
    require_frame,
    require_text,
    sample_mask,
)
from villageaid.estimators.demean import FixedEffects
from villageaid.estimators.formula import ParsedFormula, model_matrix, parse_formula
from villageaid.estimators.inference import COLLINEARITY_TOLERANCE, InferenceInputs, collinear_on_gram, compute_vcov
from villageaid.estimators.jackknife import labels_of, linear_leave_one_out
from villageaid.estimators.limits import NoVariationError, TooFewError
from villageaid.estimators.multiple import MultipleResults, estimate_multiple, is_multiple
from villageaid.estimators.predict import Predictor
from villageaid.estimators.results import RegressionResults
from villageaid.estimators.vcov import CRV1, IID, SSC, VcovSpec, as_vcov
from villageaid.threads import fixed_blas_order

#: Variances a linear model supports (see :mod:`villageaid.estimators.vcov`).
SUPPORTED_VCOV = ("iid", "HC1", "CRV1", "CRV1 two-way", "CRV3")


@dataclass(frozen=True)
class Design:
    """The estimation sample after dropping missing values and absorbing fixed effects.

    Attributes
    ----------
    parsed : ParsedFormula
    names : list of str
        Regressors kept (collinear ones dropped).
    y : ndarray
        Dependent variable over the sample (not demeaned).
    y_tilde, X_tilde : ndarray
        The same after absorbing the fixed effects.
    weights : ndarray or None
    fixed : FixedEffects or None
    sample : ndarray of bool
        Rows of the original data used.
    data : DataFrame
        The original data restricted to the sample (for clusters).
    notes : list of str
    """

    parsed: ParsedFormula
    names: list[str]
    y: np.ndarray
    y_tilde: np.ndarray
    X_tilde: np.ndarray
    weights: np.ndarray | None
    fixed: FixedEffects | None
    sample: np.ndarray
    data: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def drop_collinear(X: np.ndarray, names: list[str], raw_ss: np.ndarray, weights: np.ndarray | None,
                   notes: list[str]) -> tuple[np.ndarray, list[str]]:
    """Drop columns that are (nearly) linear combinations of earlier ones, with a note for each."""
    gram = (X * weights[:, None]).T @ X if weights is not None else X.T @ X
    dropped = collinear_on_gram(gram, raw_ss, COLLINEARITY_TOLERANCE)
    if dropped:
        require_collinear(gram, raw_ss, dropped, names)
    for j in dropped:
        notes.append(f"term {names[j]} is collinear with the fixed effects or other terms and was dropped")
    if not dropped:
        return X, list(names)
    keep = [j for j in range(X.shape[1]) if j not in dropped]
    return X[:, keep], [names[j] for j in keep]


@dataclass(frozen=True)
class FEOLS:
    """A linear model with absorbed fixed effects.

    Parameters
    ----------
    formula : str
        ``"y ~ x1 + x2 | fe1 + fe2"`` (see :mod:`villageaid.estimators.formula`).
    data : DataFrame
        Observations with a missing value (outcome, regressors, weights, fixed effects, clusters) are dropped with
        a counted note; those with an infinite outcome or regressor with their own counted note naming the columns
        (fixest's convention). Empty data, and a column too large or too small to square in float64 (a problem of
        scale, not collinearity), are refused. A regressor dropped as collinear is named in the notes.
    weights : str, optional
        Column of analytic weights: negative or infinite weights are refused (``ValueError`` naming the column and
        the first row); zero weights drop their observations with a counted note.
    drop_singletons : bool
        Drop observations alone in a fixed-effect group (reghdfe's default). fixest keeps them by
        default, and so does this class, with a note giving their number.
    """

    formula: str
    data: pd.DataFrame
    weights: str | None = None
    drop_singletons: bool = False

    def design(self, extra_columns: tuple[str, ...] = ()) -> Design:
        """Build the estimation sample; ``extra_columns`` (e.g. clusters) must be non-missing too."""
        require_text(self.formula, "formula", "feols")
        require_frame(self.data, "feols")
        parsed = parse_formula(self.formula)
        notes: list[str] = []
        names, matrix = model_matrix(self.data, parsed, depvar=parsed.depvar)
        weights = None
        if self.weights is not None:
            require_columns(self.data, {"weights": self.weights}, "feols")
            weights = self.data[self.weights].to_numpy(dtype=float, na_value=np.nan)
        absent = np.zeros(len(self.data), dtype=bool)
        for column in (*[p for fe in parsed.fixed_effects for p in fe.split("^")], *extra_columns):
            if column not in self.data.columns:
                raise KeyError(f"column {column!r} is not in the data")
            absent |= self.data[column].isna().to_numpy()
        ok = sample_mask([matrix], [parsed.depvar, *names], "feols", notes=notes, weights=weights,
                         weights_column=self.weights, data=self.data, also_missing=absent)
        if not ok.any():
            raise TooFewError("feols: no observation is left to estimate from: " + "; ".join(notes))
        fixed = None
        if parsed.fixed_effects:
            fixed = FixedEffects.from_data(self.data, parsed.fixed_effects)
            if not ok.all():
                fixed = fixed.subset(ok)
            alone = fixed.singletons()
            if alone.any():
                if self.drop_singletons:
                    before = int(ok.sum())
                    while alone.any():  # dropping singletons can create new ones
                        ok[np.flatnonzero(ok)[alone]] = False
                        fixed = fixed.subset(~alone)
                        alone = fixed.singletons()
                    notes.append(f"{before - int(ok.sum()):,} singleton observations dropped")
                else:
                    notes.append(f"{int(alone.sum()):,} observations are singletons in a fixed effect; kept, "
                                 "as fixest does (drop_singletons=True drops them)")
        if not ok.all():
            matrix = np.asfortranarray(matrix[ok])
            if weights is not None:
                weights = weights[ok]
        y = matrix[:, 0].copy()
        check_scale(names, matrix[:, 1:], "feols", outcome=y, depvar=parsed.depvar)
        raw_ss = (matrix[:, 1:] ** 2).sum(axis=0)
        if fixed is not None:  # absorb in place: the design is ours, no copy needed
            matrix, _ = fixed.demean(matrix, weights, copy=False)
        X_tilde, kept = drop_collinear(matrix[:, 1:], names, raw_ss, weights, notes)
        data = self.data if ok.all() else self.data.loc[ok].reset_index(drop=True)
        return Design(parsed, kept, y, matrix[:, 0], X_tilde, weights, fixed, ok, data, notes)

    @fixed_blas_order
    def fit(self, *, vcov: VcovSpec | None = None, ssc: SSC | None = None) -> RegressionResults:
        """Estimate the model.

        Parameters
        ----------
        vcov : VarianceEstimator, str or dict, optional
            :class:`~villageaid.estimators.IID`, :class:`~villageaid.estimators.HC1`,
            :class:`~villageaid.estimators.CRV1` (one- or two-way) or :class:`~villageaid.estimators.CRV3`
            (exact cluster jackknife), or their shorthands ``"iid"``, ``"hetero"``, ``{"CRV1": "g"}``,
            ``{"CRV3": "g"}``. By default, as in fixest, clustered by the first fixed effect when there are
            fixed effects, else iid.
        ssc : SSC, optional
            Small-sample correction (default fixest's, :class:`~villageaid.estimators.vcov.SSC`).

        Returns
        -------
        RegressionResults
        """
        parsed = parse_formula(self.formula)
        if vcov is None:
            vcov = CRV1(parsed.fixed_effects[0]) if parsed.fixed_effects else IID()
        choice = as_vcov(vcov, ssc)
        design = self.design(choice.clusters)
        Xt, yt, w = design.X_tilde, design.y_tilde, design.weights
        nobs, k = len(yt), Xt.shape[1]
        only_fixed_effects = design.fixed is not None and all(term in ("1", "0", "-1")
                                                              for term in design.parsed.terms)
        if k == 0 and not only_fixed_effects:
            raise NoVariationError("no regressor left to estimate after removing collinear terms")
        Xw = Xt * w[:, None] if w is not None else Xt
        if k == 0:  # a model of fixed effects alone (fixest allows it): fit statistics, no coefficient
            beta, bread = np.zeros(0), np.zeros((0, 0))
        else:
            factor = linalg.cho_factor(Xw.T @ Xt)
            beta = linalg.cho_solve(factor, Xw.T @ yt)
            bread = linalg.cho_solve(factor, np.eye(k))
        resid = yt - Xt @ beta
        rss = float(resid @ (resid * w)) if w is not None else float(resid @ resid)
        absorbed = design.fixed.degrees_of_freedom if design.fixed is not None else 0
        inputs = InferenceInputs(
            estimator="feols (OLS)", supported=SUPPORTED_VCOV, bread=bread, scores=Xw * resid[:, None], nobs=nobs,
            n_coef=k, absorbed=absorbed, fixed=design.fixed, sample=design.data, params=beta, rss=rss, linear=True,
            leave_one_out=_LinearLeaveOneOut(self, design),
            known_codes=dict(zip(design.fixed.names, design.fixed.codes, strict=True)) if design.fixed else {})
        v = compute_vcov(choice, inputs)
        wsum = w.sum() if w is not None else float(nobs)
        y_mean = (design.y * w).sum() / wsum if w is not None else design.y.mean()
        tss = float((((design.y - y_mean) ** 2) * (w if w is not None else 1.0)).sum())
        k_full = k + absorbed
        statistics = {"r2": 1 - rss / tss if tss > 0 else np.nan,
                      "adj_r2": (1 - (rss / (nobs - k_full)) / (tss / (nobs - 1))
                                 if tss > 0 and nobs > k_full else np.nan),
                      "rmse": float(np.sqrt(rss / nobs))}
        if design.fixed is not None:
            tss_within = float((yt**2 * (w if w is not None else 1.0)).sum())
            statistics["within_r2"] = 1 - rss / tss_within if tss_within > 0 else np.nan
        names = design.names
        params = pd.Series(beta, index=names, name="estimate")
        vcov_frame = pd.DataFrame(v.matrix, index=names, columns=names)
        eta = design.y - resid
        predictor = Predictor(parsed, design.y, eta, partial(_linear_index, self, design, beta), "identity",
                              design.fixed, design.data)
        result = RegressionResults(
            estimator="OLS", formula=self.formula, depvar=parsed.depvar, params=params, vcov=vcov_frame,
            vcov_type=choice.label, nobs=nobs, df_t=v.df_t, fit_statistics=statistics,
            fixed_effects=dict(zip(design.fixed.names, design.fixed.levels, strict=True)) if design.fixed else {},
            clusters=v.clusters, notes=tuple(design.notes) + v.notes, variance=choice, inference=inputs,
            predictor=predictor, model=self, df_resid=inputs.df_resid, ssc=v.ssc,
        )
        result = result._with_overall_test()
        return result

    def _raw_design(self, design: Design) -> tuple[np.ndarray, np.ndarray]:
        """Outcome and kept regressors over the sample, before absorbing the fixed effects."""
        names, matrix = model_matrix(design.data, design.parsed, depvar=design.parsed.depvar)
        index = [names.index(name) + 1 for name in design.names]
        return matrix[:, 0], matrix[:, index]



def _linear_index(model: FEOLS, design: Design, beta: np.ndarray) -> np.ndarray:
    """Xβ over the sample, without the fixed effects (for the predictor; a picklable callable with partial)."""
    return model._raw_design(design)[1] @ beta


@dataclass(frozen=True)
class _LinearLeaveOneOut:
    """The exact leave-one-cluster-out estimates of a linear model (a picklable callable for CRV3)."""

    model: FEOLS
    design: Design

    def __call__(self, codes: np.ndarray, cluster_name: str) -> np.ndarray:
        y, X = self.model._raw_design(self.design)
        return linear_leave_one_out(y, X, self.design.weights, self.design.fixed, codes, self.design.names,
                                    cluster_name, labels_of(self.design.data, cluster_name, codes))


def feols(formula: str, data: pd.DataFrame, *, vcov: VcovSpec | None = None, ssc: SSC | None = None,
          weights: str | None = None, drop_singletons: bool = False, split: str | None = None,
          fsplit: str | None = None) -> RegressionResults | MultipleResults:
    """Fit a linear model with fixed effects: ``FEOLS(formula, data, ...).fit(vcov=vcov, ssc=ssc)``.

    Parameters
    ----------
    formula : str
        ``"y ~ x1 + x2 | fe1 + fe2"`` (fixest syntax; ``- 1`` or ``+ 0`` removes the intercept). Several
        outcomes (``"y1 + y2 ~ x"``) or a stepwise function (``sw``, ``sw0``, ``csw``, ``csw0``) estimate
        several models (see :mod:`villageaid.estimators.multiple`).
    data : DataFrame
        Missing values drop their observations with a counted note, infinite ones with their own counted note;
        empty data and badly scaled columns are refused (see :class:`FEOLS`).
    vcov : VarianceEstimator, str or dict, optional
        See :meth:`FEOLS.fit`.
    ssc : SSC, optional
        Small-sample correction (default fixest's).
    weights : str, optional
        Column of analytic weights (negative or infinite refused; zero dropped with a counted note).
    drop_singletons : bool
        Drop observations alone in a fixed-effect group.
    split, fsplit : str, optional
        Estimate on each value of this column (``fsplit``: and on the full sample).

    Returns
    -------
    RegressionResults, or MultipleResults for several models

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> panel = pd.DataFrame({"unit": np.repeat(np.arange(50), 4), "year": np.tile(np.arange(4), 50)})
    >>> panel["x"] = rng.normal(size=200)
    >>> panel["y"] = 0.5 * panel["x"] + rng.normal(size=200)
    >>> fit = feols("y ~ x | unit + year", panel, vcov={"CRV1": "unit"})
    >>> round(float(fit.params["x"]), 2)
    0.46
    >>> fit.with_vcov({"CRV3": "unit"}).vcov_type
    'cluster jackknife (CRV3) by unit'
    >>> len(feols("y ~ csw0(x) | unit", panel.assign(z=1.0), split="year"))
    8
    """
    def fit(text: str, sample: pd.DataFrame) -> RegressionResults:
        return FEOLS(text, sample, weights=weights, drop_singletons=drop_singletons).fit(vcov=vcov, ssc=ssc)

    require_text(formula, "formula", "feols")
    require_frame(data, "feols")
    if is_multiple(formula, split, fsplit):
        return estimate_multiple(formula, data, fit, split=split, fsplit=fsplit)
    return fit(formula, data)
