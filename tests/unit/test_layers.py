"""The layers contract (.importlinter) covers every package and breaks on an upward import."""

from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from foundation.settings import REPO_ROOT

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def contract() -> configparser.ConfigParser:
    parser = configparser.ConfigParser()
    parser.read(REPO_ROOT / ".importlinter")
    return parser


def packages_of_the_project() -> set[str]:
    text = (REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8")
    include = re.search(r"^include = \[(.*)\]$", text, re.MULTILINE)
    assert include is not None
    return {name.strip(' "*') for name in include.group(1).split(",")}


def test_every_package_is_a_root_of_the_contract_and_in_one_layer() -> None:
    roots = set(contract()["importlinter"]["root_packages"].split())
    assert roots == packages_of_the_project()
    layers = contract()["importlinter:contract:layers"]["layers"]
    in_layers = {name.strip() for line in layers.split("\n") for name in line.split("|")}
    assert roots == in_layers - {""}


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=root, env=env, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip


def test_the_tree_keeps_the_contract_and_an_upward_import_breaks_it(tmp_path: Path) -> None:
    copy = tmp_path / "tree"
    copy.mkdir()
    shutil.copy(REPO_ROOT / ".importlinter", copy)
    for package in packages_of_the_project():
        shutil.copytree(REPO_ROOT / package, copy / package,
                        ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    kept = lint_imports(copy)
    assert kept.returncode == 0, kept.stdout
    (copy / "schemas" / "upward.py").write_text("from atenciones import cli\n")
    broken = lint_imports(copy)
    assert broken.returncode == 1, broken.stdout
    assert "schemas is not allowed to import atenciones" in broken.stdout
    assert "schemas.upward -> atenciones" in broken.stdout
