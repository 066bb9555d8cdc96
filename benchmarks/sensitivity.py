"""Time one full sensitivity grid (10 values of M, 7 pre and 5 post periods) and the pre-trend power.

Not a test. Target on 2 cores: the grid in under 2 s. Prints the median of several runs in this process
(import excluded) and the whole-process time of one run (import included).

    .venv/bin/python benchmarks/sensitivity.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

import numpy as np


def inputs() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(20240601)
    t = np.arange(12)
    sigma = 0.01 * 0.6 ** np.abs(np.subtract.outer(t, t))  # AR(1)-like covariance of 7 pre + 5 post coefficients
    betahat = rng.multivariate_normal(np.r_[np.zeros(7), np.linspace(0.1, 0.3, 5)], sigma)
    return betahat, sigma


def one_run() -> float:
    from villageaid.estimators import honest_did

    betahat, sigma = inputs()
    start = time.perf_counter()
    honest_did(betahat, sigma, num_pre=7, num_post=5)  # R's default grid: 10 values of M
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    runs = [one_run() for _ in range(args.repeat)]
    print(f"honest_did, smoothness FLCI, 10 values of M, 7 pre + 5 post: median {statistics.median(runs):.3f} s "
          f"(runs: {', '.join(f'{r:.3f}' for r in runs)})")
    from villageaid.estimators import slope_for_power

    _, sigma = inputs()
    t = np.r_[np.arange(-8, -1), np.arange(0, 5)]
    start = time.perf_counter()
    slope_for_power(sigma, t, reference=-1, target_power=0.8)
    print(f"slope_for_power (7 pre-period coefficients): {time.perf_counter() - start:.3f} s")
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import sys; sys.path.insert(0, 'benchmarks'); import sensitivity; "
                    "sensitivity.one_run()"], check=True)
    print(f"whole process (import, grid): {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
