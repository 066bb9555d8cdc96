"""Which villages and townships carry a binary term's coefficient, against a direct count."""

from __future__ import annotations

import pandas as pd

from villageaid.analysis.truth import INDICATORS, carrying_villages, units_holding
from villageaid.panel import build_panel
from villageaid.simulation import simulate


def test_units_holding_a_term_and_the_villages_carrying_it_equal_a_direct_count() -> None:
    panel = build_panel(simulate(seed=3).tables)
    columns = INDICATORS["city_x_rich"]
    for unit in ("village_id", "township"):
        held = units_holding(panel, "post:city_x_rich", unit)
        assert held is not None and set(held) == {"campaign", "transition"}
        for period, (count, total) in held.items():
            rows = panel.loc[panel["period"] == period]
            on = rows[list(columns)].astype("boolean").fillna(False).all(axis=1)
            ever = on.groupby(rows[unit], observed=True).any()
            assert (count, total) == (int(ever.sum()), rows[unit].nunique())
    carrying = carrying_villages(panel, "city_x_rich")
    held = units_holding(panel, "city_x_rich", "village_id")
    assert carrying == {p: min(c, t - c) for p, (c, t) in held.items()}
    assert units_holding(panel, "endowment_index", "village_id") is None  # not an indicator
    assert units_holding(panel.drop(columns="township"), "city_x_rich", "township") is None
    assert carrying_villages(pd.DataFrame({"period": []}), "city_x_rich") is None
