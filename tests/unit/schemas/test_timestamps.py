"""RFC 3339 parsing: the plain shape (fromisoformat directly) and the general path agree."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas.timestamps import TimestampError, parse_rfc3339

# hypothesis draws naive wall-clock times between naive bounds; the offset is drawn apart
WALL_FROM, WALL_TO = datetime(2000, 1, 1), datetime(2099, 12, 31)  # noqa: DTZ001


@given(
    instant=st.datetimes(min_value=WALL_FROM, max_value=WALL_TO),
    offset_minutes=st.integers(-23 * 60 - 59, 23 * 60 + 59),
    separator=st.sampled_from(["T", "t", " "]),
    zulu=st.sampled_from(["Z", "z", None]),
    digits=st.integers(0, 9),
)
def test_every_shape_gives_the_instant_it_writes(
    instant: datetime, offset_minutes: int, separator: str, zulu: str | None, digits: int
) -> None:
    offset = timedelta(minutes=offset_minutes)
    hours, minutes = divmod(abs(offset_minutes), 60)
    suffix = zulu or f"{'-' if offset_minutes < 0 else '+'}{hours:02d}:{minutes:02d}"
    fraction = f"{instant.microsecond:06d}000"[:digits]
    text = f"{instant:%Y-%m-%d}{separator}{instant:%H:%M:%S}"
    text += f".{fraction}" if digits else ""
    text += suffix
    parsed = parse_rfc3339(text)
    wall = instant.replace(microsecond=int(fraction.ljust(6, "0")[:6]) if digits else 0)
    expected = wall.replace(tzinfo=UTC if zulu else timezone(offset))
    assert parsed == expected and parsed.utcoffset() == expected.utcoffset(), text


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("2024-02-30T10:00:00Z", "impossible"),
        ("2024-11-08T24:00:00Z", "impossible"),
        ("2024-11-08T10:00:00+25:00", "impossible"),
        ("2024-11-08T10:00:00", "naive"),
        ("2024-11-08", "invalid"),
        ("2024-11-08T10:00:00+0500", "invalid"),
        ("2024-11-08T10:00:00Z\n", "invalid"),
    ],
)
def test_refusals_name_their_kind(text: str, kind: str) -> None:
    with pytest.raises(TimestampError) as refused:
        parse_rfc3339(text)
    assert refused.value.kind == kind
