"""Analyses in the words of the hypotheses, on the village × year panel (no file paths here)."""

from villageaid.analysis.typology import typology_counts, village_period_types

__all__ = ["typology_counts", "village_period_types"]
