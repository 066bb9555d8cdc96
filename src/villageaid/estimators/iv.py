"""Instrumental variables with absorbed fixed effects, first-stage strength and Anderson–Rubin intervals.

Two-stage least squares (linearmodels' ``IV2SLS``) on data whose fixed effects have been absorbed by the
within transformation (villageaid's alternating projections; exact for one-way and balanced two-way
panels), with errors clustered by a variable in which the fixed effects are nested or not. The first-stage
partial F is the clustered Wald statistic of the excluded instruments over their number (see
:func:`first_stage_f`). The weak-instrument-robust Anderson–Rubin (1949) confidence set is written here
because linearmodels gives the AR statistic only at zero and only under homoskedasticity: for each candidate
β₀, y − β₀x is regressed on the instruments and exogenous regressors and the instruments' coefficients are
tested jointly with the same clustered covariance; the set is every β₀ not rejected. The score of that
regression is linear in β₀, so the statistic is evaluated on a fine grid from per-cluster scores computed
once, and its crossings of the critical value are refined with Brent's method.

The clustered covariance is linearmodels' with its small-sample factor G/(G−1)·(N−1)/(N−K), where K counts
the regressors left after the fixed effects are absorbed (fixest would also count fixed effects not nested
in the clusters); the AR test uses the same factor.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from villageaid.estimators.demean import FixedEffects
from villageaid.estimators.results import RegressionResults, ResultsBase, stacked_tidy


@dataclass(frozen=True)
class AndersonRubinSet:
    """The Anderson–Rubin confidence set of one endogenous coefficient.

    ``pieces`` are closed intervals (ends may be ±inf); usually one bounded interval, but with weak
    instruments the set can be unbounded, a union of two rays, or empty.
    """

    pieces: tuple[tuple[float, float], ...]
    level: float
    statistic_at_zero: float
    p_value_at_zero: float

    @property
    def bounded(self) -> bool:
        """Whether the set is a bounded (possibly empty) union of intervals."""
        return all(np.isfinite(low) and np.isfinite(high) for low, high in self.pieces)

    @property
    def hull(self) -> tuple[float, float]:
        """The smallest interval containing the set (nan, nan when empty)."""
        if not self.pieces:
            return np.nan, np.nan
        return min(p[0] for p in self.pieces), max(p[1] for p in self.pieces)

    def describe(self, digits: int = 3) -> str:
        """Return the set as text: "[a, b]", "(-inf, a] ∪ [b, inf)", "empty"."""
        if not self.pieces:
            return "empty"

        def end(value: float) -> str:
            return "inf" if value == np.inf else "-inf" if value == -np.inf else f"{value:.{digits}f}"

        return " ∪ ".join(f"{'(' if low == -np.inf else '['}{end(low)}, {end(high)}{')' if high == np.inf else ']'}"
                          for low, high in self.pieces)


@dataclass(frozen=True, repr=False)
class IVResults(ResultsBase):
    """2SLS estimates with the within (OLS) estimates beside them, first-stage F and Anderson–Rubin sets.

    ``tidy()`` stacks both models (an ``estimator`` column: "2SLS" or "OLS"); ``nobs`` is the 2SLS sample.
    """

    iv: RegressionResults
    ols: RegressionResults
    first_stage_f: dict[str, float]
    anderson_rubin: dict[str, AndersonRubinSet]
    instruments: tuple[str, ...]

    @property
    def nobs(self) -> int:
        """Observations of the 2SLS model."""
        return self.iv.nobs

    def tidy(self, conf_level: float = 0.95) -> pd.DataFrame:
        """Both models' rows: the tidy columns, then estimator."""
        return stacked_tidy({"2SLS": self.iv, "OLS": self.ols}, conf_level)

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Wald intervals of the 2SLS model (see ``anderson_rubin`` for weak-instrument-robust ones)."""
        return self.iv.conf_int(level)

    def _summary_header(self) -> tuple[str, tuple[str, ...]]:
        first = ", ".join(f"{k}: {v:.1f}" for k, v in self.first_stage_f.items())
        robust = "; ".join(f"{k}: {v.describe()}" for k, v in self.anderson_rubin.items())
        return (f"Instrumental variables (2SLS): {self.iv.formula}",
                (f"Observations: {self.nobs:,}", f"Standard errors: {self.iv.vcov_type}",
                 f"Instruments: {', '.join(self.instruments)}", f"First-stage partial F: {first}",
                 f"Anderson–Rubin {100 * next(iter(self.anderson_rubin.values())).level:g}% set: {robust}"
                 if self.anderson_rubin else "Anderson–Rubin set: defined for one endogenous regressor only"))


def first_stage_f(endogenous: pd.DataFrame, instruments: pd.DataFrame, exogenous: pd.DataFrame | None,
                  clusters: pd.Series) -> dict[str, float]:
    """Return the first-stage partial F of each endogenous regressor.

    It is the clustered Wald statistic that the excluded instruments' coefficients are zero, divided by their
    number (the scale of the "F > 10" rule).

    Written here because linearmodels' ``first_stage.diagnostics`` reports the Wald statistic itself under the
    name ``f.stat`` (a chi-square with k degrees of freedom, k times the F) and builds matrices that grow with
    the square of the sample's width (1.6 GB at 500,000 rows), where one OLS fit per endogenous regressor suffices.
    """
    from linearmodels.iv import IV2SLS

    design = instruments if exogenous is None else pd.concat([instruments, exogenous], axis=1)
    names = list(instruments.columns)
    out = {}
    for name in endogenous.columns:
        fit = IV2SLS(endogenous[name], design, None, None).fit(cov_type="clustered", clusters=clusters, debiased=True)
        coef = fit.params[names].to_numpy()
        out[name] = float(coef @ np.linalg.solve(fit.cov.loc[names, names].to_numpy(), coef)) / len(names)
    return out


def _absorb(data: pd.DataFrame, columns: list[str], fixed_effects: tuple[str, ...]) -> pd.DataFrame:
    effects = FixedEffects.from_data(data, fixed_effects)
    demeaned, _ = effects.demean(data[columns].to_numpy(dtype=float))
    return pd.DataFrame(demeaned, columns=columns, index=data.index)


def _cluster_scores(design: np.ndarray, residuals: np.ndarray, clusters: np.ndarray, groups: int) -> np.ndarray:
    """Per-cluster sums of design × residual, (groups, p) per residual column: (groups, p, r)."""
    scores = design[:, :, None] * residuals[:, None, :]
    out = np.zeros((groups, design.shape[1], residuals.shape[1]))
    np.add.at(out, clusters, scores)
    return out


def anderson_rubin_set(y: np.ndarray, x: np.ndarray, instruments: np.ndarray, exogenous: np.ndarray,
                       clusters: np.ndarray, *, level: float = 0.95, centre: float = 0.0, scale: float = 1.0,
                       grid_points: int = 4001) -> AndersonRubinSet:
    """Return the Anderson–Rubin confidence set for the coefficient of ``x`` (one endogenous regressor).

    Parameters
    ----------
    y, x : ndarray (n,)
        Outcome and endogenous regressor (fixed effects already absorbed).
    instruments, exogenous : ndarray (n, k), (n, m)
        Excluded instruments and included exogenous regressors (absorbed as well; m may be 0).
    clusters : ndarray (n,)
        Cluster codes for the robust covariance.
    level : float
        Coverage.
    centre, scale : float
        Where to look: the grid spans centre ± 200·scale (e.g. the 2SLS estimate and its standard error);
        the behaviour beyond it is read off the limit of the statistic.
    grid_points : int
        Points of the grid before refinement.
    """
    from scipy import optimize, stats

    design = np.column_stack([instruments, exogenous]) if exogenous.size else np.asarray(instruments, float)
    n, p = design.shape
    k = instruments.shape[1]
    codes, uniques = pd.factorize(clusters)
    groups = len(uniques)
    bread = np.linalg.pinv(design.T @ design)
    coef = bread @ design.T @ np.column_stack([y, x])  # (p, 2): reduced forms of y and x
    residuals = np.column_stack([y, x]) - design @ coef
    scores = _cluster_scores(design, residuals, codes, groups)  # (G, p, 2)
    factor = groups / (groups - 1) * (n - 1) / (n - p)
    blocks = {}
    for a in range(2):
        for b in range(2):
            blocks[a, b] = factor * (bread @ (scores[:, :, a].T @ scores[:, :, b]) @ bread)[:k, :k]
    critical = stats.chi2.ppf(level, k)

    def statistic(beta: float) -> float:
        gap = coef[:k, 0] - beta * coef[:k, 1]
        cov = blocks[0, 0] - beta * (blocks[0, 1] + blocks[1, 0]) + beta**2 * blocks[1, 1]
        return float(gap @ np.linalg.pinv(cov) @ gap)

    def excess(beta: float) -> float:
        return statistic(beta) - critical

    span = 200 * max(scale, 1e-12)
    grid = np.linspace(centre - span, centre + span, grid_points)
    values = np.array([excess(b) for b in grid])
    inside = values <= 0
    # Beyond the grid the statistic tends to b'V₁₁⁻¹b (b the reduced form of x): below the critical value the
    # set is unbounded on that side.
    limit = float(coef[:k, 1] @ np.linalg.pinv(blocks[1, 1]) @ coef[:k, 1]) - critical
    pieces: list[tuple[float, float]] = []
    start = -np.inf if inside[0] and limit <= 0 else (grid[0] if inside[0] else None)
    for i in range(1, grid_points):
        if inside[i] and not inside[i - 1]:
            start = optimize.brentq(excess, grid[i - 1], grid[i], xtol=1e-12 * max(1.0, abs(grid[i])))
        elif inside[i - 1] and not inside[i]:
            end = optimize.brentq(excess, grid[i - 1], grid[i], xtol=1e-12 * max(1.0, abs(grid[i])))
            pieces.append((float(start), float(end)))
            start = None
    if start is not None:
        pieces.append((float(start), np.inf if limit <= 0 else float(grid[-1])))
    at_zero = statistic(0.0)
    return AndersonRubinSet(tuple(pieces), level, at_zero, float(stats.chi2.sf(at_zero, k)))


def iv_fe(data: pd.DataFrame, *, outcome: str, endogenous: list[str], instruments: list[str],
          exogenous: list[str] | None = None, fixed_effects: tuple[str, ...] = (), cluster: str,
          level: float = 0.95) -> IVResults:
    """Estimate a linear IV model with absorbed fixed effects by 2SLS, beside the within OLS estimates.

    Parameters
    ----------
    data : DataFrame
        Rows with a missing value in any model column are dropped.
    outcome : str
        Dependent variable.
    endogenous, instruments : list of str
        Endogenous regressors and excluded instruments (at least as many instruments).
    exogenous : list of str, optional
        Included exogenous regressors.
    fixed_effects : tuple of str
        Columns whose fixed effects are absorbed (e.g. ("village_id", "year")).
    cluster : str
        Cluster variable of the covariance.
    level : float
        Coverage of the Anderson–Rubin set (computed when there is one endogenous regressor).

    Returns
    -------
    IVResults

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> z = rng.normal(size=2000); u = rng.normal(size=2000)
    >>> x = z + u + rng.normal(size=2000); y = 0.5 * x - u + rng.normal(size=2000)
    >>> frame = pd.DataFrame({"y": y, "x": x, "z": z, "g": np.arange(2000) // 10})
    >>> result = iv_fe(frame, outcome="y", endogenous=["x"], instruments=["z"], cluster="g")
    >>> bool(abs(result.iv.params["x"] - 0.5) < 0.1)
    True
    """
    from linearmodels.iv import IV2SLS

    exogenous = list(exogenous or [])
    if len(instruments) < len(endogenous):
        raise ValueError(f"{len(endogenous)} endogenous regressors need at least as many instruments, got "
                         f"{len(instruments)}")
    columns = [outcome, *endogenous, *instruments, *exogenous]
    missing = [c for c in [*columns, *fixed_effects, cluster] if c not in data.columns]
    if missing:
        raise KeyError(f"columns not in the data: {missing}")
    frame = data[[*dict.fromkeys([*columns, *fixed_effects, cluster])]].dropna()
    numeric = frame[columns].astype(float)
    if fixed_effects:
        numeric = _absorb(frame.assign(**{c: numeric[c] for c in columns}), columns, tuple(fixed_effects))
    else:
        numeric = numeric.assign(const=1.0)
        exogenous = [*exogenous, "const"]
    codes = pd.Series(pd.factorize(frame[cluster].to_numpy())[0], index=frame.index)
    n_clusters = int(codes.max()) + 1
    exog = numeric[exogenous] if exogenous else None
    fit = IV2SLS(numeric[outcome], exog, numeric[endogenous], numeric[instruments]).fit(
        cov_type="clustered", clusters=codes, debiased=True)
    ols_fit = IV2SLS(numeric[outcome], numeric[[*exogenous, *endogenous]], None, None).fit(
        cov_type="clustered", clusters=codes, debiased=True)
    keep = [*endogenous, *[c for c in exogenous if c != "const"]]
    absorbed = {name: int(frame[name].nunique()) for name in fixed_effects}
    vcov_type = f"clustered by {cluster} ({n_clusters} clusters; linearmodels, small-sample factor)"

    def results(fitted: object, name: str) -> RegressionResults:
        return RegressionResults(
            estimator=name, formula=f"{outcome} ~ {' + '.join(keep)}"
            + (f" | {' + '.join(fixed_effects)}" if fixed_effects else "")
            + (f" ; instruments: {' + '.join(instruments)}" if name == "2SLS" else ""),
            depvar=outcome, params=fitted.params[keep], vcov=fitted.cov.loc[keep, keep], vcov_type=vcov_type,
            nobs=int(fitted.nobs), df_t=float(n_clusters - 1), fit_statistics={}, fixed_effects=absorbed,
            clusters={cluster: n_clusters})

    first_stage = first_stage_f(numeric[endogenous], numeric[instruments], exog, codes)
    robust: dict[str, AndersonRubinSet] = {}
    if len(endogenous) == 1:
        name = endogenous[0]
        robust[name] = anderson_rubin_set(
            numeric[outcome].to_numpy(), numeric[name].to_numpy(), numeric[instruments].to_numpy(),
            numeric[exogenous].to_numpy() if exogenous else np.zeros((len(numeric), 0)), codes.to_numpy(), level=level,
            centre=float(fit.params[name]), scale=float(fit.std_errors[name]))
    return IVResults(results(fit, "2SLS"), results(ols_fit, "OLS"), first_stage, robust, tuple(instruments))
