"""No process of ours outlives a report: Chromium's helpers (crashpad handlers, zygotes) are ended and reaped.

Orphaned processes go to the nearest "child subreaper" ancestor (Linux ``PR_SET_CHILD_SUBREAPER``),
else to PID 1. The test process makes itself one, so anything a figure export or PDF print leaves
behind comes to it, where it is seen (alive or zombie), instead of vanishing into PID 1.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from readiness.report._export import browser_session

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="child subreapers are Linux's")
ROOT = Path(__file__).resolve().parents[2]
PR_SET_CHILD_SUBREAPER = 36


def _children() -> dict[int, str]:
    """This process' children, zombies too: pid -> "name state" (read from /proc here, not by the code under test)."""
    me, found = os.getpid(), {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text(errors="replace")
        except OSError:
            continue
        name, fields = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:].split()
        if int(fields[1]) == me:
            found[int(pid)] = f"{name} {fields[0]}"
    return found


def _settle(before: set[int], seconds: float = 2.0) -> dict[int, str]:
    """Children that appeared since ``before``, after giving orphans ``seconds`` to be re-parented."""
    time.sleep(seconds)
    return {pid: what for pid, what in _children().items() if pid not in before}


def _end(pids: set[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)


@pytest.fixture
def subreaper() -> Iterator[set[int]]:
    """This process as child subreaper for the test; yields the children it had before (ends any new ones after)."""
    libc = ctypes.CDLL(None, use_errno=True)
    assert libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    before = set(_children())
    try:
        yield before
    finally:
        libc.prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)
        _end(set(_children()) - before)


def test_the_probe_sees_an_orphan(subreaper: set[int]) -> None:
    # A shell that backgrounds a sleep and exits: the sleep is orphaned and comes to this process.
    subprocess.run(["sh", "-c", "sleep 30 & exit 0"], check=True)
    left = _settle(subreaper, 0.3)
    assert [what.split()[0] for what in left.values()] == ["sleep"], left


def test_browser_session_ends_and_reaps_what_was_orphaned_inside_it(subreaper: set[int]) -> None:
    with browser_session():
        subprocess.run(["sh", "-c", "sleep 30 & exit 0"], check=True)
        subprocess.run(["sh", "-c", "(sleep 0.1; exit 3) & exit 0"], check=True)  # one that exits alone: a zombie
    assert _settle(subreaper, 0.3) == {}


RUNNER = """
import json, sys
from pathlib import Path
sys.path.insert(0, {root!r})
from readiness.report._export import children, export_figures
from readiness.report._pdf import print_pdf
from tests.render.conftest import build_project
work = Path({work!r})
qmd = build_project(work / "project")
figures = export_figures(sorted((qmd.parent / "notebooks").glob("*.ipynb")), chromium={chromium!r})
html = work / "report.html"
html.write_text("<html><body><h1>Production readiness</h1><p>A page to print.</p></body></html>")
pdf = print_pdf(html, work / "report.pdf")
print(json.dumps({{"exported": figures.exported, "pdf": str(pdf.pdf), "children": sorted(children())}}))
"""


def test_no_process_outlives_figure_export_and_pdf(subreaper: set[int], chromium: str, tmp_path: Path) -> None:
    # The report's two Chromium steps, in a process of their own, as `readiness report` runs them.
    code = RUNNER.format(root=str(ROOT), work=str(tmp_path), chromium=chromium)
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300,
                         check=False, env={**os.environ, "BROWSER_PATH": chromium})
    assert run.returncode == 0, run.stderr[-2000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["exported"] == 2 and Path(out["pdf"]).stat().st_size > 0
    assert out["children"] == []  # nothing running or unreaped under the report process when it is done
    assert _settle(subreaper) == {}  # and nothing it orphaned came up to us
