"""Running the rubric's checks over stored snapshots: snapshots in, findings out.

A cluster's evidence at a moment is its newest usable cluster snapshot (``live`` or ``demo``)
merged with its newest ``repo`` snapshot at or before that moment. A collection that found the
cluster unreachable is not evidence: the last good snapshot stays the evidence until it goes
stale (only a cluster that was never reached is evaluated on its unreachable snapshot). Checks
that do not apply to the cluster's role are ``not_applicable``; a check scoped to roles
(``applies_to``) that fails (or partly) on a cluster whose role ``fleet.yaml`` does not declare is
``unknown`` (it may or may not apply; a pass or not_applicable stands); a snapshot older than the
rubric's ``stale_after_days`` (relative to the as-of date) or from an unreachable cluster makes
every check ``unknown``; active waivers turn a non-passing status into ``waived``.
"""

from __future__ import annotations

import bisect
import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import polars as pl

from readiness import store
from readiness._gc import paused as gc_paused
from readiness.assess import attestations as att
from readiness.assess.checks.base import (
    COVERAGE_COLUMNS,
    OBJECT_COLUMNS,
    Attestation,
    CheckThresholds,
    ClusterSnapshot,
    Coverage,
    Objects,
    Result,
    get,
    run,
    unknown,
)
from readiness.assess.rubric import Rubric
from readiness.errors import DataFileError, DataNotFoundError, ReadinessError
from readiness.store import end_of as end_of  # the last second of a day (UTC), re-exported here
from readiness.store import findings as fs
from readiness.store import paths, schema

if TYPE_CHECKING:
    from readiness.assess._dask import DaskEngine


@dataclass(frozen=True)
class EvaluatedSnapshot:
    """What one evaluation reads: a cluster's snapshot (plus its repo snapshot) at a moment."""

    cluster: str
    snapshot_id: str
    collected_at: datetime
    status: str
    repo_snapshot_id: str | None
    failed_since: datetime | None = None  # the first failed (unreachable) collection after this snapshot
    repo_collected_at: datetime | None = None  # when the repo snapshot was taken


def newest_as_of(findings: pl.DataFrame, day: date, stale_after_days: int) -> pl.DataFrame:
    """From findings of several snapshots: each cluster's newest snapshot on or before ``day``.

    A snapshot more than ``stale_after_days`` older than ``day`` says nothing any more: its
    findings become ``unknown`` (score 0, not waived), never a pass.
    """
    upto = findings.filter(pl.col("collected_at") <= end_of(day))
    newest = upto.group_by("cluster").agg(pl.col("collected_at").max())
    picked = upto.join(newest, on=["cluster", "collected_at"], how="semi")
    age = (pl.lit(day) - pl.col("collected_at").dt.date()).dt.total_days()
    return picked.with_columns(*_staled(age, stale_after_days))


def _staled(age: pl.Expr, stale_after_days: int) -> list[pl.Expr]:
    """status, score, waived and reason of findings ``age`` days old: unknown (score 0, not
    waived) past ``stale_after_days``, unless not applicable."""
    stale = (age > stale_after_days) & (pl.col("status") != "not_applicable")
    return [
        pl.when(stale).then(pl.lit("unknown")).otherwise(pl.col("status")).alias("status"),
        pl.when(stale).then(0.0).otherwise(pl.col("score")).alias("score"),
        pl.when(stale).then(False).otherwise(pl.col("waived")).alias("waived"),
        pl.when(stale).then(pl.format("newest snapshot is {} days old (stale after {})", age,
                                      pl.lit(stale_after_days)))
        .otherwise(pl.col("reason")).alias("reason"),
    ]


def on_days(findings: pl.DataFrame, days: list[date], stale_after_days: int) -> pl.DataFrame:
    """``newest_as_of`` for each of ``days``, with a ``date`` column: the fleet as it stood each day.

    One as-of join of (day, cluster) against the snapshots, then one join with the findings:
    linear in days x clusters plus the findings, not days x findings.
    """
    if not days:
        return findings.with_columns(pl.lit(None, dtype=pl.Date).alias("date"))
    indexed = findings.with_row_index("_row")
    snaps = findings.select("cluster", pl.col("collected_at").alias("_at")).unique().sort("_at")
    unique_days = sorted(set(days))
    grid = (pl.DataFrame({"date": unique_days, "_end": [end_of(d) for d in unique_days]},
                         schema={"date": pl.Date, "_end": findings.schema["collected_at"]})
            .join(findings.select("cluster").unique(), how="cross")
            .sort("_end"))
    picked = grid.join_asof(snaps, left_on="_end", right_on="_at", by="cluster", strategy="backward",
                            check_sortedness=False)  # both sorted above
    picked = picked.filter(pl.col("_at").is_not_null()).select("date", "cluster", "_at")
    joined = indexed.join(picked, left_on=["cluster", "collected_at"], right_on=["cluster", "_at"])
    age = (pl.col("date") - pl.col("collected_at").dt.date()).dt.total_days()
    out = joined.with_columns(*_staled(age, stale_after_days))
    # The rows of each requested day (a day asked for twice, twice), in the findings' order.
    want = pl.DataFrame({"date": days, "_day": list(range(len(days)))}, schema={"date": pl.Date, "_day": pl.Int64})
    return (out.join(want, on="date").sort("_day", "_row")
            .select(*findings.columns, "date"))


def evaluated_snapshots(snapshots: pl.DataFrame, *, as_of: date | None = None,
                        history: bool = False) -> list[EvaluatedSnapshot]:
    """The evaluations to run: every snapshot (``history``) or each cluster's newest at ``as_of``.

    One pass over each cluster's snapshots (in time order): linear in the number of snapshots.
    """
    if as_of is not None:
        first = str(snapshots["collected_at"].dt.date().min())
        snapshots = snapshots.filter(pl.col("collected_at") <= end_of(as_of))
        if snapshots.is_empty():
            raise DataNotFoundError(f"no snapshot on or before {as_of}",
                                    hint=f"the first snapshot was taken on {first}")
    out = []
    for (cluster,), snaps in snapshots.sort("collected_at").group_by("cluster", maintain_order=True):
        all_snaps = list(snaps.iter_rows(named=True))
        repo = [r for r in all_snaps if r["source"] == "repo"]
        all_rows = [r for r in all_snaps if r["source"] != "repo"] or repo
        # A failed collection is not evidence: keep the last good snapshot (it goes stale on its own).
        rows = [r for r in all_rows if r["status"] != "unreachable"] or all_rows[:1]
        chosen = rows if history else rows[-1:]
        failures = [r["collected_at"] for r in all_rows if r["status"] == "unreachable"]  # in time order
        i = 0
        repo_id: str | None = None
        repo_at: datetime | None = None
        for row in chosen:
            while i < len(repo) and repo[i]["collected_at"] <= row["collected_at"]:
                repo_id, repo_at = repo[i]["snapshot_id"], repo[i]["collected_at"]
                i += 1
            after = bisect.bisect_right(failures, row["collected_at"])  # the first failed collection after it
            failed = failures[after] if after < len(failures) else None
            out.append(EvaluatedSnapshot(str(cluster), row["snapshot_id"], row["collected_at"], row["status"],
                             repo_id if repo_id != row["snapshot_id"] else None, failed,
                             repo_at if repo_id != row["snapshot_id"] else None))
    return out


def freshness(snapshots: pl.DataFrame, day: date, stale_after_days: int) -> pl.DataFrame:
    """One row per cluster: its usable evidence as of ``day``.

    Columns: cluster, evidence_at (the snapshot evaluated, UTC; an unreachable one only when the
    cluster was never reached), age_days (``day`` minus its day), reached (false: never reached),
    usable (reached and at most ``stale_after_days`` old), failed_since (first failed collection
    after it, or null).
    """
    upto = snapshots.filter(pl.col("collected_at") <= end_of(day))
    rows = []
    for p in evaluated_snapshots(upto, as_of=day) if not upto.is_empty() else []:
        age = (day - p.collected_at.date()).days
        rows.append({"cluster": p.cluster, "evidence_at": p.collected_at, "age_days": age,
                     "reached": p.status != "unreachable",
                     "usable": p.status != "unreachable" and age <= stale_after_days,
                     "failed_since": p.failed_since})
    return pl.DataFrame(rows, schema={"cluster": pl.String, "evidence_at": schema.UTC_TIME, "age_days": pl.Int64,
                                      "reached": pl.Boolean, "usable": pl.Boolean, "failed_since": schema.UTC_TIME})


def _snapshot_files(data_dir: Path, table: str, p: EvaluatedSnapshot) -> list[Path]:
    """The files of ``table`` holding ``p``'s snapshot and its repo snapshot (that exist)."""
    files = [store.partition_path(data_dir, table, p.cluster, p.collected_at, p.snapshot_id)]
    if p.repo_snapshot_id and p.repo_collected_at is not None:
        files.append(store.partition_path(data_dir, table, p.cluster, p.repo_collected_at, p.repo_snapshot_id))
    return files


def _read_files(data_dir: Path, table: str, files: list[Path]) -> pl.DataFrame:
    """The rows of exactly ``files`` of ``table`` (each file's schema checked when the one scan
    fails or yields other types): only what the points evaluated need, never the whole table.
    ``SchemaError`` or ``DataFileError`` naming a file that does not match or cannot be read."""
    files = [f for f in dict.fromkeys(files) if f.is_file()]
    if not files:
        return schema.empty(table)
    declared = schema.TABLES[table]
    try:  # one scan; each file's schema is checked (one metadata read per file) only when it fails
        frame = pl.scan_parquet(files, hive_partitioning=False).select(list(declared)).collect()
        if frame.schema == declared:
            return frame
    except (pl.exceptions.PolarsError, OSError):
        pass
    store.check_files(table, files)
    try:
        return pl.scan_parquet(files, hive_partitioning=False).select(list(declared)).collect()
    except (pl.exceptions.ComputeError, OSError) as err:
        for f in files:
            problem = store.unreadable(f)
            if problem:
                raise DataFileError(str(f), problem) from None
        raise DataFileError(f"{data_dir}/{table}", f"cannot be read ({err})") from None


# Points whose files one read brings in at once: bounds the memory of a batch's evidence.
_CHUNK = 256


def _rows_by_snapshot(frame: pl.DataFrame, columns: tuple[str, ...]) -> dict[tuple[str, str], list[tuple[Any, ...]]]:
    """(cluster, snapshot_id) -> that snapshot's rows of ``frame`` as tuples of ``columns``, in stored
    order: each column turned into Python values once for the whole frame (not once per snapshot),
    and the keys once per run of rows of one snapshot (a file's rows are one run)."""
    out: dict[tuple[str, str], list[tuple[Any, ...]]] = {}
    if frame.is_empty():
        return out
    runs = frame.select(pl.struct("cluster", "snapshot_id").rle().alias("run")).unnest("run").unnest("value")
    rows = list(zip(*(frame.get_column(c).to_list() for c in columns), strict=True))
    start = 0
    for length, cluster, snapshot_id in runs.iter_rows():
        found = out.get((cluster, snapshot_id))
        if found is None:
            found = out[(cluster, snapshot_id)] = []
        found += rows[start:start + length]
        start += length
    return out


def _evidence(data_dir: Path, pts: list[EvaluatedSnapshot]) -> Iterator[tuple[EvaluatedSnapshot, Objects, Coverage]]:
    """(point, its objects, its coverage) for each point (its own snapshot's rows, then its repo
    snapshot's), indexed for the checks (``Objects``, ``Coverage``): the points' own files only,
    read ``_CHUNK`` points at a time."""
    for start in range(0, len(pts), _CHUNK):
        chunk = pts[start:start + _CHUNK]
        objects = _rows_by_snapshot(
            _read_files(data_dir, "objects", [f for p in chunk for f in _snapshot_files(data_dir, "objects", p)]),
            OBJECT_COLUMNS)
        coverage = _rows_by_snapshot(
            _read_files(data_dir, "coverage", [f for p in chunk for f in _snapshot_files(data_dir, "coverage", p)]),
            COVERAGE_COLUMNS)
        for p in chunk:
            keys = [(p.cluster, p.snapshot_id)] + ([(p.cluster, p.repo_snapshot_id)] if p.repo_snapshot_id else [])
            yield (p, Objects(row for k in keys for row in objects.get(k, ())),
                   Coverage.of_rows(row for k in keys for row in coverage.get(k, ())))


def _finding(p: EvaluatedSnapshot, spec_id: str, rubric: Rubric, result: Result, waived: bool) -> dict[str, Any]:
    spec = rubric.checks[spec_id]
    return {
        "snapshot_id": p.snapshot_id,
        "cluster": p.cluster,
        "collected_at": p.collected_at,
        "check_id": spec_id,
        "category": spec.category,
        "weight": spec.weight,
        "severity": spec.severity,
        "blocker": ",".join(spec.blockers) or None,
        "work_package": spec.work_package,
        "status": "waived" if waived else result.status,
        "score": result.score,
        "waived": waived,
        "reason": result.reason,
        "evidence": list(result.evidence),
        "rubric_version": rubric.version,
    }


def _checked(waivers: list[att.Waiver], rubric: Rubric, clusters: set[str]) -> list[att.Waiver]:
    """Waivers must name a check of the rubric and a known cluster: a typo would silently waive nothing."""
    for w in waivers:
        if w.check not in rubric.checks:
            raise w.error(f"waiver names unknown check '{w.check}'", hint="'readiness checks' lists the check ids")
        if w.cluster != "*" and w.cluster not in clusters:
            raise w.error(f"waiver names unknown cluster '{w.cluster}'",
                          hint=f"clusters: {', '.join(sorted(clusters))}, or '*' for all")
    return waivers


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _micros(values: list[datetime | None], dtype: pl.DataType) -> pl.Series:
    """A tz-aware datetime column from integer microseconds (polars builds one from Python datetimes
    one element at a time), each distinct value converted once."""
    micros: dict[datetime, int] = {}
    ints = [micros[v] if v in micros else micros.setdefault(v, (v - _EPOCH) // _MICROSECOND)
            if v is not None else None for v in values]
    return pl.Series(ints, dtype=pl.Int64).cast(dtype)


_UNIT = "\x1f"  # ASCII unit separator: joins a list's strings for one vectorised split


def _string_lists(values: list[Sequence[str] | None], dtype: pl.DataType) -> pl.Series:
    """A list-of-strings column (``evidence``): each list joined by ``_UNIT`` and split again by
    one vectorised call; when that does not give back every list's length (a string holding the
    separator) or a value is not a string, through JSON text instead (``1`` -> ``"1"``, as before)."""
    try:
        joined = [None if v is None else _UNIT.join(v) for v in values]
    except TypeError:
        joined = None
    if joined is not None:
        lengths = pl.Series([0 if v is None else len(v) for v in values], dtype=pl.UInt32)
        texts = pl.Series(joined, dtype=pl.String)
        empty = (pl.lit(lengths) == 0) & pl.lit(texts).is_not_null()  # "" splits into [""], not []
        lists = pl.select(pl.when(empty).then(pl.lit([], dtype=dtype)).otherwise(pl.lit(texts).str.split(_UNIT))
                          .cast(dtype).alias("values")).to_series()
        if (lists.list.len().fill_null(0) == lengths).all():
            return lists
    texts = pl.Series([None if v is None else orjson.dumps(v).decode() for v in values], dtype=pl.String)
    return texts.str.json_decode(dtype)


def _rows_frame(rows: list[dict[str, Any]], frame_schema: pl.Schema) -> pl.DataFrame:
    """``pl.DataFrame(rows, schema=frame_schema)`` for finding rows, column by column: polars
    builds a tz-aware datetime or a list-of-strings column from Python objects one element at a
    time (seconds per 100k rows), so ``collected_at`` goes in as integer microseconds and
    ``evidence`` as flattened strings (``_micros``, ``_string_lists``)."""
    if not rows:
        return pl.DataFrame(schema=frame_schema)
    return pl.DataFrame([_column(name, dtype, [r[name] for r in rows]) for name, dtype in frame_schema.items()])


def _column(name: str, dtype: pl.DataType, values: list[Any]) -> pl.Series:
    if name == "collected_at":
        return _micros(values, dtype).alias(name)
    if name == "evidence":
        return _string_lists(values, dtype).alias(name)
    return pl.Series(name, values, dtype=dtype)


_configs_of: tuple[Rubric, dict[str, CheckThresholds]] | None = None


def _configs(rubric: Rubric) -> dict[str, CheckThresholds]:
    """Check id -> its ``Config`` for ``rubric``, built once per rubric (not per snapshot):
    a ``Config`` fills in its thresholds' defaults when built."""
    global _configs_of
    if _configs_of is None or _configs_of[0] is not rubric:
        _configs_of = (rubric, {cid: CheckThresholds(cid, spec.thresholds) for cid, spec in rubric.checks.items()})
    return _configs_of[1]


def evaluate_point(
    p: EvaluatedSnapshot, objs: pl.DataFrame | Objects, cov: pl.DataFrame | Coverage | None, rubric: Rubric,
    role: str | None, attestations: list[Attestation], waivers: list[att.Waiver], key: str = "",
) -> list[tuple[Result, bool, bool]]:
    """Every rubric check on one snapshot, as of its own day: (result, waived, applicable) of each
    check, in rubric order (``evaluate_batch`` makes them ``findings.STORED`` rows).

    The one place a snapshot is evaluated (``findings.stored_rows`` calls it for each snapshot
    not yet stored under digest ``key``). Waivers apply as of the snapshot's day; the check's
    own status is kept in ``check_status`` so an assessment as of a later day can apply the
    waivers of that day (``_as_of``).
    """
    fs.log_evaluation(key, p.cluster, p.snapshot_id)
    ev = ClusterSnapshot(p.cluster, p.collected_at, objs, role=role, coverage=cov, attestations=attestations,
                         observed=p.repo_snapshot_id is not None)  # a repo snapshot is merged only into a live one
    configs = _configs(rubric)
    out = []
    for check_id, spec in rubric.checks.items():
        applicable = spec.applies(role)
        if not applicable:
            result = Result("not_applicable", 0.0, f"does not apply to role '{role}'")
        elif p.status == "unreachable":
            result = unknown("cluster was unreachable at collection")
        else:
            result = run(get(check_id), ev, configs[check_id])
            if role is None and spec.applies_to is not None and result.status in ("fail", "partial"):
                # a shortfall counts only where the check applies, which the undeclared role leaves open
                result = unknown(_undeclared_role(p.cluster, spec.applies_to), result.evidence)
        # A waiver accepts a known failure; it never turns missing evidence (unknown) into a pass.
        waived = result.status in ("fail", "partial") and any(w.covers(check_id, p.cluster, ev.day) for w in waivers)
        out.append((result, waived, applicable))
    return out


def _undeclared_role(cluster: str, roles: tuple[str, ...]) -> str:
    """The reason of a role-scoped check on a cluster whose role ``fleet.yaml`` does not declare."""
    return (f"roles of cluster {cluster} are not declared in fleet.yaml; declare "
            f"'clusters: {{{cluster}: {{role: ...}}}}' in DATA/fleet.yaml (this check applies to role "
            f"{' or '.join(roles)} only)")


def _as_of(p: EvaluatedSnapshot, row: dict[str, Any], rubric: Rubric, waivers: list[att.Waiver],
           day: date) -> dict[str, Any]:
    """A stored finding of ``p`` (``evaluate_point``) as it reads on ``day``: unknown once the
    snapshot is older than the rubric's ``stale_after_days``, and the waivers of ``day``."""
    result = Result(row["check_status"], row["score"], row["reason"], tuple(row["evidence"] or ()))
    age = (day - p.collected_at.date()).days
    if row["applicable"] and p.status != "unreachable" and age > rubric.stale_after_days:
        failed = f"; collections since {p.failed_since:%Y-%m-%d} failed" if p.failed_since else ""
        result = unknown(f"newest snapshot is {age} days old, from {p.collected_at:%Y-%m-%d} "
                         f"(stale after {rubric.stale_after_days}){failed}")
    waived = result.status in ("fail", "partial") and any(w.covers(row["check_id"], p.cluster, day) for w in waivers)
    return _finding(p, row["check_id"], rubric, result, waived)


@dataclass(frozen=True)
class Inputs:
    """What decides the findings of a snapshot besides its evidence (their digest is ``key``):
    shipped once to every Dask worker by ``engine("dask")``."""

    rubric: Rubric
    roles: dict[str, str]
    attestations: list[Attestation]
    waivers: list[att.Waiver]
    key: str


def evaluate_batch(data_dir: Path, todo: list[EvaluatedSnapshot], stamps: list[str], inputs: Inputs) -> pl.DataFrame:
    """``findings.STORED`` rows of the points ``todo`` (``stamps``: their evidence stamps, in the
    same order): their files read once, each point evaluated by ``evaluate_point``; one row per
    (point, check), points in ``todo`` order, checks in rubric order. One Dask task runs one call
    (``engine("dask")``); in-process evaluation runs one call for every point."""
    rubric = inputs.rubric
    verdicts: list[tuple[Result, bool, bool]] = []
    with gc_paused():
        for p, objs, cov in _evidence(data_dir, todo):
            verdicts += evaluate_point(p, objs, cov, rubric, inputs.roles.get(p.cluster), inputs.attestations,
                                       inputs.waivers, inputs.key)
        return _stored_frame(todo, stamps, rubric, verdicts)


def _stored_frame(todo: list[EvaluatedSnapshot], stamps: list[str], rubric: Rubric,
                  verdicts: list[tuple[Result, bool, bool]]) -> pl.DataFrame:
    """``findings.STORED`` rows of ``verdicts`` (``evaluate_point``'s, point after point): what
    depends on the point or on the check alone is built once per point or check and repeated by
    one gather, the rest column by column."""
    if not todo:
        return pl.DataFrame(schema=fs.STORED)
    specs = list(rubric.checks.values())
    n_checks = len(specs)
    per_point = pl.DataFrame([
        pl.Series("snapshot_id", [p.snapshot_id for p in todo], dtype=pl.String),
        pl.Series("cluster", [p.cluster for p in todo], dtype=pl.String),
        _micros([p.collected_at for p in todo], fs.STORED["collected_at"]).alias("collected_at"),
        pl.Series("repo_snapshot_id", [p.repo_snapshot_id for p in todo], dtype=pl.String),
        pl.Series("evidence_stamp", stamps, dtype=pl.String),
    ])
    per_check = pl.DataFrame([
        pl.Series("check_id", list(rubric.checks), dtype=pl.String),
        pl.Series("category", [s.category for s in specs], dtype=pl.String),
        pl.Series("weight", [s.weight for s in specs], dtype=pl.Float64),
        pl.Series("severity", [s.severity for s in specs], dtype=pl.String),
        pl.Series("blocker", [",".join(s.blockers) or None for s in specs], dtype=pl.String),
        pl.Series("work_package", [s.work_package for s in specs], dtype=pl.String),
        pl.Series("rubric_version", [rubric.version] * n_checks, dtype=pl.String),
    ])
    row = pl.int_range(len(todo) * n_checks, dtype=pl.UInt32)
    results = [r for r, _, _ in verdicts]
    waived = [w for _, w, _ in verdicts]
    own = pl.DataFrame([
        pl.Series("status", ["waived" if w else r.status for r, w, _ in verdicts], dtype=pl.String),
        pl.Series("score", [r.score for r in results], dtype=pl.Float64),
        pl.Series("waived", waived, dtype=pl.Boolean),
        pl.Series("reason", [r.reason for r in results], dtype=pl.String),
        _string_lists([r.evidence for r in results], fs.STORED["evidence"]).alias("evidence"),
        pl.Series("check_status", [r.status for r in results], dtype=pl.String),
        pl.Series("applicable", [a for _, _, a in verdicts], dtype=pl.Boolean),
    ])
    return pl.concat([per_point.select(pl.all().gather(row // n_checks)),
                      per_check.select(pl.all().gather(row % n_checks)),
                      own], how="horizontal").select(list(fs.STORED))


ENGINES = ("local", "dask")
_engine: DaskEngine | None = None  # the engine evaluating the snapshots that need it (``engine()``); None: this process


@contextlib.contextmanager
def engine(name: str = "local", scheduler: str | None = None) -> Iterator[None]:
    """While the block runs, ``evaluate`` evaluates the snapshots that need it with engine ``name``.

    ``local`` (the default, as without this block): in this process, no Dask import. ``dask``:
    as Dask tasks, batches of consecutive snapshots of ``evaluate_batch``, on the scheduler at
    ``scheduler`` (``tcp://HOST:8786``), or on a local cluster (one single-threaded worker process
    per core) started when the first snapshot needs evaluating and closed when the block ends.
    The workers must read the same data directory (an absolute path or URL) and run the same
    readiness code and check plugins (checked: ``ReadinessError`` naming the worker otherwise).
    Findings are identical to in-process evaluation; each task stores its own (a segment per task,
    merged by this process at the end, ``readiness.store.findings.compact``).

    Raises ``ReadinessError``: ``name`` unknown, ``scheduler`` without ``dask``, Dask not installed
    (``pip install 'readiness[dask]'``), the scheduler unreachable.
    """
    global _engine
    if name not in ENGINES:
        raise ReadinessError(f"unknown engine '{name}'", hint=f"engines: {', '.join(ENGINES)}")
    if name == "local":
        if scheduler:
            raise ReadinessError(f"a scheduler ({scheduler}) was given for the local engine",
                                 hint="add --engine dask, or drop --scheduler")
        yield
        return
    from readiness.assess import _dask

    previous = _engine
    with _dask.DaskEngine(scheduler) as running:
        _engine = running
        try:
            yield
        finally:
            _engine = previous


def _inputs(data_dir: Path, rubric: Rubric, snapshots: pl.DataFrame | None = None,
            ) -> tuple[list[Attestation], dict[str, str], list[att.Waiver], str]:
    """(attestations, roles, checked waivers, digest) of ``data_dir`` for ``rubric``; ``snapshots``:
    the whole snapshots table when already read (waivers may name any cluster of it)."""
    facts = att.known_facts(spec.thresholds for spec in rubric.checks.values())
    attestations = att.load_attestations(data_dir, facts)
    roles = att.load_roles(data_dir)
    every = snapshots if snapshots is not None else store.read(data_dir, "snapshots")
    known = set(every["cluster"]) | set(roles) | paths.fleet_clusters(data_dir)  # the last: a mirror of some clusters
    waivers = _checked(att.load_waivers(data_dir), rubric, known)
    return attestations, roles, waivers, fs.digest(rubric, attestations, waivers, roles)


def digest(data_dir: Path | str, rubric: Rubric) -> str:
    """The digest (``readiness.store.findings.digest``) the findings of ``data_dir`` are stored under
    for ``rubric``: it changes with the rubric, attestations, waivers, roles and the checks' code."""
    return _inputs(Path(data_dir), rubric)[3]


def evaluate(
    data_dir: Path | str,
    rubric: Rubric,
    *,
    as_of: date | None = None,
    clusters: list[str] | None = None,
    history: bool = False,
    snapshots: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Findings (``schema.FINDINGS``) of every rubric check on each evaluated snapshot: one row
    per (snapshot, check), snapshots in time order per cluster, checks in rubric order.

    ``history``: every snapshot, each as of its own day; else each cluster's newest snapshot as
    of ``as_of`` (default: its own day), stale ones ``unknown``. Snapshots already evaluated
    under the same digest are read from ``DATA/findings/`` (``readiness.store.findings``); only new or
    changed ones are evaluated, and stored. ``snapshots``: ``store.snapshots(data_dir, clusters)``
    when the caller has read it already (it is not read again), or with ``as_of`` the rows that
    decide that day (``store.snapshots_as_of``).
    """
    data_dir = Path(data_dir)
    today = datetime.now(UTC).date()
    if as_of is not None and as_of > today:
        raise ReadinessError(f"--as-of {as_of} is in the future (today is {today})",
                             hint="assess today or an earlier day")
    if snapshots is None:
        snapshots = store.snapshots(data_dir, clusters)
    pts = evaluated_snapshots(snapshots, as_of=as_of, history=history)
    attestations, roles, waivers, key = _inputs(data_dir, rubric, None if clusters else snapshots)
    wanted = pl.DataFrame(
        {"cluster": [p.cluster for p in pts], "snapshot_id": [p.snapshot_id for p in pts],
         "repo_snapshot_id": [p.repo_snapshot_id for p in pts],
         "evidence_stamp": [fs.stamp(_snapshot_files(data_dir, "objects", p)) for p in pts]},
        schema={"cluster": pl.String, "snapshot_id": pl.String, "repo_snapshot_id": pl.String,
                "evidence_stamp": pl.String})

    def evaluate_missing(indexes: list[int]) -> pl.DataFrame:
        todo = [pts[i] for i in indexes]
        stamps = wanted["evidence_stamp"].gather(indexes).to_list()
        inputs = Inputs(rubric, roles, attestations, waivers, key)
        if _engine is not None:  # ``engine("dask")``: the same work as Dask tasks
            return _engine.evaluate(data_dir, todo, stamps, inputs)
        return evaluate_batch(data_dir, todo, stamps, inputs)

    stored = fs.stored_rows(data_dir, key, wanted, evaluate_missing, saves=_engine is not None)
    order = {cid: i for i, cid in enumerate(rubric.checks)}
    stored = stored.sort(pl.col("_point"), pl.col("check_id").replace_strict(order, return_dtype=pl.Int64))
    if history or as_of is None:  # each snapshot as of its own day: the stored findings as they are
        return stored.select(list(schema.FINDINGS))
    by_point = stored.partition_by("_point", as_dict=True, include_key=False)
    rows = [_as_of(pts[i], row, rubric, waivers, as_of)
            for i in range(len(pts)) for row in by_point[(i,)].iter_rows(named=True)]
    return _rows_frame(rows, schema.FINDINGS)
