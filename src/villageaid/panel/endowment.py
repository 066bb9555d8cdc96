"""The village endowment index and the resource-rich flag, from pre-2021 baseline characteristics only."""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Baseline indicators used when present, with the sign each should have in a "richer" direction and the
#: transform applied before standardizing.
ENDOWMENT_INDICATORS: dict[str, tuple[int, str]] = {
    "population": (+1, "log"),
    "poverty_rate_2015": (-1, "identity"),
    "poor_village_2015": (-1, "identity"),
    "distance_to_county_km": (-1, "log1p"),
    "terrain": (-1, "ordinal"),
    "collective_income_2020": (+1, "asinh"),
    "industry_base": (+1, "identity"),
    "road_access": (+1, "identity"),
}
_TERRAIN_ORDER = {"plain": 0.0, "hill": 1.0, "mountain": 2.0}

#: Default quantile of the county's endowment distribution at or above which a village is "rich".
#: With a median split the paper's typology cannot hold: if rich villages are at least half, C (county
#: unit + poor) can outnumber B (county unit + rich) only if A (city + rich) outnumbers D (city + poor),
#: since C − B = (poor − rich) + (A − D). The paper finds C most common and A rarest, which needs rich
#: villages to be a minority; the upper tercile is the default, and ``rich_quantile=0.5`` gives the median.
DEFAULT_RICH_QUANTILE = 2.0 / 3.0


def _transform(values: pd.Series, how: str) -> np.ndarray:
    if how == "ordinal":
        return values.astype(object).map(_TERRAIN_ORDER).to_numpy(dtype=float, na_value=np.nan)
    numbers = pd.to_numeric(values.astype(object), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    if how == "log":
        return np.log(np.maximum(numbers, 1.0))
    if how == "log1p":
        return np.log1p(numbers)
    if how == "asinh":
        return np.arcsinh(numbers)
    return numbers


def endowment_index(villages: pd.DataFrame) -> pd.Series:
    """First principal component of the standardized baseline indicators, higher meaning richer.

    Uses the indicators of :data:`ENDOWMENT_INDICATORS` that the table has and that vary. Each is
    transformed (log population, log(1 + distance), asinh income, terrain as 0/1/2), standardized over
    the villages with complete data, and the first eigenvector of their correlation matrix gives the
    weights. Its sign is chosen so that the weights agree with the expected signs (richer: more people
    and income, less poverty, closer, flatter, with industry and road); the index is then scaled to mean
    0 and standard deviation 1. Villages missing any indicator get NaN.

    Parameters
    ----------
    villages : DataFrame
        The villages table (one row per village).

    Returns
    -------
    Series
        The index, aligned with ``villages``; its ``attrs`` hold the indicators and weights used.

    Raises
    ------
    ValueError
        If fewer than two usable indicators are present.
    """
    used, columns, signs = [], [], []
    for name, (sign, how) in ENDOWMENT_INDICATORS.items():
        if name not in villages:
            continue
        values = _transform(villages[name], how)
        if np.nanstd(values) > 0 if np.isfinite(values).any() else False:
            used.append(name)
            columns.append(values)
            signs.append(sign)
    if len(used) < 2:
        raise ValueError(
            "endowment index needs at least two varying baseline indicators among "
            f"{', '.join(ENDOWMENT_INDICATORS)}; found {', '.join(used) or 'none'}"
        )
    matrix = np.column_stack(columns)
    complete = np.isfinite(matrix).all(axis=1)
    z = (matrix[complete] - matrix[complete].mean(axis=0)) / matrix[complete].std(axis=0)
    correlation = (z.T @ z) / z.shape[0]
    eigenvalues, eigenvectors = np.linalg.eigh(correlation)
    weights = eigenvectors[:, -1]
    if np.dot(weights, np.asarray(signs, dtype=float)) < 0:
        weights = -weights
    score = z @ weights
    score = (score - score.mean()) / score.std()
    index = np.full(len(villages), np.nan)
    index[complete] = score
    result = pd.Series(index, index=villages.index, name="endowment_index")
    result.attrs["indicators"] = used
    result.attrs["weights"] = [float(w) for w in weights]
    result.attrs["explained_share"] = float(eigenvalues[-1] / eigenvalues.sum())
    return result


def rich_flag(index: pd.Series, groups: pd.Series, *, quantile: float = DEFAULT_RICH_QUANTILE) -> pd.Series:
    """Flag villages whose index is at or above their group's (county's) ``quantile``.

    Parameters
    ----------
    index : Series
        Endowment index per village.
    groups : Series
        Group (county) of each village, aligned with ``index``.
    quantile : float
        Quantile in (0, 1); 0.5 is the median split, the default 2/3 the upper tercile.

    Returns
    -------
    Series of "boolean"
        True if rich, <NA> where the index is missing.
    """
    if not 0.0 < quantile < 1.0:
        raise ValueError(f"rich quantile must be strictly between 0 and 1, got {quantile}")
    codes, _ = pd.factorize(groups.to_numpy(), use_na_sentinel=True)
    by_group = pd.Series(index.to_numpy()).groupby(codes).quantile(quantile)  # one call for all groups
    threshold = by_group.reindex(codes).to_numpy()
    flag = pd.array(index.to_numpy() >= threshold, dtype="boolean")
    flag[index.isna().to_numpy()] = pd.NA
    return pd.Series(flag, index=index.index, name="rich")
