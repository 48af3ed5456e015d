"""A local HTTP server speaking the part of Grafana's HTTP API that `atenciones grafana push` uses,
as documented for Grafana 11 (docs/sources/developers/http_api: data_source, folder, dashboard,
other#health, frontend settings for the version): the status codes, the bodies' fields that
matter, 401 without valid credentials.
Not Grafana: nothing here proves the boards render; it proves the push talks the API right."""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from foundation.processes import free_port


@dataclass
class GrafanaState:
    token: str
    user: tuple[str, str] = ("admin", "admin-pw")
    datasources: dict[str, dict[str, Any]] = field(default_factory=dict)
    folders: dict[str, dict[str, Any]] = field(default_factory=dict)
    dashboards: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    next_id: int = 1

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id


class _Handler(BaseHTTPRequestHandler):
    state: GrafanaState

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass

    def _send(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _authorized(self) -> bool:
        header = self.headers.get("Authorization", "")
        if header == f"Bearer {self.state.token}":
            return True
        if header.startswith("Basic "):
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
            return (user, password) == self.state.user
        return False

    def _body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length", "0"))
        return json.loads(self.rfile.read(length) or b"{}")

    def _route(self, method: str) -> None:
        path = self.path.split("?")[0]
        self.state.requests.append((method, path))
        if path == "/api/health":
            self._send(200, {"commit": "fake", "database": "ok", "version": "11.6.0"})
            return
        if not self._authorized():
            self._send(401, {"message": "Unauthorized"})
            return
        if path.rstrip("/") == "/api/frontend/settings":  # grafana-client's health.check()
            self._send(200, {"buildInfo": {"version": "11.6.0", "commit": "fake"}})
            return
        parts = path.strip("/").split("/")[1:]  # after "api"
        handler = getattr(self, f"_{method.lower()}_{parts[0]}", None)
        if handler is None:
            self._send(404, {"message": "Not found"})
            return
        handler(parts[1:])

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def do_PUT(self) -> None:
        self._route("PUT")

    # -- data sources: GET/PUT /api/datasources/uid/:uid, POST /api/datasources --------------

    def _public_datasource(self, stored: dict[str, Any]) -> dict[str, Any]:
        shown = {k: v for k, v in stored.items() if k != "secureJsonData"}
        shown["secureJsonFields"] = {k: True for k in stored.get("secureJsonData", {})}
        return shown

    def _get_datasources(self, rest: list[str]) -> None:
        stored = self.state.datasources.get(rest[1]) if rest[:1] == ["uid"] else None
        if stored is None:
            self._send(404, {"message": "Data source not found"})
        else:
            self._send(200, self._public_datasource(stored))

    def _post_datasources(self, rest: list[str]) -> None:
        body = self._body()
        if any(d["name"] == body["name"] for d in self.state.datasources.values()):
            self._send(409, {"message": "data source with the same name already exists"})
            return
        stored = {**body, "id": self.state.new_id(), "orgId": 1, "version": 1, "readOnly": False}
        self.state.datasources[body["uid"]] = stored
        self._send(200, {"datasource": self._public_datasource(stored), "id": stored["id"],
                         "message": "Datasource added", "name": body["name"]})  # fmt: skip

    def _put_datasources(self, rest: list[str]) -> None:
        stored = self.state.datasources.get(rest[1])
        if stored is None:
            self._send(404, {"message": "Data source not found"})
            return
        stored.update(self._body())
        stored["version"] += 1
        self._send(200, {"datasource": self._public_datasource(stored), "id": stored["id"],
                         "message": "Datasource updated", "name": stored["name"]})  # fmt: skip

    # -- folders: GET/PUT /api/folders/:uid, POST /api/folders ---------------------------------

    def _get_folders(self, rest: list[str]) -> None:
        folder = self.state.folders.get(rest[0]) if rest else None
        if folder is None:
            self._send(404, {"message": "folder not found", "status": "not-found"})
        else:
            self._send(200, folder)

    def _post_folders(self, rest: list[str]) -> None:
        body = self._body()
        if body.get("uid") in self.state.folders:
            self._send(409, {"message": "a folder with the same uid already exists"})
            return
        folder = {"id": self.state.new_id(), "uid": body["uid"], "title": body["title"],
                  "url": f"/dashboards/f/{body['uid']}/", "version": 1}  # fmt: skip
        self.state.folders[body["uid"]] = folder
        self._send(200, folder)

    def _put_folders(self, rest: list[str]) -> None:
        folder = self.state.folders[rest[0]]
        folder.update(title=self._body()["title"], version=folder["version"] + 1)
        self._send(200, folder)

    # -- dashboards: GET /api/dashboards/uid/:uid, POST /api/dashboards/db ---------------------

    def _get_dashboards(self, rest: list[str]) -> None:
        stored = self.state.dashboards.get(rest[1]) if rest[:1] == ["uid"] else None
        if stored is None:
            self._send(404, {"message": "Dashboard not found"})
        else:
            self._send(200, stored)

    def _post_dashboards(self, rest: list[str]) -> None:
        body = self._body()
        dashboard = body["dashboard"]
        folder_uid = body.get("folderUid", "")
        if folder_uid and folder_uid not in self.state.folders:
            self._send(400, {"message": "folder not found"})
            return
        current = self.state.dashboards.get(dashboard["uid"])
        if current is not None and not body.get("overwrite"):
            self._send(412, {"message": "The dashboard has been changed by someone else",
                             "status": "version-mismatch"})  # fmt: skip
            return
        version = current["dashboard"]["version"] + 1 if current else 1
        dashboard_id = current["dashboard"]["id"] if current else self.state.new_id()
        stored = {**dashboard, "id": dashboard_id, "version": version}
        self.state.dashboards[dashboard["uid"]] = {
            "dashboard": stored,
            "meta": {"folderUid": folder_uid, "slug": dashboard["uid"], "version": version},
        }
        self._send(200, {"id": dashboard_id, "uid": dashboard["uid"], "status": "success",
                         "url": f"/d/{dashboard['uid']}", "version": version})  # fmt: skip


class FakeGrafana:
    def __init__(self, token: str = "service-account-token") -> None:
        self.state = GrafanaState(token=token)
        handler = type("Handler", (_Handler,), {"state": self.state})
        self.port = free_port()
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def writes(self) -> list[tuple[str, str]]:
        return [r for r in self.state.requests if r[0] != "GET"]

    def __enter__(self) -> FakeGrafana:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
