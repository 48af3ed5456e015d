"""RFC 3339 timestamps with offset, and the Lima day they count for."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache

LIMA = timezone(timedelta(hours=-5), "America/Lima")  # Peru: UTC-5 all year, no DST since 1994

_RFC3339 = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})[Tt ](?P<time>\d{2}:\d{2}:\d{2})(?P<frac>\.\d{1,9})?"
    r"(?P<offset>[Zz]|[+-]\d{2}:\d{2})?"
)


# The common shape (a 'T', at most microseconds, an offset), which datetime.fromisoformat reads
# as RFC 3339 means it; anything else takes the general path below.
_PLAIN_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:\d{2})"
).fullmatch


class TimestampError(ValueError):
    """kind is one of: invalid (not RFC 3339), naive (no offset), impossible (no such instant)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def parse_rfc3339(text: str) -> datetime:
    """Parse an RFC 3339 timestamp; it must carry an offset (Z or ±hh:mm)."""
    if _PLAIN_RFC3339(text):
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            pass  # e.g. February 30th: the general path names the error
    match = _RFC3339.fullmatch(text)
    if match is None:
        raise TimestampError("invalid", f"{text[:40]!r} is not an RFC 3339 timestamp")
    if match["offset"] is None:
        raise TimestampError("naive", f"{text[:40]!r} has no UTC offset (Z or ±hh:mm)")
    frac = (match["frac"] or "")[:7]  # Python keeps microseconds: drop digits past the sixth
    offset = "+00:00" if match["offset"] in ("Z", "z") else match["offset"]
    try:
        parsed = datetime.fromisoformat(f"{match['date']}T{match['time']}{frac}{offset}")
    except ValueError as exc:
        raise TimestampError("impossible", f"{text[:40]!r}: {exc}") from exc
    return parsed


def lima_day(instant: datetime) -> date:
    """The calendar day in America/Lima of an aware instant."""
    if instant.tzinfo is None:
        raise ValueError("naive datetime: every timestamp must be timezone-aware")
    return instant.astimezone(LIMA).date()


_LIMA_OFFSET_S = -5 * 3600
_EPOCH = date(1970, 1, 1)


def lima_day_of_epoch(seconds: float) -> date:
    """The Lima day of a Unix time (e.g. a Kafka record timestamp): lima_day without building a
    datetime, for the worker's per-record path."""
    return _day_number(int((seconds + _LIMA_OFFSET_S) // 86_400))


def lima_day_number(epoch_ms: int) -> int:
    """The Lima day of a Unix time in milliseconds, as days since 1970-01-01 (ClickHouse's Date
    takes it as is)."""
    return (epoch_ms + _LIMA_OFFSET_S * 1000) // 86_400_000


@lru_cache(maxsize=4096)
def _day_number(days: int) -> date:
    return _EPOCH + timedelta(days=days)


def lima_today() -> date:
    """Today in America/Lima."""
    return datetime.now(tz=LIMA).date()


def format_rfc3339(instant: datetime) -> str:
    """RFC 3339 text with the instant's own offset (microsecond precision when needed)."""
    if instant.tzinfo is None:
        raise ValueError("naive datetime: every timestamp must be timezone-aware")
    return instant.isoformat()
