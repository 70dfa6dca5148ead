"""Render an HTML report in a real headless Chromium: a screenshot and an A4 PDF to look at.

    .venv/bin/python benchmarks/html_browser_check.py REPORT.html [--out DIR]

Needs Chromium from the OS packages (Debian/Ubuntu: `apt-get install -y chromium`). The
browser runs with a fresh profile and with background networking, component updates and sync
turned off, so that opening the report makes no network traffic of its own; the report itself
references nothing outside the file (tests/test_report_exports.py checks that). Prints where
the screenshot and the PDF are, and the PDF's page count.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
]


def browser() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    raise SystemExit("no Chromium found: apt-get install -y chromium")


def render(report: Path, out: Path) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    screenshot, pdf = out / f"{report.stem}.png", out / f"{report.stem}.pdf"
    url = report.resolve().as_uri()
    for extra in ([f"--screenshot={screenshot}", "--window-size=1280,2400"],
                  [f"--print-to-pdf={pdf}", "--no-pdf-header-footer"]):
        with tempfile.TemporaryDirectory(prefix="fieldkit-chromium-") as profile:
            subprocess.run(
                [browser(), *FLAGS, f"--user-data-dir={profile}", *extra, url],
                check=True, capture_output=True, timeout=120,
            )
    return screenshot, pdf


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path)
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "fieldkit-html")
    args = parser.parse_args(argv)
    screenshot, pdf = render(args.report, args.out)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes()))
    sys.stdout.write(f"screenshot: {screenshot}\npdf: {pdf} ({pages} A4 pages)\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
