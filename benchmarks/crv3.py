"""Exact cluster jackknife (CRV3): time of the Table 3 models (270 villages) and at 20,000 clusters.

Targets (issue 9, 2 cores): the village CRV3 of the Table 3 models under 1 s for OLS and under 5 s for PPML.
Each figure is the median of 3 calls of ``with_vcov(CRV3(...))`` on a fitted model (the fit itself excluded).

    .venv/bin/python benchmarks/crv3.py
"""

from __future__ import annotations

import statistics
import time

import numpy as np
import pandas as pd

from villageaid import CRV3, feols, fepois
from villageaid.analysis.variables import analysis_frame, available_controls
from villageaid.io.validate import validate_tables
from villageaid.panel import build_panel
from villageaid.registry import TRANSITION_ASINH, TRANSITION_PPML
from villageaid.simulation import simulate


def _median_seconds(function, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def table3() -> None:
    tables, _ = validate_tables(simulate().tables)
    frame = analysis_frame(build_panel(tables))
    frame = frame.loc[frame["period"] == "transition"]
    controls = available_controls(frame)
    jackknife = CRV3("village")
    for name, fit in (("OLS asinh", feols(TRANSITION_ASINH.formula(controls), frame, vcov="iid")),
                      ("PPML", fepois(TRANSITION_PPML.formula(controls), frame, vcov="hetero"))):
        seconds = _median_seconds(lambda fit=fit: fit.with_vcov(jackknife))
        print(f"Table 3 {name}: {fit.nobs:,} rows, 270 villages, county x year FE (not nested): CRV3 {seconds:.3f} s")
        limit = 5.0 if name == "PPML" else 1.0
        print(f"TARGET | village CRV3 of the Table 3 {name} model | {seconds:.3f} s | < {limit:.0f} s | "
              f"{'met' if seconds < limit else f'missed by {seconds - limit:.2f} s'}")


def large(clusters: int, years: int = 5, ppml: bool = False) -> None:
    rng = np.random.default_rng(1)
    n = clusters * years
    data = pd.DataFrame({"unit": np.repeat(np.arange(clusters), years), "year": np.tile(np.arange(years), clusters)})
    data["region_year"] = (data["unit"] % 20) * 100 + data["year"]  # 100 levels, not nested in the units
    data["x1"], data["x2"] = rng.normal(size=n), rng.normal(size=n)
    eta = 0.3 * data["x1"] - 0.2 * data["x2"] + np.repeat(rng.normal(scale=0.5, size=clusters), years)
    data["y"] = eta + rng.normal(size=n)
    data["count"] = rng.poisson(np.exp(eta))
    formula = "y ~ x1 + x2 | unit + region_year" if not ppml else "count ~ x1 + x2 | unit + region_year"
    fit = (fepois if ppml else feols)(formula, data, vcov="hetero")
    seconds = _median_seconds(lambda: fit.with_vcov(CRV3("unit")), repeats=1 if ppml else 3)
    print(f"{'PPML' if ppml else 'OLS'}: {clusters:,} clusters, {fit.nobs:,} rows, unit FE (nested) + region x year "
          f"FE (100 levels, not nested): CRV3 {seconds:.2f} s")


if __name__ == "__main__":
    table3()
    large(20_000)
    large(2_000, ppml=True)  # PPML refits every model: time grows as clusters × rows (20,000 clusters not run)
