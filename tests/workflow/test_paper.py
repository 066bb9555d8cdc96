"""The PDF tells the truth on any data (when xelatex is installed; skipped otherwise).

Each number the text quotes appears in its table, no column is cut, tables keep the numbers of their files,
the bibliography is there, and "simulated" appears only for simulated data.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from tests.workflow.test_build import _records
from villageaid.registry import KEY_ESTIMATES
from villageaid.report.key_numbers import key_value
from villageaid.workflow.build import PDF, PDF_ZH, TABLES, BuildConfig, build

pytestmark = [pytest.mark.skipif(shutil.which("xelatex") is None, reason="xelatex is not installed (make latex)"),
              pytest.mark.integration]
REPO = Path(__file__).resolve().parents[2]


def _project(root: Path) -> Path:
    (root / "paper").mkdir(parents=True)
    for source in sorted((REPO / "paper").iterdir()):  # main.tex, main_zh.tex, references.bib, villageaid.sty
        if source.suffix in (".tex", ".bib", ".sty"):
            shutil.copy2(source, root / "paper" / source.name)
    return root


def _pdf_text(root: Path, pdf: Path = PDF) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(root / pdf).pages)


def test_pdf_on_simulated_data(tmp_path: Path) -> None:
    root = _project(tmp_path / "project")
    build(BuildConfig(root=root, bootstrap_draws=99, pdf="yes"), log=lambda m: None)
    text = _pdf_text(root)
    flat = " ".join(text.split())
    assert "Simulated-data edition" in flat
    # the Chinese edition, from the same numbers, written as a Chinese journal article
    chinese = "".join(_pdf_text(root, PDF_ZH).split())  # lines break anywhere in Chinese text
    for heading in ("摘要", "关键词", "一、引言", "二、制度背景", "、局限", "、结论"):
        assert heading in chinese, heading
    assert "模拟数据版" in chinese and "十二个可检验的假说" in chinese and "??" not in chinese
    for key in KEY_ESTIMATES:
        if key.macro is not None and key.claim and key.interval is not None:
            assert f"{key_value(root / TABLES, key):.{key.digits}f}" in chinese, key.id
    assert "Missing character" not in (root / "paper" / "main_zh.log").read_text(encoding="utf-8", errors="replace")
    # the English edition: grouped by claim, counted from the registry, one sentence for the breakdown values
    assert "twelve testable hypotheses" in flat and "Fragile results" in flat and "Conclusion" in flat
    assert flat.count("(the breakdown value)") == 0 and "H8: vertical gaps exceed horizontal gaps" in flat
    for key in KEY_ESTIMATES:
        if key.macro is None:
            continue
        quoted = f"{key_value(root / TABLES, key):.{key.digits}f}"
        assert quoted in flat, (key.id, quoted)  # the text quotes it ...
        table = (root / TABLES / key.file.replace(".csv", ".tex")).read_text(encoding="utf-8")
        assert quoted in table or quoted.lstrip("-") in table, (key.id, quoted)  # ... and its table shows it
    # the numbers of the files and the README, not LaTeX's running count (which would reach Table 13)
    assert "Table 6b" in flat and "Table 8b" in flat and "Table 9" in flat and "Table 13" not in flat
    assert "(6)" in flat and "asinh(funding)" in flat  # Table 3's last column is on the page
    assert "References" in flat and "Callaway" in flat and "Goodman-Bacon" in flat
    assert "\uff07" not in text  # no full-width apostrophes
    log = (root / "paper" / "main.log").read_text(encoding="utf-8", errors="replace")
    assert "Overfull \\hbox" not in log
    assert "Missing character" not in log


def test_pdf_on_county_records_of_another_shape(tmp_path: Path) -> None:
    records = _records(tmp_path / "county", designations=False, villages=150)  # one county, no designations
    units = pd.read_csv(records / "units.csv")
    units.loc[units.index % 3 != 0, "level"] = "city"  # many city-level units: many type-A villages
    units.to_csv(records / "units.csv", index=False)
    root = _project(tmp_path / "project")
    build(BuildConfig(root=root, data=records, bootstrap_draws=99, pdf="yes"), log=lambda m: None)
    flat = " ".join(_pdf_text(root).split())
    assert "Results on county records" in flat
    assert "Simulated-data" not in flat and "simulated data" not in flat.lower().replace("simulated data from", "")
    assert "SIMULATED" not in flat
    assert "1 county" in flat
    assert "records of W county" in flat and "records in" not in flat  # named by the records, not the folder
    assert "Fragile results" in flat
    assert "台账：recordsofWcounty" in "".join(_pdf_text(root, PDF_ZH).split())
    assert "not estimated" in flat.lower()  # Table 6 explains why it is empty
    assert "no village is designated a demonstration village" in flat
    typology = pd.read_csv(root / TABLES / "table1_typology.csv")
    row = typology.loc[(typology["period"] == "transition") & (typology["county"] == "All")
                       & (typology["village_type"] == "A")].iloc[0]
    assert row["share"] > 0.2  # a different shape from the default data ...
    assert f"A {int(row['villages'])} ({100 * row['share']:.0f}%)" in flat  # ... and the notes say so
