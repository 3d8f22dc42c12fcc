"""Evidence as known at a moment: a time limit on the articles a check reads."""

from dataclasses import dataclass
from datetime import UTC, datetime
from datetime import time as day_time

from factdesk.index.errors import InvalidInput


def _moment(text: str, end_of_day: bool) -> datetime:
    """An ISO 8601 date or date-time as an aware datetime (UTC when no offset is given); a bare date is its first
    moment, or its last with `end_of_day` (an `as_of` date includes the whole day)."""
    text = text.strip()
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if len(text) <= 10 and end_of_day:
        value = datetime.combine(value.date(), day_time.max)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class TimeLimit:
    """Evidence as known at a moment: articles published on or before `as_of`; those without a date in or out."""

    as_of: datetime | None = None
    undated: bool = True

    @classmethod
    def parse(cls, as_of: str | None, undated: str = "include") -> "TimeLimit":
        """Raises InvalidInput with a message for a date that is not ISO 8601 or `undated` not include|exclude."""
        if undated not in ("include", "exclude"):
            raise InvalidInput(f"undated must be include or exclude, not {undated!r}")
        try:
            moment = _moment(as_of, end_of_day=True) if as_of else None
        except ValueError:
            raise InvalidInput(f"as_of {as_of!r} is not an ISO 8601 date or date-time") from None
        return cls(moment, undated == "include")

    @property
    def active(self) -> bool:
        return self.as_of is not None or not self.undated

    def allows(self, published_at: str | None) -> bool:
        if not published_at:
            return self.undated
        if self.as_of is None:
            return True
        try:
            return _moment(published_at, end_of_day=False) <= self.as_of
        except ValueError:  # not validated when it was stored (an old data directory): unknown date
            return self.undated


NO_LIMIT = TimeLimit()
