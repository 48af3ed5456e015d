"""An incident injected into simulated live traffic (`atenciones simulate --incident`): extra
service-failure attentions from one district of one provider, arriving as a Poisson process at a
given rate for a given time — what the live detector (incidents/) should turn into an alert."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from schemas.catalogs import Catalogs, get_catalogs
from schemas.timestamps import format_rfc3339

# What citizens report in an outage: mostly no water, some pressure, a few sewage calls.
INCIDENT_SUBTYPES = {
    "falta_agua_zona": 6, "falta_agua_conexion": 2, "baja_presion": 2,
    "problemas_alcantarillado": 1,
}  # fmt: skip
INCIDENT_CHANNELS = {"telefonico": 6, "whatsapp": 2, "presencial": 1, "redes_sociales": 1}


class IncidentSpecError(ValueError):
    """A --incident value that names no provider, district or rate (one line)."""


@dataclass(frozen=True)
class IncidentSpec:
    """What the user asked for: `provider,district,multiplier,minutes`."""

    provider: str  # an EPS code, or a provider scope outside the EPS (rural, ...)
    district: str  # INEI ubigeo
    multiplier: float  # times the key's baseline rate
    minutes: float

    @classmethod
    def parse(cls, text: str, catalogs: Catalogs | None = None) -> IncidentSpec:
        catalogs = catalogs or get_catalogs()
        parts = [part.strip() for part in text.split(",")]
        if len(parts) != 4:
            raise IncidentSpecError(
                f"{text!r} is not provider,district,multiplier,minutes (e.g. eps_grau,200701,5,30)"
            )
        provider, district, multiplier, minutes = parts
        providers = {a.code for a in catalogs.provider_areas} | set(catalogs.provider_scopes)
        if provider not in providers - {"eps"}:
            raise IncidentSpecError(f"{provider!r} is not an EPS code or a provider scope")
        if not (len(district) == 6 and district.isdigit()):
            raise IncidentSpecError(f"{district!r} is not a 6-digit INEI ubigeo")
        if catalogs.region_of_ubigeo(district) is None:
            raise IncidentSpecError(f"ubigeo {district} is in no region of regions.csv")
        return cls(provider, district, _positive(multiplier), _positive(minutes))


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise IncidentSpecError(f"{text!r} is not a number") from None
    if not 0 < value < float("inf"):
        raise IncidentSpecError(f"{text!r} must be a number greater than 0")
    return value


@dataclass(frozen=True)
class IncidentPlan:
    """The spec with its rate: multiplier x the key's baseline at this hour (from ClickHouse)."""

    spec: IncidentSpec
    baseline_per_hour: float

    @property
    def per_hour(self) -> float:
        return self.spec.multiplier * self.baseline_per_hour


class IncidentInjector:
    """The incident's attentions, stamped when due (call due(now) from the traffic loop)."""

    def __init__(
        self,
        plan: IncidentPlan,
        start: datetime,
        rng: random.Random,
        catalogs: Catalogs | None = None,
    ) -> None:
        self.plan = plan
        self.end = start + timedelta(minutes=plan.spec.minutes)
        self.rng = rng
        self.catalogs = catalogs or get_catalogs()
        self.next_at = self._after(start)
        self.sent = 0

    def _after(self, moment: datetime) -> datetime:
        return moment + timedelta(hours=self.rng.expovariate(self.plan.per_hour))

    def due(self, now: datetime) -> list[dict[str, Any]]:
        """The attentions whose time has come by `now` (none after the incident ends)."""
        events = []
        while self.next_at <= now and self.next_at < self.end:
            events.append(self.event(self.next_at))
            self.next_at = self._after(self.next_at)
        return events

    @property
    def finished(self) -> bool:
        return self.next_at >= self.end

    def event(self, occurred_at: datetime) -> dict[str, Any]:
        spec, catalogs = self.plan.spec, self.catalogs
        self.sent += 1
        region = catalogs.region_of_ubigeo(spec.district)
        offices = [o.code for o in catalogs.offices.values() if region and o.region == region.code]
        event: dict[str, Any] = {
            "attention_id": f"incident-{spec.provider}-{spec.district}-"
            f"{occurred_at.strftime('%Y%m%d%H%M%S%f')}-{self.sent}",
            "occurred_at": format_rfc3339(occurred_at),
            "office": self.rng.choice(offices or ["lima_callao"]),
            "channel": _pick(self.rng, INCIDENT_CHANNELS),
            "case_type": "operacional",
            "case_subtype": _pick(self.rng, INCIDENT_SUBTYPES),
            "district": spec.district,
            "source": "simulator",
        }
        if spec.provider in catalogs.provider_scopes:
            event["provider_scope"] = spec.provider
        else:
            event.update(provider_scope="eps", provider=spec.provider)
            regions = catalogs.provider_regions[spec.provider]
            if len(regions) > 1:
                event["provider_region"] = (
                    region.code if region and region.code in regions else regions[0]
                )
        return event


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]
