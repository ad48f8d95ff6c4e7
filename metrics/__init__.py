"""Metric layer: every KPI of shared/spec/kpis.md declared once, and the one query builder.

Not built yet: it is the next issue (metric layer).  No Streamlit here; functions take a
``warehouse.Warehouse`` and plain arguments and return plain values or DataFrames.
"""
