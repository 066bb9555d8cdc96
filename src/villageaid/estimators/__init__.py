"""Generic estimators: they take a DataFrame and a formula or column names, and know nothing of villages."""

from villageaid.estimators.bootstrap import WildBootstrapResult, wild_cluster_bootstrap
from villageaid.estimators.event_study import EventStudyResult, event_study
from villageaid.estimators.honest import SensitivityResult, honest_did
from villageaid.estimators.logit import LogitResults, logit
from villageaid.estimators.ols import FEOLS, feols
from villageaid.estimators.panel import first_difference, random_effects
from villageaid.estimators.poisson import FEPoisson, fepois
from villageaid.estimators.pretrends import PretrendPower, pretrend_power, slope_for_power
from villageaid.estimators.results import RegressionResults, WaldTest
from villageaid.estimators.staggered import AggregatedEffects, ATTgtResult, att_gt
from villageaid.estimators.twfe_did import (
    BaconDecomposition,
    EventTimeEffects,
    bacon_decomposition,
    sun_abraham,
    twfe_event_study,
)
from villageaid.estimators.vcov import CRV1, CRV3, HC1, IID, JackknifeUndefinedError, VarianceEstimator

__all__ = [
    "CRV1",
    "CRV3",
    "FEOLS",
    "HC1",
    "IID",
    "ATTgtResult",
    "AggregatedEffects",
    "BaconDecomposition",
    "EventStudyResult",
    "EventTimeEffects",
    "FEPoisson",
    "JackknifeUndefinedError",
    "LogitResults",
    "PretrendPower",
    "RegressionResults",
    "SensitivityResult",
    "VarianceEstimator",
    "WaldTest",
    "WildBootstrapResult",
    "att_gt",
    "bacon_decomposition",
    "event_study",
    "feols",
    "fepois",
    "first_difference",
    "honest_did",
    "logit",
    "pretrend_power",
    "random_effects",
    "slope_for_power",
    "sun_abraham",
    "twfe_event_study",
    "wild_cluster_bootstrap",
]
