"""Every error Brinkwatch raises derives from :class:`BrinkwatchError`."""

from __future__ import annotations

__all__ = [
    "BrinkwatchError",
    "BrokerError",
    "ConfigError",
    "DataError",
    "InvalidArticle",
]


class BrinkwatchError(Exception):
    """Base class of every Brinkwatch error."""


class ConfigError(BrinkwatchError):
    """A setting (environment variable) has a value that cannot be used."""

    def __init__(self, name: str, value: str, reason: str) -> None:
        """Name the variable, its value and why it was refused."""
        super().__init__(f"{name}={value!r}: {reason}")
        self.name = name
        self.value = value
        self.reason = reason


class DataError(BrinkwatchError):
    """An input file (articles, gazetteer, evaluation corpus) has a bad record."""

    def __init__(self, path: str, line: int | None, reason: str) -> None:
        """Say which file and line (1-based; None for the whole file) and why."""
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {reason}")
        self.path = path
        self.line = line
        self.reason = reason


class InvalidArticle(BrinkwatchError):
    """A message that cannot be processed as an article; it goes to the dead-letter topic.

    ``code`` is a short, bounded reason (``not_utf8``, ``not_json``, ``empty``,
    ``too_large``, ``schema``) usable as a metric label; ``field`` names the
    offending field when one is to blame.
    """

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        """Record the reason code, a readable message and the field at fault."""
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.field = field

    def __reduce__(self) -> tuple[type[InvalidArticle], tuple[str, str, str | None]]:
        """Pickle by the constructor's arguments (it crosses to and from tagging processes)."""
        return (InvalidArticle, (self.code, self.message, self.field))


class BrokerError(BrinkwatchError):
    """The Kafka broker could not be started, reached or used."""
