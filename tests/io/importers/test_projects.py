"""`villageaid import projects`: the project-list fixture gives exactly its funding rows; hostile lists are
reported with file, row, column and value, exit 2, and never modified."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import tree_hashes
from tests.io.importers.fixtures import (
    MERGED_2022,
    PROJECTS_2022,
    expected_funding,
    project_rows_2022,
    write_projects,
    write_villages,
)
from villageaid.io.headers import load_header_map
from villageaid.io.importers import import_projects
from villageaid.workflow.cli import main

SHEET = f"{PROJECTS_2022}:项目库"


def run(tmp_path: Path, **kwargs: object):
    villages = write_villages(tmp_path / "in")
    files = write_projects(tmp_path / "in", **kwargs)  # type: ignore[arg-type]
    return import_projects(files, villages, hmap=load_header_map()), files, villages


def where(result, code: str) -> list[tuple]:
    return [(p.file, p.row, p.column, p.value) for p in result.report.problems if p.code == code]


def test_fixture_gives_exactly_its_funding_rows(tmp_path: Path) -> None:
    result, _, _ = run(tmp_path)
    assert result.report.ok, result.report.format()
    pd.testing.assert_frame_equal(result.tables["funding"], expected_funding(), check_dtype=False)
    # merged cells filled (reported), subtotals excluded, equal splits warned
    assert where(result, "merged_filled") == [
        (SHEET, 8, "序号", "3"), (SHEET, 8, "项目名称", "通村道路硬化"), (SHEET, 8, "项目类型", "基础设施"),
        (SHEET, 8, "乡镇", "河西乡"), (SHEET, 8, "资金（万元）", "40"), (SHEET, 8, "资金来源", "衔接资金")]
    assert [(p.row, dict(p.params)["count"]) for p in result.report.problems if p.code == "split_equally"] == [
        (5, 2), (8, 2)]
    assert dict(next(p for p in result.report.problems if p.code == "total_excluded").params)["count"] == 4
    links = list(csv.DictReader(result.details["links.csv"].splitlines()))
    methods = {(row["name"], row["method"]) for row in links}
    assert ("石桥村委会", "normalised") in methods and ("石桥村", "exact") in methods
    assert ("红 星 村", "normalised") in methods


def test_cli_writes_a_folder_that_validates(tmp_path: Path) -> None:
    villages = write_villages(tmp_path / "in")
    files = write_projects(tmp_path / "in")
    before = tree_hashes(tmp_path / "in")
    out = tmp_path / "records"
    assert main(["import", "projects", *map(str, files), "--villages", str(villages), "--out", str(out)]) == 0
    assert tree_hashes(tmp_path / "in") == before
    written = pd.read_csv(out / "funding.csv", dtype={"village_id": str, "project_type": object})
    expected = expected_funding()
    pd.testing.assert_frame_equal(written, expected.astype({"unit_id": float}), check_dtype=False)
    assert (out / "villages.csv").read_text(encoding="utf-8") == villages.read_text(encoding="utf-8")
    assert (out / "import" / "projects_report.txt").is_file()
    # with a roster's units and assignments beside it, the folder is a valid set of records
    (out / "units.csv").write_text("unit_id,level\nU1,county\n", encoding="utf-8")
    (out / "assignments.csv").write_text("cadre_id,unit_id,village_id,role,start_date\nC1,U1,W001,first_secretary,"
                                         "2021-06-01\n", encoding="utf-8")
    assert main(["validate", str(out)]) == 0


def test_same_project_in_two_ledgers(tmp_path: Path) -> None:
    villages = write_villages(tmp_path / "in")
    files = write_projects(tmp_path / "in")
    third = tmp_path / "in" / "2022年项目台账.csv"
    head = "项目名称,乡镇,村,资金（万元）,资金来源\n"
    third.write_text(head + "石桥村茶叶加工厂,城关镇,石桥村,20,衔接资金\n", encoding="utf-8")
    result = import_projects([*files, third], villages, hmap=load_header_map())
    assert where(result, "project_two_ledgers") == [("2022年项目台账.csv", 2, "项目名称", "石桥村茶叶加工厂")]
    assert result.report.ok  # a warning: the amounts differ
    third.write_text(head + "石桥村茶叶加工厂,城关镇,石桥村,50,衔接资金\n", encoding="utf-8")
    result = import_projects([*files, third], villages, hmap=load_header_map())
    assert where(result, "project_recorded_twice") == [("2022年项目台账.csv", 2, "项目名称", "石桥村茶叶加工厂")]
    assert not result.report.ok


HOSTILE = {
    "total_does_not_add_up": ({"rows_2022": project_rows_2022(total=150)}, "total_mismatch",
                              [(SHEET, 12, "资金（万元）", "150")]),
    "merged_header": ({"merged_2022": [*MERGED_2022, "F2:G2"]}, "merged_header", [(SHEET, 2, "F", "资金（万元）")]),
    "village_matching_two": ({"rows_2022": project_rows_2022(township_8=None),
                              "merged_2022": [m for m in MERGED_2022 if m != "D8:D9"]}, "name_ambiguous",
                             [(SHEET, 9, "村", "新民村")]),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_project_lists(tmp_path: Path, case: str) -> None:
    kwargs, code, expected = HOSTILE[case]
    villages = write_villages(tmp_path / "in")
    files = write_projects(tmp_path / "in", **kwargs)
    before = tree_hashes(tmp_path / "in")
    result = import_projects(files, villages, hmap=load_header_map())
    assert where(result, code) == expected, result.report.format()
    out = tmp_path / "out"
    assert main(["import", "projects", *map(str, files), "--villages", str(villages), "--out", str(out),
                 "--lang", "zh"]) == 2
    assert tree_hashes(tmp_path / "in") == before
    assert not (out / "funding.csv").exists()
    assert (out / "import" / "projects_report.txt").is_file()


def test_fuzzy_candidate_is_used_only_when_confirmed(tmp_path: Path) -> None:
    rows = project_rows_2022()
    rows[3][4] = "石乔村"  # a typo: no exact or normalised match
    villages = write_villages(tmp_path / "in")
    files = write_projects(tmp_path / "in", rows_2022=rows)
    out = tmp_path / "out"
    args = ["import", "projects", *map(str, files), "--villages", str(villages), "--out", str(out)]
    assert main(args) == 2
    candidates = out / "import" / "projects_candidates.csv"
    table = pd.read_csv(candidates, dtype=str, keep_default_na=False)
    assert table.loc[0, ["file", "row", "column", "name", "candidate_id", "candidate_name"]].tolist() == [
        SHEET, "4", "村", "石乔村", "W001", "石桥村"]
    assert not (out / "funding.csv").exists()
    table.loc[0, "confirm"] = "是"
    confirmed = tmp_path / "confirmed.csv"
    table.to_csv(confirmed, index=False)
    assert main([*args, "--matches", str(confirmed)]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(out / "funding.csv", dtype={"village_id": str}).iloc[:1, :3],
                                  expected_funding().iloc[:1, :3], check_dtype=False)


@pytest.mark.parametrize(("cell", "factor", "expected"), [
    ("红星村（60%）、新民村（40%）", 1.0, [15.0, 10.0]),
    ("红星村（15万元）、新民村（10万元）", 1.0, [15.0, 10.0]),
    ("红星村（60）、新民村（40）", 1.0, [15.0, 10.0]),      # bare numbers adding up to 100: percentages
    ("红星村（20）、新民村（5）", 1.0, [20.0, 5.0]),        # adding up to the amount: amounts in the header's unit
    ("红星村（0.2）、新民村（0.8）", 1.0, [5.0, 20.0]),     # adding up to 1: fractions
    ("红星村（200000）、新民村（50000）", 1e-4, [20.0, 5.0]),  # the header in 元
    ("红星村（30）、新民村（30）", 1.0, None),              # none of these: an error, never a guess
    ("红星村（60%）、新民村", 1.0, None),
    ("红星村（60%）、新民村（10万元）", 1.0, None),
])
def test_shares(cell: str, factor: float, expected: list[float] | None) -> None:
    from villageaid.io.importers.projects import _split
    from villageaid.io.linking import split_names

    amounts, problem, _ = _split(25.0, split_names(cell), [None, None], factor)
    if expected is None:
        assert amounts is None and problem == "shares_bad"
    else:
        assert amounts == pytest.approx(expected) and problem is None


def test_header_with_a_year_and_two_amount_columns(tmp_path: Path) -> None:
    villages = write_villages(tmp_path / "in")
    ledger = tmp_path / "in" / "plan.csv"
    ledger.write_text("项目名称,乡镇,村,总投资（万元）,2022年衔接资金（万元）,年度,资金来源\n"
                      "产业路,城关镇,石桥村,80,50,2022,衔接资金\n", encoding="utf-8")
    result = import_projects([ledger], villages, hmap=load_header_map())
    assert where(result, "column_twice") == [("plan.csv", 1, "2022年衔接资金（万元）", None)]
    assert result.tables["funding"]["amount"].tolist() == [80.0]
