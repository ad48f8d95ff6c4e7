"""The one error the metric layer raises: a Chinese message that says what to change."""


class MetricError(ValueError):
    """A request the metric layer cannot answer (unknown KPI, dimension, month, setting or target)."""
