from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from villageaid.panel import endowment_index, rich_flag, village_type
from villageaid.panel.endowment import need_index


def test_index_is_oriented_richer_is_higher_and_standardized() -> None:
    rng = np.random.default_rng(1)
    latent = rng.normal(size=400)
    villages = pd.DataFrame({
        "population": np.exp(7 + 0.3 * latent + rng.normal(0, 0.3, 400)),
        "poverty_rate_2015": 1 / (1 + np.exp(1.5 + latent)),
        "distance_to_county_km": np.exp(3 - 0.4 * latent + rng.normal(0, 0.3, 400)),
        "collective_income_2020": np.exp(1 + latent),
        "terrain": np.where(latent > 0.5, "plain", np.where(latent > -0.5, "hill", "mountain")),
    })
    index = endowment_index(villages)
    assert np.corrcoef(index, latent)[0, 1] > 0.9
    np.testing.assert_allclose([index.mean(), index.std(ddof=0)], [0.0, 1.0], rtol=0, atol=1e-12)
    # geography and baseline only: neither need (poverty) nor the campaign-made 2020 income
    assert index.attrs["indicators"] == ["population", "distance_to_county_km", "terrain"]
    weights = dict(zip(index.attrs["indicators"], index.attrs["weights"], strict=True))
    assert weights["population"] > 0 and weights["distance_to_county_km"] < 0 and weights["terrain"] < 0


def test_need_index_is_oriented_needier_is_higher() -> None:
    rng = np.random.default_rng(2)
    need = rng.normal(size=300)
    population = np.full(300, 1000)
    villages = pd.DataFrame({
        "population": population,
        "poverty_rate_2015": 1 / (1 + np.exp(1.5 - need)),
        "poor_village_2015": (need + rng.normal(0, 0.5, 300) > 0.5).astype(int),
        "monitored_households": np.round(population / 3.5 / (1 + np.exp(3 - need))),
        "infrastructure_gaps": np.clip(np.round(2 + need + rng.normal(0, 0.5, 300)), 0, 6),
    })
    index = need_index(villages)
    assert np.corrcoef(index, need)[0, 1] > 0.9
    np.testing.assert_allclose([index.mean(), index.std(ddof=0)], [0.0, 1.0], rtol=0, atol=1e-12)
    assert index.attrs["indicators"] == ["poverty_rate_2015", "poor_village_2015", "monitored_share",
                                         "infrastructure_gaps"]
    assert all(w > 0 for w in index.attrs["weights"])
    # one indicator is enough: the standardized poverty rate
    rate = villages["poverty_rate_2015"].to_numpy()
    np.testing.assert_allclose(need_index(villages[["poverty_rate_2015"]]), (rate - rate.mean()) / rate.std(),
                               rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="the need index needs at least 1 varying baseline indicator among"):
        need_index(villages[["population"]])


def test_index_does_not_flip_when_rows_are_reordered() -> None:
    villages = pd.DataFrame({"population": [100, 900, 200, 2000, 300], "road_access": [0, 1, 0, 1, 1]})
    index = endowment_index(villages)
    flipped = endowment_index(villages.iloc[::-1])
    np.testing.assert_allclose(flipped.to_numpy()[::-1], index.to_numpy(), rtol=1e-12, atol=1e-12)
    assert index.iloc[3] == index.max()


def test_missing_indicator_gives_missing_index() -> None:
    villages = pd.DataFrame({"population": [100, 900, np.nan, 2000], "road_access": [0, 1, 0, 1]})
    index = endowment_index(villages)
    assert np.isnan(index.iloc[2]) and np.isfinite(index.drop(2)).all()


def test_too_few_indicators() -> None:
    with pytest.raises(ValueError, match="at least 2 varying baseline indicators among population, distance"):
        endowment_index(pd.DataFrame({"collective_income_2020": [1.0, 2.0], "road_access": [1, 1]}))


def test_rich_is_within_county() -> None:
    index = pd.Series([1.0, 2, 3, 10, 20, 30])
    county = pd.Series(["a", "a", "a", "b", "b", "b"])
    assert rich_flag(index, county, quantile=0.5).tolist() == [False, True, True, False, True, True]
    assert rich_flag(index, county).tolist() == [False, False, True, False, False, True]
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        rich_flag(index, county, quantile=1.0)


def test_village_type_table() -> None:
    city = pd.Series([True, False, False, True, pd.NA], dtype="boolean")
    rich = pd.Series([True, True, False, False, True], dtype="boolean")
    types = village_type(city, rich)
    assert types.iloc[:4].tolist() == ["A", "B", "C", "D"]
    assert pd.isna(types.iloc[4])


def _transform_through_objects(values: pd.Series, how: str) -> np.ndarray:
    """endowment._transform as first written (every value through Python objects): the reference of its fast paths."""
    from villageaid.panel.endowment import _TERRAIN_ORDER

    if how == "ordinal":
        return values.astype(object).map(_TERRAIN_ORDER).to_numpy(dtype=float, na_value=np.nan)
    numbers = pd.to_numeric(values.astype(object), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return {"log": lambda x: np.log(np.maximum(x, 1.0)), "log1p": np.log1p, "identity": lambda x: x}[how](numbers)


def _columns_of_every_kind(seed: int) -> dict[str, pd.Series]:
    rng = np.random.default_rng(seed)
    n = 50
    whole = rng.integers(0, 3_000, n)
    missing = rng.random(n) < 0.2
    terrain = rng.choice(np.array(["plain", "hill", "mountain", "Plain", "丘陵", None], dtype=object), n)
    return {
        "int64": pd.Series(whole),
        "float with NaN": pd.Series(np.where(missing, np.nan, rng.gamma(2.0, 40.0, n))),
        "bool": pd.Series(rng.random(n) < 0.5),
        "Int64 with NA": pd.Series(pd.array(np.where(missing, None, whole), dtype="Int64")),
        "boolean with NA": pd.Series(pd.array(np.where(missing, None, rng.random(n) < 0.5), dtype="boolean")),
        "Float64 with NA": pd.Series(pd.array(np.where(missing, None, rng.normal(size=n)), dtype="Float64")),
        "text numbers": pd.Series(np.where(missing, None, whole.astype(str)), dtype=object),
        "terrain object": pd.Series(terrain, dtype=object),
        "terrain str": pd.Series(terrain, dtype="str"),
        "terrain categorical": pd.Series(terrain).where(pd.Series(terrain).isin(["plain", "hill", "mountain"])).astype(
            pd.CategoricalDtype(["mountain", "hill", "plain", "x"])),
        "terrain all missing": pd.Series([None] * n, dtype=object).astype("category"),
    }


@pytest.mark.parametrize("seed", range(3))
def test_transform_equals_the_conversion_through_python_objects(seed: int) -> None:
    from villageaid.panel.endowment import _transform

    for name, values in _columns_of_every_kind(seed).items():
        for how in ("ordinal", "log", "log1p", "identity"):
            if how != "ordinal" and name.startswith("terrain"):
                continue
            with np.errstate(invalid="ignore"):  # log1p of a negative number: NaN both ways
                got, expected = _transform(values, how), _transform_through_objects(values, how)
            assert got.dtype == np.float64, name
            np.testing.assert_array_equal(got, expected, err_msg=f"{name}, {how}")  # same bits, NaN in place
