"""Collection that says what it does not know: lists cut short, exec credential plugins that
cannot run, and two contexts on one cluster. Real client, test API server over HTTP."""

from __future__ import annotations

import stat
from dataclasses import replace
from pathlib import Path
from typing import Any

import polars as pl
import yaml
from collect_helpers import FAST, coverage
from kubeapi import TOKEN, KubeAPI

from readiness import store
from readiness.assess import rubric
from readiness.assess.evaluate import evaluate
from readiness.collect import collect_clusters, load_catalogue, resolve


def backup(i: int) -> dict[str, Any]:
    return {"apiVersion": "velero.io/v1", "kind": "Backup",
            "metadata": {"name": f"daily-{i:02d}", "namespace": "velero"},
            "status": {"phase": "Completed", "completionTimestamp": f"2026-01-{i + 1:02d}T02:00:00Z"}}


def kubeconfig(path: Path, contexts: dict[str, tuple[str, str | None]], user: dict[str, Any]) -> Path:
    """Contexts name -> (server, CA data), all with one user."""
    doc = {
        "apiVersion": "v1", "kind": "Config",
        "clusters": [{"name": n, "cluster": {"server": url, **({"certificate-authority-data": ca} if ca else {})}}
                     for n, (url, ca) in contexts.items()],
        "users": [{"name": "me", "user": user}],
        "contexts": [{"name": n, "context": {"cluster": n, "user": "me"}} for n in contexts],
        "current-context": next(iter(contexts)),
    }
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


def collect(kc: Path, data: Path, contexts: tuple[str, ...] = ("alpha",), all_contexts: bool = False, **kw: Any):
    targets = resolve(str(kc), contexts, all_contexts, False, ())
    return collect_clusters(targets, load_catalogue(), data, replace(FAST, **kw))


def test_list_cut_short_is_partial_and_the_backup_checks_unknown(kubeapi: KubeAPI, tmp_path: Path) -> None:
    kubeapi.add([backup(i) for i in range(12)])
    kubeapi.fail("/apis/velero.io/v1/backups", 410, only_continue=True)  # 410 Gone, no fresh token offered
    kc = kubeconfig(tmp_path / "kc", {"alpha": (kubeapi.url, None)}, {"token": TOKEN})
    data = tmp_path / "data"
    [result] = collect(kc, data, page_size=5)
    outcome, count, detail = coverage(data)[("velero.io/v1", "Backup")]
    assert (outcome, count) == ("partial", 5)
    assert "410" in str(detail) and "cut short after 5 objects" in str(detail)
    assert result.status == "partial" and "velero.io/Backup partial" in result.summary()
    assert store.objects(data).filter(pl.col("kind") == "Backup").height == 5
    findings = evaluate(data, rubric.load())
    for check_id in ("backup_success_rate", "backup_recent_success"):
        row = findings.filter(pl.col("check_id") == check_id).row(0, named=True)
        assert row["status"] == "unknown", (check_id, row["reason"])
        assert "velero.io/Backup partial" in row["reason"]


def test_missing_exec_plugin_is_named_not_401(kubeapi: KubeAPI, tmp_path: Path) -> None:
    user = {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": "readiness-no-such-plugin",
                     "installHint": "install it with: brew install readiness-no-such-plugin"}}
    kc = kubeconfig(tmp_path / "kc", {"alpha": (kubeapi.url, None)}, user)
    [result] = collect(kc, tmp_path / "data")
    assert result.status == "unreachable"
    error = str(result.error)
    assert "readiness-no-such-plugin" in error and "not installed" in error and "brew install" in error
    assert "401" not in error and "\n" not in error
    assert not kubeapi.requests  # nothing was sent without credentials


def test_retired_exec_api_version_is_named(kubeapi: KubeAPI, tmp_path: Path) -> None:
    user = {"exec": {"apiVersion": "client.authentication.k8s.io/v1alpha1", "command": "sh"}}
    kc = kubeconfig(tmp_path / "kc", {"alpha": (kubeapi.url, None)}, user)
    [result] = collect(kc, tmp_path / "data")
    assert result.status == "unreachable"
    assert "v1alpha1" in str(result.error) and "no longer supported" in str(result.error)
    assert "401" not in str(result.error)


def _plugin(path: Path, script: str) -> Path:
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_failing_exec_plugin_gives_its_own_message(kubeapi: KubeAPI, tmp_path: Path) -> None:
    plugin = _plugin(tmp_path / "login", "echo 'error: SSO session expired, run aws sso login' >&2\nexit 1\n")
    user = {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": str(plugin)}}
    kc = kubeconfig(tmp_path / "kc", {"alpha": (kubeapi.url, None)}, user)
    [result] = collect(kc, tmp_path / "data")
    assert result.status == "unreachable"
    assert "SSO session expired" in str(result.error) and "401" not in str(result.error)


def test_working_exec_plugin_collects(kubeapi: KubeAPI, tmp_path: Path) -> None:
    credential = ('{"apiVersion": "client.authentication.k8s.io/v1beta1", "kind": "ExecCredential", '
                  f'"status": {{"token": "{TOKEN}"}}}}')
    plugin = _plugin(tmp_path / "token", f"echo '{credential}'\n")
    user = {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": str(plugin)}}
    kubeapi.add([backup(1)])
    kc = kubeconfig(tmp_path / "kc", {"alpha": (kubeapi.url, None)}, user)
    [result] = collect(kc, tmp_path / "data")
    assert result.status == "ok" and result.objects == 1


def test_two_contexts_on_one_cluster_are_collected_once(kubeapi: KubeAPI, tmp_path: Path) -> None:
    kubeapi.add([backup(i) for i in range(3)])
    ca = "LS0tLS1CRUdJTi1DQQ=="
    kc = kubeconfig(tmp_path / "kc", {"alpha": (kubeapi.url, ca), "alpha-admin": (kubeapi.url + "/", ca)},
                    {"token": TOKEN})
    [target] = resolve(str(kc), (), True, False, ())
    assert (target.context, target.aliases) == ("alpha", ("alpha-admin",))
    results = collect(kc, tmp_path / "data", contexts=(), all_contexts=True)
    assert [r.cluster for r in results] == ["alpha"]
    assert "alpha-admin" in results[0].summary() and "same cluster" in results[0].summary()
    assert store.objects(tmp_path / "data").filter(pl.col("kind") == "Backup").height == 3


def test_same_server_other_ca_or_named_context_stays_apart(kubeapi: KubeAPI, tmp_path: Path) -> None:
    kc = kubeconfig(tmp_path / "kc", {"alpha": (kubeapi.url, "Q0EtMQ=="), "beta": (kubeapi.url, "Q0EtMg==")},
                    {"token": TOKEN})
    assert [t.context for t in resolve(str(kc), (), True, False, ())] == ["alpha", "beta"]
    same = kubeconfig(tmp_path / "kc2", {"alpha": (kubeapi.url, None), "beta": (kubeapi.url, None)}, {"token": TOKEN})
    assert [t.context for t in resolve(str(same), (), True, False, ("beta=prod",))] == ["alpha", "beta"]
