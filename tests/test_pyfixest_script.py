"""A pyfixest user's script runs with only the import changed (`import pyfixest as pf` → `import villageaid as pf`).

The script is written as pyfixest's documentation writes such scripts: feols with i(), etable of several models,
iplot on a fit, the fixest accessors, several outcomes in one formula, stepwise regressors, split samples.
"""

from __future__ import annotations

import textwrap

import matplotlib

matplotlib.use("agg")

SCRIPT = textwrap.dedent('''
    import numpy as np
    import pandas as pd

    import villageaid as pf  # was: import pyfixest as pf

    rng = np.random.default_rng(123)
    units, years = 120, np.arange(2016, 2026)
    data = pd.DataFrame({"unit": np.repeat(np.arange(units), len(years)), "year": np.tile(years, units)})
    data["f1"] = data["unit"] % 7
    data["treat"] = (data["unit"] < 60).astype(float)
    data["X1"] = rng.normal(size=len(data))
    data["X2"] = rng.normal(size=len(data))
    data["Y"] = 0.5 * data["X1"] - 0.2 * data["X2"] + 0.8 * data["treat"] * (data["year"] >= 2021) \\
        + rng.normal(size=len(data))
    data["Y2"] = data["Y"] + rng.normal(size=len(data))

    fit1 = pf.feols("Y ~ X1 | f1", data)
    fit2 = pf.feols("Y ~ X1 + X2 | f1 + year", data, vcov={"CRV1": "f1"})
    fit3 = pf.feols("Y ~ i(year, treat, ref=2020) | unit + year", data)
    table = pf.etable([fit1, fit2, fit3])
    fit3.iplot()
    pf.iplot(fit3)
    pf.coefplot([fit1, fit2])
    coefficients, errors, pvalues, tstats, intervals = fit2.coef(), fit2.se(), fit2.pvalue(), fit2.tstat(), \\
        fit2.confint()
    fit2.summary()
    fit2.tidy()
    hetero = fit2.vcov_type  # pyfixest: fit2.vcov("hetero") refits the variance; here with_vcov does
    robust = fit2.with_vcov("hetero")

    multi = pf.feols("Y + Y2 ~ X1 | f1", data)
    stepwise = pf.feols("Y ~ csw0(X1, X2) | f1", data)
    split = pf.feols("Y ~ X1 | f1", data, split="treat")
    pf.etable(multi)
    stepwise.etable()
    stepwise.coefplot()
    pf.etable([fit2, stepwise, split])
    study = pf.event_study(data, outcome="Y", treatment="treat", time="year", unit="unit", reference=2020)
    pf.etable([fit2, study])
''')


def test_a_pyfixest_script_runs_with_only_the_import_changed() -> None:
    namespace: dict = {}
    exec(compile(SCRIPT, "pyfixest_script.py", "exec"), namespace)  # the script is the test's own text
    table = namespace["table"].to_frame()
    assert table.shape[1] == 3 and "X1" in table.index and "year::2021:treat" in table.index
    assert list(namespace["coefficients"].index) == ["X1", "X2"]
    assert len(namespace["multi"]) == 2 and len(namespace["stepwise"]) == 3 and len(namespace["split"]) == 2
    assert namespace["robust"].vcov_type.startswith("heteroskedasticity")
    assert namespace["errors"]["X1"] > 0 and (namespace["intervals"]["conf_low"] < namespace["coefficients"]).all()
    import matplotlib.pyplot as plt

    plt.close("all")
