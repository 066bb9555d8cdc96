"""Village codes (统计用区划代码) and the crosswalk of merged villages: checks, reports, and the panel."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import VALID_CSV, tree_hashes, write_tables
from villageaid.io.codes import build_panel_with_crosswalk, code_problem, is_code_column
from villageaid.io.read import read_raw
from villageaid.panel.village_year import build_panel
from villageaid.workflow.cli import main

V1, V2, V3 = "520123101201", "520123101202", "520123102201"


def coded_tables() -> dict[str, str]:
    """The shared valid records with 12-digit codes as village ids and codes in county and township."""
    out = {}
    for name, text in VALID_CSV.items():
        text = text.replace("V1", V1).replace("V2", V2).replace("V3", V3)
        if name == "villages":
            text = text.replace(",K,T1,", ",520123,520123101,").replace(",K,T2,", ",520123,520123102,")
        out[name] = text
    return out


def problems(report, code: str) -> list:
    return [p for p in report.problems if p.code == code]


def test_code_rules() -> None:
    assert code_problem(V1) is None
    assert code_problem("52012310120")[0] == "code_format"  # 11 digits
    assert code_problem("520123101000")[0] == "code_format"  # a township's code
    assert code_problem("520123000000")[0] == "code_format"  # a county's code
    assert code_problem("520123101401")[0] == "code_range"
    assert is_code_column(pd.Series([V1, V2, "X"])) and not is_code_column(pd.Series(["V1", "V2"]))


def test_valid_codes_pass(tmp_path: Path) -> None:
    raw = read_raw(write_tables(tmp_path / "d", coded_tables()))
    assert raw.report.ok, raw.report.format()
    assert raw.crosswalk is None


def test_prefix_contradicting_county(tmp_path: Path) -> None:
    tables = coded_tables()
    tables["villages"] = tables["villages"].replace(f"{V3},520123,", f"{V3},520124,")
    folder = write_tables(tmp_path / "d", tables)
    before = tree_hashes(folder)
    raw = read_raw(folder)
    found = problems(raw.report, "code_prefix")
    assert [(p.file, p.row, p.column, p.value) for p in found] == [("villages.csv", 4, "village_id", V3)]
    assert "520124" in found[0].format() and "county" in found[0].format()
    assert tree_hashes(folder) == before
    assert main(["validate", str(folder)]) == 2


def test_prefix_against_division_codes_by_name(tmp_path: Path) -> None:
    tables = coded_tables()
    tables["villages"] = tables["villages"].replace(",520123,520123101,", ",K县,城关镇,").replace(
        ",520123,520123102,", ",K县,河西乡,")
    folder = write_tables(tmp_path / "d", tables)
    (folder / "division_codes.csv").write_text("code,name\n520123,K县\n520123101,城关镇\n520123103,河西乡\n",
                                               encoding="utf-8")
    raw = read_raw(folder)
    found = problems(raw.report, "code_prefix")
    assert [(p.row, p.value) for p in found] == [(4, V3)]
    assert "520123103" in found[0].format()
    assert not [p for p in raw.report.problems if p.code == "ignored_file"]


CROSSWALK = f"old_code,new_code,year,change\n{V2},{V1},2021,merge\n"


def test_crosswalk_folds_history_into_successor(tmp_path: Path) -> None:
    folder = write_tables(tmp_path / "d", coded_tables())
    (folder / "crosswalk.csv").write_text(CROSSWALK, encoding="utf-8")
    raw = read_raw(folder)
    assert raw.report.ok, raw.report.format()
    assert raw.crosswalk is not None and not [p for p in raw.report.problems if p.code == "ignored_file"]
    plain = build_panel(raw.tables)
    merged = build_panel_with_crosswalk(raw.tables, None, raw.crosswalk)
    assert set(merged["village_id"].astype(str)) == {V1, V3}
    one = merged.loc[merged["village_id"].astype(str) == V1].set_index("year")
    assert one["merged_from"].eq(V2).all()
    assert merged.loc[merged["village_id"].astype(str) == V3, "merged_from"].eq("").all()
    # V2's 5 万元 of 2021 joins V1's history; V1's own 2020 funding stays
    assert one.loc[2021, "funding_total"] == pytest.approx(5.0)
    assert one.loc[2020, "funding_total"] == pytest.approx(30.5)
    total = plain["funding_total"].sum()
    assert merged["funding_total"].sum() == pytest.approx(total)
    # the demonstration designation of V2 (2021) is now V1's
    assert one.loc[2021, "demonstration"] == 1
    # without a crosswalk the function is build_panel itself
    pd.testing.assert_frame_equal(build_panel_with_crosswalk(raw.tables, None, None), plain)


def test_crosswalk_outcomes_combine(tmp_path: Path) -> None:
    tables = coded_tables()
    tables["outcomes"] += f"{V2},2020,2.4,6000,0\n"
    folder = write_tables(tmp_path / "d", tables)
    (folder / "crosswalk.csv").write_text(CROSSWALK, encoding="utf-8")
    raw = read_raw(folder)
    merged = build_panel_with_crosswalk(raw.tables, None, raw.crosswalk).set_index(["village_id", "year"])
    row = merged.loc[(V1, 2020)]
    assert row["collective_income"] == pytest.approx(1.6 + 2.4)
    assert row["per_capita_income"] == pytest.approx((9000 * 800 + 6000 * 1200) / 2000)
    assert bool(row["industry_active"]) is True
    # an unknown part cannot be added: a missing collective income of one merged village leaves the sum missing
    tables["outcomes"] = tables["outcomes"].replace(f"{V2},2020,2.4,6000,0", f"{V2},2020,,6000,")
    folder = write_tables(tmp_path / "e", tables)
    (folder / "crosswalk.csv").write_text(CROSSWALK, encoding="utf-8")
    raw = read_raw(folder)
    row = build_panel_with_crosswalk(raw.tables, None, raw.crosswalk).set_index(["village_id", "year"]).loc[(V1, 2020)]
    assert np.isnan(row["collective_income"]) and bool(row["industry_active"]) is True


@pytest.mark.parametrize(("text", "code", "where"), [
    (f"old_code,new_code,year\n{V2},{V1},2021\n{V1},{V2},2021\n", "crosswalk_cycle", (2, "new_code", V1)),
    (f"old_code,new_code,year\n{V2},{V1},2021\n{V2},{V3},2021\n", "crosswalk_two_successors", (3, "new_code", V3)),
    (f"old_code,new_code,year\n{V2},{V1},2021\n{V2},{V3},2022\n", "crosswalk_retired", (3, "old_code", V2)),
    (f"old_code,new_code,year\n{V2},520123101299,2021\n", "crosswalk_unknown", (2, "new_code", "520123101299")),
    (f"原代码,新代码,变更年份\n{V2},5201231012,2021\n", "code_format", (2, "新代码 (new_code)", "5201231012")),
    (f"old_code,new_code,year\n{V2},{V2},2021\n", "crosswalk_cycle", (2, "new_code", V2)),
])
def test_hostile_crosswalks(tmp_path: Path, text: str, code: str, where: tuple) -> None:
    folder = write_tables(tmp_path / "d", coded_tables())
    (folder / "crosswalk.csv").write_text(text, encoding="utf-8")
    before = tree_hashes(folder)
    raw = read_raw(folder)
    found = problems(raw.report, code)
    assert [(p.file, p.row, p.column, p.value) for p in found] == [("crosswalk.csv", *where)], raw.report.format()
    assert tree_hashes(folder) == before
    assert main(["validate", str(folder), "--lang", "zh"]) == 2


def test_panel_command_with_crosswalk(tmp_path: Path) -> None:
    folder = write_tables(tmp_path / "d", coded_tables())
    (folder / "区划代码变更.csv").write_text(CROSSWALK, encoding="utf-8")
    assert main(["validate", str(folder), "--out", str(tmp_path / "validated")]) == 0
    assert (tmp_path / "validated" / "crosswalk.parquet").is_file()
    for source in (folder, tmp_path / "validated"):
        out = tmp_path / f"panel_{source.name}.parquet"
        assert main(["panel", str(source), "--out", str(out)]) == 0
        panel = pd.read_parquet(out)
        assert set(panel["village_id"].astype(str)) == {V1, V3}
        assert np.array_equal(panel.loc[panel["village_id"].astype(str) == V1, "merged_from"].unique(), [V2])


def test_build_stages_apply_the_crosswalk(tmp_path: Path) -> None:
    from villageaid.workflow import build

    folder = write_tables(tmp_path / "d", coded_tables())
    (folder / "crosswalk.csv").write_text(CROSSWALK, encoding="utf-8")
    config = build.BuildConfig(root=tmp_path / "project", data=folder)
    build._run_validate(config)
    assert (config.path(build.VALIDATED) / "crosswalk.parquet").is_file()
    build._run_panel(config)
    panel = pd.read_parquet(config.path(build.PANEL))
    assert set(panel["village_id"].astype(str)) == {V1, V3}
    assert panel.loc[panel["village_id"].astype(str) == V1, "merged_from"].eq(V2).all()


def test_code_problems_render_in_chinese(tmp_path: Path) -> None:
    tables = coded_tables()
    tables["villages"] = tables["villages"].replace(f"{V3},520123,", f"{V3},520124,").replace(V2, "52012310120")
    raw = read_raw(write_tables(tmp_path / "d", tables))
    lines = [p.format("zh") for p in raw.report.problems if p.code in ("code_prefix", "code_format")]
    assert any("县级前缀 520123 与“所属县”列不符" in line for line in lines)
    assert any("村级代码为 12 位数字" in line for line in lines)


def test_crosswalk_as_a_sheet_of_the_records_workbook(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    with pd.ExcelWriter(folder / "台账.xlsx") as writer:
        for name, text in coded_tables().items():
            pd.read_csv(__import__("io").StringIO(text), dtype=str).to_excel(writer, sheet_name=name, index=False)
        pd.DataFrame({"原代码": [V2], "新代码": [V1], "变更年份": [2021]}).to_excel(writer, sheet_name="合村并居",
                                                                             index=False)
    raw = read_raw(folder)
    assert raw.report.ok, raw.report.format()
    assert raw.crosswalk is not None and raw.crosswalk.frame["source_file"].tolist() == ["台账.xlsx:合村并居"]


def test_crosswalk_chain_joins_the_final_successor(tmp_path: Path) -> None:
    tables = coded_tables()
    v4 = "520123102202"
    tables["villages"] += f"{v4},520123,520123102,600,0,0.10,5.0,22.0\n"
    tables["funding"] += f"{v4},2021,3,county,\n"
    folder = write_tables(tmp_path / "d", tables)
    (folder / "crosswalk.csv").write_text(f"old_code,new_code,year\n{V3},{V2},2019\n{V2},{V1},2021\n",
                                          encoding="utf-8")
    raw = read_raw(folder)
    assert raw.report.ok, raw.report.format()
    panel = build_panel_with_crosswalk(raw.tables, None, raw.crosswalk)
    assert set(panel["village_id"].astype(str)) == {V1, v4}
    panel = panel.loc[panel["village_id"].astype(str) == V1]
    assert panel["merged_from"].eq(f"{V2};{V3}").all()
    plain = build_panel(raw.tables)
    predecessors = plain.loc[plain["village_id"].astype(str).isin([V1, V2, V3]), "funding_total"].sum()
    assert panel["funding_total"].sum() == pytest.approx(predecessors)
