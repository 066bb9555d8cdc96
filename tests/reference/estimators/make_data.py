"""Generate the reference data set (run once; the CSV is committed).

    python tests/reference/estimators/make_data.py

An unbalanced panel of 150 units × 8 periods (15% of rows dropped at random), 15 coarser groups, two
continuous regressors, a dummy, analytic weights, a linear outcome, a count outcome with many zeros
(units 0–4 only zeros: they are separated by their fixed effect in PPML), a dummy ``sep`` that
separates seven zero counts by itself, and a binary outcome.
"""

from pathlib import Path

import numpy as np
import pandas as pd

rng = np.random.default_rng(20240601)
units, periods = 150, 8
d = pd.DataFrame({"unit": np.repeat(np.arange(units), periods), "period": np.tile(np.arange(periods), units)})
d["grp"] = d["unit"] // 10
unit_effect = rng.normal(size=units)[d["unit"]]
period_effect = rng.normal(scale=0.5, size=periods)[d["period"]]
d["x1"] = rng.normal(size=len(d)) + 0.5 * unit_effect
d["x2"] = rng.normal(size=len(d)) + 0.3 * period_effect
d["d"] = (rng.random(len(d)) < 0.3).astype(int)
d["w"] = rng.uniform(0.5, 2.0, len(d))
d["y"] = 1 + 0.5 * d["x1"] - 0.3 * d["x2"] + 0.8 * d["d"] + unit_effect + period_effect + rng.normal(size=len(d))
mu = np.exp(0.2 + 0.4 * d["x1"] - 0.2 * d["x2"] + 0.5 * d["d"] + 0.5 * unit_effect + period_effect)
d["count"] = rng.poisson(mu) * (rng.random(len(d)) > 0.3)
d.loc[d["unit"] < 5, "count"] = 0
d["b"] = (rng.random(len(d)) < 1 / (1 + np.exp(-(-0.5 + 0.8 * d["x1"] - 0.5 * d["x2"] + 0.6 * d["d"])))).astype(int)
d = d.loc[rng.random(len(d)) > 0.15].reset_index(drop=True)
# A dummy that is 1 only on seven zero counts outside units 0-4: it separates those observations in PPML.
d["sep"] = 0
d.loc[d.index[(d["count"] == 0) & (d["unit"] >= 5)][:7], "sep"] = 1
d.to_csv(Path(__file__).with_name("panel_data.csv"), index=False, float_format="%.17g")
