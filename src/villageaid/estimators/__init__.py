"""Generic estimators: they take a DataFrame and a formula or column names, and know nothing of villages."""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

#: Where each public name lives, imported on first use (PEP 562): ``import villageaid.estimators`` loads no
#: estimator module, so using one does not import SciPy's optimisers and statistics for all the others.
_LOCATIONS = {
    **dict.fromkeys(("WildBootstrapResult", "treated_clusters", "wild_cluster_bootstrap"), "bootstrap"),
    **dict.fromkeys(("EventStudyResult", "event_study"), "event_study"),
    **dict.fromkeys(("SensitivityResult", "honest_did"), "honest"),
    **dict.fromkeys(("LogitResults", "logit"), "logit"),
    **dict.fromkeys(("FEOLS", "feols"), "ols"),
    "first_difference": "first_difference",
    "random_effects": "random_effects",
    **dict.fromkeys(("FEPoisson", "fepois"), "poisson"),
    **dict.fromkeys(("PretrendPower", "pretrend_power", "slope_for_power"), "pretrends"),
    "RegressionResults": "results",
    "Summary": "summary",
    **dict.fromkeys(("WaldTest", "WaldTestUndefinedError"), "wald"),
    **dict.fromkeys(("AggregatedEffects", "ATTgtResult"), "att_results"),
    "att_gt": "staggered",
    **dict.fromkeys(("BaconDecomposition", "EventTimeEffects", "bacon_decomposition", "sun_abraham",
                     "twfe_event_study"), "twfe_did"),
    **dict.fromkeys(("CRV1", "CRV3", "HC1", "IID", "SSC", "JackknifeUndefinedError", "VarianceEstimator", "ssc"),
                    "vcov"),
    **dict.fromkeys(("IVResults", "iv_fe"), "iv"),
    **dict.fromkeys(("DynamicPanelResults", "anderson_hsiao"), "dynamic_panel"),
    **dict.fromkeys(("MultipleResults", "NotEstimated"), "multiple"),
    **dict.fromkeys(("concentration_bootstrap", "concentration_index", "concentration_indices", "fractional_rank"),
                    "concentration"),
    **dict.fromkeys(("bonferroni", "bootstrap_p_values", "bootstrap_t_statistics", "holm", "romano_wolf"),
                    "multiplicity"),
    **dict.fromkeys(("PermutationResult", "permutation_interval", "permutation_test"), "randomization"),
    **dict.fromkeys(("AssignmentResult", "InfeasibleAssignmentError", "solve_assignment"), "assignment"),
}


def __getattr__(name: str) -> Any:
    if name in _LOCATIONS:
        value = getattr(importlib.import_module(f"villageaid.estimators.{_LOCATIONS[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'villageaid.estimators' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LOCATIONS])


class _Package(types.ModuleType):
    """Keep public functions named like their modules (``event_study``, ``logit``) when those modules load.

    Importing a submodule sets it as an attribute of the package; with eager imports the function was bound
    afterwards and won, with lazy ones the module would. Refusing to bind a submodule over a public name keeps
    ``villageaid.estimators.event_study`` the function, as before.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and name in _LOCATIONS:
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


__all__ = [
    "CRV1",
    "CRV3",
    "FEOLS",
    "HC1",
    "IID",
    "SSC",
    "ATTgtResult",
    "AggregatedEffects",
    "AssignmentResult",
    "BaconDecomposition",
    "DynamicPanelResults",
    "EventStudyResult",
    "EventTimeEffects",
    "FEPoisson",
    "IVResults",
    "InfeasibleAssignmentError",
    "JackknifeUndefinedError",
    "LogitResults",
    "MultipleResults",
    "NotEstimated",
    "PermutationResult",
    "PretrendPower",
    "RegressionResults",
    "SensitivityResult",
    "Summary",
    "VarianceEstimator",
    "WaldTest",
    "WaldTestUndefinedError",
    "WildBootstrapResult",
    "anderson_hsiao",
    "att_gt",
    "bacon_decomposition",
    "bonferroni",
    "bootstrap_p_values",
    "bootstrap_t_statistics",
    "concentration_bootstrap",
    "concentration_index",
    "concentration_indices",
    "event_study",
    "feols",
    "fepois",
    "first_difference",
    "fractional_rank",
    "holm",
    "honest_did",
    "iv_fe",
    "logit",
    "permutation_interval",
    "permutation_test",
    "pretrend_power",
    "random_effects",
    "romano_wolf",
    "slope_for_power",
    "solve_assignment",
    "ssc",
    "sun_abraham",
    "treated_clusters",
    "twfe_event_study",
    "wild_cluster_bootstrap",
]
