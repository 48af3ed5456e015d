"""A send the broker never acknowledges (e.g. to a partition it does not know) fails the batch
within the deadline instead of holding it for ever."""

from __future__ import annotations

import asyncio

import pytest

from agents import incidents
from agents.incidents import SendTimeout, within_deadline


def test_a_send_that_never_ends_fails_within_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(incidents, "SEND_DEADLINE_S", 0.05)

    async def never() -> None:
        await asyncio.Event().wait()

    with pytest.raises(SendTimeout, match="incident signals: the broker did not acknowledge"):
        asyncio.run(within_deadline(never(), "incident signals"))


def test_a_send_that_ends_in_time_passes() -> None:
    async def soon() -> None:
        await asyncio.sleep(0)

    asyncio.run(within_deadline(soon(), "alert events"))
