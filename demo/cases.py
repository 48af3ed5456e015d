"""The seed's four relevant cases as case updates (SYNTHETIC DEMO DATA), taken from the seed.

The seed repeats the Nasca description for the Loreto case (a copy-paste error); the demo gives
Loreto its own plausible description, written from its action text.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

from schemas.timestamps import LIMA, format_rfc3339

_CELL = re.compile(
    r"<p><b>([^<]+)</b></p> <p>(.*?)</p> <p><b>\(([^)]+)\)</b></p>\t(.*?)\t<p><b>(\w+)</b></p>"
)
LORETO_SUMMARY = (
    "Vecinos del distrito de Belén reportaron un aniego de aguas servidas en la zona baja, que "
    "afectó a unos 200 usuarios. Pidieron la intervención inmediata de la EPS SEDALORETO."
)
# case id, office, region code, provider, affected users, hour of the day's update, opened on
SEED_CASES = {
    "Piura / Talara / Pariñas": (
        "ODS-PIU-2024-0411", "piura", "piura", "eps_grau", None, 8, "2024-11-08T07:30:00",
    ),
    "Piura / Piura / Piura": (
        "ODS-PIU-2024-0388", "piura", "piura", "eps_grau", None, 9, "2024-10-28T10:00:00",
    ),
    "Ica / Nasca / Nasca": (
        "ODS-ICA-2024-0102", "ica", "ica", "emapavigs", 40, 10, "2024-11-07T17:00:00",
    ),
    "Loreto / Maynas / Belén": (
        "ODS-LOR-2024-0077", "loreto", "loreto", "sedaloreto", 200, 11, "2024-11-07T18:30:00",
    ),
}  # fmt: skip


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html.replace("</p> <p>", "\n")).strip()


def seed_case_events(seed_report: Path) -> list[dict[str, Any]]:
    """Two updates per case: the opening (PENDIENTE) and the seed's update of 08/11/2024."""
    events = []
    for where, seed_summary, source, action, status in _CELL.findall(
        seed_report.read_text("utf-8")
    ):
        case_id, office, region, provider, users, hour, opened = SEED_CASES[where]
        _, province, district = (part.strip() for part in where.split("/"))
        summary = LORETO_SUMMARY if where.startswith("Loreto") else seed_summary
        base: dict[str, Any] = {
            "case_id": case_id, "office": office, "region": region, "province": province,
            "district": district, "summary": _text(summary), "source": source, "provider": provider,
        }  # fmt: skip
        if users is not None:
            base["affected_users"] = users
        opened_at = datetime.fromisoformat(opened).replace(tzinfo=LIMA)
        events.append(
            {**base, "revision": 0, "reported_at": format_rfc3339(opened_at), "status": "PENDIENTE",
             "action": "SUNASS, a través de su Oficina Desconcentrada (ODS) "
                       f"{office.capitalize()}, tomó conocimiento del caso e inició su monitoreo."}
        )  # fmt: skip
        updated_at = datetime(2024, 11, 8, hour, 0, tzinfo=LIMA)
        events.append(
            {**base, "revision": 1, "reported_at": format_rfc3339(updated_at), "status": status,
             "action": _text(action)}
        )  # fmt: skip
    return events
