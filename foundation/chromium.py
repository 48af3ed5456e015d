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


def _render(html: str, output: str, flags: list[str], what: str, timeout_s: float) -> bytes:
    """Open `html` in headless Chromium with `flags` ({out} = the output file); its bytes."""
    chromium = find_chromium()
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "page.html"
        out = Path(tmp) / output
        page.write_text(html, encoding="utf-8")
        command = [
            chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp}/profile",
            *(flag.format(out=out) for flag in flags), page.as_uri(),
        ]  # fmt: skip
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout_s, check=False
        )
        if result.returncode != 0 or not out.exists():
            raise PdfError(f"Chromium could not {what}:\n{result.stderr[-2000:]}")
        return out.read_bytes()


def html_to_pdf(html: str, timeout_s: float = 120.0) -> bytes:
    return _render(html, "report.pdf", ["--print-to-pdf={out}"], "print the report", timeout_s)


def html_to_png(html: str, width: int, height: int, timeout_s: float = 120.0) -> bytes:
    """A screenshot of the page at width x height CSS pixels."""
    flags = ["--hide-scrollbars", f"--window-size={width},{height}", "--screenshot={out}"]
    return _render(html, "page.png", flags, "take the screenshot", timeout_s)
