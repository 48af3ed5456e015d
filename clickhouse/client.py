"""ClickHouse clients for the pipeline's users, configured from settings."""

from __future__ import annotations

import clickhouse_connect
from clickhouse_connect.driver.client import Client

from foundation.settings import Settings


def connect(settings: Settings, user: str | None = None, password: str | None = None) -> Client:
    """A client as `user` (default: the worker's writer user)."""
    return clickhouse_connect.get_client(
        host=settings.clickhouse_host,
        port=settings.clickhouse_http_port,
        username=user or settings.clickhouse_user,
        password=password
        if password is not None
        else settings.clickhouse_password.get_secret_value(),
        connect_timeout=10,
        send_receive_timeout=60,
        autogenerate_session_id=False,
    )


def connect_admin(settings: Settings) -> Client:
    """A client as the administrator (migrations)."""
    return connect(
        settings,
        settings.clickhouse_admin_user,
        settings.clickhouse_admin_password.get_secret_value(),
    )
