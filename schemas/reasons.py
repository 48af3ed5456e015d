"""Machine-readable reasons why a record breaks the contract (the dead-letter topic's codes)."""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    """Each value is stable: integrators and the DLQ tooling match on it."""

    EMPTY_PAYLOAD = "empty_payload"
    OVERSIZED_PAYLOAD = "oversized_payload"
    INVALID_UTF8 = "invalid_utf8"
    INVALID_JSON = "invalid_json"
    NOT_AN_OBJECT = "not_an_object"
    MISSING_KEY = "missing_key"
    KEY_MISMATCH = "key_mismatch"
    MISSING_FIELD = "missing_field"
    UNKNOWN_FIELD = "unknown_field"
    WRONG_TYPE = "wrong_type"
    UNSUPPORTED_SCHEMA_VERSION = "unsupported_schema_version"
    INVALID_ATTENTION_ID = "invalid_attention_id"
    NEGATIVE_REVISION = "negative_revision"
    VOID_WITHOUT_REVISION = "void_without_revision"
    INVALID_TIMESTAMP = "invalid_timestamp"
    NAIVE_TIMESTAMP = "naive_timestamp"
    IMPOSSIBLE_TIMESTAMP = "impossible_timestamp"
    TIMESTAMP_TOO_OLD = "timestamp_too_old"
    TIMESTAMP_IN_FUTURE = "timestamp_in_future"
    UNKNOWN_OFFICE = "unknown_office"
    UNKNOWN_CHANNEL = "unknown_channel"
    UNKNOWN_CASE_TYPE = "unknown_case_type"
    MISSING_CASE_SUBTYPE = "missing_case_subtype"
    UNKNOWN_CASE_SUBTYPE = "unknown_case_subtype"
    SUBTYPE_TYPE_MISMATCH = "subtype_type_mismatch"
    UNKNOWN_PROVIDER_SCOPE = "unknown_provider_scope"
    MISSING_PROVIDER = "missing_provider"
    UNEXPECTED_PROVIDER = "unexpected_provider"
    UNKNOWN_PROVIDER = "unknown_provider"
    INVALID_PROVIDER_REGION = "invalid_provider_region"
    INVALID_DISTRICT = "invalid_district"
    INVALID_CITIZEN_REF = "invalid_citizen_ref"
    INVALID_SOURCE = "invalid_source"
    OUT_OF_RANGE = "out_of_range"  # a number larger than its ClickHouse column holds
    # relevant cases only
    INVALID_CASE_ID = "invalid_case_id"
    INVALID_STATUS = "invalid_status"
    INVALID_TEXT = "invalid_text"
    UNKNOWN_REGION = "unknown_region"
    # relevant cases, set by the worker against the case's state (schemas/relevant_case.merge)
    UNKNOWN_CASE = "unknown_case"  # an "update" of a case never opened
    CASE_EXISTS = "case_exists"  # an "open" of a case already open
    # set by the worker, not by the contract: ClickHouse refused the record alone, twice
    SINK_REJECTED = "sink_rejected"
    # set by the worker: occurred_at older than the state horizon of the record's partition
    BEYOND_HORIZON = "beyond_horizon"


CASE_ONLY_REASONS = frozenset(
    {
        Reason.INVALID_CASE_ID, Reason.INVALID_STATUS, Reason.INVALID_TEXT, Reason.UNKNOWN_REGION,
        Reason.UNKNOWN_CASE, Reason.CASE_EXISTS,
    }
)  # fmt: skip
WORKER_REASONS = frozenset({Reason.SINK_REJECTED, Reason.BEYOND_HORIZON})
# Every reason the contract can reject an attention record with.
ATTENTION_REASONS = frozenset(Reason) - CASE_ONLY_REASONS - WORKER_REASONS


class ContractError(ValueError):
    """A record that breaks the contract: the first reason found, and a message for people."""

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(f"{reason.value}: {message}")
        self.reason = reason
        self.message = message
