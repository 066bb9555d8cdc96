"""The paper's A/B/C/D typology of unit level × village endowment."""

from __future__ import annotations

import numpy as np
import pandas as pd

VILLAGE_TYPES = ("A", "B", "C", "D")
TYPE_LABELS = {
    "A": "city-level unit + rich village",
    "B": "county-level unit + rich village",
    "C": "county-level unit + poor village",
    "D": "city-level unit + poor village",
}


def village_type(city_unit: pd.Series, rich: pd.Series) -> pd.Series:
    """Classify village(-year)s: A = city & rich, B = county & rich, C = county & poor, D = city & poor.

    "City" means a first secretary from a unit at city level or above; "county" covers county and
    township units. Missing inputs give a missing type.
    """
    city = city_unit.astype("boolean")
    is_rich = rich.astype("boolean")
    known = (city.notna() & is_rich.notna()).to_numpy(dtype=bool)
    city_b = city.fillna(False).to_numpy(dtype=bool)
    rich_b = is_rich.fillna(False).to_numpy(dtype=bool)
    # Codes into VILLAGE_TYPES (-1 missing): the categorical is made from them, not from millions of strings.
    codes = np.select([city_b & rich_b, ~city_b & rich_b, ~city_b & ~rich_b], [0, 1, 2], default=3).astype(np.int8)
    codes[~known] = -1
    return pd.Series(pd.Categorical.from_codes(codes, categories=list(VILLAGE_TYPES)), index=city_unit.index,
                     name="village_type")
