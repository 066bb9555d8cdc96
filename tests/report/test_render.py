"""The LaTeX of the paper's tables: never scaled, long column labels broken, a common value stated once, and a
table too wide for a landscape page split into panels of columns (paper/villageaid.sty places the rest)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from villageaid.report.etable import Column, regression_table, short_cluster_label
from villageaid.report.render import ColumnGroup, FormattedTable, Spanning

REPO = Path(__file__).resolve().parents[2]


def _table(columns: int, cell: str = "0.123***", **options) -> FormattedTable:
    header = ["", *[f"({i}) asinh(funding per village)" for i in range(1, columns + 1)]]
    rows = [["City-level first secretary", *[cell] * columns], ["Fixed effects"],
            ["Standard errors", Spanning("CRV3 by village (270)")]]
    return FormattedTable("Table 3. Unit level", "tab:x", header, rows, notes=["A note."], **options)


def test_no_table_is_scaled() -> None:
    for renderer in (REPO / "src" / "villageaid" / "report").glob("*.py"):
        text = renderer.read_text(encoding="utf-8")
        assert not re.search(r"resizebox|scalebox|adjustbox|\\tiny\b|\\scriptsize\b", text), renderer.name
    sources = [REPO / "paper" / "villageaid.sty", REPO / "paper" / "main.tex", REPO / "paper" / "main_zh.tex"]
    for source in sources:
        text = re.sub(r"%.*", "", source.read_text(encoding="utf-8"))
        assert not re.search(r"resizebox|scalebox|adjustbox|max width", text), source.name
    # 8 pt in any class (ctexart's 小四 makes \scriptsize 7.5 pt)
    assert r"\newcommand{\VAtablefont}{\fontsize{8}{9.5}\selectfont}" in sources[0].read_text(encoding="utf-8")


def test_latex_states_a_common_value_once_and_breaks_long_labels() -> None:
    latex = _table(6).to_latex()
    assert latex.startswith(r"\VAtable{3}{Unit level}{tab:x}{%")
    assert latex.count("CRV3 by village (270)") == 1 and r"\VAspan{6}{CRV3 by village (270)}" in latex
    assert r"\VAhead{(1) \\ asinh(funding \\ per village)}" in latex
    assert r"\VApanelrow{7}{Fixed effects}" in latex and r"\midrule\VAendhead" in latex
    assert latex.count(r"\VApanel{") == 1  # it fits a landscape page: LaTeX chooses the orientation
    markdown = _table(6).to_markdown()
    assert markdown.count("CRV3 by village (270)") == 6  # Markdown has no spanning cells


def test_a_table_too_wide_for_a_landscape_page_is_split_into_panels() -> None:
    latex = _table(12, cell="[-10.051, 11.227]").to_latex()
    panels = re.findall(r"\\VApanel\{([^}]*)\}\{(r+)\}", latex)
    assert len(panels) >= 2 and sum(len(spec) for _, spec in panels) == 12
    assert panels[0][0].startswith("Panel A: columns 1–")
    assert latex.count("City-level first secretary") == len(panels)  # each panel repeats the row labels


def test_declared_column_panels_and_groups() -> None:
    table = _table(4, groups=[ColumnGroup("", 1), ColumnGroup("Transition", 2), ColumnGroup("Campaign", 2)],
                   column_panels=(ColumnGroup("A. Transition", 2), ColumnGroup("B. Campaign", 2)))
    latex = table.to_latex()
    assert re.findall(r"\\VApanel\{([^}]*)\}", latex) == ["A. Transition", "B. Campaign"]
    assert latex.count(r"\multicolumn{2}{c}{Transition}") == 1 and latex.count(r"\cmidrule(lr){2-3}") == 2
    with pytest.raises(ValueError, match="column panels cover 3 of 4"):
        _table(4, column_panels=(ColumnGroup("A", 3),)).to_latex()


def test_standard_errors_row_is_short_and_once_when_shared() -> None:
    import pandas as pd

    from villageaid.estimators import feols

    data = pd.read_csv(REPO / "tests" / "reference" / "estimators" / "panel_data.csv")
    one = feols("y ~ x1 | unit + period", data, vcov={"CRV1": "unit"})
    two = feols("y ~ x1 + x2 | unit + period", data, vcov={"CRV1": "unit"})
    tidy, table = regression_table([Column("A", one), Column("B", two)], {"x1": "x1"}, title="T", label="tab:t",
                                   notes=[])
    row = next(r for r in table.rows if r[0] == "Standard errors")
    assert row == ["Standard errors", "CRV1 by unit (150)"] and isinstance(row[1], Spanning)
    assert short_cluster_label(one) == "CRV1 by unit (150)"
    assert set(tidy["vcov"]) == {"clustered (CRV1) by unit (150)"}  # the tidy output keeps the full label
    assert any(n.startswith("Standard errors: CRV1, cluster-robust (sandwich); the number of clusters") for n in
               table.notes)
    iid = feols("y ~ x1 | unit + period", data, vcov="iid")
    _, mixed = regression_table([Column("A", one), Column("B", iid)], {"x1": "x1"}, title="T", label="tab:t",
                                notes=[])
    assert next(r for r in mixed.rows if r[0] == "Standard errors") == ["Standard errors", "CRV1 by unit (150)", "iid"]
