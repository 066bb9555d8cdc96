"""Simulated data: the scenarios and the process that draws them.

Scenarios are in :mod:`~villageaid.simulation.scenarios`, the process in :mod:`~villageaid.simulation.generate`.
"""

from villageaid.simulation.generate import simulate
from villageaid.simulation.scenarios import (
    COEFFICIENT_NAMES,
    SCENARIOS,
    Scenario,
    SimulatedData,
    national,
    two_counties,
    two_counties_null,
)

__all__ = ["COEFFICIENT_NAMES", "SCENARIOS", "Scenario", "SimulatedData", "national", "simulate", "two_counties",
           "two_counties_null"]
