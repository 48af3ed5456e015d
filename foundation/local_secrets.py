"""Random passwords for the local stack's ClickHouse users, kept in .state/secrets.env."""

from __future__ import annotations

import secrets
from pathlib import Path

LOCAL_USERS = (
    "CLICKHOUSE_PASSWORD",
    "CLICKHOUSE_ANALYST_PASSWORD",
    "CLICKHOUSE_GRAFANA_PASSWORD",
    "CLICKHOUSE_ADMIN_PASSWORD",
)


def ensure_local_secrets(path: Path) -> bool:
    """Write a password for each local user the file lacks; True if anything was written."""
    existing: dict[str, str] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            name, _, value = line.partition("=")
            existing[name.strip()] = value.strip()
    missing = [f"ATENCIONES_{n}" for n in LOCAL_USERS if f"ATENCIONES_{n}" not in existing]
    if not missing:
        return False
    existing.update({name: secrets.token_urlsafe(18) for name in missing})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{k}={v}\n" for k, v in existing.items()))
    path.chmod(0o600)
    return True
