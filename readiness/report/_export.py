"""Static PNGs for the plotly figures of executed notebooks, all through one kaleido session.

``export_figures`` finds every plotly output (``application/vnd.plotly.v1+json``) in the given
notebooks, renders them all in ONE headless Chromium (one ``kaleido.Kaleido``, opened once), and
adds each PNG to its own output as ``image/png``, so a Markdown renderer picks the PNG and an
HTML renderer the interactive figure. Notebooks are rewritten atomically.

Chromium is looked up by ``find_chromium``; when there is none (or ``READINESS_NO_CHROMIUM=1``)
nothing is written and the report links an HTML file per figure instead (``write_interactive``).
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import contextlib
import ctypes
import logging
import os
import shutil
import signal
import struct
import sys
import time
from collections.abc import Coroutine, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from readiness.errors import ReportError
from readiness.report._notebook import (
    PLOTLY_MIME,
    PNG_MIME,
    cell_name,
    check_errors,
    plotly_outputs,
    read_notebook,
    write_notebook,
)

NO_CHROMIUM_ENV = "READINESS_NO_CHROMIUM"
NO_CHROMIUM_NOTE = (
    "static figures unavailable: no Chromium found; install Debian's chromium "
    "(apt-get install chromium) or set BROWSER_PATH to a Chrome/Chromium executable"
)
NO_CHROMIUM_ASKED_NOTE = f"static figures off: {NO_CHROMIUM_ENV}=1 is set (unset it to export them with Chromium)"


def chromium_off() -> bool:
    """Whether ``READINESS_NO_CHROMIUM`` asks for no Chromium (set to anything but empty or 0)."""
    return os.environ.get(NO_CHROMIUM_ENV, "").strip() not in ("", "0")


def no_chromium_note() -> str:
    """Why there are no static figures: the variable asked for none, or no Chromium was found."""
    return NO_CHROMIUM_ASKED_NOTE if chromium_off() else NO_CHROMIUM_NOTE


# Debian/Ubuntu names first: Debian's `chromium` package is the supported one.
BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome-stable", "google-chrome", "chrome")
DEFAULT_WIDTH, DEFAULT_HEIGHT = 900, 500

T = TypeVar("T")


def _executable(path: str | None) -> bool:
    return bool(path) and os.path.isfile(str(path)) and os.access(str(path), os.X_OK)


def find_chromium() -> str | None:
    """The Chrome/Chromium kaleido should drive, or None.

    Order: ``READINESS_NO_CHROMIUM=1`` means none; then ``BROWSER_PATH`` (choreographer's own
    variable); then Debian's ``chromium`` and other usual names on ``PATH``; then choreographer's
    search (a Chrome fetched by ``kaleido_get_chrome``, the platform's usual install paths).
    """
    if chromium_off():
        return None
    explicit = os.environ.get("BROWSER_PATH")
    if explicit and _executable(explicit):
        return explicit
    for name in BROWSER_NAMES:
        if found := shutil.which(name):
            return found
    try:
        from choreographer.browsers import Chromium

        found = Chromium.find_browser(skip_local=False)
    except Exception:  # a search helper of a third-party library must not break the report
        return None
    return found if _executable(found) else None


# --- Chromium's helper processes -------------------------------------------------------------
# prctl(2) options: orphaned descendants are re-parented to the nearest "child subreaper" ancestor.
PR_SET_CHILD_SUBREAPER, PR_GET_CHILD_SUBREAPER = 36, 37
REAP_GRACE_S = 5.0  # helpers get SIGTERM on leaving the session, SIGKILL after this


def _prctl(option: int, arg: Any = 0) -> int:
    libc = ctypes.CDLL(None, use_errno=True)
    return int(libc.prctl(option, arg, 0, 0, 0))


def _subreaper(on: bool | None = None) -> bool:
    """Whether this process is a child subreaper (Linux), setting it first when ``on`` is given."""
    if on is not None:
        _prctl(PR_SET_CHILD_SUBREAPER, int(on))
    flag = ctypes.c_int(0)
    _prctl(PR_GET_CHILD_SUBREAPER, ctypes.byref(flag))
    return bool(flag.value)


def children(pid: int | None = None) -> dict[int, tuple[str, str]]:
    """Child processes of ``pid`` (default: this one), zombies included: pid -> (name, state), from /proc."""
    pid = os.getpid() if pid is None else pid
    found: dict[int, tuple[str, str]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                stat = f.read().decode("utf-8", "replace")
        except OSError:  # gone meanwhile
            continue
        name, _, rest = stat.partition(" (")[2].rpartition(") ")
        fields = rest.split()
        if len(fields) > 1 and int(fields[1]) == pid:
            found[int(entry.name)] = (name, fields[0])
    return found


def _reap(pids: set[int]) -> set[int]:
    """Reap whichever of ``pids`` have exited; return those still running."""
    running: set[int] = set()
    for pid in pids:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:  # reaped elsewhere (a Popen.wait) or not ours
            continue
        if not done:
            running.add(pid)
    return running


@contextlib.contextmanager
def browser_session() -> Iterator[None]:
    """A block that runs Chromium; no process started inside it outlives it.

    Chromium's helpers (crashpad handlers, zygotes) outlive its main process; orphaned, they are
    re-parented to PID 1, which in a container often never reaps them, so every report left them
    behind as zombies. Inside the block this process is a child subreaper (Linux
    ``PR_SET_CHILD_SUBREAPER``), so orphans come to it; on leaving, every process that became its
    child during the block gets SIGTERM (SIGKILL after ``REAP_GRACE_S``) and is reaped, until none
    is left. Elsewhere than Linux it only runs the block.
    """
    if not sys.platform.startswith("linux"):
        yield
        return
    before = set(children())
    was = _subreaper()
    if not was:
        _subreaper(True)
    try:
        yield
    finally:
        try:
            _end_children(before)
        finally:
            if not was:
                _subreaper(False)


def _end_children(before: set[int]) -> None:
    deadline = time.monotonic() + REAP_GRACE_S
    termed: set[int] = set()
    quiet = 0
    while quiet < 2:  # two empty looks in a row: an orphan re-parented between them would show
        left = _reap(set(children()) - before)
        quiet = 0 if left else quiet + 1
        for pid in left:
            sig = signal.SIGKILL if time.monotonic() > deadline else signal.SIGTERM
            if pid not in termed or sig == signal.SIGKILL:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, sig)
                termed.add(pid)
        time.sleep(0.02)


@dataclass
class FigureExport:
    """What ``export_figures`` did."""

    figures: int = 0
    """Plotly figures found in the notebooks."""
    exported: int = 0
    """PNGs written into notebook outputs."""
    chromium: str | None = None
    browser_launches: int = 0
    seconds: float = 0.0
    notebooks: list[Path] = field(default_factory=list)
    """Notebooks rewritten."""
    note: str | None = None
    """Why figures are not static, for the report to print."""

    @property
    def static(self) -> bool:
        """Whether every figure now has a PNG."""
        return self.exported == self.figures


@dataclass
class _Job:
    path: Path
    cell: str
    output: Any
    spec: dict[str, Any]
    opts: dict[str, Any]


def _png_size(png: bytes) -> tuple[int, int]:
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("kaleido returned something that is not a PNG")
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def _run(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to completion, also from code that already runs an event loop (Jupyter)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


class _FigureFailed(Exception):
    def __init__(self, index: int, cause: BaseException) -> None:
        self.index, self.cause = index, cause
        super().__init__(str(cause))


async def _render_all(jobs: list[_Job], chromium: str, tabs: int) -> list[bytes]:
    """Every job's PNG from one browser: one ``Kaleido`` opened once, ``tabs`` tabs working the queue."""
    import kaleido  # imports choreographer and checks plotly's version: only when exporting

    # choreographer logs a devtools message it could not decode, and ignores, with a whole traceback; a figure
    # that fails because of it still fails here (_FigureFailed). Its critical messages stay shown.
    logging.getLogger("choreographer.channels.pipe").setLevel(logging.CRITICAL)

    async def one(k: Any, index: int, job: _Job) -> bytes:
        try:
            return bytes(await k.calc_fig(job.spec, opts=job.opts))
        except Exception as exc:
            raise _FigureFailed(index, exc) from exc

    async with kaleido.Kaleido(path=chromium, n=tabs, mathjax=False) as k:
        return list(await asyncio.gather(*(one(k, i, job) for i, job in enumerate(jobs))))


def _collect(notebooks: Iterable[Path], scale: float) -> tuple[dict[Path, Any], list[_Job]]:
    books: dict[Path, Any] = {}
    jobs: list[_Job] = []
    for path in map(Path, notebooks):
        nb = books[path] = read_notebook(path)
        check_errors(nb, path)
        for index, cell, output in plotly_outputs(nb):
            fig = output["data"][PLOTLY_MIME]
            spec = {"data": fig.get("data", []), "layout": fig.get("layout", {})}
            opts: dict[str, Any] = {"format": "png", "scale": scale}
            layout = spec["layout"]
            if not layout.get("width"):
                opts["width"] = DEFAULT_WIDTH
            if not layout.get("height"):
                opts["height"] = DEFAULT_HEIGHT
            jobs.append(_Job(path, cell_name(cell, index), output, spec, opts))
    return books, jobs


def export_figures(
    notebooks: Iterable[Path],
    *,
    chromium: str | None = None,
    scale: float = 2.0,
    tabs: int = 1,
) -> FigureExport:
    """Add a PNG to every plotly output of ``notebooks``, rendering all of them in one browser.

    ``chromium`` defaults to ``find_chromium()``. Without one, nothing is written and the result's
    ``note`` says why. ``scale`` multiplies the pixel size (2 = sharp on high-DPI screens); the
    output's metadata keeps the display size. A figure that fails raises ``ReportError`` naming
    the notebook and cell; no notebook is written unless all figures succeed.
    """
    started = time.perf_counter()
    books, jobs = _collect(notebooks, scale)
    result = FigureExport(figures=len(jobs))
    if not jobs:
        return result
    result.chromium = chromium = chromium or find_chromium()
    if chromium is None:
        result.note = no_chromium_note()
        result.seconds = time.perf_counter() - started
        return result
    result.browser_launches = 1
    try:
        with browser_session():
            pngs = _run(_render_all(jobs, chromium, max(1, min(tabs, len(jobs)))))
    except _FigureFailed as failed:
        job = jobs[failed.index]
        raise ReportError(
            f"{job.path}: the figure of {job.cell} could not be exported to PNG "
            f"({type(failed.cause).__name__}: {failed.cause})",
            hint=f"fix the figure, or set {NO_CHROMIUM_ENV}=1 to link interactive figures instead",
        ) from failed.cause
    except Exception as exc:  # the browser itself: not found, crashed, or timed out starting
        raise ReportError(
            f"could not render figures with Chromium at {chromium} ({type(exc).__name__}: {exc})",
            hint=f"install Debian's chromium, point BROWSER_PATH at a working one, or set {NO_CHROMIUM_ENV}=1",
        ) from exc
    for job, png in zip(jobs, pngs, strict=True):
        width, height = _png_size(png)
        job.output["data"][PNG_MIME] = base64.b64encode(png).decode("ascii")
        shown = {"width": round(width / scale), "height": round(height / scale)}
        job.output.setdefault("metadata", {})[PNG_MIME] = shown
    for path in dict.fromkeys(job.path for job in jobs):
        write_notebook(path, books[path])
        result.notebooks.append(path)
    result.exported = len(jobs)
    result.seconds = time.perf_counter() - started
    return result


def write_interactive(figure: dict[str, Any], target: Path) -> Path:
    """Write one plotly figure (its notebook JSON) as an HTML page beside a shared ``plotly.min.js``."""
    import plotly.io as pio

    target.parent.mkdir(parents=True, exist_ok=True)
    spec = {"data": figure.get("data", []), "layout": figure.get("layout", {})}
    # 'directory' writes plotly.js once per folder instead of once per figure (4.8 MB each).
    pio.write_html(spec, str(target), include_plotlyjs="directory", validate=False, div_id=target.stem)
    return target
