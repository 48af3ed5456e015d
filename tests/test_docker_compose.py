"""docker-compose.yml is the production path: check what can be checked without a Docker engine."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from foundation.settings import REPO_ROOT, Settings

COMPOSE = REPO_ROOT / "docker-compose.yml"


def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


def test_services_are_the_pipeline() -> None:
    assert set(compose()["services"]) == {"kafka", "clickhouse", "setup", "worker", "grafana"}


def test_images_are_pinned_and_kafka_matches_the_local_broker() -> None:
    services = compose()["services"]
    for name, service in services.items():
        if "image" in service:
            image = service["image"]
            assert ":" in image and not image.endswith(":latest"), f"{name}: {image} is not pinned"
    assert services["kafka"]["image"] == f"apache/kafka:{Settings().kafka_version}"
    assert re.fullmatch(r"clickhouse/clickhouse-server:\d+\.\d+", services["clickhouse"]["image"])
    assert (
        "grafana-clickhouse-datasource" in services["grafana"]["environment"]["GF_INSTALL_PLUGINS"]
    )


def test_kafka_and_clickhouse_ports_are_loopback_only() -> None:
    services = compose()["services"]
    for name in ("kafka", "clickhouse"):
        for mapping in services[name]["ports"]:
            assert mapping.startswith("127.0.0.1:"), f"{name} publishes {mapping} beyond loopback"
    assert "ports" not in services["worker"] and "ports" not in services["setup"]


def test_secrets_come_from_the_environment_and_are_documented() -> None:
    text = COMPOSE.read_text()
    required = set(re.findall(r"\$\{([A-Z_]+):\?", text))
    assert {"CLICKHOUSE_ADMIN_PASSWORD", "GRAFANA_ADMIN_PASSWORD"} <= required
    example = (REPO_ROOT / ".env.example").read_text()
    documented = set(re.findall(r"^([A-Z_]+)=", example, flags=re.M))
    assert required <= documented
    assert ".env" in (REPO_ROOT / ".gitignore").read_text().splitlines()  # never committed
    grafana_env = compose()["services"]["grafana"]["environment"]
    assert grafana_env["GF_SECURITY_ADMIN_PASSWORD"].startswith("${")
    assert grafana_env["GF_AUTH_ANONYMOUS_ENABLED"] == "false"


def test_every_mounted_file_and_build_context_exists() -> None:
    services = compose()["services"]
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (REPO_ROOT / source).exists(), f"{name} mounts missing {source}"
    assert (REPO_ROOT / services["worker"]["build"] / "Dockerfile").exists()
    users = (REPO_ROOT / "clickhouse/docker/users.d/atenciones.xml").read_text()
    clickhouse_env = services["clickhouse"]["environment"]
    for variable in re.findall(r'from_env="([A-Z_]+)"', users):
        assert variable in clickhouse_env, f"{variable} is not passed to the clickhouse service"
    assert services["worker"]["environment"]["ATENCIONES_CLICKHOUSE_USER"] == "writer"
    provisioning = REPO_ROOT / "grafana" / "provisioning"
    datasource = yaml.safe_load((provisioning / "datasources" / "clickhouse.yaml").read_text())
    source = datasource["datasources"][0]
    assert source["type"] == "grafana-clickhouse-datasource"
    assert source["jsonData"]["username"] == "grafana"
    assert source["secureJsonData"]["password"] == "$GRAFANA_CLICKHOUSE_PASSWORD"
    dashboards = yaml.safe_load((provisioning / "dashboards" / "atenciones.yaml").read_text())
    mount = next(v for v in services["grafana"]["volumes"] if v.startswith("./grafana/dashboards:"))
    assert dashboards["providers"][0]["options"]["path"] == mount.split(":")[1]


def test_dockerfile_copies_every_package(tmp_path: Path) -> None:
    dockerfile = (REPO_ROOT / "Dockerfile").read_text()
    for package in (
        "foundation", "atenciones", "schemas", "streams", "agents", "clickhouse", "grafana",
        "reports", "demo",
    ):  # fmt: skip
        assert f"COPY {package} ./{package}" in dockerfile


def test_docker_users_have_the_local_servers_grants() -> None:
    import xml.etree.ElementTree as ET  # noqa: PLC0415

    from local_stack.clickhouse.server import pipeline_users  # noqa: PLC0415

    root = ET.parse(REPO_ROOT / "clickhouse/docker/users.d/atenciones.xml").getroot()
    users = root.find("users")
    assert users is not None
    for user in pipeline_users("w", "a", "g"):
        node = users.find(user.name)
        assert node is not None, user.name
        grants = tuple(q.text for q in node.iter("query"))
        assert grants == user.grants
        profile = node.findtext("profile")
        assert profile == ("readonly_limited" if user.read_only else "default")


def test_no_passwordless_user_is_reachable_from_outside() -> None:
    services = compose()["services"]
    clickhouse_env = services["clickhouse"]["environment"]
    # The image's administrator replaces the passwordless `default` user; its password is required.
    assert clickhouse_env["CLICKHOUSE_PASSWORD"].startswith("${CLICKHOUSE_ADMIN_PASSWORD:?")
    assert "CLICKHOUSE_SKIP_USER_SETUP" not in clickhouse_env
    import xml.etree.ElementTree as ET  # noqa: PLC0415

    root = ET.parse(REPO_ROOT / "clickhouse/docker/users.d/atenciones.xml").getroot()
    users = root.find("users")
    assert users is not None
    for user in users:
        password = user.find("password")
        assert password is not None and password.get("from_env"), f"{user.tag} has no password"
        assert not (password.text or "").strip(), f"{user.tag}: password written in the file"
    grafana_env = services["grafana"]["environment"]
    assert grafana_env["GF_SECURITY_ADMIN_PASSWORD"].startswith("${GRAFANA_ADMIN_PASSWORD:?")
    assert grafana_env["GF_USERS_ALLOW_SIGN_UP"] == "false"
