"""Time Callaway–Sant'Anna ATT(g,t) (never-treated controls, no covariates, analytic SEs) against peers.

Not a test. Simulates a balanced panel (default 200,000 units × 10 periods, cohorts 4, 6, 8 and never
treated: 2,000,000 rows) and fits it with villageaid and, where installed, csdid, moderndid, diff-diff and
differences, each in a fresh process with the data loaded before the clock starts (median of --repeats
fits). Prints seconds, peak memory (VmHWM), the largest difference in ATT(g,t) from villageaid, and ratios.
Target: villageaid faster than every one of them and under 1 s.

    .venv/bin/python benchmarks/staggered_did.py [--units 200000] [--repeats 3]
    (peers are not villageaid dependencies: pip install csdid moderndid diff-diff differences, in the
    interpreter given by --peer-python; --covariate adds a covariate; a TARGET line compares with diff-diff)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from common import peak_gb

ENGINES = ("villageaid", "csdid", "moderndid", "diff-diff", "differences")


def make_data(units: int, path: Path, seed: int, covariate: bool = False) -> None:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    periods = np.arange(1, 11)
    cohort = rng.choice(np.array([0, 4, 6, 8]), size=units, p=[0.4, 0.2, 0.2, 0.2])
    unit = np.repeat(np.arange(units), len(periods))
    t = np.tile(periods, units)
    g = cohort[unit]
    effect = np.where((g > 0) & (t >= g), 1.0 + 0.1 * (t - g), 0.0)
    x = rng.normal(size=units)[unit]  # a time-invariant covariate that shifts the trend
    y = rng.normal(size=units)[unit] + 0.1 * t + (0.05 * t * x if covariate else 0.0) + effect \
        + rng.normal(size=len(t))
    frame = pd.DataFrame({"unit": unit, "time": t, "cohort": g, "y": y})
    if covariate:
        frame["x"] = x
    frame.to_parquet(path, index=False)


def fit(engine: str, data):
    """Fit one engine; return {(g, t): att}."""
    import numpy as np

    covariates = ["x"] if "x" in data.columns else None
    if engine == "villageaid":
        from villageaid.estimators import att_gt

        r = att_gt(data, outcome="y", time="time", unit="unit", cohort="cohort", covariates=covariates)
        return {(int(g), int(t)): float(a) for g, t, a in zip(r.cohorts, r.times, r.estimates, strict=True)}
    if engine == "csdid":
        from csdid.att_gt import ATTgt

        r = ATTgt(yname="y", gname="cohort", idname="unit", tname="time", data=data).fit(est_method="dr")
        s = r.summ_attgt().summary2
        return {(int(g), int(t)): float(a) for g, t, a in zip(s["Group"], s["Time"], s["ATT(g, t)"], strict=True)}
    if engine == "moderndid":
        import moderndid

        r = moderndid.att_gt(data=data, yname="y", tname="time", idname="unit", gname="cohort", est_method="dr",
                             boot=False)
        return {(int(g), int(t)): float(a) for g, t, a in zip(r.groups, r.times, r.att_gt, strict=True)}
    if engine == "diff-diff":
        from diff_diff import CallawaySantAnna

        r = CallawaySantAnna(control_group="never_treated", estimation_method="dr").fit(
            data, outcome="y", unit="unit", time="time", first_treat="cohort", covariates=covariates)
        return {(int(k[0]), int(k[1])): float(v["effect"]) for k, v in r.group_time_effects.items()}
    from differences import ATTgt

    frame = data.assign(cohort=data["cohort"].where(data["cohort"] > 0, np.nan)).set_index(["unit", "time"])
    model = ATTgt(data=frame, cohort_column="cohort")
    model.fit(formula="y", est_method="dr", progress_bar=False)
    r = model.results().reset_index()
    att = r[("ATTgtElements", "", "ATT")].to_numpy()
    return {(int(g), int(t)): float(a) for g, t, a in zip(r["cohort"], r["time"], att, strict=True)}


def run_one(engine: str, path: str, repeats: int) -> None:
    import pandas as pd

    data = pd.read_parquet(path)
    fit(engine, data.head(2000 * 10))  # import and warm up outside the clock
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        att = fit(engine, data)
        times.append(time.perf_counter() - start)
    times.sort()
    print(json.dumps({"seconds": times[len(times) // 2], "peak_gb": peak_gb(),
                      "att": {f"{g},{t}": a for (g, t), a in att.items()}}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20_240_601)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/villageaid-staggered"))
    parser.add_argument("--covariate", action="store_true", help="add a covariate (doubly robust with it)")
    parser.add_argument("--engines", default=",".join(ENGINES), help="comma-separated engines to run")
    parser.add_argument("--peer-python", default=sys.executable,
                        help="interpreter with the peer libraries (they are not villageaid dependencies)")
    parser.add_argument("--run-one", nargs=2, metavar=("ENGINE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run_one:
        run_one(args.run_one[0], args.run_one[1], args.repeats)
        return
    args.workdir.mkdir(parents=True, exist_ok=True)
    path = args.workdir / f"panel_{args.units}{'_covariate' if args.covariate else ''}.parquet"
    if not path.exists():
        make_data(args.units, path, args.seed, args.covariate)
    results = {}
    for engine in [e for e in ENGINES if e in args.engines.split(",")]:
        python = sys.executable if engine == "villageaid" else args.peer_python
        proc = subprocess.run([python, __file__, "--run-one", engine, str(path), "--repeats",
                               str(args.repeats)], capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            last = (proc.stderr.strip().splitlines() or ["?"])[-1]
            print(f"{engine:12s} not run: {last[:150]}")
            continue
        results[engine] = json.loads(proc.stdout.strip().splitlines()[-1])
    ours = results.get("villageaid")
    for engine, r in results.items():
        common = set(r["att"]) & set(ours["att"]) if ours else set()
        diff = max((abs(r["att"][k] - ours["att"][k]) for k in common), default=float("nan"))
        ratio = r["seconds"] / ours["seconds"] if ours else float("nan")
        print(f"{engine:12s} {r['seconds']:7.2f} s  peak {r['peak_gb']:5.2f} GB  time ratio to villageaid "
              f"{ratio:5.2f}  max |ΔATT(g,t)| {diff:.1e} over {len(common)} cells")
    what = f"att_gt, {args.units * 10:,} rows, {'with' if args.covariate else 'without'} a covariate"
    if ours and "diff-diff" in results:
        ratio = results["diff-diff"]["seconds"] / ours["seconds"]
        verdict = "met" if ratio >= 1.5 else f"missed: {ratio:.2f}× instead of 1.5×"
        print(f"TARGET | {what} | {ours['seconds']:.2f} s ({ratio:.2f}× diff-diff) | ≥ 1.5× diff-diff | {verdict}")
    elif ours:
        print(f"TARGET | {what} | {ours['seconds']:.2f} s | ≥ 1.5× diff-diff | not compared (diff-diff missing)")


if __name__ == "__main__":
    main()
