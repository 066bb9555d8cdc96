"""H6: the strong get stronger (强者愈强) as the source paper states it — resources follow results, outcomes diverge.

Two readings of the claim, beside the dynamic panel of :mod:`villageaid.analysis.persistence`:

* resources follow results already achieved: funding on the previous year's growth of village collective
  income, its slope allowed to change in the transition (``post:lag_growth``, expected > 0), with village and
  county × year effects — funding by Poisson pseudo-ML and asinh(funding) by OLS, errors clustered by village
  (the cluster jackknife by default, as the allocation models);
* outcomes diverge: β-convergence of log collective income (growth over each period on its initial
  level, one row per village and period, stacked with county × period effects; a positive transition slope is
  divergence), σ-convergence (the spread of log collective income across villages by year, with a bootstrap
  over villages) and mean transition growth by the village's type in the first transition year.

Collective income enters as its log where it is positive; a missing or non-positive income leaves the growths
that need it missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from villageaid.analysis.variables import fit_with_fallback, village_variance
from villageaid.estimators import RegressionResults, feols, fepois
from villageaid.estimators.limits import MissingDataError, TooFewError
from villageaid.estimators.summary import normal_inference
from villageaid.estimators.vcov import VcovSpec

#: Periods the models use, in order.
PERIODS = ("campaign", "transition")
#: Fewest usable observations a model needs in each period: village-years with lagged growth (funding models)
#: or villages with a period growth (β-convergence).
MIN_OBSERVATIONS = 10
#: Village types, in table order.
VILLAGE_TYPES = ("A", "B", "C", "D")
#: Bootstrap resamples evaluated at once are limited to about this many values (memory).
_BOOTSTRAP_BLOCK = 5_000_000


def _require(panel: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    """Raise MissingDataError naming the columns of ``columns`` the panel lacks."""
    missing = [column for column in columns if column not in panel.columns]
    if missing:
        raise MissingDataError(f"{what} needs the panel column{'s' if len(missing) > 1 else ''} "
                         f"{', '.join(repr(c) for c in missing)}, which the panel does not have")


def _log_income(panel: pd.DataFrame) -> pd.Series:
    """Log collective income where it is positive, else NaN."""
    income = pd.to_numeric(panel["collective_income"], errors="coerce").astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(income.where(income > 0))


def _combination(model: RegressionResults, weights: dict[str, float], conf_level: float = 0.95
                 ) -> dict[str, float]:
    """Estimate Σ w·b with its standard error, test and interval under the model's variance (NaN if a term dropped)."""
    names = list(model.params.index)
    if any(term not in names for term in weights):
        return dict.fromkeys(("estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"), np.nan)
    w = np.array([weights.get(name, 0.0) for name in names])
    estimate = float(w @ model.params.to_numpy())
    std_error = float(np.sqrt(w @ model.vcov.to_numpy() @ w))
    inference = normal_inference(np.array([estimate]), np.array([std_error]), conf_level, model.df_t)
    return {"estimate": estimate, "std_error": std_error, **{key: float(value[0]) for key, value in inference.items()}}


def _period_slopes(models: dict[str, RegressionResults], base: str, interaction: str) -> pd.DataFrame:
    """Slopes by period of each model: ``base`` in the campaign, ``base + interaction`` in the transition."""
    rows = []
    for name, model in models.items():
        for period, weights in (("campaign", {base: 1.0}), ("transition", {base: 1.0, interaction: 1.0})):
            rows.append({"model": name, "period": period, "term": " + ".join(weights),
                         **_combination(model, weights)})
    return pd.DataFrame(rows, columns=["model", "period", "term", "estimate", "std_error", "statistic", "p_value",
                                       "conf_low", "conf_high"])


def _model_rows(models: dict[str, RegressionResults], slopes: pd.DataFrame) -> pd.DataFrame:
    """Coefficients and period slopes of the models in one frame, with ``model`` and ``table`` columns."""
    parts = [model.tidy().assign(model=name, table="coefficients") for name, model in models.items()]
    parts.append(slopes.assign(table="slopes"))
    front = ["table", "model", "period", "term"]
    frame = pd.concat(parts, ignore_index=True)
    return frame[[*front, *[c for c in frame.columns if c not in front]]]


# ---- resources follow results --------------------------------------------------------------------------------


def lagged_growth(panel: pd.DataFrame) -> pd.Series:
    """Return the previous year's growth of log collective income, log CI(t − 1) − log CI(t − 2), by village.

    Years are calendar years: the growth is missing when the village has no row for t − 1 or t − 2, or its
    income there is missing or not positive.

    Parameters
    ----------
    panel : DataFrame
        Village × year rows with ``village_id``, ``year`` and ``collective_income``; one row per village and year.

    Returns
    -------
    Series
        ``lag_growth``, aligned with ``panel``'s index.
    """
    _require(panel, ("village_id", "year", "collective_income"), "the lagged growth of collective income")
    village = panel["village_id"].astype(str).to_numpy()
    year = pd.to_numeric(panel["year"]).to_numpy(dtype=np.int64)
    keys = pd.MultiIndex.from_arrays([village, year])
    if keys.has_duplicates:
        raise ValueError("the lagged growth of collective income needs one row per village and year; the panel "
                         f"repeats {int(keys.duplicated().sum())} village-years")
    log_ci = pd.Series(_log_income(panel).to_numpy(), index=keys)
    before = log_ci.reindex(pd.MultiIndex.from_arrays([village, year - 1])).to_numpy()
    two_before = log_ci.reindex(pd.MultiIndex.from_arrays([village, year - 2])).to_numpy()
    return pd.Series(before - two_before, index=panel.index, name="lag_growth")


@dataclass(frozen=True)
class LaggedPerformanceResults:
    """H6 funding on the previous year's income growth, campaign and transition years.

    Attributes
    ----------
    ppml : RegressionResults
        ``funding_total ~ lag_growth + post:lag_growth | village + county_year``, Poisson pseudo-ML.
    asinh_ols : RegressionResults
        The same on asinh(funding), OLS.
    slopes : DataFrame
        The slope of lagged growth by model and period — ``lag_growth`` in the campaign, ``lag_growth +
        post:lag_growth`` in the transition — with its standard error and interval under the model's variance
        (t with the model's degrees of freedom, normal for PPML): columns model, period, term, estimate,
        std_error, statistic, p_value, conf_low, conf_high.
    """

    ppml: RegressionResults
    asinh_ols: RegressionResults
    slopes: pd.DataFrame = field(compare=False)

    #: The term the paper signs (> 0: after 2021 funding follows results).
    key_term = "post:lag_growth"

    def tidy(self) -> pd.DataFrame:
        """Return the coefficients (``table`` "coefficients") and the period slopes ("slopes") of both models."""
        return _model_rows({"ppml": self.ppml, "asinh_ols": self.asinh_ols}, self.slopes)


def lagged_performance_models(panel: pd.DataFrame, *, vcov: VcovSpec | None = None) -> LaggedPerformanceResults:
    """Estimate funding on the previous year's growth of collective income, its slope changing in the transition.

    Parameters
    ----------
    panel : DataFrame
        The village × year panel: ``village_id``, ``county``, ``year``, ``period``, ``funding_total``,
        ``collective_income`` (``asinh_funding_total`` is computed when absent). The models use the campaign and
        transition years, with ``post`` = 1 in the transition; the lagged growth uses every year of the panel.
    vcov : VarianceEstimator, str or dict, optional
        Variance of both models; by default the cluster jackknife by village, kept with marked CRV1 errors where
        it is undefined (:func:`~villageaid.analysis.variables.fit_with_fallback`).

    Returns
    -------
    LaggedPerformanceResults

    Raises
    ------
    ValueError
        When the panel lacks a column the models need, or has fewer than :data:`MIN_OBSERVATIONS` village-years
        with a lagged growth in the campaign or in the transition.
    """
    what = "the lagged-performance models (H6)"
    _require(panel, ("village_id", "county", "year", "period", "funding_total", "collective_income"), what)
    frame = panel.assign(lag_growth=lagged_growth(panel))
    frame = frame.loc[frame["period"].astype(str).isin(PERIODS)].copy()
    frame["post"] = (frame["period"].astype(str) == "transition").astype(float)
    frame["funding_total"] = frame["funding_total"].astype(float)
    if "asinh_funding_total" not in frame:
        frame["asinh_funding_total"] = np.arcsinh(frame["funding_total"])
    frame["village"] = frame["village_id"].astype(str)
    frame["county_year"] = frame["county"].astype(str) + "_" + frame["year"].astype(str)
    usable = frame["lag_growth"].notna() & frame["funding_total"].notna()
    counts = usable.groupby(frame["period"].astype(str)).sum().reindex(list(PERIODS), fill_value=0)
    if (counts < MIN_OBSERVATIONS).any():
        raise TooFewError(f"{what} need at least {MIN_OBSERVATIONS} village-years with funding_total and a lagged "
                         "growth of collective_income (two earlier years of positive income) in each period; "
                         f"the panel has {', '.join(f'{int(n)} in the {p}' for p, n in counts.items())}")
    variance = village_variance(vcov)
    rhs = "lag_growth + post:lag_growth | village + county_year"
    ppml = fit_with_fallback(fepois, f"funding_total ~ {rhs}", frame, vcov=variance)
    asinh_ols = fit_with_fallback(feols, f"asinh_funding_total ~ {rhs}", frame, vcov=variance)
    slopes = _period_slopes({"ppml": ppml, "asinh_ols": asinh_ols}, "lag_growth", "post:lag_growth")
    return LaggedPerformanceResults(ppml, asinh_ols, slopes)


# ---- outcomes diverge ----------------------------------------------------------------------------------------


def _income_matrix(panel: pd.DataFrame) -> pd.DataFrame:
    """Log collective income, villages × years (campaign and transition years), NaN where missing or ≤ 0."""
    frame = panel.loc[panel["period"].astype(str).isin(PERIODS)]
    values = pd.DataFrame({"village": frame["village_id"].astype(str).to_numpy(),
                           "year": pd.to_numeric(frame["year"]).to_numpy(dtype=np.int64),
                           "log_ci": _log_income(frame).to_numpy()})
    if values.duplicated(["village", "year"]).any():
        raise ValueError("the convergence models need one row per village and year")
    return values.pivot(index="village", columns="year", values="log_ci")


def convergence_rows(panel: pd.DataFrame, *, reference_years: Sequence[int] = (2019,)) -> pd.DataFrame:
    """Return one row per village and period: growth of log collective income over the period and its start.

    Campaign: log CI in the last campaign year − log CI in the first. Transition: log CI in the last transition
    year − the mean of log CI over ``reference_years``; the reference mean is missing unless the village has a
    positive income in every reference year. The growth is not annualised: with a start measured with noise, β
    carries regression to the mean, −var(noise)/var(log CI) over any span, which is the same in both periods when
    each starts from one year; annualising would divide it by spans of different length and make the change in β
    non-zero where nothing diverges. (A reference mean over several years has less noise, hence less regression to
    the mean than the campaign's one-year start: read the change in β with that in mind.)

    Returns
    -------
    DataFrame
        village, county, period, transition (0/1), county_period, log_initial, growth, village_type (the type in
        the first transition year), years (the span the growth is over).
    """
    what = "the convergence models (H6)"
    _require(panel, ("village_id", "county", "year", "period", "collective_income", "village_type"), what)
    reference = tuple(int(year) for year in reference_years)
    if not reference:
        raise ValueError(f"{what} need at least one reference year")
    period = panel["period"].astype(str)
    years_of = {p: sorted(pd.to_numeric(panel.loc[period == p, "year"]).astype(int).unique()) for p in PERIODS}
    for p, years in years_of.items():
        if len(years) < 2:
            raise MissingDataError(f"{what} need at least two {p} years in the panel, found {len(years)}")
    log_ci = _income_matrix(panel)
    unknown = [year for year in reference if year not in log_ci.columns]
    if unknown:
        raise MissingDataError(f"{what}: reference years {unknown} are not campaign or transition years of the panel "
                         f"({min(log_ci.columns)}–{max(log_ci.columns)})")
    start_year = float(np.mean(reference))
    last = years_of["transition"][-1]
    if start_year >= last:
        raise ValueError(f"{what}: the reference years {reference} must come before the last transition year {last}")
    first_c, last_c = years_of["campaign"][0], years_of["campaign"][-1]
    start = log_ci[list(reference)].mean(axis=1, skipna=False)
    first_transition = panel.loc[pd.to_numeric(panel["year"]) == years_of["transition"][0]]
    types = first_transition.set_index(first_transition["village_id"].astype(str))["village_type"]
    county = panel.groupby(panel["village_id"].astype(str), observed=True)["county"].first().astype(str)
    parts = []
    for p, initial, final, span in (("campaign", log_ci[first_c], log_ci[last_c], last_c - first_c),
                                    ("transition", start, log_ci[last], last - start_year)):
        parts.append(pd.DataFrame({"village": log_ci.index, "county": county.reindex(log_ci.index).to_numpy(),
                                   "period": p, "transition": float(p == "transition"),
                                   "log_initial": initial.to_numpy(), "growth": (final - initial).to_numpy(),
                                   "village_type": types.reindex(log_ci.index).astype(object).to_numpy(),
                                   "years": float(span)}))
    rows = pd.concat(parts, ignore_index=True)
    rows["county_period"] = rows["county"] + "_" + rows["period"]
    return rows[["village", "county", "period", "transition", "county_period", "log_initial", "growth",
                 "village_type", "years"]]


def _bootstrap_sd(log_ci: np.ndarray, draws: int, seed: int) -> np.ndarray:
    """Compute standard deviations (ddof=0, missing skipped) by year of ``draws`` village resamples: draws × years."""
    rng = np.random.default_rng(seed)
    villages, years = log_ci.shape
    resamples = rng.integers(0, villages, size=(draws, villages))
    out = np.empty((draws, years))
    block = max(1, _BOOTSTRAP_BLOCK // max(villages * years, 1))
    with np.errstate(invalid="ignore", divide="ignore"):
        for start in range(0, draws, block):
            drawn = log_ci[resamples[start:start + block]]  # block × villages × years
            present = np.isfinite(drawn)
            count = present.sum(axis=1)
            values = np.where(present, drawn, 0.0)
            mean = values.sum(axis=1) / count
            squares = np.where(present, (drawn - mean[:, None, :]) ** 2, 0.0).sum(axis=1)
            out[start:start + block] = np.sqrt(squares / count)
    return out


@dataclass(frozen=True)
class ConvergenceResults:
    """H6 β- and σ-convergence of log collective income and transition growth by initial type.

    Attributes
    ----------
    beta : RegressionResults
        ``growth ~ log_initial + transition:log_initial | county_period`` on the stacked village × period rows,
        CRV1 by village. ``transition:log_initial`` > 0: more divergence after 2021 than in the campaign.
    beta_slopes : DataFrame
        The β by period — ``log_initial`` (campaign), ``log_initial + transition:log_initial`` (transition; > 0
        is divergence) — with standard errors, tests and intervals (t, clusters − 1): columns model, period,
        term, estimate, std_error, statistic, p_value, conf_low, conf_high.
    rows : DataFrame
        The stacked rows (see :func:`convergence_rows`).
    sigma : DataFrame
        year, estimate (standard deviation, ddof=0, of log collective income across villages with one),
        conf_low, conf_high (bootstrap percentiles over villages), villages.
    sigma_change : DataFrame
        One row: reference (the reference years), year (the last year), estimate (σ in the last year − mean σ
        of the reference years), conf_low, conf_high (bootstrap percentiles), draws.
    by_type : DataFrame
        village_type (in the first transition year), estimate (mean transition growth), std_error (of the mean),
        conf_low, conf_high (normal 95%), count.
    reference_years : tuple of int
    """

    beta: RegressionResults
    beta_slopes: pd.DataFrame = field(compare=False)
    rows: pd.DataFrame = field(compare=False)
    sigma: pd.DataFrame = field(compare=False)
    sigma_change: pd.DataFrame = field(compare=False)
    by_type: pd.DataFrame = field(compare=False)
    reference_years: tuple[int, ...] = (2019,)

    #: The term the paper signs (> 0: divergence after 2021 relative to the campaign).
    key_term = "transition:log_initial"

    def tidy(self) -> pd.DataFrame:
        """Return every estimate in one frame; ``table`` is coefficients, slopes, sigma, sigma_change or by_type."""
        models = _model_rows({"beta": self.beta}, self.beta_slopes)
        sigma = self.sigma.rename(columns={"villages": "count"}).assign(table="sigma", term="sd(log collective_income)")
        change = self.sigma_change.assign(table="sigma_change", term="sd(log collective_income): last − reference",
                                          count=np.nan)
        by_type = self.by_type.assign(table="by_type", term="mean transition growth")
        frame = pd.concat([models, sigma, change.drop(columns="draws"), by_type], ignore_index=True)
        frame["year"] = frame["year"].astype("Int64")
        frame["count"] = frame["count"].astype("Int64")
        front = ["table", "model", "period", "term", "year", "reference", "village_type"]
        return frame[[*front, *[c for c in frame.columns if c not in front]]]


def convergence_models(panel: pd.DataFrame, *, reference_years: Sequence[int] = (2019,), draws: int = 999,
                       seed: int = 0) -> ConvergenceResults:
    """Estimate β- and σ-convergence of log collective income and mean transition growth by initial type.

    Parameters
    ----------
    panel : DataFrame
        The village × year panel: ``village_id``, ``county``, ``year``, ``period``, ``collective_income``,
        ``village_type``.
    reference_years : sequence of int
        Years whose mean log income starts the transition growth (default 2019; (2016, 2017, 2018, 2019) for the
        2016–2019 mean, (2020,) for the campaign's end), and whose mean σ the σ change starts from.
    draws : int
        Bootstrap resamples of villages for the σ intervals.
    seed : int
        Seed of the bootstrap.

    Returns
    -------
    ConvergenceResults

    Raises
    ------
    ValueError
        When the panel lacks a column, a reference year or the years of a period, or fewer than
        :data:`MIN_OBSERVATIONS` villages have a growth in a period.
    """
    if draws < 1:
        raise ValueError(f"convergence_models: draws must be at least 1, got {draws}")
    rows = convergence_rows(panel, reference_years=reference_years)
    reference = tuple(int(year) for year in reference_years)
    usable = rows.loc[rows["growth"].notna() & rows["log_initial"].notna()]
    counts = usable.groupby("period").size().reindex(list(PERIODS), fill_value=0)
    if (counts < MIN_OBSERVATIONS).any():
        raise TooFewError(f"the convergence models (H6) need at least {MIN_OBSERVATIONS} villages with positive "
                         "collective_income at both ends of each period; the panel has "
                         f"{', '.join(f'{int(n)} in the {p}' for p, n in counts.items())}")
    beta = feols("growth ~ log_initial + transition:log_initial | county_period", rows, vcov={"CRV1": "village"})
    beta_slopes = _period_slopes({"beta": beta}, "log_initial", "transition:log_initial")

    log_ci = _income_matrix(panel)
    matrix = log_ci.to_numpy(dtype=float)
    years = [int(year) for year in log_ci.columns]
    with np.errstate(invalid="ignore"):
        estimate = np.nanstd(matrix, axis=0)
    boot = _bootstrap_sd(matrix, draws, seed)
    low, high = np.nanquantile(boot, [0.025, 0.975], axis=0)
    sigma = pd.DataFrame({"year": years, "estimate": estimate, "conf_low": low, "conf_high": high,
                          "villages": np.isfinite(matrix).sum(axis=0)})
    ref_columns = [years.index(year) for year in reference]
    change = estimate[-1] - estimate[ref_columns].mean()
    boot_change = boot[:, -1] - boot[:, ref_columns].mean(axis=1)
    change_low, change_high = np.nanquantile(boot_change, [0.025, 0.975])
    sigma_change = pd.DataFrame([{"reference": "mean " + ", ".join(map(str, reference)), "year": years[-1],
                                  "estimate": float(change), "conf_low": float(change_low),
                                  "conf_high": float(change_high), "draws": draws}])

    transition = usable.loc[usable["period"] == "transition"]
    type_rows = []
    for kind in [t for t in VILLAGE_TYPES if t in set(transition["village_type"])] + sorted(
            set(transition["village_type"].dropna()) - set(VILLAGE_TYPES)):
        growth = transition.loc[transition["village_type"] == kind, "growth"].to_numpy(dtype=float)
        mean = float(growth.mean())
        std_error = float(growth.std(ddof=1) / np.sqrt(len(growth))) if len(growth) > 1 else np.nan
        inference = normal_inference(np.array([mean]), np.array([std_error]), 0.95)
        type_rows.append({"village_type": kind, "estimate": mean, "std_error": std_error,
                          "conf_low": float(inference["conf_low"][0]), "conf_high": float(inference["conf_high"][0]),
                          "count": len(growth)})
    by_type = pd.DataFrame(type_rows, columns=["village_type", "estimate", "std_error", "conf_low", "conf_high",
                                               "count"])
    return ConvergenceResults(beta, beta_slopes, rows, sigma, sigma_change, by_type, reference)


def divergence_models(panel: pd.DataFrame, *, draws: int = 999, seed: int = 0) -> ConvergenceResults:
    """Estimate :func:`convergence_models` from the transition's reference years the panel was built with.

    The reference years are a build option (``villageaid build --reference-year``, recorded in
    ``panel.attrs["reference_years"]``); the default is 2019.
    """
    reference = tuple(int(y) for y in panel.attrs.get("reference_years", (2019,)))
    return convergence_models(panel, reference_years=reference, draws=draws, seed=seed)
