"""The A/B/C/D typology made from codes equals the typology made from its letters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from villageaid.panel.typology import VILLAGE_TYPES, village_type


def _village_type_from_letters(city_unit: pd.Series, rich: pd.Series) -> pd.Series:
    """village_type as first written (a categorical of letters): the reference of the coded form."""
    city = city_unit.astype("boolean")
    is_rich = rich.astype("boolean")
    known = (city.notna() & is_rich.notna()).to_numpy(dtype=bool)
    city_b = city.fillna(False).to_numpy(dtype=bool)
    rich_b = is_rich.fillna(False).to_numpy(dtype=bool)
    codes = np.select([city_b & rich_b, ~city_b & rich_b, ~city_b & ~rich_b], ["A", "B", "C"], default="D")
    codes = np.where(known, codes, None)
    return pd.Series(pd.Categorical(codes, categories=list(VILLAGE_TYPES)), index=city_unit.index,
                     name="village_type")


@pytest.mark.parametrize("seed", range(4))
def test_village_type_from_codes_equals_the_letters(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 200))
    city = pd.Series(pd.array(np.where(rng.random(n) < 0.2, None, rng.random(n) < 0.4), dtype="boolean"),
                     index=np.arange(n) * 3)
    rich = pd.Series(pd.array(np.where(rng.random(n) < 0.2, None, rng.random(n) < 0.3), dtype="boolean"),
                     index=city.index)
    got, expected = village_type(city, rich), _village_type_from_letters(city, rich)
    pd.testing.assert_series_equal(got, expected, check_exact=True)
    assert got.cat.codes.dtype == expected.cat.codes.dtype
    assert got.cat.categories.dtype == expected.cat.categories.dtype
