"""Print the rendered HTML report to PDF with the Chromium the figures already use.

``print_pdf(html, pdf)`` runs ``find_chromium()`` (Debian's chromium, ``BROWSER_PATH`` or
kaleido/choreographer's Chrome) headless with ``--print-to-pdf``, giving the page time to draw
its plotly figures first. Page breaks before each section come from the report's print CSS
(``templates/report.css``, ``@media print``). The PDF is written to a temporary file beside the
target and renamed into place; without a Chromium there is no PDF and ``print_pdf`` says why
(``PdfResult.note``), it never fails the report for that.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from readiness.errors import ReportError
from readiness.report._export import NO_CHROMIUM_ENV, browser_session, chromium_off, find_chromium

NO_PDF_NOTE = "no PDF: no Chromium found to print the HTML with (apt-get install chromium, or set BROWSER_PATH)"
DRAW_BUDGET_MS = 20_000  # virtual time for the page's scripts (plotly) before printing
TIMEOUT_S = 180


@dataclass(frozen=True)
class PdfResult:
    """What ``print_pdf`` did: the PDF written (None when not), seconds taken, and why not."""

    pdf: Path | None
    seconds: float
    note: str = ""


def print_pdf(html: Path, pdf: Path) -> PdfResult:
    """Print ``html`` to ``pdf``; ``ReportError`` when Chromium runs and fails."""
    started = time.perf_counter()
    chromium = find_chromium()
    if chromium is None:
        return PdfResult(None, 0.0, f"no PDF: {NO_CHROMIUM_ENV}=1 is set" if chromium_off() else NO_PDF_NOTE)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{pdf.name}.", suffix=".tmp", dir=pdf.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    profile = tempfile.mkdtemp(prefix=".chromium-profile-", dir=pdf.parent)
    cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
           f"--user-data-dir={profile}", "--no-pdf-header-footer", "--run-all-compositor-stages-before-draw",
           f"--virtual-time-budget={DRAW_BUDGET_MS}", f"--print-to-pdf={tmp}", html.resolve().as_uri()]
    try:
        with browser_session():  # Chromium's crashpad handlers and zygotes are reaped, not left as zombies
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
        if proc.returncode != 0 or tmp.stat().st_size == 0:
            last = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
            raise ReportError(f"{chromium} could not print {html.name} to PDF (exit {proc.returncode}): {last}",
                              hint="run the command by hand, or set BROWSER_PATH to another Chrome/Chromium")
        tmp.chmod(0o644)  # mkstemp makes it private; the report is for everyone who can read reports/
        os.replace(tmp, pdf)
    except subprocess.TimeoutExpired:
        raise ReportError(f"{chromium} did not print {html.name} within {TIMEOUT_S} s",
                          hint="set BROWSER_PATH to another Chrome/Chromium") from None
    finally:
        tmp.unlink(missing_ok=True)
        shutil.rmtree(profile, ignore_errors=True)
    return PdfResult(pdf, time.perf_counter() - started)
