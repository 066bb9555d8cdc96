"""Power for study design: the power-by-claim study (designs, summary, sentence, command) and its bad input."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from villageaid.simulation import null, seed_true
from villageaid.studies.discrimination import CLAIMS
from villageaid.studies.power import (
    HEADLINE_CLAIM,
    MEASURES,
    claim_design,
    claim_replication,
    power_sentence,
    select_claims,
    summarize_claim_power,
)
from villageaid.workflow.cli import main

#: A tiny run of the command: two counties and four, of 30 villages each, two replications of each.
TINY = ["power", "--claims", "all", "--counties", "4,2", "--villages", "30", "--reps", "2"]
BY_CLAIM_COLUMNS = ["claim_id", "hypothesis", "description", "scenario", "counties", "villages_per_county",
                    "villages", "vcov", "replications", "not_estimated", "variance_fallbacks", "truth", "measure",
                    "rate"]
NEEDED_COLUMNS = ["claim_id", "hypothesis", "description", "scenario", "villages_per_county",
                  "counties_for_80pct_power", "fewest_counties_tried", "most_counties_tried", "measure",
                  "rate_at_most_counties", "note"]


def test_claims_are_chosen_by_hypothesis_or_id() -> None:
    assert select_claims("all") == CLAIMS
    h4 = select_claims("H4")
    assert h4 and {k.hypothesis for k in h4} == {"H4"} and HEADLINE_CLAIM in {k.id for k in h4}
    both = select_claims(f"H3, {CLAIMS[-1].id}")
    assert [k.id for k in both] == [k.id for k in CLAIMS if k.hypothesis == "H3" or k.id == CLAIMS[-1].id]
    for text in ("nonsense", "H3,H99", ",", ""):
        with pytest.raises(ValueError, match="unknown claim"):
            select_claims(text)


def test_designs_repeat_the_scenarios_counties() -> None:
    assert claim_design("seed_true", 2) == seed_true()
    assert claim_design("null", 2) == null()
    four = claim_design("seed_true", 4)
    assert four.villages_per_county == (150, 120, 150, 120) and four.townships_per_county == (10, 8, 10, 8)
    assert four.counties_per_city == 4 and four.county_names == ("K01", "K02", "K03", "K04")
    assert four.coefficients_transition == seed_true().coefficients_transition
    many = claim_design("null", 40, 30)
    assert many.n_villages == 1200 and set(many.townships_per_county) == {2} and many.counties_per_city == 8
    assert many.coefficients_transition == null().coefficients_transition
    one = claim_design("seed_true", 1)
    assert one.villages_per_county == (150,) and one.counties_per_city == 2
    for bad in (("seed_true", 0, None), ("seed_true", 2, 0), ("national", 2, None)):
        with pytest.raises(ValueError):
            claim_design(*bad)


def _rows(rates: dict[tuple[str, int], list[str]], truth: dict[str, float]) -> pd.DataFrame:
    """Replication rows with the given verdicts per (claim id, counties)."""
    keys = {k.id: k for k in CLAIMS}
    return pd.DataFrame([
        {"seed": seed, "scenario": "seed_true", "counties": counties, "villages_per_county": 135.0,
         "villages": 135 * counties, "vcov": "CRV3", "claim_id": claim_id, "hypothesis": keys[claim_id].hypothesis,
         "direction": keys[claim_id].claim, "truth": truth[claim_id], "verdict": v,
         "variance_fallback": "CRV3 undefined" if v == "undetermined" else ""}
        for (claim_id, counties), verdicts in rates.items() for seed, v in enumerate(verdicts)])


def test_summary_reads_power_false_support_and_the_counties_needed() -> None:
    strong, campaign, divergence, need = (CLAIMS[0].id, CLAIMS[1].id, "divergence.beta_convergence.divergence.estimate",
                                          next(k.id for k in CLAIMS if k.name == "need_index"))
    s, u, c, n = "supported", "undetermined", "contradicted", "not estimated"
    rows = _rows({(strong, 2): [s, u, u, u, u], (strong, 4): [s, s, s, s, n], (strong, 8): [s, s, s, s, s],
                  (campaign, 2): [s, c, u, u, u], (campaign, 4): [s, u, u, u, u], (campaign, 8): [s, u, u, u, u],
                  (divergence, 2): [s, s, s, s, s], (divergence, 4): [s, s, s, s, s], (divergence, 8): [s] * 5,
                  (need, 2): [s] * 5, (need, 4): [s, s, u, u, u], (need, 8): [s] * 5},
                 {strong: 0.6, campaign: 0.0, divergence: np.nan, need: 0.4})
    by_claim, needed = summarize_claim_power(rows)
    assert list(by_claim.columns) == BY_CLAIM_COLUMNS and list(needed.columns) == NEEDED_COLUMNS
    assert list(by_claim["claim_id"].unique()) == [strong, campaign, need, divergence]  # the registry's order
    first = by_claim.loc[by_claim["claim_id"] == strong].set_index("counties")
    # a replication not estimated counts as not supported
    np.testing.assert_allclose(first["rate"], [0.2, 0.8, 1.0], rtol=0, atol=1e-12)
    assert list(first["not_estimated"]) == [0, 1, 0] and list(first["variance_fallbacks"]) == [4, 0, 0]
    assert set(first["measure"]) == {"power"}
    assert set(by_claim.loc[by_claim["claim_id"] == campaign, "measure"]) == {MEASURES["false"]}
    assert set(by_claim.loc[by_claim["claim_id"] == divergence, "measure"]) == {MEASURES["no_truth"]}
    needed = needed.set_index("claim_id")
    assert needed.loc[strong, "counties_for_80pct_power"] == 4 and needed.loc[strong, "note"] == ""
    assert pd.isna(needed.loc[campaign, "counties_for_80pct_power"])
    assert needed.loc[campaign, "note"].startswith("not true in the scenario: a false-support rate")
    assert pd.isna(needed.loc[divergence, "counties_for_80pct_power"])
    assert needed.loc[divergence, "note"].startswith("no true value")
    assert needed.loc[need, "counties_for_80pct_power"] == 2
    assert needed.loc[need, "note"].startswith("below 80% again at 4 counties")
    with pytest.raises(ValueError, match="no replications"):
        summarize_claim_power(rows.iloc[:0])


def _needed(counties: list[float | None], *, headline: float | None = 16.0, extra: str | None = None,
            villages: float = 135.0) -> pd.DataFrame:
    ids = [k.id for k in CLAIMS if k.id != HEADLINE_CLAIM]
    rows = [{"claim_id": HEADLINE_CLAIM, "hypothesis": "H4", "counties_for_80pct_power": headline}]
    rows += [{"claim_id": ids[i], "hypothesis": "Hx", "counties_for_80pct_power": c} for i, c in enumerate(counties)]
    table = pd.DataFrame(rows).assign(scenario="seed_true", villages_per_county=villages, fewest_counties_tried=2,
                                      most_counties_tried=40, measure=MEASURES["power"], rate_at_most_counties=0.9)
    if extra is not None:
        table.loc[len(table) - 1, "measure"] = MEASURES[extra]
        table.loc[len(table) - 1, "hypothesis"] = "H6"
        table.loc[len(table) - 1, "counties_for_80pct_power"] = None
    table["counties_for_80pct_power"] = table["counties_for_80pct_power"].astype("Int64")
    return table


def test_power_sentence_for_the_paper() -> None:
    counties = [2.0] * 5 + [None] * 7 + [4.0, 8.0, 16.0, 40.0] * 2 + [8.0, 8.0, 4.0]
    assert power_sentence(_needed(counties)) == (
        "At 80% power, the strong-alliance shift (H4) needs 16 counties of 135 villages; 5 of the 24 claims true in "
        "the simulated process reach it with the two counties of the source paper; 7 are not reached by 40 counties.")
    sentence = power_sentence(_needed([2.0, 4.0], headline=None, extra="no_truth"))
    assert sentence == ("At 80% power, the strong-alliance shift (H4) is not reached by 40 counties of 135 villages; "
                        "1 of the 2 claims true in the simulated process reaches it with the two counties of the "
                        "source paper; 1 is not reached by 40 counties. Left out: 1 claim with no true value in "
                        "the simulated process (H6).")
    everything = power_sentence(_needed([4.0], headline=4.0))
    assert "none of the 2 claims" in everything and everything.endswith("every one reaches it by 40 counties.")
    # read back from the file as the paper would
    assert "needs 16 counties" in power_sentence(pd.read_csv(io.StringIO(_needed([2.0]).to_csv(index=False))))
    with pytest.raises(ValueError, match="one villages_per_county"):
        power_sentence(pd.concat([_needed([2.0]), _needed([2.0], villages=60.0)]))
    with pytest.raises(ValueError, match="non-empty"):
        power_sentence(_needed([2.0]).iloc[:0])


def test_one_replication_reads_every_claim() -> None:
    rows = claim_replication(11, "seed_true", 2, 20)
    assert [r["claim_id"] for r in rows] == [k.id for k in CLAIMS]
    assert {r["verdict"] for r in rows} <= {"supported", "contradicted", "undetermined", "not estimated"}
    assert {r["villages"] for r in rows} == {40} and {r["vcov"] for r in rows} == {"CRV3"}
    chosen = claim_replication(11, "seed_true", 2, 20, claims=(HEADLINE_CLAIM,), vcov="CRV1")
    assert len(chosen) == 1 and chosen[0]["vcov"] == "CRV1" and chosen[0]["claim_id"] == HEADLINE_CLAIM


@pytest.mark.integration  # two runs of the whole study (about 12 s); make test-integration, CI runs it
def test_the_command_writes_the_same_bytes_on_one_worker_and_two(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*TINY, "--workers", "1", "--out", str(tmp_path / "one")]) == 0
    printed = capsys.readouterr().out
    assert "counties_for_80pct_power" in printed and "At 80% power" in printed
    assert main([*TINY, "--workers", "2", "--out", str(tmp_path / "two")]) == 0
    for name in ("power_by_claim.csv", "counties_for_80pct_power_by_claim.csv"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes(), name
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "one" / "power_by_claim_replications.parquet"),
                                  pd.read_parquet(tmp_path / "two" / "power_by_claim_replications.parquet"),
                                  check_exact=True)
    by_claim = pd.read_csv(tmp_path / "one" / "power_by_claim.csv")
    needed = pd.read_csv(tmp_path / "one" / "counties_for_80pct_power_by_claim.csv", keep_default_na=False,
                         na_values=[""])
    assert list(by_claim.columns) == BY_CLAIM_COLUMNS and list(needed.columns) == NEEDED_COLUMNS
    assert len(by_claim) == 2 * len(CLAIMS) and len(needed) == len(CLAIMS)
    assert list(by_claim["counties"].unique()) == [2, 4] and (by_claim["replications"] == 2).all()
    assert (by_claim["villages_per_county"] == 30).all() and by_claim["rate"].between(0, 1).all()
    assert set(by_claim["measure"]) <= set(MEASURES.values())
    unreached = needed["counties_for_80pct_power"].isna() & (needed["measure"] == "power")
    assert (needed.loc[unreached, "note"] == "not reached by 4 counties").all()
    assert power_sentence(needed).startswith("At 80% power, the strong-alliance shift (H4)")


@pytest.mark.parametrize("options, message", [
    (["--claims", "all", "--counties", "0"], "--counties '0': every number must be at least 1"),
    (["--claims", "nonsense"], "--claims: unknown claim(s) nonsense"),
    (["--claims", "all", "--counties", "2,x"], "--counties: cannot read the list"),
    (["--claims", "all", "--villages", "-5"], "--villages '-5': every number must be at least 1"),
    (["--claims", "H4", "--effects", "0.3"], "--effects belongs to the effect-size study"),
    (["--claims", "H4", "--scenario", "national"], "--scenario 'national': use one of seed_true"),
    (["--vcov", "CRV1"], "--vcov belongs to the power-by-claim study"),
    (["--counties", "0"], "--counties '0'"),
    (["--claims", "all", "--reps", "0"], "--reps must be at least 1"),
])
def test_bad_input_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str], options: list[str],
                                    message: str) -> None:
    assert main(["power", *options, "--out", str(tmp_path / "out")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_bad_input_from_the_shell_has_no_traceback(tmp_path: Path) -> None:
    for options in (["--counties", "0", "--claims", "all"], ["--claims", "nonsense"]):
        done = subprocess.run([sys.executable, "-m", "villageaid", "power", *options, "--out", str(tmp_path)],
                              capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 2 and "villageaid: error:" in done.stderr
        assert "Traceback" not in done.stderr and done.stdout == ""
