"""Safe outputs and a report a county official can act on: escaping, salts, languages, limits, hints."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import VALID_CSV, write_tables
from villageaid.io import read_raw
from villageaid.io.problems import KEEP_PER_GROUP, Problem
from villageaid.io.pseudonym import WeakSaltError, check_salt, load_salt
from villageaid.io.write import neutralize_cell, write_csv
from villageaid.report.render import FormattedTable
from villageaid.workflow.cli import main


def test_csv_cells_that_would_run_as_formulas_are_neutralised(tmp_path: Path) -> None:
    frame = pd.DataFrame({"county": ['=HYPERLINK("http://x","y")', "+cmd", "@SUM(A1)", "-2+3+cmd|' /C calc'!A0",
                                     "\tx", "W县"],
                          "estimate": ["-0.123", "-0.5***", "0.2", "-", "(0.10)", "1e-3"],
                          "value": [-1.0, 2.0, 3.0, 4.0, 5.0, 6.0]})
    path = write_csv(frame, tmp_path / "t.csv")
    back = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert back["county"].tolist() == ["'" + v for v in frame["county"][:5]] + ["W县"]
    assert back["estimate"].tolist() == frame["estimate"].tolist()  # plain numbers written as text stay
    assert back["value"].tolist() == ["-1.0", "2.0", "3.0", "4.0", "5.0", "6.0"]
    assert neutralize_cell(3) == 3 and neutralize_cell("=1") == "'=1"
    header = write_csv(pd.DataFrame({"=cmd": [1]}), tmp_path / "h.csv").read_text(encoding="utf-8")
    assert header.startswith("'=cmd")


def test_markdown_and_latex_cells_are_escaped() -> None:
    table = FormattedTable("Table 1. <b>x</b>", "tab:x", ["county", "n"],
                           [["A|B<script>alert(1)</script>", "1"], ["C\u202eD\nE", "2"]], notes=["p < 0.1 & more"])
    markdown = table.to_markdown()
    assert "<script>" not in markdown and "<b>" not in markdown and "A\\|B" in markdown and "&lt;b" in markdown
    assert "\u202e" not in markdown and "C" in markdown
    assert all(line.count("|") - line.count("\\|") in (0, 3) for line in markdown.splitlines())
    latex = table.to_latex()
    assert "\u202e" not in latex and "\\&" in latex


def test_report_lines_escape_control_and_bidirectional_characters() -> None:
    problem = Problem.of("warning", "", "a\nOK: valid\u202e.csv", 3, "col\r\x1b[31m", "v\u202ex", "ignored_file")
    line = problem.format("en")
    assert "\n" not in line and "\r" not in line and "\x1b" not in line and "\u202e" not in line
    assert "\\u000a" in line and "\\u202e" in line


@pytest.mark.parametrize("salt", [b"", b"x", b"abc123", b"a" * 40, b"ab" * 10, b"0123456"])
def test_weak_salts_are_refused(salt: bytes) -> None:
    with pytest.raises(WeakSaltError, match=r"secrets\.token_hex"):
        check_salt(salt, "test")


def test_strong_salt_is_accepted_and_never_echoed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    strong = b"3f9a1c7e5b2d8f4a6c0e1b3d5f7a9c2e"
    assert check_salt(strong, "test") == strong
    monkeypatch.setenv("VILLAGEAID_SALT", "short")
    with pytest.raises(WeakSaltError) as info:
        load_salt(None)
    assert "short" not in str(info.value)
    with pytest.raises(ValueError):
        read_raw(write_tables(tmp_path, VALID_CSV), salt=b"x")


def test_many_bad_cells_are_counted_and_summarised(tmp_path: Path) -> None:
    rows = "".join(f"V1,2020,bad{i},unit,U1\n" for i in range(250))
    directory = write_tables(tmp_path, {**VALID_CSV, "funding": "village_id,year,amount,source,unit_id\n" + rows})
    report = read_raw(directory).report
    assert report.count("error") == 250
    assert len(report.errors) == KEEP_PER_GROUP
    text = report.format(max_lines=10)
    assert "250 × error: funding.csv / amount: non-numeric amount" in text
    assert text.splitlines()[-1] == "250 error(s), 0 warning(s)"


def test_report_in_chinese_from_the_environment(valid_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    broken = write_tables(tmp_path / "d", {**VALID_CSV, "units": VALID_CSV["units"].replace(",city,", ",市县联合,")})
    monkeypatch.setenv("VILLAGEAID_LANG", "zh")
    assert main(["validate", str(broken)]) == 2
    out = capsys.readouterr().out
    assert "错误 [units] units.csv，第 2 行" in out and "单位层级有歧义" in out and "共 1 个错误" in out
    monkeypatch.delenv("VILLAGEAID_LANG")
    assert main(["validate", str(broken), "--lang", "en"]) == 2
    assert "ambiguous unit level" in capsys.readouterr().out


def test_unknown_header_gets_did_you_mean(tmp_path: Path) -> None:
    outcomes = VALID_CSV["outcomes"].replace("industry_active", "产业存读")
    report = read_raw(write_tables(tmp_path, {**VALID_CSV, "outcomes": outcomes})).report
    warning = next(p for p in report.warnings if p.code == "unexpected_column")
    assert "did you mean 产业存续" in warning.rule and "是否应为“产业存续" in warning.message("zh")


def test_panel_refuses_output_inside_the_input(valid_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = sorted(p.name for p in valid_dir.iterdir())
    assert main(["panel", str(valid_dir), "--out", str(valid_dir / "panel.parquet")]) == 2
    assert "inside the input folder" in capsys.readouterr().err
    assert sorted(p.name for p in valid_dir.iterdir()) == before


def test_provenance_records_the_amount_unit(tmp_path: Path) -> None:
    funding = VALID_CSV["funding"].replace("amount", "帮扶资金（单位：元）").replace("10.5", "105000")
    funding = funding.replace(",20,", ",200000,").replace(",5,", ",50000,")
    directory = write_tables(tmp_path / "d", {**VALID_CSV, "funding": funding})
    out = tmp_path / "validated"
    assert main(["validate", str(directory), "--out", str(out)]) == 0
    import json

    provenance = json.loads((out / "provenance.json").read_text(encoding="utf-8"))
    (entry,) = [v for v in provenance["amount_units"].values() if v["column"] == "amount"]
    assert (entry["unit"], entry["stated_in"]) == ("元", "header")
    assert np.allclose(pd.read_parquet(out / "funding.parquet")["amount"], [10.5, 20.0, 5.0, 0.0], rtol=1e-12, atol=0)
