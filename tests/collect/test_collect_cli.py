"""``readiness collect`` on the command line: exit statuses, summaries, progress, help and RBAC."""

from __future__ import annotations

from pathlib import Path

import click
import yaml
from click.testing import CliRunner
from collect_helpers import pod, snapshot
from kubeapi import KubeAPI, write_kubeconfig

from readiness import store
from readiness.cli import main
from readiness.cli.collect import collect
from readiness.collect import EXIT_OK, EXIT_PARTIAL, EXIT_UNREACHABLE, cluster_role, load_catalogue

ROOT = Path(__file__).resolve().parents[2]
QUICK = ["--timeout", "2", "--retries", "0", "--page-size", "50"]


def invoke(*args: str | Path):
    return CliRunner().invoke(main, ["collect", *map(str, args)])


def test_unreachable_second_context_still_writes_the_first(kubeapi: KubeAPI, tmp_path: Path,
                                                           closed_port: int) -> None:
    kubeapi.add([pod("web"), pod("worker")])
    kc = write_kubeconfig(tmp_path / "kc", {"alpha": kubeapi.url, "beta": f"http://127.0.0.1:{closed_port}"})
    data = tmp_path / "data"
    result = invoke("--kubeconfig", kc, "--context", "alpha", "--context", "beta", "--data", data, *QUICK)
    assert result.exit_code == EXIT_UNREACHABLE, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("alpha: ok, 2 objects from ")
    assert lines[1].startswith("beta: unreachable: API discovery failed: /api: ") and "refused" in lines[1]
    assert lines[2].startswith("snapshot live-") and lines[2].endswith(f"of 2 cluster(s) -> {data}")
    assert sorted(store.objects(data, ["alpha"])["name"].to_list()) == ["web", "worker"]
    assert store.objects(data, ["beta"]).is_empty()
    assert snapshot(data, "alpha")["status"] == "ok"
    assert snapshot(data, "beta")["status"] == "unreachable"
    assert snapshot(data, "alpha")["snapshot_id"] == snapshot(data, "beta")["snapshot_id"]


def test_exit_status_ok_and_partial(kubeapi: KubeAPI, kubeconfig: Path, tmp_path: Path) -> None:
    kubeapi.add([pod("web")])
    ok = invoke("--kubeconfig", kubeconfig, "--data", tmp_path / "a", *QUICK)
    assert ok.exit_code == EXIT_OK, ok.output
    kubeapi.fail("/api/v1/pods", 403)
    partial = invoke("--kubeconfig", kubeconfig, "--data", tmp_path / "b", *QUICK)
    assert partial.exit_code == EXIT_PARTIAL
    assert "alpha: partial, 0 objects" in partial.stdout and "core/Pod forbidden" in partial.stdout


def test_progress_per_cluster_and_resource_type(kubeapi: KubeAPI, kubeconfig: Path, tmp_path: Path) -> None:
    kubeapi.add([pod(f"p{i}") for i in range(3)])
    result = invoke("--kubeconfig", kubeconfig, "--data", tmp_path / "d", "--progress", *QUICK)
    n = len(load_catalogue())
    assert f"alpha: [3/{n}] core/Pod: ok, 3 objects" in result.stderr
    assert f"alpha: [{n}/{n}] multicluster.linkerd.io/Link: absent, 0 objects" in result.stderr
    quiet = invoke("--kubeconfig", kubeconfig, "--data", tmp_path / "e", *QUICK)
    assert quiet.stderr == ""  # not a terminal: no progress unless asked


def test_errors_before_collecting_exit_1_and_usage_2(kubeconfig: Path, tmp_path: Path) -> None:
    unknown = invoke("--kubeconfig", kubeconfig, "--context", "nope", "--data", tmp_path)
    assert unknown.exit_code == 1
    assert unknown.stderr.startswith("error: cluster 'nope': no such context in ") and "known contexts: alpha" in (
        unknown.stderr)
    assert invoke("--repo", tmp_path, "--context", "alpha").exit_code == 2
    assert invoke("--repo", tmp_path, "--view", "deployed", "--path", ".").exit_code == 2  # --path reads files
    assert invoke("--path", "clusters").exit_code == 2  # --path goes with --repo


def test_help_documents_every_option() -> None:
    result = invoke("--help")
    assert result.exit_code == 0
    for param in collect.params:
        assert isinstance(param, click.Option)
        assert param.help, f"{param.name} has no help"
        assert param.opts[0] in result.stdout
    for status in ("0  every cluster", "3  partial", "4  at least one cluster was unreachable"):
        assert status in result.stdout


def test_print_rbac_matches_deploy_manifest() -> None:
    printed = yaml.safe_load(invoke("--print-rbac").stdout)
    assert printed == cluster_role(load_catalogue())
    manifests = yaml.safe_load_all((ROOT / "deploy/base/rbac.yaml").read_text())
    shipped = [d for d in manifests if d["kind"] == "ClusterRole"]
    assert shipped == [printed]
