"""Writes the boards as JSON into grafana/dashboards/ (committed; Grafana provisions them)."""

from __future__ import annotations

from pathlib import Path

from grafana.boards import BOARDS, Board, board_json

DASHBOARDS_DIR = Path(__file__).with_name("dashboards")


def board_path(board: Board, directory: Path = DASHBOARDS_DIR) -> Path:
    return directory / f"{board.uid}.json"


def write_boards(directory: Path = DASHBOARDS_DIR) -> list[Path]:
    """Write every board whose file differs; return the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for board in BOARDS:
        path = board_path(board, directory)
        text = board_json(board)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written


def drifted_boards(directory: Path = DASHBOARDS_DIR) -> list[Path]:
    """Committed files that the code would not write as they are (missing ones included)."""
    return [
        board_path(board, directory)
        for board in BOARDS
        if not board_path(board, directory).exists()
        or board_path(board, directory).read_text(encoding="utf-8") != board_json(board)
    ]
