from __future__ import annotations

import pandas as pd

from villageaid.estimators import feols, fepois
from villageaid.report.etable import Column, regression_table, stars

DATA = pd.read_csv("tests/reference/estimators/panel_data.csv")


def test_stars() -> None:
    assert [stars(p) for p in (0.001, 0.03, 0.07, 0.2)] == ["***", "**", "*", ""]


def test_regression_table_layout() -> None:
    ols = feols("y ~ x1 + x2 | unit + period", DATA, vcov={"CRV1": "unit"})
    ppml = fepois("count ~ x1 | unit + period", DATA)
    tidy, table = regression_table(
        [Column("OLS", ols, {"Controls": "No"}), Column("PPML", ppml)],
        {"x1": "First regressor", "x2": "Second regressor", "absent": "Never estimated"},
        title="Test table", label="tab:test", notes=["A note."], fixed_effect_labels={"unit": "Unit"})
    rows = {row[0]: row for row in table.rows}
    assert rows["First regressor"][1] == f"{ols.params['x1']:.3f}{stars(ols.pvalues['x1'])}"
    assert table.rows[table.rows.index(rows["First regressor"]) + 1][1] == f"({ols.std_errors['x1']:.3f})"
    assert rows["Second regressor"][2] == ""  # x2 is not in the PPML model
    assert "Never estimated" not in rows
    assert rows["Unit"][1:] == ["Yes", "Yes"] and rows["period"][1:] == ["Yes", "Yes"]
    assert rows["Observations"][1:] == [f"{ols.nobs:,}", f"{ppml.nobs:,}"]
    assert rows["Controls"][1:] == ["No", ""]
    assert table.notes[-1].startswith("Standard errors in parentheses")
    assert set(tidy["model"]) == {"(1) OLS", "(2) PPML"}
    assert r"\VApanel{}{rr}" in table.to_latex()


def test_the_latex_style_the_tables_need_is_installed_with_the_package() -> None:
    """to_latex() writes \\VAtable and its helpers: the installed villageaid.sty defines every one of them, and the
    paper's own style is that very file."""
    import re
    from pathlib import Path

    import villageaid as va

    style = va.latex_style()
    assert style.is_file() and style.name == "villageaid.sty"
    defined = set(re.findall(r"\\newcommand\{(\\VA[A-Za-z]+)\}", style.read_text(encoding="utf-8")))
    renderer = Path(__file__).parents[2] / "src" / "villageaid" / "report" / "render.py"
    used = set(re.findall(r"\\VA[A-Za-z]+", renderer.read_text(encoding="utf-8")))
    assert used and used <= defined
    paper_style = Path(__file__).parents[2] / "paper" / "villageaid.sty"
    assert paper_style.resolve() == style.resolve()
