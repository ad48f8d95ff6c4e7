"""Metric layer: every KPI of shared/spec/kpis.md declared once, and the one query builder.

No Streamlit here: functions take a ``warehouse.Warehouse`` and plain arguments and return plain
values or DataFrames, so the pages, the CLI, the reports and the tests share them.

    compute(wh, ["answer_rate"], months=["2026-10"], dims=["team"], scope=Scope.all())
"""
from metrics.errors import MetricError
from metrics.query import compute
from metrics.registry import BY_KEY, KEYS, METRICS, Direction, Metric, Unit, metric, validate
from metrics.scope import NO_FILTERS, Filters, Scope
from metrics.settings import DEFAULTS, Settings, load_settings, save_settings

__all__ = ["MetricError", "compute", "BY_KEY", "KEYS", "METRICS", "Direction", "Metric", "Unit", "metric",
           "validate", "NO_FILTERS", "Filters", "Scope", "DEFAULTS", "Settings", "load_settings", "save_settings"]
