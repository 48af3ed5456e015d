"""Writes the boards as JSON into grafana/dashboards/ and the alert rule's provisioning file into
grafana/provisioning/alerting/ (both committed; Grafana provisions them)."""

from __future__ import annotations

from pathlib import Path

from grafana.alerting import provisioning_yaml
from grafana.boards import BOARDS, Board, board_json

GRAFANA_DIR = Path(__file__).parent
DASHBOARDS_DIR = GRAFANA_DIR / "dashboards"
ALERTING_FILE = Path("provisioning") / "alerting" / "atenciones.yaml"


def board_path(board: Board, root: Path = GRAFANA_DIR) -> Path:
    return root / "dashboards" / f"{board.uid}.json"


def write_boards(root: Path = GRAFANA_DIR) -> list[Path]:
    """Write every generated file (boards, alert rule) that differs; return the files written."""
    written = []
    for path, text in _generated(root):
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written


def drifted_boards(root: Path = GRAFANA_DIR) -> list[Path]:
    """Committed files that the code would not write as they are (missing ones included)."""
    return [
        path
        for path, text in _generated(root)
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]


def _generated(root: Path) -> list[tuple[Path, str]]:
    boards = [(board_path(board, root), board_json(board)) for board in BOARDS]
    return [*boards, (root / ALERTING_FILE, provisioning_yaml())]
