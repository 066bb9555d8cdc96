"""Analyses in the words of the hypotheses, on the village × year panel (no file paths here)."""

from villageaid.analysis.allocation import AllocationResults, allocation_models
from villageaid.analysis.descriptives import descriptive_statistics
from villageaid.analysis.logic_shift import LogicShiftResults, logic_shift_models
from villageaid.analysis.matching import MatchingResults, matching_index, matching_models
from villageaid.analysis.typology import typology_counts, village_period_types

__all__ = [
    "AllocationResults",
    "LogicShiftResults",
    "MatchingResults",
    "allocation_models",
    "descriptive_statistics",
    "logic_shift_models",
    "matching_index",
    "matching_models",
    "typology_counts",
    "village_period_types",
]
