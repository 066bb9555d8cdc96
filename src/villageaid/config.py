"""The one place for seeds: the root seed of the default data and of every random step derived from it.

The build's paths are in :mod:`villageaid.workflow.build`; the estimators and analysis modules take data,
never file names.
"""

from __future__ import annotations

#: Root seed of the default simulated data set and of every random step derived from it.
DEFAULT_SEED = 20_240_601

#: Default scenario of the simulated data set.
DEFAULT_SCENARIO = "seed_true"
