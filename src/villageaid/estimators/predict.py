"""Fitted values, residuals and predictions of regression results, fixed effects included.

The fixed-effect coefficients are recovered only when predictions on new data are asked for: the sum of
the fixed effects over the sample (linear predictor minus Xβ) is split into one coefficient per level by
alternating projections, as fixest's ``fixef()`` does. Their normalization is arbitrary, their sums are
not, so predictions are unique for levels seen in the estimation sample; unseen levels give NaN.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

import numpy as np
import pandas as pd

from villageaid.estimators.demean import DEMEAN_TOLERANCE, MAX_ITERATIONS, FixedEffects
from villageaid.estimators.formula import ParsedFormula, model_matrix

Link = Literal["identity", "log", "logit"]


def _inverse_link(eta: np.ndarray, link: Link) -> np.ndarray:
    if link == "log":
        return np.exp(eta)
    if link == "logit":
        return 1 / (1 + np.exp(-eta))
    return eta


def _keys(frame: pd.DataFrame, name: str) -> pd.Index:
    parts = name.split("^")
    missing = [p for p in parts if p not in frame.columns]
    if missing:
        raise KeyError(f"fixed effect column(s) {missing} are not in the new data")
    if len(parts) == 1:
        return pd.Index(frame[parts[0]])
    return pd.MultiIndex.from_arrays([frame[p] for p in parts])


@dataclass(frozen=True)
class Predictor:
    """What a regression result needs for ``fitted``, ``resid`` and ``predict``.

    Attributes
    ----------
    parsed : ParsedFormula
    y : ndarray
        Outcome over the estimation sample.
    eta : ndarray
        Linear predictor over the sample (fixed effects included).
    xb_source : callable
        Returns Xβ over the sample (without fixed effects); called only when the fixed-effect coefficients
        are needed (predictions on new data), so fits never pay for it.
    link : {"identity", "log", "logit"}
    fixed : FixedEffects or None
    sample : DataFrame
        The estimation sample (for the fixed-effect levels).
    """

    parsed: ParsedFormula
    y: np.ndarray
    eta: np.ndarray
    xb_source: Callable[[], np.ndarray] = field(repr=False)
    link: Link = "identity"
    fixed: FixedEffects | None = None
    sample: pd.DataFrame | None = field(default=None, repr=False)

    @cached_property
    def fitted(self) -> np.ndarray:
        """Fitted values on the response scale."""
        return _inverse_link(self.eta, self.link)

    @cached_property
    def resid(self) -> np.ndarray:
        """Response residuals y − ŷ."""
        return self.y - self.fitted

    @cached_property
    def fixed_effect_values(self) -> list[pd.Series]:
        """One Series per fixed effect: its coefficient by level (normalization arbitrary, sums exact)."""
        if self.fixed is None:
            return []
        total = self.eta - self.xb_source()
        coefficients = [np.zeros(size) for size in self.fixed.levels]
        counts = [np.bincount(code, minlength=size).astype(float)
                  for code, size in zip(self.fixed.codes, self.fixed.levels, strict=True)]
        scale = max(float(np.abs(total).max()), 1.0)
        for _ in range(MAX_ITERATIONS):
            change = 0.0
            for j, (code, size) in enumerate(zip(self.fixed.codes, self.fixed.levels, strict=True)):
                others = sum(coefficients[m][self.fixed.codes[m]] for m in range(len(coefficients)) if m != j)
                updated = np.bincount(code, weights=total - others, minlength=size) / np.maximum(counts[j], 1)
                change = max(change, float(np.abs(updated - coefficients[j]).max()) if size else 0.0)
                coefficients[j] = updated
            if len(coefficients) == 1 or change <= DEMEAN_TOLERANCE * scale:
                break
        out = []
        assert self.sample is not None
        for name, code, values in zip(self.fixed.names, self.fixed.codes, coefficients, strict=True):
            keys = _keys(self.sample, name)
            first = np.full(len(values), -1, dtype=np.int64)
            first[code[::-1]] = np.arange(len(code))[::-1]
            out.append(pd.Series(values, index=keys[first], name=name))
        return out

    def predict(self, newdata: pd.DataFrame, params: pd.Series) -> np.ndarray:
        """Predictions on the response scale for ``newdata``."""
        names, matrix = model_matrix(newdata, self.parsed)
        columns = dict(zip(names, matrix.T, strict=True))
        eta = np.zeros(len(newdata))
        for term, coefficient in params.items():
            # an i() level absent from the new data is a dummy that is zero on every new row
            eta += coefficient * columns.get(term, np.zeros(len(newdata)))
        for values in self.fixed_effect_values:
            positions = values.index.get_indexer(_keys(newdata, str(values.name)))
            eta += np.where(positions >= 0, values.to_numpy()[positions], np.nan)
        return _inverse_link(eta, self.link)
