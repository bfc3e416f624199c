"""Collecting the live state of clusters into one snapshot: discovery, then each catalogue type, page by page.

Clusters are collected concurrently, each by one thread that streams its rows to Parquet, so
memory holds one page and one write batch per cluster whatever the size of the cluster. A 403
on a type is recorded as ``forbidden`` and collection goes on; a list cut short after some pages
(410 Gone without a fresh continue token, a timeout) is ``partial``, its objects kept; a cluster whose API cannot be
read at all is recorded as ``unreachable`` and the others are still written.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from readiness._gc import paused as gc_paused
from readiness.collect import kube
from readiness.collect.catalogue import Resource
from readiness.collect.policy import version_of as policy_version
from readiness.collect.sanitize import row_fields
from readiness.collect.targets import Target
from readiness.collect.writer import SnapshotWriter, check_target
from readiness.errors import CollectError


@dataclass(frozen=True)
class Progress:
    """One step of one cluster's collection: ``label`` (e.g. ``apps/Deployment``) has ``count`` objects so far;
    ``outcome`` is set once the type is done (and ``label`` is empty once the cluster is done)."""

    cluster: str
    label: str
    index: int
    total: int
    count: int
    outcome: str | None = None


ProgressFn = Callable[[Progress], None]


@dataclass(frozen=True)
class TypeResult:
    """The coverage of one resource type."""

    resource: Resource
    api_version: str
    outcome: str
    count: int
    detail: str | None = None

    def coverage(self) -> dict[str, object]:
        """The type's row of the coverage table (``schema.COVERAGE`` without the snapshot columns)."""
        return {"api_version": self.api_version, "kind": self.resource.kind, "outcome": self.outcome,
                "count": self.count, "detail": self.detail}


@dataclass
class ClusterResult:
    """How collecting one cluster went: ``status`` is ok, partial or unreachable."""

    cluster: str
    snapshot_id: str
    status: str
    error: str | None
    types: list[TypeResult] = field(default_factory=list)
    objects: int = 0
    seconds: float = 0.0
    files: list[Path] = field(default_factory=list)
    note: str | None = None

    def outcomes(self, outcome: str) -> list[TypeResult]:
        """The resource types whose reading ended in ``outcome`` (``schema.COVERAGE_OUTCOMES``)."""
        return [t for t in self.types if t.outcome == outcome]

    def summary(self) -> str:
        """One line for the terminal."""
        if self.status == "unreachable":
            return f"{self.cluster}: unreachable: {self.error}" + (f" (note: {self.note})" if self.note else "")
        counts = {o: len(self.outcomes(o)) for o in ("ok", "absent", "partial", "forbidden", "error", "skipped")}
        parts = ", ".join(f"{n} {o}" for o, n in counts.items() if n)
        line = f"{self.cluster}: {self.status}, {self.objects} objects from {len(self.types)} resource types " \
               f"({parts}) in {self.seconds:.1f}s"
        bad = [f"{t.resource.label} {t.outcome}" for t in self.types if t.outcome in ("partial", "forbidden", "error")]
        if bad:
            line += ": " + ", ".join(bad[:5]) + (f" and {len(bad) - 5} more" if len(bad) > 5 else "")
        return line + (f" (note: {self.note})" if self.note else "")


def snapshot_id(source: str, at: datetime) -> str:
    """``live-20260301T123000.123456Z``: one id per collection run, unique even within a second
    (``live-20260301T123000Z`` when ``at`` has no fraction of a second)."""
    fraction = f".{at.microsecond:06d}" if at.microsecond else ""
    return f"{source}-{at:%Y%m%dT%H%M%S}{fraction}Z"


def _noop(p: Progress) -> None:
    pass


def _list_type(transport: kube.Transport, res: Resource, located: kube.Located, writer: SnapshotWriter,
               settings: kube.Settings, report: Callable[[int], None]) -> tuple[TypeResult, bool]:
    """List one type; also say whether the server stopped answering altogether."""
    api_version = f"{res.group}/{located.version}" if res.group else located.version
    path = kube.list_path(res.group, located.version, located.plural)
    accept = kube.METADATA_ONLY if res.metadata_only else kube.JSON
    count = 0
    try:
        for items in kube.pages(transport, path, res.page_size or settings.page_size, accept):
            for obj in items:
                if not res.metadata_only and not (obj.get("apiVersion") and obj.get("kind")):
                    # kube-apiserver sends a built-in list's items without their type (kubernetes#3030): they
                    # are of the type listed, which decides the policy and fact extractors they go through.
                    obj["apiVersion"], obj["kind"] = api_version, res.kind
                writer.add(api_version, res.kind, row_fields(obj, metadata_only=res.metadata_only,
                                                             omit_paths=res.omit, keep=res.keep, text=res.text,
                                                             in_place=True))
            count += len(items)
            report(count)
    except kube.HTTPFailure as err:
        # A list cut short after some pages (410 Gone, 5xx) is ``partial``: the objects read are kept,
        # and checks know the type's evidence has a gap. A server repeating its continue token answered
        # 200 but broke the listing itself: an ``error``, whatever was read before.
        outcome = ("error" if err.status == 200 else "partial" if count
                   else {403: "forbidden", 404: "absent"}.get(err.status, "error"))
        read = f" (list cut short after {count} objects)" if count else ""
        return TypeResult(res, api_version, outcome, count, f"{err}{read}"), False
    except kube.ConnectionFailure as err:
        # A type too slow to list is that type's error; a server that stopped answering ends the cluster.
        read = f" (list cut short after {count} objects)" if count else ""
        return TypeResult(res, api_version, "partial" if count else "error", count, f"no answer: {err}{read}"), \
            err.connect
    return TypeResult(res, api_version, "ok", count), False


def collect_cluster(target: Target, catalogue: Sequence[Resource], data_dir: Path, sid: str, at: datetime,
                    settings: kube.Settings, progress: ProgressFn = _noop,
                    cancel: threading.Event | None = None) -> ClusterResult:
    """Collect ``target`` into ``data_dir`` as snapshot ``sid``; never raises for the cluster's own failures."""
    start = time.monotonic()
    total = len(catalogue)
    writer = SnapshotWriter(data_dir, target.cluster, sid, at, "live", policy_version=policy_version(catalogue))
    result = ClusterResult(target.cluster, sid, "ok", None, note=target.note)
    try:
        try:
            api = kube.api_client(target)
        except CollectError as err:
            result.status, result.error = "unreachable", err.problem
        else:
            with api:
                transport = kube.Transport(api, target.cluster, settings, cancel)
                try:
                    discovery = kube.Discovery.fetch(transport)
                except (kube.HTTPFailure, kube.ConnectionFailure) as err:
                    result.status, result.error = "unreachable", f"API discovery failed: {err}"
                else:
                    result.types = _collect_types(transport, discovery, catalogue, writer, settings, target.cluster,
                                                  progress)
        if result.status == "unreachable":
            result.types = [TypeResult(r, r.api_version, "error", 0, f"cluster unreachable: {result.error}")
                            for r in catalogue]
        else:
            bad = [t for t in result.types if t.outcome in ("partial", "forbidden", "error")]
            if bad:
                result.status = "partial"
                result.error = f"{len(bad)} of {total} resource types not read: " + ", ".join(
                    f"{t.resource.label} ({t.outcome})" for t in bad[:10])
        result.objects = writer.count
        result.files = writer.finish([t.coverage() for t in result.types], result.status, result.error)
    except BaseException:
        writer.abort()
        raise
    result.seconds = time.monotonic() - start
    progress(Progress(target.cluster, "", total, total, result.objects, result.status))
    return result


def _collect_types(transport: kube.Transport, discovery: kube.Discovery, catalogue: Sequence[Resource],
                   writer: SnapshotWriter, settings: kube.Settings, cluster: str,
                   progress: ProgressFn) -> list[TypeResult]:
    types: list[TypeResult] = []
    lost: str | None = None
    total = len(catalogue)
    for i, res in enumerate(catalogue):
        if lost:
            types.append(TypeResult(res, res.api_version, "error", 0, f"not attempted: {lost}"))
            continue
        progress(Progress(cluster, res.label, i, total, 0))
        located = discovery.locate(res)
        if isinstance(located, kube.Unlisted):
            types.append(TypeResult(res, res.api_version, located.outcome, 0, located.detail))
        else:
            def report(n: int, label: str = res.label, index: int = i) -> None:
                progress(Progress(cluster, label, index, total, n))
            listed, gone = _list_type(transport, res, located, writer, settings, report)
            types.append(listed)
            if gone:
                lost = f"connection lost: {listed.detail}"
        t = types[-1]
        progress(Progress(cluster, res.label, i + 1, total, t.count, t.outcome))
    return types


def collect_clusters(targets: Sequence[Target], catalogue: Sequence[Resource], data_dir: Path | str,
                     settings: kube.Settings | None = None, *, parallel: int = 4,
                     progress: ProgressFn | None = None, now: datetime | None = None) -> list[ClusterResult]:
    """Collect every target concurrently into one snapshot (one id, one ``collected_at``) in ``data_dir``."""
    data_dir = Path(data_dir)
    progress = progress or _noop
    check_target(data_dir)
    settings = settings or kube.Settings()
    at = now or datetime.now(UTC)  # to the microsecond: two runs in one second are two snapshots
    sid = snapshot_id("live", at)
    cancel = threading.Event()
    # The pool is shut down (every cluster done or stopped) before the collector is restored.
    with gc_paused(), ThreadPoolExecutor(max_workers=max(1, min(parallel, len(targets))),
                                                 thread_name_prefix="collect") as pool:
        try:
            futures = [pool.submit(collect_cluster, t, catalogue, data_dir, sid, at, settings, progress, cancel)
                       for t in targets]
            return [f.result() for f in futures]
        except BaseException:
            cancel.set()  # interrupted: every cluster stops before its next request and removes its temporary file
            pool.shutdown(wait=True, cancel_futures=True)
            raise
