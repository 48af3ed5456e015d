"""`atenciones grafana push`: data source, folder and boards into an existing Grafana.

Idempotent: each object is read first and written only when it differs, so a second run
changes nothing (no new dashboard versions). Uses grafana-client (HTTP API).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import niquests
from grafana_client import GrafanaApi
from grafana_client.client import (
    GrafanaClientError,
    GrafanaException,
    GrafanaTimeoutError,
    GrafanaUnauthorizedError,
)

from foundation.settings import Settings
from grafana.boards import BOARDS, FOLDER_TITLE, FOLDER_UID, build_board
from grafana.clickhouse_query import DATASOURCE_UID, PLUGIN_ID

DATASOURCE_NAME = "ClickHouse atenciones"
# Fields Grafana adds to what it returns; not part of what we push.
_DASHBOARD_SERVER_FIELDS = {"id", "version"}


class PushError(RuntimeError):
    """A push that cannot go on, with a message for the person running it."""


@dataclass
class PushResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def datasource_definition(settings: Settings) -> dict[str, Any]:
    """Same data source as grafana/provisioning/datasources/clickhouse.yaml."""
    return {
        "name": DATASOURCE_NAME,
        "uid": DATASOURCE_UID,
        "type": PLUGIN_ID,
        "access": "proxy",
        "jsonData": {
            "host": settings.grafana_clickhouse_host,
            "port": settings.grafana_clickhouse_port,
            "protocol": "native",
            "username": "grafana",
            "defaultDatabase": "atenciones",
        },
        "secureJsonData": {"password": settings.clickhouse_grafana_password.get_secret_value()},
    }


def connect(settings: Settings) -> GrafanaApi:
    token = settings.grafana_token.get_secret_value()
    credential: str | tuple[str, str] | None
    if token:
        credential = token
    elif settings.grafana_user:
        credential = (settings.grafana_user, settings.grafana_password.get_secret_value())
    else:
        raise PushError(
            "no Grafana credentials: set ATENCIONES_GRAFANA_TOKEN (service account token) or "
            "ATENCIONES_GRAFANA_USER and ATENCIONES_GRAFANA_PASSWORD"
        )
    return GrafanaApi.from_url(settings.grafana_url, credential=credential, timeout=10.0)


def _missing(call: Callable[[], Any]) -> Any | None:
    """The object, or None when Grafana answers 404."""
    try:
        return call()
    except GrafanaClientError as exc:
        if exc.status_code == 404:
            return None
        raise


def _same(current: dict[str, Any], wanted: dict[str, Any]) -> bool:
    return all(current.get(key) == value for key, value in wanted.items())


def push_datasource(api: GrafanaApi, settings: Settings, result: PushResult) -> None:
    wanted = datasource_definition(settings)
    current = _missing(lambda: api.datasource.get_datasource_by_uid(DATASOURCE_UID))
    label = f"data source {DATASOURCE_NAME}"
    if current is None:
        api.datasource.create_datasource(wanted)
        result.created.append(label)
        return
    public = {k: v for k, v in wanted.items() if k != "secureJsonData"}
    has_password = bool((current.get("secureJsonFields") or {}).get("password"))
    if _same(current, public) and has_password:
        result.unchanged.append(label)
        return
    api.datasource.update_datasource_by_uid(DATASOURCE_UID, wanted)
    result.updated.append(label)


def push_folder(api: GrafanaApi, result: PushResult) -> None:
    current = _missing(lambda: api.folder.get_folder(FOLDER_UID))
    label = f"folder {FOLDER_TITLE}"
    if current is None:
        api.folder.create_folder(FOLDER_TITLE, uid=FOLDER_UID)
        result.created.append(label)
    elif current.get("title") != FOLDER_TITLE:
        api.folder.update_folder(FOLDER_UID, title=FOLDER_TITLE, overwrite=True)
        result.updated.append(label)
    else:
        result.unchanged.append(label)


def push_dashboard(api: GrafanaApi, board: dict[str, Any], result: PushResult) -> None:
    label = f"dashboard {board['title']}"
    current = _missing(lambda: api.dashboard.get_dashboard(board["uid"]))
    if current is not None:
        stored = {
            k: v for k, v in current["dashboard"].items() if k not in _DASHBOARD_SERVER_FIELDS
        }
        in_folder = current.get("meta", {}).get("folderUid") == FOLDER_UID
        if stored == board and in_folder:
            result.unchanged.append(label)
            return
    api.dashboard.update_dashboard(
        {
            "dashboard": {**board, "id": None},
            "folderUid": FOLDER_UID,
            "overwrite": True,
            "message": "atenciones grafana push",
        }
    )
    (result.created if current is None else result.updated).append(label)


def push(settings: Settings) -> PushResult:
    """Create or update everything; raise PushError with a clear message when it cannot."""
    result = PushResult()
    try:
        api = connect(settings)
        api.health.check()
        push_datasource(api, settings, result)
        push_folder(api, result)
        for board in BOARDS:
            push_dashboard(api, build_board(board), result)
    except GrafanaUnauthorizedError:
        raise PushError(
            f"Grafana at {settings.grafana_url} rejected the credentials (401): check "
            "ATENCIONES_GRAFANA_TOKEN or ATENCIONES_GRAFANA_USER / ATENCIONES_GRAFANA_PASSWORD"
        ) from None
    except GrafanaClientError as exc:
        if exc.status_code == 403:
            raise PushError(
                f"Grafana at {settings.grafana_url} refused the change (403): the account "
                "needs the Editor role on the folder and data source admin rights"
            ) from None
        raise PushError(f"Grafana refused a request: {exc}") from None
    except (GrafanaTimeoutError, niquests.exceptions.ConnectionError) as exc:
        raise PushError(
            f"cannot reach Grafana at {settings.grafana_url} ({type(exc).__name__}); check "
            "ATENCIONES_GRAFANA_URL and that Grafana is running"
        ) from None
    except GrafanaException as exc:
        raise PushError(f"Grafana failed: {exc}") from None
    return result
