"""Time the wild cluster bootstrap's public call (p-value and interval) against pyfixest's p-value.

Not a test. 100,000 rows, 50 clusters, one regressor and 20 fixed-effect levels, B = 9,999 Rademacher draws,
restricted (WCR). Each engine runs in its own fresh process, interleaved, --repeat times; the data are
generated in the process before the clock starts, the fit outside it; the clock covers the bootstrap call
(villageaid: p-value and 95% interval; pyfixest ``wildboottest``: p-value only, as it offers no interval).
Prints medians, the ratio, the p-values, and a TARGET line. Target (2 cores): villageaid's p-value and
interval faster than pyfixest's p-value alone.

    .venv/bin/python benchmarks/wild_bootstrap.py [--repeat 3] [--peer-python /path/to/python-with-pyfixest]
"""

from __future__ import annotations

import argparse
import statistics
import sys

from common import run_fresh

DATA = """
import time, numpy as np, pandas as pd
rng = np.random.default_rng(0); n, G = 100_000, 50
d = pd.DataFrame({"g": rng.integers(0, G, n), "t": rng.integers(0, 20, n), "x": rng.normal(size=n)})
d["y"] = 0.01 * d["x"] + rng.normal(size=G)[d["g"]] + rng.normal(size=n)
"""
VILLAGEAID = DATA + """
from villageaid.estimators import feols
from villageaid.estimators.bootstrap import wild_cluster_bootstrap
fit = feols("y ~ x | t", d, vcov={"CRV1": "g"})
start = time.perf_counter()
r = wild_cluster_bootstrap(fit, "x", "g", draws=9999, seed=1)
print(time.perf_counter() - start, r.p_value, r.conf_low, r.conf_high)
"""
PYFIXEST = DATA + """
import pyfixest as pf
fit = pf.feols("y ~ x | t", d, vcov={"CRV1": "g"})
start = time.perf_counter()
r = fit.wildboottest(param="x", reps=9999, seed=1)
print(time.perf_counter() - start, float(r["Pr(>|t|)"]), "nan", "nan")
"""


def run(python: str, program: str) -> list[float] | None:
    """[bootstrap seconds, p, low, high, peak GB, whole-process seconds] from one fresh process."""
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
    process, peak = statistics.median(r[5] for r in ours), statistics.median(r[4] for r in ours)
    print(f"villageaid p-value and interval: median {median:.2f} s; p = {ours[0][1]:.4f}, "
          f"interval [{ours[0][2]:.5f}, {ours[0][3]:.5f}]; whole process {process:.2f} s, peak {peak:.2f} GB")
    if peer:
        peer_median = statistics.median(r[0] for r in peer)
        print(f"pyfixest p-value only: median {peer_median:.2f} s; p = {peer[0][1]:.4f}; "
              f"ratio pyfixest/villageaid {peer_median / median:.1f}; whole process "
              f"{statistics.median(r[5] for r in peer):.2f} s, peak {statistics.median(r[4] for r in peer):.2f} GB")
        verdict = "met" if median < peer_median else f"missed by {median - peer_median:.2f} s"
        print(f"TARGET | wild bootstrap p-value + interval, 100k rows, 50 clusters, B = 9,999 | {median:.2f} s | "
              f"< pyfixest p-value {peer_median:.2f} s | {verdict}")
    else:
        print("pyfixest: not installed for --peer-python; no comparison")
        print(f"TARGET | wild bootstrap p-value + interval, 100k rows, 50 clusters, B = 9,999 | {median:.2f} s | "
              "< pyfixest p-value | not compared (pyfixest missing)")


if __name__ == "__main__":
    main()
