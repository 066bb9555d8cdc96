"""The paper's build: outputs grouped by the analyses they share, and the same bytes in parallel and serially."""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

import villageaid.analysis.persistence
import villageaid.executor
import villageaid.report.paper_figures
import villageaid.report.tables
import villageaid.workflow.outputs
from tests.conftest import tree_hashes
from villageaid.estimators.limits import DATA_LIMITS, NoVariationError, TooFewError
from villageaid.io.validate import validate_tables
from villageaid.panel import build_panel
from villageaid.registry import ANALYSES, OUTPUTS, OutputSpec
from villageaid.simulation import simulate
from villageaid.workflow.cli import main
from villageaid.workflow.outputs import (
    WRITE_SECONDS,
    OutputError,
    analyses_needed,
    analysis_homes,
    build_outputs,
    groups_sharing_analyses,
    longest_first,
    task_seconds,
)


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    tables, report = validate_tables(simulate().tables)
    assert report.ok
    panel = build_panel(tables)
    panel.attrs["data_source"] = "simulated, scenario default"
    return panel


def test_groups_never_split_a_long_analysis() -> None:
    groups = groups_sharing_analyses(OUTPUTS)
    repeatable = {name for name, spec in ANALYSES.items() if spec.repeatable}
    assert sorted(o.stem for g in groups for o in g) == sorted(o.stem for o in OUTPUTS)
    homes: dict[str, set[int]] = {}
    for number, group in enumerate(groups):
        for output in group:
            for need in analyses_needed([output]):
                homes.setdefault(need, set()).add(number)
    # Each analysis outside the repeatable ones is estimated in one group only (with the analyses it needs or
    # uses); the allocation models may repeat.
    assert all(len(where) == 1 for need, where in homes.items() if need not in repeatable)
    assert any(len(homes[need]) > 1 for need in repeatable)
    assert len(groups) >= 6  # enough independent work for two cores


def test_each_analysis_is_estimated_in_one_task() -> None:
    # The allocation models, which Tables 3 and 8 and the coefficient figure need in three groups, are estimated
    # once: in the group needing the fewest analyses; the outputs of the other groups that need them are written
    # by the parent process from the returned results.
    groups = sorted(groups_sharing_analyses([o for o in OUTPUTS if o.reads == "analyses"]), key=len, reverse=True)
    homes = analysis_homes(groups)
    assert set(homes) == set(analyses_needed([o for g in groups for o in g]))
    needing = {name: [i for i, g in enumerate(groups) if name in analyses_needed(g)] for name in homes}
    for name, home in homes.items():
        assert home in needing[name]
        assert len(analyses_needed(groups[home])) == min(len(analyses_needed(groups[i])) for i in needing[name])
    assert len(needing["allocation_transition"]) > 1


def test_every_analysis_declares_a_positive_cost() -> None:
    assert all(0 < spec.cost < 60 for spec in ANALYSES.values())
    assert set(WRITE_SECONDS) == {o.kind for o in OUTPUTS}


def test_a_task_costs_its_analyses_once_and_its_writes() -> None:
    # Table 9 and the cap curve need the policy simulator, which needs the returns models: each counted once.
    policy_task = (("table9_policies", "figure_cap_curve"), ())
    assert task_seconds(policy_task) == pytest.approx(
        ANALYSES["returns"].cost + ANALYSES["policy"].cost + WRITE_SECONDS["table"] + WRITE_SECONDS["figure"],
        rel=1e-12)
    # analyses returned to the parent process count too, once even when an output of the task needs them
    assert task_seconds(((), ("allocation_transition", "allocation_campaign"))) == pytest.approx(
        ANALYSES["allocation_transition"].cost + ANALYSES["allocation_campaign"].cost, rel=1e-12)
    assert task_seconds((("table8_level_strength_matching",), ("allocation_transition",))) == pytest.approx(
        ANALYSES["allocation_transition"].cost + ANALYSES["matching"].cost + WRITE_SECONDS["table"], rel=1e-12)


def test_tasks_are_ordered_longest_first_and_ties_keep_their_order() -> None:
    quick = (("table6b_persistence",), ())
    also_quick = (("table8d_industry_mismatch",), ())  # two analyses of the default cost
    long = (("table6e_spillover",), ())
    assert task_seconds(quick) < task_seconds(long)
    assert longest_first([quick, long]) == [long, quick]
    tied = ((), ("persistence",)), ((), ("inequality",))
    assert task_seconds(tied[0]) == task_seconds(tied[1])
    assert longest_first(list(tied)) == list(tied) and longest_first(list(tied[::-1])) == list(tied[::-1])
    assert longest_first([quick, also_quick, long])[0] == long


def test_the_build_hands_its_tasks_to_the_workers_longest_first(tiny_panel: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    handed: list[tuple] = []

    class Handed(Exception):
        pass

    def recording(function: Callable, n_tasks: int, **options: object) -> object:
        handed.extend(options["task_args"])  # type: ignore[arg-type]
        raise Handed  # what the tasks are and their order is all this test needs: nothing is estimated

    monkeypatch.setattr(villageaid.executor, "run_tasks", recording)
    with pytest.raises(Handed):
        build_outputs(pd.read_parquet(tiny_panel), tmp_path / "t", tmp_path / "f", bootstrap_draws=0,
                      log=lambda line: None, workers=2)
    seconds = [task_seconds(task) for task in handed]
    assert len(handed) > 6 and seconds == sorted(seconds, reverse=True)
    assert "table4_logic_shift" in handed[0][0]  # the event-study group: the longest of the default edition


@pytest.mark.integration
def test_parallel_outputs_are_the_serial_bytes(panel: pd.DataFrame, tmp_path: Path) -> None:
    # A subset that is quick but spans groups: no analysis, a repeated allocation model, inequality.
    chosen = [o for o in OUTPUTS if o.stem in {"table1_typology", "figure_funding_by_type", "table3_level_endowment",
                                               "table7_inequality", "figure_inequality", "table6b_persistence"}]
    logs: dict[int, list[str]] = {1: [], 2: []}
    names: dict[int, list[str]] = {}
    for workers in (1, 2):
        written = build_outputs(panel, tmp_path / f"t{workers}", tmp_path / f"f{workers}", bootstrap_draws=99,
                                log=logs[workers].append, workers=workers, outputs=chosen)
        names[workers] = [p.name for p in written]
        # In the outputs' order whatever order the workers finished in, then the options and the generated text
        # (key numbers, the English and the Chinese paper's text).
        order = [o.stem for o in chosen]
        owners = [max((o for o in order if p.stem.startswith(o)), key=len) for p in written[:-4]]
        assert owners == sorted(owners, key=order.index) and list(dict.fromkeys(owners)) == order
    assert names[1] == names[2]
    assert tree_hashes(tmp_path / "t1") == tree_hashes(tmp_path / "t2")
    assert tree_hashes(tmp_path / "f1") == tree_hashes(tmp_path / "f2")
    # Every output logged once, whichever process wrote it.
    assert sorted(m.split(":")[0] for m in logs[1]) == sorted(m.split(":")[0] for m in logs[2])
    assert {m.split(":")[0] for m in logs[1]} >= {o.stem for o in chosen}


@pytest.fixture
def tiny_panel(valid_dir: Path, tmp_path: Path) -> Path:
    """The panel of the hand-written three-village records: most analyses meet a data limit on it."""
    path = tmp_path / "panel.parquet"
    assert main(["panel", str(valid_dir), "--out", str(path)]) == 0
    return path


def _broken_writer(context: object) -> None:
    raise KeyError("estimat")  # a typo in a writer: a bug, never a property of the data


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_broken_writer_stops_the_build_naming_the_output(tiny_panel: Path, tmp_path: Path, workers: str,
                                                           monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(villageaid.report.tables, "table2", _broken_writer)  # forked workers inherit it
    out = tmp_path / "tables"
    code = main(["tables", str(tiny_panel), "--out", str(out), "--bootstrap-draws", "0", "--workers", workers])
    err = capsys.readouterr().err
    assert code == 1
    assert "table2_descriptives" in err and "KeyError: 'estimat'" in err and "a bug, not a property of the data" in err
    assert "--debug" in err
    assert not list(out.glob("*.md"))  # nothing of a failed build is left behind
    with pytest.raises(OutputError, match="table2_descriptives") as raised:
        main(["--debug", "tables", str(tiny_panel), "--out", str(out), "--bootstrap-draws", "0", "--workers", workers])
    assert "KeyError" in str(raised.value) and "Traceback" in raised.value.details


def _an_analysis_that_would_take_a_minute(*args: object, **kwargs: object) -> None:
    time.sleep(60)


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_bug_stops_the_build_without_waiting_for_the_other_outputs(tiny_panel: Path, tmp_path: Path, workers: str,
                                                                    monkeypatch: pytest.MonkeyPatch,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    # Table 2 is broken; the persistence models, of a task that starts after Table 2's, would take a minute: the
    # build reports the bug at once, never starting them (one process) or ending the worker that runs them (two).
    table2_task = next(t for t in groups_sharing_analyses(OUTPUTS) if "table2_descriptives" in [o.stem for o in t])
    assert task_seconds((("table6b_persistence",), ())) < task_seconds((tuple(o.stem for o in table2_task), ()))
    monkeypatch.setattr(villageaid.report.tables, "table2", _broken_writer)
    monkeypatch.setattr(villageaid.analysis.persistence, "persistence_models", _an_analysis_that_would_take_a_minute)
    before = set(tmp_path.rglob("*"))
    started = time.perf_counter()
    code = main(["tables", str(tiny_panel), "--out", str(tmp_path / "tables"), "--bootstrap-draws", "0",
                 "--workers", workers])
    assert time.perf_counter() - started < 30
    assert code == 1 and "table2_descriptives" in capsys.readouterr().err
    # nothing of the stopped build is left: no output, no staging folder, no half-written file of an ended worker
    assert not [path for path in set(tmp_path.rglob("*")) - before if path.is_file()]


def test_a_bug_in_an_output_written_by_the_parent_process_stops_the_workers_too(
        tiny_panel: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    # Table 3 is written by the build's own process from what the workers return (on these records, that the
    # allocation models cannot be estimated); a failure there ends the workers at once too (the persistence
    # models would take a minute).
    write_not_estimated = villageaid.workflow.outputs.write_not_estimated

    def broken_for_table3(output: OutputSpec, *args: object) -> list[Path]:
        if output.stem == "table3_level_endowment":
            raise KeyError("estimat")
        return write_not_estimated(output, *args)

    monkeypatch.setattr(villageaid.workflow.outputs, "write_not_estimated", broken_for_table3)
    monkeypatch.setattr(villageaid.analysis.persistence, "persistence_models", _an_analysis_that_would_take_a_minute)
    started = time.perf_counter()
    code = main(["tables", str(tiny_panel), "--out", str(tmp_path / "tables"), "--bootstrap-draws", "0",
                 "--workers", "2"])
    assert time.perf_counter() - started < 30
    assert code == 1 and "KeyError" in capsys.readouterr().err


def test_the_build_command_stops_on_a_broken_writer(valid_dir: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(villageaid.report.paper_figures, "write_matching", _broken_writer)
    code = main(["build", "--root", str(tmp_path / "project"), "--data", str(valid_dir), "--until", "tables",
                 "--bootstrap-draws", "0", "--workers", "1"])
    err = capsys.readouterr().err
    assert code == 1 and "figure_matching" in err and "KeyError" in err


def test_a_data_limit_in_a_writer_is_written_as_not_estimated(tiny_panel: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    def limited(context: object) -> None:
        raise NoVariationError("no village changes type in these data")

    monkeypatch.setattr(villageaid.report.tables, "table2", limited)
    out = tmp_path / "tables"
    assert main(["tables", str(tiny_panel), "--out", str(out), "--bootstrap-draws", "0", "--workers", "1"]) == 0
    table = (out / "table2_descriptives.md").read_text(encoding="utf-8")
    assert "Not estimated" in table and "NoVariationError: no village changes type" in table
    assert "table2_descriptives: not estimated on these data" in capsys.readouterr().err


def test_data_limits_are_declared_and_bugs_are_not() -> None:
    from villageaid.estimators.drdid import OverlapError
    from villageaid.estimators.vcov import JackknifeUndefinedError
    from villageaid.estimators.wald import WaldTestUndefinedError

    for limit in (TooFewError, NoVariationError, OverlapError, JackknifeUndefinedError, WaldTestUndefinedError):
        assert issubclass(limit, DATA_LIMITS)
    for bug in (KeyError, IndexError, AttributeError, TypeError, ZeroDivisionError, ValueError):
        assert not issubclass(bug, DATA_LIMITS)


def _counting(calls: Counter, key: str, function: Callable, forbidden: dict) -> Callable:
    def counted(*args: object, **kwargs: object) -> object:
        if forbidden["writing"]:
            raise AssertionError(f"{key} called while {forbidden['writing']} was being formatted")
        calls[key] += 1
        calls[f"{key} from {sys._getframe(1).f_globals['__name__']}"] += 1
        return function(*args, **kwargs)
    return counted


@pytest.mark.integration
def test_each_analysis_is_estimated_once_and_writers_never_estimate(panel: pd.DataFrame, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import villageaid.analysis.returns as returns
    import villageaid.estimators.honest as honest
    import villageaid.estimators.iv as iv
    import villageaid.estimators.pretrends as pretrends
    from villageaid.estimators.ols import FEOLS
    from villageaid.estimators.poisson import FEPoisson
    from villageaid.workflow import outputs

    calls: Counter = Counter()
    forbidden = {"writing": ""}
    real_run = outputs.run_analysis

    def run_counted(name: str, *args: object) -> object:
        calls[f"analysis {name}"] += 1
        return real_run(name, *args)

    monkeypatch.setattr(outputs, "run_analysis", run_counted)
    for module, name in ((honest, "sensitivity_of"), (pretrends, "slope_of"), (iv, "iv_fe"), (returns, "iv_fe")):
        monkeypatch.setattr(module, name, _counting(calls, f"{module.__name__}.{name}", getattr(module, name),
                                                     forbidden))
    for cls in (FEOLS, FEPoisson):
        monkeypatch.setattr(cls, "fit", _counting(calls, f"{cls.__name__}.fit", cls.fit, forbidden))
    real_write = outputs.write_output

    def write_forbidding_estimation(output: object, *args: object) -> object:
        forbidden["writing"] = output.stem  # type: ignore[attr-defined]
        try:
            return real_write(output, *args)
        finally:
            forbidden["writing"] = ""

    monkeypatch.setattr(outputs, "write_output", write_forbidding_estimation)
    build_outputs(panel, tmp_path / "t", tmp_path / "f", bootstrap_draws=0, log=lambda message: None, workers=1)
    assert {name: calls[f"analysis {name}"] for name in ANALYSES} == dict.fromkeys(ANALYSES, 1)
    # Sensitivity: ΔSD and ΔRM for the two rich × year studies and the triple difference's (H4), designation (H5)
    # and arrival (H10).
    assert calls["villageaid.estimators.honest.sensitivity_of"] == 2 * (3 + 1 + 1)
    # Pre-test power: 50% and 80% for the five H4 studies and designation, 80% for arrival.
    assert calls["villageaid.estimators.pretrends.slope_of"] == 2 * 5 + 2 + 1
    # The H10 2SLS (two outcomes, with and without the interaction), shared with the policy simulator: no refit;
    # the claims' family (Table 0's Romano–Wolf p-values) refits the two on collective income with CRV1 errors,
    # in a process of its own beside the tables, for the correlation of the claims.
    assert calls["villageaid.analysis.returns.iv_fe"] == 4 + 2
    assert calls["villageaid.estimators.iv.iv_fe from villageaid.analysis.policy_inputs"] == 0
