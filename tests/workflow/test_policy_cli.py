"""The policy command: Table 9 and the cap curve from a panel and the two lists, the same bytes from the same seed
and any number of workers, and clear refusals of bad input."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest

from villageaid.config import DEFAULT_SEED
from villageaid.panel.village_year import build_panel
from villageaid.registry import FIGURE_FRONTIER, TABLE9
from villageaid.simulation import simulate
from villageaid.workflow.cli import main
from villageaid.workflow.outputs import output_files


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The default simulated records (CSV, with the two lists) and their panel."""
    folder = tmp_path_factory.mktemp("policy_cli")
    raw = folder / "raw"
    raw.mkdir()
    tables = simulate(seed=DEFAULT_SEED).tables
    for name, frame in tables.items():
        frame.to_csv(raw / f"{name}.csv", index=False)
    panel = folder / "panel.parquet"
    build_panel(tables).to_parquet(panel)
    return raw, panel


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_outputs_are_the_same_bytes_from_the_same_seed_and_any_workers(records: tuple, tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture) -> None:
    raw, panel = records
    runs = []
    for name, workers in (("a", "0"), ("b", "0"), ("c", "2")):
        out = tmp_path / name
        assert main(["policy", str(panel), "--lists", str(raw), "--draws", "6", "--workers", workers,
                     "--out", str(out)]) == 0
        runs.append(_hashes(out))
    assert set(runs[0]) == {*output_files(TABLE9), *output_files(FIGURE_FRONTIER)}
    assert runs[0] == runs[1] == runs[2]
    table = pd.read_csv(tmp_path / "a" / f"{TABLE9.stem}.csv")
    assert {"status_quo", "campaign", "strong_alliance", "precise_matching", "county_pooling", "cadre_reform",
            "opening"} <= set(table["policy"])
    assert set(table["shape"]) == {"concave", "linear", "complementarity", "lumpy"}
    text = (tmp_path / "a" / f"{TABLE9.stem}.md").read_text(encoding="utf-8")
    assert "雨露均沾（兜底、按需分级）" in text and "平均分配" not in text and "equal split" in text
    assert "county_pooling" in capsys.readouterr().out


def test_bad_input_is_refused_clearly(records: tuple, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    raw, panel = records
    bad = tmp_path / "bad.csv"
    bad.write_text("village_id,unit_id\nW001,NOPE\n", encoding="utf-8")
    before = hashlib.sha256(bad.read_bytes()).hexdigest()
    assert main(["policy", str(panel), "--draws", "2", "--workers", "0", "--out", str(tmp_path / "o1"),
                 "--assignments", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "NOPE" in err and "villages without a unit" in err and "Traceback" not in err
    assert hashlib.sha256(bad.read_bytes()).hexdigest() == before
    # a policy that moves money between counties
    tables = {name: pd.read_csv(raw / f"{name}.csv", dtype=str) for name in ("villages",)}
    frame = pd.read_parquet(panel)
    mean = (frame.loc[frame["period"] == "transition"].groupby("village_id", observed=True)
            .agg(unit_id=("first_secretary_unit_id", "last"), funding=("funding_total", "mean")).reset_index())
    mean.loc[mean["village_id"].str.startswith("W"), "funding"] *= 1.5
    moved = tmp_path / "moved.csv"
    mean.to_csv(moved, index=False)
    assert len(tables["villages"]) == len(mean)
    assert main(["policy", str(panel), "--draws", "2", "--workers", "0", "--out", str(tmp_path / "o2"),
                 "--assignments", str(moved)]) == 2
    err = capsys.readouterr().err
    assert "not budget-neutral" in err and "county W: funding totals" in err and "county P" not in err
    # cadre slots below the current posts in the resource list
    broken = tmp_path / "broken"
    broken.mkdir()
    for path in raw.iterdir():
        (broken / path.name).write_bytes(path.read_bytes())
    resources = pd.read_csv(broken / "unit_resources.csv")
    row = int((resources["resource_type"] == "cadre").idxmax())
    resources.loc[row, "capacity"] = 0
    resources.to_csv(broken / "unit_resources.csv", index=False)
    assert main(["policy", str(panel), "--lists", str(broken), "--draws", "2", "--workers", "0",
                 "--out", str(tmp_path / "o3")]) == 2
    err = capsys.readouterr().err
    assert "unit_resources" in err and "capacity" in err and "Traceback" not in err
    assert main(["policy", str(panel), "--cap", "0.5", "--out", str(tmp_path / "o4")]) == 2
    assert "cap must be at least 1" in capsys.readouterr().err


def test_on_a_county_ledger_and_on_records_too_small(tmp_path: Path, valid_dir: Path,
                                                     capsys: pytest.CaptureFixture) -> None:
    """A user's records: the simulated data filled into the Excel ledger template (Chinese headers) go through
    `panel` and `policy`; a ledger of three villages gets a clear refusal, not a traceback."""
    from villageaid.io.read import read_raw
    from villageaid.io.template import write_template

    raw = tmp_path / "raw"
    raw.mkdir()
    for name, frame in simulate(seed=20240601).tables.items():
        frame.to_csv(raw / f"{name}.csv", index=False)
    ledger = tmp_path / "ledger"
    ledger.mkdir()
    write_template(ledger / "台账.xlsx", read_raw(raw).tables)
    assert main(["panel", str(ledger), "--out", str(tmp_path / "panel.parquet")]) == 0
    assert main(["policy", str(tmp_path / "panel.parquet"), "--lists", str(ledger), "--draws", "3", "--workers", "0",
                 "--out", str(tmp_path / "out")]) == 0
    table = pd.read_csv(tmp_path / "out" / f"{TABLE9.stem}.csv")
    assert set(table["policy"]) >= {"status_quo", "precise_matching", "county_pooling"}
    assert table.loc[table["measure"] == "need_gaps_met", "estimate"].notna().all()
    capsys.readouterr()
    assert main(["panel", str(valid_dir), "--out", str(tmp_path / "small.parquet")]) == 0
    assert main(["policy", str(tmp_path / "small.parquet"), "--workers", "0", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "error:" in err and "Traceback" not in err


# The English figures' font has no CJK glyphs: 县 in a folder name is drawn with the installed CJK font behind it.
@pytest.mark.parametrize("county", ["W县", "W county"])
def test_a_data_source_with_formula_and_latex_characters_is_written_as_text(
        records: tuple, tmp_path: Path, capsys: pytest.CaptureFixture, county: str) -> None:
    """A provenance text or records folder such as ``=HYPERLINK(..)|\\input{..}$x^$`` or ``W县$x^$`` reaches Table 9's
    note and the cap curve's figure: escaped for LaTeX, drawn as text (not mathtext), never a formula in a CSV.
    Without a CJK font, a Chinese source is refused before estimating (the tables command's rule)."""
    from villageaid.report.figures import installed_cjk_font

    _, panel_path = records
    panel = pd.read_parquet(panel_path)
    source = f'=HYPERLINK("http://x")|\\input{{/etc/passwd}} records in {county}$x^$'
    panel.attrs["data_source"] = source
    hostile = tmp_path / "hostile.parquet"
    panel.to_parquet(hostile)
    out = tmp_path / "out"
    if county.endswith("县") and installed_cjk_font() is None:
        assert main(["policy", str(hostile), "--draws", "2", "--workers", "0", "--out", str(out)]) == 2
        error = capsys.readouterr().err
        assert "县" in error and "make fonts" in error and "internal error" not in error
        assert not out.exists() or not any(out.iterdir())
        return
    assert main(["policy", str(hostile), "--draws", "2", "--workers", "0", "--out", str(out)]) == 0
    tex = (out / f"{TABLE9.stem}.tex").read_text(encoding="utf-8")
    assert "\\textbackslash{}input\\{/etc/passwd\\}" in tex and f"{county}\\$x\\textasciicircum{{}}\\$" in tex
    for csv in out.glob("*.csv"):
        cells = pd.read_csv(csv, dtype=str, keep_default_na=False).to_numpy().ravel()
        assert not any(cell.startswith(("=", "@")) for cell in cells), csv.name
    assert (out / f"{FIGURE_FRONTIER.stem}.png").stat().st_size > 0


def test_a_chinese_data_source_without_a_cjk_font_is_refused_before_estimating(
        records: tuple, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    from villageaid.analysis import policy_inputs
    from villageaid.report import figures

    _, panel_path = records
    panel = pd.read_parquet(panel_path)
    panel.attrs["data_source"] = "records of 临江县"
    chinese = tmp_path / "chinese.parquet"
    panel.to_parquet(chinese)
    monkeypatch.setattr(figures, "CJK_FONTS", ("No Such Font CJK",))
    monkeypatch.setattr(policy_inputs, "estimate_policy_models",
                        lambda *a, **k: pytest.fail("estimated before the font was checked"))
    out = tmp_path / "out"
    assert main(["policy", str(chinese), "--draws", "2", "--workers", "0", "--out", str(out)]) == 2
    error = capsys.readouterr().err
    assert "临江县" in error and "make fonts" in error and "internal error" not in error
    assert not out.exists() or not any(out.iterdir())
