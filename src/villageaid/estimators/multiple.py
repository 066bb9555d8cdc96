"""Multiple estimation in one call, as R fixest and pyfixest: several outcomes, stepwise regressors, split samples.

* ``"y1 + y2 ~ x | fe"`` estimates one model per outcome (also ``c(y1, y2) ~ x``);
* ``sw(a, b)`` gives one model with ``a`` and one with ``b``; ``sw0(a, b)`` adds a model without either;
  ``csw(a, b)`` adds them cumulatively (``a``, then ``a + b``); ``csw0(a, b)`` starts without either. One
  stepwise function per formula, on the regressors or on the fixed effects (``| csw0(f1, f2)``);
* ``split="county"`` estimates the model on each value of the column; ``fsplit`` also on the full sample.

Models come in fixest's order — sample, outcome, then step — in a :class:`MultipleResults`, which
:func:`~villageaid.etable`, :func:`~villageaid.coefplot` and :func:`~villageaid.iplot` take. A model the data
cannot support (a split sample with no variation, a jackknife left undefined) keeps its place as a
:class:`NotEstimated` with the reason; an outcome or column that does not exist is an error before anything
is estimated.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from villageaid.estimators.formula import _split_top
from villageaid.estimators.results import RegressionResults
from villageaid.estimators.summary import Summary

_STEPWISE = re.compile(r"^(sw0|sw|csw0|csw)\((.*)\)$", re.S)

#: Errors that mean "this model of the collection cannot be estimated on its sample" (kept in its place with
#: the reason); any other error stops the call.
DATA_LIMITS = (ValueError, np.linalg.LinAlgError, ZeroDivisionError)


@dataclass(frozen=True)
class ModelKey:
    """Where a model of a collection comes from: its sample, outcome and formula."""

    sample: str
    outcome: str
    formula: str

    def __str__(self) -> str:
        return f"sample: {self.sample}; formula: {self.formula}"


@dataclass(frozen=True)
class NotEstimated:
    """A model of a collection that its sample cannot support, kept in its place with the reason."""

    key: ModelKey
    reason: str

    def __str__(self) -> str:
        return f"not estimated ({self.key}): {self.reason}"


def _steps(function: str, arguments: list[str]) -> list[list[str]]:
    if function == "sw":
        return [[a] for a in arguments]
    if function == "sw0":
        return [[], *[[a] for a in arguments]]
    if function == "csw":
        return [arguments[: i + 1] for i in range(len(arguments))]
    return [arguments[:i] for i in range(len(arguments) + 1)]  # csw0


def _expand_part(part: str, formula: str) -> tuple[list[list[str]], bool]:
    """Expand the stepwise function of one side of a formula into lists of terms; say whether there was one."""
    terms = _split_top(part, "+")
    stepwise = [i for i, term in enumerate(terms) if _STEPWISE.match(term.replace(" ", ""))]
    if len(stepwise) > 1:
        raise ValueError(f"formula {formula!r}: one stepwise function (sw, sw0, csw, csw0) per formula")
    if not stepwise:
        return [terms], False
    index = stepwise[0]
    match = _STEPWISE.match(terms[index].replace(" ", ""))
    assert match is not None
    arguments = [a for a in _split_top(match.group(2), ",") if a]
    if not arguments:
        raise ValueError(f"formula {formula!r}: {match.group(1)}() needs at least one argument")
    before, after = terms[:index], terms[index + 1:]
    return [[*before, *step, *after] for step in _steps(match.group(1), arguments)], True


def expand_formula(formula: str) -> list[tuple[str, str]]:
    """Expand a multiple-estimation formula into (outcome, formula) pairs, in fixest's order.

    Examples
    --------
    >>> [f for _, f in expand_formula("y1 + y2 ~ csw0(x1, x2) | fe")]
    ['y1 ~ 1 | fe', 'y1 ~ x1 | fe', 'y1 ~ x1 + x2 | fe', 'y2 ~ 1 | fe', 'y2 ~ x1 | fe', 'y2 ~ x1 + x2 | fe']
    >>> [f for _, f in expand_formula("y ~ x | sw(a, b)")]
    ['y ~ x | a', 'y ~ x | b']
    """
    if formula.count("~") != 1:
        raise ValueError(f"formula {formula!r} needs exactly one '~' (e.g. 'y ~ x | fe')")
    lhs, rest = formula.split("~")
    lhs = lhs.strip()
    inner = re.fullmatch(r"c\((.*)\)", lhs.replace(" ", ""))
    outcomes = _split_top(inner.group(1), ",") if inner else _split_top(lhs, "+")
    if not outcomes:
        raise ValueError(f"formula {formula!r} needs a dependent variable")
    pieces = _split_top(rest, "|")
    if len(pieces) > 2:
        raise ValueError(f"formula {formula!r} has more than one '|'")
    rhs_steps, rhs_stepwise = _expand_part(pieces[0], formula)
    fe_steps, fe_stepwise = _expand_part(pieces[1], formula) if len(pieces) == 2 else ([[]], False)
    if rhs_stepwise and fe_stepwise:
        raise ValueError(f"formula {formula!r}: one stepwise function (sw, sw0, csw, csw0) per formula")
    out = []
    for outcome in outcomes:
        for rhs in rhs_steps:
            for fixed in fe_steps:
                text = f"{outcome} ~ {' + '.join(rhs) or '1'}" + (f" | {' + '.join(fixed)}" if fixed else "")
                out.append((outcome, text))
    return out


def is_multiple(formula: str, split: str | None, fsplit: str | None) -> bool:
    """Whether the call estimates several models (several outcomes, a stepwise function, or a split)."""
    return split is not None or fsplit is not None or len(expand_formula(formula)) > 1


def _samples(data: pd.DataFrame, split: str | None, fsplit: str | None) -> list[tuple[str, pd.DataFrame]]:
    if split is not None and fsplit is not None:
        raise ValueError("give split or fsplit, not both")
    column = split or fsplit
    samples: list[tuple[str, pd.DataFrame]] = [("full sample", data)] if column is None or fsplit else []
    if column is not None:
        if column not in data.columns:
            raise KeyError(f"split column {column!r} is not in the data")
        values = data[column]
        for value in pd.unique(values.dropna()):
            samples.append((f"{column} = {value}", data.loc[(values == value).to_numpy()]))
    return samples


def estimate_multiple(formula: str, data: pd.DataFrame, fit: Callable[[str, pd.DataFrame], RegressionResults], *,
                      split: str | None = None, fsplit: str | None = None) -> MultipleResults:
    """Estimate every model of a multiple-estimation call with ``fit(formula, sample)``."""
    expanded = expand_formula(formula)
    unknown = [outcome for outcome in dict.fromkeys(o for o, _ in expanded) if outcome not in data.columns]
    if unknown:
        raise KeyError(f"outcome(s) not in the data: {', '.join(unknown)} (formula {formula!r})")
    models: dict[str, RegressionResults | NotEstimated] = {}
    for sample_name, sample in _samples(data, split, fsplit):
        for outcome, text in expanded:
            key = ModelKey(sample_name, outcome, text)
            try:
                models[str(key)] = fit(text, sample)
            except DATA_LIMITS as exc:
                models[str(key)] = NotEstimated(key, f"{type(exc).__name__}: {exc}")
    return MultipleResults(models)


@dataclass(frozen=True, repr=False)
class MultipleResults:
    """Several models estimated in one call, in order (fixest's ``fixest_multi``, pyfixest's ``FixestMulti``).

    Iterating, indexing by position or by key, ``len`` and :meth:`to_list` give the estimated models and the
    :class:`NotEstimated` places in order; :attr:`estimated` only the estimated ones.
    """

    models: dict[str, RegressionResults | NotEstimated]

    def __iter__(self) -> Iterator[RegressionResults | NotEstimated]:
        return iter(self.models.values())

    def __len__(self) -> int:
        return len(self.models)

    def __getitem__(self, which: int | str) -> RegressionResults | NotEstimated:
        if isinstance(which, int):
            return list(self.models.values())[which]
        return self.models[which]

    def to_list(self) -> list[RegressionResults | NotEstimated]:
        """Return every model of the collection, in order."""
        return list(self.models.values())

    def fetch_model(self, which: int | str) -> RegressionResults | NotEstimated:
        """Return one model by position or key (pyfixest's ``fetch_model``)."""
        return self[which]

    @property
    def estimated(self) -> dict[str, RegressionResults]:
        """The models that could be estimated, by key."""
        return {k: m for k, m in self.models.items() if not isinstance(m, NotEstimated)}

    @property
    def not_estimated(self) -> dict[str, NotEstimated]:
        """The models their samples could not support, by key, with the reasons."""
        return {k: m for k, m in self.models.items() if isinstance(m, NotEstimated)}

    def tidy(self, conf_level: float | None = None) -> pd.DataFrame:
        """Return every estimated model's tidy rows with the model's key and formula."""
        parts = []
        for key, model in self.estimated.items():
            parts.append(model.tidy(conf_level).assign(model=key, formula=model.formula))
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()

    def etable(self, **options: object) -> object:
        """Return a regression table of every model (:func:`~villageaid.etable`)."""
        from villageaid.report.etable import etable

        return etable(self, **options)  # type: ignore[arg-type]

    def coefplot(self, **options: object) -> object:
        """Plot the coefficients of the estimated models (:func:`~villageaid.coefplot`)."""
        from villageaid.report.plots import coefplot

        return coefplot(self, **options)  # type: ignore[arg-type]

    def iplot(self, **options: object) -> object:
        """Plot the estimated models with ``i()`` terms against their levels (:func:`~villageaid.iplot`)."""
        from villageaid.report.plots import iplot

        return iplot(self, **options)  # type: ignore[arg-type]

    def summary(self) -> Summary:
        """Summarise the collection: the tidy rows of every model, and the models not estimated."""
        notes = tuple(str(m) for m in self.not_estimated.values())
        return Summary(f"{len(self.estimated)} of {len(self)} models estimated", (), self.tidy(), (), notes)

    def __repr__(self) -> str:
        return f"<MultipleResults: {len(self.estimated)} of {len(self)} models estimated>"

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()
