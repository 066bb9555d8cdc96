"""Time each analysis and each output's writing on the default edition, one core, beside its declared cost.

Not a test. The build orders its tasks longest first by the ``cost`` each analysis declares in
``villageaid.registry.ANALYSES`` and by ``WRITE_SECONDS`` per figure and table (``villageaid.workflow.outputs``);
this prints what they take here, so the declarations can be kept near the truth. Only the order of the tasks
depends on them, never a number. Reads ``data/processed/panel.parquet`` (``make panel``), or simulates the
default edition when it is missing.

    .venv/bin/python benchmarks/analysis_costs.py
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

PANEL = Path(__file__).resolve().parents[1] / "data" / "processed" / "panel.parquet"


def default_panel() -> pd.DataFrame:
    """The default edition's panel: the built one when it exists, else simulated and built here."""
    if PANEL.exists():
        return pd.read_parquet(PANEL)
    from villageaid.io.validate import validate_tables
    from villageaid.panel import build_panel
    from villageaid.simulation import simulate

    tables, report = validate_tables(simulate().tables)
    if not report.ok:
        raise SystemExit(f"the simulated default edition did not validate:\n{report}")
    panel = build_panel(tables)
    panel.attrs["data_source"] = "simulated, scenario default"
    return panel


def main() -> None:
    from villageaid.registry import ANALYSES
    from villageaid.workflow import outputs

    panel = default_panel()
    analysis_seconds: dict[str, float] = {}
    write_seconds: dict[str, list[float]] = {"figure": [], "table": []}
    run_analysis, write_output = outputs.run_analysis, outputs.write_output

    def timed_analysis(name: str, *args: object) -> object:
        started = time.perf_counter()
        try:
            return run_analysis(name, *args)
        finally:
            analysis_seconds[name] = time.perf_counter() - started

    def timed_write(output: object, *args: object) -> list[Path]:
        started = time.perf_counter()
        try:
            return write_output(output, *args)
        finally:
            write_seconds[output.kind].append(time.perf_counter() - started)  # type: ignore[attr-defined]

    outputs.run_analysis, outputs.write_output = timed_analysis, timed_write
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        tables, figures = Path(folder, "tables"), Path(folder, "figures")
        tables.mkdir()
        figures.mkdir()
        outputs.build_outputs(panel, tables, figures, workers=0, log=lambda line: None)
    total = time.perf_counter() - started
    print(f"{'analysis':28s} {'measured s':>10s} {'declared':>9s}")
    for name, seconds in sorted(analysis_seconds.items(), key=lambda item: -item[1]):
        print(f"{name:28s} {seconds:10.2f} {ANALYSES[name].cost:9.2f}")
    for kind, seconds in write_seconds.items():
        if seconds:
            print(f"writing a {kind}: median {statistics.median(seconds):.2f} s of {len(seconds)} "
                  f"(declared {outputs.WRITE_SECONDS[kind]:.2f})")
    print(f"every output, serially: {total:.1f} s ({len(panel):,} village-years)")
    estimating = sum(analysis_seconds.values())
    writing = {kind: sum(seconds) for kind, seconds in write_seconds.items()}
    cores = os.cpu_count() or 1
    # Where the tables stage's floor comes from: no order of the tasks finishes it faster than its work over the cores.
    print(f"of which estimating {estimating:.1f} s, writing figures {writing['figure']:.1f} s, writing tables "
          f"{writing['table']:.1f} s; on {cores} cores the tables stage takes at least {total / cores:.1f} s")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
