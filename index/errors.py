"""The failures a caller can act on, one small hierarchy for the pipeline, the HTTP API and the command line.

Each message is one line for the user. None is a `ValueError`: a `ValueError` (or any other exception) raised
inside the pipeline is a bug, which the API answers 500 and the command line shows with its traceback. The API
maps each type here to one status (service/api/errors.py).
"""


class FactdeskError(Exception):
    """A failure the caller can act on; the message says what to change."""


class InvalidInput(FactdeskError):
    """Well-formed but unusable input: an article without text, a date that does not exist, a bad setting."""


class Unreadable(FactdeskError):
    """Input that cannot be read at all: not UTF-8, not JSON."""


class NotFound(FactdeskError):
    """No such article or watch."""


class Conflict(FactdeskError):
    """The request contradicts the data directory's state, e.g. vectors made by another encoder."""


class Refused(FactdeskError):
    """Switched off on this server or command, e.g. fetching pages with `--fetch off`."""


class Busy(FactdeskError):
    """Every slot for this kind of work is in use; try again after `retry_after` seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
