from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from villageaid.config import DEFAULT_SEED
from villageaid.io.validate import validate_tables
from villageaid.panel import build_panel
from villageaid.simulation import national, seed_true, simulate


@pytest.fixture(scope="module")
def default_data():
    return simulate()


def test_same_seed_same_data(default_data) -> None:
    again = simulate(seed=DEFAULT_SEED)
    for name, frame in default_data.tables.items():
        pd.testing.assert_frame_equal(frame, again.tables[name])
    assert again.truth == default_data.truth


def test_other_seed_other_data(default_data) -> None:
    other = simulate(seed=DEFAULT_SEED + 1)
    assert not other.tables["funding"]["amount"].equals(default_data.tables["funding"]["amount"])


def test_default_scenario_shape(default_data) -> None:
    villages = default_data.tables["villages"]
    assert villages["county"].value_counts().to_dict() == {"W": 150, "P": 120}
    assert villages.groupby("county")["township"].nunique().to_dict() == {"P": 8, "W": 10}
    assignments = default_data.tables["assignments"]
    # Per village and assignment round: a first secretary serving two terms and two team members.
    per_village = assignments.groupby(["village_id", "role"], observed=True).size().unstack()
    assert (per_village["first_secretary"] == 4).all() and (per_village["team_member"] == 4).all()
    assert default_data.tables["funding"]["year"].between(2016, 2025).all()


def test_simulated_data_are_valid(default_data) -> None:
    _, report = validate_tables(default_data.tables)
    assert report.problems == []


def test_calibration_to_the_paper(default_data) -> None:
    realized = default_data.truth["realized"]
    for period in ("campaign", "transition"):
        shares = realized[f"type_share_{period}"]
        assert max(shares, key=shares.get) == "C"
        assert min(shares, key=shares.get) == "A"
        assert 0.08 < realized["city_unit_share"][period] < 0.22
    # About 23万 direct plus 71万 coordinated per poor village a year in the campaign.
    poor = realized["mean_funding_poor_village_campaign"]
    assert 15 < poor["unit"] < 35 and 50 < poor["coordinated"] < 100
    assert 0.1 < realized["share_village_years_without_funding"] < 0.5
    # Strong alliance: type A villages get by far the most in the transition.
    assert realized["mean_funding_type_A_transition"] > 150
    demo = realized["demonstration_villages_by_cohort"]
    assert all(demo[c] > 0 for c in ("2021", "2022", "2023"))


def test_truth_names_every_effect(default_data) -> None:
    truth = default_data.truth
    assert truth["simulated"] is True and truth["seed"] == DEFAULT_SEED
    effects = truth["effects"]
    for key in ("H1_city_unit", "H2_rich", "H2_endowment_index", "H3_city_x_rich", "H3_type_vs_C",
                "H4_post_x_city", "H4_post_x_rich", "H4_post_x_city_x_rich", "H5_att_gt",
                "H6_funding_shock_persistence", "H8_city_unit", "H8_strong_unit", "H9_assignment_logit_slope"):
        assert key in effects
    s = seed_true()
    assert effects["H4_post_x_city_x_rich"] == pytest.approx(
        dict(s.coefficients_transition)["city_x_rich"] - dict(s.coefficients_campaign)["city_x_rich"], abs=1e-15)
    assert effects["H3_city_x_rich"]["transition"] > 0  # super-additive after 2021
    assert effects["H9_assignment_logit_slope"]["campaign"] < 0 < effects["H9_assignment_logit_slope"]["transition"]
    att = pd.DataFrame(effects["H5_att_gt"])
    assert (att.loc[att["year"] < att["cohort"], "att_level"] == 0).all()
    assert (att.loc[att["year"] >= att["cohort"], "att_level"] > 0).all()


def test_panel_of_simulated_data_matches_truth(default_data) -> None:
    tables, _ = validate_tables(default_data.tables)
    panel = build_panel(tables)
    realized = default_data.truth["realized"]
    transition = panel.loc[panel["period"] == "transition"]
    shares = transition["village_type"].value_counts(normalize=True)
    for vtype in "ABCD":
        assert shares[vtype] == pytest.approx(realized["type_share_transition"][vtype], abs=1e-12)
    assert panel["rich"].mean() == pytest.approx(realized["rich_share"], abs=1e-12)
    assert (panel["funding_total"] == 0).mean() == pytest.approx(
        realized["share_village_years_without_funding"], abs=1e-12)
    np.testing.assert_allclose(panel["team_size"].median(), 3.0, rtol=0, atol=1e-12)


def test_national_scenario_sizes() -> None:
    scenario = national(3_000, villages_per_county=175)
    assert scenario.n_villages == 3_000
    assert 10 <= len(scenario.county_names) <= 30
    data = simulate(scenario, seed=3)
    assert len(data.tables["villages"]) == 3_000
    assert data.tables["villages"]["village_id"].is_unique
    _, report = validate_tables(data.tables)
    assert report.errors == []


def test_invalid_scenarios_are_refused() -> None:
    with pytest.raises(ValueError, match="year_effects has 3 values for 10 years"):
        dataclasses.replace(seed_true(), year_effects=(0.0, 0.1, 0.2))
    with pytest.raises(ValueError, match="city_unit_share must be strictly between 0 and 1"):
        dataclasses.replace(seed_true(), city_unit_share=1.5)
    with pytest.raises(ValueError, match="n_villages must be positive"):
        national(0)


def test_parquet_output_builds_the_same_panel_as_csv(tmp_path: Path) -> None:
    """The national scenario writes Parquet by default; any scenario can: the panel is the same either way."""
    from villageaid.workflow.cli import main

    assert main(["simulate", "--out", str(tmp_path / "csv")]) == 0
    assert main(["simulate", "--format", "parquet", "--out", str(tmp_path / "pq")]) == 0
    assert sorted(p.suffix for p in (tmp_path / "pq").iterdir()) == [".json", *[".parquet"] * 8]
    assert main(["simulate", "--format", "csv", "--out", str(tmp_path / "pq")]) == 2  # never two sources per table
    for name in ("csv", "pq"):
        assert main(["panel", str(tmp_path / name), "--out", str(tmp_path / f"{name}.parquet")]) == 0
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "csv.parquet"), pd.read_parquet(tmp_path / "pq.parquet"),
                                  check_dtype=False, check_categorical=False)


@pytest.mark.parametrize("seed", range(5))
def test_lexsort_by_one_key_is_numpys_lexsort(seed: int) -> None:
    # Ties (kept in their order), negative and shifted keys, several widths, an empty input and keys too wide to
    # pack (NaT days, huge ranges: numpy's lexsort itself).
    from villageaid.simulation.generate import _lexsort_by_one_key

    rng = np.random.default_rng(seed)
    m = int(rng.integers(0, 3_000))
    keys = (rng.integers(0, 2, m).astype(np.int8), rng.integers(-50, 400, m), rng.integers(0, 60, m))
    np.testing.assert_array_equal(_lexsort_by_one_key(keys), np.lexsort(keys))
    wide = (rng.integers(0, 3, m), rng.integers(-(2**40), 2**40, m), rng.integers(0, 2**30, m))
    np.testing.assert_array_equal(_lexsort_by_one_key(wide), np.lexsort(wide))
    days = np.where(rng.random(m) < 0.1, np.datetime64("NaT"), np.datetime64("2020-01-01") + rng.integers(0, 9, m))
    with_nat = (rng.integers(0, 2, m), days.astype("datetime64[D]").view(np.int64), rng.integers(0, 5, m))
    np.testing.assert_array_equal(_lexsort_by_one_key(with_nat), np.lexsort(with_nat))
