from __future__ import annotations

import pandas as pd

from villageaid.analysis import typology_counts, village_period_types


def _panel(types: list[str | None], funding: list[float]) -> pd.DataFrame:
    years = list(range(2016, 2016 + len(types)))
    return pd.DataFrame({
        "village_id": "X", "county": "K", "year": years,
        "period": ["campaign"] * len(types),
        "village_type": pd.Categorical(types, categories=list("ABCD")),
        "funding_total": funding,
    })


def test_modal_type_with_ties_going_to_the_latest_year() -> None:
    panel = _panel(["C", "C", "D", "D", None], [1.0, 2, 3, 4, 5])
    types = village_period_types(panel)
    assert types.to_dict("records") == [{"village_id": "X", "county": "K", "period": "campaign", "village_type": "D"}]


def test_counts_shares_and_mean_funding() -> None:
    panel = pd.concat([
        _panel(["C", "C", "C"], [1.0, 2.0, 3.0]),
        _panel(["A", "A", "C"], [10.0, 20.0, 6.0]).assign(village_id="Y", county="L"),
    ])
    counts = typology_counts(panel, periods=("campaign",)).set_index(["county", "village_type"])
    assert counts.loc[("K", "C"), "villages"] == 1 and counts.loc[("L", "A"), "villages"] == 1
    assert counts.loc[("All", "C"), "share"] == 0.5
    assert counts.loc[("All", "C"), "village_years"] == 4
    assert counts.loc[("All", "C"), "mean_funding"] == (1 + 2 + 3 + 6) / 4
    assert counts.loc[("All", "A"), "mean_funding"] == 15.0
    assert pd.isna(counts.loc[("All", "B"), "mean_funding"])
    assert list(dict.fromkeys(counts.index.get_level_values("county"))) == ["K", "L", "All"]
