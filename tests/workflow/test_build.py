"""The build follows the data: every stale-result scenario ends with outputs from the current inputs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import VALID_CSV, write_tables
from villageaid.simulation import SCENARIOS, restrict_to_villages, simulate
from villageaid.workflow import build as build_module
from villageaid.workflow.build import (
    MANIFEST,
    PANEL,
    TABLES,
    VALIDATED,
    BuildConfig,
    BuildError,
    build,
    staleness,
)
from villageaid.workflow.cli import main

REPO = Path(__file__).resolve().parents[2]


def _records(directory: Path, *, designations: bool = True, villages: int | None = None) -> Path:
    """A valid folder of records: the simulated data, optionally without designations or cut to N villages."""
    data = simulate(SCENARIOS["seed_true"](), seed=7)
    directory.mkdir(parents=True, exist_ok=True)
    tables = data.tables if villages is None else restrict_to_villages(
        data.tables, data.tables["villages"]["village_id"].iloc[:villages])
    for name, frame in tables.items():
        if name == "designations" and not designations:
            continue
        frame.to_csv(directory / f"{name}.csv", index=False)
    return directory


def _config(root: Path, **options) -> BuildConfig:
    return BuildConfig(root=root, bootstrap_draws=0, pdf="no", **options)


def _panel(root: Path) -> pd.DataFrame:
    return pd.read_parquet(root / PANEL)


def test_a_second_build_does_nothing_and_a_changed_folder_rebuilds(tmp_path: Path) -> None:
    a = _records(tmp_path / "A")
    b = _records(tmp_path / "B", designations=False, villages=60)
    root = tmp_path / "project"
    ran = [r.name for r in build(_config(root, data=a), until="panel", log=lambda m: None) if r.ran]
    assert ran == ["validate", "panel"]
    assert [r.ran for r in build(_config(root, data=a), until="panel", log=lambda m: None)] == [False] * 3
    build(_config(root, data=b), until="panel", log=lambda m: None)
    panel = _panel(root)
    assert panel["village_id"].nunique() == 60
    # a folder without designations does not inherit the previous run's designations.parquet
    assert not (root / VALIDATED / "designations.parquet").exists()
    assert (panel["demonstration_cohort"] == 0).all()
    provenance = json.loads((root / VALIDATED / "provenance.json").read_text(encoding="utf-8"))
    assert provenance["folder"] == "B" and provenance["data_source"] == "records of W county"
    # back to the simulated default data: a plain build does not keep B's results
    build(_config(root), until="panel", log=lambda m: None)
    assert _panel(root)["village_id"].nunique() == 270
    assert _panel(root).attrs["data_source"].startswith("simulated")


def test_files_older_than_the_build_are_still_seen(tmp_path: Path) -> None:
    a = _records(tmp_path / "A")
    root = tmp_path / "project"
    build(_config(root, data=a), until="panel", log=lambda m: None)
    funding = pd.read_csv(a / "funding.csv")
    funding.loc[0, "amount"] = funding.loc[0, "amount"] + 1000
    funding.to_csv(a / "funding.csv", index=False)
    old = pd.Timestamp("2024-01-01").timestamp()
    for file in a.iterdir():
        os.utime(file, (old, old))  # touch -d 2024-01-01
    ran = [r.name for r in build(_config(root, data=a), until="panel", log=lambda m: None) if r.ran]
    assert ran == ["validate", "panel"]
    assert _panel(root)["funding_total"].max() >= 1000


def test_the_code_fingerprint_covers_the_whole_package() -> None:
    """A change to the simulator, the schema or an estimator must rebuild: the fingerprint reads every module."""
    package = Path(build_module.__file__).resolve().parents[1]
    names = {str(p.relative_to(package)) for p in build_module.code_files()}
    assert {"schema.py", "simulation/generate.py", "estimators/ols.py", "registry.py", "workflow/build.py",
            "data/header_map.toml"} <= names
    assert len(names) == len([p for p in package.rglob("*.py") if "__pycache__" not in p.parts]) + 1


def test_reference_year_is_part_of_the_panel_fingerprint(tmp_path: Path) -> None:
    root = tmp_path / "project"
    build(_config(root), until="panel", log=lambda m: None)
    ran = [r.name for r in build(_config(root, reference_years=(2016, 2017, 2018, 2019)), until="panel",
                                 log=lambda m: None) if r.ran]
    assert ran == ["panel"]
    assert _panel(root).attrs["reference_years"] == [2016, 2017, 2018, 2019]


def test_options_are_part_of_the_fingerprint(tmp_path: Path) -> None:
    root = tmp_path / "project"
    build(_config(root), until="panel", log=lambda m: None)
    quantile = [r.name for r in build(_config(root, rich_quantile=0.5), until="panel", log=lambda m: None) if r.ran]
    assert quantile == ["panel"]
    code = build_module.code_fingerprint()
    english = build_module._fp_tables(_config(root), code)
    chinese = build_module._fp_tables(_config(root, figure_lang="zh"), code)
    assert english != chinese and english == build_module._fp_tables(_config(root), code)


def test_missing_empty_and_spaced_data_folders(tmp_path: Path) -> None:
    root = tmp_path / "project"
    with pytest.raises(BuildError, match="does not exist"):
        build(_config(root, data=tmp_path / "nowhere"), log=lambda m: None)
    (tmp_path / "empty").mkdir()
    with pytest.raises(BuildError, match="no table file"):
        build(_config(root, data=tmp_path / "empty"), log=lambda m: None)
    spaced = _records(tmp_path / "my county data", villages=40)
    build(_config(root, data=spaced), until="panel", log=lambda m: None)
    assert _panel(root)["village_id"].nunique() == 40


def test_invalid_records_remove_every_later_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "project"
    build(_config(root), until="panel", log=lambda m: None)
    bad = write_tables(tmp_path / "bad", {**VALID_CSV, "units": VALID_CSV["units"].replace(",city,", ",市县联合,")})
    code = main(["build", "--root", str(root), "--data", str(bad), "--pdf", "no", "--until", "panel"])
    assert code == 2
    assert "ambiguous unit level" in capsys.readouterr().err
    assert not (root / VALIDATED).exists() and not (root / PANEL).exists()
    assert main(["build", "--root", str(root), "--data", str(tmp_path / "nowhere"), "--pdf", "no"]) == 2


def test_a_deleted_output_is_rebuilt(tmp_path: Path) -> None:
    root = tmp_path / "project"
    build(_config(root), until="panel", log=lambda m: None)
    (root / PANEL).unlink()
    reason = staleness(_config(root), "panel", build_module._fp_panel(_config(root), build_module.code_fingerprint()),
                       (PANEL,))
    assert reason is not None and "missing" in reason
    ran = [r.name for r in build(_config(root), until="panel", log=lambda m: None) if r.ran]
    assert ran == ["panel"]
    (root / VALIDATED / "extra.parquet").write_bytes(b"junk")  # an output changed by hand
    ran = [r.name for r in build(_config(root), until="panel", log=lambda m: None) if r.ran]
    assert ran == ["validate"]  # rebuilt byte for byte, so the panel built on it still holds
    assert not (root / VALIDATED / "extra.parquet").exists()


@pytest.mark.parametrize("moment", ["validate", "panel"])
def test_a_killed_run_leaves_nothing_stale(tmp_path: Path, moment: str, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "project"
    a = _records(tmp_path / "A")
    b = _records(tmp_path / "B", designations=False, villages=50)
    build(_config(root, data=a), until="panel", log=lambda m: None)
    stage = next(s for s in build_module.STAGE_LIST if s.name == moment)

    def killed(config: BuildConfig) -> None:
        staging = build_module.staging_for(config.path(stage.outputs[0]))
        (staging / "half.parquet").write_bytes(b"partial")
        raise KeyboardInterrupt

    patched = tuple(build_module.Stage(s.name, s.outputs, s.fingerprint, killed, s.applies) if s.name == moment
                    else s for s in build_module.STAGE_LIST)
    monkeypatch.setattr(build_module, "STAGE_LIST", patched)
    with pytest.raises(KeyboardInterrupt):
        build(_config(root, data=b), until="panel", log=lambda m: None)
    assert not (root / PANEL).exists()  # A's panel is gone: it does not come from B
    monkeypatch.undo()
    build(_config(root, data=b), until="panel", log=lambda m: None)
    assert _panel(root)["village_id"].nunique() == 50
    leftovers = [p for p in (root / "data" / "processed").rglob("*") if p.name.startswith(".staging-")]
    assert leftovers == []


@pytest.mark.integration
def test_full_build_tables_follow_the_panel_and_a_deleted_table_is_rebuilt(tmp_path: Path) -> None:
    # County records of 80 villages keep the three full builds quick; the default data's full build is
    # tested by the replication and PDF tests.
    root = tmp_path / "project"
    (root / "paper").mkdir(parents=True)
    records = _records(tmp_path / "records", villages=80)
    results = build(_config(root, data=records), log=lambda m: None)
    assert [r.name for r in results if r.ran] == ["validate", "panel", "tables", "codebook", "manifest"]
    manifest = (root / MANIFEST).read_text(encoding="utf-8")
    assert "paper/tables/table8_level_strength_matching.csv" in manifest
    (root / TABLES / "table8_level_strength_matching.csv").unlink()
    ran = [r.name for r in build(_config(root, data=records), log=lambda m: None) if r.ran]
    assert ran == ["tables"]  # rebuilt byte for byte, so the manifest over the complete set still holds
    assert (root / TABLES / "table8_level_strength_matching.csv").is_file()
    assert (root / MANIFEST).read_text(encoding="utf-8") == manifest
    # stray temporaries of a killed figure are removed by the next build
    (root / "paper" / "figures" / ".figure_x.png.abc.tmp").write_bytes(b"partial")
    shutil.copytree(root / TABLES, root / "paper" / ".staging-tables-old")
    build(_config(root, data=records), log=lambda m: None)
    assert not list((root / "paper").rglob("*.tmp")) and not list((root / "paper").glob(".staging-*"))


def test_make_refuses_a_missing_data_folder(tmp_path: Path) -> None:
    done = subprocess.run(["make", "--no-print-directory", "all", f"DATA={tmp_path / 'missing folder'}", "PDF=no"],
                          cwd=REPO, capture_output=True, text=True, check=False)
    assert done.returncode != 0
    assert "does not exist" in done.stderr


def test_an_unknown_scenario_and_a_scenario_with_records_are_refused(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match="SCENARIO=nonsense: unknown edition"):
        build(_config(tmp_path / "a", scenario="nonsense"), log=lambda m: None)
    records = _records(tmp_path / "records", villages=40)
    with pytest.raises(BuildError, match="applies to the simulated data"):
        build(_config(tmp_path / "b", data=records, scenario="null"), log=lambda m: None)


@pytest.mark.integration
def test_a_null_edition_says_so_and_sets_its_estimates_beside_zero(tmp_path: Path) -> None:
    root = tmp_path / "project"
    (root / "paper").mkdir(parents=True)
    build(_config(root, scenario="null"), until="tables", log=lambda m: None)
    text = (root / TABLES / "paper_text.tex").read_text(encoding="utf-8")
    assert "Simulated-data edition, scenario null" in text and "no claim of the source paper holds" in text
    for name in ("table3_level_endowment.md", "table10_recovery.md"):
        assert "scenario null" in (root / TABLES / name).read_text(encoding="utf-8"), name
    recovery = pd.read_csv(root / TABLES / "table10_recovery.csv")
    truths = recovery["truth"].dropna()
    # every truth is zero, but the concentration indices of expected funding, which move by county × year shocks
    assert len(truths) >= 10 and (truths.abs() < 0.005).all() and (truths == 0).sum() >= len(truths) - 2
    assert "VATruthText" in text and "Table 10 sets each key estimate" in text
    assert build_module._fp_simulate(_config(root, scenario="null"), "c") != \
        build_module._fp_simulate(_config(root), "c")  # the stamps include the scenario


@pytest.mark.integration
def test_hidden_shape_records_without_what_a_claim_needs_say_not_estimated_and_the_rest_stands(tmp_path: Path) -> None:
    """The hidden-shape rule: a county's records lack the need list, project types, monitored households, deep-
    poverty designations and industry records; those claims say why they are not estimated, the others stand."""
    records = _records(tmp_path / "records")
    villages = pd.read_csv(records / "villages.csv")
    villages.drop(columns=["main_need", "monitored_households", "infrastructure_gaps"]).to_csv(
        records / "villages.csv", index=False)
    funding = pd.read_csv(records / "funding.csv")
    funding.drop(columns=["project_type"]).to_csv(records / "funding.csv", index=False)
    designations = pd.read_csv(records / "designations.csv")
    designations.loc[designations["kind"] != "deep_poverty"].to_csv(records / "designations.csv", index=False)
    outcomes = pd.read_csv(records / "outcomes.csv")
    outcomes.drop(columns=["industry_active"]).to_csv(records / "outcomes.csv", index=False)
    root = tmp_path / "project"
    build(_config(root, data=records), until="tables", log=lambda m: None)
    tables = root / TABLES
    missing = pd.read_csv(tables / "table8d_industry_mismatch.csv")
    assert missing["status"].tolist() == ["not estimated"]
    assert "industry_active" in missing["reason"].iloc[0]
    table3 = pd.read_csv(tables / "table3_level_endowment.csv")
    assert "need_index" in set(table3["term"]) and "deep_poverty" not in set(table3["term"])
    for stem in ("table4_logic_shift", "table6d_strong_get_stronger", "table7b_concentration",
                 "table8c_county_matching"):
        assert "status" not in pd.read_csv(tables / f"{stem}.csv").columns, stem
    claims = pd.read_csv(tables / "table0_claims.csv", keep_default_na=False)
    assert set(claims.loc[claims["key"].str.startswith(("industry.", "mismatch.")), "verdict"]) == {"not estimated"}
    assert (claims.loc[claims["key"] == "allocation.campaign_ppml.deep_poverty.estimate", "verdict"]
            == "not estimated").all()
    text = (tables / "table0_claims.md").read_text(encoding="utf-8")
    assert "not estimated on these data" in text


def test_the_chinese_edition_is_skipped_with_a_reason_where_the_cjk_fonts_are_missing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(build_module, "_xelatex", lambda: "/usr/bin/xelatex")
    monkeypatch.setattr(build_module, "cjk_fonts_installed", lambda: False)
    config = BuildConfig(root=tmp_path, pdf="auto", paper_lang="zh")
    assert not build_module._pdf_applies(config) and not build_module._pdf_zh_applies(config)
    assert build_module._pdf_zh_applies(BuildConfig(root=tmp_path, pdf="yes", paper_lang="both"))
    assert not build_module._pdf_zh_applies(BuildConfig(root=tmp_path, pdf="yes", paper_lang="en"))
    with pytest.raises(BuildError, match="Noto CJK fonts"):  # asked for, it is refused with the reason
        build_module._run_pdf_zh(BuildConfig(root=tmp_path, pdf="yes", paper_lang="zh"))
    records = write_tables(tmp_path / "records", VALID_CSV)
    messages: list[str] = []
    build(BuildConfig(root=tmp_path / "project", data=records, bootstrap_draws=0, pdf="auto", paper_lang="zh"),
          log=messages.append)
    assert "pdf_zh: skipped (the Noto CJK fonts are not installed; make fonts installs them)" in messages
    assert not any(m.startswith("pdf:") for m in messages)  # the English edition was not asked for


def test_make_passes_the_paper_language_to_the_build() -> None:
    done = subprocess.run(["make", "--no-print-directory", "-n", "all", "PAPER_LANG=zh"], cwd=REPO,
                          capture_output=True, text=True, check=True)
    assert "--paper-lang zh" in done.stdout
    assert "--paper-lang both" in subprocess.run(["make", "--no-print-directory", "-n", "all"], cwd=REPO,
                                                 capture_output=True, text=True, check=True).stdout
