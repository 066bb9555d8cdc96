"""villageaid: econometric research on China's village-based assistance system (驻村帮扶).

Validated ingestion of county records, a simulated default data set with known truth, the village × year
panel with the paper's A/B/C/D typology, generic estimators (fixed effects OLS and Poisson, logit, random
effects, first differences, event studies, staggered difference-in-differences, wild cluster bootstrap,
inequality), variance estimators as objects, regression tables and plots, and the companion paper's tables.

Examples
--------
>>> import villageaid as va
>>> sorted(name for name in ("feols", "etable", "CRV3", "iplot") if hasattr(va, name))
['CRV3', 'etable', 'feols', 'iplot']
"""

from __future__ import annotations

import importlib
from typing import Any

#: Where each public name lives. Imported on first use (PEP 562): ``import villageaid`` itself loads neither
#: pandas nor SciPy, so a command or a script that needs one estimator does not pay for all of them.
_LOCATIONS = {
    **dict.fromkeys(("CRV1", "CRV3", "FEOLS", "HC1", "IID", "SSC", "AggregatedEffects", "ATTgtResult",
                     "BaconDecomposition",
                     "EventStudyResult", "EventTimeEffects", "FEPoisson", "JackknifeUndefinedError", "LogitResults",
                     "PretrendPower", "RegressionResults", "SensitivityResult", "VarianceEstimator", "WaldTest",
                     "WildBootstrapResult", "att_gt", "bacon_decomposition", "event_study", "feols", "fepois",
                     "first_difference", "honest_did", "logit", "pretrend_power", "random_effects",
                     "slope_for_power", "sun_abraham", "twfe_event_study", "wild_cluster_bootstrap", "ssc",
                     "IVResults", "iv_fe", "MultipleResults", "NotEstimated", "DynamicPanelResults",
                     "anderson_hsiao", "treated_clusters", "permutation_test", "permutation_interval",
                     "PermutationResult", "romano_wolf", "holm", "bonferroni", "solve_assignment",
                     "AssignmentResult"),
                    "villageaid.estimators"),
    **dict.fromkeys(("InequalityBootstrap", "TheilDecomposition", "bootstrap_inequality", "gini", "lorenz_curve",
                     "theil_decomposition", "theil_t"), "villageaid.estimators.inequality"),
    "Summary": "villageaid.estimators.summary",
    **dict.fromkeys(("ETable", "etable", "latex_style"), "villageaid.report.etable"),
    **dict.fromkeys(("coefplot", "iplot"), "villageaid.report.plots"),
}


def __getattr__(name: str) -> Any:
    if name in _LOCATIONS:
        value = getattr(importlib.import_module(_LOCATIONS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'villageaid' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LOCATIONS])


__version__ = "0.1.0"

__all__ = [
    "CRV1",
    "CRV3",
    "FEOLS",
    "HC1",
    "IID",
    "SSC",
    "ATTgtResult",
    "AggregatedEffects",
    "BaconDecomposition",
    "DynamicPanelResults",
    "ETable",
    "EventStudyResult",
    "EventTimeEffects",
    "FEPoisson",
    "IVResults",
    "InequalityBootstrap",
    "JackknifeUndefinedError",
    "LogitResults",
    "MultipleResults",
    "NotEstimated",
    "PretrendPower",
    "RegressionResults",
    "SensitivityResult",
    "Summary",
    "TheilDecomposition",
    "VarianceEstimator",
    "WaldTest",
    "WildBootstrapResult",
    "anderson_hsiao",
    "att_gt",
    "bacon_decomposition",
    "bootstrap_inequality",
    "coefplot",
    "etable",
    "event_study",
    "feols",
    "fepois",
    "first_difference",
    "gini",
    "honest_did",
    "iplot",
    "iv_fe",
    "latex_style",
    "logit",
    "lorenz_curve",
    "pretrend_power",
    "random_effects",
    "slope_for_power",
    "ssc",
    "sun_abraham",
    "theil_decomposition",
    "theil_t",
    "twfe_event_study",
    "wild_cluster_bootstrap",
]
