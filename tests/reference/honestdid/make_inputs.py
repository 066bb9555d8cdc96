"""Write the event studies whose R HonestDiD intervals ``conditional.R`` computes (inputs only; no results).

1. The Medicaid-expansion example of HonestDiD's README: the TWFE event study of ``dins`` on ``i(year, D,
   ref=2013) | stfips + year`` clustered by state, on ehec_data.csv (villageaid's ``feols`` matches fixest here).
2. villageaid's own H4 event study (Table 5, rich × year, asinh, 2020 = 0) on the simulated default data, as
   ``villageaid build`` estimates it (cluster jackknife errors).

Run from the repository root after ``make all``:  python tests/reference/honestdid/make_inputs.py
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from villageaid.analysis.logic_shift import logic_shift_models
from villageaid.estimators import feols
from villageaid.estimators.pretrends import event_study_inputs

HERE = Path(__file__).resolve().parent


def medicaid() -> dict:
    data = pd.read_csv(HERE / "ehec_data.csv")
    data = data.loc[(data["year"] < 2016) & (data["yexp2"].isna() | (data["yexp2"] != 2015))].copy()
    data["D"] = (data["yexp2"] == 2014).astype(float)
    fit = feols("dins ~ i(year, D, ref=2013) | stfips + year", data, vcov={"CRV1": "stfips"})
    return {"betahat": fit.params.tolist(), "sigma": fit.vcov.to_numpy().tolist(), "numPrePeriods": 5,
            "numPostPeriods": 2}


def villageaid_h4() -> dict:
    panel = pd.read_parquet(HERE.parents[2] / "data" / "processed" / "panel.parquet")
    study = logic_shift_models(panel, bootstrap_draws=0).rich_event_study
    beta, sigma, t, reference, _ = event_study_inputs(study)
    return {"betahat": beta.tolist(), "sigma": np.asarray(sigma).tolist(), "timeVec": t.tolist(),
            "numPrePeriods": int(np.sum(t < reference)), "numPostPeriods": int(np.sum(t > reference))}


if __name__ == "__main__":
    out = {"source": "tests/reference/honestdid/make_inputs.py", "medicaid": medicaid(),
           "villageaid_h4": villageaid_h4()}
    (HERE / "conditional_inputs.json").write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
