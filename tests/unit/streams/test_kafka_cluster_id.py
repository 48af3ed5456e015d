"""The local broker's cluster id never starts with "-" (the storage tool reads it as an option)."""

from __future__ import annotations

import uuid

import pytest

from local_stack.kafka import server


def test_a_leading_dash_is_drawn_again(monkeypatch: pytest.MonkeyPatch) -> None:
    draws = iter([uuid.UUID(bytes=b"\xf8" + b"\x00" * 15), uuid.UUID(bytes=b"\x01" * 16)])
    monkeypatch.setattr(server.uuid, "uuid4", lambda: next(draws))
    cluster_id = server._kafka_cluster_id()
    assert not cluster_id.startswith("-") and len(cluster_id) == 22


def test_many_ids_never_start_with_a_dash() -> None:
    assert not any(server._kafka_cluster_id().startswith("-") for _ in range(5000))
