"""Dynamic panels without Nickell bias: the Anderson–Hsiao first-difference IV estimator.

In y_it = ρ y_i,t−1 + γ z_i,t−1 + x_it β + α_i + δ_t + e_it the within estimator is biased in short panels
(Nickell 1981). First differences remove α_i; Δy_i,t−1 (and Δz_i,t−1) are instrumented by the levels
y_i,t−2 (and z_i,t−2), which are uncorrelated with Δe_it when e is serially uncorrelated (Anderson &
Hsiao 1981). Estimated with linearmodels' ``IV2SLS``; the first-stage partial F statistics (clustered Wald
statistic of the excluded instruments over their number) are reported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from villageaid.estimators.iv import first_stage_f
from villageaid.estimators.ols import feols
from villageaid.estimators.results import RegressionResults, ResultsBase, WaldTest, stacked_tidy


@dataclass(frozen=True, repr=False)
class DynamicPanelResults(ResultsBase):
    """Anderson–Hsiao estimates beside the (Nickell-biased) within estimator.

    ``tidy()`` stacks both models (an ``estimator`` column tells them apart); ``nobs`` and ``wald_test`` are
    those of the Anderson–Hsiao model.
    """

    anderson_hsiao: RegressionResults
    within: RegressionResults
    first_stage_f: dict[str, float]

    @property
    def nobs(self) -> int:
        """Equations of the Anderson–Hsiao model."""
        return self.anderson_hsiao.nobs

    def tidy(self, conf_level: float = 0.95) -> pd.DataFrame:
        """Both models' rows: the tidy columns, then estimator."""
        return stacked_tidy({"anderson_hsiao": self.anderson_hsiao, "within": self.within}, conf_level)

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Intervals of the Anderson–Hsiao model."""
        return self.anderson_hsiao.conf_int(level)

    def wald_test(self, terms: list[str] | None = None, **kwargs) -> WaldTest:
        """Test linear restrictions on the Anderson–Hsiao model (Wald)."""
        return self.anderson_hsiao.wald_test(terms, **kwargs)

    def _summary_header(self) -> tuple[str, tuple[str, ...]]:
        first = ", ".join(f"{k}: {v:.1f}" for k, v in self.first_stage_f.items())
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
                   equations: pd.Series | None = None) -> DynamicPanelResults:
    """Estimate the dynamic panel by Anderson–Hsiao and by the within estimator.

    Parameters
    ----------
    data : DataFrame
        Long panel; rows with a missing outcome (e.g. the log of a zero) simply drop out.
    outcome : str
        y; its first lag is the persistence term.
    unit, time : str
        Panel identifiers; time must be integer-valued (lags are of consecutive periods).
    lagged : tuple of str
        Further variables z entering with their first lag (e.g. lagged outcomes of the unit).
    exogenous : tuple of str
        Strictly exogenous regressors x, entering the differenced equation as Δx.
    time_effects : bool
        Period effects (dummies in the differenced equation; fixed effects in the within estimator).
    equations : Series of bool, optional
        Which rows' equations to estimate (lags are still taken from all rows), e.g. periods whose
        regressors do not change between t − 2 and t.

    Returns
    -------
    DynamicPanelResults
        Coefficients named ``L.<outcome>`` and ``L.<z>``, errors clustered by unit.

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
    >>> bool(abs(result.anderson_hsiao.params["L.y"] - 0.5) < 0.15)
    True
    """
    from linearmodels.iv import IV2SLS

    endogenous = [outcome, *lagged]
    data = data.assign(_equation=True if equations is None else equations.astype(bool).to_numpy())
    frame = _lagged_frame(data, unit, time, [*endogenous, *exogenous, "_equation"])
    design = pd.DataFrame({"dy": frame[outcome] - frame[f"{outcome}_lag1"]})
    for column in endogenous:
        design[f"L.{column}"] = frame[f"{column}_lag1"] - frame[f"{column}_lag2"]  # Δ of the first lag
        design[f"Z.{column}"] = frame[f"{column}_lag2"]  # the instrument: the second lag in levels
    for column in exogenous:
        design[f"D.{column}"] = frame[column] - frame[f"{column}_lag1"]
    design["_unit"] = frame[unit]
    design["_time"] = frame[time]
    design = design.loc[frame["_equation"].astype(bool)].dropna()
    exog = pd.DataFrame(index=design.index)
    if time_effects:
        exog = pd.get_dummies(design["_time"], prefix="year", drop_first=False, dtype=float)
    else:
        exog["const"] = 1.0
    for column in exogenous:
        if design[f"D.{column}"].std() > 0:
            exog[f"D.{column}"] = design[f"D.{column}"]
    endog = design[[f"L.{c}" for c in endogenous]]
    instruments = design[[f"Z.{c}" for c in endogenous]]
    fit = IV2SLS(design["dy"], exog, endog, instruments).fit(cov_type="clustered", clusters=design["_unit"])
    keep = [f"L.{c}" for c in endogenous] + [f"D.{c}" for c in exogenous if f"D.{c}" in exog]
    params = fit.params[keep]
    cov = fit.cov.loc[keep, keep]
    first_stage = first_stage_f(endog, instruments, exog, design["_unit"])
    n_units = design["_unit"].nunique()
    ah = RegressionResults(
        estimator="Anderson–Hsiao (first-difference IV)",
        formula=f"Δ{outcome} ~ ΔL.{outcome}" + "".join(f" + ΔL.{c}" for c in lagged)
        + "".join(f" + Δ{c}" for c in exogenous) + (" + year effects" if time_effects else ""),
        depvar=outcome, params=params, vcov=cov, vcov_type=f"clustered by {unit} (linearmodels)",
        nobs=int(fit.nobs), df_t=np.inf, fit_statistics={f"first_stage_F {k}": v for k, v in first_stage.items()},
        clusters={unit: int(n_units)},
    )
    within_frame = frame.loc[frame["_equation"].astype(bool)].rename(
        columns={f"{c}_lag1": f"L_{c}" for c in endogenous})
    rhs = " + ".join([f"L_{c}" for c in endogenous] + list(exogenous))
    fe = f"{unit} + {time}" if time_effects else unit
    within = feols(f"{outcome} ~ {rhs} | {fe}", within_frame, vcov={"CRV1": unit})
    within = RegressionResults(
        estimator="Within (fixed effects, Nickell-biased)", formula=within.formula, depvar=outcome,
        params=within.params.rename(lambda n: n.replace("L_", "L.")),
        vcov=within.vcov.rename(index=lambda n: n.replace("L_", "L."), columns=lambda n: n.replace("L_", "L.")),
        vcov_type=within.vcov_type, nobs=within.nobs, df_t=within.df_t, fit_statistics=within.fit_statistics,
        fixed_effects=within.fixed_effects, clusters=within.clusters, notes=within.notes,
    )
    return DynamicPanelResults(ah, within, first_stage)
