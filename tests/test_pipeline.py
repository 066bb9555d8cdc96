"""The paper's build: outputs grouped by the analyses they share, and the same bytes in parallel and serially."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import tree_hashes
from villageaid.io.validate import validate_tables
from villageaid.panel import build_panel
from villageaid.simulation import simulate
from villageaid.workflow.outputs import OUTPUTS, REPEATABLE, _groups_sharing_analyses, build_outputs


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    tables, report = validate_tables(simulate().tables)
    assert report.ok
    panel = build_panel(tables)
    panel.attrs["data_source"] = "simulated, scenario default"
    return panel


def test_groups_never_split_a_long_analysis() -> None:
    groups = _groups_sharing_analyses(OUTPUTS)
    assert sorted(o.stem for g in groups for o in g) == sorted(o.stem for o in OUTPUTS)
    homes: dict[str, set[int]] = {}
    for number, group in enumerate(groups):
        for output in group:
            for need in output.needs:
                homes.setdefault(need, set()).add(number)
    # Each analysis outside REPEATABLE is estimated in one group only; the allocation models may repeat.
    assert all(len(where) == 1 for need, where in homes.items() if need not in REPEATABLE)
    assert any(len(homes[need]) > 1 for need in REPEATABLE)
    assert len(groups) >= 6  # enough independent work for two cores


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
        # Returned in the outputs' order whatever order the workers finished in, then the options and generated text.
        order = [o.stem for o in chosen]
        owners = [max((o for o in order if p.stem.startswith(o)), key=len) for p in written[:-3]]
        assert owners == sorted(owners, key=order.index) and list(dict.fromkeys(owners)) == order
    assert names[1] == names[2]
    assert tree_hashes(tmp_path / "t1") == tree_hashes(tmp_path / "t2")
    assert tree_hashes(tmp_path / "f1") == tree_hashes(tmp_path / "f2")
    # Every output logged once, whichever process wrote it.
    assert sorted(m.split(":")[0] for m in logs[1]) == sorted(m.split(":")[0] for m in logs[2])
    assert {m.split(":")[0] for m in logs[1]} >= {o.stem for o in chosen}
