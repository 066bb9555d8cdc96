"""Inequality measures: Gini, Theil T with its exact between/within decomposition, Lorenz curves, bootstrap.

Written here because the field's libraries have no Theil decomposition with group shares and bootstrap
(the formulas are short; each is checked on vectors with known values).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import ClassVar

import numpy as np
import pandas as pd

from villageaid.estimators.checks import require_draws, require_finite_array, require_level, require_seed
from villageaid.estimators.results import DescriptiveResults
from villageaid.estimators.summary import TIDY_COLUMNS


def _values(x: np.ndarray | pd.Series, who: str = "inequality measures") -> np.ndarray:
    """Return the values as a float array: one-dimensional, non-empty, finite, non-negative (else ``ValueError``)."""
    values = require_finite_array(x, "x", who)  # NaN and infinite values refused, naming them
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"{who}: x must be a non-empty one-dimensional array, got shape {values.shape}")
    if (values < 0).any():
        first = int(np.flatnonzero(values < 0)[0])
        raise ValueError(f"{who}: x must hold non-negative values; {int((values < 0).sum())} are negative "
                         f"(first x[{first}] = {values[first]:g})")
    return values


def gini(x: np.ndarray | pd.Series) -> float:
    """Gini coefficient Σᵢ Σⱼ |xᵢ − xⱼ| / (2 n² μ) (0 = equal; (n − 1)/n when one unit has everything).

    Parameters
    ----------
    x : array or Series
        Non-negative values (e.g. funding per village); NaN, infinite and negative values are refused.

    Returns
    -------
    float

    Examples
    --------
    >>> gini([0.0, 0.0, 0.0, 1.0])
    0.75
    """
    values = np.sort(_values(x))
    n, total = values.size, values.sum()
    if total == 0:
        return 0.0
    ranks = np.arange(1, n + 1)
    return float((2 * np.sum(ranks * values) - (n + 1) * total) / (n * total))


def theil_t(x: np.ndarray | pd.Series) -> float:
    """Theil T index (1/n) Σ (xᵢ/μ) ln(xᵢ/μ), with 0·ln 0 = 0 (0 = equal; ln n at most).

    Parameters
    ----------
    x : array or Series
        Non-negative values (e.g. funding per village); NaN, infinite and negative values are refused.

    Returns
    -------
    float

    Examples
    --------
    >>> round(theil_t([0.0, 0.0, 0.0, 1.0]), 6) == round(float(np.log(4)), 6)
    True
    """
    values = _values(x)
    mean = values.mean()
    if mean == 0:
        return 0.0
    ratio = values / mean
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(ratio > 0, ratio * np.log(ratio), 0.0)
    return float(terms.mean())


@dataclass(frozen=True, repr=False)
class TheilDecomposition(DescriptiveResults):
    """Theil T = between + within, with each group's income share and own Theil index.

    ``tidy()`` rows: total, between, within (descriptive: no standard errors).
    """

    total: float
    between: float
    within: float
    groups: pd.DataFrame  # group, units, income_share, mean, theil

    no_variance_reason: ClassVar[str] = "the decomposition is an identity of descriptive indices"

    @property
    def nobs(self) -> int:
        """Units."""
        return int(self.groups["units"].sum())

    def tidy(self, conf_level: float | None = None) -> pd.DataFrame:
        """Rows total, between, within with NaN inference columns (descriptive: any level gives the same)."""
        self._level(conf_level)
        return _descriptive(["total", "between", "within"], [self.total, self.between, self.within])

    def _summary_header(self) -> tuple[str, tuple[str, ...]]:
        return "Theil T decomposition", (f"Units: {self.nobs:,}; groups: {len(self.groups)}",)


def _descriptive(terms: list[str], values: list[float]) -> pd.DataFrame:
    empty = np.full(len(terms), np.nan)
    return pd.DataFrame({"term": terms, "estimate": values, "std_error": empty, "statistic": empty,
                         "p_value": empty, "conf_low": empty, "conf_high": empty})[TIDY_COLUMNS]


@dataclass(frozen=True, repr=False)
class InequalityBootstrap(DescriptiveResults):
    """Gini and Theil T with percentile bootstrap intervals (``tidy()``: std_error is the bootstrap s.d.).

    The bootstrap statistics are kept (``samples``), so ``tidy(conf_level)`` gives percentile intervals at any
    level from the same draws.
    """

    table: pd.DataFrame
    draws: int
    seed: int | None
    conf_level: float
    nobs: int
    samples: dict[str, np.ndarray] | None = field(default=None, compare=False, repr=False)

    no_variance_reason: ClassVar[str] = "its intervals are bootstrap percentiles of two indices, not a variance matrix"

    def tidy(self, conf_level: float | None = None) -> pd.DataFrame:
        """Rows gini and theil: the tidy columns (no test statistic), intervals at ``conf_level``."""
        table = self.table[TIDY_COLUMNS].copy()
        conf_level = self._level(conf_level)
        if np.isclose(conf_level, self.conf_level, rtol=0, atol=1e-12):
            return table
        if self.samples is None:
            raise ValueError(f"these intervals were computed at level {self.conf_level} and the bootstrap draws were "
                             "removed; rerun bootstrap_inequality with that conf_level")
        low, high = (1 - conf_level) / 2, (1 + conf_level) / 2
        table["conf_low"] = [float(np.quantile(self.samples[name], low)) for name in table["term"]]
        table["conf_high"] = [float(np.quantile(self.samples[name], high)) for name in table["term"]]
        return table

    def remove_data(self) -> InequalityBootstrap:
        """Return the result without its bootstrap draws (intervals then only at the level computed)."""
        return replace(self, samples=None)

    def _summary_header(self) -> tuple[str, tuple[str, ...]]:
        return "Inequality with bootstrap intervals", (f"Units: {self.nobs:,}; B = {self.draws}, seed {self.seed}",)


def theil_decomposition(x: np.ndarray | pd.Series, groups: np.ndarray | pd.Series) -> TheilDecomposition:
    """Decompose Theil T exactly into between-group and within-group parts.

    T = Σ_g s_g T_g + Σ_g s_g ln(μ_g / μ), s_g the group's share of the total: within + between.

    Parameters
    ----------
    x : array or Series
        Non-negative values (e.g. funding per village); NaN, infinite and negative values are refused.
    groups : array or Series
        Group label of each value.

    Returns
    -------
    TheilDecomposition

    Examples
    --------
    >>> parts = theil_decomposition([1.0, 1.0, 3.0, 3.0], ["a", "a", "b", "b"])
    >>> parts.within, round(parts.between, 6) == round(parts.total, 6)
    (0.0, True)
    """
    values = _values(x, "theil_decomposition")
    labels = np.asarray(groups, dtype=object)
    if labels.shape != values.shape:
        raise ValueError(f"theil_decomposition: x and groups must have the same length, got {values.shape} and "
                         f"{labels.shape}")
    if pd.isna(labels).any():
        raise ValueError(f"theil_decomposition: groups has {int(pd.isna(labels).sum())} missing labels")
    total_sum, mean = values.sum(), values.mean()
    rows, between, within = [], 0.0, 0.0
    for label in pd.unique(labels):
        members = values[labels == label]
        share = members.sum() / total_sum if total_sum > 0 else 0.0
        group_theil = theil_t(members)
        if share > 0:
            between += share * np.log(members.mean() / mean)
            within += share * group_theil
        rows.append({"group": label, "units": int(members.size), "income_share": share, "mean": members.mean(),
                     "theil": group_theil})
    return TheilDecomposition(theil_t(values), float(between), float(within), pd.DataFrame(rows))


def lorenz_curve(x: np.ndarray | pd.Series) -> pd.DataFrame:
    """Points of the Lorenz curve: cumulative population share and cumulative income share (from 0, 0).

    Parameters
    ----------
    x : array or Series
        Non-negative values (e.g. funding per village); NaN, infinite and negative values are refused.

    Returns
    -------
    DataFrame
        population_share, income_share.

    Examples
    --------
    >>> lorenz_curve([1.0, 3.0])["income_share"].tolist()
    [0.0, 0.25, 1.0]
    """
    values = np.sort(_values(x))
    total = values.sum()
    population = np.arange(values.size + 1) / values.size
    income = np.concatenate([[0.0], np.cumsum(values) / total]) if total > 0 else population
    return pd.DataFrame({"population_share": population, "income_share": income})


def bootstrap_inequality(x: np.ndarray | pd.Series, *, draws: int = 999, seed: int | None = None,
                         conf_level: float = 0.95) -> InequalityBootstrap:
    """Percentile bootstrap intervals of Gini and Theil T, resampling units with replacement (seeded).

    Parameters
    ----------
    x : array or Series
        Non-negative values (e.g. funding per village); NaN, infinite and negative values are refused.
    draws : int
        Bootstrap samples.
    seed : int, optional
    conf_level : float

    Returns
    -------
    InequalityBootstrap

    Examples
    --------
    >>> result = bootstrap_inequality([1.0, 2.0, 3.0, 10.0], draws=99, seed=1)
    >>> result.tidy()["term"].tolist()
    ['gini', 'theil']
    """
    values = _values(x, "bootstrap_inequality")
    require_draws(draws, values.size, "bootstrap_inequality", what="resampled values")
    require_seed(seed, "bootstrap_inequality")
    require_level(conf_level, "bootstrap_inequality")
    rng = np.random.default_rng(seed)
    samples = values[rng.integers(0, values.size, size=(draws, values.size))]
    stats = {"gini": np.array([gini(s) for s in samples]), "theil": np.array([theil_t(s) for s in samples])}
    low, high = (1 - conf_level) / 2, (1 + conf_level) / 2
    table = pd.DataFrame([{"term": name, "estimate": (gini if name == "gini" else theil_t)(values),
                           "std_error": float(boot.std(ddof=1)), "statistic": np.nan, "p_value": np.nan,
                           "conf_low": float(np.quantile(boot, low)), "conf_high": float(np.quantile(boot, high))}
                          for name, boot in stats.items()])
    return InequalityBootstrap(table, draws, seed, conf_level, int(values.size), stats)
