"""villageaid: econometric research on China's village-based assistance system (驻村帮扶).

Validated ingestion of county records, a simulated default data set with known truth, the village × year
panel with the paper's A/B/C/D typology, and the tables of the companion paper.
"""

__version__ = "0.1.0"
