"""The village × year analysis panel: endowment index, typology and the panel builder."""

from villageaid.panel.endowment import endowment_index, rich_flag
from villageaid.panel.typology import village_type
from villageaid.panel.village_year import PanelOptions, build_panel

__all__ = ["PanelOptions", "build_panel", "endowment_index", "rich_flag", "village_type"]
