"""HTML to PDF (or a PNG screenshot) with headless Chromium (Debian's `chromium`;
`make chromium` installs it)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
# The machine has no internet: keep Chromium from trying to reach anything.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--no-pdf-header-footer",
)


class PdfError(RuntimeError):
    """Chromium is missing or could not print the page."""


def find_chromium() -> str:
    for name in CHROMIUM_CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    raise PdfError("Chromium is needed for PDF output: run `make chromium` (Debian package)")


def html_to_pdf(html: str, timeout_s: float = 120.0) -> bytes:
    chromium = find_chromium()
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "report.html"
        out = Path(tmp) / "report.pdf"
        page.write_text(html, encoding="utf-8")
        command = [
            chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp}/profile",
            f"--print-to-pdf={out}", page.as_uri(),
        ]  # fmt: skip
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout_s, check=False
        )
        if result.returncode != 0 or not out.exists():
            raise PdfError(f"Chromium could not print the report:\n{result.stderr[-2000:]}")
        return out.read_bytes()


def html_to_png(html: str, width: int, height: int, timeout_s: float = 120.0) -> bytes:
    """A screenshot of the page at width x height CSS pixels."""
    chromium = find_chromium()
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "page.html"
        out = Path(tmp) / "page.png"
        page.write_text(html, encoding="utf-8")
        command = [
            chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp}/profile", "--hide-scrollbars",
            f"--window-size={width},{height}", f"--screenshot={out}", page.as_uri(),
        ]  # fmt: skip
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout_s, check=False
        )
        if result.returncode != 0 or not out.exists():
            raise PdfError(f"Chromium could not take the screenshot:\n{result.stderr[-2000:]}")
        return out.read_bytes()
