"""The monthly report: run the notebooks with Papermill, export figures, render with Quarto or pandoc.

Everything is built in a hidden staging directory under the reports directory and moved to
``reports/YYYY-MM/`` only when all of it succeeded, so a failed run never touches the last
good report. The findings are computed once (``compute``: every snapshot up to the report's day,
evaluated only when not already stored in ``DATA/findings/``); report.json is written from them
and the notebooks, given their digest (``findings_digest``), only read them.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import re
import shutil
import string
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, cast

import polars as pl

from readiness import __version__, store
from readiness.errors import ReadinessError, ReportError
from readiness.store import paths

NOTEBOOKS_DIRS = (paths.PACKAGE.parent / "notebooks", paths.PACKAGE / "_notebooks")
TEMPLATE = Path(__file__).parent / "templates" / "production-readiness.qmd"
STEM = "production-readiness"
NOTEBOOKS = ("scorecard", "burndown", "risks", "trends")
CLUSTERS_CSV = "clusters.csv"

Progress = Callable[[str], None]


@dataclass
class ReportResult:
    """What ``build`` made and how long each part took (seconds)."""

    month: str
    as_of: date
    out_dir: Path
    files: list[Path]
    renderer: str
    static_figures: bool
    demo: bool
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def notebook_dir() -> Path:
    """Where the report's notebooks are: the checkout's ``notebooks/``, else the copy in the wheel."""
    for candidate in NOTEBOOKS_DIRS:
        if (candidate / f"{NOTEBOOKS[0]}.ipynb").is_file():
            return candidate
    raise ReportError(f"{NOTEBOOKS_DIRS[0]}: notebooks not found",
                      hint="reinstall readiness, or run it from a checkout")


def _execute(name: str, staging: Path, params: dict[str, Any]) -> float:
    import papermill
    from papermill.exceptions import PapermillExecutionError

    started = time.perf_counter()
    target = staging / "notebooks" / f"{name}.ipynb"
    log = staging / f".{name}.log"
    try:
        # The kernel's own chatter (transport warnings, shutdown messages) goes to a log, not the terminal.
        with _stderr_to(log):
            papermill.execute_notebook(str(notebook_dir() / f"{name}.ipynb"), str(target), parameters=params,
                                       kernel_name="python3", progress_bar=False, cwd=str(staging / "notebooks"))
        log.unlink(missing_ok=True)
    except PapermillExecutionError as err:
        first = (err.source or "").strip().splitlines()
        cell = next((line for line in first if not line.startswith("#|")), first[0] if first else "")
        raise ReportError(
            f"notebook {name}.ipynb failed in cell {err.cell_index} ({cell[:60]}): {err.ename}: {err.evalue}",
            hint=f"the executed notebook with the traceback is kept at {_keep_failed(target)}",
        ) from None
    return time.perf_counter() - started


@contextlib.contextmanager
def _stderr_to(path: Path) -> Iterator[None]:
    """Point this process's file descriptor 2 (inherited by the kernels it starts) at ``path``."""
    saved = os.dup(2)
    with open(path, "ab") as log:
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def _keep_failed(target: Path) -> Path:
    keep = target.parents[2] / ".failed" / target.name
    keep.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        shutil.copyfile(target, keep)
    log = target.parents[1] / f".{target.stem}.log"
    if log.exists():
        shutil.copyfile(log, keep.with_suffix(".log"))
    return keep


def run_notebooks(staging: Path, params: dict[str, Any], workers: int, say: Progress) -> dict[str, float]:
    """Execute the report's notebooks in parallel worker processes; stop at the first failure.

    Processes, not threads: each Papermill run owns its event loop and kernel sockets, and a
    spawned worker shares no state (nor polars' thread pool) with this process.
    """
    (staging / "notebooks").mkdir(parents=True, exist_ok=True)
    say(f"executing {len(NOTEBOOKS)} notebooks on {workers} worker{'s' if workers != 1 else ''}")
    times: dict[str, float] = {}
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                             initializer=_worker_start, initargs=(os.getpid(),)) as pool:
        futures = {pool.submit(_execute, name, staging, params): name for name in NOTEBOOKS}
        try:
            for done in as_completed(futures):
                name = futures[done]
                times[name] = done.result()  # re-raises the notebook's ReportError
                say(f"  ✓ {name} ({times[name]:.1f} s) [{len(times)}/{len(futures)}]")
        except BaseException:
            for future in futures:
                future.cancel()
            raise
    return times


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _worker_start(parent: int) -> None:
    """In each notebook worker: end with the parent, even when it is killed with SIGKILL.

    The kernel asks Linux for SIGTERM when its parent dies (``PR_SET_PDEATHSIG``), and on SIGTERM
    the worker kills its own children (the notebook kernels) before it exits.
    """
    import ctypes
    import signal

    signal.signal(signal.SIGTERM, _end_worker)
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: the pool's own shutdown is all there is
        return
    if os.getppid() != parent:  # the parent died before the request took effect
        _end_worker(signal.SIGTERM, None)


def _end_worker(signum: int, frame: object) -> None:
    import signal

    for child in _descendants(os.getpid()):
        with contextlib.suppress(OSError):
            os.kill(child, signal.SIGKILL)
    os._exit(128 + signum)


def _descendants(pid: int) -> list[int]:
    """The processes below ``pid`` (Linux ``/proc``; empty elsewhere)."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            parents.setdefault(ppid, []).append(int(stat.parent.name))
    out, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _about(renderer: str, data_dir: Path, demo: bool, as_of: date) -> str:
    rendered = "Quarto" if renderer == "quarto" else "the built-in renderer (pandoc; install Quarto to use it instead)"
    where = paths.shown(data_dir)  # the URL of object storage, not its local mirror
    source = f"the **demo fleet** in `{where}` (simulated, not a real cluster)" if demo else f"`{where}`"
    return (f"*Generated by readiness {__version__} on {datetime.now(UTC):%Y-%m-%d} from {source}, "
            f"as of {as_of}; rendered with {rendered}. Every number above is computed from the snapshots "
            f"and traceable with `readiness explain CHECK_ID`; the executed notebooks are in `notebooks/`.*\n")


@dataclass(frozen=True)
class Computed:
    """What the report computes once, before any notebook runs: the history's findings (every
    snapshot up to the report's day, evaluated at most once and stored in ``DATA/findings/``
    under ``digest``) and report.json's numbers from them."""

    digest: str
    history_findings: pl.DataFrame
    numbers: dict[str, Any]
    clusters: pl.DataFrame | None = None
    """``clusters.csv``: one row per cluster (``tables.cluster_scores``, scores rounded to 0.1)."""


def compute(data_dir: Path, as_of: date, rubric: str | None) -> Computed | None:
    """Evaluate the snapshots once for the report (``Computed``); None when the rubric cannot be
    loaded (the first notebook reports that, with its file and line)."""
    from readiness import plan
    from readiness.assess import rubric as rubric_mod
    from readiness.assess.assessment import assess, history
    from readiness.assess.evaluate import digest
    from readiness.plan import risks
    from readiness.plan.recommend import recommend
    from readiness.report import claims, context, tables

    try:
        rub = rubric_mod.load(rubric, data=data_dir)
    except ReadinessError:
        return None
    key = digest(data_dir, rub)
    history_findings, _ = history(data_dir, rubric=rub, until=as_of)
    a = assess(data_dir, as_of=as_of, rubric=rub)  # reads the findings just stored
    doc: dict[str, Any] = {"score": a.to_dict(), "recommend": recommend(a).to_dict()}
    ctx = context.load(data_dir)
    ref = ctx.reference
    if ref is not None and ref.path is not None:  # the earlier assessment's claims against the evidence
        doc["claims"] = {"reference": str(ref.path), **claims.to_dict(claims.read_against(ref.path, a))}
    the_plan = plan.find_plan(rubric=rub, data=data_dir)  # None: no plan.yaml here, none invented
    doc["burndown"] = None if the_plan is None else plan.compute(
        data_dir, as_of=as_of, rubric=rub, plan=the_plan, findings=history_findings).to_dict()
    doc["risks"] = risks.to_json(risks.register(risks.find_risks(rubric=rub, plan=the_plan, data=data_dir),
                                                a.findings, a.as_of))
    grouping = ctx.grouping(a.snapshots["cluster"].unique().to_list())
    per_cluster = tables.cluster_scores(a, grouping)
    rounded = [c for c, t in per_cluster.schema.items() if t == pl.Float64 and c != "coverage"]
    per_cluster = per_cluster.with_columns(pl.col(rounded).round(1), pl.col("coverage").round(3))
    return Computed(key, history_findings, doc, per_cluster)


def paths_findings(data_dir: Path, key: str) -> Path:
    """Where the report's findings are stored (``readiness.store.findings.directory``)."""
    from readiness.store.findings import directory

    return directory(data_dir, key)


def refuse_without_evidence(data_dir: Path, as_of: date, rubric: str | None) -> None:
    """``ReportError`` when no cluster has usable evidence as of ``as_of`` (a report of unknowns
    would read as 0%)."""
    from readiness.assess import rubric as rubric_mod
    from readiness.assess.evaluate import freshness

    try:
        stale_after = rubric_mod.load(rubric).stale_after_days
    except ReadinessError:  # a broken rubric is reported where it is used, by the notebook that reads it
        stale_after = rubric_mod.load().stale_after_days
    ev = freshness(store.snapshots(data_dir), as_of, stale_after)
    if ev.is_empty() or ev["usable"].any():
        return
    newest = max(ev.filter(pl.col("reached"))["evidence_at"].to_list(), default=None)
    since = f"the newest usable snapshot is from {newest:%Y-%m-%d}" if newest else "no cluster was ever reached"
    raise ReportError(f"{data_dir}: no cluster has usable evidence as of {as_of} ({since}; stale after "
                      f"{stale_after} days)", hint="run 'readiness collect' (check it can reach the clusters), "
                      "or pass --month for a month that has evidence")


def _replace_dir(staging: Path, target: Path) -> None:
    """Swap ``staging`` in as ``target``; the old ``target`` is removed only after the swap."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(target, old)
    os.replace(staging, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


STAGING = ".staging-"  # in a staging directory's name: .YYYY-MM.staging-PID-XXXX
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


def remove_leftovers(reports: Path) -> list[Path]:
    """Remove what an interrupted ``build`` left in ``reports``: staging directories and swapped-out
    old months whose process is gone, and temporary files. Returns what was removed."""
    removed = []
    for d in sorted(reports.glob(".*")):
        pid = re.search(r"(?:\.staging-|\.old-)(\d+)", d.name)
        if d.is_dir() and pid and not _alive(int(pid.group(1))):
            shutil.rmtree(d, ignore_errors=True)
            removed.append(d)
    for f in store.temporaries(reports):
        f.unlink(missing_ok=True)
        removed.append(f)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def write_index(reports: Path) -> Path:
    """``reports/index.md``: every month rendered so far, newest first (only ``YYYY-MM``
    directories: staging and other hidden directories are never listed)."""
    rows = []
    months = [f for f in reports.glob("*/report.json") if _MONTH.fullmatch(f.parent.name)]
    for f in sorted(months, reverse=True):
        try:
            doc = json.loads(f.read_text(encoding="utf-8"))
            s = doc["score"]
        except (OSError, ValueError, KeyError):
            continue  # a month without readable numbers is not a report
        month = f.parent.name
        open_b = sum(1 for b in s["blockers"] if not b["resolved"])
        overall = "unknown" if s.get("overall") is None else f"{s['overall']:.0f}%"
        rows.append(f"| [{month}]({month}/{STEM}.html) | {overall} | {s['verdict']} | {open_b} | "
                    f"{s['as_of']} | [Markdown]({month}/{STEM}.md){' (demo)' if s.get('demo') else ''} |")
    text = ("# Production readiness reports\n\n"
            "| Month | Overall | Verdict | Open blockers | As of | Source |\n|---|---|---|---|---|---|\n"
            + "\n".join(rows) + "\n")
    target = reports / "index.md"
    store.write_text_atomic(target, text)
    return target


def build(
    month: str | None = None,
    *,
    data: Path | str | None = None,
    out: Path | str = "reports",
    rubric: str | None = None,
    renderer: str = "auto",
    workers: int | None = None,
    say: Progress = lambda _: None,
    as_of: date | None = None,
    pdf: bool = True,
) -> ReportResult:
    """Build the report of ``month`` (default: the newest month with snapshots) into ``out/YYYY-MM``.

    ``as_of``: report the fleet as it stood on that day (its month is the report's month).
    ``pdf``: also print ``production-readiness.pdf`` with Chromium (``readiness.report._pdf``).
    """
    from readiness import api
    from readiness.report._export import export_figures
    from readiness.report._pdf import print_pdf
    from readiness.report._render import QUARTO_INSTALL, render

    if renderer == "quarto" and not shutil.which("quarto"):  # before minutes of notebooks, not after
        raise ReportError("renderer 'quarto' asked for, but no quarto command on PATH", hint=QUARTO_INSTALL)

    data_dir = paths.data_dir(data)
    if data is None and data_dir == paths.DEMO_DATA and not paths.has_snapshots(data_dir):
        from readiness.demo import write_demo

        say(f"no cluster data configured: writing the demo fleet to {data_dir}")
        write_demo(data_dir)
    if as_of is not None:
        first = cast(datetime, api.snapshots(data_dir)["collected_at"].min()).date()  # a Datetime column's min
        if as_of < first:
            raise ReportError(f"no snapshot on or before {as_of} in {data_dir}",
                              hint=f"the first snapshot is of {first}")
        if month and as_of.strftime("%Y-%m") != month:
            raise ReportError(f"--as-of {as_of} is not in --month {month}", hint="give one of them")
    else:
        as_of = api.as_of_day(data_dir, month)
    month = month or as_of.strftime("%Y-%m")
    demo = bool((api.snapshots(data_dir)["source"] == "demo").any())
    refuse_without_evidence(data_dir, as_of, rubric)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    remove_leftovers(out)
    staging = Path(tempfile.mkdtemp(prefix=f".{month}{STAGING}{os.getpid()}-", dir=out))
    staging.chmod(0o755)  # mkdtemp makes it private; the report is for everyone who can read reports/
    timings: dict[str, float] = {}
    try:
        started = time.perf_counter()
        computed = compute(data_dir, as_of, rubric)
        timings["findings"] = time.perf_counter() - started
        if computed is not None:
            n = computed.history_findings["snapshot_id"].n_unique()
            say(f"  ✓ findings of {n} snapshot{'s' if n != 1 else ''} "
                f"(stored under {paths_findings(data_dir, computed.digest)}, {timings['findings']:.1f} s)")
        # The notebooks only read the findings computed above (findings_digest); opened by hand, they compute.
        params = {"data_dir": str(data_dir.resolve()), "month": month, "as_of": as_of.isoformat(),
                  "rubric": str(Path(rubric).resolve()) if rubric else None, "clusters": None,
                  "output_dir": str((out / month).resolve()),
                  "findings_digest": computed.digest if computed is not None else None}
        started = time.perf_counter()
        timings.update({f"notebook:{k}": v for k, v in run_notebooks(
            staging, params, workers or min(len(NOTEBOOKS), os.cpu_count() or 1), say).items()})
        timings["notebooks"] = time.perf_counter() - started
        if computed is None:  # the notebooks ran with a rubric this process could not load: its error here too
            from readiness.assess import rubric as rubric_mod

            rubric_mod.load(rubric, data=data_dir)  # raises the ConfigError naming the file and line
            computed = compute(data_dir, as_of, rubric)
            if computed is None:
                raise ReportError(f"{rubric}: the rubric cannot be loaded")
        (staging / "report.json").write_text(json.dumps(computed.numbers, indent=2, default=str), encoding="utf-8")
        if computed.clusters is not None:  # every cluster's scores, beside the report (reports/YYYY-MM/clusters.csv)
            computed.clusters.write_csv(staging / CLUSTERS_CSV)
        figures = export_figures(sorted((staging / "notebooks").glob("*.ipynb")))
        timings["figures"] = figures.seconds
        say(f"  ✓ figures: {figures.exported}/{figures.figures} exported to PNG"
            f"{' in one Chromium session' if figures.exported else ''} ({figures.seconds:.1f} s)")
        if figures.note:
            say(f"  ! {figures.note}")
        which = "quarto" if shutil.which("quarto") and renderer != "pandoc" else "pandoc"
        subtitle = f"{month}{' (demo fleet)' if demo else ''}"
        qmd = staging / f"{STEM}.qmd"
        qmd.write_text(string.Template(TEMPLATE.read_text()).safe_substitute(
            subtitle=subtitle, date=as_of.strftime("%B %-d, %Y")), encoding="utf-8")
        # Its own (empty) Quarto project, so Quarto does not take the repository's website project.
        (staging / "_quarto.yml").write_text("project:\n  type: default\n", encoding="utf-8")
        (staging / "_about.md").write_text(_about(which, data_dir, demo, as_of), encoding="utf-8")
        started = time.perf_counter()
        rendered = render(qmd, staging, renderer=renderer, stem=STEM)
        timings["render"] = time.perf_counter() - started
        say(f"  ✓ rendered with {rendered.renderer} ({timings['render']:.1f} s)")
        for scaffolding in (qmd, staging / "_about.md", staging / "_quarto.yml"):
            scaffolding.unlink()
        printed = print_pdf(staging / f"{STEM}.html", staging / f"{STEM}.pdf") if pdf else None
        if printed is not None:
            timings["pdf"] = printed.seconds
            say(f"  ✓ PDF printed with Chromium ({printed.seconds:.1f} s)" if printed.pdf else f"  ! {printed.note}")
        _replace_dir(staging, out / month)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    write_index(out)
    target = out / month
    return ReportResult(month=month, as_of=as_of, out_dir=target, renderer=rendered.renderer,
                        files=sorted(p for p in target.rglob("*") if p.is_file()),
                        static_figures=rendered.static_figures, demo=demo, timings=timings,
                        notes=[*(n for n in rendered.notes), *([figures.note] if figures.note else []),
                               *([printed.note] if printed is not None and printed.note else [])])
