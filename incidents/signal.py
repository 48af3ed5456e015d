"""Which attentions the detector counts, and under which key: a provider and a place."""

from __future__ import annotations

from functools import cache
from typing import NamedTuple

from schemas.catalogs import get_catalogs


class IncidentKey(NamedTuple):
    """Where an incident is looked for: the utility (or, outside the utilities, the provider
    scope) and the district; where no district is known, the office (ODS) that attended."""

    provider: str
    place: str  # an INEI ubigeo, or "ods:<office>"

    def text(self) -> str:
        return f"{self.provider}|{self.place}"

    @classmethod
    def parse(cls, text: str) -> IncidentKey:
        provider, place = text.split("|", 1)
        return cls(provider, place)


def incident_key(provider: str, provider_scope: str, district: str, office: str) -> IncidentKey:
    return IncidentKey(provider or provider_scope, district or f"ods:{office}")


@cache
def failure_kinds() -> dict[str, str]:
    """Case subtype -> the kind of service failure it signals (catalog column service_failure)."""
    return {
        code: subtype.service_failure
        for code, subtype in get_catalogs().case_subtypes.items()
        if subtype.service_failure
    }


def is_signal(case_subtype: str) -> bool:
    return case_subtype in failure_kinds()
