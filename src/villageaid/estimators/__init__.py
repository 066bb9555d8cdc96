"""Generic estimators: they take a DataFrame and a formula or column names, and know nothing of villages."""

from villageaid.estimators.bootstrap import WildBootstrapResult, wild_cluster_bootstrap
from villageaid.estimators.event_study import EventStudyResult, event_study
from villageaid.estimators.logit import LogitResults, logit
from villageaid.estimators.ols import FEOLS, feols
from villageaid.estimators.panel import first_difference, random_effects
from villageaid.estimators.poisson import FEPoisson, fepois
from villageaid.estimators.results import RegressionResults, WaldTest
from villageaid.estimators.staggered import AggregatedEffects, ATTgtResult, att_gt

__all__ = [
    "FEOLS",
    "ATTgtResult",
    "AggregatedEffects",
    "EventStudyResult",
    "FEPoisson",
    "LogitResults",
    "RegressionResults",
    "WaldTest",
    "WildBootstrapResult",
    "att_gt",
    "event_study",
    "feols",
    "fepois",
    "first_difference",
    "logit",
    "random_effects",
    "wild_cluster_bootstrap",
]
