"""The panel on a tiny hand-made data set where every derived value is known in advance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from villageaid.io.validate import validate_tables
from villageaid.panel import PanelOptions, build_panel

INCOME = np.array([0.5, 1.0, 2.0, 4.0, 8.0, 16.0])
POPULATION = np.array([100, 200, 400, 800, 1600, 3200])


def _tables() -> dict[str, pd.DataFrame]:
    villages = pd.DataFrame({
        "village_id": [f"V{i}" for i in range(1, 7)],
        "county": "K",
        "township": ["T1"] * 3 + ["T2"] * 3,
        "collective_income_2020": INCOME,  # not in the endowment index (produced by the campaign's money)
        # log(1 + distance) perfectly (negatively) linear in log population: the endowment index is standardized
        # log population.
        "population": POPULATION,
        "distance_to_county_km": np.exp(5.0 - 0.5 * np.log(POPULATION)) - 1.0,
        # The need index has one indicator: the standardized poverty rate.
        "poverty_rate_2015": 0.5 - 0.1 * np.arcsinh(INCOME),
    })
    units = pd.DataFrame({
        "unit_id": ["U1", "U2", "U3", "U4"],
        "level": ["city", "county", "county", "provincial"],
        "strength": ["strong", "general", "marginal", "general"],
    })
    a = [
        ("C1", "U2", "V1", "first_secretary", "2019-06-01", "2021-05-31"),
        ("C2", "U1", "V1", "first_secretary", "2021-06-01", None),
        ("C3", "U3", "V1", "team_member", "2020-01-01", "2021-12-31"),
        ("C4", "U2", "V2", "first_secretary", "2020-01-01", "2021-06-30"),
        ("C5", "U4", "V2", "first_secretary", "2021-07-01", "2021-12-28"),
        ("C6", "U1", "V3", "first_secretary", "2021-03-01", "2022-12-31"),
        ("C7", "U2", "V4", "first_secretary", "2015-01-01", "2025-12-31"),
        ("C8", "U1", "V5", "first_secretary", "2018-01-01", None),
        ("C9", "U3", "V6", "first_secretary", "2018-01-01", None),
    ]
    assignments = pd.DataFrame(a, columns=["cadre_id", "unit_id", "village_id", "role", "start_date", "end_date"])
    funding = pd.DataFrame({
        "village_id": ["V1", "V1", "V1", "V5", "V6"],
        "year": [2020, 2020, 2020, 2021, 2021],
        "amount": [10.0, 2.0, 3.0, 100.0, 0.0],
        "source": ["unit", "county", "county", "higher", "social"],
        "unit_id": ["U2", None, None, None, None],
    })
    designations = pd.DataFrame({
        "village_id": ["V5", "V5", "V6"],
        "year": [2021, 2023, 2021],
        "kind": ["demonstration", "demonstration", "key_assistance"],
    })
    outcomes = pd.DataFrame({"village_id": ["V1"], "year": [2020], "collective_income": [1.0],
                             "per_capita_income": [9000.0], "industry_active": [1]})
    return {"villages": villages, "units": units, "assignments": assignments, "funding": funding,
            "designations": designations, "outcomes": outcomes}


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    tables, report = validate_tables(_tables())
    assert report.problems == []
    return build_panel(tables).set_index(["village_id", "year"])


def test_shape_and_order(panel: pd.DataFrame) -> None:
    assert len(panel) == 12
    assert panel.index.tolist() == [(f"V{i}", y) for i in range(1, 7) for y in (2020, 2021)]


def test_periods(panel: pd.DataFrame) -> None:
    assert panel.xs(2020, level="year")["period"].eq("campaign").all()
    assert panel.xs(2021, level="year")["period"].eq("transition").all()
    assert panel["post"].tolist() == [0, 1] * 6


def test_first_secretary_covering_most_days(panel: pd.DataFrame) -> None:
    levels = panel["first_secretary_level"].astype(object).where(panel["first_secretary_level"].notna(), None)
    assert levels.tolist() == [
        "county", "city",        # V1: U2 all of 2020; in 2021 U1 214 days against U2 151
        "county", "provincial",  # V2: 181 days each in 2021: the later start wins
        None, "city",            # V3: nobody in 2020
        "county", "county",
        "city", "city",
        "county", "county",
    ]
    assert panel.loc[("V2", 2021), "first_secretary_unit_id"] == "U4"
    assert panel["city_unit"].tolist()[:4] == [False, True, False, True]
    assert pd.isna(panel.loc[("V3", 2020), "city_unit"])
    assert panel.loc[("V1", 2021), "strong_unit"]
    assert not panel.loc[("V6", 2021), "strong_unit"]


def test_team_size_and_strength(panel: pd.DataFrame) -> None:
    np.testing.assert_allclose(panel.loc[("V1", 2020), "team_size"], 2.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(panel.loc[("V1", 2021), "team_size"], (151 + 214 + 365) / 365, rtol=0, atol=1e-12)
    np.testing.assert_allclose(panel.loc[("V2", 2021), "team_size"], 362 / 365, rtol=0, atol=1e-12)
    np.testing.assert_allclose(panel.loc[("V3", 2020), "team_size"], 0.0, rtol=0, atol=0)
    np.testing.assert_allclose(panel.loc[("V1", 2020), "team_strength_index"], 0.5, rtol=0, atol=1e-12)
    np.testing.assert_allclose(panel.loc[("V1", 2021), "team_strength_index"], (151 * 1 + 214 * 2) / 730,
                               rtol=0, atol=1e-12)
    assert np.isnan(panel.loc[("V3", 2020), "team_strength_index"])


def test_endowment_index_and_rich(panel: pd.DataFrame) -> None:
    a = np.log(POPULATION)
    expected = (a - a.mean()) / a.std()
    index = panel.xs(2020, level="year")["endowment_index"].to_numpy()
    np.testing.assert_allclose(index, expected, rtol=1e-12, atol=1e-12)
    assert panel.xs(2021, level="year")["endowment_index"].to_numpy() == pytest.approx(index, rel=0, abs=0)
    assert panel.xs(2020, level="year")["rich"].tolist() == [False, False, False, False, True, True]


def test_need_index_and_new_columns(panel: pd.DataFrame) -> None:
    rate = 0.5 - 0.1 * np.arcsinh(INCOME)
    expected = (rate - rate.mean()) / rate.std()
    np.testing.assert_allclose(panel.xs(2020, level="year")["need_index"].to_numpy(), expected, rtol=1e-12,
                               atol=1e-12)
    assert panel.attrs["need_indicators"] == ["poverty_rate_2015"]
    assert panel.attrs["reference_years"] == [2019]
    # no deep-poverty designation in the records: not recorded (missing), not "none"
    assert panel["deep_poverty"].isna().all()
    # members' strength: V1's member (U3, marginal) served 2020–2021; others have no members
    assert panel.loc[("V1", 2020), "members_strength_index"] == 0.0
    assert np.isnan(panel.loc[("V2", 2020), "members_strength_index"])
    # no need list: no matched funding
    assert "funding_matched" not in panel


def test_village_types(panel: pd.DataFrame) -> None:
    types = panel["village_type"].astype(object).where(panel["village_type"].notna(), None)
    assert types.tolist() == ["C", "D", "C", "D", None, "D", "C", "C", "A", "A", "B", "B"]


def test_demonstration_cohort(panel: pd.DataFrame) -> None:
    assert panel.xs(2020, level="year")["demonstration_cohort"].tolist() == [0, 0, 0, 0, 2021, 0]
    assert panel["demonstration"].tolist() == [0] * 9 + [1, 0, 0]


def test_funding_totals_sources_and_transforms(panel: pd.DataFrame) -> None:
    row = panel.loc[("V1", 2020)]
    assert (row["funding_total"], row["funding_unit"], row["funding_county"]) == (15.0, 10.0, 5.0)
    assert panel.loc[("V5", 2021), "funding_higher"] == 100.0
    assert panel.loc[("V6", 2021), "funding_total"] == 0.0
    assert panel["funding_total"].sum() == 115.0
    np.testing.assert_allclose(row["asinh_funding_total"], np.arcsinh(15.0), rtol=1e-15, atol=0)
    np.testing.assert_allclose(row["log1p_funding_total"], np.log(16.0), rtol=1e-15, atol=0)


def test_outcomes(panel: pd.DataFrame) -> None:
    assert panel.loc[("V1", 2020), "collective_income"] == 1.0
    assert panel.loc[("V1", 2020), "industry_active"]
    assert np.isnan(panel.loc[("V1", 2021), "per_capita_income"])
    assert pd.isna(panel.loc[("V1", 2021), "industry_active"])


def test_explicit_years_and_rich_quantile() -> None:
    tables, _ = validate_tables(_tables())
    panel = build_panel(tables, PanelOptions(first_year=2019, last_year=2021, rich_quantile=0.5))
    assert len(panel) == 18
    assert panel.loc[panel["year"] == 2019, "period"].eq("campaign").all()
    assert panel.loc[panel["year"] == 2019, "rich"].tolist() == [False, False, False, True, True, True]


def test_panel_needs_years() -> None:
    tables, _ = validate_tables(_tables())
    tables["funding"] = tables["funding"].iloc[0:0]
    tables["outcomes"] = tables["outcomes"].iloc[0:0]
    with pytest.raises(ValueError, match="cannot tell the panel's years"):
        build_panel(tables)


def _first_secretary_by_sorting(village, days, start, n_villages):
    """The rule spelled out as a sort per year: most days, then the later start, then the earlier record."""
    choice = np.full((n_villages, days.shape[1]), -1, dtype=np.int64)
    for t in range(days.shape[1]):
        order = np.lexsort((-start, -days[:, t], village))
        order = order[days[order, t] > 0]
        first = np.ones(len(order), dtype=bool)
        first[1:] = village[order][1:] != village[order][:-1]
        choice[village[order[first]], t] = order[first]
    return choice


def test_first_secretary_choice_packed_key_equals_the_sorting_rule() -> None:
    # The postings' days in each year from the dense date arithmetic, the choice by the rule spelled out as sorts;
    # starts repeated (ties), postings before, across and after the panel, ending before they start.
    from villageaid.panel.village_year import _day_numbers, _first_secretary_choice, _spans

    rng = np.random.default_rng(11)
    m, n_villages = 3_000, 400
    years = np.arange(2016, 2022)
    village = rng.integers(0, n_villages, m)
    start = np.datetime64("2014-01-01") + rng.choice(np.arange(0, 3_000, 91), m).astype("timedelta64[D]")
    end = start + rng.choice([-5, 0, 30, 181, 364, 365, 366, 800, 2_000], m).astype("timedelta64[D]")
    is_fs = rng.random(m) < 0.7
    days = _overlap_days_with_dates(start, end, years)[is_fs]
    expected = _first_secretary_by_sorting(village[is_fs], days, _day_numbers(start)[is_fs], n_villages)
    days_in_year = np.array([366 if y % 4 == 0 else 365 for y in years])
    got = _first_secretary_choice(_spans(start, end, years), village, is_fs, _day_numbers(start), n_villages,
                                  days_in_year)
    np.testing.assert_array_equal(got.reshape(n_villages, len(years)), expected)
    assert (got >= 0).any() and (got < 0).any()
    none = _first_secretary_choice(_spans(start, end, years), village, np.zeros(m, dtype=bool),
                                   _day_numbers(start), n_villages, days_in_year)
    assert none.shape == (n_villages * len(years),) and (none == -1).all()


def _matched_funding_as_text(funding: pd.DataFrame, villages: pd.DataFrame, cell: np.ndarray, amount: np.ndarray,
                             n_years: int) -> tuple[np.ndarray, np.ndarray] | None:
    """_matched_funding as first written (needs compared as text, row by row): the reference of its coded form."""
    from villageaid.schema import PROJECT_NEED

    if "main_need" not in villages or "project_type" not in funding or not villages["main_need"].notna().any():
        return None
    served = funding["project_type"].astype(object).map(PROJECT_NEED).to_numpy(dtype=object)
    cells = len(villages) * n_years
    village_need = villages["main_need"].astype(object).to_numpy()[cell // n_years]
    known = pd.notna(village_need)
    is_match = known & (served == village_need)
    matched = np.bincount(cell[is_match], weights=amount[is_match], minlength=cells)
    unmatched = np.bincount(cell[known & ~is_match], weights=amount[known & ~is_match], minlength=cells)
    without_need = np.repeat(~villages["main_need"].notna().to_numpy(), n_years)
    matched[without_need] = np.nan
    unmatched[without_need] = np.nan
    return matched, unmatched


@pytest.mark.parametrize("seed", range(6))
def test_matched_funding_by_codes_equals_the_text_comparison(seed: int) -> None:
    # Ordinary and hostile records: types no need lists (donation, a misspelling), missing types and needs,
    # categorical or object columns, needs that no project serves.
    from villageaid.panel.village_year import _matched_funding

    rng = np.random.default_rng(seed)
    n_villages, n_years = int(rng.integers(1, 60)), 4
    m = int(rng.integers(1, 2_000))
    needs = rng.choice(["industry", "infrastructure", "public_service", "governance", "Industry", None], n_villages)
    types = rng.choice(["industry", "water", "housing", "education", "donation", "indstry", None], m)
    villages = pd.DataFrame({"main_need": pd.Series(needs, dtype=object)})
    funding = pd.DataFrame({"project_type": pd.Series(types, dtype=object)})
    if seed % 2:
        villages["main_need"] = villages["main_need"].astype("category")
        funding["project_type"] = funding["project_type"].astype(
            pd.CategoricalDtype(["water", "industry", "unused", "donation", "indstry", "housing", "education"]))
    cell = rng.integers(0, n_villages * n_years, m)
    amount = rng.gamma(1.0, 10.0, m)
    got = _matched_funding(funding, villages, cell, amount, n_years)
    expected = _matched_funding_as_text(funding, villages, cell, amount, n_years)
    if expected is None:
        assert got is None
        return
    for mine, theirs in zip(got, expected, strict=True):
        np.testing.assert_array_equal(mine, theirs)  # NaN where the village has no need, equal bits elsewhere


def test_matched_funding_without_funding_records_is_zero_and_nan_where_no_need() -> None:
    # No funding record at all: every village with a need matched and unmatched 0, villages without one NaN (numpy
    # returns integers from an empty weighted bincount; the NaN used to fail there).
    from villageaid.panel.village_year import _matched_funding

    villages = pd.DataFrame({"main_need": pd.Series(["industry", None, "governance"], dtype=object)})
    funding = pd.DataFrame({"project_type": pd.Series([], dtype=object)})
    matched, unmatched = _matched_funding(funding, villages, np.zeros(0, dtype=np.int64), np.zeros(0), 2)
    expected = np.array([0.0, 0.0, np.nan, np.nan, 0.0, 0.0])
    np.testing.assert_array_equal(matched, expected)
    np.testing.assert_array_equal(unmatched, expected)
    assert matched.dtype == np.float64 and unmatched.dtype == np.float64


@pytest.mark.parametrize("seed", range(4))
def test_assignment_measures_equal_the_former_on_hostile_postings(seed: int) -> None:
    # Postings of unknown villages and units, unscored strengths, open ends, missing starts and roles. The reference
    # is the former postings × years computation (tests/panel/former_village_year.py).
    from villageaid.panel.village_year import _assignment_measures

    from .former_village_year import _assignment_measures as former

    rng = np.random.default_rng(seed)
    m, n_villages, n_units = 2_000, 80, 30
    units = pd.DataFrame({"unit_id": [f"U{k}" for k in range(n_units)],
                          "strength": rng.choice(["strong", "general", "marginal", None, "odd"], n_units)})
    starts = pd.Series(pd.Timestamp("2015-06-01") + pd.to_timedelta(rng.integers(0, 9 * 365, m), unit="D"))
    assignments = pd.DataFrame({
        "village_id": rng.choice([f"V{k}" for k in range(n_villages + 5)], m),
        "unit_id": rng.choice([f"U{k}" for k in range(n_units + 3)], m),
        "role": pd.Series(rng.choice(["first_secretary", "team_member", None], m), dtype=object),
        "start_date": starts.where(rng.random(m) > 0.03),
        "end_date": (starts + pd.to_timedelta(rng.integers(0, 1_500, m), unit="D")).where(rng.random(m) > 0.2),
    })
    if seed % 2:
        for column in ("village_id", "unit_id", "role"):
            assignments[column] = assignments[column].astype("category")
    village_ids = pd.Index([f"V{k}" for k in range(n_villages)], dtype=object)
    years = np.arange(2016, 2024)
    got = _assignment_measures(assignments, units, village_ids, years)
    expected = former(assignments, units, village_ids, years)
    assert set(got) == set(expected)
    for name, values in expected.items():
        np.testing.assert_array_equal(got[name], values)


def _positions_by_lookup(index: pd.Index, values: pd.Series) -> np.ndarray:
    """_positions without its shortcut (every distinct value looked up in the index): the reference."""
    from villageaid.io.normalize import codes_and_uniques

    codes, uniques = codes_and_uniques(values)
    if len(uniques) == 0:
        return np.full(len(values), -1, dtype=np.int64)
    found = index.get_indexer(pd.Index(uniques, dtype=object))
    return np.where(codes >= 0, found[np.maximum(codes, 0)], -1)


@pytest.mark.parametrize("seed", range(4))
def test_positions_shortcut_for_categories_equal_to_the_index(seed: int) -> None:
    # Categories equal to the index (the shortcut), in another order, with extra or fewer ones; text columns.
    from villageaid.panel.village_year import _positions

    rng = np.random.default_rng(seed)
    ids = [f"V{k:03d}" for k in range(int(rng.integers(1, 40)))]
    index = pd.Index(ids, dtype=object)
    values = rng.choice(np.array([*ids, "V999", None], dtype=object), 300)
    for categories in (ids, ids[::-1], [*ids, "V999"], ids[1:]):
        inside = pd.Series(values).where(pd.Series(values).isin(categories))  # values outside: missing
        column = inside.astype(pd.CategoricalDtype(categories))
        got = _positions(index, column)
        np.testing.assert_array_equal(got, _positions_by_lookup(index, column))
        assert got.dtype == np.int64
    for column in (pd.Series(values, dtype=object), pd.Series(values, dtype="str")):
        np.testing.assert_array_equal(_positions(index, column), _positions_by_lookup(index, column))


def test_spread_makes_the_columns_the_frame_made_of_spread_values() -> None:
    # A village's value on each of its years: text (categorical, object, Arrow strings, with missing values or all
    # missing), numbers and flags give the frame the same column as values.to_numpy()[rows] did.
    from villageaid.panel.village_year import _spread

    rng = np.random.default_rng(3)
    n = 30
    text = rng.choice(np.array(["plain", "hill", "mountain", None], dtype=object), n)
    villages = {
        "categorical": pd.Series(text).astype("category"),
        "object": pd.Series(text, dtype=object),
        "str": pd.Series(text, dtype="str"),
        "all missing": pd.Series([None] * n, dtype=object),
        "all missing categorical": pd.Series([None] * n, dtype=object).astype(pd.CategoricalDtype(["a"])),
        "categorical of object text": pd.Series(text).astype(
            pd.CategoricalDtype(pd.Index(["plain", "hill", "mountain"], dtype=object))),
        "categorical of numbers": pd.Series(rng.choice([1.5, 2.5, np.nan], n)).astype("category"),
        "categorical, one value": pd.Series(["hill"] + [None] * (n - 1)).astype("category"),
        "mixed": pd.Series(["x" if draw < 0.5 else 1 for draw in rng.random(n)], dtype=object),
        "int": pd.Series(rng.integers(0, 9, n)),
        "float": pd.Series(np.where(rng.random(n) < 0.3, np.nan, rng.normal(size=n))),
        "bool": pd.Series(rng.random(n) < 0.5),
    }
    rows = np.repeat(np.arange(n), 4)
    for empty in (False, True):
        chosen = rows[:0] if empty else rows
        got = pd.DataFrame({name: _spread(values, chosen) for name, values in villages.items()}, copy=False)
        expected = pd.DataFrame({name: values.to_numpy()[chosen] for name, values in villages.items()}, copy=False)
        pd.testing.assert_frame_equal(got, expected, check_exact=True)
        assert got.dtypes.equals(expected.dtypes)


def test_panel_with_inputs_handed_over_is_the_same_and_drops_them() -> None:
    # release_inputs (the command line's national memory): the same frame, attrs included; the dict handed over
    # keeps only villages and units.
    from villageaid.simulation import SCENARIOS, simulate

    data = simulate(SCENARIOS["seed_true"](), seed=5)
    for tables in (_tables(), data.tables):
        validated, report = validate_tables(tables)
        assert report.ok
        kept = build_panel(dict(validated))
        handed = dict(validated)
        released = build_panel(handed, release_inputs=True)
        pd.testing.assert_frame_equal(released, kept, check_exact=True)
        assert released.dtypes.equals(kept.dtypes) and released.attrs == kept.attrs
        assert set(handed) == set(validated) - {"assignments", "funding", "designations", "outcomes"}


def _overlap_days_with_dates(start: np.ndarray, end: np.ndarray, years: np.ndarray) -> np.ndarray:
    """_overlap_days as first written (date arithmetic, postings × years): the reference of the year-major form."""
    days = np.empty((len(start), len(years)), dtype=np.int32)
    start_d = start.astype("datetime64[D]")
    end_d = end.astype("datetime64[D]")
    for t, year in enumerate(years):
        first = np.datetime64(f"{year:04d}-01-01")
        last = np.datetime64(f"{year:04d}-12-31")
        span = (np.minimum(end_d, last) - np.maximum(start_d, first)).astype(np.int64) + 1
        days[:, t] = np.clip(span, 0, None)
    return days


def _random_postings(rng: np.random.Generator, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Postings across year ends and leap days, before, across and after a 2015-2025 panel, ending before they
    start or on the day they start."""
    start = np.datetime64("2010-06-01") + rng.integers(0, 6_000, m).astype("timedelta64[D]")
    end = start + rng.choice([-30, -1, 0, 1, 59, 364, 365, 366, 1_500, 5_000], m).astype("timedelta64[D]")
    return start, end


@pytest.mark.parametrize("seed", range(4))
def test_spans_equal_the_date_arithmetic(seed: int) -> None:
    # A posting's first and last years and their days, and the whole years between, are its row of the dense
    # postings × years days.
    from villageaid.panel.village_year import _spans

    rng = np.random.default_rng(seed)
    m = int(rng.integers(0, 800))
    start, end = _random_postings(rng, m)
    years = np.arange(2015, 2015 + int(rng.integers(1, 12)))
    dense = _overlap_days_with_dates(start, end, years)
    spans = _spans(start, end, years)
    days_in_year = np.array([366 if y % 4 == 0 else 365 for y in years])
    rebuilt = np.zeros_like(dense)
    for i in np.flatnonzero(spans.covers):
        a, b = spans.first[i], spans.last[i]
        rebuilt[i, a + 1:b] = days_in_year[a + 1:b]
        rebuilt[i, a], rebuilt[i, b] = spans.first_days[i], spans.last_days[i]
    np.testing.assert_array_equal(rebuilt, dense)
    np.testing.assert_array_equal(spans.covers, (dense > 0).any(axis=1))


@pytest.mark.parametrize("seed", range(4))
def test_day_sums_equal_the_yearly_sums(seed: int) -> None:
    # Days (× a score of 0, 1 or 2) summed per village-year from the spans: the same bits as the former yearly
    # bincount of the dense days, over any subset of postings (left out by a weight of 0, or not given).
    from villageaid.panel.village_year import _DaySums, _spans

    rng = np.random.default_rng(seed)
    m, n = int(rng.integers(0, 3_000)), int(rng.integers(1, 60))
    start, end = _random_postings(rng, m)
    years = np.arange(2016, 2016 + int(rng.integers(1, 10)))
    days_in_year = np.array([366 if y % 4 == 0 else 365 for y in years])
    village = rng.integers(0, n, m)
    rows = rng.random(m) < 0.8
    score = rng.choice([0.0, 1.0, 2.0], m)
    dense = _overlap_days_with_dates(start, end, years)
    for weight in (None, score):
        expected = np.zeros((n, len(years)))
        for t in range(len(years)):
            days = dense[rows, t] if weight is None else dense[rows, t] * weight[rows]
            expected[:, t] = np.bincount(village[rows], weights=days, minlength=n)
        sums = _DaySums(_spans(start, end, years), village, n, days_in_year)
        got = sums.sum(rows * (weight if weight is not None else 1.0)) if seed % 2 or weight is not None else (
            _DaySums(_spans(start[rows], end[rows], years), village[rows], n, days_in_year).sum())
        assert got.dtype == np.float64
        np.testing.assert_array_equal(got.reshape(n, len(years)), expected)


def _postings_table(seed: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.Index, np.ndarray]:
    """Random assignments and units: unknown villages and units, unscored strengths, open ends, missing starts and
    roles, postings before, across and after the panel, many tied first secretaries (repeated starts)."""
    rng = np.random.default_rng(seed)
    m, n_villages, n_units = int(rng.integers(0, 3_000)), int(rng.integers(1, 90)), 30
    units = pd.DataFrame({"unit_id": [f"U{k}" for k in range(n_units)],
                          "strength": rng.choice(["strong", "general", "marginal", None, "odd"], n_units)})
    if seed % 3 == 0:
        starts = pd.Series(pd.to_datetime(rng.choice(["2010-01-01", "2016-01-01", "2017-07-01", "2020-01-01",
                                                      "2026-03-01"], m)))
    else:
        starts = pd.Series(pd.Timestamp("2012-06-01") + pd.to_timedelta(rng.integers(0, 16 * 365, m), unit="D"))
    lengths = (rng.choice([-30, 0, 1, 100, 365, 366, 700, 1_500, 4_000], m) if seed % 2
               else rng.integers(-50, 3_000, m))
    assignments = pd.DataFrame({
        "village_id": rng.choice([f"V{k}" for k in range(n_villages + 5)], m),
        "unit_id": rng.choice([f"U{k}" for k in range(n_units + 3)], m),
        "role": pd.Series(rng.choice(["first_secretary", "team_member", None], m), dtype=object),
        "start_date": starts.where(rng.random(m) > 0.03),
        "end_date": (starts + pd.to_timedelta(lengths, unit="D")).where(rng.random(m) > 0.2),
    })
    if seed % 2:
        for column in ("village_id", "unit_id", "role"):
            assignments[column] = assignments[column].astype("category")
    village_ids = pd.Index([f"V{k}" for k in range(n_villages)], dtype=object)
    first = int(rng.integers(2014, 2022))
    return assignments, units, village_ids, np.arange(first, first + int(rng.integers(1, 12)))


@pytest.mark.parametrize("seed", range(12))
def test_assignment_measures_equal_the_former_dense_ones(seed: int) -> None:
    # Every measure, first secretary included, the same bits (and the same signs of zero) as the former
    # postings × years computation, kept in tests/panel/former_village_year.py.
    from villageaid.panel.village_year import _assignment_measures

    from .former_village_year import _assignment_measures as former

    tables = _postings_table(seed)
    got, expected = _assignment_measures(*tables), former(*tables)
    assert set(got) == set(expected)
    for name, values in expected.items():
        assert got[name].dtype == values.dtype and got[name].shape == values.shape, name
        np.testing.assert_array_equal(got[name], values, err_msg=name)
        np.testing.assert_array_equal(np.signbit(got[name]), np.signbit(values), err_msg=name)


def test_assignment_measures_found_by_shared_categories_equal_the_lookup() -> None:
    # Villages and units whose identifier columns share their CategoricalDtype with the assignments' (as a
    # validated set is read): found by codes, the same measures as looked up by text.
    from villageaid.panel.village_year import _assignment_measures, _Lookup

    assignments, units, village_ids, years = _postings_table(1)
    # Categories in another order than the tables' rows, and identifiers the villages and units do not have.
    village_dtype = pd.CategoricalDtype(sorted(set(assignments["village_id"].dropna()) | set(village_ids),
                                               reverse=True))
    unit_dtype = pd.CategoricalDtype(sorted(set(assignments["unit_id"].dropna()) | set(units["unit_id"])))
    villages = pd.Series(village_ids, dtype=object).astype(village_dtype)
    shared = assignments.assign(village_id=assignments["village_id"].astype(object).astype(village_dtype),
                                unit_id=assignments["unit_id"].astype(object).astype(unit_dtype))
    coded_units = units.assign(unit_id=units["unit_id"].astype(unit_dtype))
    village_lookup, unit_lookup = _Lookup(villages), _Lookup(coded_units["unit_id"])
    assert village_lookup._dtype is village_dtype and unit_lookup._dtype is unit_dtype  # the shortcut is taken
    got = _assignment_measures(shared, coded_units, village_lookup, years, unit_lookup)
    expected = _assignment_measures(assignments, units, village_ids, years)
    for name, values in expected.items():
        np.testing.assert_array_equal(got[name], values, err_msg=name)


@pytest.mark.parametrize("seed", range(4))
def test_lookup_positions_equal_positions(seed: int) -> None:
    # Shared dtype (codes), another dtype with equal categories, text columns; identifiers missing in the table
    # or in the column; duplicated or missing identifiers in the table (no shortcut, as before).
    from villageaid.panel.village_year import _Lookup, _positions

    rng = np.random.default_rng(seed)
    ids = [f"V{k:03d}" for k in range(int(rng.integers(1, 40)))]
    dtype = pd.CategoricalDtype([*ids, "V998", "V999"][::-1])
    values = pd.Series(rng.choice(np.array([*ids, "V999", None], dtype=object), 300)).astype(dtype)
    for table in (pd.Series(ids).astype(dtype), pd.Series(ids[::-1]).astype(dtype),
                  pd.Series([*ids[1:], None]).astype(dtype)):
        lookup = _Lookup(table)
        assert (lookup._dtype is dtype) == bool(table.notna().all())
        for column in (values, values.astype(pd.CategoricalDtype(list(dtype.categories))), values.astype(object)):
            got = lookup.positions(column)
            np.testing.assert_array_equal(got, _positions(pd.Index(table.astype(object)), column))
            assert got.dtype == np.int64
    duplicated = _Lookup(pd.Series([*ids, ids[0]]).astype(dtype))
    assert duplicated._dtype is None
    with pytest.raises(pd.errors.InvalidIndexError):  # as _positions on a table with duplicated identifiers
        duplicated.positions(values)
    assert _Lookup(pd.Series([], dtype=dtype)).positions(values.iloc[:0]).shape == (0,)
