"""Reading, validating and writing villageaid data."""

from villageaid.io.headers import HeaderMap, load_header_map
from villageaid.io.problems import DataError, Problem, ValidationReport
from villageaid.io.read import RawData, read_raw

__all__ = [
    "DataError",
    "HeaderMap",
    "Problem",
    "RawData",
    "ValidationReport",
    "load_header_map",
    "read_raw",
]
