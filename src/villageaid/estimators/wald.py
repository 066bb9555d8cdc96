"""Joint Wald tests of linear restrictions: F(q, n − K) as fixest's ``wald()``, or chi-square.

Restrictions are given as terms, as text (``"city = strong"``, see :mod:`villageaid.estimators.restrictions`)
or as a matrix; a test beyond the rank of its variance is refused (:class:`WaldTestUndefinedError`).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from villageaid.estimators.limits import DataLimitError
from villageaid.estimators.restrictions import parse_restrictions
from villageaid.estimators.summary import _stats


class WaldTestUndefinedError(DataLimitError):
    """A joint Wald test whose variance matrix is singular (more combinations than it has rank)."""


def wald_from(params: pd.Series, vcov: pd.DataFrame, df_denom: float,
              hypotheses: str | Sequence[str] | None = None, *, restriction: np.ndarray | None = None,
              value: np.ndarray | None = None, hypothesis: str | None = None) -> WaldTest:
    """Test R·b = r jointly: F = W/q with (q, ``df_denom``) degrees of freedom when it is finite, else chi-square.

    ``hypotheses`` are terms or restriction strings (see :meth:`VarianceResults.wald_test`); or give the matrix
    ``restriction`` and right-hand side ``value``.
    """
    stats = _stats()
    names = [str(n) for n in params.index]
    if restriction is None:
        if hypotheses is None or (not isinstance(hypotheses, str) and len(hypotheses) == 0):
            raise ValueError("give the terms or restrictions to test (e.g. ['x1', 'x2'] or 'x1 = x2'), or a "
                             f"restriction matrix; the model's terms are: {', '.join(names)}")
        restriction, value, text = parse_restrictions(hypotheses, names)
        hypothesis = hypothesis or text
    elif hypotheses is not None:
        raise ValueError("give either hypotheses or a restriction matrix, not both")
    restriction = np.atleast_2d(np.asarray(restriction, dtype=float))
    if restriction.shape[1] != len(names):
        raise ValueError(f"the restriction matrix has {restriction.shape[1]} columns for {len(names)} coefficients "
                         f"({', '.join(names)})")
    rhs = np.zeros(restriction.shape[0]) if value is None else np.asarray(value, dtype=float).reshape(-1)
    if rhs.shape[0] != restriction.shape[0]:
        raise ValueError(f"value has {rhs.shape[0]} entries for {restriction.shape[0]} restrictions")
    diff = restriction @ params.to_numpy() - rhs
    middle = restriction @ vcov.to_numpy() @ restriction.T
    q = restriction.shape[0]
    rank = int(np.linalg.matrix_rank(_unit_diagonal(middle))) if np.isfinite(middle).all() else -1
    if rank < q:
        # A clustered variance has rank at most (clusters - 1): with few clusters, many combinations cannot
        # be tested jointly. Refused rather than inverted into a meaningless statistic.
        raise WaldTestUndefinedError(
            f"the Wald test of {hypothesis or 'R b = r'} is not defined: the variance of the {q} tested "
            f"combinations has rank {max(rank, 0)}" + (" (non-finite entries)" if rank < 0 else "")
            + "; a clustered variance has rank at most (clusters - 1), so test fewer terms or cluster on more "
            "groups")
    statistic = float(diff @ np.linalg.solve(middle, diff))
    if np.isfinite(df_denom):
        return WaldTest(statistic / q, q, float(df_denom), float(stats.f.sf(statistic / q, q, df_denom)), "F",
                        hypothesis or "R b = r")
    return WaldTest(statistic, q, np.inf, float(stats.chi2.sf(statistic, q)), "chi2", hypothesis or "R b = r")


def _unit_diagonal(matrix: np.ndarray) -> np.ndarray:
    """Scale a variance matrix to unit diagonal (a correlation matrix) when its variances are positive.

    Its rank is then judged independently of the units of the coefficients: a regressor measured in yuan beside
    one in 10,000 yuan has variances 10⁸ apart, which numpy's relative rank tolerance would read as rank
    deficiency (a problem of scale, not of identification).
    """
    scale = np.sqrt(np.diag(matrix))
    if not (scale > 0).all():
        return matrix
    return matrix / scale[:, None] / scale[None, :]


@dataclass(frozen=True)
class WaldTest:
    """A joint test that linear combinations of coefficients are zero.

    Attributes
    ----------
    statistic : float
        The F statistic (W / q) when ``distribution`` is "F", else the chi-square statistic W.
    df_num, df_denom : float
        Numerator degrees of freedom (restrictions) and denominator (inf for chi-square).
    p_value : float
    distribution : {"F", "chi2"}
    hypothesis : str
        What was tested.
    """

    statistic: float
    df_num: int
    df_denom: float
    p_value: float
    distribution: Literal["F", "chi2"]
    hypothesis: str

    def __str__(self) -> str:
        dist = f"F({self.df_num}, {self.df_denom:g})" if self.distribution == "F" else f"chi2({self.df_num})"
        return f"Wald test {self.hypothesis}: {dist} = {self.statistic:.4f}, p = {self.p_value:.4g}"

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(str(self))}</p>"
