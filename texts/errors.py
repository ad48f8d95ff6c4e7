"""The one error shape every layer raises for a request it refuses: a catalog code and its
parameters, rendered in the reader's language (``str()`` is Chinese, as the CLIs print by default).

One subclass per layer — ``warehouse.errors.WarehouseError``, ``loaders.errors.LoadError``,
``metrics.errors.MetricError``, ``appraisal.errors.AppraisalError``, ``reports.errors.ReportError`` —
so a caller catches the layer it talks to, and the pages catch ``DomainError``."""
from __future__ import annotations

from texts import DEFAULT, Message, text


class DomainError(Exception):
    """``code`` is a catalog id; ``params`` fill its placeholders (messages and lists of messages too)."""

    def __init__(self, code: str, /, **params):
        self.code, self.params = code, params
        super().__init__(self.render(DEFAULT))

    @property
    def message(self) -> Message:
        return Message(self.code, **self.params)

    def render(self, lang: str | None = DEFAULT) -> str:
        return text(self.code, lang, **self.params)
