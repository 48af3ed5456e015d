"""The boards as code: no drift from the committed JSON, the shape Grafana and the plugin expect,
the provisioning files, and the macro / variable expansion the panel tests rely on."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from foundation.settings import REPO_ROOT
from grafana.boards import BOARDS, board_json
from grafana.clickhouse_query import DATASOURCE_UID, PLUGIN_ID
from grafana.generate import DASHBOARDS_DIR, drifted_boards, write_boards
from grafana.macros import ALL, MacroError, TimeRange, Variables, expand_macros, interpolate
from schemas.timestamps import LIMA


def test_committed_json_is_what_the_code_generates() -> None:
    assert drifted_boards() == []
    assert sorted(p.name for p in DASHBOARDS_DIR.glob("*.json")) == sorted(
        f"{b.uid}.json" for b in BOARDS
    )


def test_drift_is_detected_and_repaired(tmp_path: Path) -> None:
    write_boards(tmp_path)
    assert drifted_boards(tmp_path) == []
    target = tmp_path / "dashboards" / "atenciones-hoy.json"
    target.write_text(target.read_text("utf-8").replace("10s", "1m"), "utf-8")
    assert drifted_boards(tmp_path) == [target]
    assert write_boards(tmp_path) == [target]


def test_boards_have_lima_time_refresh_variables_and_clickhouse_queries() -> None:
    boards = {b.uid: json.loads(board_json(b)) for b in BOARDS}
    assert {b["title"] for b in boards.values()} == {
        "Atenciones — hoy vs año", "Evolución", "Casos de mayor relevancia",
    }  # fmt: skip
    live = boards["atenciones-hoy"]
    assert live["refresh"] == "10s"
    assert [v["name"] for v in live["templating"]["list"]] == ["dia", "oficina", "canal", "eps"]
    for board in boards.values():
        assert board["timezone"] == "America/Lima"
        assert board["editable"] is False
        for panel in board["panels"]:
            assert panel["datasource"] == {"type": PLUGIN_ID, "uid": DATASOURCE_UID}
            for target in panel["targets"]:
                assert target["editorType"] == "sql" and target["rawSql"].startswith(
                    ("WITH", "SELECT")
                )
                assert target["format"] == (0 if target["queryType"] == "timeSeries" else 1)
        grid = [p["gridPos"] for p in board["panels"]]
        assert all(g["x"] + g["w"] <= 24 for g in grid)
        cells = {
            (g["x"] + dx, g["y"] + dy) for g in grid for dx in range(g["w"]) for dy in range(g["h"])
        }
        assert len(cells) == sum(g["w"] * g["h"] for g in grid)  # no two panels overlap


def test_provisioning_matches_the_boards_and_compose() -> None:
    provisioning = REPO_ROOT / "grafana" / "provisioning"
    source = yaml.safe_load((provisioning / "datasources" / "clickhouse.yaml").read_text())
    (entry,) = source["datasources"]
    assert (entry["uid"], entry["type"]) == (DATASOURCE_UID, PLUGIN_ID)
    assert entry["jsonData"]["username"] == "grafana"
    assert entry["secureJsonData"]["password"].startswith("$")  # from the environment
    providers = yaml.safe_load((provisioning / "dashboards" / "atenciones.yaml").read_text())
    path = providers["providers"][0]["options"]["path"]
    compose = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
    volumes = compose["services"]["grafana"]["volumes"]
    assert f"./grafana/dashboards:{path}:ro" in volumes


NOV_8 = TimeRange(datetime(2024, 11, 8, tzinfo=LIMA), datetime(2024, 11, 9, tzinfo=LIMA), 3600)


def test_plugin_macros_expand_like_the_plugin() -> None:
    # 2024-11-08 00:00 Lima = 05:00 UTC = 1731042000
    assert expand_macros("$__timeFilter(t)", NOV_8) == (
        "t >= toDateTime(1731042000) AND t <= toDateTime(1731128400)"
    )
    assert expand_macros("$__fromTime, $__toTime_ms", NOV_8) == (
        "toDateTime(1731042000), fromUnixTimestamp64Milli(1731128400000)"
    )
    assert expand_macros("$__timeInterval(occurred_at)", NOV_8) == (
        "toStartOfInterval(toDateTime(occurred_at), INTERVAL 3600 second)"
    )
    # the plugin formats dates in UTC: a Lima day starts "the day before" for $__dateFilter
    late = TimeRange(datetime(2024, 11, 8, 20, tzinfo=LIMA), datetime(2024, 11, 8, 23, tzinfo=LIMA))
    assert expand_macros("$__dateFilter(day)", late) == (
        "day >= toDate('2024-11-09') AND day <= toDate('2024-11-09')"
    )
    assert expand_macros("$__timeFilter(toDateTime(day, 'UTC'))", NOV_8).startswith(
        "toDateTime(day, 'UTC') >= "
    )
    with pytest.raises(MacroError, match="expected 1 argument"):
        expand_macros("$__timeFilter(a, b)", NOV_8)
    with pytest.raises(MacroError, match="unknown macro"):
        expand_macros("$__nothing", NOV_8)


def test_variables_are_quoted_by_their_format() -> None:
    variables = Variables(
        {"oficina": ["lima", "o'neil"], "dia": "2024-11-08' --", "eps": ALL},
        {"eps": "'__all__'"},
    )
    assert interpolate("IN (${oficina:singlequote})", variables) == "IN ('lima','o\\'neil')"
    assert interpolate("${dia:sqlstring}", variables) == "'2024-11-08'' --'"
    assert interpolate("IN (${eps:singlequote})", variables) == "IN ('__all__')"
    assert interpolate("$__timeFilter(x) $unknown", variables) == "$__timeFilter(x) $unknown"
    with pytest.raises(MacroError, match="not supported"):
        interpolate("${oficina:raw}", variables)
