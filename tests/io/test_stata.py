"""Stata and R: `.dta` records read with their value labels; the panel exported as .dta/CSV/Parquet with the
codebook's labels, and the .dta read back by pandas equals the Parquet panel (values and labels)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import VALID_CSV, tree_hashes, write_tables
from villageaid.io.read import read_raw
from villageaid.io.stata import STATA_LABEL_CHARS, export_panel, panel_labels, stata_label
from villageaid.workflow.cli import main


def _plain(column: pd.Series) -> list[object]:
    """Values as Python objects, missing as None, yes/no as 0/1, numbers as floats (how Stata stores them)."""
    out = []
    for value in column.astype(object).tolist():
        if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)) or value == "":
            out.append(None)
        elif isinstance(value, (bool, np.bool_)):
            out.append(float(value))
        elif isinstance(value, (int, float, np.integer, np.floating)):
            out.append(float(value))
        else:
            out.append(str(value))
    return out


@pytest.fixture
def panel_file(tmp_path: Path) -> Path:
    folder = write_tables(tmp_path / "data", VALID_CSV)
    out = tmp_path / "panel.parquet"
    assert main(["panel", str(folder), "--out", str(out)]) == 0
    return out


def test_dta_export_reads_back_as_the_parquet_panel(panel_file: Path, tmp_path: Path) -> None:
    panel = pd.read_parquet(panel_file)
    target = tmp_path / "panel.dta"
    before = tree_hashes(panel_file.parent)
    assert main(["export", str(panel_file), "--format", "dta", "--out", str(target)]) == 0
    assert {k: v for k, v in tree_hashes(panel_file.parent).items() if k != "panel.dta"} == before
    back = pd.read_stata(target)
    assert list(back.columns) == list(panel.columns)
    for column in panel.columns:
        assert _plain(back[column]) == _plain(panel[column]), column
    with pd.io.stata.StataReader(target) as reader:
        labels = reader.variable_labels()
        value_labels = reader.value_labels()
        data_label = reader.data_label
    expected = {c: stata_label(*panel_labels()[c]) for c in panel.columns}
    assert labels == expected
    assert labels["city_unit"] == "市级及以上派出单位 City-level first secretary"
    assert all(len(text) <= STATA_LABEL_CHARS for text in labels.values())
    # categories are value labels, in the codebook's order (every category, also those not observed)
    assert list(value_labels["period"].values()) == list(panel["period"].cat.categories)
    assert list(value_labels["first_secretary_level"].values()) == list(
        panel["first_secretary_level"].cat.categories)
    assert data_label.startswith("villageaid village x year panel")
    # the same panel gives the same bytes
    again = tmp_path / "again.dta"
    assert main(["export", str(panel_file), "--out", str(again)]) == 0
    assert again.read_bytes() == target.read_bytes()


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_csv_and_parquet_exports_carry_a_codebook(panel_file: Path, tmp_path: Path, fmt: str) -> None:
    panel = pd.read_parquet(panel_file)
    target = tmp_path / f"export.{fmt}"
    assert main(["export", str(panel_file), "--format", fmt, "--out", str(target)]) == 0
    back = pd.read_csv(target) if fmt == "csv" else pd.read_parquet(target)
    for column in panel.columns:
        assert _plain(back[column]) == _plain(panel[column]), column
    book = pd.read_csv(tmp_path / "export_codebook.csv")
    assert book["variable"].tolist() == list(panel.columns)
    assert book.set_index("variable").loc["funding_total", "label_zh"] == "帮扶资金合计"


def test_export_refuses_what_stata_cannot_hold(tmp_path: Path) -> None:
    frame = pd.DataFrame({"village_id": ["V1"], "x" * 33: [1.0]})
    with pytest.raises(ValueError, match="no codebook label"):
        export_panel(frame, "dta", tmp_path / "a.dta")
    assert stata_label("E" * 90, "中") == "E" * 80
    bad = tmp_path / "bad.parquet"
    bad.write_text("not parquet", encoding="utf-8")
    assert main(["export", str(bad), "--out", str(tmp_path / "x.dta")]) == 2


def test_dta_records_are_read_with_value_labels(tmp_path: Path) -> None:
    folder = write_tables(tmp_path / "data", {k: v for k, v in VALID_CSV.items() if k != "units"})
    units = pd.DataFrame({"unit_id": ["U1", "U2"], "unit_name": ["X市财政局", "K县民政局"],
                          "level": pd.Categorical(["市级", "县级"]), "strength": pd.Categorical(["强势", "一般"])})
    units.to_stata(folder / "units.dta", write_index=False, version=118)
    with pd.io.stata.StataReader(folder / "units.dta") as reader:  # stored as labelled numbers
        assert reader.value_labels()["level"]
    before = tree_hashes(folder)
    raw = read_raw(folder)
    assert raw.report.ok, raw.report.format()
    assert raw.tables["units"]["level"].astype(str).tolist() == ["city", "county"]
    assert raw.tables["units"]["strength"].astype(str).tolist() == ["strong", "general"]
    assert raw.files["units"] == ["units.dta"]
    assert tree_hashes(folder) == before
