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

from villageaid.estimators import (
    CRV1,
    CRV3,
    FEOLS,
    HC1,
    IID,
    AggregatedEffects,
    ATTgtResult,
    BaconDecomposition,
    EventStudyResult,
    EventTimeEffects,
    FEPoisson,
    JackknifeUndefinedError,
    LogitResults,
    PretrendPower,
    RegressionResults,
    SensitivityResult,
    VarianceEstimator,
    WaldTest,
    WildBootstrapResult,
    att_gt,
    bacon_decomposition,
    event_study,
    feols,
    fepois,
    first_difference,
    honest_did,
    logit,
    pretrend_power,
    random_effects,
    slope_for_power,
    sun_abraham,
    twfe_event_study,
    wild_cluster_bootstrap,
)
from villageaid.estimators.dynamic_panel import DynamicPanelResults, anderson_hsiao
from villageaid.estimators.inequality import (
    InequalityBootstrap,
    TheilDecomposition,
    bootstrap_inequality,
    gini,
    lorenz_curve,
    theil_decomposition,
    theil_t,
)
from villageaid.estimators.results import Summary
from villageaid.report.etable import ETable, etable
from villageaid.report.plots import coefplot, iplot

__version__ = "0.1.0"

__all__ = [
    "CRV1",
    "CRV3",
    "FEOLS",
    "HC1",
    "IID",
    "ATTgtResult",
    "AggregatedEffects",
    "BaconDecomposition",
    "DynamicPanelResults",
    "ETable",
    "EventStudyResult",
    "EventTimeEffects",
    "FEPoisson",
    "InequalityBootstrap",
    "JackknifeUndefinedError",
    "LogitResults",
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
    "logit",
    "lorenz_curve",
    "pretrend_power",
    "random_effects",
    "slope_for_power",
    "sun_abraham",
    "theil_decomposition",
    "theil_t",
    "twfe_event_study",
    "wild_cluster_bootstrap",
]
