"""The revision rules: what one valid record does to the attention's counted state."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, NamedTuple

from schemas.attention import Attention, classification_of_fields
from schemas.classification import Classification


class Outcome(StrEnum):
    NEW = "new"  # first time this attention is seen: count it
    DUPLICATE = "duplicate"  # same revision again: counted once already
    REPLACE = "replace"  # higher revision: move its count to the new classification
    VOID = "void"  # higher revision, voided: remove it from every count
    STALE = "stale"  # lower revision than the one counted: ignore


# What the worker remembers of an attention: its revision, whether it is voided, and where it
# is counted (schemas/classification.py). Kept small: there is one per attention ever seen.


class Counted(NamedTuple):
    """A tuple: built once per record on the hot path, where a frozen dataclass's __init__
    (one object.__setattr__ per field) costs four times as much."""

    revision: int
    voided: bool
    occurred_at_ms: int
    classification: Classification
    citizen_ref: str = ""
    source: str = ""

    def to_json(self) -> tuple[object, ...]:
        """A plain tuple (the JSON array [revision, voided, occurred_at_ms, [classification],
        citizen_ref, source]); orjson writes tuples natively, not a NamedTuple."""
        return tuple(self)

    @classmethod
    def from_json(cls, raw: list[object]) -> Counted:
        revision, voided, occurred_at_ms, classification, citizen_ref, source = raw
        return cls(
            int(revision),  # type: ignore[call-overload]
            bool(voided),
            int(occurred_at_ms),  # type: ignore[call-overload]
            shared(tuple(classification)),  # type: ignore[arg-type]
            str(citizen_ref),
            sys.intern(str(source)),
        )


_SHARED: dict[Classification, Classification] = {}


def shared(classification: Classification) -> Classification:
    """One tuple per distinct classification (there are far fewer than attentions): the states
    of a million attentions share a few thousand tuples instead of holding a million."""
    return _SHARED.setdefault(classification, classification)


def counted_of(attention: Attention) -> Counted:
    return counted_of_fields(attention.__dict__)


def counted_of_fields(fields: Mapping[str, Any]) -> Counted:
    """The state of a valid attention from its field values by name (a validated Attention's
    __dict__, or schemas.decode.decode_attention_fields')."""
    return Counted(
        fields["revision"],
        fields["voided"],
        round(fields["occurred_at"].timestamp() * 1000),
        shared(classification_of_fields(fields)),
        fields["citizen_ref"] or "",
        # a handful of channel systems: one string each, not one per attention (~60 B each)
        sys.intern(fields["source"] or ""),
    )


def decide(previous: Counted | None, incoming: Counted) -> Outcome:
    """Apply the contract's revision rules to one valid record."""
    if previous is None:
        # A first sighting that is already voided (its earlier revisions were never seen) is
        # remembered as voided and counted nowhere.
        return Outcome.VOID if incoming.voided else Outcome.NEW
    if incoming.revision == previous.revision:
        return Outcome.DUPLICATE
    if incoming.revision < previous.revision:
        return Outcome.STALE
    return Outcome.VOID if incoming.voided else Outcome.REPLACE
