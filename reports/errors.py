"""The review packs' error (catalog codes ``report.*``); a ``MetricError`` too, as packs are built from it."""
from metrics.errors import MetricError


class ReportError(MetricError):
    """A pack request refused: unknown scope, section or status, an action without title, no CJK font."""
