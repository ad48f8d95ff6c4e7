"""The warehouse layer's error (catalog codes ``warehouse.*``)."""
from texts.errors import DomainError


class WarehouseError(DomainError, RuntimeError):
    """The warehouse cannot be used as it is (a schema newer than this program), or a change to its
    viewers was refused."""
