"""Time one full sensitivity grid (10 values of M, 7 pre and 5 post periods) per method, and the pre-trend power.

Not a test. Target on 2 cores: each grid in under 2 s. Prints the median of several runs in this process
(import excluded) per restriction and method (R's defaults otherwise: 1,000 test points, 1,000 draws), and the
whole-process time of one run (import included).

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


CASES = (("smoothness", "FLCI"), ("smoothness", "Conditional"), ("smoothness", "C-LF"),
         ("relative_magnitudes", "C-LF"), ("relative_magnitudes", "Conditional"))


def one_run(restriction: str = "smoothness", method: str = "FLCI") -> float:
    import warnings

    from villageaid.estimators import honest_did

    betahat, sigma = inputs()
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # intervals reaching the grid's end at large M̄ are expected here
        honest_did(betahat, sigma, num_pre=7, num_post=5, restriction=restriction, method=method)  # 10 values
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    for restriction, method in CASES:
        runs = [one_run(restriction, method) for _ in range(args.repeat)]
        print(f"honest_did, {restriction} {method}, 10 values of M, 7 pre + 5 post: median "
              f"{statistics.median(runs):.3f} s (runs: {', '.join(f'{r:.3f}' for r in runs)})")
    from villageaid.estimators import slope_for_power

    _, sigma = inputs()
    t = np.r_[np.arange(-8, -1), np.arange(0, 5)]
    start = time.perf_counter()
    slope_for_power(sigma, t, reference=-1, target_power=0.8)
    print(f"slope_for_power (7 pre-period coefficients): {time.perf_counter() - start:.3f} s")
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import sys; sys.path.insert(0, 'benchmarks'); import sensitivity; "
                    "sensitivity.one_run('relative_magnitudes', 'C-LF')"], check=True)
    print(f"whole process (import, relative magnitudes C-LF grid): {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
