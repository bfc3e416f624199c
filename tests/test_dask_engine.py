"""``--engine dask``: snapshots evaluated as tasks of a real Dask cluster give the in-process findings.

The cluster is a ``dask.distributed.LocalCluster`` with a real scheduler and two worker processes
(one thread each) that this module starts. The client's own ``evaluate_batch`` and
``findings.save`` are replaced by ones that fail, so a finding can only be evaluated, and
stored, by a worker process.
"""

from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from polars.testing import assert_frame_equal

distributed = pytest.importorskip("distributed")

from readiness import store  # noqa: E402
from readiness.assess import evaluate as ev  # noqa: E402
from readiness.assess import rubric  # noqa: E402
from readiness.assess._dask import batches  # noqa: E402
from readiness.assess.assessment import history  # noqa: E402
from readiness.cli import main  # noqa: E402
from readiness.store import findings as fs  # noqa: E402
from readiness.store import schema  # noqa: E402
from readiness.store.findings import DIR  # noqa: E402

LOG = "READINESS_EVALUATION_LOG"


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The evaluation log every process writes to (set before the workers start: they inherit it)."""
    path = tmp_path_factory.mktemp("dask-log") / "evaluations"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(LOG, str(path))
        yield path


@pytest.fixture(scope="module")
def scheduler(log: Path) -> Iterator[str]:
    """The address of a LocalCluster: a scheduler and 2 worker processes, 1 thread each."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                  host="127.0.0.1") as cluster:
        yield cluster.scheduler_address


@contextlib.contextmanager
def _on_workers(log: Path, scheduler: str) -> Iterator[list[dict]]:
    """Evaluation on Dask while evaluation in this process fails; the log emptied first. Yields the
    tasks the scheduler ran (filled when the block ends)."""
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("evaluated in the client process, not on a Dask worker")

    log.write_text("")
    tasks: list[dict] = []
    with pytest.MonkeyPatch.context() as mp, distributed.Client(scheduler, set_as_default=False) as client:
        mp.setattr(ev, "evaluate_batch", refuse)
        mp.setattr(fs, "save", refuse)  # each worker stores its own findings
        with distributed.get_task_stream(client) as stream, ev.engine("dask", scheduler):
            yield tasks
        tasks += [t for t in stream.data if str(t["key"]).startswith("_run_batch")]


def _copy(demo_dir: Path, to: Path) -> Path:
    shutil.copytree(demo_dir, to, ignore=shutil.ignore_patterns(DIR))
    return to


def _sorted(findings: pl.DataFrame) -> pl.DataFrame:
    return findings.sort("cluster", "collected_at", "check_id")


def _evaluated(log: Path) -> list[tuple[str, ...]]:
    return [tuple(line.split()) for line in log.read_text().splitlines()]


def test_history_of_the_demo_fleet_on_dask_equals_in_process(demo_dir: Path, tmp_path: Path, scheduler: str,
                                                            log: Path) -> None:
    expected, expected_scores = history(_copy(demo_dir, tmp_path / "local"))
    on_dask = _copy(demo_dir, tmp_path / "dask")
    with _on_workers(log, scheduler) as tasks:
        got, scores = history(on_dask)
    assert expected.height == 90 * expected["check_id"].n_unique()  # 5 clusters x 18 weeks, every check
    assert_frame_equal(_sorted(got), _sorted(expected))
    assert_frame_equal(scores, expected_scores)
    evaluated = _evaluated(log)
    assert len(evaluated) == 90 and len(set(evaluated)) == 90  # each snapshot once, each on a worker
    assert len(tasks) == len(batches(90, 2)) == 8  # 4 batches per worker, 12 snapshots or fewer each
    segments = list((on_dask / DIR).glob("digest=*/*.parquet"))
    assert len(segments) == 8  # one per task, each written by its worker (not more than MAX_SEGMENTS: not merged)
    assert sorted(pl.concat([pl.read_parquet(f) for f in segments])["snapshot_id"].unique()) == sorted(
        expected["snapshot_id"].unique())
    # Stored like in-process findings: a second run (in this process) evaluates nothing and reads the same.
    log.write_text("")
    again, _ = history(on_dask)
    assert _evaluated(log) == []
    assert_frame_equal(_sorted(again), _sorted(expected))


AT = datetime(2026, 1, 10, 12, 30, tzinfo=UTC)
VELERO = {"api_version": "apps/v1", "kind": "Deployment", "namespace": "velero", "name": "velero",
          "spec": {"replicas": 1}, "status": {"readyReplicas": 1}}
RUNBOOK = {"api_version": "repo.readiness.dev/v1", "kind": "Document", "name": "docs/runbooks/disaster-recovery.md",
           "spec": {"path": "docs/runbooks/disaster-recovery.md", "title": "DR", "type": "runbook"}}


def _write(data: Path, cluster: str, source: str, objects: list[dict], at: datetime, status: str = "ok") -> None:
    sid = f"{source}-{at:%Y%m%dT%H%MZ}"
    rows = [{"snapshot_id": sid, "cluster": cluster, "collected_at": at, "source": source,
             "api_version": o["api_version"], "kind": o["kind"], "namespace": o.get("namespace"), "name": o["name"],
             "labels": "{}", "annotations": "{}", "spec": json.dumps(o.get("spec", {})),
             "status": json.dumps(o.get("status", {}))} for o in objects]
    snaps = pl.DataFrame([{"snapshot_id": sid, "cluster": cluster, "collected_at": at, "source": source,
                           "status": status, "error": None}], schema=schema.SNAPSHOTS)
    store.write_snapshot(data, pl.DataFrame(rows, schema=schema.OBJECTS), snaps, schema.empty("coverage"))


def _small(data: Path) -> Path:
    """Two clusters over two weeks: a repo snapshot merged in, an unreachable collection, a role
    that makes checks not applicable, a waiver."""
    week2 = datetime(2026, 1, 17, 12, 30, tzinfo=UTC)
    _write(data, "air", "live", [VELERO], AT)
    _write(data, "air", "repo", [RUNBOOK], datetime(2026, 1, 10, 9, 0, tzinfo=UTC))
    _write(data, "air", "live", [], week2)
    _write(data, "pi", "live", [VELERO], AT)
    _write(data, "pi", "live", [], week2, status="unreachable")
    (data / "fleet.yaml").write_text("clusters:\n  air: {role: production}\n  pi: {role: edge}\n")
    (data / "waivers.yaml").write_text(
        "waivers:\n  - {check: backup_velero_installed, cluster: air, reason: x, owner: me, expires: 2026-02-01}\n")
    return data


def test_a_small_fleet_on_dask_equals_in_process(tmp_path: Path, scheduler: str, log: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    data = _small(tmp_path / "data")
    expected = ev.evaluate(data, rubric.load(data=data), history=True)
    shutil.rmtree(data / DIR)
    monkeypatch.setattr(fs, "MAX_SEGMENTS", 2)  # the three tasks' segments are more: merged at the end
    with _on_workers(log, scheduler) as tasks:
        got = ev.evaluate(data, rubric.load(data=data), history=True)
    assert len(_evaluated(log)) == 3 and len(tasks) == 3  # air's two live snapshots, pi's reachable one
    (merged,) = (data / DIR).glob("digest=*/*.parquet")
    assert_frame_equal(_sorted(pl.read_parquet(merged).select(list(schema.FINDINGS))), _sorted(expected))
    assert_frame_equal(_sorted(got), _sorted(expected))
    velero = got.filter(pl.col("check_id") == "backup_velero_installed").sort("cluster", "collected_at")
    assert velero["status"].to_list() == ["pass", "waived", "pass"]  # air fails in week 2, waived
    runbook = got.filter((pl.col("check_id") == "backup_dr_runbook") & (pl.col("cluster") == "air"))
    assert runbook["status"].to_list() == ["pass", "pass"]  # the repo snapshot merged into both weeks
    pi = got.filter(pl.col("cluster") == "pi")
    assert 0 < pi.filter(pl.col("status") == "not_applicable").height < pi.height  # the edge role


def _score(data: Path, *options: str) -> tuple[int, str, dict | None]:
    run = CliRunner().invoke(main, ["score", "--data", str(data), "--format", "json", *options])
    return run.exit_code, run.stderr, json.loads(run.stdout) if run.exit_code == 0 else None


def test_score_with_engine_dask_prints_the_in_process_scorecard(demo_dir: Path, tmp_path: Path, scheduler: str,
                                                                log: Path) -> None:
    code, _, expected = _score(_copy(demo_dir, tmp_path / "local"))
    on_dask = _copy(demo_dir, tmp_path / "dask")
    with _on_workers(log, scheduler) as tasks:
        got = _score(on_dask, "--engine", "dask", "--scheduler", scheduler)
    assert code == 0 and got[0] == 0, got[1]
    assert got[2] == expected and expected["overall"] > 0
    assert len(_evaluated(log)) == 5 and tasks  # each cluster's newest snapshot, on the workers


def test_a_worker_error_is_the_same_one_line_error(demo_dir: Path, tmp_path: Path, scheduler: str) -> None:
    outputs = []
    for engine in ("local", "dask"):
        data = _copy(demo_dir, tmp_path / engine)
        newest = max((data / "objects").rglob("*.parquet"), key=lambda f: (f.parent.name, f.name))
        newest.write_bytes(newest.read_bytes()[:100])  # truncated
        options = ["--engine", engine] + (["--scheduler", scheduler] if engine == "dask" else [])
        code, err, _ = _score(data, *options)
        outputs.append((code, err.replace(str(data), "DATA")))
    assert outputs[0] == outputs[1]
    assert outputs[0][0] == 1 and outputs[0][1].startswith("error: DATA/objects/") and "--repair" in outputs[0][1]


def test_engine_options_that_cannot_work_are_one_line_errors(demo_dir: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    from readiness.assess import _dask

    data = _copy(demo_dir, tmp_path / "data")
    code, err, _ = _score(data, "--scheduler", "tcp://127.0.0.1:8786")
    assert code == 1 and "--engine dask" in err and len(err.strip().splitlines()) == 1
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setattr(_dask, "CONNECT_TIMEOUT", "1s")
    code, err, _ = _score(data, "--engine", "dask", "--scheduler", f"tcp://127.0.0.1:{port}")
    assert code == 1 and f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}" in err, err
    assert len(err.strip().splitlines()) == 1


def test_a_worker_with_other_code_refuses(tmp_path: Path) -> None:
    from readiness.assess import _dask
    from readiness.errors import ReadinessError

    data = _small(tmp_path / "data")
    rub = rubric.load(data=data)
    inputs = ev.Inputs(rub, {}, [], [], "k")
    with pytest.raises(ReadinessError, match="runs other readiness code"):
        _dask._run_batch(str(data), [], [], _dask._Shipped(inputs, "0" * 64, ()))
