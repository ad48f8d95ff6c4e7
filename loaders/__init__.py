"""Loaders: export files (CSV in UTF-8 or GBK, Excel) → the warehouse.  No Streamlit here."""
from loaders.errors import LoadError
from loaders.mapping import Mapping, load_mapping
from loaders.pipeline import LoadReport, load_file
from loaders.schema import SCHEMAS

__all__ = ["LoadError", "LoadReport", "Mapping", "SCHEMAS", "load_file", "load_mapping"]
