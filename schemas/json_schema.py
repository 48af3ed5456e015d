"""The JSON Schema of the attention event, for integrators in other languages.

Built from the pydantic model plus the catalogs (as enums) and the cross-field rules the model
checks in code. `python -m schemas.json_schema` rewrites schemas/attention.v1.schema.json; a test
keeps the file equal to what this builds.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from schemas.attention import RFC3339_WITH_OFFSET, Attention
from schemas.catalogs import Catalogs, get_catalogs

SCHEMA_PATH = Path(__file__).with_name("attention.v1.schema.json")


def _nullable(prop: dict[str, Any]) -> dict[str, Any]:
    """pydantic writes Optional as anyOf[..., null]; integrators read a flat type list better."""
    if "anyOf" in prop:
        options = [o for o in prop.pop("anyOf") if o.get("type") != "null"]
        prop.update(options[0])
        prop["type"] = [prop["type"], "null"]
    prop.pop("default", None) if prop.get("default") is None else None
    return prop


def build_schema(catalogs: Catalogs | None = None) -> dict[str, Any]:
    catalogs = catalogs or get_catalogs()
    schema = Attention.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://github.com/sunass/atenciones/schemas/attention.v1.schema.json",
        "title": "Attention (contract v1)",
        "description": (
            "One attention given to a citizen. Kafka topic `attentions`, message key = "
            "attention_id (UTF-8), value = this object as UTF-8 JSON (at most 16 KiB). "
            "Also checked by the worker, beyond this schema: key equals attention_id; "
            "occurred_at not before 2015 "
            "nor more than 24 h ahead of the worker's clock."
        ),
        "type": "object",
        "additionalProperties": False,
        "required": schema["required"],
        "properties": _properties(schema["properties"], catalogs),
        "allOf": _cross_field_rules(catalogs),
    }


def _properties(props: dict[str, Any], catalogs: Catalogs) -> dict[str, Any]:
    """The model's properties, flattened, with the catalogs' codes as enums."""
    for name in list(props):
        props[name] = _nullable(props[name])
        props[name].pop("title", None)
    props["schema_version"] = {
        "const": 1,
        "default": 1,
        "description": props["schema_version"]["description"],
    }
    props["occurred_at"] = {
        "type": "string",
        "format": "date-time",
        "pattern": RFC3339_WITH_OFFSET,
        "description": props["occurred_at"]["description"],
    }
    props["office"]["enum"] = list(catalogs.offices)
    props["channel"]["enum"] = list(catalogs.channels)
    props["case_type"]["enum"] = list(catalogs.case_types)
    props["case_subtype"]["enum"] = [*catalogs.case_subtypes, None]
    props["provider_scope"]["enum"] = list(catalogs.provider_scopes)
    props["provider"]["enum"] = [*catalogs.provider_regions, None]
    props["provider_region"]["enum"] = [*catalogs.regions, None]
    return props


def _cross_field_rules(catalogs: Catalogs) -> list[dict[str, Any]]:
    """The rules the model checks in code across fields, as if/then clauses."""
    rules: list[dict[str, Any]] = [
        {
            "if": {"properties": {"voided": {"const": True}}, "required": ["voided"]},
            "then": {"properties": {"revision": {"minimum": 1}}, "required": ["revision"]},
        },
        {
            "if": {"properties": {"provider_scope": {"const": "eps"}}},
            "then": {"required": ["provider"], "properties": {"provider": {"type": "string"}}},
            "else": {
                "properties": {"provider": {"type": "null"}, "provider_region": {"type": "null"}}
            },
        },
    ]
    for case_type in catalogs.case_types.values():
        codes: list[str | None] = [s.code for s in catalogs.subtypes_of(case_type.code)]
        allowed: dict[str, Any] = {"enum": codes if case_type.requires_subtype else [*codes, None]}
        then: dict[str, Any] = {"properties": {"case_subtype": allowed}}
        if case_type.requires_subtype:
            then["required"] = ["case_subtype"]
        rules.append({"if": {"properties": {"case_type": {"const": case_type.code}}}, "then": then})
    for provider, regions in catalogs.provider_regions.items():
        rules.append(
            {
                "if": {"properties": {"provider": {"const": provider}}, "required": ["provider"]},
                "then": {"properties": {"provider_region": {"enum": [*regions, None]}}},
            }
        )
    return rules


def render(catalogs: Catalogs | None = None) -> str:
    return json.dumps(build_schema(catalogs), ensure_ascii=False, indent=2) + "\n"


if __name__ == "__main__":
    SCHEMA_PATH.write_text(render(), encoding="utf-8")
    print(f"wrote {SCHEMA_PATH}", file=sys.stderr)
