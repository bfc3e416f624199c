"""``readiness collect``: collect live clusters or a GitOps repository into the data directory."""

from __future__ import annotations

import shutil
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, TextIO

import click

from readiness.cli.options import DataLocation
from readiness.store import paths

if TYPE_CHECKING:
    from readiness.collect import Progress


def _stop(signum: int, frame: FrameType | None) -> None:
    # Turn SIGTERM into an exception so temporary files are removed on the way out.
    raise KeyboardInterrupt


class TerminalProgress:
    """Progress per cluster and resource type: one line redrawn in place on a terminal, else a line per type."""

    def __init__(self, stream: TextIO, live: bool) -> None:
        self.stream, self.live = stream, live
        self.state: dict[str, str] = {}
        self.lock = threading.Lock()
        self.last = 0.0

    def __call__(self, p: Progress) -> None:
        """Show one progress event of a collector thread (thread-safe; a terminal is redrawn at most
        every 0.1 s while a type is still being read)."""
        with self.lock:
            if not self.live:
                if p.outcome and p.label:
                    self.stream.write(f"{p.cluster}: [{p.index}/{p.total}] {p.label}: {p.outcome}, {p.count} objects\n")
                    self.stream.flush()
                return
            if p.outcome and not p.label:
                self.state.pop(p.cluster, None)
            else:
                self.state[p.cluster] = f"{p.cluster} {p.index}/{p.total} {p.label} {p.count}"
            now = time.monotonic()
            if now - self.last < 0.1 and p.outcome is None:
                return
            self.last = now
            width = shutil.get_terminal_size((100, 20)).columns - 1
            self.stream.write("\r\x1b[K" + " | ".join(self.state.values())[:width])
            self.stream.flush()

    def clear(self) -> None:
        """Erase the progress line on a terminal (nothing to erase otherwise)."""
        if self.live:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


EPILOG = """\b
Exit status:
  0  every cluster was collected fully (repository mode: the repository was read)
  3  partial: a resource type was forbidden (403) or failed on some cluster
  4  at least one cluster was unreachable (the others were still written)
  1  error before collecting (kubeconfig, unknown context, data directory)
  2  usage error

\b
Examples:
  readiness collect --kubeconfig ~/.kube/config --context prod --context staging
  readiness collect --all-contexts --cluster-name arn:aws:eks:eu-west-1:1:cluster/prod=prod
  readiness collect --in-cluster --cluster-name prod --data /data
  readiness collect --repo ../homelab                  (one snapshot per cluster it declares)
  readiness collect --repo ../homelab --cluster studio  (only what cluster studio gets)
  readiness collect --repo ../home-ops --root kubernetes/flux/cluster --cluster home
  readiness collect --repo ../homelab --view files --cluster studio --path infrastructure
  readiness collect --print-rbac > rbac.yaml
"""


@click.command(epilog=EPILOG)
@click.option("--kubeconfig", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="kubeconfig file (default: as kubectl finds it: $KUBECONFIG, else ~/.kube/config; inside a pod "
                   "without one, the pod's service account).")
@click.option("--context", "contexts", multiple=True, metavar="NAME",
              help="Context to collect; repeat for several (default: the current context).")
@click.option("--all-contexts", is_flag=True, help="Collect every context of the kubeconfig.")
@click.option("--in-cluster", is_flag=True, help="Use the pod's service account (when run as a pod, e.g. the CronJob).")
@click.option("--cluster-name", "cluster_names", multiple=True, metavar="[CONTEXT=]NAME",
              help="Name a cluster in the data (default: its context name, with characters other than letters, "
                   "digits, '.', '_', '-' replaced by '-'). CONTEXT=NAME maps one context; a bare NAME names the only "
                   "cluster collected (and the in-cluster one).")
@click.option("--repo", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="Collect a GitOps repository checkout instead of live clusters: by default one snapshot per "
                   "cluster it declares (Flux clusters/<name>/ roots, a FluxInstance's sync path, a flux-system "
                   "Kustomization's path, Argo CD Applications), of what that cluster gets.")
@click.option("--cluster", "repo_clusters", multiple=True, metavar="NAME",
              help="With --repo: only this declared cluster (repeatable); with --view files, the name of the "
                   "snapshot's cluster (default: the repository's directory name).")
@click.option("--root", "roots", multiple=True, metavar="DIR",
              help="With --repo: the directory (relative to the repository) a cluster's Flux applies first, when "
                   "the repository does not say so itself: the deployed view of that one cluster (named by "
                   "--cluster, else after the directory or the repository). Repeatable.")
@click.option("--view", type=click.Choice(["deployed", "files"]), default=None,
              help="With --repo: 'deployed' follows Flux Kustomizations and Argo CD Applications from each "
                   "cluster's root (default); 'files' reads every manifest of the repository (or of --path) "
                   "as written, as one snapshot.")
@click.option("--render", "renderer", type=click.Choice(["auto", "kubectl", "builtin"]), default="auto",
              show_default=True,
              help="With --repo: render kustomization.yaml with 'kubectl kustomize' (auto: when kubectl is on PATH) "
                   "or the built-in reader of its resources.")
@click.option("--path", "subdirs", multiple=True, metavar="SUBDIR",
              help="With --repo (implies --view files): read manifests only under SUBDIR (repeatable). "
                   "CI, documents and other repository facts always come from the whole repository.")
@click.option("--catalogue", "catalogues", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Extra resource catalogue (YAML, the packaged catalogue's format) to add or replace resource types.")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=30.0, show_default=True,
              help="Seconds per API request.")
@click.option("--retries", type=click.IntRange(min=0, max=10), default=3, show_default=True,
              help="Retries of a request answered 429/5xx or not answered, with exponential backoff.")
@click.option("--page-size", type=click.IntRange(min=1, max=10000), default=500, show_default=True,
              help="Objects per list request (limit/continue).")
@click.option("--parallel", type=click.IntRange(min=1, max=64), default=4, show_default=True,
              help="Clusters collected at the same time.")
@click.option("--data", type=DataLocation(), default=None,
              help="Data directory or object-storage URL (s3://bucket/prefix) to write into "
                   "(default: $READINESS_DATA, else ./data; never the demo's).")
@click.option("--progress/--no-progress", default=None,
              help="Show progress per cluster and resource type on stderr (default: when stderr is a terminal).")
@click.option("--print-rbac", is_flag=True, help="Print the read-only ClusterRole for the catalogue and exit.")
@click.pass_context
def collect(ctx: click.Context, kubeconfig: Path | None, contexts: tuple[str, ...], all_contexts: bool,
            in_cluster: bool, cluster_names: tuple[str, ...], repo: Path | None, repo_clusters: tuple[str, ...],
            roots: tuple[str, ...], view: str | None, renderer: str, subdirs: tuple[str, ...],
            catalogues: tuple[Path, ...], timeout: float, retries: int, page_size: int, parallel: int,
            data: Path | None, progress: bool | None, print_rbac: bool) -> None:
    """Collect the state of Kubernetes clusters (or a GitOps repository) into the data directory.

    Lists the resource types of the catalogue (core and apps kinds, Velero, Prometheus Operator,
    cert-manager, External Secrets, Flux, Argo, Flagger, Trivy, Chaos Mesh, Linkerd...) from each
    cluster, as one snapshot. Never requests Secrets; stores only what the sanitizer policy keeps
    (docs/collect.md): every other string value is replaced. Prints one summary line per cluster.
    """
    from readiness import collect as lib

    catalogue = lib.load_catalogue(catalogues)
    if print_rbac:
        import yaml

        click.echo(yaml.safe_dump(lib.cluster_role(catalogue), sort_keys=False, default_flow_style=None, width=110),
                   nl=False)
        return
    signal.signal(signal.SIGTERM, _stop)
    data_dir = paths.own_data_dir(data)
    if repo is not None:
        if kubeconfig or contexts or all_contexts or in_cluster or cluster_names:
            raise click.UsageError("--repo reads a repository: drop --kubeconfig/--context/--all-contexts/"
                                   "--in-cluster/--cluster-name")
        _collect_repo(repo, repo_clusters, view, renderer, subdirs, catalogue, data_dir, roots)
        return
    if repo_clusters or subdirs or view or roots:
        raise click.UsageError("--cluster, --root, --view and --path go with --repo; "
                               "for live clusters use --context/--cluster-name")
    targets = lib.resolve(str(kubeconfig) if kubeconfig else None, contexts, all_contexts, in_cluster, cluster_names)
    show = sys.stderr.isatty() if progress is None else progress
    reporter = TerminalProgress(sys.stderr, live=sys.stderr.isatty()) if show else None
    settings = lib.Settings(timeout=timeout, retries=retries, page_size=page_size)
    try:
        results = lib.collect_clusters(targets, catalogue, data_dir, settings, parallel=parallel, progress=reporter)
    finally:
        if reporter:
            reporter.clear()
    for r in results:
        click.echo(r.summary())
    if results:
        click.echo(f"snapshot {results[0].snapshot_id} of {len(results)} cluster(s) -> {paths.shown(data_dir)}")
    ctx.exit(lib.exit_status(results))


def _collect_repo(repo: Path, clusters: tuple[str, ...], view: str | None, renderer: str, subdirs: tuple[str, ...],
                  catalogue: Sequence[Any], data_dir: Path, roots: tuple[str, ...] = ()) -> None:
    """``collect --repo``: the deployed view of the clusters the repository declares (or of the one cluster
    ``--root`` names), else the files view."""
    from readiness import collect as lib
    from readiness.collect.deployed import LOOKED_FOR

    if subdirs and view == "deployed":
        raise click.UsageError("--path reads files as written: it goes with --view files")
    if roots and (view == "files" or subdirs or len(clusters) > 1):
        raise click.UsageError("--root declares one cluster for the deployed view: drop --view files/--path, "
                               "give at most one --cluster")
    declared = [c.name for c in lib.repo_clusters(repo)] if view is None and not subdirs and not roots else []
    if view is None and not subdirs and not roots and not declared:
        click.echo(f"{repo} declares no cluster (looked for {LOOKED_FOR}): collecting the files view. For the "
                   "deployed view, name the directory the cluster's Flux applies first: --root DIR", err=True)
        view = "files"
    elif view is None and len(clusters) == 1 and clusters[0] not in declared and not subdirs and not roots:
        # A name of the user's own for the whole repository (the habit of earlier versions): the files view.
        click.echo(f"{repo} declares clusters {', '.join(declared)}, not {clusters[0]}: collecting the files view "
                   f"of the whole repository as '{clusters[0]}' (--cluster {declared[0]} for what that cluster gets)",
                   err=True)
        view = "files"
    if view == "files" or subdirs:
        if len(clusters) > 1:
            raise click.UsageError("--view files writes one snapshot: give at most one --cluster")
        name = clusters[0] if clusters else lib.cluster_name(repo.resolve().name)
        result = lib.collect_repo(repo, name, data_dir, subdirs, catalogue=catalogue)
        click.echo(f"{result.summary()} -> {paths.shown(data_dir)} ({result.snapshot_id})")
        for line in result.skipped_lines():
            click.echo(line, err=True)
        return
    results = lib.collect_deployed(repo, data_dir, clusters, catalogue=catalogue, renderer=renderer, roots=roots)
    for r in results:
        click.echo(r.summary())
        for by, error in r.failed_builds:
            click.echo(f"  {r.cluster}: {by} does not build: {error}", err=True)
        for source in r.unfollowed:
            click.echo(f"  {r.cluster}: not followed: {source}", err=True)
        for line in r.skipped_lines():
            click.echo(line, err=True)
    click.echo(f"snapshot {results[0].snapshot_id} of {len(results)} cluster(s) (deployed view) -> "
               f"{paths.shown(data_dir)}")
