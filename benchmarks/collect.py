"""Benchmark of ``readiness collect`` against the floor, the naive client and kubectl, on the test API server.

    .venv/bin/python benchmarks/collect.py [--sizes 10000,50000,200000] [--page-size 500] [--repeat 3]
                                           [--naive-max 50000] [--kubectl-max 50000]

The server (tests/collect/kubeapi.py) runs in its own process with every page pre-encoded, so
the numbers measure the client. For each size it runs, each in a fresh process:

- floor: the same HTTP pages through the same client and keep-alive connection, each parsed with
  ``json.loads`` (issue 15's floor), nothing sanitized or written; ``floor-orjson`` parses with
  orjson, the parser ours uses (printed for honesty: the floor of what the machine allows);
- ours:  ``collect_clusters`` with the packaged catalogue (raw JSON pages, rows streamed to Parquet);
- naive: ``CoreV1Api.list_pod_for_all_namespaces`` pages returning models, turned into the same
  rows with the same stripping, held in memory and written at the end with ``store.write_snapshot``;
- kubectl: ``kubectl get pods -A -o json --chunk-size=PAGE`` to /dev/null, when kubectl is on PATH.

Runs are paired: each repeat runs every mode back to back, and the fastest of ``--repeat`` counts
for each. It prints wall times, CPU times (a loaded machine stretches wall time more), the
ratios ours/floor (target <= 2.0), naive/ours (>= 10) and kubectl/ours, and the growth of each
process' peak RSS during the collection (flat from 10k to 200k for ours). Naive and kubectl hold
everything in memory (kubectl needs ~17 GB at 200k Pods): they run only up to ``--naive-max``/``--kubectl-max`` objects.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "collect"))

CONTEXT = "bench"


def make_pod(i: int) -> dict[str, Any]:
    """A realistic ~3 KB Pod as the API server lists it."""
    name = f"api-{i // 3:05d}-{i % 3}"
    ns = f"team-{i % 40:02d}"
    ts = "2026-02-27T12:30:00Z"
    container = {
        "name": "api", "image": "ghcr.io/example/api:1.4.2", "imagePullPolicy": "IfNotPresent",
        "args": ["--port=8080", "--log-level=info"],
        "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
        "env": [{"name": "LOG_LEVEL", "value": "info"}, {"name": "DATABASE_URL", "value": f"postgres://u:pw{i}@db/x"},
                {"name": "POD_IP", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "status.podIP"}}}],
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
        "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080, "scheme": "HTTP"}, "periodSeconds": 10,
                           "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3},
        "livenessProbe": {"httpGet": {"path": "/live", "port": 8080, "scheme": "HTTP"}, "periodSeconds": 10,
                          "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3},
        "volumeMounts": [{"name": "config", "mountPath": "/etc/api", "readOnly": True},
                         {"name": "kube-api-access", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                          "readOnly": True}],
        "securityContext": {"runAsNonRoot": True, "allowPrivilegeEscalation": False,
                            "capabilities": {"drop": ["ALL"]}},
        "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
    }
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {
            "name": name, "namespace": ns, "uid": f"0000{i:08d}-aaaa-bbbb-cccc-dddddddddddd",
            "resourceVersion": str(100000 + i), "creationTimestamp": ts, "generateName": f"api-{i // 3:05d}-",
            "labels": {"app.kubernetes.io/name": "api", "app.kubernetes.io/instance": f"api-{i % 40}",
                       "pod-template-hash": "7d9f8b6c5d"},
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": json.dumps(container),
                            "prometheus.io/scrape": "true"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": f"api-{i // 3:05d}",
                                 "uid": "11111111-2222-3333-4444-555555555555", "controller": True,
                                 "blockOwnerDeletion": True}],
            "managedFields": [{"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "v1",
                               "time": ts, "fieldsType": "FieldsV1",
                               "fieldsV1": {"f:metadata": {"f:labels": {".": {}, "f:app": {}}}}}],
        },
        "spec": {
            "containers": [container],
            "volumes": [{"name": "config", "configMap": {"name": "api-config", "defaultMode": 420}},
                        {"name": "kube-api-access", "projected": {"defaultMode": 420, "sources": [
                            {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}}]}}],
            "restartPolicy": "Always", "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst",
            "serviceAccountName": "api", "serviceAccount": "api", "nodeName": f"node-{i % 50}",
            "securityContext": {"runAsUser": 1000, "fsGroup": 1000}, "schedulerName": "default-scheduler",
            "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
                             "tolerationSeconds": 300}],
            "priority": 0, "enableServiceLinks": True, "preemptionPolicy": "PreemptLowerPriority",
        },
        "status": {
            "phase": "Running", "hostIP": "10.0.0.5", "podIP": f"10.1.{i % 250}.{i % 200}", "startTime": ts,
            "qosClass": "Burstable",
            "conditions": [{"type": t, "status": "True", "lastProbeTime": None, "lastTransitionTime": ts}
                           for t in ("Initialized", "Ready", "ContainersReady", "PodScheduled")],
            "containerStatuses": [{"name": "api", "ready": True, "restartCount": 0, "started": True,
                                   "image": "ghcr.io/example/api:1.4.2",
                                   "imageID": "ghcr.io/example/api@sha256:" + "ab" * 32,
                                   "containerID": "containerd://" + "cd" * 32,
                                   "state": {"running": {"startedAt": ts}}, "lastState": {}}],
        },
    }


def serve(n: int, page_size: int) -> None:
    """Child process: serve ``n`` pods, print the URL, run until stdin closes."""
    from kubeapi import KubeAPI

    api = KubeAPI(token=None)  # kubectl sends no bearer token over plain HTTP; the other clients still send one
    api.add(make_pod(i) for i in range(n))
    api.freeze(page_size)
    print(api.start(), flush=True)
    sys.stdin.read()
    api.stop()


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def run(mode: str, kubeconfig: str, data: str, page_size: int) -> None:
    """Child process: collect once, print a JSON line of measurements."""
    import tracemalloc

    from kubernetes import client, config

    from readiness import store
    from readiness.collect import Settings, collect_clusters, load_catalogue, resolve
    from readiness.collect.sanitize import row_fields
    from readiness.store import schema

    trace = mode.endswith("-tracemalloc")
    child_rss = 0.0
    before = _rss_mb()
    if trace:
        tracemalloc.start()
    start, cpu_start = time.perf_counter(), time.process_time()
    if mode.startswith("floor"):
        import orjson

        from readiness.collect import kube

        [target] = resolve(kubeconfig, (CONTEXT,), False, False, ())
        parse = orjson.loads if mode == "floor-orjson" else json.loads
        with kube.api_client(target) as api:
            transport = kube.Transport(api, CONTEXT, Settings(timeout=60))
            objects, token = 0, None
            while True:
                query: list[tuple[str, Any]] = [("limit", page_size)] + ([("continue", token)] if token else [])
                status, data, _ = transport._send("/api/v1/pods", query, kube.JSON)
                assert status == 200, status
                body = parse(data)
                objects += len(body["items"])
                token = body["metadata"].get("continue")
                if not token:
                    break
    elif mode == "kubectl":
        out = subprocess.run(["kubectl", "--kubeconfig", kubeconfig, "--context", CONTEXT, "get", "pods", "-A",
                              "-o", "json", f"--chunk-size={page_size}"], stdout=subprocess.PIPE, check=True)
        objects = out.stdout.count(b'"kind": "Pod"')
        child_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    elif mode.startswith("ours"):
        targets = resolve(kubeconfig, (CONTEXT,), False, False, ())
        [result] = collect_clusters(targets, load_catalogue(), data, Settings(timeout=60, page_size=page_size))
        objects = result.objects
    else:
        import polars as pl

        api_client = config.new_client_from_config(config_file=kubeconfig, context=CONTEXT, persist_config=False)
        v1 = client.CoreV1Api(api_client)
        rows: list[tuple[Any, ...]] = []
        token = None
        while True:
            page = v1.list_pod_for_all_namespaces(limit=page_size, _continue=token, _request_timeout=60)
            for pod in page.items:
                obj = api_client.sanitize_for_serialization(pod)
                obj["apiVersion"], obj["kind"] = "v1", "Pod"  # list items come without their type, as ours handles
                rows.append(("v1", "Pod", *row_fields(obj)))
            token = page.metadata._continue if page.metadata else None
            if not token:
                break
        api_client.close()
        at = pl.datetime(2026, 3, 1, time_zone="UTC")
        frame = pl.DataFrame(rows, schema=list(schema.OBJECTS)[4:], orient="row").with_columns(
            snapshot_id=pl.lit("naive"), cluster=pl.lit("bench"), collected_at=at, source=pl.lit("live"))
        snaps = pl.DataFrame({"snapshot_id": ["naive"], "cluster": ["bench"], "source": ["live"], "status": ["ok"],
                              "error": [None]}, schema_overrides={"error": pl.String}).with_columns(collected_at=at)
        store.write_snapshot(data, frame.select(list(schema.OBJECTS)), snaps.select(list(schema.SNAPSHOTS)),
                             schema.empty("coverage"))
        objects = frame.height
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    if mode == "kubectl":  # its own CPU time
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = children.ru_utime + children.ru_stime
    traced = tracemalloc.get_traced_memory()[1] / 2**20 if trace else None
    growth = child_rss if mode == "kubectl" else _rss_mb() - before  # kubectl: its own peak RSS
    print(json.dumps({"mode": mode, "objects": objects, "seconds": seconds, "cpu_seconds": cpu, "rss_growth_mb": growth,
                      "rss_peak_mb": _rss_mb(), "python_peak_mb": traced}), flush=True)


def measure(mode: str, kubeconfig: Path, page_size: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as data:
        out = subprocess.run([sys.executable, __file__, "run", mode, str(kubeconfig), data, str(page_size)],
                             check=False, capture_output=True, text=True, cwd=ROOT)
    if out.returncode:
        raise SystemExit(f"{mode} failed:\n{out.stderr}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def bench(n: int, page_size: int, workdir: Path, repeat: int, modes: list[str]) -> dict[str, Any]:
    """Paired runs of ``modes`` against one server of ``n`` Pods; the fastest of ``repeat`` per mode."""
    from kubeapi import write_kubeconfig

    server = subprocess.Popen([sys.executable, __file__, "serve", str(n), str(page_size)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, cwd=ROOT)
    best: dict[str, dict[str, Any]] = {}
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        kubeconfig = write_kubeconfig(workdir / f"kubeconfig-{n}", {CONTEXT: url})
        for _ in range(repeat):
            for mode in modes:
                r = measure(mode, kubeconfig, page_size)
                assert r["objects"] == n, r
                if mode not in best or r["seconds"] < best[mode]["seconds"]:
                    best[mode] = {**r, "cpu_seconds": min(r["cpu_seconds"], best.get(mode, r)["cpu_seconds"])}
                else:
                    best[mode]["cpu_seconds"] = min(best[mode]["cpu_seconds"], r["cpu_seconds"])
        best["ours-tracemalloc"] = measure("ours-tracemalloc", kubeconfig, page_size)
    finally:
        if server.stdin:
            server.stdin.close()
        server.wait(30)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,50000,200000", help="object counts, comma-separated")
    parser.add_argument("--page-size", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3, help="paired runs per size; the fastest per mode counts")
    parser.add_argument("--naive-max", type=int, default=50000, help="largest size the naive client runs at")
    parser.add_argument("--kubectl-max", type=int, default=50000, help="largest size kubectl runs at")
    args = parser.parse_args()
    kubectl = shutil.which("kubectl")
    print(f"{'objects':>8} {'floor s':>8} {'orjson s':>8} {'ours s':>7} {'naive s':>8} {'kubectl s':>9} "
          f"{'ours/floor':>10} {'ours/orjson':>11} {'naive/ours':>10} {'kubectl/ours':>12} "
          f"{'ours RSS+MB':>11} {'py peak MB':>10} {'naive RSS+MB':>12} {'kubectl RSS MB':>14}")
    rss: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(s) for s in args.sizes.split(",")):
            modes = ["floor", "floor-orjson", "ours"]
            modes += ["naive"] if n <= args.naive_max else []
            modes += ["kubectl"] if kubectl and n <= args.kubectl_max else []
            r = bench(n, args.page_size, Path(tmp), args.repeat, modes)
            ours = r["ours"]["seconds"]

            def sec(mode: str, r: dict[str, Any] = r) -> str:
                return f"{r[mode]['seconds']:.2f}" if mode in r else "-"

            def ratio(mode: str, over_ours: bool, r: dict[str, Any] = r, ours: float = ours) -> str:
                if mode not in r:
                    return "-"
                return f"{(r[mode]['seconds'] / ours) if over_ours else (ours / r[mode]['seconds']):.2f}"

            def mem(mode: str, r: dict[str, Any] = r) -> str:
                return f"{r[mode]['rss_growth_mb']:.0f}" if mode in r else "-"

            rss.append(r["ours"]["rss_growth_mb"])
            print(f"{n:>8} {sec('floor'):>8} {sec('floor-orjson'):>8} {sec('ours'):>7} {sec('naive'):>8} "
                  f"{sec('kubectl'):>9} {ratio('floor', False):>10} {ratio('floor-orjson', False):>11} "
                  f"{ratio('naive', True):>10} {ratio('kubectl', True):>12} {mem('ours'):>11} "
                  f"{r['ours-tracemalloc']['python_peak_mb']:>10.0f} {mem('naive'):>12} {mem('kubectl'):>14}",
                  flush=True)
            cpu = {mode: r[mode]["cpu_seconds"] for mode in modes}
            print(f"{n:>8} CPU seconds (best of {args.repeat}): "
                  + ", ".join(f"{mode} {c:.2f}" for mode, c in cpu.items())
                  + f"; CPU ours/floor {cpu['ours'] / cpu['floor']:.2f}, ours/floor-orjson "
                  f"{cpu['ours'] / cpu['floor-orjson']:.2f}"
                  + (f", naive/ours {cpu['naive'] / cpu['ours']:.2f}" if "naive" in cpu else ""), flush=True)
    print(f"ours peak RSS growth from the smallest to the largest size: {rss[0]:.0f} MB -> {rss[-1]:.0f} MB "
          f"({rss[-1] / max(rss[0], 1.0):.2f}x)")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        serve(int(sys.argv[2]), int(sys.argv[3]))
    elif len(sys.argv) > 1 and sys.argv[1] == "run":
        run(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
    else:
        main()
