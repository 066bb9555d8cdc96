"""The two lists (两张清单): needs and unit resources validated against the records, read with Chinese headers."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import VALID_CSV, write_tables
from villageaid.io import DataError, read_raw
from villageaid.io.lists import TwoLists, posts_in_latest_year, read_two_lists, two_lists
from villageaid.io.validate import validate_tables
from villageaid.schema import NEED_DIMENSIONS, RESOURCE_SERVES, RESOURCE_TYPES
from villageaid.workflow.cli import main

NEEDS = """village_id,dimension,gap,year
V1,infrastructure,0.6,2021
V1,industry,0.3,2021
V2,governance,0,2021
V3,public_service,1,2021
"""
# In 2021, the latest year of the assignments, U1 has one cadre in post (C1, until May) and U2 three at once.
RESOURCES = """unit_id,resource_type,capacity
U1,money,50.5
U1,cadre,1
U2,cadre,3
U2,technical,2
"""


def _with_lists(**extra: str) -> dict[str, str]:
    return {**VALID_CSV, "needs": NEEDS, "unit_resources": RESOURCES, **extra}


def test_valid_lists_have_no_problems(tmp_path: Path) -> None:
    raw = read_raw(write_tables(tmp_path, _with_lists()))
    assert raw.report.problems == [], raw.report.format()
    needs, resources = raw.tables["needs"], raw.tables["unit_resources"]
    assert needs["gap"].tolist() == [0.6, 0.3, 0.0, 1.0]
    assert needs["dimension"].tolist() == ["infrastructure", "industry", "governance", "public_service"]
    assert needs["year"].tolist() == [2021] * 4
    assert resources["capacity"].tolist() == [50.5, 1.0, 3.0, 2.0]


def test_records_without_the_lists_validate_as_before(valid_dir: Path) -> None:
    raw = read_raw(valid_dir)
    assert raw.report.problems == []
    for name in ("needs", "unit_resources"):
        assert raw.tables[name].empty
    lists = two_lists(raw.tables)
    assert lists.empty and lists.gaps().empty and lists.capacities().empty


def test_every_bad_list_row_is_one_line_of_one_report(tmp_path: Path) -> None:
    needs = NEEDS + ("V9,industry,0.2,2021\n"  # row 6: a village no table holds
                     "V2,monitored_households,1.4,2021\n"  # row 7: a gap above 1
                     "V1,infrastructure,0.5,2021\n"  # row 8: the same village and dimension as row 2
                     "V3,governance,-0.1,2021\n")  # row 9: a gap below 0
    resources = RESOURCES.replace("U2,cadre,3", "U2,cadre,2") + (  # row 4: fewer slots than U2's 3 cadres in 2021
        "U9,money,10\n"  # row 6: a unit no table holds
        "U1,technical,-1\n"  # row 7: a negative capacity
        "U1,market,1.5\n"  # row 8: half a slot
        "U3,money,5\n"  # row 9: a unit without postings
        "U3,market,1\n"  # row 10: the same unit: reported once
        "U2,money,12.25\n")  # row 11: money need not be whole
    units = VALID_CSV["units"] + "U3,K县档案局,county,marginal\n"
    raw = read_raw(write_tables(tmp_path, _with_lists(needs=needs, unit_resources=resources, units=units)))
    assert not raw.report.ok
    found = {(p.table, p.file, p.row, p.column, p.value, p.code) for p in raw.report.problems}
    assert found == {
        ("needs", "needs.csv", 6, "village_id", "V9", "undefined_reference"),
        ("needs", "needs.csv", 7, "gap", "1.4", "out_of_range"),
        ("needs", "needs.csv", 8, "village_id+dimension", "village_id=V1, dimension=infrastructure",
         "duplicate_key"),
        ("needs", "needs.csv", 9, "gap", "-0.1", "out_of_range"),
        ("unit_resources", "unit_resources.csv", 4, "capacity", "2", "slots_below_posts"),
        ("unit_resources", "unit_resources.csv", 6, "unit_id", "U9", "undefined_reference"),
        ("unit_resources", "unit_resources.csv", 7, "capacity", "-1", "negative"),
        ("unit_resources", "unit_resources.csv", 8, "capacity", "1.5", "slots_not_whole"),
        ("unit_resources", "unit_resources.csv", 9, "unit_id", "U3", "unit_no_posts"),
    }, raw.report.format()
    assert all(p.severity == "error" for p in raw.report.problems)
    by_code = {p.code: p for p in raw.report.problems}
    assert "at least 3 slots" in by_code["slots_below_posts"].rule and "2021" in by_code["slots_below_posts"].rule
    assert "between 0 and 1" in by_code["out_of_range"].rule
    assert "row 2" in by_code["duplicate_key"].rule
    assert "no posting" in by_code["unit_no_posts"].rule
    assert "whole number" in by_code["slots_not_whole"].rule
    text = raw.report.format(lang="zh")
    assert "干部选派名额少于该单位的在岗人数" in text and "“市场渠道”的容量应为整数" in text
    assert "[unit_resources] unit_resources.csv, row 4, column capacity: value '2'" in raw.report.format()


def test_unknown_dimension_and_resource_type_name_the_accepted_values(tmp_path: Path) -> None:
    raw = read_raw(write_tables(tmp_path, _with_lists(needs=NEEDS + "V2,education,0.5,2021\n",
                                                      unit_resources=RESOURCES + "U2,land,3\n")))
    found = {(p.table, p.row, p.column, p.value, p.code) for p in raw.report.problems}
    assert found == {("needs", 6, "dimension", "education", "unknown_value"),
                     ("unit_resources", 6, "resource_type", "land", "unknown_value")}
    rules = " ".join(p.rule for p in raw.report.problems)
    assert "monitored_households" in rules and "干部选派名额" in rules


def test_a_capacity_header_in_yuan_is_refused(tmp_path: Path) -> None:
    resources = RESOURCES.replace("capacity", "资源容量（元）")
    raw = read_raw(write_tables(tmp_path, _with_lists(unit_resources=resources)))
    assert [(p.table, p.code, p.row) for p in raw.report.errors] == [("unit_resources", "unit_mismatch", None)]


def test_chinese_file_names_headers_and_values(tmp_path: Path) -> None:
    needs = """村庄编号,需求维度,需求缺口（%）,评估年份,需求内容
V1,基础设施,60,2021,村道硬化 3 公里
V1,产业发展,30,2021,
V2,基层治理,0,2021,
V3,公共服务,100,2021,
V3,监测户帮扶,45.5,2021,
"""
    resources = """派出单位编号,资源类型,资源容量,资源内容
U1,资金,50.5,年度帮扶资金
U1,干部选派名额,1,
U2,干部选派名额,3,
U2,技术帮扶,2,农技专家 2 名
U2,市场渠道,4,
"""
    folder = write_tables(tmp_path / "records", VALID_CSV)
    (folder / "需求清单.csv").write_text(needs, encoding="utf-8")
    (folder / "资源清单.csv").write_text(resources, encoding="utf-8")
    raw = read_raw(folder)
    assert raw.report.problems == [], raw.report.format()
    assert raw.files["needs"] == ["需求清单.csv"] and raw.files["unit_resources"] == ["资源清单.csv"]
    needs_read = raw.tables["needs"]
    assert needs_read["dimension"].tolist() == ["infrastructure", "industry", "governance", "public_service",
                                                "monitored_households"]
    np.testing.assert_allclose(needs_read["gap"].to_numpy(dtype=float), [0.6, 0.3, 0.0, 1.0, 0.455], rtol=1e-12,
                               atol=0)
    assert needs_read["detail"].iloc[0] == "村道硬化 3 公里"
    resources_read = raw.tables["unit_resources"]
    assert resources_read["resource_type"].tolist() == ["money", "cadre", "cadre", "technical", "market"]
    assert resources_read["capacity"].tolist() == [50.5, 1.0, 3.0, 2.0, 4.0]


def test_other_file_names_and_gbk_text_read_as_the_lists(tmp_path: Path) -> None:
    folder = write_tables(tmp_path / "records", VALID_CSV)
    (folder / "村庄需求清单.csv").write_bytes(NEEDS.replace("dimension", "需求类别").encode("gb18030"))
    (folder / "帮扶资源清单.csv").write_bytes(RESOURCES.replace("capacity", "可提供数量").encode("gb18030"))
    raw = read_raw(folder)
    assert raw.report.problems == [], raw.report.format()
    assert len(raw.tables["needs"]) == 4 and len(raw.tables["unit_resources"]) == 4


def _brute_force_posts(frame: pd.DataFrame) -> tuple[int, dict[str, int]]:
    start = pd.to_datetime(frame["start_date"])
    end = pd.to_datetime(frame["end_date"])
    year = int(max(start.max().year, end.max().year if end.notna().any() else 0))
    days = pd.date_range(f"{year}-01-01", f"{year}-12-31", freq="D")
    posts: dict[str, int] = {}
    for unit, rows in frame.groupby("unit_id"):
        s, e = pd.to_datetime(rows["start_date"]), pd.to_datetime(rows["end_date"])
        counts = [int(((s <= day) & (e.isna() | (e >= day))).sum()) for day in days]
        if max(counts):
            posts[str(unit)] = max(counts)
    return year, posts


def test_posts_in_latest_year_equals_a_day_by_day_count() -> None:
    rng = np.random.default_rng(5)
    starts = pd.Timestamp("2019-01-01") + pd.to_timedelta(rng.integers(0, 4 * 365, 60), unit="D")
    lengths = pd.to_timedelta(rng.integers(0, 900, 60), unit="D")
    ends = pd.Series(starts + lengths).where(rng.random(60) > 0.3)
    frame = pd.DataFrame({"unit_id": rng.choice(["A", "B", "C", "D", "E"], 60), "start_date": starts,
                          "end_date": ends})
    year, posts = posts_in_latest_year(frame)
    expected_year, expected = _brute_force_posts(frame)
    assert year == expected_year
    assert posts.to_dict() == expected


def test_a_handover_within_the_year_counts_once() -> None:
    frame = pd.DataFrame({"unit_id": ["U", "U", "U"],
                          "start_date": pd.to_datetime(["2020-01-01", "2023-06-01", "2022-01-01"]),
                          "end_date": pd.to_datetime(["2023-05-31", None, "2023-03-01"])})
    year, posts = posts_in_latest_year(frame)
    assert year == 2023 and posts.to_dict() == {"U": 2}  # January–March: the first and the third at once
    frame.loc[2, "end_date"] = pd.Timestamp("2022-12-31")
    assert posts_in_latest_year(frame)[1].to_dict() == {"U": 1}


def test_two_lists_gives_wide_gaps_capacities_and_the_fixed_map(tmp_path: Path) -> None:
    raw = read_raw(write_tables(tmp_path, _with_lists()))
    lists = two_lists(raw.tables)
    assert isinstance(lists, TwoLists) and not lists.empty
    gaps = lists.gaps()
    assert list(gaps.columns) == list(NEED_DIMENSIONS) and list(gaps.index) == ["V1", "V2", "V3"]
    assert gaps.loc["V1", "infrastructure"] == pytest.approx(0.6, rel=1e-12, abs=0)
    assert np.isnan(gaps.loc["V1", "governance"])  # not assessed, not met
    capacities = lists.capacities()
    assert list(capacities.columns) == list(RESOURCE_TYPES) and list(capacities.index) == ["U1", "U2"]
    assert capacities.loc["U2", "cadre"] == 3 and np.isnan(capacities.loc["U2", "money"])
    serves = lists.serves()
    for kind, dims in RESOURCE_SERVES.items():
        assert set(serves.columns[serves.loc[kind].to_numpy()]) == set(dims)
    assert serves.any(axis=0).all()  # every need dimension is served by some resource type


def test_read_two_lists_from_records_and_from_a_validated_set(tmp_path: Path) -> None:
    records = write_tables(tmp_path / "records", _with_lists())
    from_records = read_two_lists(records)
    assert main(["validate", str(records), "--out", str(tmp_path / "validated")]) == 0
    assert (tmp_path / "validated" / "needs.parquet").is_file()
    from_set = read_two_lists(tmp_path / "validated")
    pd.testing.assert_frame_equal(from_set.gaps(), from_records.gaps(), rtol=1e-12, atol=0)
    pd.testing.assert_frame_equal(from_set.capacities(), from_records.capacities(), rtol=1e-12, atol=0)
    bad = write_tables(tmp_path / "bad", _with_lists(needs=NEEDS + "V1,industry,2,2021\n"))
    with pytest.raises(DataError, match=r"needs\.csv, row 6"):
        read_two_lists(bad)


def test_validate_tables_in_memory_checks_the_lists() -> None:
    frames = {name: pd.read_csv(StringIO(text), dtype=str, keep_default_na=False)
              for name, text in _with_lists(unit_resources=RESOURCES.replace("U1,cadre,1", "U1,cadre,0")).items()}
    _, report = validate_tables(frames)
    assert [(p.table, p.file, p.row, p.column, p.code) for p in report.problems] == [
        ("unit_resources", "<unit_resources>", 2, "capacity", "slots_below_posts")]


def _posts_by_pandas_groupby(assignments: pd.DataFrame) -> tuple[int | None, pd.Series]:
    """posts_in_latest_year as first written (pandas' grouped cumsum and max): the reference of its numpy sweep."""
    from villageaid.io.lists import _dates
    from villageaid.io.normalize import codes_and_uniques

    empty = pd.Series(np.zeros(0, dtype=np.int64), index=pd.Index([], dtype=object, name="unit_id"), name="posts")
    start = _dates(assignments["start_date"])
    end = _dates(assignments["end_date"])
    codes, units = codes_and_uniques(assignments["unit_id"])
    usable = (codes >= 0) & ~np.isnat(start) & (np.isnat(end) | (end >= start))
    if not usable.any():
        return None, empty
    dated = np.concatenate([start[usable], end[usable & ~np.isnat(end)]])
    year = int(dated.max().astype("datetime64[Y]").astype(int) + 1970)
    first, last = np.datetime64(f"{year:04d}-01-01", "D"), np.datetime64(f"{year:04d}-12-31", "D")
    open_end = np.where(np.isnat(end), last, end)
    active = usable & (start <= last) & (open_end >= first)
    if not active.any():
        return year, empty
    unit = codes[active]
    begin = np.maximum(start[active], first).astype(np.int64)
    stop = np.minimum(open_end[active], last).astype(np.int64) + 1
    event_unit = np.concatenate([unit, unit])
    event_day = np.concatenate([begin, stop])
    delta = np.concatenate([np.ones(len(unit), dtype=np.int64), -np.ones(len(unit), dtype=np.int64)])
    order = np.lexsort((delta, event_day, event_unit))
    running = pd.Series(delta[order]).groupby(event_unit[order], sort=True).cumsum()
    peak = running.groupby(event_unit[order], sort=True).max()
    index = pd.Index(np.asarray(units, dtype=object)[peak.index.to_numpy()], dtype=object, name="unit_id")
    return year, pd.Series(peak.to_numpy(dtype=np.int64), index=index, name="posts")


@pytest.mark.parametrize("seed", range(6))
def test_posts_in_latest_year_equals_the_grouped_pandas_sweep(seed: int) -> None:
    # Ordinary and hostile postings: missing units, missing or reversed dates, same-day handovers, one unit only,
    # categorical identifiers with unused categories.
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 3_000))
    n_units = int(rng.integers(1, 40))
    starts = pd.Timestamp("2019-01-01") + pd.to_timedelta(rng.integers(0, 5 * 365, n), unit="D")
    ends = pd.Series(starts + pd.to_timedelta(rng.integers(-30, 900, n), unit="D")).where(rng.random(n) > 0.3)
    starts = pd.Series(starts).where(rng.random(n) > 0.05)
    units = pd.Series(rng.choice([f"U{k}" for k in range(n_units)], n), dtype=object).where(rng.random(n) > 0.05)
    if seed % 2:
        units = units.astype(pd.CategoricalDtype([f"U{k}" for k in range(n_units + 3)][::-1]))
    frame = pd.DataFrame({"unit_id": units, "start_date": starts, "end_date": ends})
    year, posts = posts_in_latest_year(frame)
    expected_year, expected = _posts_by_pandas_groupby(frame)
    assert year == expected_year
    pd.testing.assert_series_equal(posts, expected)
