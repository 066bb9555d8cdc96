from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.panel.test_village_year import _tables
from villageaid.io.validate import validate_tables
from villageaid.panel import build_panel
from villageaid.registry import TABLE1
from villageaid.report import OutputContext, table1, write_table
from villageaid.report.render import latex_escape


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    tables, _ = validate_tables(_tables())
    panel = build_panel(tables)
    panel.attrs["data_source"] = "simulated, scenario test, seed 1"
    return panel


def test_table1_counts(panel: pd.DataFrame) -> None:
    tidy, formatted = table1(OutputContext(TABLE1, panel, {}))
    counts = tidy.set_index(["period", "county", "village_type"]).sort_index()["villages"]
    assert counts.loc["campaign", "All"].tolist() == [1, 1, 3, 0]  # V3 has no first secretary in 2020
    assert counts.loc["transition", "All"].tolist() == [1, 1, 1, 3]
    row_c = next(r for r in formatted.rows if r[0].startswith("C:"))
    assert row_c[1:3] == ["3 (60.0%)", "3 (60.0%)"]
    assert row_c[-2] == "5.0"  # (15 + 0 + 0) / 3 village-years
    assert formatted.rows[-1][:5] == ["Total", "5", "5", "6", "6"]


def test_table1_says_the_data_are_simulated(panel: pd.DataFrame) -> None:
    _, formatted = table1(OutputContext(TABLE1, panel, {}))
    assert "SIMULATED" in formatted.to_markdown()
    latex = formatted.to_latex()
    assert "SIMULATED" in latex
    for piece in (r"\VAtable{1}", r"\VApanel{}", r"\midrule", r"\cmidrule(lr)", r"{tab:typology}"):
        assert piece in latex
    assert "60.0\\%" in latex


def test_write_table_is_atomic_and_reproducible(panel: pd.DataFrame, tmp_path: Path) -> None:
    tidy, formatted = table1(OutputContext(TABLE1, panel, {}))
    first = [p.read_bytes() for p in write_table("t1", tidy, formatted, tmp_path)]
    second = [p.read_bytes() for p in write_table("t1", tidy, formatted, tmp_path)]
    assert first == second
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t1.csv", "t1.md", "t1.tex"]  # no temporary files left


def test_latex_escape() -> None:
    assert latex_escape("50% & a_b #1 {x}") == r"50\% \& a\_b \#1 \{x\}"
