"""The ledger template: filled with the simulated data it validates and builds the same panel."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from villageaid.io import load_header_map, read_raw
from villageaid.io.template import describe_headers, template_header, write_template
from villageaid.panel.village_year import build_panel
from villageaid.schema import RAW_TABLES, VALUE_LABELS_ZH
from villageaid.simulation import SCENARIOS, simulate
from villageaid.workflow.cli import main


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("sim")
    data = simulate(SCENARIOS["seed_true"](), seed=20240601)
    for name, frame in data.tables.items():
        frame.to_csv(directory / f"{name}.csv", index=False)
    return directory


def test_filled_template_builds_the_same_panel(simulated: Path, tmp_path: Path) -> None:
    original = read_raw(simulated)
    assert original.report.ok
    folder = tmp_path / "ledger"
    folder.mkdir()
    write_template(folder / "模板.xlsx", original.tables)
    back = read_raw(folder)
    assert back.report.ok, back.report.format()
    assert back.report.problems == [], back.report.format()
    for name in RAW_TABLES:
        assert len(back.tables[name]) == len(original.tables[name]), name
    assert back.tables["funding"]["amount"].sum() == pytest.approx(original.tables["funding"]["amount"].sum(),
                                                                   rel=1e-12, abs=0)
    pd.testing.assert_frame_equal(build_panel(back.tables), build_panel(original.tables), check_dtype=False,
                                  check_categorical=False, rtol=1e-12, atol=0)


def test_template_has_a_sheet_per_table_headers_dropdowns_and_instructions(tmp_path: Path) -> None:
    path = tmp_path / "模板.xlsx"
    assert main(["template", "--out", str(path)]) == 0
    book = load_workbook(path)
    assert book.sheetnames[:2] == ["填写说明", "填写示例"]
    for schema in RAW_TABLES.values():
        sheet = book[schema.label_zh]
        headers = [c.value for c in sheet[1]]
        assert headers == [template_header(c) for c in schema.columns]
        assert all("\n" in h for h in headers)  # Chinese above the English name
        assert sheet.max_row == 1  # no example rows among the data
    levels = [v for v in book["派出单位"].data_validations.dataValidation if "中央" in (v.formula1 or "")]
    assert levels and all(VALUE_LABELS_ZH["level"][lv] in levels[0].formula1 for lv in VALUE_LABELS_ZH["level"])
    yes_no = [v for v in book["村庄基本情况"].data_validations.dataValidation if v.formula1 == '"是,否"']
    assert yes_no
    unit_lists = [v for v in book["帮扶资金"].data_validations.dataValidation if "派出单位" in (v.formula1 or "")]
    assert unit_lists
    # The empty template is read as a ledger with no records yet: reported, not a crash.
    assert not read_raw(tmp_path).report.ok


def test_examples_sheet_is_not_read(tmp_path: Path, simulated: Path) -> None:
    original = read_raw(simulated)
    write_template(tmp_path / "模板.xlsx", original.tables)
    raw = read_raw(tmp_path)
    assert len(raw.tables["villages"]) == len(original.tables["villages"])
    assert raw.files["villages"] == ["模板.xlsx:村庄基本情况"]


def test_headers_command_lists_every_accepted_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["headers"]) == 0
    text = capsys.readouterr().out
    hmap = load_header_map()
    for table in RAW_TABLES.values():
        assert table.label_zh in text
        for column in table.columns:
            assert column.label_zh.split("(")[0] in text
    for stem in hmap.tables:
        assert stem in text
    assert "市县联合" in text and "亿元" in text
    assert describe_headers(hmap, "zh").startswith("## 村庄基本情况")


def test_template_has_the_two_lists_with_chinese_headers(tmp_path: Path) -> None:
    path = write_template(tmp_path / "模板.xlsx")
    book = load_workbook(path)
    for name, sheet_name, first in (("needs", "需求清单", "村庄编号\nvillage_id"),
                                    ("unit_resources", "资源清单", "派出单位编号\nunit_id")):
        sheet = book[sheet_name]
        headers = [c.value for c in sheet[1]]
        assert headers == [template_header(c) for c in RAW_TABLES[name].columns] and headers[0] == first
    assert [c.value for c in book["需求清单"][1]][2] == "需求缺口（比例）\ngap"
    dimensions = [v for v in book["需求清单"].data_validations.dataValidation if "基层治理" in (v.formula1 or "")]
    assert dimensions and all(label in dimensions[0].formula1 for label in VALUE_LABELS_ZH["dimension"].values())
    kinds = [v for v in book["资源清单"].data_validations.dataValidation if "干部选派名额" in (v.formula1 or "")]
    assert kinds
    units = [v for v in book["资源清单"].data_validations.dataValidation if "派出单位" in (v.formula1 or "")]
    assert units  # unit identifiers from the units sheet
    examples = [[c.value for c in row] for row in book["填写示例"].iter_rows()]
    assert any(r and r[0] == "需求清单（needs）" for r in examples)
    assert any(r[:3] == ["U001", "干部选派名额", 3] for r in examples)
    guide = " ".join(str(c.value) for row in book["填写说明"].iter_rows() for c in row if c.value)
    assert "需求清单" in guide and "干部选派名额不得少于" in guide
