"""Dynamic panels without Nickell bias: the Anderson–Hsiao first-difference IV estimator.

In y_it = ρ y_i,t−1 + γ z_i,t−1 + x_it β + α_i + δ_t + e_it the within estimator is biased in short panels
(Nickell 1981). First differences remove α_i; Δy_i,t−1 (and Δz_i,t−1) are instrumented by the levels
y_i,t−2 (and z_i,t−2), which are uncorrelated with Δe_it when e is serially uncorrelated (Anderson &
Hsiao 1981). Estimated by :func:`~villageaid.estimators.iv.iv_fe` (2SLS, period effects absorbed), so its
variance, small-sample correction, first-stage F and Anderson–Rubin sets are those of every IV model: by
default clustered by unit with fixest's correction and t(G − 1) inference, as the within estimator beside it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from villageaid.estimators.checks import require_panel
from villageaid.estimators.iv import IVResults, iv_fe
from villageaid.estimators.ols import feols
from villageaid.estimators.results import DelegatedResults, RegressionResults
from villageaid.estimators.vcov import CRV1, SSC, VcovSpec


@dataclass(frozen=True, repr=False)
class DynamicPanelResults(DelegatedResults):
    """Anderson–Hsiao estimates beside the (Nickell-biased) within estimator.

    The protocol (``params``, ``vcov``, ``tidy()``, ``wald_test()``, ...) is the Anderson–Hsiao model's; the
    within model is :attr:`within`; :meth:`with_vcov` changes both.

    Attributes
    ----------
    iv : IVResults
        The Anderson–Hsiao 2SLS model with its first stages.
    within : RegressionResults
        The within (fixed-effects) estimator of the same equation.
    """

    iv: IVResults
    within: RegressionResults

    @property
    def anderson_hsiao(self) -> RegressionResults:
        """The Anderson–Hsiao (first-difference 2SLS) model."""
        return self.iv.iv

    @property
    def first_stage_f(self) -> dict[str, float]:
        """Endogenous regressor → first-stage partial F."""
        return self.iv.first_stage_f

    @property
    def inner(self) -> IVResults:
        """The Anderson–Hsiao model."""
        return self.iv

    def tidy(self, conf_level: float | None = None) -> pd.DataFrame:
        """Return the Anderson–Hsiao rows (the within model's are ``self.within.tidy()``)."""
        return self.iv.tidy(conf_level)

    def with_vcov(self, vcov: VcovSpec, *, ssc: SSC | None = None) -> DynamicPanelResults:
        """Return both models with another variance, without refitting."""
        return replace(self, iv=self.iv.with_vcov(vcov, ssc=ssc), within=self.within.with_vcov(vcov, ssc=ssc))

    def remove_data(self) -> DynamicPanelResults:
        """Return both models without their data."""
        return replace(self, iv=self.iv.remove_data(), within=self.within.remove_data())

    def etable_rows(self) -> dict[str, str]:
        """First-stage F of each instrumented lag, for regression tables."""
        return self.iv.etable_rows()

    def _summary_header(self) -> tuple[str, tuple[str, ...]]:
        first = ", ".join(f"{k}: {v:.2f}" for k, v in self.first_stage_f.items())
        return (f"Dynamic panel: {self.anderson_hsiao.formula}",
                (f"Equations: {self.nobs:,}", f"Standard errors: {self.anderson_hsiao.vcov_type}",
                 f"First-stage F: {first}"))


def _lagged_frame(data: pd.DataFrame, unit: str, time: str, columns: list[str]) -> pd.DataFrame:
    frame = data[[unit, time, *columns]].sort_values([unit, time]).reset_index(drop=True)
    for lag in (1, 2):
        shifted = frame.groupby(unit, sort=False)[[time, *columns]].shift(lag)
        consecutive = (frame[time] - shifted[time]) == lag
        for column in columns:
            frame[f"{column}_lag{lag}"] = shifted[column].where(consecutive)
    return frame


def anderson_hsiao(data: pd.DataFrame, *, outcome: str, unit: str, time: str, lagged: tuple[str, ...] = (),
                   exogenous: tuple[str, ...] = (), time_effects: bool = True,
                   equations: pd.Series | None = None, vcov: VcovSpec | None = None,
                   ssc: SSC | None = None) -> DynamicPanelResults:
    """Estimate the dynamic panel by Anderson–Hsiao and by the within estimator.

    Parameters
    ----------
    data : DataFrame
        Long panel; rows with a missing or infinite outcome (e.g. the log of a zero) drop out, counted in the
        notes (as :func:`~villageaid.estimators.iv.iv_fe`); infinite periods are refused.
    outcome : str
        y; its first lag is the persistence term.
    unit, time : str
        Panel identifiers; time must be integer-valued (lags are of consecutive periods).
    lagged : tuple of str
        Further variables z entering with their first lag (e.g. lagged outcomes of the unit).
    exogenous : tuple of str
        Strictly exogenous regressors x, entering the differenced equation as Δx.
    time_effects : bool
        Period effects (absorbed in the differenced equation; fixed effects in the within estimator).
    equations : Series of bool, optional
        Which rows' equations to estimate (lags are still taken from all rows), e.g. periods whose
        regressors do not change between t − 2 and t.
    vcov : VarianceEstimator, str or dict, optional
        Variance of both models (default CRV1 by ``unit``; any variance of :func:`~villageaid.estimators.iv.iv_fe`).
    ssc : SSC, optional
        Small-sample correction (default fixest's).

    Returns
    -------
    DynamicPanelResults
        Coefficients named ``L.<outcome>``, ``L.<z>`` and ``D.<x>``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(6)
    >>> rows = []
    >>> for unit in range(300):
    ...     effect, y = rng.normal(), 0.0
    ...     for year in range(8):
    ...         y = 0.5 * y + effect + rng.normal()
    ...         rows.append((unit, year, y))
    >>> panel = pd.DataFrame(rows, columns=["unit", "year", "y"])
    >>> result = anderson_hsiao(panel, outcome="y", unit="unit", time="year")
    >>> bool(abs(result.params["L.y"] - 0.5) < 0.15), result.df_t
    (True, 299.0)
    """
    require_panel(data, "anderson_hsiao", outcome=outcome, unit=unit, time=time, lagged=lagged, exogenous=exogenous,
                  refuse_infinite_in=(time,))
    if equations is not None and (not isinstance(equations, pd.Series) or len(equations) != len(data)):
        raise TypeError(f"anderson_hsiao: equations must be a Series of bool with one value per row of data "
                        f"({len(data):,}), got {type(equations).__name__}"
                        + (f" of length {len(equations):,}" if hasattr(equations, "__len__") else ""))
    vcov = CRV1(unit) if vcov is None else vcov
    endogenous = [outcome, *lagged]
    data = data.assign(_equation=True if equations is None else equations.astype(bool).to_numpy())
    frame = _lagged_frame(data, unit, time, [*endogenous, *exogenous, "_equation"])
    design = pd.DataFrame({f"D.{outcome}": frame[outcome] - frame[f"{outcome}_lag1"], unit: frame[unit],
                           time: frame[time]})
    for column in endogenous:
        design[f"L.{column}"] = frame[f"{column}_lag1"] - frame[f"{column}_lag2"]  # Δ of the first lag
        design[f"Z.{column}"] = frame[f"{column}_lag2"]  # the instrument: the second lag in levels
    for column in exogenous:
        design[f"D.{column}"] = frame[column] - frame[f"{column}_lag1"]
    design = design.loc[frame["_equation"].astype(bool)].dropna().reset_index(drop=True)
    varying = [f"D.{c}" for c in exogenous if design[f"D.{c}"].std() > 0]  # a difference that never moves: none
    iv = iv_fe(design, outcome=f"D.{outcome}", endogenous=[f"L.{c}" for c in endogenous],
               instruments=[f"Z.{c}" for c in endogenous], exogenous=varying,
               fixed_effects=(time,) if time_effects else (), vcov=vcov, ssc=ssc)
    formula = (f"Δ{outcome} ~ ΔL.{outcome}" + "".join(f" + ΔL.{c}" for c in lagged)
               + "".join(f" + Δ{c}" for c in exogenous) + (" | year effects" if time_effects else ""))
    iv = replace(iv, iv=replace(iv.iv, estimator="Anderson–Hsiao (first-difference IV)", formula=formula))
    within_frame = frame.loc[frame["_equation"].astype(bool)].rename(
        columns={f"{c}_lag1": f"L.{c}" for c in endogenous})
    rhs = " + ".join([f"L.{c}" for c in endogenous] + list(exogenous))
    fe = f"{unit} + {time}" if time_effects else unit
    within = feols(f"{outcome} ~ {rhs} | {fe}", within_frame, vcov=vcov, ssc=ssc)
    within = replace(within, estimator="Within (fixed effects, Nickell-biased)")
    return DynamicPanelResults(iv, within)
