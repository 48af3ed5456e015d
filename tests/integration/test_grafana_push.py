"""`atenciones grafana push` against a local server that speaks Grafana's HTTP API (not a real
Grafana: see tests/integration/fake_grafana.py): creates, then changes nothing, then repairs
what was edited; clear errors for bad credentials, an unreachable Grafana, no credentials."""

from __future__ import annotations

import json

import pytest

from atenciones.cli import main
from foundation.processes import free_port
from foundation.settings import Settings
from grafana.boards import BOARDS, FOLDER_UID
from grafana.generate import board_path
from grafana.push import DATASOURCE_NAME, PushError, push
from tests.integration.fake_grafana import FakeGrafana


def settings_for(url: str, **extra: object) -> Settings:
    values: dict[str, object] = {
        "grafana_url": url,
        "grafana_token": "service-account-token",
        "clickhouse_grafana_password": "grafana-pw",
        **extra,
    }
    return Settings(**values)  # type: ignore[arg-type]


def test_push_creates_everything_then_changes_nothing() -> None:
    with FakeGrafana() as grafana:
        first = push(settings_for(grafana.url))
        assert sorted(first.created) == sorted(
            [f"data source {DATASOURCE_NAME}", "folder Atenciones"]
            + [f"dashboard {b.title}" for b in BOARDS]
        )
        state = grafana.state
        source = state.datasources["atenciones-clickhouse"]
        assert source["type"] == "grafana-clickhouse-datasource"
        assert source["jsonData"]["username"] == "grafana"
        assert source["secureJsonData"] == {"password": "grafana-pw"}
        for board in BOARDS:
            stored = state.dashboards[board.uid]
            assert stored["meta"]["folderUid"] == FOLDER_UID
            committed = json.loads(board_path(board).read_text("utf-8"))
            assert {k: v for k, v in stored["dashboard"].items() if k not in ("id", "version")} == (
                committed
            )
        writes_after_first = len(grafana.writes())

        second = push(settings_for(grafana.url))
        assert second.created == [] and second.updated == []
        assert len(second.unchanged) == 2 + len(BOARDS)
        assert len(grafana.writes()) == writes_after_first  # no write at all
        assert all(d["dashboard"]["version"] == 1 for d in state.dashboards.values())


def test_push_repairs_an_edited_dashboard_and_data_source() -> None:
    with FakeGrafana() as grafana:
        push(settings_for(grafana.url))
        edited = grafana.state.dashboards["atenciones-hoy"]["dashboard"]
        edited["title"] = "edited in the UI"
        grafana.state.datasources["atenciones-clickhouse"]["jsonData"]["host"] = "elsewhere"
        result = push(settings_for(grafana.url))
        assert sorted(result.updated) == sorted(
            ["dashboard Atenciones — hoy vs año", f"data source {DATASOURCE_NAME}"]
        )
        repaired = grafana.state.dashboards["atenciones-hoy"]["dashboard"]
        assert repaired["title"] == "Atenciones — hoy vs año" and repaired["version"] == 2
        assert (
            grafana.state.datasources["atenciones-clickhouse"]["jsonData"]["host"] == "clickhouse"
        )


def test_user_and_password_work_too() -> None:
    with FakeGrafana() as grafana:
        settings = settings_for(
            grafana.url, grafana_token="", grafana_user="admin", grafana_password="admin-pw"
        )
        assert len(push(settings).created) == 2 + len(BOARDS)


def test_bad_credentials_are_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    with FakeGrafana() as grafana:
        with pytest.raises(PushError, match="rejected the credentials"):
            push(settings_for(grafana.url, grafana_token="wrong"))
        assert grafana.writes() == []
        assert grafana.state.dashboards == {}


def test_cli_reports_an_unreachable_grafana(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    monkeypatch.setenv("ATENCIONES_GRAFANA_URL", url)
    monkeypatch.setenv("ATENCIONES_GRAFANA_TOKEN", "token")
    from foundation.settings import get_settings  # noqa: PLC0415

    get_settings.cache_clear()
    try:
        assert main(["grafana", "push"]) == 1
    finally:
        get_settings.cache_clear()
    err = capsys.readouterr().err
    assert f"cannot reach Grafana at {url}" in err


def test_missing_credentials_are_a_clear_error() -> None:
    with FakeGrafana() as grafana, pytest.raises(PushError, match="no Grafana credentials"):
        push(settings_for(grafana.url, grafana_token="", grafana_user=""))
