"""The registry: every model and output declared once, and everything else derived from it.

Checks that each model id and output stem is written once in ``src/``; that the docs, ``tables --help``, the paper's
sections and the build's file lists come from the declarations; and, in a temporary copy of the package, that a
new output needs changes to three files at most to reach the build, the docs lists and the paper.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import villageaid.estimators
from villageaid.registry import ANALYSES, KEY_ESTIMATES, MODEL_SPECS, OUTPUTS, OUTPUTS_BY_STEM, output_showing
from villageaid.workflow.cli import main
from villageaid.workflow.docs import DOCUMENTS, paper_section, paper_sections, update_docs
from villageaid.workflow.outputs import BUILD_FILES, output_files, resolve

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src" / "villageaid"


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def _result_paths(tree: ast.AST) -> set[int]:
    """The ``result`` arguments of ModelSpec declarations: attribute paths, which may coincide with model ids."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "ModelSpec":
            arguments = [*node.args[2:3], *(k.value for k in node.keywords if k.arg == "result")]
            found |= {id(a) for a in arguments}
    return found


def _texts(tree: ast.AST) -> list[tuple[int, str, bool]]:
    """Every string literal outside docstrings and result paths: (line, text, is an f-string pattern)."""
    docstrings, out = _docstrings(tree) | _result_paths(tree), []
    in_fstrings = {id(v) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for v in node.values}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings \
                and id(node) not in in_fstrings:
            out.append((node.lineno, node.value, False))
        elif isinstance(node, ast.JoinedStr):
            pieces = [re.escape(v.value) if isinstance(v, ast.Constant) else ".+" for v in node.values]
            if any(isinstance(v, ast.Constant) and len(v.value) >= 3 for v in node.values):
                out.append((node.lineno, "".join(pieces), True))
    return out


def test_each_model_id_and_output_stem_is_written_once_in_src() -> None:
    names = {m.id: "model id" for m in MODEL_SPECS.values()} | {o.stem: "output stem" for o in OUTPUTS}
    # The generic estimators know nothing of the paper: a word there that is also a model id ("within", a part
    # of the Theil index) names something else. Elsewhere, the estimator functions' names (sun_abraham,
    # anderson_hsiao) name functions where they stand alone, except in the registry's declarations.
    functions = set(villageaid.estimators.__all__)
    found: dict[str, list[str]] = {name: [] for name in names}
    for path in sorted(SRC.rglob("*.py")):
        if path.parent.name == "estimators":
            continue
        declarations = path.name == "registry.py"
        for line, text, pattern in _texts(ast.parse(path.read_text(encoding="utf-8"))):
            where = f"{path.relative_to(SRC)}:{line}"
            for name in names:
                if pattern:
                    hit = re.fullmatch(text, name) is not None  # an f-string that builds the name
                elif "_" in name:
                    hit = re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", text) is not None \
                        and not (text == name and name in functions and not declarations)
                else:
                    hit = text == name  # a plain word ("twfe", "within"): only as the whole string
                if hit:
                    found[name].append(where)
    assert {name: places for name, places in found.items() if len(places) != 1} == {}
    assert all(places[0].startswith("registry.py") for places in found.values())


def test_declarations_are_complete_and_consistent() -> None:
    for output in OUTPUTS:
        resolve(output.writer)  # every writer exists
        assert set(output.needs) <= set(ANALYSES), output.stem
        assert all(model.analysis in output.needs for model in output.models), output.stem
        assert (output.kind == "table") == bool(output.label), output.stem
        assert output.kind == "table" or output.caption, output.stem
    for analysis in ANALYSES.values():
        resolve(analysis.function)
        assert set(analysis.needs) | set(analysis.uses) <= set(ANALYSES)
    for model in MODEL_SPECS.values():
        assert model.analysis in ANALYSES and model.label, model.id
    shown = {model.id for output in OUTPUTS for model in output.models}
    assert set(MODEL_SPECS) == shown  # every model appears in the paper
    for key in KEY_ESTIMATES:  # every key number is read from a table that shows it
        assert key.file.removesuffix(".csv") in OUTPUTS_BY_STEM
        if key.source in MODEL_SPECS.values():
            assert output_showing(key.source).stem == key.file.removesuffix(".csv")


def test_docs_list_every_output() -> None:
    assert update_docs(REPO, check=True) == [], "run 'make docs' (villageaid docs) and commit README.md and " \
                                                 "paper/README.md"
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    paper_readme = (REPO / "paper" / "README.md").read_text(encoding="utf-8")
    for output in OUTPUTS:
        for name in output_files(output):
            assert name in readme and name in paper_readme
        assert output.title_zh in readme


def test_docs_check_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for relative in DOCUMENTS:
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / relative, tmp_path / relative)
    assert main(["docs", "--root", str(tmp_path), "--check"]) == 0
    stale = (tmp_path / "README.md").read_text(encoding="utf-8").replace("table7_inequality.csv", "old.csv")
    (tmp_path / "README.md").write_text(stale, encoding="utf-8")
    assert main(["docs", "--root", str(tmp_path), "--check"]) == 1
    assert "out of date: README.md" in capsys.readouterr().err
    assert main(["docs", "--root", str(tmp_path)]) == 0
    assert main(["docs", "--root", str(tmp_path), "--check"]) == 0


def test_tables_help_lists_every_file(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["tables", "--help"])
    text = capsys.readouterr().out
    for output in OUTPUTS:
        assert output.title in text
        assert all(name in text for name in output_files(output))
    assert all(name in text for name in BUILD_FILES)


def test_paper_inputs_each_output_once_in_its_section() -> None:
    main_tex = (REPO / "paper" / "main.tex").read_text(encoding="utf-8")
    sections = paper_sections()
    for name in sections:
        assert main_tex.count(f"\\input{{{name.removesuffix('.tex')}") == 1, name
    text = "".join(sections.values())
    for output in OUTPUTS:
        reference = (f"\\input{{tables/{output.stem}.tex}}" if output.kind == "table"
                     else f"{{figures/{output.stem}.pdf}}")
        assert text.count(reference) == 1, output.stem
        if output.editions == "simulated":  # only where the build wrote it
            assert f"\\IfFileExists{{tables/{output.stem}.tex}}" in text
    # main.tex inputs no output itself (only the sections, the key numbers and the generated text)
    assert "\\input{tables/" not in main_tex.replace("tables/key_numbers.tex", "").replace("tables/paper_text.tex", "")
    assert paper_section("consequences").count("\\VADataCaption)") == 1  # the caption's open parenthesis closed


TOY_ANALYSIS = """    AnalysisSpec("toy", "villageaid.analysis.toy:toy_models"),
"""
TOY_MODEL = """TOY_ENDOWMENT = ModelSpec("toy_endowment", "toy", "endowment", "asinh(funding)", ("H2",), "feols")

"""
TOY_TABLE = """TOY_TABLE = OutputSpec(
    "table_toy_endowment", "table", "Table T. A toy hypothesis: endowment and funding", "表T 示例：禀赋与资金",
    needs=("toy",), writer="villageaid.report.tables:models_table", models=(TOY_ENDOWMENT,), label="tab:toy",
    caption="A toy hypothesis: asinh(funding) on the endowment index within county-years.",
    program="analysis/toy.py")

"""
TOY_ANALYSIS_MODULE = '''"""A toy hypothesis (an example of adding one): richer villages get more funding."""

from __future__ import annotations

import pandas as pd

from villageaid.analysis.variables import analysis_frame
from villageaid.estimators import feols


def toy_models(panel: pd.DataFrame) -> dict:
    """Estimate asinh(funding) on the endowment index within county-years, errors clustered by village."""
    frame = analysis_frame(panel)
    return {"endowment": feols("asinh_funding_total ~ endowment_index | county_year", frame,
                               vcov={"CRV1": "village"})}
'''
TOY_TEST = '''from villageaid.analysis.toy import toy_models
from villageaid.io.validate import validate_tables
from villageaid.panel import build_panel
from villageaid.simulation import simulate


def test_toy_models_estimate_the_endowment_slope():
    panel = build_panel(validate_tables(simulate().tables)[0])
    model = toy_models(panel)["endowment"]
    assert model.nobs == len(panel) and "endowment_index" in model.params.index
'''


def _declare_toy(registry: str) -> str:
    """Add the toy analysis, model and table to the registry's text as CONTRIBUTING.md says."""
    analyses_end = registry.index(")}\n", registry.index("ANALYSES: dict[str, AnalysisSpec]"))
    registry = registry[:analyses_end] + TOY_ANALYSIS + registry[analyses_end:]
    models_at = registry.index("MODEL_SPECS: dict[str, ModelSpec]")
    registry = registry[:models_at] + TOY_MODEL + registry[models_at:]
    outputs_at = registry.index("#: Every output, in the order the paper places them.")
    registry = registry[:outputs_at] + TOY_TABLE + registry[outputs_at:]
    assert "TABLE4, TABLE5," in registry
    return registry.replace("TABLE4, TABLE5,", "TABLE4, TOY_TABLE, TABLE5,")


@pytest.mark.integration
def test_a_toy_output_reaches_the_build_the_docs_and_the_paper_by_touching_three_files(tmp_path: Path) -> None:
    copy = tmp_path / "project"
    shutil.copytree(REPO / "src", copy / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for relative in ("README.md", "paper/README.md", "paper/main.tex"):
        (copy / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / relative, copy / relative)
    package = copy / "src" / "villageaid"
    # The three files of a new hypothesis: its declarations (registry), its analysis and the analysis's test.
    registry = package / "registry.py"
    registry.write_text(_declare_toy(registry.read_text(encoding="utf-8")), encoding="utf-8")
    (package / "analysis" / "toy.py").write_text(TOY_ANALYSIS_MODULE, encoding="utf-8")
    (copy / "test_toy.py").write_text(TOY_TEST, encoding="utf-8")
    environment = {**os.environ, "PYTHONPATH": str(copy / "src"), "MPLBACKEND": "Agg"}
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "import villageaid\n"
        "print(villageaid.__file__)\n"
        "import pandas as pd\n"
        "from villageaid.io.validate import validate_tables\n"
        "from villageaid.panel import build_panel\n"
        "from villageaid.simulation import simulate\n"
        "from villageaid.registry import OUTPUTS_BY_STEM\n"
        "from villageaid.workflow.outputs import build_outputs\n"
        "from villageaid.workflow.docs import paper_section, update_docs\n"
        "out = Path(sys.argv[1])\n"
        "panel = build_panel(validate_tables(simulate().tables)[0])\n"
        "build_outputs(panel, out / 'tables', out / 'figures', bootstrap_draws=0, workers=1,\n"
        "              outputs=[OUTPUTS_BY_STEM['table_toy_endowment']], log=lambda m: None)\n"
        "print(update_docs(Path(sys.argv[2])))\n"
        "print(paper_section('results'))\n")
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "out"), str(copy)], env=environment,
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.startswith(str(package))  # the copy, not the installed package, was imported
    table = (tmp_path / "out" / "tables" / "table_toy_endowment.md").read_text(encoding="utf-8")
    assert "A toy hypothesis: endowment and funding" in table and "endowment_index" in table
    assert "toy_endowment" in (tmp_path / "out" / "tables" / "table_toy_endowment.csv").read_text(encoding="utf-8")
    assert "'README.md', 'paper/README.md'" in done.stdout  # the docs lists were regenerated
    for relative in ("README.md", "paper/README.md"):
        assert "table_toy_endowment.csv" in (copy / relative).read_text(encoding="utf-8")
    assert "\\input{tables/table_toy_endowment.tex}" in done.stdout  # the paper inputs it in its section
    help_text = subprocess.run([sys.executable, "-m", "villageaid", "tables", "--help"], env=environment,
                               capture_output=True, text=True, timeout=120, check=True).stdout
    assert "table_toy_endowment.md" in help_text
    tested = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(copy / "test_toy.py")],
                            env=environment, cwd=copy, capture_output=True, text=True, timeout=300, check=False)
    assert tested.returncode == 0, tested.stdout[-2000:]
