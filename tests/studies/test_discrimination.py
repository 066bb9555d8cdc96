"""The discrimination study: verdicts per claim, scenario and design; the same bytes serially and in parallel."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from villageaid.registry import KEY_ESTIMATES
from villageaid.report.simulation_tables import discrimination_table, robustness_text
from villageaid.studies.discrimination import CLAIMS, VERDICTS, design_scenario, summarize
from villageaid.workflow.cli import main


def test_claims_are_the_key_estimates_with_a_direction() -> None:
    assert {k.id for k in CLAIMS} == {k.id for k in KEY_ESTIMATES if k.claim != 0 and k.interval is not None}
    assert len(CLAIMS) >= 10


def test_the_many_county_design_keeps_the_scenario_and_changes_the_geography() -> None:
    two = design_scenario("need_decline", "two_county")
    many = design_scenario("need_decline", "many_county")
    assert many.name == "need_decline" and many.former_poor_effect_transition == two.former_poor_effect_transition
    assert many.n_villages == 3200 and len(many.county_names) == 40 and two.n_villages == 270
    with pytest.raises(ValueError, match="unknown design"):
        design_scenario("null", "three_county")


def test_summary_shares_and_coverage() -> None:
    rows = pd.DataFrame([
        {"key": CLAIMS[0].id, "hypothesis": "H3", "scenario": "null", "design": "two_county", "verdict": v,
         "estimate": e, "conf_low": e - 1, "conf_high": e + 1, "truth": 0.0, "variance_fallback": ""}
        for v, e in (("supported", 2.5), ("undetermined", 0.5), ("undetermined", -0.5), ("contradicted", -2.5))]
        + [{"key": CLAIMS[0].id, "hypothesis": "H3", "scenario": "null", "design": "two_county",
            "verdict": "not estimated", "estimate": float("nan"), "conf_low": float("nan"),
            "conf_high": float("nan"), "truth": 0.0, "variance_fallback": ""}])
    summary = summarize(rows)
    row = summary.iloc[0]
    assert (row["supported"], row["contradicted"], row["undetermined"]) == (0.25, 0.25, 0.5)
    assert row["replications"] == 5 and row["not_estimated"] == 1 and row["coverage"] == 0.5
    assert set(VERDICTS) <= set(summary.columns)
    table = discrimination_table(summary, note="test")
    assert table.rows[0][1] == "25 / 25"
    assert "null" in robustness_text(summary)


@pytest.mark.integration
def test_serial_and_two_workers_give_the_same_bytes(tmp_path: Path) -> None:
    common = ["discrimination", "--reps", "1", "--scenarios", "seed_true,null", "--designs", "two_county,many_county"]
    assert main([*common, "--workers", "0", "--out", str(tmp_path / "serial")]) == 0
    assert main([*common, "--workers", "2", "--out", str(tmp_path / "parallel")]) == 0
    for name in ("discrimination_summary.csv", "table11_discrimination.md", "table12_coverage.tex",
                 "robustness_text.tex"):
        assert (tmp_path / "serial" / name).read_bytes() == (tmp_path / "parallel" / name).read_bytes(), name
    serial = pd.read_parquet(tmp_path / "serial" / "discrimination_replications.parquet")
    parallel = pd.read_parquet(tmp_path / "parallel" / "discrimination_replications.parquet")
    pd.testing.assert_frame_equal(serial, parallel, check_exact=True)
    assert set(serial["design"]) == {"two_county", "many_county"} and len(serial) == 4 * len(CLAIMS)
    assert set(serial.loc[serial["design"] == "many_county", "vcov"]) == {"CRV1-county"}
    assert set(serial.loc[serial["design"] == "two_county", "vcov"]) == {"CRV3"}
