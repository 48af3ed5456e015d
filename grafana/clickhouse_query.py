"""A ClickHouse SQL query for grafana-foundation-sdk (it ships no builder for this plugin).

The JSON is the query model of the official `grafana-clickhouse-datasource` plugin (v4): SQL
editor, raw SQL, query type "table" or "timeSeries".
"""

from __future__ import annotations

import typing
from typing import Any

from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.cog import runtime as cogruntime
from grafana_foundation_sdk.cog import variants as cogvariants
from grafana_foundation_sdk.models.dashboard import DataSourceRef

PLUGIN_ID = "grafana-clickhouse-datasource"
DATASOURCE_UID = "atenciones-clickhouse"
DATASOURCE = DataSourceRef(type_val=PLUGIN_ID, uid=DATASOURCE_UID)
# The plugin's query format: 0 = time series, 1 = table (sqlutil.FormatQueryOption).
_FORMATS = {"table": 1, "timeSeries": 0}


class ClickHouseQuery(cogvariants.Dataquery):
    def __init__(self, raw_sql: str = "", ref_id: str = "A", query_type: str = "table") -> None:
        self.raw_sql = raw_sql
        self.ref_id = ref_id
        self.query_type = query_type

    def to_json(self) -> dict[str, object]:
        return {
            "refId": self.ref_id,
            "datasource": DATASOURCE.to_json(),
            "editorType": "sql",
            "queryType": self.query_type,
            "format": _FORMATS[self.query_type],
            "rawSql": self.raw_sql,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ClickHouseQuery:
        return cls(
            raw_sql=data.get("rawSql", ""),
            ref_id=data.get("refId", "A"),
            query_type=data.get("queryType", "table"),
        )


class ClickHouseSQL(cogbuilder.Builder[ClickHouseQuery]):
    """Builder: ClickHouseSQL(sql).time_series().ref_id("B")."""

    def __init__(self, sql: str) -> None:
        self._internal = ClickHouseQuery(raw_sql=sql.strip())

    def build(self) -> ClickHouseQuery:
        return self._internal

    def ref_id(self, ref_id: str) -> typing.Self:
        self._internal.ref_id = ref_id
        return self

    def time_series(self) -> typing.Self:
        self._internal.query_type = "timeSeries"
        return self


def register() -> None:
    """Let the SDK decode dashboards holding ClickHouse queries (round trips, tests)."""
    cogruntime.register_dataquery_variant(
        cogruntime.DataqueryConfig(identifier=PLUGIN_ID, from_json_hook=ClickHouseQuery.from_json)
    )
