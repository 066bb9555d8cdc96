"""The simulated two lists: deterministic, drawn apart from the six tables, main need largest, slots cover posts."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from villageaid.config import DEFAULT_SEED
from villageaid.io.lists import posts_in_latest_year, two_lists
from villageaid.io.validate import validate_tables
from villageaid.io.write import write_dataset
from villageaid.schema import CITY_OR_ABOVE, NEED_DIMENSIONS, RESOURCE_TYPES
from villageaid.simulation import SCENARIOS, seed_true, simulate

RECORD_TABLES = ("villages", "units", "assignments", "funding", "designations", "outcomes")


@pytest.fixture(scope="module")
def default_data():
    return simulate()


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_same_seed_same_lists_byte_for_byte(default_data, tmp_path: Path) -> None:
    again = simulate(seed=DEFAULT_SEED)
    write_dataset(default_data.tables, default_data.truth, tmp_path / "a")
    write_dataset(again.tables, again.truth, tmp_path / "b")
    hashes = _hashes(tmp_path / "a")
    assert {"needs.csv", "unit_resources.csv"} <= set(hashes)
    assert hashes == _hashes(tmp_path / "b")
    other = simulate(seed=DEFAULT_SEED + 1)
    assert not other.tables["needs"]["gap"].equals(default_data.tables["needs"]["gap"])


def test_the_lists_do_not_change_the_six_tables(default_data) -> None:
    """The lists draw from a stream of their own: other list parameters, the same six tables."""
    changed = dataclasses.replace(seed_true(), need_gap_noise_sd=2.0, need_gap_main_premium=0.0,
                                  unit_budget_log_sd=1.0, cadre_spare_slots=3.0)
    other = simulate(changed)
    for name in RECORD_TABLES:
        pd.testing.assert_frame_equal(other.tables[name], default_data.tables[name])
    assert not other.tables["needs"]["gap"].equals(default_data.tables["needs"]["gap"])
    assert not other.tables["unit_resources"]["capacity"].equals(default_data.tables["unit_resources"]["capacity"])


def test_simulated_lists_are_valid_in_every_edition() -> None:
    for name in ("seed_true", "null", "hidden_selection"):
        data = simulate(SCENARIOS[name]())
        _, report = validate_tables(data.tables)
        assert report.problems == [], (name, report.format())


def test_one_gap_per_village_and_dimension_in_range(default_data) -> None:
    needs = default_data.tables["needs"]
    villages = default_data.tables["villages"]
    assert len(needs) == len(villages) * len(NEED_DIMENSIONS)
    assert not needs.duplicated(["village_id", "dimension"]).any()
    assert needs["gap"].between(0, 1).all()
    assert (needs["year"] == seed_true().transition_start).all()


def test_the_main_need_carries_the_largest_gap(default_data) -> None:
    tables, _ = validate_tables(default_data.tables)
    gaps = two_lists(tables).gaps()
    main = tables["villages"].set_index("village_id")["main_need"].astype(object).reindex(gaps.index)
    main_gap = gaps.to_numpy()[np.arange(len(gaps)), [list(NEED_DIMENSIONS).index(m) for m in main]]
    others = gaps.to_numpy().copy()
    others[np.arange(len(gaps)), [list(NEED_DIMENSIONS).index(m) for m in main]] = -np.inf
    assert (main_gap > others.max(axis=1)).all()
    assert default_data.truth["two_lists"]["needs"]["realized"]["share_main_need_largest"] == 1.0


def test_gaps_rise_with_need(default_data) -> None:
    tables, _ = validate_tables(default_data.tables)
    from villageaid.panel.endowment import need_index

    gaps = two_lists(tables).gaps()
    need = need_index(tables["villages"]).set_axis(tables["villages"]["village_id"].astype(object)).reindex(gaps.index)
    for dimension in NEED_DIMENSIONS:
        assert np.corrcoef(gaps[dimension], need)[0, 1] > 0.3, dimension
    realized = default_data.truth["two_lists"]["needs"]["realized"]["correlation_with_latent_need"]
    assert all(realized[d] > 0.5 for d in NEED_DIMENSIONS)


def test_cadre_slots_cover_current_posts(default_data) -> None:
    resources = default_data.tables["unit_resources"]
    year, posts = posts_in_latest_year(default_data.tables["assignments"])
    assert year == default_data.truth["two_lists"]["unit_resources"]["posts_year"]
    cadre_rows = resources.loc[resources["resource_type"] == "cadre"]
    cadre = pd.Series(cadre_rows["capacity"].to_numpy(), index=cadre_rows["unit_id"].astype(object).to_numpy())
    needed = posts.reindex(cadre.index).fillna(0)
    assert (cadre >= needed).all()
    assert (cadre - needed).sum() == default_data.truth["two_lists"]["unit_resources"]["realized"][
        "cadre_slots_above_posts"]
    slots = resources.loc[resources["resource_type"] != "money", "capacity"]
    assert (slots == np.floor(slots)).all() and (resources["capacity"] >= 0).all()


def test_every_unit_with_postings_lists_every_resource_type(default_data) -> None:
    resources = default_data.tables["unit_resources"]
    posted = set(default_data.tables["assignments"]["unit_id"].astype(object))
    listed = set(resources["unit_id"].astype(object))
    assert listed == posted
    per_unit = resources.groupby(resources["unit_id"].astype(object))["resource_type"].agg(
        lambda kinds: tuple(kinds.astype(object)))
    assert (per_unit == RESOURCE_TYPES).all()


def test_high_level_and_strong_units_offer_more(default_data) -> None:
    resources = default_data.tables["unit_resources"]
    units = default_data.tables["units"].set_index("unit_id")
    wide = two_lists({"needs": default_data.tables["needs"], "unit_resources": resources}).capacities()
    level = units["level"].reindex(wide.index)
    strength = units["strength"].reindex(wide.index)
    high = level.isin(list(CITY_OR_ABOVE)).to_numpy()
    for kind in ("money", "technical", "market"):
        assert wide.loc[high, kind].mean() > wide.loc[~high, kind].mean(), kind
        county = level.eq("county").to_numpy()
        assert (wide.loc[county & strength.eq("strong").to_numpy(), kind].mean()
                > wide.loc[county & strength.eq("marginal").to_numpy(), kind].mean()), kind


def test_truth_documents_the_lists(default_data) -> None:
    lists = default_data.truth["two_lists"]
    s = seed_true()
    assert lists["needs"]["coefficients"]["infrastructure"] == {
        "intercept": s.need_gap_coefficients[0][1], "latent_need": s.need_gap_coefficients[0][2],
        "endowment_index": s.need_gap_coefficients[0][3]}
    assert lists["needs"]["deep_poverty"] == s.need_gap_deep_poverty
    assert lists["unit_resources"]["budget_median_by_level"] == dict(s.unit_budget_by_level)
    assert set(lists["unit_resources"]["serves"]) == set(RESOURCE_TYPES)
    assert default_data.truth["scenario"]["cadre_spare_slots"] == s.cadre_spare_slots


def test_invalid_list_parameters_are_refused() -> None:
    with pytest.raises(ValueError, match="need_gap_coefficients must name the need dimensions"):
        dataclasses.replace(seed_true(), need_gap_coefficients=(("industry", 0.0, 1.0, 0.0),))
    with pytest.raises(ValueError, match="unit_budget_by_level must be zero or more"):
        dataclasses.replace(seed_true(), unit_budget_by_level=(("central", -1.0), ("provincial", 1.0),
                                                               ("city", 1.0), ("county", 1.0), ("township", 1.0)))
    with pytest.raises(ValueError, match="cadre_spare_slots must be zero or more"):
        dataclasses.replace(seed_true(), cadre_spare_slots=-1.0)
