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
