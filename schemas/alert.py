"""The incident alert event (contract v1): value of a record on the alerts topic, key = alert_id.

Each change of an alert (opened, grown, closed) is a new version of the same alert_id; a
consumer keeps the highest version. `python -m schemas.alert` rewrites
schemas/alert.v1.schema.json; a test keeps the file equal to the model.
"""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

ALERT_SCHEMA_PATH = Path(__file__).with_name("alert.v1.schema.json")


class AlertEvent(BaseModel):
    """An incident alert: a cluster of service-failure attentions from one provider and place."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = 1
    alert_id: str = Field(description="<provider>|<place>|<start of the first window> (UTC).")
    provider: str = Field(description="EPS code, or outside the EPS the provider scope.")
    place: str = Field(description="INEI ubigeo of the district, or ods:<office>.")
    status: Literal["open", "closed"]
    day: date = Field(description="Lima day the alert opened.")
    window_start: datetime = Field(description="Start of the first improbable window.")
    opened_at: datetime = Field(description="End of that window: when it could be said.")
    updated_at: datetime
    closed_at: datetime | None = None
    peak_count: int = Field(ge=0, description="Attentions in the most improbable window.")
    peak_minutes: int = Field(ge=0, description="Length of that window, minutes.")
    peak_expected: float = Field(ge=0, description="What the key's baseline expected in it.")
    attentions: int = Field(ge=0, description="Service-failure attentions since window_start.")
    subtypes: dict[str, int] = Field(description="Attentions by case subtype.")
    channels: dict[str, int] = Field(description="Attentions by channel.")
    version: int = Field(ge=1, description="One more at every change; keep the highest.")


def alert_schema() -> dict[str, Any]:
    schema = AlertEvent.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://github.com/sunass/atenciones/schemas/alert.v1.schema.json"
    return schema


def render_alert_schema() -> str:
    return json.dumps(alert_schema(), ensure_ascii=False, indent=2) + "\n"


if __name__ == "__main__":
    ALERT_SCHEMA_PATH.write_text(render_alert_schema(), encoding="utf-8")
    print(f"wrote {ALERT_SCHEMA_PATH}", file=sys.stderr)
