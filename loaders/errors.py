"""The one error a load raises for a file it refuses; the CLI prints it and exits 2, the page shows it."""
from __future__ import annotations

from texts import DEFAULT, text
from texts.errors import DomainError


class LoadError(DomainError):
    """A file-level problem: nothing of the file was loaded.  The message names the file and says
    what to change (catalog code ``load.*``; technical words kept)."""

    def __init__(self, code: str, /, *, file: str | None = None, **params):
        self.file = file
        super().__init__(code, **params)

    def render(self, lang: str | None = DEFAULT) -> str:
        message = text(self.code, lang, **self.params)
        return f"{self.file}: {message}" if self.file else message

    def with_file(self, name: str) -> "LoadError":
        """This error naming ``name`` (unless it already names a file)."""
        return self if self.file else LoadError(self.code, file=name, **self.params)
