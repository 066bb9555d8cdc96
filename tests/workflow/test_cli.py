"""The command line: help, exit codes, reports without tracebacks, byte-identical outputs."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import tree_hashes, write_tables
from villageaid.io.validate import validate_tables
from villageaid.panel import build_panel
from villageaid.registry import OUTPUTS
from villageaid.simulation import seed_true, simulate
from villageaid.workflow.cli import main
from villageaid.workflow.outputs import BUILD_FILES, output_files


@pytest.mark.parametrize("command", ["simulate", "validate", "panel", "tables", "codebook"])
def test_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert f"usage: villageaid {command}" in out and len(out) > 300



def test_records_commands_start_without_the_analyses() -> None:
    """Building the parser (every command's start-up) leaves the analyses unimported; tables --help still lists
    every output (the description is computed when the help is shown)."""
    code = ("import sys; from villageaid.workflow.cli import build_parser; build_parser(); "
            "print(sorted(m for m in ('villageaid.workflow.outputs', 'villageaid.analysis', 'statsmodels', "
            "'villageaid.simulation.generate', 'scipy.special') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
    help_text = subprocess.run([sys.executable, "-m", "villageaid", "tables", "--help"], capture_output=True,
                               text=True, check=True).stdout
    assert all(output.title in help_text for output in OUTPUTS)

def test_simulate_is_byte_identical(tmp_path: Path) -> None:
    assert main(["simulate", "--out", str(tmp_path / "a")]) == 0
    assert main(["simulate", "--out", str(tmp_path / "b")]) == 0
    hashes = tree_hashes(tmp_path / "a")
    assert set(hashes) == {"villages.csv", "units.csv", "assignments.csv", "funding.csv", "designations.csv",
                           "outcomes.csv", "needs.csv", "unit_resources.csv", "truth.json"}
    assert hashes == tree_hashes(tmp_path / "b")
    assert main(["simulate", "--seed", "7", "--out", str(tmp_path / "c")]) == 0
    assert tree_hashes(tmp_path / "c")["funding.csv"] != hashes["funding.csv"]


def test_simulate_refuses_villages_for_two_counties(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--villages", "10", "--out", str(tmp_path)]) == 2
    assert "national scenario only" in capsys.readouterr().err


def test_validate_valid_directory(valid_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(valid_dir)]) == 0
    assert "OK:" in capsys.readouterr().out


@pytest.mark.integration
def test_pipeline_from_simulated_data(tmp_path: Path) -> None:
    data = tmp_path / "sim"
    assert main(["simulate", "--out", str(data)]) == 0
    assert main(["panel", str(data), "--out", str(tmp_path / "panel.parquet")]) == 0
    panel = pd.read_parquet(tmp_path / "panel.parquet")
    assert len(panel) == 2700
    assert panel.attrs["data_source"].startswith("simulated, scenario seed_true")
    for run in ("t1", "t2"):
        assert main(["tables", str(tmp_path / "panel.parquet"), "--out", str(tmp_path / run / "tables"),
                     "--figures", str(tmp_path / run / "figures"), "--bootstrap-draws", "199"]) == 0
    for folder in ("tables", "figures"):  # byte-identical tables and figures (PNG and PDF) across runs
        assert tree_hashes(tmp_path / "t1" / folder) == tree_hashes(tmp_path / "t2" / folder)
    # Every file the registry declares, and nothing else (the stems are declared once, in villageaid.registry).
    declared = {kind: {name for o in OUTPUTS if o.kind == kind for name in output_files(o)}
                for kind in ("table", "figure")}
    assert set(tree_hashes(tmp_path / "t1" / "tables")) == declared["table"] | set(BUILD_FILES)
    assert set(tree_hashes(tmp_path / "t1" / "figures")) == declared["figure"]
    assert len(declared["table"]) == 3 * 22 and len(declared["figure"]) == 2 * 10 + 7  # Table 10: simulated data


BAD = {
    "villages": "village_id,county,township,collective_income_2020,poverty_rate_2015\nV1,K,T1,1,0.3\nV1,K,T1,2,0.2\n",
    "units": "unit_id,level\nU1,某单位\n",
    "assignments": "cadre_id,unit_id,village_id,role,start_date,end_date\nC1,U1,V1,first_secretary,2021-13-01,\n",
    "funding": "village_id,year,amount,source\nV1,2021,12a,unit\nV2,2021,-1,unit\n",
}


def test_validate_bad_directory_in_a_subprocess(tmp_path: Path) -> None:
    directory = write_tables(tmp_path / "bad", BAD)
    before = tree_hashes(directory)
    result = subprocess.run([sys.executable, "-m", "villageaid.workflow.cli", "validate", str(directory)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stdout.splitlines()
    expected = [
        ("villages.csv, row 3, column village_id: value 'V1'", "duplicate key"),
        ("units.csv, row 2, column level: value '某单位'", "unknown unit level"),
        ("assignments.csv, row 2, column start_date: value '2021-13-01'", "unparseable date"),
        ("funding.csv, row 2, column amount: value '12a'", "non-numeric amount"),
        ("funding.csv, row 3, column amount: value '-1'", "negative amount"),
        ("funding.csv, row 3, column village_id: value 'V2'", "not defined in the villages table"),
    ]
    for where, rule in expected:
        assert any(where in line and rule in line for line in lines), (where, result.stdout)
    assert lines[-1] == "6 error(s), 0 warning(s)"
    assert tree_hashes(directory) == before


def test_panel_refuses_bad_data_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    directory = write_tables(tmp_path / "bad", BAD)
    out = tmp_path / "panel.parquet"
    assert main(["panel", str(directory), "--out", str(out)]) == 2
    assert not out.exists()
    assert "has errors; nothing written" in capsys.readouterr().err


def test_missing_directory_is_a_user_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path / "nowhere")]) == 2
    assert "data directory does not exist" in capsys.readouterr().out


def test_unreadable_panel_is_a_user_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bogus = tmp_path / "panel.parquet"
    bogus.write_text("not parquet")
    assert main(["tables", str(bogus), "--out", str(tmp_path / "t")]) == 2
    assert "cannot read panel" in capsys.readouterr().err


def test_bad_header_map_is_a_user_error(valid_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad_map = tmp_path / "map.toml"
    bad_map.write_text("[tables\n", encoding="utf-8")
    assert main(["validate", str(valid_dir), "--header-map", str(bad_map)]) == 2
    assert "cannot read header map" in capsys.readouterr().err


def test_panel_without_optional_tables(tmp_path: Path, valid_csv: dict[str, str]) -> None:
    del valid_csv["designations"], valid_csv["outcomes"]
    directory = write_tables(tmp_path / "d", valid_csv)
    out = tmp_path / "panel.parquet"
    assert main(["panel", str(directory), "--out", str(out)]) == 0
    panel = pd.read_parquet(out)
    assert len(panel) == 6 and (panel["demonstration_cohort"] == 0).all()
    assert "collective_income" not in panel.columns
    assert panel.attrs["data_source"] == "records of K county"  # named by the records, not by the folder "d"


def test_chinese_labels_need_a_cjk_font(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    from villageaid.report import figures

    data, panel = tmp_path / "d", tmp_path / "panel.parquet"
    assert main(["simulate", "--out", str(data)]) == 0
    assert main(["panel", str(data), "--out", str(panel)]) == 0
    monkeypatch.setattr(figures, "CJK_FONTS", ("No Such Font CJK",))
    assert main(["tables", str(panel), "--out", str(tmp_path / "t"), "--lang", "zh", "--bootstrap-draws", "0"]) == 2
    assert "make fonts" in capsys.readouterr().err
    figures.use_language("en")


def _chinese_panel_without_cjk_font(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A panel of the default data whose source names a Chinese county, on a machine made to have no CJK font."""
    from villageaid.report import figures

    data, panel_path = tmp_path / "d", tmp_path / "panel.parquet"
    assert main(["simulate", "--out", str(data)]) == 0
    assert main(["panel", str(data), "--out", str(panel_path)]) == 0
    panel = pd.read_parquet(panel_path)
    panel.attrs["data_source"] = "records of 临江县"
    panel.to_parquet(tmp_path / "chinese.parquet")
    monkeypatch.setattr(figures, "CJK_FONTS", ("No Such Font CJK",))
    return tmp_path / "chinese.parquet"


def test_a_chinese_data_note_without_a_cjk_font_is_refused_before_estimating(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "t"
    assert main(["tables", str(_chinese_panel_without_cjk_font(tmp_path, monkeypatch)), "--out", str(out),
                 "--bootstrap-draws", "0"]) == 2
    error = capsys.readouterr().err
    assert "临江县" in error and "make fonts" in error and "bug" not in error
    assert not out.exists() or not any(out.iterdir())


def test_speccurve_refuses_a_chinese_data_note_without_a_cjk_font_before_estimating(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from villageaid.studies import speccurve

    chinese = _chinese_panel_without_cjk_font(tmp_path, monkeypatch)
    monkeypatch.setattr(speccurve, "specification_curve", lambda *a, **k: pytest.fail("estimated before the check"))
    out = tmp_path / "s"
    assert main(["speccurve", str(chinese), "--out", str(out)]) == 2
    error = capsys.readouterr().err
    assert "临江县" in error and "make fonts" in error and "internal error" not in error
    assert not out.exists() or not any(out.iterdir())


def test_validated_tables_step_keeps_provenance(tmp_path: Path) -> None:
    data = tmp_path / "sim"
    assert main(["simulate", "--out", str(data)]) == 0
    assert main(["validate", str(data), "--out", str(tmp_path / "validated")]) == 0
    written = sorted(p.name for p in (tmp_path / "validated").iterdir())
    assert written == ["assignments.parquet", "designations.parquet", "funding.parquet", "needs.parquet",
                       "outcomes.parquet", "provenance.json", "unit_resources.parquet", "units.parquet",
                       "villages.parquet"]
    assert main(["panel", str(tmp_path / "validated"), "--out", str(tmp_path / "a.parquet")]) == 0
    assert main(["panel", str(data), "--out", str(tmp_path / "b.parquet")]) == 0
    from_validated, from_raw = pd.read_parquet(tmp_path / "a.parquet"), pd.read_parquet(tmp_path / "b.parquet")
    pd.testing.assert_frame_equal(from_validated, from_raw)
    assert from_validated.attrs["data_source"].startswith("simulated, scenario seed_true")


@pytest.mark.integration
def test_montecarlo_power_and_speccurve_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sims"
    assert main(["montecarlo", "--reps", "2", "--workers", "0", "--out", str(out)]) == 0
    rows = pd.read_parquet(out / "replications_seed_true.parquet")
    assert len(rows) == 6 and set(rows["hypothesis"]) == {"H3", "H4", "H5"}
    summary = pd.read_csv(out / "summary_seed_true.csv")
    assert {"bias", "rmse", "coverage_95", "rejection_rate_5pct"} <= set(summary.columns)
    assert main(["power", "--counties", "2", "--villages", "40", "--effects", "0.6", "--reps", "2", "--workers", "0",
                 "--out", str(out)]) == 0
    power = pd.read_csv(out / "power.csv")
    assert set(power["hypothesis"]) == {"H3", "H4"} and (power["replications"] == 2).all()
    # The specification curve on a small two-county panel (72 villages), where some specifications cannot be
    # estimated: they keep their rows with the reason, and the curve goes on.
    small = replace(seed_true(), villages_per_county=(40, 32), townships_per_county=(4, 3))
    tables, report = validate_tables(simulate(small, seed=3).tables)
    assert report.ok
    panel = tmp_path / "panel.parquet"
    build_panel(tables).to_parquet(panel)
    capsys.readouterr()
    assert main(["speccurve", str(panel), "--out", str(out)]) == 0
    curve = pd.read_csv(out / "speccurve.csv", keep_default_na=False, na_values=[""])
    assert (curve.groupby("hypothesis").size() == 162).all()
    skipped = curve["estimate"].isna()
    assert skipped.any() and (~skipped).sum() >= 100
    assert curve.loc[skipped, "not_estimated"].str.len().gt(0).all()
    assert curve.loc[~skipped, "not_estimated"].isna().all()
    assert "not estimable on these data" in capsys.readouterr().err
    for name in ("figure_montecarlo_seed_true.png", "figure_power.png", "figure_speccurve.png"):
        assert (out / name).stat().st_size > 1000


def test_tables_explain_what_a_tiny_panel_cannot_support(valid_dir: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    panel = tmp_path / "panel.parquet"
    assert main(["panel", str(valid_dir), "--out", str(panel)]) == 0
    out = tmp_path / "paper" / "tables"
    assert main(["tables", str(panel), "--out", str(out), "--bootstrap-draws", "0"]) == 0
    err = capsys.readouterr().err
    assert "internal error" not in err and "not estimated on these data" in err
    table3 = (out / "table3_level_endowment.md").read_text(encoding="utf-8")
    assert "Not estimated" in table3 and "Reason:" in table3
    assert "could not be estimated" in (out / "paper_text.tex").read_text(encoding="utf-8")
    assert "n.a." in (out / "key_numbers.tex").read_text(encoding="utf-8")


def test_national_scenario_without_villages_uses_the_default_size(monkeypatch: pytest.MonkeyPatch,
                                                                 tmp_path: Path) -> None:
    """`simulate --scenario national` without --villages crashed (None passed as the size); it means 500,000."""
    import villageaid.simulation
    from villageaid.simulation import seed_true, simulate
    from villageaid.workflow.cli import records as cli

    seen = {}

    def spy(n_villages: int = 500_000, **kwargs: object) -> object:
        seen["villages"] = n_villages
        return seed_true()

    monkeypatch.setattr(cli, "national", spy)
    monkeypatch.setattr(villageaid.simulation, "simulate", lambda scenario, seed: simulate(seed_true(), seed=seed))
    assert main(["simulate", "--scenario", "national", "--out", str(tmp_path / "national")]) == 0
    assert seen["villages"] == 500_000
    assert {p.suffix for p in (tmp_path / "national").iterdir()} == {".parquet", ".json"}


def test_panel_from_a_validated_set_equals_the_panel_from_the_records(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # `validate --out` then `panel` on its folder reads the set without validating it again, and gives
    # the same panel, byte for byte, as `panel` on the records themselves (simulated default data).
    records = tmp_path / "records"
    assert main(["simulate", "--out", str(records)]) == 0
    assert main(["validate", str(records), "--out", str(tmp_path / "validated")]) == 0
    assert main(["panel", str(records), "--out", str(tmp_path / "direct.parquet")]) == 0
    capsys.readouterr()
    assert main(["panel", str(tmp_path / "validated"), "--out", str(tmp_path / "from_set.parquet")]) == 0
    assert "(the validated set)" in capsys.readouterr().err
    assert (tmp_path / "direct.parquet").read_bytes() == (tmp_path / "from_set.parquet").read_bytes()


def _validated_set(tmp_path: Path, valid_dir: Path) -> Path:
    assert main(["validate", str(valid_dir), "--out", str(tmp_path / "validated")]) == 0
    return tmp_path / "validated"


@pytest.mark.parametrize("change", ["edited", "removed", "added", "old_provenance"])
def test_panel_refuses_a_validated_set_changed_after_validation(
        tmp_path: Path, valid_dir: Path, change: str, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    folder = _validated_set(tmp_path, valid_dir)
    funding = folder / "funding.parquet"
    if change == "edited":
        frame = pd.read_parquet(funding)
        frame.loc[0, "amount"] = frame.loc[0, "amount"] * 10
        frame.to_parquet(funding, index=False)
        expected = "funding.parquet was changed after validation"
    elif change == "removed":
        funding.unlink()
        expected = "funding.parquet is missing"
    elif change == "added":
        pd.read_parquet(funding).to_parquet(folder / "extra.parquet", index=False)
        expected = "extra.parquet was not written by validation"
    else:
        provenance = json.loads((folder / "provenance.json").read_text(encoding="utf-8"))
        del provenance["validated_tables"]
        (folder / "provenance.json").write_text(json.dumps(provenance), encoding="utf-8")
        expected = "does not list the validated tables and their hashes"
    capsys.readouterr()
    out = tmp_path / "panel.parquet"
    assert main(["panel", str(folder), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert expected in err and "run villageaid validate --out again" in err and "Traceback" not in err
    assert not out.exists()


def test_panel_refuses_ingest_options_on_a_validated_set(tmp_path: Path, valid_dir: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    folder = _validated_set(tmp_path, valid_dir)
    capsys.readouterr()
    assert main(["panel", str(folder), "--out", str(tmp_path / "p.parquet"), "--amount-unit", "yuan"]) == 2
    assert "--amount-unit cannot apply" in capsys.readouterr().err


def test_tables_read_the_two_lists_or_say_why_not(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "sim"
    assert main(["simulate", "--out", str(data)]) == 0
    assert main(["validate", str(data), "--out", str(tmp_path / "validated")]) == 0
    assert main(["panel", str(tmp_path / "validated"), "--out", str(tmp_path / "panel.parquet")]) == 0
    capsys.readouterr()
    # a folder that is not there is a clear error, before anything is estimated
    assert main(["tables", str(tmp_path / "panel.parquet"), "--out", str(tmp_path / "t"), "--lists",
                 str(tmp_path / "missing"), "--bootstrap-draws", "0"]) == 2
    err = capsys.readouterr().err
    assert "lists" in err and "missing" in err and "Traceback" not in err
    # records without the lists: the panel's stand-ins, said in the log
    bare = tmp_path / "bare"
    bare.mkdir()
    for name in ("villages", "units", "assignments", "funding", "designations", "outcomes"):
        (bare / f"{name}.csv").write_bytes((data / f"{name}.csv").read_bytes())
    from villageaid.workflow.cli.common import read_lists_option

    assert read_lists_option(bare, "tables") is None
    assert "no need or resource list" in capsys.readouterr().err
    assert read_lists_option(tmp_path / "validated", "tables") is not None


def test_simulate_refuses_a_folder_of_the_other_format_before_drawing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "funding.parquet").write_bytes(b"")
    import villageaid.simulation

    monkeypatch.setattr(villageaid.simulation, "simulate", lambda *a, **k: pytest.fail("drew before refusing"))
    assert main(["simulate", "--out", str(tmp_path)]) == 2
    assert "already holds funding.parquet" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["funding.parquet"]
