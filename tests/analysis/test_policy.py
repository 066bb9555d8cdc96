"""The allocation policy simulator: optimiser against brute force, serial = cluster, user policies checked."""

from __future__ import annotations

import hashlib
import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from villageaid.analysis.policy import (
    Coefficients,
    County,
    PolicyInputError,
    Simulator,
    _cap,
    need_based_assignment,
    simulate_policies,
)
from villageaid.analysis.policy_inputs import assignments_policy, counties_from_panel, estimate_policy_models
from villageaid.panel.village_year import build_panel
from villageaid.registry import FIGURE_FRONTIER, TABLE9
from villageaid.simulation import simulate
from villageaid.workflow.cli import main
from villageaid.workflow.outputs import output_files


def _county(n: int, seed: int) -> County:
    rng = np.random.default_rng(seed)
    endowment = rng.normal(size=n)
    return County(f"K{seed}", np.array([f"V{i}" for i in range(n)], dtype=object),
                  np.array([f"U{i // 2}" for i in range(n)], dtype=object), rng.random(n) < 0.3,
                  rng.random(n) < 0.4, endowment > 0.3, endowment, np.exp(rng.normal(3, 1, n)),
                  np.exp(rng.normal(1.5, 0.5, n)), endowment <= np.quantile(endowment, 0.4),
                  endowment <= np.quantile(endowment, 0.2))


@pytest.mark.parametrize("seed", range(6))
def test_need_based_matching_is_the_best_of_all_assignments(seed: int) -> None:
    """Against every permutation of the posts (6! = 720), and against the square assignment problem at size 60."""
    from scipy.optimize import linear_sum_assignment

    large = Simulator(_county(60, seed), Coefficients(0.4, 0.2, 0.6, 0.1, -0.04))
    square = large.gain_matrix()
    rows, cols = linear_sum_assignment(square, maximize=True)
    reduced = need_based_assignment(large.gain_by_kind(), large.post_kinds())
    assert square[np.arange(60), reduced].sum() == pytest.approx(square[rows, cols].sum(), rel=1e-12)
    county = _county(6, seed)
    sim = Simulator(county, Coefficients(0.4, 0.2, 0.6, 0.1, -0.04))
    gain = sim.gain_matrix()
    best = max(sum(gain[i, p] for i, p in enumerate(perm)) for perm in itertools.permutations(range(6)))
    post = need_based_assignment(sim.gain_by_kind(), sim.post_kinds())
    assert sorted(post) == list(range(6))
    assert gain[np.arange(6), post].sum() == pytest.approx(best, rel=1e-12)
    # the gain matrix is the simulator's own prediction for every single reassignment
    for j in range(6):
        moved = np.arange(6)
        moved[0], moved[j] = j, 0
        np.testing.assert_allclose(sim.gains(sim.funding(moved))[0], gain[0, j], rtol=1e-12)


def test_pooling_keeps_the_total_and_respects_the_cap() -> None:
    funding = np.array([1.0, 2.0, 3.0, 50.0, 4.0])
    capped = _cap(funding, 2.0)
    assert capped.sum() == pytest.approx(funding.sum(), rel=1e-12)
    assert capped.max() <= 2.0 * funding.mean() + 1e-9
    np.testing.assert_allclose(_cap(funding, 1.0), np.full(5, funding.mean()), rtol=1e-12)
    np.testing.assert_array_equal(_cap(funding, np.inf), funding)


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, Path]:
    panel = build_panel(simulate(seed=20240601).tables)
    path = tmp_path_factory.mktemp("policy") / "panel.parquet"
    panel.to_parquet(path)
    return panel, path


def test_policies_on_the_simulated_data_and_their_invariants(simulated: tuple) -> None:
    panel, _ = simulated
    counties = counties_from_panel(panel)
    result = simulate_policies(counties, estimate_policy_models(panel), draws=20, seed=3)
    table = result.table.set_index(["policy", "measure"])["estimate"]
    assert table[("status_quo", "total_gain")] == 0.0
    assert table[("benefits_all", "gini_within_county")] == pytest.approx(0.0, abs=1e-12)
    assert table[("benefits_all", "share_poorest_40")] == pytest.approx(
        sum(c.poorest.sum() for c in counties) / sum(c.size for c in counties), rel=1e-12)
    # need-based maximises the predicted gain over the posts: at least as good as any other reassignment
    for other in ("status_quo", "strong_alliance", "cadre_reform"):
        assert table[("need_based", "total_gain")] >= table[(other, "total_gain")] - 1e-9
    frontier = result.frontier.pivot(index="cap", columns="measure", values="estimate")
    assert frontier.loc[np.inf, "total_gain"] == pytest.approx(table[("need_based", "total_gain")], rel=1e-12)
    assert frontier.loc[1.0, "gini_within_county"] == pytest.approx(0.0, abs=1e-12)
    assert (result.table["conf_low"] <= result.table["conf_high"]).all()


@pytest.mark.slow
def test_serial_and_local_cluster_give_identical_results(simulated: tuple) -> None:
    panel, _ = simulated
    counties, models = counties_from_panel(panel), estimate_policy_models(panel)
    serial = simulate_policies(counties, models, draws=10, seed=4, workers=0)
    cluster = simulate_policies(counties, models, draws=10, seed=4, workers=2)
    assert cluster.backend.startswith("dask")
    pd.testing.assert_frame_equal(serial.table, cluster.table, check_exact=True)
    pd.testing.assert_frame_equal(serial.frontier, cluster.frontier, check_exact=True)


def test_chunking_does_not_change_the_numbers(simulated: tuple) -> None:
    panel, _ = simulated
    counties, models = counties_from_panel(panel), estimate_policy_models(panel)
    one = simulate_policies(counties, models, draws=5, seed=4, counties_per_task=1)
    all_in_one = simulate_policies(counties, models, draws=5, seed=4, counties_per_task=10)
    pd.testing.assert_frame_equal(one.table, all_in_one.table, rtol=1e-12)


def test_a_user_policy_as_a_function_or_assignments(simulated: tuple) -> None:
    panel, _ = simulated
    counties, models = counties_from_panel(panel), estimate_policy_models(panel)
    status = pd.DataFrame({"village_id": np.concatenate([c.village_id for c in counties]),
                           "unit_id": np.concatenate([c.unit_id for c in counties])})
    custom = assignments_policy(status.sample(frac=1, random_state=1), counties)
    result = simulate_policies(counties, models, draws=3, seed=1, custom=custom)
    table = result.table.set_index(["policy", "measure"])
    pd.testing.assert_series_equal(table.loc["custom", "estimate"], table.loc["status_quo", "estimate"])

    def reverse(county: County, sim: Simulator) -> np.ndarray:
        return np.arange(county.size)[::-1]

    result = simulate_policies(counties, models, draws=0, seed=1, custom_function=reverse)
    assert "custom" in set(result.table["policy"])


def test_bad_assignments_are_all_reported(simulated: tuple) -> None:
    panel, _ = simulated
    counties = counties_from_panel(panel)
    first = counties[0]
    rows = [{"village_id": v, "unit_id": u} for v, u in zip(first.village_id, first.unit_id, strict=True)]
    rows[0]["unit_id"] = rows[1]["unit_id"] = rows[2]["unit_id"] = first.unit_id[0]  # over capacity
    rows[3]["unit_id"] = "NO-SUCH-UNIT"
    rows.append({"village_id": "NO-SUCH-VILLAGE", "unit_id": first.unit_id[0]})
    rows.append(dict(rows[4]))  # a village twice
    with pytest.raises(PolicyInputError) as error:
        assignments_policy(pd.DataFrame(rows), counties, source="mine.csv")
    text = str(error.value)
    for expected in ("unknown village 'NO-SUCH-VILLAGE'", "'NO-SUCH-UNIT' has no first-secretary post",
                     "its capacity there is", "is assigned 2 times", f"county {counties[1].name}",
                     "villages without a unit"):
        assert expected in text
    with pytest.raises(PolicyInputError, match="missing column 'unit_id'"):
        assignments_policy(pd.DataFrame({"village_id": ["x"]}), counties)


def test_command_line(simulated: tuple, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    _, panel_path = simulated
    out = tmp_path / "out"
    assert main(["policy", str(panel_path), "--draws", "5", "--workers", "0", "--out", str(out)]) == 0
    assert {p.name for p in out.iterdir()} == {*output_files(TABLE9), *output_files(FIGURE_FRONTIER)}
    bad = tmp_path / "bad.csv"
    bad.write_text("village_id,unit_id\nW001,NOPE\n", encoding="utf-8")
    before = hashlib.sha256(bad.read_bytes()).hexdigest()
    assert main(["policy", str(panel_path), "--draws", "2", "--workers", "0", "--out", str(tmp_path / "o2"),
                 "--assignments", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "NOPE" in err and "villages without a unit" in err and "Traceback" not in err
    assert hashlib.sha256(bad.read_bytes()).hexdigest() == before
    assert main(["policy", str(panel_path), "--cap", "0.5", "--out", str(tmp_path / "o3")]) == 2


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
    assert main(["policy", str(tmp_path / "panel.parquet"), "--draws", "3", "--workers", "0",
                 "--out", str(tmp_path / "out")]) == 0
    table = pd.read_csv(tmp_path / "out" / f"{TABLE9.stem}.csv")
    assert set(table["policy"]) >= {"status_quo", "need_based", "need_based_capped"}
    capsys.readouterr()
    assert main(["panel", str(valid_dir), "--out", str(tmp_path / "small.parquet")]) == 0
    assert main(["policy", str(tmp_path / "small.parquet"), "--workers", "0", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "error:" in err and "Traceback" not in err
