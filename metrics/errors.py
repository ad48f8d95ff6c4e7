"""The one error the metric layer raises: a catalog code (``metric.*``) and its parameters, said in the
reader's language with what to change."""
from texts.errors import DomainError


class MetricError(DomainError, ValueError):
    """A request the metric layer cannot answer (unknown KPI, dimension, month, setting or target)."""
