"""The village endowment and need indices and the resource-rich flag, from baseline characteristics only.

The source paper separates two things the records mix: a village's *endowment* (资源禀赋: where it lies and what it
had before the campaign — what makes it attractive to a strong unit) and its *need* (贫困程度: how poor it was,
what the campaign targeted). Funding after 2020 may fall in former poor villages because their needs were met, or
because allocation turned to the strong (强强联合); only separate measures can tell the two apart.

* :func:`endowment_index` uses pre-campaign geography and baseline only: registered population, distance to the
  county seat, terrain and hard-road access. Collective income of 2020 is not used: it was produced in part by
  the campaign's money, and 2020 is the campaign's final push.
* :func:`need_index` uses the 2015 poverty register: poverty status and headcount rate, and, where the records
  have them, monitored households (监测户) per resident and the count of infrastructure gaps.

Both are the first principal component of their standardized indicators (one indicator: that indicator
standardized), oriented by the indicators' expected signs and scaled to mean 0 and standard deviation 1.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from villageaid.io.normalize import codes_and_uniques

#: Baseline indicators of the endowment index, with the sign each should have in a "richer" direction and the
#: transform applied before standardizing.
ENDOWMENT_INDICATORS: dict[str, tuple[int, str]] = {
    "population": (+1, "log"),
    "distance_to_county_km": (-1, "log1p"),
    "terrain": (-1, "ordinal"),
    "road_access": (+1, "identity"),
}
#: Indicators of the need index, with the sign each should have in a "needier" direction. ``monitored_share`` is
#: monitored households per registered resident (computed when the villages table has ``monitored_households``
#: and ``population``).
NEED_INDICATORS: dict[str, tuple[int, str]] = {
    "poverty_rate_2015": (+1, "identity"),
    "poor_village_2015": (+1, "identity"),
    "monitored_share": (+1, "identity"),
    "infrastructure_gaps": (+1, "identity"),
}
_TERRAIN_ORDER = {"plain": 0.0, "hill": 1.0, "mountain": 2.0}

#: Default quantile of the county's endowment distribution at or above which a village is "rich".
#: With a median split the paper's typology cannot hold: if rich villages are at least half, C (county
#: unit + poor) can outnumber B (county unit + rich) only if A (city + rich) outnumbers D (city + poor),
#: since C − B = (poor − rich) + (A − D). The paper finds C most common and A rarest, which needs rich
#: villages to be a minority; the upper tercile is the default, and ``rich_quantile=0.5`` gives the median.
DEFAULT_RICH_QUANTILE = 2.0 / 3.0


def _numbers(values: pd.Series) -> np.ndarray:
    """Return the column as floats, NaN where missing or not a number (as ``pd.to_numeric(errors="coerce")``).

    A column already numeric or boolean (numpy or nullable) is converted directly: going through Python objects
    gives the same floats, a hundred times slower at the national scale.
    """
    dtype = values.dtype
    if not pd.api.types.is_object_dtype(dtype) and (pd.api.types.is_numeric_dtype(dtype)
                                                    or pd.api.types.is_bool_dtype(dtype)):
        return values.to_numpy(dtype=float, na_value=np.nan)
    return pd.to_numeric(values.astype(object), errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _transform(values: pd.Series, how: str) -> np.ndarray:
    if how == "ordinal":  # each distinct value looked up once, not every village's
        codes, uniques = codes_and_uniques(values)
        order = np.array([_TERRAIN_ORDER.get(value, np.nan) if isinstance(value, str) else np.nan
                          for value in uniques], dtype=float)
        return np.where(codes >= 0, order[np.maximum(codes, 0)] if len(order) else np.nan, np.nan)
    numbers = _numbers(values)
    if how == "log":
        return np.log(np.maximum(numbers, 1.0))
    if how == "log1p":
        return np.log1p(numbers)
    if how == "asinh":
        return np.arcsinh(numbers)
    return numbers


def _with_monitored_share(villages: pd.DataFrame) -> pd.DataFrame:
    if "monitored_households" not in villages or "population" not in villages:
        return villages
    households = pd.Series(_numbers(villages["monitored_households"]), index=villages.index)
    population = pd.Series(_numbers(villages["population"]), index=villages.index)
    return villages.assign(monitored_share=households / population.where(population > 0))


def _principal_index(villages: pd.DataFrame, indicators: dict[str, tuple[int, str]], name: str, what: str,
                     minimum: int) -> pd.Series:
    """First principal component of the standardized ``indicators`` the table has and that vary."""
    used, columns, signs = [], [], []
    for column, (sign, how) in indicators.items():
        if column not in villages:
            continue
        values = _transform(villages[column], how)
        if np.nanstd(values) > 0 if np.isfinite(values).any() else False:
            used.append(column)
            columns.append(values)
            signs.append(sign)
    if len(used) < minimum:
        raise ValueError(
            f"the {what} index needs at least {minimum} varying baseline indicator{'s' * (minimum > 1)} among "
            f"{', '.join(indicators)}; found {', '.join(used) or 'none'}"
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
    result = pd.Series(index, index=villages.index, name=name)
    result.attrs["indicators"] = used
    result.attrs["weights"] = [float(w) for w in weights]
    result.attrs["explained_share"] = float(eigenvalues[-1] / eigenvalues.sum())
    return result


def endowment_index(villages: pd.DataFrame) -> pd.Series:
    """Return the endowment index: pre-campaign geography and baseline, higher meaning better endowed.

    Uses the indicators of :data:`ENDOWMENT_INDICATORS` that the table has and that vary: log population,
    log(1 + distance to the county seat), terrain as 0/1/2 (plain, hill, mountain) and hard-road access. Each is
    standardized over the villages with complete data, and the first eigenvector of their correlation matrix
    gives the weights, its sign chosen so that the weights agree with the expected signs (more people, closer,
    flatter, with a road); the index is then scaled to mean 0 and standard deviation 1. Villages missing any
    indicator get NaN. Need (poverty) is measured apart, by :func:`need_index`.

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
    return _principal_index(villages, ENDOWMENT_INDICATORS, "endowment_index", "endowment", 2)


def need_index(villages: pd.DataFrame) -> pd.Series:
    """Return the need index: the 2015 poverty register and, where recorded, monitored households and gaps.

    Uses the indicators of :data:`NEED_INDICATORS` the table has and that vary (poverty headcount rate and
    registered-poor status of 2015; monitored households per resident; the count of infrastructure gaps), as
    :func:`endowment_index` does, oriented so that higher means needier. One indicator is enough (it is then
    standardized).

    Parameters
    ----------
    villages : DataFrame
        The villages table.

    Returns
    -------
    Series
        The index (mean 0, standard deviation 1), aligned with ``villages``; ``attrs`` as for the endowment index.

    Raises
    ------
    ValueError
        If no usable need indicator is present.
    """
    return _principal_index(_with_monitored_share(villages), NEED_INDICATORS, "need_index", "need", 1)


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
