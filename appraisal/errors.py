"""The appraisal layer's error (catalog codes ``appraisal.*``).  It is a ``MetricError`` too: the appraisal
is computed from the metric layer, and callers that catch the metric layer's refusals catch these."""
from metrics.errors import MetricError


class AppraisalError(MetricError):
    """A request the appraisal cannot carry out (unknown division or rule, a published month, bad inputs)."""
