"""Time the wild cluster bootstrap's public call (p-value and interval) against pyfixest's p-value.

Not a test. The issue's shape: 100,000 rows, 50 clusters, one regressor and 20 fixed-effect levels,
B = 9,999 Rademacher draws, restricted (WCR). Each engine runs in its own fresh process, interleaved (ours,
peer, ours, peer, ...), --repeat times; the data are generated in the process before the clock starts, the fit
outside it; the clock covers a second (warm) bootstrap call, after a first one that pays imports and
pyfixest's numba compilation (villageaid: p-value and 95% interval; pyfixest ``wildboottest``: p-value only,
as it offers no interval). The peer interpreter needs pyfixest and the ``wildboottest`` package.
Prints medians (wall and CPU), the ratio, the p-values with their Monte Carlo standard error, and a TARGET line.
Target (2 cores): villageaid's p-value and interval ≥ 1.2× as fast as pyfixest's p-value alone, the same p-value
to Monte Carlo error (the two draw different weights, so the p-values agree to about two standard errors).

    .venv/bin/python benchmarks/wild_bootstrap.py [--repeat 3] [--peer-python /path/to/python-with-pyfixest]
"""

from __future__ import annotations

import argparse
import statistics
import sys

from common import run_fresh

DATA = """
import resource, time, numpy as np, pandas as pd
def cpu():
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime
rng = np.random.default_rng(0); n, G = 100_000, 50
d = pd.DataFrame({"g": rng.integers(0, G, n), "t": rng.integers(0, 20, n), "x": rng.normal(size=n)})
d["y"] = 0.01 * d["x"] + rng.normal(size=G)[d["g"]] + rng.normal(size=n)
"""
VILLAGEAID = DATA + """
from villageaid.estimators import feols
from villageaid.estimators.bootstrap import wild_cluster_bootstrap
fit = feols("y ~ x | t", d, vcov={"CRV1": "g"})
r = wild_cluster_bootstrap(fit, "x", "g", draws=9999, seed=2)  # first call: imports and compilation, untimed
start, began = time.perf_counter(), cpu()
r = wild_cluster_bootstrap(fit, "x", "g", draws=9999, seed=1)
print(time.perf_counter() - start, r.p_value, r.conf_low, r.conf_high, cpu() - began)
"""
PYFIXEST = DATA + """
import pyfixest as pf
fit = pf.feols("y ~ x | t", d, vcov={"CRV1": "g"})
r = fit.wildboottest(param="x", reps=9999, seed=2)  # first call: imports and numba compilation, untimed
start, began = time.perf_counter(), cpu()
r = fit.wildboottest(param="x", reps=9999, seed=1)
print(time.perf_counter() - start, float(r["Pr(>|t|)"]), "nan", "nan", cpu() - began)
"""


def run(python: str, program: str) -> list[float] | None:
    """[bootstrap seconds, p, low, high, bootstrap CPU seconds, peak GB, whole-process seconds] from one process."""
    done = run_fresh(python, program)
    if done is None:
        return None
    lines, peak, seconds = done
    return [*(float(v) for v in lines[-1].split()), peak, seconds]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--peer-python", default=sys.executable,
                        help="interpreter with pyfixest installed (pyfixest is not a villageaid dependency)")
    args = parser.parse_args()
    ours, peer = [], []
    for _ in range(args.repeat):
        result = run(sys.executable, VILLAGEAID)
        ours.append(result)
        other = run(args.peer_python, PYFIXEST)
        if other is not None:
            peer.append(other)
    median = statistics.median(r[0] for r in ours)
    process, peak = statistics.median(r[6] for r in ours), statistics.median(r[5] for r in ours)
    cpu = statistics.median(r[4] for r in ours)
    print(f"villageaid p-value and interval: median {median:.2f} s (CPU {cpu:.2f} s); p = {ours[0][1]:.4f}, "
          f"interval [{ours[0][2]:.5f}, {ours[0][3]:.5f}]; whole process {process:.2f} s, peak {peak:.2f} GB")
    if peer:
        peer_median, peer_cpu = statistics.median(r[0] for r in peer), statistics.median(r[4] for r in peer)
        ratio = peer_median / median
        p_ours, p_peer = ours[0][1], peer[0][1]
        monte_carlo = ((p_ours * (1 - p_ours) + p_peer * (1 - p_peer)) / 9999) ** 0.5  # SE of the difference
        same = abs(p_ours - p_peer) <= 3 * max(monte_carlo, 1 / 9999)
        print(f"pyfixest p-value only: median {peer_median:.2f} s (CPU {peer_cpu:.2f} s); p = {p_peer:.4f}; "
              f"ratio pyfixest/villageaid {ratio:.2f} (CPU {peer_cpu / cpu:.2f}); p-values differ by "
              f"{abs(p_ours - p_peer):.4f}, Monte Carlo SE of the difference {monte_carlo:.4f} "
              f"({'within' if same else 'NOT within'} 3 SE); whole process "
              f"{statistics.median(r[6] for r in peer):.2f} s, peak {statistics.median(r[5] for r in peer):.2f} GB")
        verdict = "met" if ratio >= 1.2 and same else (
            f"missed by {1.2 - ratio:.2f}× ({ratio:.2f}× instead of 1.2×)" if ratio < 1.2 else
            "missed: the p-values differ by more than Monte Carlo error")
        print(f"TARGET | wild bootstrap p-value + interval, 100k rows, 50 clusters, B = 9,999 | {median:.2f} s "
              f"({ratio:.2f}× pyfixest's p-value; CPU {peer_cpu / cpu:.2f}×) | ≥ 1.2× pyfixest p-value "
              f"{peer_median:.2f} s, same p to Monte Carlo error | {verdict}")
    else:
        print("pyfixest: not installed for --peer-python; no comparison")
        print(f"TARGET | wild bootstrap p-value + interval, 100k rows, 50 clusters, B = 9,999 | {median:.2f} s | "
              "< pyfixest p-value | not compared (pyfixest missing)")


if __name__ == "__main__":
    main()
