"""Fetches Apache Kafka's broker jars from Maven Central (via Maven) into a cache folder."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from foundation.processes import ServiceError

POM = Path(__file__).with_name("pom.xml")


def kafka_libs(cache_dir: Path, version: str) -> Path:
    """The folder of jars for `version`, downloading them first if the cache lacks them."""
    libs = cache_dir / "kafka" / version / "libs"
    marker = libs / ".complete"
    if marker.exists():
        return libs
    if shutil.which("mvn") is None:
        raise ServiceError("Maven (mvn) is needed to fetch Kafka's jars; install it first")
    tmp = libs.with_name("libs.partial")
    shutil.rmtree(tmp, ignore_errors=True)
    cmd = [
        "mvn", "-q", "-B", "-f", str(POM),
        "dependency:copy-dependencies",
        f"-Dkafka.version={version}",
        f"-DoutputDirectory={tmp}",
        "-DincludeScope=runtime",
    ]  # fmt: skip
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0 or not any(tmp.glob(f"kafka_2.13-{version}.jar")):
        raise ServiceError(
            f"could not fetch Kafka {version} jars with Maven:\n{result.stdout[-2000:]}"
            f"{result.stderr[-2000:]}"
        )
    shutil.rmtree(libs, ignore_errors=True)
    tmp.rename(libs)
    marker.touch()
    return libs
