"""Run the library's hostile corpus (``hostile_api.py``): every case raises as stated or documents a counted drop."""

from __future__ import annotations

import re
import time
import warnings

import pytest
from tests.estimators.hostile_api import CASES, Case


def test_the_corpus_is_large_and_its_names_unique() -> None:
    assert len(CASES) >= 45
    assert len({case.name for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_hostile_call(case: Case) -> None:
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no overflow or division by zero on the way to the answer
        if case.error is not None:
            with pytest.raises(case.error) as caught:
                case.call()
            message = caught.value.args[0] if isinstance(caught.value, KeyError) else str(caught.value)
            assert re.search(case.match, str(message)), f"{case.name}: {message!r} does not match {case.match!r}"
        else:
            result = case.call()
            notes = [str(note) for note in getattr(result, "notes", ())]
            if case.match:
                matching = [note for note in notes if re.search(case.match, note)]
                assert matching, f"{case.name}: no note matches {case.match!r}; notes: {notes}"
                if case.in_summary:
                    assert matching[0] in result.summary().as_text()
            if case.absent:
                assert not [note for note in notes if re.search(case.absent, note)], f"{case.name}: {notes}"
    assert time.perf_counter() - started < 5, f"{case.name} took too long"
