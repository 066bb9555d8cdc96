"""Importers: county project lists and cadre announcement lists into villageaid's tables."""

from villageaid.io.importers.projects import import_projects
from villageaid.io.importers.roster import import_roster

__all__ = ["import_projects", "import_roster"]
