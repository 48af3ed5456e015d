"""Every `atenciones` subcommand, run as a person would, fails in one line with a non-zero exit
and no traceback: services down, bad arguments, unwritable outputs, impossible days."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from foundation.processes import free_port
from foundation.settings import REPO_ROOT

pytestmark = pytest.mark.timeout(600)


def run(args: list[str], env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "atenciones.cli", *args],
        cwd=REPO_ROOT, env=env, input=stdin, capture_output=True, text=True, timeout=120,
        check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def down_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Kafka, ClickHouse and Grafana on ports where nothing listens."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATENCIONES_")}
    env.update(
        ATENCIONES_KAFKA_BOOTSTRAP=f"127.0.0.1:{free_port()}",
        ATENCIONES_CLICKHOUSE_HTTP_PORT=str(free_port()),
        ATENCIONES_GRAFANA_URL=f"http://127.0.0.1:{free_port()}",
        ATENCIONES_GRAFANA_TOKEN="t",
        ATENCIONES_STATE_DIR=str(tmp_path_factory.mktemp("state")),
        ATENCIONES_WORKER_WEB_PORT=str(free_port()),
    )
    return env


def assert_one_line_failure(result: subprocess.CompletedProcess[str], code: int = 1) -> str:
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 or (code == 2 and lines[-1].startswith("atenciones")), result.stderr
    return lines[-1]


JSONL = (
    '{"attention_id": "a1", "occurred_at": "2024-11-08T10:00:00-05:00", "office": "piura",'
    ' "channel": "telefonico", "case_type": "informacion", "provider_scope": "rural"}\n'
)

SERVICES_DOWN = {
    "topics": (["topics"], "Kafka at"),
    "migrate": (["migrate"], "ClickHouse at"),
    "worker": (["worker"], "Kafka at"),
    "report": (["report", "--date", "2024-11-08"], "ClickHouse at"),
    "report send": (["report", "send", "--date", "2024-11-08"], "ClickHouse at"),
    "report mail-preview": (
        ["report", "mail-preview", "--date", "2024-11-08", "--out", "/tmp/m.html"], "ClickHouse at",
    ),
    "case open": (
        ["case", "open", "ODS-X-1", "--action", "a", "--summary", "s", "--source", "s",
         "--office", "piura", "--region", "piura", "--province", "p", "--district", "d"],
        "at 127.0.0.1",
    ),
    "case update": (["case", "update", "ODS-X-1", "--action", "a"], "at 127.0.0.1"),
    "case open from alert": (
        ["case", "open", "ODS-X-1", "--action", "a", "--from-alert", "x"], "Kafka at"
    ),
    "simulate incident": (
        ["simulate", "--count", "3", "--incident", "eps_grau,200701,5,30"], "Kafka at"
    ),
    "demo-history": (["demo-history"], "ClickHouse at"),
    "publish": (["publish", "-", "--format", "jsonl"], "Kafka at"),
    "simulate": (["simulate", "--count", "3", "--rate", "100"], "Kafka at"),
    "dlq stats": (["dlq", "stats"], "Kafka at"),
    "dlq show": (["dlq", "show"], "Kafka at"),
    "dlq replay": (["dlq", "replay"], "Kafka at"),
    "grafana push": (["grafana", "push"], "Grafana"),
    "grafana preview": (["grafana", "preview", "--no-png", "--out", "/tmp"], "ClickHouse at"),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(SERVICES_DOWN))
def test_services_down_give_one_line(name: str, down_env: dict[str, str]) -> None:
    args, names = SERVICES_DOWN[name]
    result = run(args, down_env, stdin=JSONL if name == "publish" else "")
    line = assert_one_line_failure(result)
    assert line.startswith("error: ") and names in line, line


BAD_ARGUMENTS = {
    "report day": ["report", "--date", "08/11/2024"],
    "report format": ["report", "--date", "2024-11-08", "--format", "docx"],
    "report without a day": ["report"],
    "report send day": ["report", "send", "--date", "2024-02-30"],
    "report send kind": ["report", "send", "--date", "2024-11-08", "--kind", "semanal"],
    "simulate rate nan": ["simulate", "--rate", "nan", "--count", "1"],
    "simulate negative count": ["simulate", "--count", "-1"],
    "simulate incident ubigeo": ["simulate", "--count", "1", "--incident", "eps_grau,2007,5,30"],
    "simulate incident provider": ["simulate", "--count", "1", "--incident", "eps,200701,5,30"],
    "simulate incident fields": ["simulate", "--count", "1", "--incident", "eps_grau,200701"],
    "case open without its fields": ["case", "open", "ODS-X-1", "--action", "a"],
    "dlq negative limit": ["dlq", "show", "--limit", "-1"],
    "dlq unknown reason": ["dlq", "stats", "--reason", "bogus"],
    "case negative users": ["case", "update", "X", "--action", "a", "--affected-users", "-3"],
    "unknown command": ["explode"],
}


@pytest.mark.parametrize("name", sorted(BAD_ARGUMENTS))
def test_bad_arguments_say_what_is_wrong(name: str, down_env: dict[str, str]) -> None:
    result = run(BAD_ARGUMENTS[name], down_env)
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr
    assert "error:" in result.stderr.splitlines()[-1]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["report", "--date", "2999-12-31"], "is in the future"),
        (["report", "--date", "0001-01-01"], "is before 2015-01-01"),
        (["report", "--date", "2024-11-08", "--out", "/"], "is a directory"),
        (["report", "--date", "2024-11-08", "--out", "/nonexistent/dir/r.html"], "does not exist"),
        (["publish", "/nonexistent.jsonl"], "no such file"),
    ],
)
def test_impossible_days_and_outputs_are_refused_before_any_work(
    args: list[str], expected: str, down_env: dict[str, str]
) -> None:
    result = run(args, down_env)
    line = assert_one_line_failure(result, code=2 if args[0] == "publish" else 1)
    assert expected in line, line


@pytest.mark.parametrize(
    "args",
    [
        ["report", "--date", "2024-11-08", "--out", "/proc/atenciones-report.html"],
        ["grafana", "preview", "--no-png", "--out", "/proc/atenciones-preview"],
    ],
)
def test_unwritable_outputs_are_one_line(args: list[str], down_env: dict[str, str]) -> None:
    line = assert_one_line_failure(run(args, down_env))
    assert line.startswith("error: ")
    if args[0] == "report":  # refused before reading ClickHouse
        assert "cannot write /proc/atenciones-report.html" in line, line


def run_module(
    module: str, args: list[str], env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip


@pytest.mark.parametrize(
    "module", ["local_stack.kafka", "local_stack.clickhouse", "local_stack.worker"]
)
def test_the_make_targets_launchers_refuse_a_bad_action(
    module: str, down_env: dict[str, str]
) -> None:
    result = run_module(module, ["bogus"], down_env)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert "invalid choice: 'bogus'" in result.stderr.splitlines()[-1]


@pytest.mark.parametrize(
    ("module", "port_setting"),
    [
        ("local_stack.kafka", "ATENCIONES_KAFKA_BOOTSTRAP"),
        ("local_stack.clickhouse", "ATENCIONES_CLICKHOUSE_HTTP_PORT"),
        ("local_stack.worker", "ATENCIONES_WORKER_WEB_PORT"),
    ],
)
def test_make_up_with_a_port_taken_is_one_line(
    module: str, port_setting: str, down_env: dict[str, str], tmp_path: Path
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        value = f"127.0.0.1:{port}" if port_setting.endswith("BOOTSTRAP") else str(port)
        env = {**down_env, port_setting: value, "ATENCIONES_STATE_DIR": str(tmp_path)}
        line = assert_one_line_failure(run_module(module, ["start"], env))
    assert f"127.0.0.1:{port} is already in use" in line, line


def test_make_up_with_kafka_down_stops_the_worker_and_says_why(
    down_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**down_env, "ATENCIONES_STATE_DIR": str(tmp_path)}
    line = assert_one_line_failure(run_module("local_stack.worker", ["start"], env))
    assert "before it was healthy, so it was stopped: Kafka at" in line, line
    assert "is unreachable" in line, line
    status = run_module("local_stack.worker", ["status"], env)
    assert status.stdout.strip() == "worker not running", status
