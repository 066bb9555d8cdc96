"""Randomization (permutation) inference with few clusters: Fisher's exact test and its inverted interval.

:func:`permutation_test` recomputes a statistic (any function of a data frame: a regression coefficient, a
t statistic, a difference in means) after re-assigning the treatment as the design could have assigned it:
the treatment paths of whole clusters (e.g. villages, whose rows move together) are permuted among the
clusters of the same stratum (e.g. county), so that every stratum keeps its number of treated clusters.
When the distinct assignments are few (the product over strata of the multinomial coefficients of the
distinct treatment paths) every one is enumerated once and the p-value is exact; otherwise random
permutations are drawn and the observed assignment is counted among them, p = (1 + #{T* ≥ T}) / (B + 1),
which keeps the test exact in size. :func:`permutation_interval` inverts the test of Fisher's sharp null
of a constant additive effect τ, y_i(0) = y_i − τ·d_i, into a confidence interval.

Under the sharp null every potential outcome is known, so the randomization distribution of the statistic
is known exactly and the test is valid whatever the number of clusters, the distribution of the errors or
the correlation within clusters, which is what makes it attractive when few clusters are treated and
cluster-robust standard errors or the wild bootstrap are unreliable.

References
----------
Fisher, R. A. (1935). *The Design of Experiments*. Oliver & Boyd.

Young, A. (2019). "Channeling Fisher: Randomization Tests and the Statistical Insignificance of Seemingly
Significant Experimental Results." *Quarterly Journal of Economics* 134(2), 557–598.

MacKinnon, J. G. & Webb, M. D. (2020). "Randomization inference for difference-in-differences with few
treated clusters." *Journal of Econometrics* 218(2), 435–450.

Written here because no well-kept Python package does this: ``scipy.stats.permutation_test`` permutes
observations or pairs but has neither strata nor clusters whose rows move together, nor test inversion;
``permute`` (last released 2021) has stratified tests of two-sample statistics but not of an arbitrary
statistic of a data frame with clustered assignment; ``pyfixest``'s ``ritest`` draws random permutations
of a regressor of its own fitted models (clusters, no strata, no exact enumeration).
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from villageaid.estimators.checks import refuse_infinite, require_draws, require_level, require_seed
from villageaid.estimators.multiplicity import ALTERNATIVES
from villageaid.estimators.summary import TIDY_COLUMNS

Alternative = Literal["two-sided", "greater", "less"]
_ALTERNATIVES = ALTERNATIVES
#: Relative tolerance with which a permuted statistic counts as at least as extreme as the observed one.
TIE_TOLERANCE = 1e-12


@dataclass(frozen=True)
class PermutationResult:
    """Outcome of a randomization (permutation) test.

    Attributes
    ----------
    statistic : float
        The statistic on the observed data.
    p_value : float
        Share of the assignments whose statistic is at least as extreme as the observed one (the observed
        assignment is one of them).
    null_distribution : numpy.ndarray
        The statistic under each assignment: every distinct assignment when ``exact``, otherwise the
        observed statistic first and then one value per random draw.
    assignments : int
        Number of assignments the p-value is computed from (``len(null_distribution)``).
    exact : bool
        Whether every distinct assignment was enumerated (an exact p-value) rather than drawn at random.
    alternative : {"two-sided", "greater", "less"}
        What counts as extreme: ``|T*| ≥ |T|``, ``T* ≥ T`` or ``T* ≤ T``.
    """

    statistic: float
    p_value: float
    null_distribution: np.ndarray = field(compare=False, repr=False)
    assignments: int
    exact: bool
    alternative: str

    def tidy(self, term: str = "statistic") -> pd.DataFrame:
        """Return one row: the tidy columns (statistic as estimate and statistic) and how it was computed.

        Parameters
        ----------
        term : str
            Label of the row (e.g. the coefficient that the statistic computes).

        Returns
        -------
        pandas.DataFrame
            Columns ``term, estimate, std_error, statistic, p_value, conf_low, conf_high`` (no standard error
            or interval: NaN), then ``assignments, exact, alternative``.
        """
        row = {"term": term, "estimate": self.statistic, "std_error": np.nan, "statistic": self.statistic,
               "p_value": self.p_value, "conf_low": np.nan, "conf_high": np.nan}
        extra = {"assignments": self.assignments, "exact": self.exact, "alternative": self.alternative}
        return pd.DataFrame([{**row, **extra}])[[*TIDY_COLUMNS, *extra]]

    def __str__(self) -> str:
        how = f"all {self.assignments} assignments" if self.exact else f"{self.assignments - 1} random draws"
        return (f"Randomization test ({self.alternative}, {how}): statistic = {self.statistic:.4g}, "
                f"p = {self.p_value:.4f}")


@dataclass(frozen=True)
class _Design:
    """Units (clusters or rows), their strata and the distinct treatment paths that can be re-assigned.

    An assignment gives each unit a path label (``labels`` is the observed one); permuting labels within
    strata re-assigns the treatment. ``sources[p, k]`` is a row holding the treatment of path ``p`` at
    position ``k`` of a unit's rows, so the treatment of an assignment is read from rows
    ``sources[labels[unit_of_row], position]``.
    """

    unit_of_row: np.ndarray
    position: np.ndarray
    stratum_of_unit: np.ndarray
    labels: np.ndarray
    sources: np.ndarray
    count: int

    def source_rows(self, labels: np.ndarray) -> np.ndarray:
        """Return, for every row, the row whose treatment it takes under the assignment ``labels``."""
        return self.sources[labels[self.unit_of_row], self.position]

    def enumerate(self) -> Iterator[np.ndarray]:
        """Yield the labels of every distinct assignment once."""
        per_stratum = []
        for s in range(int(self.stratum_of_unit.max()) + 1):
            units = np.flatnonzero(self.stratum_of_unit == s)
            per_stratum.append((units, list(_arrangements(self.labels[units]))))
        for choice in itertools.product(*(arrangements for _, arrangements in per_stratum)):
            labels = np.empty_like(self.labels)
            for (units, _), arrangement in zip(per_stratum, choice, strict=True):
                labels[units] = arrangement
            yield labels

    def draw(self, rng: np.random.Generator, draws: int) -> Iterator[np.ndarray]:
        """Yield the labels of ``draws`` random permutations within strata."""
        grouped = np.argsort(self.stratum_of_unit, kind="stable")
        for _ in range(draws):
            shuffled = np.lexsort((rng.random(len(self.labels)), self.stratum_of_unit))
            labels = np.empty_like(self.labels)
            labels[grouped] = self.labels[shuffled]
            yield labels


def _arrangements(labels: np.ndarray) -> Iterator[np.ndarray]:
    """Yield every distinct arrangement of the multiset ``labels`` once (multinomial-many)."""
    values, counts = np.unique(labels, return_counts=True)
    m = len(labels)

    def place(k: int, free: tuple[int, ...], current: np.ndarray) -> Iterator[np.ndarray]:
        if k == len(values):
            yield current.copy()
            return
        for chosen in itertools.combinations(free, int(counts[k])):
            current[list(chosen)] = values[k]
            taken = set(chosen)
            yield from place(k + 1, tuple(i for i in free if i not in taken), current)

    yield from place(0, tuple(range(m)), np.empty(m, dtype=labels.dtype))


def _columns(value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _codes(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """Return integer codes 0..G-1 of the groups of ``columns`` (all rows one group when there are none)."""
    if not columns:
        return np.zeros(len(frame), dtype=np.intp)
    return frame.groupby(columns, sort=True, dropna=False, observed=True).ngroup().to_numpy(dtype=np.intp)


def _check_frame(frame: pd.DataFrame, needed: dict[str, list[str]]) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame must be a pandas DataFrame, not {type(frame).__name__}")
    if len(frame) == 0:
        raise ValueError("frame has no rows")
    missing = [f"{column!r} ({role})" for role, columns in needed.items() for column in columns
               if column not in frame.columns]
    if missing:
        raise ValueError(f"missing columns in frame: {', '.join(missing)}")
    for role, columns in needed.items():
        if columns and role != "outcome" and frame[columns].isna().any().any():
            raise ValueError(f"the {role} column(s) {columns} have missing values; drop those rows first")


def _build_design(frame: pd.DataFrame, treatment: list[str], strata: list[str], clusters: list[str]) -> _Design:
    """Find the units, their strata and their distinct treatment paths."""
    n = len(frame)
    stratum_of_row = _codes(frame, strata)
    unit_of_row = _codes(frame, clusters) if clusters else np.arange(n, dtype=np.intp)
    units = int(unit_of_row.max()) + 1
    stratum_of_unit = np.zeros(units, dtype=np.intp)
    stratum_of_unit[unit_of_row] = stratum_of_row
    if np.any(stratum_of_unit[unit_of_row] != stratum_of_row):
        raise ValueError(f"clusters {clusters} are not nested in strata {strata}: some cluster has rows in "
                         "two strata, and a cluster's rows must move together within one stratum")
    row_value = _codes(frame, treatment)  # one code per distinct combination of the treatment columns
    position = pd.Series(unit_of_row).groupby(unit_of_row).cumcount().to_numpy(dtype=np.intp)
    size = np.bincount(unit_of_row, minlength=units)
    first_row = np.full(units, n, dtype=np.intp)
    np.minimum.at(first_row, unit_of_row, np.arange(n, dtype=np.intp))
    varies = np.any(row_value != row_value[first_row[unit_of_row]])
    if not varies:  # each unit has one treatment value (e.g. village-level treatment): its path is that value
        position = np.zeros(n, dtype=np.intp)
        unit_rows = first_row[:, None]
        key = row_value[first_row]
    else:  # the path is the unit's sequence of treatment values, its rows matched by their order in frame
        strata_count = int(stratum_of_unit.max()) + 1
        smallest, largest = np.full(strata_count, n), np.zeros(strata_count, dtype=np.intp)
        np.minimum.at(smallest, stratum_of_unit, size)
        np.maximum.at(largest, stratum_of_unit, size)
        if np.any(smallest != largest):
            s = int(np.flatnonzero(smallest != largest)[0])
            raise ValueError(
                "the treatment varies within clusters, so a cluster's treatment path (its rows in frame order) "
                f"can only move to a cluster with as many rows, but the clusters of a stratum have {smallest[s]} "
                f"to {largest[s]} rows: balance the panel, or make the permuted treatment constant within "
                "cluster and compute its time-varying part (e.g. treated × post) inside the statistic")
        unit_rows = np.zeros((units, int(size.max())), dtype=np.intp)
        unit_rows[unit_of_row, position] = np.arange(n, dtype=np.intp)
        key = pd.factorize(pd.Series([tuple(row_value[unit_rows[u, :size[u]]]) for u in range(units)],
                                     dtype=object))[0]
    labels, first_unit = _label_paths(stratum_of_unit, key)
    # Distinct assignments: the product over strata of m_s! / (c_1! c_2! ...), m_s units with c_j per path.
    remaining = np.bincount(stratum_of_unit).tolist()
    count = 1
    for stratum, c in zip(stratum_of_unit[first_unit].tolist(), np.bincount(labels).tolist(), strict=True):
        count *= math.comb(remaining[stratum], c)
        remaining[stratum] -= c
    return _Design(unit_of_row=unit_of_row, position=position, stratum_of_unit=stratum_of_unit,
                   labels=labels, sources=unit_rows[first_unit], count=count)


def _label_paths(stratum_of_unit: np.ndarray, key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Label each unit's (stratum, path) pair 0..P-1; return the labels and one unit holding each label."""
    pairs = np.column_stack([stratum_of_unit, key])
    _, first_unit, labels = np.unique(pairs, axis=0, return_index=True, return_inverse=True)
    return labels.reshape(-1).astype(np.intp), first_unit


class _Permuter:
    """Build copies of ``frame`` whose treatment columns are read from other rows."""

    def __init__(self, frame: pd.DataFrame, columns: list[str]) -> None:
        self.frame = frame
        self.arrays = {column: frame[column].array for column in columns}  # extension dtypes are kept by take

    def __call__(self, rows: np.ndarray, replace: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
        """Return a copy whose treatment columns take their values from ``rows`` (and ``replace`` set)."""
        out = self.frame.copy(deep=False)
        for column, values in self.arrays.items():
            out[column] = values.take(rows)
        for column, values in (replace or {}).items():
            out[column] = values
        return out


def _evaluate(statistic: Callable, frame: pd.DataFrame | np.ndarray) -> float:
    value = float(statistic(frame))
    if np.isnan(value):
        raise ValueError("the statistic is NaN under some assignment; it must be defined under every "
                         "re-assignment of the treatment (check for collinearity with fixed effects)")
    return value


def _extreme(null: np.ndarray, observed: float, alternative: str) -> np.ndarray:
    """Return which values of ``null`` are at least as extreme as ``observed`` (ties within TIE_TOLERANCE)."""
    tolerance = TIE_TOLERANCE * abs(observed)
    if alternative == "two-sided":
        return np.abs(null) >= abs(observed) - tolerance
    if alternative == "greater":
        return null >= observed - tolerance
    return null <= observed + tolerance


def _validate(draws: int, exact_limit: int, alternative: str, statistic: object, seed: object, frame: object,
              who: str) -> None:
    if alternative not in _ALTERNATIVES:
        raise ValueError(f"unknown alternative {alternative!r}: use one of {', '.join(_ALTERNATIVES)}")
    if isinstance(draws, bool) or not isinstance(draws, numbers.Real) or int(draws) != draws or draws < 1:
        raise ValueError(f"draws must be an integer of at least 1, got {draws!r}")
    if isinstance(exact_limit, bool) or not isinstance(exact_limit, numbers.Real) or int(exact_limit) != exact_limit \
            or exact_limit < 0:
        raise ValueError(f"exact_limit must be a non-negative integer, got {exact_limit!r}")
    if not callable(statistic):
        raise TypeError(f"{who}: statistic must be a function of a data frame returning a number, got "
                        f"{type(statistic).__name__}")
    require_seed(seed, who)
    # each assignment re-assigns every row: draws × rows is the work (and the assignments' memory) bounded here
    rows = len(frame) if isinstance(frame, pd.DataFrame) else 1
    require_draws(int(draws), rows, who, what="rows re-assigned")


def _prepare(frame: pd.DataFrame, treatment: str | Sequence[str], strata: str | Sequence[str] | None,
             clusters: str | Sequence[str] | None, outcome: str | None = None) -> tuple[list[str], _Design]:
    columns = _columns(treatment)
    if not columns:
        raise ValueError("no treatment column given")
    needed = {"treatment": columns, "strata": _columns(strata), "clusters": _columns(clusters)}
    if outcome is not None:
        needed["outcome"] = [outcome]
    _check_frame(frame, needed)
    design = _build_design(frame, columns, needed["strata"], needed["clusters"])
    if design.count == 1:
        raise ValueError(f"the treatment {columns} is constant within every stratum"
                         f"{' (across clusters)' if clusters is not None else ''}: there is nothing to permute")
    return columns, design


def _assignments(design: _Design, draws: int, seed: int | None,
                 exact_limit: int) -> tuple[Callable[[], Iterator[np.ndarray]], int, bool]:
    """Return a generator of the assignments' source rows, their number and whether they are all of them.

    Exact: every distinct assignment. Random: the observed assignment first, then ``draws`` seeded draws.
    Each call of the generator yields the same assignments in the same order, one at a time (so that many
    assignments of a large frame are never held in memory together).
    """
    if design.count <= exact_limit:
        return (lambda: (design.source_rows(labels) for labels in design.enumerate())), design.count, True

    def generate() -> Iterator[np.ndarray]:
        yield design.source_rows(design.labels)
        for labels in design.draw(np.random.default_rng(seed), draws):
            yield design.source_rows(labels)

    return generate, draws + 1, False


def permutation_test(statistic: Callable[[pd.DataFrame], float] | Callable[[np.ndarray], float], frame: pd.DataFrame,
                     treatment: str | Sequence[str], *, strata: str | Sequence[str] | None = None,
                     clusters: str | Sequence[str] | None = None, draws: int = 999, seed: int | None = 0,
                     exact_limit: int = 20000, alternative: Alternative = "two-sided",
                     statistic_reads: Literal["frame", "rows"] = "frame") -> PermutationResult:
    """Test the sharp null of no effect by re-assigning the treatment within strata, across clusters.

    Parameters
    ----------
    statistic : callable
        ``statistic(frame) -> float``: the test statistic (e.g. a regression coefficient or its t statistic)
        computed on a data frame shaped like ``frame``. It is called once per assignment, on a copy of
        ``frame`` whose treatment column(s) are re-assigned; it must not be NaN under any assignment.
    frame : pandas.DataFrame
        The data.
    treatment : str or list of str
        The treatment column, or several columns permuted together (e.g. treatment arms, or treated and
        cohort). No missing values.
    strata : str or list of str, optional
        Columns defining the strata (e.g. county) within which the treatment is permuted, so that each
        stratum keeps its number of treated units. By default one stratum.
    clusters : str or list of str, optional
        Columns defining the units of assignment (e.g. village), nested in the strata: a cluster's rows
        keep their treatment path together and the paths are permuted among clusters. When the treatment
        is constant within each cluster its path is that value; otherwise it is the sequence of the
        cluster's treatment values in frame order (e.g. by year, with the frame sorted by year within
        cluster), which can only move to a cluster with as many rows. By default each row is a unit.
    draws : int
        Random permutations to draw when the distinct assignments exceed ``exact_limit``.
    seed : int, optional
        Seed of ``numpy.random.default_rng`` for the random permutations (the same seed gives the same
        result).
    exact_limit : int
        Enumerate every distinct assignment when there are at most this many (the product over strata of the
        multinomial coefficients of the distinct treatment paths); ``0`` always draws at random.
    alternative : {"two-sided", "greater", "less"}
        Extreme means ``|T*| ≥ |T|``, ``T* ≥ T`` or ``T* ≤ T``, with a relative tolerance of 1e-12 of
        ``|T|`` for ties.
    statistic_reads : {"frame", "rows"}
        What ``statistic`` is given: a copy of ``frame`` with the treatment re-assigned (default), or the
        assignment itself as an integer array ``rows`` of ``len(frame)`` — row ``i`` takes its treatment from
        row ``rows[i]`` (``np.arange(len(frame))`` for the observed assignment). The second serves statistics
        that hold their own arrays and gather the treatment with ``rows``, where a thousand copies of a wide
        frame would cost more than the statistic.

    Returns
    -------
    PermutationResult
        Exact: p = #{assignments at least as extreme} / #{distinct assignments}. Random: the observed
        assignment is counted with the draws, p = (1 + #{draws at least as extreme}) / (draws + 1).

    Raises
    ------
    ValueError
        Missing columns, missing values in the treatment, strata or clusters, clusters not nested in strata,
        a treatment constant within every stratum (nothing to permute), ``draws < 1`` or an unknown
        alternative.

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"village": [1, 1, 2, 2, 3, 3, 4, 4], "county": [1, 1, 1, 1, 2, 2, 2, 2],
    ...                      "d": [1, 1, 0, 0, 1, 1, 0, 0], "y": [3.0, 4.0, 1.0, 2.0, 5.0, 6.0, 2.0, 2.5]})
    >>> def gap(f):
    ...     return f.loc[f["d"] == 1, "y"].mean() - f.loc[f["d"] == 0, "y"].mean()
    >>> result = permutation_test(gap, data, "d", strata="county", clusters="village")
    >>> result.assignments, result.exact, result.p_value
    (4, True, 0.5)
    """
    _validate(draws, exact_limit, alternative, statistic, seed, frame, "permutation_test")
    if statistic_reads not in ("frame", "rows"):
        raise ValueError(f"statistic_reads must be 'frame' or 'rows', got {statistic_reads!r}")
    columns, design = _prepare(frame, treatment, strata, clusters)
    permuted = _Permuter(frame, columns) if statistic_reads == "frame" else (lambda rows: rows)
    observed = _evaluate(statistic, frame if statistic_reads == "frame" else np.arange(len(frame)))
    generate, _, exact = _assignments(design, draws, seed, exact_limit)
    assignments = generate()
    if not exact:  # the observed assignment is the first: its statistic is the observed one
        next(assignments)
    null = np.array([*([] if exact else [observed]), *(_evaluate(statistic, permuted(rows)) for rows in assignments)])
    extreme = _extreme(null, observed, alternative)
    if not exact:
        extreme[0] = True
    null.setflags(write=False)
    return PermutationResult(statistic=observed, p_value=float(np.mean(extreme)), null_distribution=null,
                             assignments=len(null), exact=exact, alternative=alternative)


def permutation_interval(statistic: Callable[[pd.DataFrame], float], frame: pd.DataFrame, outcome: str,
                         treatment: str, *, level: float = 0.95, grid: Sequence[float] | np.ndarray | None = None,
                         strata: str | Sequence[str] | None = None, clusters: str | Sequence[str] | None = None,
                         draws: int = 999, seed: int | None = 0, exact_limit: int = 20000,
                         xtol: float | None = None) -> tuple[float, float]:
    """Find a confidence interval for a constant additive effect τ by inverting the randomization test.

    Under Fisher's sharp null y_i(0) = y_i − τ·d_i the outcome under any assignment d* is known,
    y* = y − τ·d + τ·d*. The test of τ recomputes the statistic on the data re-assigned this way and compares,
    two-sided, the statistic minus τ with the observed statistic minus τ (so ``statistic`` should estimate the
    effect, e.g. a difference in means or a regression coefficient on the treatment, and is centred at τ under
    the null). The interval is the set of τ not rejected at 1 − ``level`` (rejected when p ≤ 1 − level), with
    the same assignments (all, or the same seeded draws) for every τ.

    Parameters
    ----------
    statistic : callable
        ``statistic(frame) -> float``, an estimate of the effect of ``treatment`` on ``outcome``.
    frame : pandas.DataFrame
        The data.
    outcome : str
        The outcome column, adjusted under each null.
    treatment : str
        One 0/1 treatment column.
    level : float
        Confidence level.
    grid : array-like, optional
        Values of τ to test. When given, the interval is the smallest and largest grid value not rejected
        (clipped to the grid) instead of being found by bisection.
    strata, clusters, draws, seed, exact_limit
        As in :func:`permutation_test`.
    xtol : float, optional
        Absolute accuracy of each end of the interval. The p-value is a step function of τ, so each end is
        found by bisection between a τ not rejected and a τ rejected until they are closer than ``xtol``; the
        midpoint is returned, within ``xtol / 2`` of the jump. By default 1e-6 times the standard deviation
        of the randomization distribution of the statistic at the estimate.

    Returns
    -------
    tuple of float
        The lower and upper ends; infinite when the test cannot reject (e.g. fewer than 1 / (1 − level)
        assignments) or still does not at τ far from the estimate.

    Raises
    ------
    ValueError
        As :func:`permutation_test`, and when the treatment is not one 0/1 column, the outcome is not numeric,
        ``level`` is not in (0, 1) or no grid value is accepted.

    Notes
    -----
    Bisection starts from the estimate (the observed statistic, always accepted: p = 1 there) and walks out
    on each side, doubling the step, until a τ is rejected. It finds a jump of the p-value between the
    estimate and that τ: when the set of accepted τ is an interval (as in this module's tests, a difference in
    means) it is its end; in general the non-rejection set need not be an interval, and ``grid``
    then shows it. For a difference in means, far from the estimate the p-value tends to the share of
    assignments that coincide with the observed one or are its mirror image: in a balanced design (half the
    units of each stratum treated) swapping treated and untreated ties with the observed assignment, p stays
    ≥ 2 / #assignments, and the interval is unbounded when that exceeds 1 − level.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> data = pd.DataFrame({"d": [1, 1, 1, 1, 0, 0, 0, 0], "y": [5.1, 4.2, 6.0, 5.5, 1.0, 2.2, 0.4, 1.5]})
    >>> def gap(f):
    ...     return f.loc[f["d"] == 1, "y"].mean() - f.loc[f["d"] == 0, "y"].mean()
    >>> low, high = permutation_interval(gap, data, "y", "d", level=0.9)
    >>> bool(low < gap(data) < high)
    True
    """
    _validate(draws, exact_limit, "two-sided", statistic, seed, frame, "permutation_interval")
    require_level(level, "permutation_interval", "level")
    if not isinstance(treatment, str):
        raise ValueError("permutation_interval needs one 0/1 treatment column (a column name)")
    columns, design = _prepare(frame, treatment, strata, clusters, outcome=outcome)
    if not pd.api.types.is_numeric_dtype(frame[outcome]) or frame[outcome].isna().any():
        raise ValueError(f"the outcome {outcome!r} must be numeric without missing values")
    refuse_infinite(frame, [outcome], "permutation_interval")
    d = frame[treatment].to_numpy()
    if not np.isin(d, (0, 1)).all():
        raise ValueError(f"the treatment {treatment!r} must be 0/1 to define a constant additive effect")
    d = d.astype(float)
    y = frame[outcome].to_numpy(dtype=float)
    generate, count, exact = _assignments(design, draws, seed, exact_limit)
    observed_rows = design.source_rows(design.labels)
    alpha = 1 - level
    permuted = _Permuter(frame, columns)

    def null_statistics(tau: float) -> np.ndarray:
        """Return the statistic minus τ under each assignment, for the sharp null of effect τ."""
        untreated = y - tau * d
        return np.array([_evaluate(statistic, permuted(rows, {outcome: untreated + tau * d[rows]})) - tau
                         for rows in generate()])

    def p_value(tau: float) -> float:
        observed = _evaluate(statistic, permuted(observed_rows, {outcome: y - tau * d + tau * d[observed_rows]})) - tau
        extreme = _extreme(null_statistics(tau), observed, "two-sided")
        if not exact:
            extreme[0] = True
        return float(np.mean(extreme))

    def rejected(tau: float) -> bool:
        return p_value(tau) <= alpha + 1e-12

    if grid is not None:
        taus = np.asarray(grid, dtype=float)
        accepted = taus[[not rejected(float(tau)) for tau in taus]]
        if len(accepted) == 0:
            raise ValueError("no value of the grid is accepted; give a grid around the estimate")
        return float(accepted.min()), float(accepted.max())
    if 1 / count > alpha + 1e-12:  # the smallest attainable p-value is 1 / #assignments
        return -np.inf, np.inf
    estimate = _evaluate(statistic, frame)
    spread = float(np.std(null_statistics(estimate)))
    step0 = spread if spread > 0 else max(abs(estimate), 1.0)
    tolerance = xtol if xtol is not None else 1e-6 * step0
    if tolerance <= 0:
        raise ValueError(f"xtol must be positive, got {xtol!r}")
    ends = []
    for direction in (-1.0, 1.0):
        inside, step, outside = estimate, step0, None
        for _ in range(40):  # walk out until the null is rejected (2^40 steps: further, rounding would dominate)
            candidate = estimate + direction * step
            if rejected(candidate):
                outside = candidate
                break
            inside, step = candidate, 2 * step
        if outside is None:
            ends.append(direction * np.inf)
            continue
        while abs(outside - inside) > tolerance:
            middle = 0.5 * (inside + outside)
            if rejected(middle):
                outside = middle
            else:
                inside = middle
        ends.append(0.5 * (inside + outside))
    return float(ends[0]), float(ends[1])
