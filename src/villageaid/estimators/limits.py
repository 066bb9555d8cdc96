"""Data limits: the declared ways in which a data set cannot support an estimate.

An estimator or an analysis that meets one of these raises a subclass of :class:`DataLimitError` naming what is
missing; the paper's build turns it into a "not estimated: reason" output and goes on. Any other exception is a
bug (of villageaid or of the caller) and stops the build. Each class derives from ``ValueError`` so that code
written against the earlier, undeclared errors keeps working.

The set is small on purpose:

* :class:`TooFewError` — too few observations, units, clusters, periods or pre-periods;
* :class:`NoVariationError` — a variable the estimate needs does not vary (or only with the fixed effects), so a
  coefficient is not identified;
* :class:`NoComparisonError` — no treated cohort, or no units to compare it with;
* :class:`MissingDataError` — a table, variable or year the estimate needs is absent, empty or unbalanced;
* the jackknife left without variation (:class:`~villageaid.estimators.vcov.JackknifeUndefinedError`), no overlap of
  the propensity score (:class:`~villageaid.estimators.drdid.OverlapError`) and a singular Wald test
  (:class:`~villageaid.estimators.wald.WaldTestUndefinedError`), which are declared where they are raised;
* numpy's ``LinAlgError``: a singular system in an estimator is a property of the data (collinear columns), not
  of the code.
"""

from __future__ import annotations

import numpy as np


class DataLimitError(ValueError):
    """These data cannot support the estimate; the message says what they lack."""


class TooFewError(DataLimitError):
    """Too few observations, units, clusters, periods or pre-periods for the estimate."""


class NoVariationError(DataLimitError):
    """A variable the estimate needs has no variation (beyond the fixed effects): a coefficient is not identified."""


class NoComparisonError(DataLimitError):
    """No treated cohort, or no never- or not-yet-treated units to compare it with."""


class MissingDataError(DataLimitError):
    """A table, variable or year the estimate needs is absent, empty or unbalanced in these data."""


#: Every exception that means "these data do not support this estimate". Anything else is a bug.
DATA_LIMITS: tuple[type[BaseException], ...] = (DataLimitError, np.linalg.LinAlgError)

