"""The generated LaTeX tables compile (when xelatex is installed; skipped otherwise)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from villageaid.cli import main

pytestmark = pytest.mark.skipif(shutil.which("xelatex") is None, reason="xelatex is not installed (make latex)")


def test_generated_tables_compile_with_xelatex(tmp_path: Path) -> None:
    assert main(["simulate", "--out", str(tmp_path / "data")]) == 0
    assert main(["panel", str(tmp_path / "data"), "--out", str(tmp_path / "panel.parquet")]) == 0
    assert main(["tables", str(tmp_path / "panel.parquet"), "--out", str(tmp_path / "tables"), "--figures",
                 str(tmp_path / "figures"), "--bootstrap-draws", "99"]) == 0
    inputs = "\n".join(f"\\input{{tables/{p.name}}}" for p in sorted((tmp_path / "tables").glob("table*.tex")))
    (tmp_path / "doc.tex").write_text(
        "\\documentclass{article}\\usepackage{fontspec}\\setmainfont{Noto Serif CJK SC}"
        "\\usepackage{booktabs}\\usepackage{float}\n"
        f"\\begin{{document}}\n{inputs}\n\\end{{document}}\n", encoding="utf-8")
    result = subprocess.run(["xelatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"], cwd=tmp_path,
                            capture_output=True, text=True, check=False, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:]
    assert (tmp_path / "doc.pdf").stat().st_size > 10_000
