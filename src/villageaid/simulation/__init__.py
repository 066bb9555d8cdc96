"""Simulated data: the scenarios and the process that draws them.

Scenarios are in :mod:`~villageaid.simulation.scenarios`, the process in :mod:`~villageaid.simulation.generate`.
The process is imported when first used (``simulate``): it needs scipy, which commands that only read records
(validate, panel) would otherwise import at start-up for nothing (about 0.2 s).
"""

from typing import Any

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


def __getattr__(name: str) -> Any:
    if name == "simulate":
        from villageaid.simulation.generate import simulate

        globals()["simulate"] = simulate
        return simulate
    raise AttributeError(f"module 'villageaid.simulation' has no attribute {name!r}")
