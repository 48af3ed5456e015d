"""The attention event, contract version 1: one attention given to a citizen by one channel."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from schemas.catalogs import get_catalogs
from schemas.classification import Classification
from schemas.reasons import Reason
from schemas.timestamps import TimestampError, lima_day, parse_rfc3339

SCHEMA_VERSION = 1
ATTENTION_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,64}$"
DISTRICT_PATTERN = r"^[0-9]{6}$"
CITIZEN_REF_PATTERN = r"^[0-9a-f]{64}$"
SOURCE_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,63}$"
RFC3339_WITH_OFFSET = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})$"
)
DEMO_SOURCE = "demo-history"  # `source` of the synthetic demo history's events
# provider_scopes.csv: "eps" (a utility serves the place) and the scopes outside the utilities
PROVIDER_SCOPES = tuple(get_catalogs().provider_scopes)
EARLIEST_OCCURRED_AT = datetime(2015, 1, 1, tzinfo=timezone(timedelta(hours=-5)))
FUTURE_TOLERANCE = timedelta(hours=24)  # channel systems' clocks may run ahead, not by a day
# Every number of a contract fits the ClickHouse column it is stored in; a test derives both
# sides from the models' JSON Schema and system.columns (tests/integration/test_numeric_bounds.py).
UINT32_MAX = 2**32 - 1
INT64_MAX = 2**63 - 1


def _fail(reason: Reason, message: str) -> PydanticCustomError:
    return PydanticCustomError(reason.value, message)


def event_instant(value: Any, info: ValidationInfo, field: str) -> datetime:
    """An event's RFC 3339 time with offset, not before 2015 nor over 24 h ahead of now."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise _fail(Reason.NAIVE_TIMESTAMP, f"{field} has no UTC offset")
        instant = value
    elif isinstance(value, str):
        try:
            instant = parse_rfc3339(value)
        except TimestampError as exc:
            reason = {
                "naive": Reason.NAIVE_TIMESTAMP,
                "impossible": Reason.IMPOSSIBLE_TIMESTAMP,
            }.get(exc.kind, Reason.INVALID_TIMESTAMP)
            raise _fail(reason, str(exc)) from None
    else:
        raise _fail(Reason.WRONG_TYPE, f"{field} must be an RFC 3339 string")
    if instant < EARLIEST_OCCURRED_AT:
        raise _fail(Reason.TIMESTAMP_TOO_OLD, f"{field} {value} is before 2015")
    now = (info.context or {}).get("now") or datetime.now(tz=UTC)
    if instant > now + FUTURE_TOLERANCE:
        raise _fail(Reason.TIMESTAMP_IN_FUTURE, f"{field} {value} is in the future")
    return instant


class Attention(BaseModel):
    """One attention. The Kafka message key is `attention_id` (UTF-8)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, title="Attention")

    schema_version: Literal[1] = Field(default=1, description="Contract version; only 1 exists.")
    attention_id: Annotated[str, Field(pattern=ATTENTION_ID_PATTERN)] = Field(
        description="Unique id of the attention, 1-64 chars of [A-Za-z0-9._:-]; the message key."
    )
    revision: Annotated[int, Field(ge=0, le=UINT32_MAX)] = Field(
        default=0,
        description="A higher revision replaces the earlier one; the same one again is a "
        "duplicate; a lower one is stale and ignored.",
    )
    voided: bool = Field(
        default=False, description="With a revision > 0: removes the attention from all counts."
    )
    occurred_at: datetime = Field(
        description="RFC 3339 timestamp with offset; its America/Lima day is the day it counts for."
    )
    office: str = Field(description="Sunass office (ODS) code, catalog offices.csv.")
    channel: str = Field(description="Channel code, catalog channels.csv.")
    case_type: str = Field(description="Case type code, catalog case_types.csv.")
    case_subtype: str | None = Field(
        default=None,
        description="Case subtype code (case_subtypes.csv), required for comercial and "
        "operacional; `otros_comercial` / `otros_operacional` are valid.",
    )
    provider_scope: str = Field(
        description="eps (a utility), rural, pequena_ciudad (small city) or otro_urbano."
    )
    provider: str | None = Field(
        default=None, description="EPS code (providers.csv); required when provider_scope is eps."
    )
    provider_region: str | None = Field(
        default=None,
        description="Region code (regions.csv) of the EPS's service area; defaults to the EPS's "
        "first region. Needed for an EPS serving several regions (selva_central: junin, pasco).",
    )
    district: Annotated[str, Field(pattern=DISTRICT_PATTERN)] | None = Field(
        default=None, description="INEI ubigeo of the citizen's district, 6 digits."
    )
    citizen_ref: Annotated[str, Field(pattern=CITIZEN_REF_PATTERN)] | None = Field(
        default=None,
        description="Keyed hash (HMAC-SHA256, hex) of the citizen's document, made by the "
        "producer library; never the document itself.",
    )
    source: Annotated[str, Field(pattern=SOURCE_PATTERN)] | None = Field(
        default=None, description="Channel system that published the event (lower-case id)."
    )

    @field_validator("occurred_at", mode="before")
    @classmethod
    def _parse_occurred_at(cls, value: Any, info: ValidationInfo) -> Any:
        return event_instant(value, info, "occurred_at")

    @model_validator(mode="after")
    def _check_catalogs(self) -> Attention:
        catalogs = get_catalogs()
        if self.voided and self.revision == 0:
            raise _fail(Reason.VOID_WITHOUT_REVISION, "voided needs a revision > 0")
        if self.office not in catalogs.offices:
            raise _fail(Reason.UNKNOWN_OFFICE, f"unknown office {self.office!r}")
        if self.channel not in catalogs.channels:
            raise _fail(Reason.UNKNOWN_CHANNEL, f"unknown channel {self.channel!r}")
        case_type = catalogs.case_types.get(self.case_type)
        if case_type is None:
            raise _fail(Reason.UNKNOWN_CASE_TYPE, f"unknown case type {self.case_type!r}")
        if self.case_subtype is None:
            if case_type.requires_subtype:
                raise _fail(Reason.MISSING_CASE_SUBTYPE, f"{self.case_type} needs a case_subtype")
        else:
            subtype = catalogs.case_subtypes.get(self.case_subtype)
            if subtype is None:
                raise _fail(Reason.UNKNOWN_CASE_SUBTYPE, f"unknown subtype {self.case_subtype!r}")
            if subtype.case_type != self.case_type:
                raise _fail(
                    Reason.SUBTYPE_TYPE_MISMATCH,
                    f"subtype {self.case_subtype!r} belongs to {subtype.case_type}, "
                    f"not {self.case_type}",
                )
        self._check_provider()
        return self

    def _check_provider(self) -> None:
        catalogs = get_catalogs()
        if self.provider_scope not in PROVIDER_SCOPES:
            raise _fail(Reason.UNKNOWN_PROVIDER_SCOPE, f"unknown scope {self.provider_scope!r}")
        if self.provider_scope != "eps":
            if self.provider is not None or self.provider_region is not None:
                raise _fail(
                    Reason.UNEXPECTED_PROVIDER,
                    f"provider is only given for scope eps, not {self.provider_scope}",
                )
            return
        if self.provider is None:
            raise _fail(Reason.MISSING_PROVIDER, "provider_scope eps needs a provider")
        regions = catalogs.provider_regions.get(self.provider)
        if regions is None:
            raise _fail(Reason.UNKNOWN_PROVIDER, f"unknown provider {self.provider!r}")
        if self.provider_region is not None and self.provider_region not in regions:
            raise _fail(
                Reason.INVALID_PROVIDER_REGION,
                f"{self.provider} serves {', '.join(regions)}, not {self.provider_region!r}",
            )

    @property
    def day(self) -> date:
        """The Lima day this attention counts for."""
        return lima_day(self.occurred_at)

    @property
    def region_of_provider(self) -> str | None:
        """The provider's region as placed in the EPS table (explicit, else its home region)."""
        return placed_region(self.provider, self.provider_region)


def placed_region(provider: str | None, provider_region: str | None) -> str | None:
    """Where a provider's attention is placed in the EPS table: the region given, else the
    provider's home region; None outside the utilities."""
    if provider is None:
        return None
    return provider_region or get_catalogs().home_region(provider)


def classification_of_fields(fields: Mapping[str, Any]) -> Classification:
    """The classification an attention is counted under (schemas/classification.py; '' = not
    given), from its field values by name: a validated Attention's, or plain_fields'."""
    provider = fields["provider"]
    return (
        fields["office"],
        fields["channel"],
        fields["case_type"],
        fields["case_subtype"] or "",
        fields["provider_scope"],
        provider or "",
        placed_region(provider, fields["provider_region"]) or "",
        fields["district"] or "",
    )
