"""A realistic mix of attentions, weighted by the seed report's figures (2024 year to date)."""

from __future__ import annotations

import random
import uuid
from datetime import datetime
from typing import Any

from schemas.catalogs import Catalogs, get_catalogs
from schemas.timestamps import format_rfc3339

# Year-to-date 2024 attentions by office (seed, office x channel table, last column).
OFFICE_WEIGHTS = {
    "amazonas": 2209, "ancash_chimbote": 3132, "ancash_huaraz": 1535, "apurimac": 1479,
    "arequipa": 5718, "ayacucho": 1962, "cajamarca": 1483, "cusco": 2397, "huancavelica": 1446,
    "huanuco": 2107, "ica": 1677, "junin": 3633, "la_libertad": 3372, "lambayeque": 4739,
    "lima_callao": 53182, "lima_provincias": 4718, "loreto": 1520, "madre_de_dios": 1778,
    "moquegua": 1660, "pasco": 1554, "piura": 12531, "puno": 1701, "san_martin": 2202,
    "tacna": 2445, "tumbes": 1970, "ucayali": 1507,
}  # fmt: skip
# 2023 results by channel (seed, "Resultados 2023").
CHANNEL_WEIGHTS = {
    "presencial": 31330, "telefonico": 77041, "redes_sociales": 238, "correo": 819,
    "mesa_partes": 621, "campana_orientacion": 2922, "campana_prestador": 6866, "whatsapp": 3656,
}  # fmt: skip
# 2024 year to date: operacional 37,035, comercial 63,096; the rest split as in 2023.
CASE_TYPE_WEIGHTS = {
    "comercial": 63096, "operacional": 37035,
    "informacion_general": 16123, "expediente_trass": 7403,
}  # fmt: skip
# Subtype weights of the seed's day (08/11/2024); unlisted subtypes share the operational "Otros".
SUBTYPE_WEIGHTS = {
    "falta_agua_zona": 40, "problemas_alcantarillado": 16, "falta_agua_conexion": 13,
    "aniego_tuberia_agua": 4, "aniego_tuberia_desague": 3, "baja_presion": 8, "calidad_agua": 5,
    "atoro_conexion_desague": 6, "fuga_via_publica": 5, "buzon_sin_tapa": 2,
    "horario_abastecimiento": 3, "otros_operacional": 3,
    "consumo_elevado": 72, "procedimiento_reclamos": 60, "facturacion_excesiva": 36,
    "problemas_facturacion": 20, "desacuerdo_resolucion_trass": 18, "facturacion_indebida": 14,
    "acceso_servicio": 14, "demora_reposicion": 13, "pedido_medidor": 12, "queja_sap": 6,
    "informacion_tarifas": 6, "informacion_vma": 1, "incumplimiento_resolucion_trass": 1,
}  # fmt: skip
# Outside-EPS 2024 year to date: rural 2,613, small cities 597, other urban 270 of 123,657.
SCOPE_WEIGHTS = {"eps": 120177, "rural": 2613, "pequena_ciudad": 597, "otro_urbano": 270}
# Attentions by hour of the day in Lima: office hours, with a trickle from remote channels.
HOUR_WEIGHTS = [0, 0, 0, 0, 0, 0, 1, 3, 10, 12, 12, 12, 9, 8, 10, 10, 9, 6, 2, 1, 1, 0, 0, 0]
# Attentions by day of the week, Monday first: offices close on Saturday afternoon and Sunday.
WEEKDAY_WEIGHTS = (1.0, 1.0, 1.0, 1.0, 0.95, 0.25, 0.05)


class TrafficMix:
    """Draws valid attention events (dicts of the contract) with the seed's proportions."""

    def __init__(self, rng: random.Random, catalogs: Catalogs | None = None) -> None:
        self.rng = rng
        self.catalogs = catalogs or get_catalogs()
        self._providers_by_region: dict[str, list[tuple[str, str]]] = {}
        for area in self.catalogs.provider_areas:
            self._providers_by_region.setdefault(area.region, []).append((area.code, area.region))
        self._sedapal_districts = [d.code for d in self.catalogs.sedapal_districts()]
        self._other_districts = [
            d.code for d in self.catalogs.districts.values() if d.order is None
        ]

    def _pick(self, weights: dict[str, int]) -> str:
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    def event(self, occurred_at: datetime, attention_id: str | None = None) -> dict[str, Any]:
        office_code = self._pick(OFFICE_WEIGHTS)
        case_type = self._pick(CASE_TYPE_WEIGHTS)
        event: dict[str, Any] = {
            "attention_id": attention_id or f"sim-{uuid.UUID(int=self.rng.getrandbits(128)).hex}",
            "occurred_at": format_rfc3339(occurred_at),
            "office": office_code,
            "channel": self._pick(CHANNEL_WEIGHTS),
            "case_type": case_type,
            "provider_scope": self._pick(SCOPE_WEIGHTS),
            "source": "simulator",
        }
        if self.catalogs.case_types[case_type].requires_subtype:
            subtypes = {
                s.code: SUBTYPE_WEIGHTS.get(s.code, 1) for s in self.catalogs.subtypes_of(case_type)
            }
            event["case_subtype"] = self._pick(subtypes)
        if event["provider_scope"] == "eps":
            region = self.catalogs.offices[office_code].region
            candidates = self._providers_by_region.get(region) or [("sedapal", "lima")]
            provider, provider_region = self.rng.choice(candidates)
            event["provider"] = provider
            if len(self.catalogs.provider_regions[provider]) > 1:
                event["provider_region"] = provider_region
            if provider == "sedapal":
                event["district"] = (
                    self.rng.choice(self._sedapal_districts)
                    if self.rng.random() < 0.86
                    else self.rng.choice(self._other_districts)
                )
        return event
