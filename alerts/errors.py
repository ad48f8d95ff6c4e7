"""The alerts' error (catalog codes ``alerts.*``)."""
from reports.errors import ReportError


class AlertError(ReportError):
    """An alert request refused: unknown kind, rule or status, a rule without its KPI."""
