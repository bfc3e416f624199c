"""Drift between what a GitOps repository declares and what a cluster runs.

A cluster with both a ``live`` snapshot and a ``repo`` snapshot can be compared: components the
repository installs that the cluster does not run, and components the cluster runs that nothing
in the repository declares (applied by hand, or left over).
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl

from readiness import store
from readiness.assess.checks.base import ClusterSnapshot, KubeObject
from readiness.assess.checks.common import installers, names_of, ready_count, where, workloads
from readiness.assess.evaluate import end_of
from readiness.store import paths

FLUX_HELM = ("helm.toolkit.fluxcd.io", "HelmRelease")
FLUX_KUSTOMIZE = ("kustomize.toolkit.fluxcd.io", "Kustomization")
ARGO_APP = ("argoproj.io", "Application")
# Installers compared by identity (kind, namespace, name), and workloads.
COMPARED = (FLUX_HELM, FLUX_KUSTOMIZE, ARGO_APP)
# Labels and annotations by which an observed workload names the release or Application that installed it.
OWNER_KEYS = ("helm.toolkit.fluxcd.io/name", "argocd.argoproj.io/instance", "app.kubernetes.io/instance",
              "kustomize.toolkit.fluxcd.io/name")
OWNER_ANNOTATIONS = ("meta.helm.sh/release-name",)
SCHEMA = pl.Schema({"cluster": pl.String(), "state": pl.String(), "kind": pl.String(), "namespace": pl.String(),
                    "name": pl.String(), "declared_in": pl.String(), "observed": pl.String()})
DECLARED_NOT_RUNNING = "declared_not_running"
RUNNING_NOT_DECLARED = "running_not_declared"


def _snapshot(data_dir: Path, cluster: str, snapshot_id: str, at: datetime) -> ClusterSnapshot:
    objs = store.scan(data_dir, "objects", [cluster]).filter(pl.col("snapshot_id") == snapshot_id).collect()
    return ClusterSnapshot(cluster, at, objs)


def _owners(w: KubeObject) -> set[str]:
    return {str(w.labels[k]) for k in OWNER_KEYS if w.labels.get(k)} | {
        str(w.annotations[k]) for k in OWNER_ANNOTATIONS if w.annotations.get(k)}


def compare(declared: ClusterSnapshot, observed: ClusterSnapshot) -> list[dict[str, str | None]]:
    """Drift rows (``SCHEMA`` without ``cluster``) between a repository's and a cluster's objects."""
    rows: list[dict[str, str | None]] = []
    for group, kind in COMPARED:
        seen = {(i.namespace, i.name): i for i in observed.items(group, kind)}
        want = {(i.namespace, i.name): i for i in declared.items(group, kind)}
        for key, item in want.items():
            if key not in seen:
                rows.append({"state": DECLARED_NOT_RUNNING, "kind": kind, "namespace": key[0], "name": key[1],
                             "declared_in": where(item), "observed": "absent"})
            elif seen[key].condition("Ready") is False:
                rows.append({"state": DECLARED_NOT_RUNNING, "kind": kind, "namespace": key[0], "name": key[1],
                             "declared_in": where(item), "observed": "not Ready"})
        for key, item in seen.items():
            if key not in want and want:
                rows.append({"state": RUNNING_NOT_DECLARED, "kind": kind, "namespace": key[0], "name": key[1],
                             "declared_in": None, "observed": item.ref})
    running = {(w.kind, w.namespace, w.name): w for w in workloads(observed)}
    for w in workloads(declared):
        live = running.get((w.kind, w.namespace, w.name))
        if live is None or ready_count(live)[0] == 0:
            shown = "absent" if live is None else f"{ready_count(live)[0]}/{ready_count(live)[1]} ready"
            rows.append({"state": DECLARED_NOT_RUNNING, "kind": w.kind, "namespace": w.namespace, "name": w.name,
                         "declared_in": where(w), "observed": shown})
    manifests = {(w.kind, w.namespace, w.name) for w in workloads(declared)}
    names: set[str] = set()
    for i in installers(declared):
        names |= names_of(i)
    for wkey, w in running.items():
        if wkey in manifests or (w.namespace or "").startswith("kube-") or ready_count(w)[0] == 0:
            continue
        if {n.lower() for n in _owners(w)} & names or w.name.lower() in names:
            continue
        rows.append({"state": RUNNING_NOT_DECLARED, "kind": w.kind, "namespace": w.namespace, "name": w.name,
                     "declared_in": None, "observed": f"{ready_count(w)[0]}/{ready_count(w)[1]} ready"})
    return rows


def pairs(data: Path | str | None = None, *, clusters: list[str] | None = None,
          as_of: date | None = None) -> list[dict[str, Any]]:
    """Per cluster with snapshots (as of ``as_of``), the newest of each side ``drift`` compares: ``{"cluster",
    "live", "repo"}``, each ``{"snapshot_id", "collected_at"}`` or None when the cluster has no snapshot of that
    source (then it is not compared). Raises ``DataNotFoundError`` when the data directory has no snapshots."""
    snaps = store.snapshots(paths.data_dir(data), clusters)
    if as_of is not None:
        snaps = snaps.filter(pl.col("collected_at") <= end_of(as_of))
    out = []
    for (cluster,), part in snaps.sort("collected_at").group_by("cluster", maintain_order=True):
        sides: dict[str, Any] = {"cluster": str(cluster)}
        for source in ("live", "repo"):
            rows = part.filter(pl.col("source") == source)
            sides[source] = None if rows.is_empty() else {k: rows.row(-1, named=True)[k]
                                                         for k in ("snapshot_id", "collected_at")}
        out.append(sides)
    return sorted(out, key=lambda p: str(p["cluster"]))


def drift(data: Path | str | None = None, *, clusters: list[str] | None = None,
          as_of: date | None = None) -> pl.DataFrame:
    """Declared-but-not-running and running-but-not-declared components of every cluster that has
    both a cluster snapshot (``live``) and a ``repo`` snapshot, each side its newest as of ``as_of``.

    One row per component out of step, columns:

    - ``cluster``
    - ``state``: ``declared_not_running`` (the repository installs it; the cluster does not have
      it, or it is not Ready / has no ready replica) or ``running_not_declared`` (it runs, and no
      repository object installs it: not a manifest, not a HelmRelease / Application it belongs to)
    - ``kind``, ``namespace``, ``name``: the HelmRelease, Kustomization, Application or workload
    - ``declared_in``: the file (or ``Kind ns/name``) declaring it, null when not declared
    - ``observed``: what the cluster shows (``absent``, ``not Ready``, ``2/3 ready``, the object)

    Workloads in ``kube-*`` namespaces are left out of ``running_not_declared`` (the distribution
    installs them). A cluster without both kinds of snapshot has no rows (``pairs`` says which clusters
    were compared). Raises ``DataNotFoundError`` when the data directory has no snapshots.
    """
    data_dir = paths.data_dir(data)
    rows = []
    for p in pairs(data_dir, clusters=clusters, as_of=as_of):
        r, lv = p["repo"], p["live"]
        if r is None or lv is None:
            continue
        declared = _snapshot(data_dir, p["cluster"], r["snapshot_id"], r["collected_at"])
        observed = _snapshot(data_dir, p["cluster"], lv["snapshot_id"], lv["collected_at"])
        rows += [{"cluster": p["cluster"], **row} for row in compare(declared, observed)]
    return pl.DataFrame(rows, schema=SCHEMA).sort("cluster", "state", "kind", "namespace", "name", nulls_last=False)
