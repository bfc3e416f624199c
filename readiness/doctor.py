"""Checking a data directory: unreadable or mis-typed tables, orphan and leftover files, stale clusters.

``examine`` lists the problems of a data directory, one ``Problem`` per file or cluster; ``repair``
moves unreadable files and orphans aside into ``.quarantine/`` (same relative path, nothing is
deleted) and removes temporaries an interrupted writer left behind. What a repair cannot fix (a
stale cluster, an invalid YAML input) is said with what to do. Error messages about a data
directory point here (``readiness doctor --data DIR``).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl

from readiness import store
from readiness.errors import ReadinessError
from readiness.store import paths, schema

QUARANTINE = ".quarantine"
ERROR, WARNING = "error", "warning"


@dataclass
class Problem:
    """One finding of the doctor: ``kind`` (unreadable, schema, orphan, incomplete, temporary,
    stray, mode, input, stale, unreachable), the ``path`` (relative to the data directory) or
    cluster it concerns, what is wrong, and whether ``repair`` fixes it."""

    kind: str
    path: str
    detail: str
    severity: str = ERROR
    repairable: bool = False
    repaired: bool = False

    def line(self) -> str:
        """The problem as one line: ``severity: kind: path: detail`` and whether ``--repair`` fixes it."""
        state = " [repaired]" if self.repaired else (" [--repair fixes it]" if self.repairable else "")
        return f"{self.severity}: {self.kind}: {self.path}: {self.detail}{state}"


def _table_files(data_dir: Path) -> Iterator[tuple[str, Path]]:
    for table in store.TABLES:
        base = data_dir / table
        if base.is_dir():
            for f in sorted(base.rglob("*")):
                if f.is_file() and not f.name.endswith(store.TMP_SUFFIX):
                    yield table, f


def _check_file(table: str, f: Path, rel: str) -> Problem | None:
    parts = f.relative_to(f.parents[2]).parts if len(f.parents) > 2 else ()
    cluster = parts[0].removeprefix("cluster=") if parts and parts[0].startswith("cluster=") else None
    if (cluster is None or not parts[1].startswith("date=") or f.suffix != ".parquet"
            or f.parent.parent.parent.name != table):
        return Problem("stray", rel, f"not where a file of table '{table}' belongs "
                       "(TABLE/cluster=NAME/date=YYYY-MM-DD/SNAPSHOT.parquet)", repairable=True)
    from readiness.collect.targets import _NAME

    if not _NAME.fullmatch(cluster):
        return Problem("stray", rel, f"cluster name {cluster!r} is not a usable cluster name", repairable=True)
    problem = store.unreadable(f)
    if problem:
        return Problem("unreadable", rel, problem, repairable=True)
    try:
        store.check_files(table, [f])
    except ReadinessError as err:
        return Problem("schema", rel, str(getattr(err, "message", err)).removeprefix(f"{f}: "), repairable=True)
    mode = f.stat().st_mode & 0o777
    if mode != store.FILE_MODE & ~store._umask():
        return Problem("mode", rel, f"mode {mode:04o}, the tables' mode is {store.FILE_MODE & ~store._umask():04o}",
                       severity=WARNING, repairable=True)
    return None


def _in_use(data_dir: Path, cluster: str) -> bool:
    """True while a writer holds ``cluster``'s lock (its temporaries are its own, not leftovers)."""
    lock = store.lock_path(data_dir, cluster)
    if not lock.exists():
        return False
    try:
        fd = os.open(lock, os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def examine(data_dir: Path | str, *, today: date | None = None, rubric: str | Path | None = None) -> list[Problem]:
    """Every problem of ``data_dir`` (see ``Problem``); raises ``ReadinessError`` when it is not a directory."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise ReadinessError(f"{data_dir}: not a directory", hint="pass --data DIR of a data directory")
    problems: list[Problem] = []
    good: dict[str, set[tuple[str, str]]] = {t: set() for t in store.TABLES}  # table -> (cluster dir, snapshot id)
    for table, f in _table_files(data_dir):
        rel = str(f.relative_to(data_dir))
        problem = _check_file(table, f, rel)
        if problem:
            problems.append(problem)
        if problem is None or problem.kind == "mode":
            good[table].add((f.parent.parent.name, f.stem))
    for key in sorted(good["objects"] | good["coverage"]):
        if key not in good["snapshots"]:
            for table in ("objects", "coverage"):
                for f in (data_dir / table / key[0]).glob(f"date=*/{key[1]}.parquet"):
                    problems.append(Problem("orphan", str(f.relative_to(data_dir)),
                                            f"snapshot {key[1]} has no readable snapshot row (an interrupted write)",
                                            repairable=True))
    for key in sorted(good["snapshots"]):
        missing = [t for t in ("objects", "coverage") if key not in good[t]]
        if missing:
            problems.append(Problem("incomplete", f"snapshots/{key[0]}", f"snapshot {key[1]} has no readable "
                                    f"{' or '.join(missing)} file", repairable=True))
    for tmp in store.temporaries(data_dir):
        where = tmp.relative_to(data_dir)
        if where.parts[0] == QUARANTINE:
            continue
        cluster = next((p.removeprefix("cluster=") for p in where.parts if p.startswith("cluster=")), None)
        if cluster and _in_use(data_dir, cluster):
            continue
        problems.append(Problem("temporary", str(where), "left behind by an interrupted run", severity=WARNING,
                                repairable=True))
    problems += _inputs(data_dir)
    problems += _freshness(data_dir, today, rubric, unreadable={p.path for p in problems if p.repairable})
    return problems


def _inputs(data_dir: Path) -> list[Problem]:
    """The YAML and CSV inputs of the data directory, read as the commands read them."""
    from readiness.assess import attestations as att
    from readiness.cli.report import collect_arguments
    from readiness.plan import worklog

    out = []
    for name, read in ((att.ATTESTATIONS_FILE, att.load_attestations), (att.WAIVERS_FILE, att.load_waivers),
                       (att.FLEET_FILE, att.load_roles),
                       (worklog.WORKLOG_FILE, lambda d: worklog.read(Path(d) / worklog.WORKLOG_FILE)),
                       (paths.COLLECT_FILE, lambda d: collect_arguments(Path(d) / paths.COLLECT_FILE, Path(d)))):
        if (data_dir / name).is_file():
            try:
                read(data_dir)
            except ReadinessError as err:
                line = getattr(err, "line", None)
                detail = getattr(err, "problem", None) or err.message
                hint = f" ({err.hint})" if err.hint else ""
                out.append(Problem("input", f"{name}:{line}" if line else name, f"{detail}{hint}"))
    return out


def _freshness(data_dir: Path, today: date | None, rubric: str | Path | None, unreadable: set[str]) -> list[Problem]:
    from readiness.assess import rubric as rubric_mod
    from readiness.assess.evaluate import freshness

    files = [f for f in store._files(data_dir, "snapshots", None) if str(f.relative_to(data_dir)) not in unreadable]
    if not files:
        return [Problem("empty", str(data_dir), "no snapshots", severity=WARNING)]
    snaps = pl.concat([pl.read_parquet(f).select(list(schema.SNAPSHOTS)) for f in files])
    day = today or datetime.now(UTC).date()
    stale_after = rubric_mod.load(rubric).stale_after_days
    out = []
    for r in freshness(snaps, day, stale_after).filter(~pl.col("usable")).iter_rows(named=True):
        if not r["reached"]:
            out.append(Problem("unreachable", f"cluster {r['cluster']}", f"never reached (first tried "
                               f"{r['evidence_at']:%Y-%m-%d}): its checks are unknown", severity=WARNING))
        else:
            failed = f"; collections since {r['failed_since']:%Y-%m-%d} failed" if r["failed_since"] else ""
            out.append(Problem("stale", f"cluster {r['cluster']}", f"newest usable snapshot is from "
                               f"{r['evidence_at']:%Y-%m-%d}, {r['age_days']} days old (stale after {stale_after})"
                               f"{failed}: run 'readiness collect'", severity=WARNING))
    return out


def repair(data_dir: Path | str, problems: list[Problem]) -> list[Problem]:
    """Fix what can be fixed: unreadable, mis-typed, orphan and stray files are moved into
    ``DATA/.quarantine/`` (same relative path), temporaries are removed, modes are set.
    Returns ``problems`` with ``repaired`` set."""
    data_dir = Path(data_dir)
    for p in problems:
        if not p.repairable:
            continue
        target = data_dir / p.path
        if p.kind == "temporary":
            target.unlink(missing_ok=True)
        elif p.kind == "mode":
            store.set_mode(target)
        elif p.kind == "incomplete":
            cluster, sid = p.path.split("/", 1)[1], p.detail.split()[1]
            for table in store.TABLES:  # the whole snapshot goes aside, or its other files become orphans
                for f in (data_dir / table / cluster).glob(f"date=*/{sid}.parquet"):
                    _quarantine(data_dir, f)
        elif target.exists():
            _quarantine(data_dir, target)
        p.repaired = True
    return problems


def _quarantine(data_dir: Path, f: Path) -> None:
    aside = data_dir / QUARANTINE / f.relative_to(data_dir)
    aside.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileNotFoundError):
        aside.unlink()
    shutil.move(str(f), str(aside))
