"""The one place for seeds and the pipeline's paths.

Only the pipeline and the command line use the paths; the estimators and analysis modules take data,
never file names.
"""

from __future__ import annotations

from pathlib import Path

#: Root seed of the default simulated data set and of every random step derived from it.
DEFAULT_SEED = 20_240_601

#: Default scenario of the simulated data set.
DEFAULT_SCENARIO = "two_counties"

#: Repository root when running from a source checkout (``src/villageaid/config.py`` → ``../../``).
REPO_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = REPO_ROOT / "data"
SIMULATED_DIR = DATA_DIR / "simulated"
PROCESSED_DIR = DATA_DIR / "processed"
PAPER_DIR = REPO_ROOT / "paper"
TABLES_DIR = PAPER_DIR / "tables"
FIGURES_DIR = PAPER_DIR / "figures"
