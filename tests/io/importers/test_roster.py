"""`villageaid import roster`: the announcement-list fixture gives exactly its units and assignments; a unit
name naming two levels is reported (file, row, column, value), never guessed; inputs are never modified."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import tree_hashes
from tests.io.importers.fixtures import (
    ROSTER,
    expected_assignments,
    expected_units,
    roster_rows,
    write_roster,
    write_villages,
)
from villageaid.io.headers import load_header_map
from villageaid.io.importers import import_roster
from villageaid.io.importers.roster import name_level, strength_words, unit_sector, unit_strength
from villageaid.io.pseudonym import pseudonymize
from villageaid.workflow.cli import main

SALT = b"a-test-salt-of-enough-length-0123"
SHEET = f"{ROSTER}:名单"
NAMES = ["张三", "李四", "王五", "赵六", "钱七", "孙八", "周九"]


def where(result, code: str) -> list[tuple]:
    return [(p.file, p.row, p.column, p.value) for p in result.report.problems if p.code == code]


def test_fixture_gives_exactly_its_units_and_assignments(tmp_path: Path) -> None:
    villages = write_villages(tmp_path / "in")
    roster = write_roster(tmp_path / "in")
    result = import_roster([roster], villages, hmap=load_header_map(), salt=SALT, start_date="2021-06-01")
    assert result.report.ok, result.report.format()
    pd.testing.assert_frame_equal(result.tables["units"], expected_units())
    ids = pseudonymize(pd.Series(NAMES), SALT).tolist()
    pd.testing.assert_frame_equal(result.tables["assignments"], expected_assignments(ids))
    assert not any(name in result.tables["assignments"].to_csv() for name in NAMES)  # names never reach tables
    assert where(result, "unit_strength_unknown") == []


def test_cli_roster_and_projects_make_a_valid_folder(tmp_path: Path) -> None:
    from tests.io.importers.fixtures import write_projects

    villages = write_villages(tmp_path / "in")
    roster = write_roster(tmp_path / "in")
    projects = write_projects(tmp_path / "in")
    salt = tmp_path / "salt.txt"
    salt.write_bytes(SALT)
    before = tree_hashes(tmp_path / "in")
    out = tmp_path / "records"
    assert main(["import", "roster", str(roster), "--villages", str(villages), "--out", str(out), "--salt-file",
                 str(salt), "--start-date", "2021-06-01"]) == 0
    assert main(["import", "projects", *map(str, projects), "--villages", str(villages), "--out", str(out)]) == 0
    assert tree_hashes(tmp_path / "in") == before
    assert main(["validate", str(out)]) == 0
    units = pd.read_csv(out / "units.csv", dtype=str, keep_default_na=False).replace("", None)
    pd.testing.assert_frame_equal(units, expected_units())


@pytest.mark.parametrize(("unit", "levels"), [("市县联合督导组", ("city", "county")),
                                              ("中国农业银行W县支行", ("central", "county"))])
def test_unit_naming_two_levels_is_reported(tmp_path: Path, unit: str, levels: tuple[str, ...]) -> None:
    villages = write_villages(tmp_path / "in")
    roster = write_roster(tmp_path / "in", roster_rows(unit_5=unit))
    before = tree_hashes(tmp_path / "in")
    result = import_roster([roster], villages, hmap=load_header_map(), salt=SALT, start_date="2021-06-01")
    found = [p for p in result.report.problems if p.code == "unit_level_ambiguous"]
    assert [(p.file, p.row, p.column, p.value) for p in found] == [(SHEET, 7, "派出单位", unit)]
    assert dict(found[0].params)["level_list"] == levels
    assert "两级" in found[0].format("zh")
    out = tmp_path / "out"
    salt = tmp_path / "salt.txt"
    salt.write_bytes(SALT)
    assert main(["import", "roster", str(roster), "--villages", str(villages), "--out", str(out), "--salt-file",
                 str(salt), "--start-date", "2021-06-01"]) == 2
    assert not (out / "units.csv").exists()
    assert tree_hashes(tmp_path / "in") == before


def test_levels_map_settles_a_two_level_name(tmp_path: Path) -> None:
    extra = tmp_path / "map.toml"
    extra.write_text('[levels]\n"中国农业银行W县支行" = "county"\n[strength]\n"农业银行" = "general"\n',
                     encoding="utf-8")
    hmap = load_header_map([extra])
    assert name_level("中国农业银行W县支行", hmap.levels) == ("county", ())
    assert unit_strength("中国农业银行W县支行", strength_words([extra])) == ("general", ())
    assert unit_sector("中国农业银行W县支行") == "enterprise"


def test_village_names_and_salt_are_required(tmp_path: Path) -> None:
    villages = write_villages(tmp_path / "in")
    roster = write_roster(tmp_path / "in", roster_rows(village_7="新民村"))  # 城关镇 has one 新民村: fine
    result = import_roster([roster], villages, hmap=load_header_map(), salt=None, start_date="2021-06-01")
    assert [p.code for p in result.report.errors] == ["name_no_salt"]
    rows = roster_rows()
    rows[8][4] = None  # no township: 新民村委会 matches W002 and W004
    roster = write_roster(tmp_path / "in2", rows)
    result = import_roster([roster], villages, hmap=load_header_map(), salt=SALT, start_date="2021-06-01")
    assert where(result, "name_ambiguous") == [(SHEET, 9, "驻村村名", "新民村委会")]
    result = import_roster([roster], villages, hmap=load_header_map(), salt=SALT)
    assert len(where(result, "roster_no_date")) == 7


def test_unit_names_linked_to_a_units_table(tmp_path: Path) -> None:
    villages = write_villages(tmp_path / "in")
    roster = write_roster(tmp_path / "in")
    units = tmp_path / "in" / "units.csv"
    units.write_text("unit_id,unit_name,level,strength\nU001,W县民政局,县级,一般\nX9,X市财政局,市级,强势\n"
                     "X10,W县农业农村局 ,县级,强势\n", encoding="utf-8")
    result = import_roster([roster], villages, hmap=load_header_map(), salt=SALT, start_date="2021-06-01",
                           units_file=units)
    assert result.report.ok, result.report.format()
    table = result.tables["units"]
    # the given units first (as written), then the names the table does not hold, with ids not already taken
    assert table["unit_id"].tolist() == ["U001", "X9", "X10", "U002", "U003", "U004"]
    assert table["unit_name"].tolist()[3:] == ["W县档案馆", "省农业农村厅", "W县妇联"]
    assert table["level"].tolist()[:3] == ["县级", "市级", "县级"]  # as written: validate maps them
    assert result.tables["assignments"]["unit_id"].tolist() == ["X9", "X10", "U002", "U003", "U004", "X9", "U001"]
    links = result.details["units_links.csv"]
    assert ",X市财政局,X9,exact" in links and ",W县民政局,U001,exact" in links and ",W县档案馆,,new" in links
    # a close name is never used unconfirmed: 省农业农村厅 is a new unit, W县农业农村局 only its candidate
    new = [p for p in result.report.problems if p.code == "unit_new"]
    assert [(p.row, p.value) for p in new] == [(6, "省农业农村厅")]
    candidates = pd.read_csv(io.StringIO(result.details["units_candidates.csv"]), dtype=str)
    assert candidates.loc[candidates["name"] == "省农业农村厅", "candidate_id"].tolist()[0] == "X10"
    # confirmed, the candidate is used
    candidates["confirm"] = (candidates["name"] == "省农业农村厅") & (candidates["candidate_id"] == "X10")
    candidates["confirm"] = candidates["confirm"].map({True: "是", False: ""})
    matches = tmp_path / "matches.csv"
    candidates.to_csv(matches, index=False)
    result = import_roster([roster], villages, hmap=load_header_map(), salt=SALT, start_date="2021-06-01",
                           units_file=units, matches=matches)
    assert result.tables["assignments"]["unit_id"].tolist() == ["X9", "X10", "U002", "X10", "U003", "X9", "U001"]


def test_formula_like_names_are_neutralised_and_confirmations_still_read(tmp_path: Path) -> None:
    villages = write_villages(tmp_path / "in")
    rows = roster_rows()
    rows[2][5] = "@石桥"  # a village name a spreadsheet would run as a formula (and no exact match)
    roster = write_roster(tmp_path / "in", rows)
    salt = tmp_path / "salt.txt"
    salt.write_bytes(SALT)
    out = tmp_path / "out"
    args = ["import", "roster", str(roster), "--villages", str(villages), "--out", str(out), "--salt-file",
            str(salt), "--start-date", "2021-06-01"]
    assert main(args) == 2
    candidates = pd.read_csv(out / "import" / "roster_candidates.csv", dtype=str, keep_default_na=False)
    assert candidates.loc[0, "name"] == "'@石桥" and candidates.loc[0, "candidate_id"] == "W001"
    candidates.loc[0, "confirm"] = "yes"
    candidates.to_csv(tmp_path / "ok.csv", index=False)
    assert main([*args, "--matches", str(tmp_path / "ok.csv")]) == 0
    assert pd.read_csv(out / "assignments.csv")["village_id"].tolist()[0] == "W001"
