"""Time event studies on a staggered panel: villageaid against pyfixest, the same model computed by both.

Not a test. Simulates a balanced staggered panel (default 200,000 units × 10 periods, cohorts 4, 6, 8 and
never treated: 2,000,000 rows; the generator of ``staggered_did.py``) and fits, each engine in a fresh process,
interleaved (villageaid, pyfixest, villageaid, ...) ``--repeat`` times:

- the TWFE event study: relative-time dummies (every lead and lag but -1; never-treated units have none) with
  unit and period effects, CRV1 by unit — villageaid ``twfe_event_study``, pyfixest
  ``feols("y ~ i(rel, ref=-1) | unit + time")``; coefficients and standard errors are compared;
- Sun–Abraham: villageaid ``sun_abraham`` against pyfixest's ``event_study(estimator="saturated")`` (cohort ×
  relative-time interactions, the regression Sun–Abraham averages); their aggregations differ, so only the
  times are compared.

Prints medians of the fit time (data loaded and engine imported and warmed up on a small slice before the clock
starts) and of the whole process, peak memory, ratios, and TARGET lines (villageaid faster than pyfixest).

    .venv/bin/python benchmarks/event_study.py [--units 200000] [--repeat 3] [--peer-python /path/to/python]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from common import interleaved_runs, peak_gb
from staggered_did import make_data

ENGINES = ("villageaid", "pyfixest")
MODELS = ("twfe", "sun_abraham")


def fit(engine: str, model: str, data):
    """Fit one model with one engine; return ({event time: estimate}, {event time: standard error})."""
    if engine == "villageaid":
        from villageaid.estimators import sun_abraham, twfe_event_study

        estimator = twfe_event_study if model == "twfe" else sun_abraham
        table = estimator(data, outcome="y", time="time", unit="unit", cohort="cohort").tidy()
        table = table.loc[table["event_time"] != -1]
        return (dict(zip(table["event_time"].astype(int), table["estimate"], strict=True)),
                dict(zip(table["event_time"].astype(int), table["std_error"], strict=True)))
    import pyfixest as pf

    if model == "twfe":
        frame = data.assign(rel=(data["time"] - data["cohort"]).where(data["cohort"] > 0, -1))
        result = pf.feols("y ~ i(rel, ref=-1) | unit + time", frame, vcov={"CRV1": "unit"})
        coef, se = result.coef(), result.se()
        times = [int(float(name.split("::")[1].rstrip("]"))) for name in coef.index]
        return dict(zip(times, coef.to_numpy(), strict=True)), dict(zip(times, se.to_numpy(), strict=True))
    # never treated: cohort 0, as pyfixest expects
    pf.event_study(data, yname="y", idname="unit", tname="time", gname="cohort", estimator="saturated")
    return {}, {}


def run_one(engine: str, model: str, path: str) -> None:
    import pandas as pd

    data = pd.read_parquet(path)
    fit(engine, model, data.loc[data["unit"] < 2000])  # imports and compilation outside the clock
    start = time.perf_counter()
    estimates, errors = fit(engine, model, data)
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "peak_gb": peak_gb(),
                      "estimates": {str(k): float(v) for k, v in estimates.items()},
                      "errors": {str(k): float(v) for k, v in errors.items()}}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20_240_601)
    parser.add_argument("--peer-python", default=sys.executable, help="interpreter that has pyfixest")
    parser.add_argument("--run-one", nargs=3, metavar=("ENGINE", "MODEL", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run_one:
        run_one(*args.run_one)
        return
    with tempfile.TemporaryDirectory(prefix="villageaid-event-study-") as folder:
        path = Path(folder) / "panel.parquet"
        make_data(args.units, path, args.seed)
        rows = args.units * 10
        for model in MODELS:
            commands = {engine: [args.peer_python if engine == "pyfixest" else sys.executable, __file__,
                                 "--run-one", engine, model, str(path)] for engine in ENGINES}
            runs = interleaved_runs(commands, args.repeat, model, cwd=Path(__file__).parent)
            if not runs["villageaid"]:
                continue
            ours = runs["villageaid"][-1]
            fit_ours = statistics.median(r["seconds"] for r in runs["villageaid"])
            whole_ours = statistics.median(r["whole"] for r in runs["villageaid"])
            for engine, done_runs in runs.items():
                if not done_runs:
                    continue
                fit_time = statistics.median(r["seconds"] for r in done_runs)
                whole = statistics.median(r["whole"] for r in done_runs)
                peak = statistics.median(r["peak_gb"] for r in done_runs)
                last = done_runs[-1]
                shared = [k for k in ours["estimates"] if k in last["estimates"]]
                if engine != "villageaid" and shared:
                    dcoef = max(abs(last["estimates"][k] - ours["estimates"][k]) for k in shared)
                    dse = max(abs(last["errors"][k] / ours["errors"][k] - 1) for k in shared)
                    compared = f"max |Δcoef| {dcoef:.1e}  max |Δse|/se {dse:.1e}"
                else:
                    compared = "" if engine == "villageaid" else "estimates not compared (different aggregation)"
                print(f"{model:12s} {engine:10s} fit {fit_time:6.2f} s (x{fit_time / fit_ours:5.2f})  whole process "
                      f"{whole:6.2f} s (x{whole / whole_ours:5.2f})  peak {peak:5.2f} GB  {compared}  "
                      f"({len(done_runs)} runs, {rows:,} rows)")
            if runs["pyfixest"]:
                peer = statistics.median(r["seconds"] for r in runs["pyfixest"])
                verdict = "met" if fit_ours < peer else f"missed: {fit_ours / peer:.2f}× pyfixest's time"
                print(f"TARGET | {model} event study, {rows:,} rows | {fit_ours:.2f} s ({peer / fit_ours:.2f}× "
                      f"pyfixest) | faster than pyfixest | {verdict}")
            else:
                print(f"TARGET | {model} event study, {rows:,} rows | {fit_ours:.2f} s | faster than pyfixest | "
                      "not compared (pyfixest missing)")


if __name__ == "__main__":
    main()
