"""Object storage as the data directory, against a real S3 server (moto) on 127.0.0.1.

``readiness collect`` writes into ``s3://``; ``score`` reads from it the same numbers as from a
local directory; a collector killed between its uploads and its manifest leaves no visible
snapshot; no credential is stored, in the bucket or in the local mirror.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from textwrap import dedent

import pytest
from click.testing import CliRunner

pytest.importorskip("s3fs", reason="pip install 'readiness[s3]'")
moto_server = pytest.importorskip("moto.server", reason="pip install 'moto[server]'")

from readiness import store  # noqa: E402
from readiness.cli import main  # noqa: E402
from readiness.store import paths  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
KEY_ID = "AKIAREADINESSTEST0042"  # moto accepts any credentials: these must never be stored
SECRET = "readiness-test-secret-9f8e7d6c5b4a"
TOKEN = "readiness-test-session-token-31d2c0"  # as IRSA or an assumed role gives it

REPO = {
    "apps/web.yaml": """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, namespace: shop}
        spec:
          replicas: 3
          template:
            spec:
              containers:
              - name: web
                image: nginx:1.27.3
                resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {memory: 128Mi}}
                readinessProbe: {httpGet: {path: /healthz, port: 8080}}
                livenessProbe: {httpGet: {path: /healthz, port: 8080}}
        ---
        apiVersion: policy/v1
        kind: PodDisruptionBudget
        metadata: {name: web, namespace: shop}
        spec: {minAvailable: 2, selector: {matchLabels: {app: web}}}
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: default-deny, namespace: shop}
        spec: {podSelector: {}, policyTypes: [Ingress]}
    """,
    "infra/velero.yaml": """
        apiVersion: velero.io/v1
        kind: Schedule
        metadata: {name: daily, namespace: velero}
        spec: {schedule: "0 3 * * *", template: {ttl: 720h0m0s}}
    """,
    "infra/alerts.yaml": """
        apiVersion: monitoring.coreos.com/v1
        kind: PrometheusRule
        metadata: {name: shop, namespace: monitoring}
        spec:
          groups:
          - name: shop
            rules:
            - alert: WebDown
              expr: up{job="web"} == 0
              for: 5m
              labels: {severity: critical}
              annotations: {runbook_url: docs/runbooks/web-down.md}
    """,
    "docs/runbooks/web-down.md": "# Web down\n\n1. Check the pods.\n",
    ".github/workflows/ci.yml": """
        name: ci
        on: [push]
        jobs:
          test:
            runs-on: ubuntu-latest
            steps:
            - uses: actions/checkout@v4
            - run: make test
    """,
}


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    """A moto S3 server on 127.0.0.1 for this module's tests."""
    port = _port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3(endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh bucket; the AWS_* environment a CronJob would have; a mirror of our own. Returns ``s3://bucket``."""
    env = {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET,
           "AWS_SESSION_TOKEN": TOKEN, "AWS_DEFAULT_REGION": "us-east-1", "READINESS_CACHE": str(tmp_path / "cache")}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("READINESS_DATA", raising=False)
    import s3fs

    bucket = f"fleet-{uuid.uuid4().hex[:10]}"
    s3fs.S3FileSystem(anon=False).mkdir(bucket)
    return f"s3://{bucket}"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "gitops"
    for rel, text in REPO.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def _collect(data: str, repo: Path, cluster: str) -> None:
    out = CliRunner().invoke(main, ["collect", "--repo", str(repo), "--view", "files", "--cluster", cluster,
                                    "--data", data])
    assert out.exit_code == 0, out.output
    assert f"-> {data} (repo-" in out.stdout  # the user sees the URL, not the mirror's path


def _score(data: str) -> dict:
    out = CliRunner().invoke(main, ["score", "--data", data, "--format", "json"])
    assert out.exit_code == 0, out.output
    return json.loads(out.stdout)


def _objects(url: str) -> dict[str, bytes]:
    import s3fs

    fs = s3fs.S3FileSystem()
    fs.invalidate_cache()
    bucket = url.removeprefix("s3://")
    return {k[len(bucket) + 1:]: fs.cat_file(k) for k in fs.find(bucket)}


def _numbers(doc: dict) -> dict:
    """What a score says: overall, categories, clusters and every check's status per cluster."""
    return {k: doc[k] for k in doc if k not in ("as_of",)}


def test_collect_into_s3_then_score_gives_the_local_numbers(s3: str, repo: Path, tmp_path: Path) -> None:
    url, local = f"{s3}/fleet", str(tmp_path / "local")
    for data in (url, local):
        _collect(data, repo, "studio")
        _collect(data, repo, "pi")
    remote, here = _score(url), _score(local)
    assert _numbers(remote) == _numbers(here)
    assert remote["overall"] > 0 and {c["name"] for c in remote["clusters"]} == {"pi", "studio"}

    stored = _objects(url)
    manifests = sorted(k for k in stored if k.startswith("manifests/"))
    assert len(manifests) == 2 and all(k.endswith(".json") for k in manifests)
    for key in manifests:  # each manifest names exactly its snapshot's three files, all present
        doc = json.loads(stored[key])
        assert sorted(doc["files"]) == ["coverage", "objects", "snapshots"]
        assert all(f in stored and f.startswith(f"{t}/cluster={doc['cluster']}/") for t, f in doc["files"].items())
    assert any(k.startswith("findings/digest=") for k in stored)  # stored findings live in the bucket too

    # A second machine (an empty mirror) reads the same numbers from the bucket alone, and the
    # findings the first one stored there: it evaluates nothing.
    os.environ["READINESS_CACHE"] = str(tmp_path / "another-cache")
    os.environ["READINESS_EVALUATION_LOG"] = str(log := tmp_path / "evaluations")
    try:
        assert _numbers(_score(url)) == _numbers(here)
    finally:
        del os.environ["READINESS_EVALUATION_LOG"]
    assert not log.exists() or log.read_text() == ""


def test_a_collector_killed_before_its_manifest_leaves_no_visible_snapshot(s3: str, repo: Path) -> None:
    url = f"{s3}/fleet"
    _collect(url, repo, "studio")
    first = store.snapshots(paths.data_dir(url))["snapshot_id"].to_list()
    # A real collector process, killed (SIGKILL) right after its data files went up, before its manifest.
    wrapper = dedent("""
        import os, signal, sys
        import s3fs
        put = s3fs.S3FileSystem.pipe_file
        def pipe_file(self, path, *args, **kwargs):
            if "/manifests/" in path:
                os.kill(os.getpid(), signal.SIGKILL)
            return put(self, path, *args, **kwargs)
        s3fs.S3FileSystem.pipe_file = pipe_file
        from readiness.cli import main
        main(sys.argv[1:])
    """)
    proc = subprocess.run([sys.executable, "-c", wrapper, "collect", "--repo", str(repo), "--view", "files",
                           "--cluster", "studio", "--data", url],
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=300)
    assert proc.returncode == -9, proc.stderr
    stored = _objects(url)
    snapshot_files = [k for k in stored if k.startswith("snapshots/")]
    assert len(snapshot_files) == 2  # the killed collector's files did go up ...
    assert len([k for k in stored if k.startswith("manifests/")]) == 1  # ... but not its manifest
    # ... so readers, with this machine's mirror (holding the killed run's local files) or a fresh one, see one.
    from readiness.store import _remote

    _remote._synced.clear()
    assert store.snapshots(paths.data_dir(url))["snapshot_id"].to_list() == first
    os.environ["READINESS_CACHE"] += "-fresh"
    assert store.snapshots(paths.data_dir(url))["snapshot_id"].to_list() == first
    _collect(url, repo, "studio")  # the next run commits as usual
    _remote._synced.clear()
    assert len(store.snapshots(paths.data_dir(url))) == 2


def test_a_collector_downloads_no_other_cluster_objects(s3: str, repo: Path, tmp_path: Path) -> None:
    url = f"{s3}/fleet"
    _collect(url, repo, "studio")
    os.environ["READINESS_CACHE"] = str(tmp_path / "pi-cronjob")  # another cluster's CronJob: a new pod
    _collect(url, repo, "pi")
    mirrored = sorted(p.relative_to(tmp_path / "pi-cronjob").parts[1:3]
                      for p in (tmp_path / "pi-cronjob").rglob("*.parquet"))
    assert ("snapshots", "cluster=studio") in mirrored  # enough to refuse mixing demo and collected data
    assert ("objects", "cluster=studio") not in mirrored and ("objects", "cluster=pi") in mirrored


def test_no_credential_is_stored(s3: str, repo: Path, tmp_path: Path) -> None:
    url = f"{s3}/fleet"
    _collect(url, repo, "studio")
    _score(url)
    stored = _objects(url)
    assert any(k.startswith("objects/") for k in stored) and any(k.startswith("findings/") for k in stored)
    mirrored = {str(p): p.read_bytes() for p in (tmp_path / "cache").rglob("*") if p.is_file()}
    assert any(p.endswith(".parquet") for p in mirrored)
    for where, blob in {**stored, **mirrored}.items():
        text = _text(blob)
        for secret in (KEY_ID, SECRET, TOKEN):
            assert secret not in text, f"{where} holds a credential"


def _text(blob: bytes) -> str:
    """What a stored file says, to search for a credential: its bytes as text and, for Parquet, every
    value and the key-value metadata (its pages are compressed: a stored string need not appear in
    the file's bytes)."""
    import io

    import pyarrow.parquet as pq

    text = blob.decode("utf-8", "replace")
    if not blob.startswith(b"PAR1"):
        return text
    meta = pq.read_metadata(io.BytesIO(blob)).metadata or {}
    rows = pq.read_table(io.BytesIO(blob)).to_pylist()
    return "\n".join([text, *(f"{k!r}: {v!r}" for k, v in meta.items()), json.dumps(rows, default=str)])


def test_the_credential_search_reads_inside_compressed_parquet(tmp_path: Path) -> None:
    import polars as pl

    leaky, clean = tmp_path / "leaky.parquet", tmp_path / "clean.parquet"
    reasons = [f"check {i}: {i % 3} of 3 replicas ready" for i in range(300)]
    pl.DataFrame({"reason": reasons}).write_parquet(clean)  # zstd, as every stored table
    reasons[150] = f"check 150: token {KEY_ID} {SECRET}"  # neither the column's min nor its max (statistics)
    pl.DataFrame({"reason": reasons}).write_parquet(leaky)
    assert KEY_ID.encode() not in leaky.read_bytes()  # a search of the bytes alone misses it ...
    assert KEY_ID in _text(leaky.read_bytes()) and SECRET in _text(leaky.read_bytes())  # ... not of the values
    assert KEY_ID not in _text(clean.read_bytes()) and "check 150: 0 of 3 replicas ready" in _text(clean.read_bytes())


def test_storage_errors_are_one_line(s3: str) -> None:
    missing = f"s3://no-such-bucket-{uuid.uuid4().hex[:8]}/fleet"
    out = CliRunner().invoke(main, ["score", "--data", missing])
    assert out.exit_code != 0
    assert out.output.strip().startswith(f"error: {missing}: the bucket no-such-bucket-")
    assert "does not exist" in out.output and len(out.output.strip().splitlines()) == 1
    url = f"{s3}/empty"  # a bucket without snapshots names the URL, not the local mirror
    out = CliRunner().invoke(main, ["score", "--data", url])
    assert out.exit_code != 0 and out.output.startswith(f"error: {url}: no snapshots found")
    for command in (["scrub"], ["doctor", "--repair"]):  # they rewrite files in place: refused, nothing touched
        out = CliRunner().invoke(main, [*command, "--data", f"{s3}/fleet"])
        assert out.exit_code == 1 and "object storage does not support" in out.output.replace("\n", " ")
    out = CliRunner().invoke(main, ["score", "--data", f"s3://{KEY_ID}:{SECRET}@bucket/fleet"])
    assert out.exit_code != 0 and SECRET not in out.output and "credentials in the --data URL" in out.output


def test_doctor_names_the_url_not_the_mirror(s3: str, repo: Path, tmp_path: Path) -> None:
    url = f"{s3}/fleet"
    _collect(url, repo, "studio")
    out = CliRunner().invoke(main, ["doctor", "--data", url])
    assert out.exit_code == 0, out.output
    assert out.stdout.splitlines()[-1] == f"{url}: healthy"  # collected just now: nothing to warn of
    assert str(tmp_path / "cache") not in out.output


def test_a_local_data_directory_never_imports_the_storage_libraries(demo_dir: Path) -> None:
    code = ("import sys; from readiness.cli import main\n"
            "try:\n    main(sys.argv[1:])\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
            "heavy = ('fsspec', 's3fs', 'botocore', 'aiobotocore')\n"
            "loaded = sorted(m for m in sys.modules if m.split('.')[0] in heavy)\n"
            "assert not loaded, loaded\nprint('clean')")
    proc = subprocess.run([sys.executable, "-c", code, "score", "--data", str(demo_dir)],
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0 and proc.stdout.strip().endswith("clean"), proc.stderr


def _metrics(data: str, *options: str) -> dict[str, float]:
    """Series -> value of ``readiness metrics``, without the evidence's time and age (each
    directory collected its own, seconds apart), values to 12 significant digits (a sum's last
    bit depends on the order of its terms)."""
    out = CliRunner().invoke(main, ["metrics", "--data", data, *options])
    assert out.exit_code == 0, out.output
    series = [line.rsplit(" ", 1) for line in out.stdout.splitlines() if line and not line.startswith("#")]
    return {name: float(f"{float(value):.12g}") for name, value in series
            if not name.startswith("readiness_evidence_")}


def test_metrics_of_one_cluster_downloads_only_that_cluster(s3: str, repo: Path, tmp_path: Path) -> None:
    import s3fs

    url, local = f"{s3}/fleet", tmp_path / "local"
    for data in (url, str(local)):
        _collect(data, repo, "studio")
        _collect(data, repo, "pi")
    waivers = ("waivers:\n  - {check: backup_velero_installed, cluster: studio, reason: x, owner: me, "
               "expires: 2099-01-01}\n")
    (local / "waivers.yaml").write_text(waivers, encoding="utf-8")  # names the other cluster: still valid
    s3fs.S3FileSystem().pipe_file(f"{url.removeprefix('s3://')}/waivers.yaml", waivers.encode())
    before = sorted(_objects(url))

    cache = tmp_path / "pi-metrics"  # the pi CronJob's pod: an empty mirror
    os.environ["READINESS_CACHE"] = str(cache)
    got = _metrics(url, "--cluster", "pi")
    assert got == _metrics(str(local), "--cluster", "pi")
    assert 0 < got['readiness_score_ratio{category="overall",cluster="pi"}'] < 1
    assert not [name for name in got if 'cluster="studio"' in name]
    # the mirror is $READINESS_CACHE/<16 hex>/; $READINESS_CACHE/snapshots/ holds the snapshot index
    mirrored = {p.relative_to(cache).parts[1:3] for p in cache.rglob("*.parquet")
                if p.relative_to(cache).parts[0] != "snapshots"}
    assert mirrored == {(table, "cluster=pi") for table in ("objects", "coverage", "snapshots")}
    assert sorted(_objects(url)) == before  # nothing stored: a segment per cluster and run would pile up

    from readiness.store import _remote

    _remote._synced.clear()  # the whole fleet next (a report): everything comes down, findings are stored again
    assert len(_score(url)["clusters"]) == 2 and list(cache.glob("*/objects/cluster=studio"))
    assert any(k.startswith("findings/") and k not in before for k in _objects(url))


MONTH = "2026-02"  # one month of the demo fleet: 5 clusters x 4 weeks, the report stays as short as it gets


def _numbers_of_report(out: Path) -> tuple[object, ...]:
    """What a report says, by number: report.json, clusters.csv and every number in the Markdown."""
    import re

    md = (out / MONTH / "production-readiness.md").read_text(encoding="utf-8")
    number = re.compile(r"(?<![\w.\-/:#])[-+]?\d+(?:\.\d+)?(?![\w\-/:])")  # as tests/test_report.py reads them
    return (json.loads((out / MONTH / "report.json").read_text(encoding="utf-8")),
            (out / MONTH / "clusters.csv").read_text(encoding="utf-8"), number.findall(md))


@pytest.mark.slow
def test_report_from_s3_gives_the_local_numbers(s3: str, demo_dir: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("papermill", reason="the report's toolchain (papermill) is not installed")
    pytest.importorskip("pypandoc", reason="the report's toolchain (pypandoc-binary) is not installed")
    import polars as pl
    import s3fs

    monkeypatch.setenv("READINESS_NO_CHROMIUM", "1")  # numbers only: figures stay interactive
    url, local = f"{s3}/fleet", tmp_path / "local"
    mirror = paths.own_data_dir(url)  # as a collector writes: each snapshot committed by its manifest
    for snap in sorted((demo_dir / "snapshots").glob(f"cluster=*/date={MONTH}-*/*.parquet")):
        part = snap.relative_to(demo_dir / "snapshots")
        tables = {t: pl.read_parquet(demo_dir / t / part) for t in ("objects", "coverage", "snapshots")}
        store.write_snapshot(mirror, tables["objects"], tables["snapshots"], tables["coverage"])
        store.write_snapshot(local, tables["objects"], tables["snapshots"], tables["coverage"])
    bucket = s3fs.S3FileSystem()
    for own in demo_dir.glob("*.y*ml"):  # fleet.yaml, waivers.yaml, attestations.yaml: as `aws s3 cp` puts them
        (local / own.name).write_bytes(own.read_bytes())
        bucket.pipe_file(f"{url.removeprefix('s3://')}/{own.name}", own.read_bytes())
    os.environ["READINESS_CACHE"] = str(tmp_path / "report-machine")  # another machine: an empty mirror

    reports = {}
    for name, data in (("s3", url), ("local", str(local))):
        out = tmp_path / f"reports-{name}"
        run = CliRunner().invoke(main, ["report", "--data", data, "--out", str(out), "--month", MONTH, "--no-pdf",
                                        "--renderer", "pandoc", "--no-collect"])
        assert run.exit_code == 0, run.output
        reports[name] = _numbers_of_report(out)
    assert reports["s3"] == reports["local"]
    score = reports["s3"][0]["score"]  # type: ignore[index]
    assert score["overall"] > 0 and len(score["clusters"]) == 5
    assert any(k.startswith("findings/digest=") for k in _objects(url))  # the report's findings went up
