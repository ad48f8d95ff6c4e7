"""The warehouse: one connection factory and one schema, for DuckDB and PostgreSQL alike."""
from warehouse.db import Warehouse, open_warehouse, DEFAULT_DB
from warehouse.schema import ensure_schema, SCHEMA_VERSION, TABLES

__all__ = ["Warehouse", "open_warehouse", "DEFAULT_DB", "ensure_schema", "SCHEMA_VERSION", "TABLES"]
