"""The reading rules every input shares (io/inputs.py), header maps read by them, validated sets proven whole, and
the records' two holes (GB18030 beyond GBK, 1_000)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import VALID_CSV, write_tables
from villageaid.io import read_raw
from villageaid.io.headers import _bracket_depth, load_header_map
from villageaid.io.inputs import check_finite_columns, read_csv_input, read_input_text, special_file_problem
from villageaid.io.problems import DataError, ValidationReport
from villageaid.io.provenance import (
    PROVENANCE_DIGEST,
    TABLE_ROWS,
    check_table_values,
    check_validated_set,
    provenance_digest,
    write_validated_set,
)


def test_special_files_are_refused_without_opening(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)  # opening it would block until a writer comes: the check must not open it
    assert special_file_problem(fifo).code == "special_file"
    assert "FIFO" in special_file_problem(fifo).message("en")
    assert "命名管道" in special_file_problem(fifo).message("zh")
    assert "character device" in special_file_problem("/dev/null").message("en")
    assert special_file_problem(tmp_path).code == "input_is_folder"
    assert special_file_problem(tmp_path / "missing.csv").code == "input_missing"
    (tmp_path / "broken").symlink_to(tmp_path / "nowhere")
    assert "broken link" in special_file_problem(tmp_path / "broken").message("en")
    (tmp_path / "ok.csv").write_text("a\n1\n", encoding="utf-8")
    (tmp_path / "link.csv").symlink_to(tmp_path / "ok.csv")
    assert special_file_problem(tmp_path / "ok.csv") is None and special_file_problem(tmp_path / "link.csv") is None


@pytest.mark.parametrize("data, frame_rows, code", [
    ("village_id,unit_id\n村一,单位甲\n".encode("gbk"), 1, None),
    ("village_id,unit_id\n村一,单位甲\n".encode("utf-16"), 1, None),
    ("village_id,unit_id\n\U00020bb7村,单位甲\n村二,单位乙\n".encode("gb18030"), 2, None),
    (b"village_id,unit_id\nV1,U1,extra\nV2,U2\n", 1, "csv_extra_fields"),
    (b"village_id,unit_id\nV1\n", 1, None),  # a short line is padded
    (b"", None, "empty_file"),
    (b" \n\n", None, "empty_file"),
    (b"village_id,unit_id\n", 0, "no_rows"),
    ("village_id,unit_id\nVé,U\n".encode("latin-1"), None, "undecodable"),
])
def test_a_csv_input_is_read_as_validate_reads_a_table(tmp_path: Path, data: bytes, frame_rows: int | None,
                                                       code: str | None) -> None:
    path = tmp_path / "policy.csv"
    path.write_bytes(data)
    frame, report = read_csv_input(path, "assignments CSV")
    if code is None:
        assert report.ok, report.format()
    else:
        assert code in {p.code for p in report.errors} and all(p.file == str(path) for p in report.errors)
    if frame_rows is None:
        assert frame is None
    else:
        assert len(frame) == frame_rows and list(frame.columns) == ["village_id", "unit_id"]
    if code == "csv_extra_fields":
        assert frame.index.tolist() == [3] and report.errors[0].row == 2  # rows as a spreadsheet numbers them


def test_small_text_inputs_have_a_size_limit_and_the_records_encodings(tmp_path: Path) -> None:
    path = tmp_path / "map.toml"
    path.write_bytes("[tables]\n\"资金\" = \"funding\"\n".encode("gb18030"))
    assert "资金" in read_input_text(path, "header map")
    path.write_bytes(b"x" * 2000)
    with pytest.raises(DataError, match="more than the 1,000 a header map may hold"):
        read_input_text(path, "header map", max_bytes=1000)


def test_infinite_values_of_a_frame_are_reported_by_column() -> None:
    frame = pd.DataFrame({"a": [1.0, np.inf, -np.inf], "b": [1, 2, 3], "c": [0.5, np.nan, 1.0]})
    report = ValidationReport()
    check_finite_columns(frame, "panel.parquet", report)
    assert [(p.column, p.row) for p in report.errors] == [("a", 2)]
    assert "2 such values" in report.errors[0].message("en")


def test_header_map_depth_and_unknown_names(tmp_path: Path) -> None:
    assert _bracket_depth("x = " + "[" * 1000 + "]" * 1000) == 1000
    assert _bracket_depth('[tables]\n"a[[[" = "villages" # [[[\n[[a]]\nb = [1, [2]]\n') == 2
    path = tmp_path / "map.toml"
    path.write_text("x = " + "[" * 100_000 + "]" * 100_000, encoding="utf-8")
    with pytest.raises(ValueError, match="nested 100000 deep"):
        load_header_map([path])
    path.write_text('[values.rol]\n"书记" = "first_secretary"\n[colums.funding]\n"钱" = "amount"\n'
                    '[columns.funding]\n"钱" = "amout"\n', encoding="utf-8")
    with pytest.raises(ValueError) as error:
        load_header_map([path])
    text = str(error.value)  # every problem at once
    assert "did you mean 'role'" in text and "unknown section [colums]" in text and "did you mean 'amount'" in text


def _records(tmp_path: Path, **changes: str) -> Path:
    return write_tables(tmp_path / "records", {**VALID_CSV, **changes})


def test_a_unit_on_either_line_of_a_two_line_header_is_honoured(tmp_path: Path) -> None:
    funding = VALID_CSV["funding"].replace("amount", '"帮扶资金\namount (yuan)"').replace("10.5", "105000")
    raw = read_raw(_records(tmp_path, funding=funding))
    assert raw.report.ok, raw.report.format()
    assert raw.tables["funding"]["amount"].tolist() == pytest.approx([10.5, 0.002, 0.0005, 0.0])


def test_two_units_on_a_two_line_header_are_reported(tmp_path: Path) -> None:
    funding = VALID_CSV["funding"].replace("amount", '"帮扶资金（元）\namount (万元)"')
    raw = read_raw(_records(tmp_path, funding=funding))
    problem = next(p for p in raw.report.errors if p.code == "header_units_disagree")
    assert problem.file == "funding.csv" and "元 and 万元" in problem.message("en")
    same = VALID_CSV["funding"].replace("amount", '"帮扶资金（万元）\namount (wan)"')
    assert read_raw(_records(tmp_path / "same", funding=same)).report.ok


def test_gb18030_beyond_gbk_is_read(tmp_path: Path) -> None:
    data = _records(tmp_path)
    (data / "villages.csv").write_bytes(VALID_CSV["villages"].replace(",T1,", ",\U00020bb7村镇,").encode("gb18030"))
    raw = read_raw(data)
    assert raw.report.ok, raw.report.format()
    assert raw.tables["villages"]["township"].astype(str).tolist()[0] == "\U00020bb7村镇"


@pytest.mark.parametrize("amount", ["1_000", "1__0", "_5"])
def test_python_numeric_literals_are_not_amounts(tmp_path: Path, amount: str) -> None:
    raw = read_raw(_records(tmp_path, funding=VALID_CSV["funding"].replace("10.5", amount)))
    problem = next(p for p in raw.report.errors if p.column == "amount")
    assert problem.value == amount and problem.code == "not_amount"


def test_a_validated_set_carries_its_digest_and_row_counts(tmp_path: Path) -> None:
    raw = read_raw(_records(tmp_path))
    folder = tmp_path / "set"
    folder.mkdir()
    write_validated_set(raw.tables, raw.provenance, tmp_path / "records", folder)
    content = json.loads((folder / "provenance.json").read_text(encoding="utf-8"))
    assert content[PROVENANCE_DIGEST] == provenance_digest(content)
    assert content[TABLE_ROWS]["funding"] == 4 and content[TABLE_ROWS]["needs"] == 0
    assert check_validated_set(folder) == content["validated_tables"]


def test_values_read_from_a_set_are_checked_again() -> None:
    tables = {"funding": pd.DataFrame({"amount": [1.0, -2.0, np.inf]}),
              "villages": pd.DataFrame({"population": [10, 20]})}
    with pytest.raises(DataError) as error:
        check_table_values(tables, "set")
    (problem,) = error.value.report.errors
    assert (problem.table, problem.column, problem.row, problem.value) == ("funding", "amount", 2, "-2.0")
    assert "2 value(s)" in problem.message("en")
