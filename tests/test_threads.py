"""Threads: the VILLAGEAID_THREADS budget, one BLAS thread inside the estimators, and the same bytes whatever the
BLAS thread count (the estimators in this process; the whole build in the integration test)."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from villageaid.threads import (
    THREADS_ENV,
    available_cores,
    default_workers,
    fixed_blas_order,
    one_blas_thread,
    thread_budget,
)
from villageaid.workflow.cli import main

REPO = Path(__file__).resolve().parents[1]


def _blas_threads() -> list[int]:
    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


def test_the_budget_is_the_variable_else_the_cores() -> None:
    assert thread_budget({}) == available_cores() >= 1
    assert thread_budget({THREADS_ENV: ""}) == available_cores()
    assert thread_budget({THREADS_ENV: " 3 "}) == 3
    assert default_workers({THREADS_ENV: "1"}) == 1


@pytest.mark.parametrize("value", ["0", "-2", "two", "1.5"])
def test_a_bad_budget_is_refused_naming_the_variable_and_the_value(value: str) -> None:
    with pytest.raises(ValueError, match=rf"{THREADS_ENV}='{value}': expected a whole number of threads"):
        thread_budget({THREADS_ENV: value})


def test_the_command_line_refuses_a_bad_budget_with_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv(THREADS_ENV, "many")
    assert main(["simulate", "--out", str(tmp_path / "data")]) == 2
    assert f"{THREADS_ENV}='many': expected a whole number of threads" in capsys.readouterr().err
    assert not (tmp_path / "data").exists()  # refused before anything is done


def test_fixed_blas_order_runs_one_thread_inside_and_restores_outside() -> None:
    seen: list[list[int]] = []

    @fixed_blas_order
    def inside() -> None:
        seen.append(_blas_threads())

    with threadpool_limits(2):
        before = _blas_threads()
        inside()
        with one_blas_thread():
            seen.append(_blas_threads())
            inside()  # nested: still one thread, and the outer block restores the threads
            seen.append(_blas_threads())
        assert _blas_threads() == before
        inside()
        assert _blas_threads() == before
    assert all(threads == 1 for group in seen for threads in group)


@pytest.fixture(scope="module")
def default_panel():
    from villageaid.panel import build_panel
    from villageaid.simulation import simulate

    return build_panel(simulate().tables)


def _estimates(panel) -> bytes:
    """Estimates whose BLAS sums changed with the thread count before they ran in a fixed order: the CRV3
    jackknife of the unit fixed-effects models (Table 3b) and the smoothness sensitivity and pre-test power of an
    event study (Table 8b)."""
    from villageaid.analysis.pretrends import arrival_sensitivity
    from villageaid.analysis.returns import returns_models
    from villageaid.analysis.selection import selection_models
    from villageaid.workflow.outputs import paper_variance

    returns = returns_models(panel)
    selection = selection_models(panel, vcov=paper_variance("CRV3"))
    results = (selection, returns, arrival_sensitivity(panel, returns=returns))
    return pickle.dumps([r.tidy() if hasattr(r, "tidy") else r for r in results])


def test_estimates_are_the_same_bits_with_one_and_two_blas_threads(default_panel) -> None:
    with threadpool_limits(1):
        one = _estimates(default_panel)
    with threadpool_limits(2):
        two = _estimates(default_panel)
    assert one == two


def _build(root: Path, threads: int) -> str:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": str(threads), THREADS_ENV: str(threads),
           "PYTHONPATH": os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")])}
    subprocess.run([sys.executable, "-m", "villageaid.workflow.cli", "build", "--root", str(root), "--pdf", "no"],
                   check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return (root / "paper" / "MANIFEST.sha256").read_text(encoding="utf-8")


@pytest.mark.integration
def test_the_paper_outputs_are_the_same_bytes_with_one_and_two_blas_threads(tmp_path: Path) -> None:
    # one BLAS thread and one worker, then two BLAS threads and two workers: the manifest of every table, figure
    # and the codebook must be the same bytes
    one, two = _build(tmp_path / "one", 1), _build(tmp_path / "two", 2)
    assert one.count("\n") > 90
    assert one == two, "the paper's outputs depend on the BLAS thread count"
