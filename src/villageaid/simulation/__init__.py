"""Simulated data: the scenarios and the process that draws them.

Scenarios are in :mod:`~villageaid.simulation.scenarios`, the process in :mod:`~villageaid.simulation.generate`.
"""

from villageaid.simulation.generate import simulate
from villageaid.simulation.scenarios import (
    COEFFICIENT_NAMES,
    SCENARIOS,
    Scenario,
    SimulatedData,
    complementarity,
    hidden_selection,
    many_counties,
    national,
    need_decline,
    null,
    seed_true,
    spillover,
)
from villageaid.simulation.subset import restrict_to_villages

__all__ = ["COEFFICIENT_NAMES", "SCENARIOS", "Scenario", "SimulatedData", "complementarity", "hidden_selection",
           "many_counties", "national", "need_decline", "null", "restrict_to_villages", "seed_true", "simulate",
           "spillover"]
