"""When the cluster jackknife is undefined, the paper still stands: estimates with CRV1 errors, marked and explained.

The ledger: one county, 40 villages, of which one alone is type A (city-level unit, rich) in 2021–2025, so that
leaving it out leaves city × rich without variation — the case a real county's ledger met. ``make all
VCOV=CRV1`` (``build --vcov CRV1``) builds the same tables with CRV1 throughout.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from villageaid.analysis import allocation_models
from villageaid.analysis.variables import fit_with_fallback
from villageaid.estimators import CRV1, CRV3, JackknifeUndefinedError, feols, fepois
from villageaid.io.validate import validate_tables
from villageaid.panel import build_panel
from villageaid.simulation import SCENARIOS, restrict_to_villages, simulate
from villageaid.workflow.build import TABLES, BuildConfig, build

REPO = Path(__file__).resolve().parents[1]
#: The village that alone is type A in the ledger below (found once by searching subsets; fixed by the seeds).
LONE_TYPE_A = "W045"


def one_county_ledger(directory: Path | None = None) -> dict[str, pd.DataFrame]:
    """Forty villages of county W (simulated, seed 7), one of them alone carrying city × rich in 2021–2025."""
    data = simulate(SCENARIOS["seed_true"](), seed=7)
    villages = data.tables["villages"]
    county = villages.loc[villages["county"] == "W", "village_id"].tolist()
    keep = set(np.random.default_rng(34).choice(county, 40, replace=False))
    tables = restrict_to_villages(data.tables, keep)
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True)
        for name, frame in tables.items():
            frame.to_csv(directory / f"{name}.csv", index=False)
    return tables


def test_the_analysis_keeps_its_estimates_with_crv1_errors_where_the_jackknife_is_undefined() -> None:
    tables, report = validate_tables(one_county_ledger())
    assert report.ok
    panel = build_panel(tables)
    transition = panel.loc[panel["period"] == "transition"]
    assert transition.loc[transition["village_type"] == "A", "village_id"].unique().tolist() == [LONE_TYPE_A]
    results = allocation_models(panel, bootstrap_draws=0)
    for model in (results.asinh_ols, results.ppml):
        assert model.fallback_reason == (f"CRV3 undefined: without village '{LONE_TYPE_A}', city_x_rich is not "
                                         "identified; clustered (CRV1) by village shown")
        assert model.vcov_type == CRV1("village").label and np.isfinite(model.se()["city_x_rich"])
        assert any(f"without cluster '{LONE_TYPE_A}'" in note for note in model.notes)
    refit = fepois(results.ppml.formula, results.ppml.model.data, vcov=CRV1("village"))
    pd.testing.assert_series_equal(results.ppml.params, refit.params)
    np.testing.assert_allclose(results.ppml.vcov.to_numpy(), refit.vcov.to_numpy(), rtol=1e-12, atol=0)
    with pytest.raises(JackknifeUndefinedError):  # asked for directly, the jackknife is refused, never replaced
        fepois(results.ppml.formula, results.ppml.model.data, vcov=CRV3("village"))
    crv1 = allocation_models(panel, bootstrap_draws=0, vcov=CRV1("village"))
    assert crv1.ppml.fallback_reason is None
    np.testing.assert_allclose(crv1.ppml.se(), results.ppml.se(), rtol=1e-12, atol=0)


def test_only_an_undefined_jackknife_falls_back() -> None:
    data = pd.read_csv("tests/reference/estimators/panel_data.csv")
    defined = fit_with_fallback(feols, "y ~ x1 + x2 | period", data, vcov=CRV3("grp"))
    assert defined.fallback_reason is None and defined.vcov_type == CRV3("grp").label
    np.testing.assert_allclose(defined.se(), feols("y ~ x1 + x2 | period", data, vcov=CRV3("grp")).se(),
                               rtol=1e-12, atol=0)
    with pytest.raises(KeyError, match="not in the data"):  # a bug or a missing column is never a fallback
        fit_with_fallback(feols, "y ~ x1 + x2 | period", data, vcov=CRV3("no_such_cluster"))


@pytest.mark.integration
def test_the_build_writes_tables_3_to_5_with_flagged_errors_and_vcov_crv1_rebuilds_them(tmp_path: Path) -> None:
    records = tmp_path / "ledger"
    one_county_ledger(records)
    root = tmp_path / "project"
    (root / "paper").mkdir(parents=True)
    config = BuildConfig(root=root, data=records, pdf="no", bootstrap_draws=99, workers=1)
    build(config, until="tables", log=lambda m: None)
    tables = root / TABLES
    for stem, model_id in (("table3_level_endowment", "transition_ppml"), ("table4_logic_shift", "shift_ppml"),
                           ("table5_event_study", "rich_ppml")):
        tidy = pd.read_csv(tables / f"{stem}.csv", keep_default_na=False)
        rows = tidy.loc[tidy["model_id"] == model_id]
        assert (rows["fallback_reason"].str.contains(f"without village '{LONE_TYPE_A}'")).all(), stem
        estimated = rows.loc[rows["term"] != "(reference)"]
        assert pd.to_numeric(estimated["std_error"]).gt(0).any() and "not estimated" not in rows.to_string()
        text = (tables / f"{stem}.md").read_text(encoding="utf-8")
        assert "†" in text and "cluster jackknife" in text and "undefined" in text, stem
    paper = (tables / "paper_text.tex").read_text(encoding="utf-8")
    assert "cluster jackknife is undefined" in paper
    assert json.loads((tables / "build_options.json").read_text())["vcov"] == "CRV3"

    results = build(BuildConfig(root=root, data=records, pdf="no", bootstrap_draws=99, workers=1, vcov="CRV1"),
                    until="tables", log=lambda m: None)
    assert [r.name for r in results if r.ran] == ["tables"]  # the option is in the tables' fingerprint
    for stem in ("table3_level_endowment", "table4_logic_shift", "table5_event_study"):
        tidy = pd.read_csv(tables / f"{stem}.csv", keep_default_na=False)
        assert (tidy["fallback_reason"] == "").all() and "†" not in (tables / f"{stem}.md").read_text()
        assert set(tidy["vcov"]) <= {"clustered (CRV1) by village (40)", "clustered (CRV1) by village"}
    assert json.loads((tables / "build_options.json").read_text())["vcov"] == "CRV1"


def test_make_passes_vcov_to_the_build() -> None:
    done = subprocess.run(["make", "--no-print-directory", "-n", "all", "VCOV=CRV1"], cwd=REPO, capture_output=True,
                          text=True, check=True)
    assert "--vcov CRV1" in done.stdout
    make_help = subprocess.run(["make", "--no-print-directory", "help"], cwd=REPO, capture_output=True, text=True,
                               check=True).stdout
    assert "VCOV=auto|CRV3|CRV1|CRV1-county" in make_help


def test_a_monte_carlo_replication_with_an_undefined_jackknife_is_a_counted_row(monkeypatch: pytest.MonkeyPatch
                                                                                 ) -> None:
    from villageaid.simulation import SimulatedData
    from villageaid.studies import montecarlo, power

    truth = simulate(SCENARIOS["seed_true"](), seed=7).truth
    ledger = SimulatedData(one_county_ledger(), truth)
    monkeypatch.setattr(montecarlo, "simulate", lambda scenario, seed: ledger)
    rows = montecarlo.replication(1, SCENARIOS["seed_true"]())
    h3 = next(r for r in rows if r["hypothesis"] == "H3")
    assert "CRV3 undefined" in h3["variance_fallback"] and np.isfinite(h3["estimate"]) and h3["not_estimated"] == ""
    others = [{**r, "seed": 2, "variance_fallback": "", "estimate": r["estimate"] + 0.1} for r in rows]
    summary = montecarlo.summarize(pd.DataFrame(rows + others)).set_index("hypothesis")
    assert summary.loc["H3", "replications"] == 2 and summary.loc["H3", "variance_fallbacks"] == 1
    assert summary.loc["H3", "not_estimated"] == 0
    monkeypatch.setattr(power, "simulate", lambda scenario, seed: ledger)
    row = power.power_replication(3, (1, 40, 0.6))
    assert row["H3_note"].startswith("CRV3 undefined") and np.isfinite(row["H3_p"])
    table, _ = power.summarize_power(pd.DataFrame([row]))
    assert table.set_index("hypothesis").loc["H3", "variance_fallbacks"] == 1
