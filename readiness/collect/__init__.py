"""Collecting evidence: the live state of clusters (``collect_clusters``) and the desired state in a
GitOps repository (``collect_repo``), written as one snapshot each into the Parquet tables.

Exit statuses of ``readiness collect`` (also in ``readiness collect --help``):
``EXIT_OK`` every cluster collected fully; ``EXIT_PARTIAL`` some resource type of some cluster
was forbidden or failed; ``EXIT_UNREACHABLE`` at least one cluster could not be read at all (the
others were still written). 1 is an error before collecting (bad kubeconfig, unknown context),
2 a usage error.
"""

from __future__ import annotations

from readiness.collect.catalogue import Resource, cluster_role
from readiness.collect.catalogue import load as load_catalogue
from readiness.collect.kube import Settings
from readiness.collect.live import ClusterResult, Progress, collect_clusters
from readiness.collect.repo import RepoResult, collect_deployed, collect_repo
from readiness.collect.repo import clusters as repo_clusters
from readiness.collect.targets import Target, cluster_name, resolve

EXIT_OK = 0
EXIT_PARTIAL = 3
EXIT_UNREACHABLE = 4


def exit_status(results: list[ClusterResult]) -> int:
    """The exit status for a run: unreachable beats partial beats ok."""
    statuses = {r.status for r in results}
    if "unreachable" in statuses:
        return EXIT_UNREACHABLE
    if "partial" in statuses:
        return EXIT_PARTIAL
    return EXIT_OK


__all__ = [
    "EXIT_OK",
    "EXIT_PARTIAL",
    "EXIT_UNREACHABLE",
    "ClusterResult",
    "Progress",
    "RepoResult",
    "Resource",
    "Settings",
    "Target",
    "cluster_name",
    "cluster_role",
    "collect_clusters",
    "collect_deployed",
    "collect_repo",
    "exit_status",
    "load_catalogue",
    "repo_clusters",
    "resolve",
]
