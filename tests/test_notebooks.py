"""The notebooks run from top to bottom on a freshly built panel (they are committed without outputs)."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from villageaid.workflow.cli import main

pytestmark = pytest.mark.integration
NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


@pytest.fixture(scope="module")
def panel_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("notebook_data")
    assert main(["simulate", "--out", str(folder / "data")]) == 0
    assert main(["panel", str(folder / "data"), "--out", str(folder / "panel.parquet")]) == 0
    return folder / "panel.parquet"


def test_there_are_notebooks() -> None:
    assert [p.name for p in NOTEBOOKS][:5] == ["01-explore-data.ipynb", "02-level-endowment-funding.ipynb",
                                               "03-logic-shift-did.ipynb", "04-demonstration-villages.ipynb",
                                               "05-county-records.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_and_is_committed_without_outputs(path: Path, panel_file: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    notebook = nbformat.read(path, as_version=4)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")
    monkeypatch.setenv("VILLAGEAID_PANEL", str(panel_file))
    client = NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute(env={**os.environ})
    errors = [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors
    if "summary()" in "".join(cell.source for cell in notebook.cells):
        # a results summary renders as an HTML table in the notebook, not as text with escaped line breaks
        html = [o["data"]["text/html"] for c in notebook.cells if c.cell_type == "code" and "summary()" in c.source
                for o in c.get("outputs", []) if "text/html" in o.get("data", {})]
        assert html and all("<table>" in h for h in html)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_a_narrative_inline_plots_and_points_to_the_codebook(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    markdown = [c for c in notebook.cells if c.cell_type == "markdown"]
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert len(markdown) >= 4 and len(markdown) * 2 >= len(code)  # a story, not a script
    assert code[0].source.startswith("%matplotlib inline")
    assert any("CODEBOOK.md" in c.source for c in markdown)
