"""The one error a load raises for a file it refuses; the CLI prints it and exits 2, the page shows it."""


class LoadError(Exception):
    """A file-level problem: nothing of the file was loaded.  The message names the file and says
    what to change (in Chinese, with the technical words kept)."""

    def __init__(self, message: str, *, file: str | None = None):
        self.file = file
        super().__init__(f"{file}: {message}" if file else message)
