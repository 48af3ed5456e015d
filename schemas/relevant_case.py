"""The relevant-case event, contract version 1: one update of a case of high relevance.

Topic `relevant-cases`, key = case_id. Each revision is one update: what happened (summary),
where, its source, the action Sunass took and the status. Free text is redacted of citizens'
personal data on validation (schemas/personal_data.py). A higher revision is a new update (the
history keeps every one); the same revision again is a duplicate; a lower one is stale.

`kind` says how an update relates to the case's earlier ones (`merge`, applied by the worker):
absent, the record is the whole case (every field given); "open", the whole case and a new
one (refused if the case exists); "update", only what changed, with the action — the rest is
kept from the case's last state (refused if the case is unknown). So a producer never needs to
read the case's state to update it.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from schemas.attention import INT64_MAX, UINT32_MAX, event_instant
from schemas.catalogs import get_catalogs
from schemas.decode import check_key, contract_error_from, parse_json_object
from schemas.personal_data import redact
from schemas.reasons import ContractError, Reason

CASE_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,64}$"
# Control characters (but tab and newline), zero-width and bidirectional-override characters:
# they hide or reorder text in the report and the boards.
UNSAFE_CHARACTERS = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]"
)
STATUSES = ("PENDIENTE", "FINALIZADO")
OPEN, UPDATE = "open", "update"
# What an open or a whole-case record must give; an "update" may leave them out.
CASE_FIELDS = ("office", "region", "province", "district", "summary", "source", "status")


def _text(max_length: int, min_length: int = 1) -> Any:
    return Field(min_length=min_length, max_length=max_length)


class RelevantCase(BaseModel):
    """One update of a relevant case."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, title="RelevantCase")

    schema_version: Literal[1] = 1
    case_id: Annotated[str, Field(pattern=CASE_ID_PATTERN)]
    revision: Annotated[int, Field(ge=0, le=INT64_MAX)] = 0  # epoch ms (streams/cases.py)
    kind: Literal["open", "update"] | None = Field(
        default=None,
        description='"open": a new case; "update": only what changed; absent: the whole case.',
    )
    reported_at: datetime = Field(description="When this update was made (RFC 3339 with offset).")
    office: str | None = Field(
        default=None, description="Sunass office (ODS) following the case (offices.csv)."
    )
    region: str | None = Field(default=None, description="Region code (regions.csv).")
    province: Annotated[str, _text(80)] | None = None
    district: Annotated[str, _text(80)] | None = None
    ubigeo: Annotated[str, Field(pattern=r"^[0-9]{6}$")] | None = None
    summary: Annotated[str, _text(2000, 10)] | None = Field(
        default=None, description="What happened."
    )
    source: Annotated[str, _text(120)] | None = Field(
        default=None, description='Where it was learnt, e.g. "Redes Sociales".'
    )
    action: Annotated[str, _text(4000, 10)] = Field(description="What Sunass did in this update.")
    status: str | None = Field(default=None, description="PENDIENTE or FINALIZADO.")
    affected_users: Annotated[int, Field(ge=0, le=UINT32_MAX)] | None = None
    provider: str | None = Field(default=None, description="EPS code (providers.csv), if any.")

    @field_validator("province", "district", "summary", "source", "action", mode="after")
    @classmethod
    def _redact_personal_data(cls, value: str) -> str:
        unsafe = UNSAFE_CHARACTERS.search(value)
        if unsafe:
            raise PydanticCustomError(
                Reason.INVALID_TEXT.value,
                f"character U+{ord(unsafe.group()):04X} (control, invisible or direction "
                "override) is not allowed in free text",
            )
        # Citizens' names, documents, phones and e-mails never leave validation (see
        # schemas/personal_data.py): what is published and stored is the redacted text.
        return redact(value).text

    @field_validator("reported_at", mode="before")
    @classmethod
    def _parse_reported_at(cls, value: Any, info: ValidationInfo) -> Any:
        return event_instant(value, info, "reported_at")

    @model_validator(mode="after")
    def _check(self) -> RelevantCase:
        catalogs = get_catalogs()
        if self.kind != UPDATE:
            missing = [name for name in CASE_FIELDS if getattr(self, name) is None]
            if missing:
                raise PydanticCustomError(
                    Reason.MISSING_FIELD.value,
                    f'{", ".join(missing)}: required unless kind is "update"',
                )
        if self.status is not None and self.status not in STATUSES:
            raise PydanticCustomError(
                Reason.INVALID_STATUS.value, f"status must be one of {STATUSES}"
            )
        if self.office is not None and self.office not in catalogs.offices:
            raise PydanticCustomError(
                Reason.UNKNOWN_OFFICE.value, f"unknown office {self.office!r}"
            )
        if self.region is not None and self.region not in catalogs.regions:
            raise PydanticCustomError(
                Reason.UNKNOWN_REGION.value, f"unknown region {self.region!r}"
            )
        if self.provider is not None and self.provider not in catalogs.provider_regions:
            raise PydanticCustomError(
                Reason.UNKNOWN_PROVIDER.value, f"unknown provider {self.provider!r}"
            )
        return self


_PATTERNS = {"case_id": Reason.INVALID_CASE_ID, "ubigeo": Reason.INVALID_DISTRICT}
_TEXT_FIELDS = {"province", "district", "summary", "source", "action"}


def validate_case(data: Any, now: datetime | None = None) -> RelevantCase:
    if not isinstance(data, dict):
        raise ContractError(
            Reason.NOT_AN_OBJECT, f"expected a JSON object, got {type(data).__name__}"
        )
    try:
        return RelevantCase.model_validate(data, context={"now": now} if now else None)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        if first["loc"] and first["loc"][0] in _TEXT_FIELDS and first["type"] in (
            "string_too_short", "string_too_long",
        ):  # fmt: skip
            return_error = ContractError(Reason.INVALID_TEXT, f"{first['loc'][0]}: {first['msg']}")
            raise return_error from None
        raise contract_error_from(exc, _PATTERNS) from None


def decode_case(
    key: bytes | None, value: bytes | None, now: datetime | None = None
) -> RelevantCase:
    """Validate one Kafka record of the `relevant-cases` topic against contract v1."""
    case = validate_case(parse_json_object(value), now=now)
    check_key(key, case.case_id, "case_id")
    return case


def merge(last: RelevantCase | None, update: RelevantCase) -> RelevantCase:
    """The case after `update` (a higher revision than `last`'s), as a whole-case record:
    an "update" keeps what it does not give from `last`. ContractError when the update does not
    fit the case's state: an "update" of an unknown case, an "open" of an existing one."""
    if update.kind == OPEN and last is not None:
        raise ContractError(Reason.CASE_EXISTS, f"case {update.case_id} is already open")
    if update.kind != UPDATE:
        return update.model_copy(update={"kind": None})
    if last is None:
        raise ContractError(
            Reason.UNKNOWN_CASE, f"case {update.case_id} was never opened: nothing to update"
        )
    given = update.model_dump(exclude_none=True, exclude={"kind", "schema_version"})
    return last.model_copy(update={**given, "kind": None})


def case_from_state(state: dict[str, Any]) -> RelevantCase:
    """A case as the worker keeps it (model_dump(mode="json") of a validated, merged record),
    without validating it again: the catalogs may have changed since."""
    return RelevantCase.model_construct(
        **{**state, "reported_at": datetime.fromisoformat(state["reported_at"])}
    )
