"""Write the data of the IV references: the H10 models' frame and the H6 Anderson–Hsiao design.

Run from the repository root after `make all` (the default simulated data, seed 20240601):

    .venv/bin/python tests/reference/iv/make_data.py

The files are committed; the references in `reference.csv` were computed from them by `reference.R`, so later
changes to the simulator do not change the references.
"""

from pathlib import Path

import numpy as np
import pandas as pd

from villageaid.analysis.returns import returns_frame

HERE = Path(__file__).parent

panel = pd.read_parquet("data/processed/panel.parquet")
frame = returns_frame(panel)
frame = frame.loc[frame["period"].isin(["campaign", "transition"])]
columns = ["village_id", "year", "township", "log_collective_income", "log_per_capita_income", "asinh_funding_total",
           "asinh_funding_x_endowment", "city", "strong", "city_x_endowment", "strong_x_endowment"]
frame[columns].to_csv(HERE / "h10_data.csv", index=False, float_format="%.17g")

# A smaller design with an exogenous regressor and few clusters, for the small-sample variants.
rng = np.random.default_rng(20261207)
n_units, n_periods = 60, 6
unit = np.repeat(np.arange(n_units), n_periods)
period = np.tile(np.arange(n_periods), n_units)
group = unit // 6
z1, z2, w = rng.normal(size=(3, unit.size))
u = rng.normal(size=unit.size) + np.repeat(rng.normal(size=n_units), n_periods)
x = 0.6 * z1 + 0.4 * z2 + 0.5 * u + rng.normal(size=unit.size)
y = 1.0 * x + 0.5 * w + u + 0.3 * period + rng.normal(size=unit.size) * (1 + 0.5 * np.abs(z1))
keep = rng.random(unit.size) > 0.1  # unbalanced
pd.DataFrame({"unit": unit, "period": period, "grp": group, "y": y, "x": x, "z1": z1, "z2": z2, "w": w})[keep].to_csv(
    HERE / "iv_small.csv", index=False, float_format="%.17g")

# The H6 Anderson–Hsiao design (first differences; lags instrumented by second lags), as persistence_models
# builds it: one row per equation, with the unit and year for the cluster and the year effects.
from villageaid.analysis.variables import analysis_frame  # noqa: E402
from villageaid.estimators.dynamic_panel import _lagged_frame  # noqa: E402

persistence = analysis_frame(panel)
persistence["log_unit_funding"] = np.log(persistence["funding_unit"].where(persistence["funding_unit"] > 0))
persistence["log_collective_income"] = np.log(
    persistence["collective_income"].where(persistence["collective_income"] > 0))
period_of = persistence.set_index("year")["period"].astype(str).groupby(level=0).first()
persistence["_equation"] = persistence["year"].map(lambda y: period_of.get(y) == period_of.get(y - 2)).astype(bool)
lagged = _lagged_frame(persistence, "village", "year",
                       ["log_unit_funding", "log_collective_income", "demo", "demo_years", "_equation"])
design = pd.DataFrame({"unit": lagged["village"], "year": lagged["year"],
                       "dy": lagged["log_unit_funding"] - lagged["log_unit_funding_lag1"]})
for column, short in (("log_unit_funding", "y"), ("log_collective_income", "z")):
    design[f"L_{short}"] = lagged[f"{column}_lag1"] - lagged[f"{column}_lag2"]
    design[f"Z_{short}"] = lagged[f"{column}_lag2"]
for column in ("demo", "demo_years"):
    design[f"D_{column}"] = lagged[column] - lagged[f"{column}_lag1"]
design = design.loc[lagged["_equation"].astype(bool)].dropna()
design.to_csv(HERE / "ah_design.csv", index=False, float_format="%.17g")
