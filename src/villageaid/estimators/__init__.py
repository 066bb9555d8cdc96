"""Generic estimators: they take a DataFrame and a formula or column names, and know nothing of villages."""

from villageaid.estimators.ols import FEOLS, feols
from villageaid.estimators.results import RegressionResults, WaldTest

__all__ = ["FEOLS", "RegressionResults", "WaldTest", "feols"]
