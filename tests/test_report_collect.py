"""`readiness report` collects first what DATA/collect.yaml configures."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from readiness import store
from readiness.cli.report import collect_arguments, collect_configured
from readiness.errors import ConfigError
from readiness.store import paths


def test_live_and_repo_targets_become_collect_arguments(tmp_path: Path) -> None:
    config = tmp_path / "collect.yaml"
    config.write_text("kubeconfig: /k/config\ncontexts: [air, studio]\ncluster_names: {studio: prod}\n"
                      "repos:\n  - {path: ../homelab, cluster: studio, paths: [clusters/studio]}\n")
    live, repo = collect_arguments(config, tmp_path)
    assert live == ["--data", str(tmp_path), "--kubeconfig", "/k/config", "--context", "air", "--context", "studio",
                    "--cluster-name", "studio=prod"]
    assert repo == ["--data", str(tmp_path), "--repo", str(tmp_path / "../homelab"), "--cluster", "studio",
                    "--path", "clusters/studio"]


def test_bad_configuration_names_the_file(tmp_path: Path) -> None:
    config = tmp_path / "collect.yaml"
    config.write_text("contexts: [air]\nkubeconfg: x\n")
    with pytest.raises(ConfigError, match=r"collect.yaml: unknown keys \['kubeconfg'\]"):
        collect_arguments(config, tmp_path)
    config.write_text("repos:\n  - {path: ../x}\n")
    with pytest.raises(ConfigError, match=r"repos\[0\] needs 'path' and 'cluster'"):
        collect_arguments(config, tmp_path)


def test_a_configured_repository_is_collected_into_the_data_directory(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "homelab"
    (repo / "clusters/studio").mkdir(parents=True)
    (repo / "clusters/studio/velero.yaml").write_text(
        "apiVersion: velero.io/v1\nkind: Schedule\nmetadata: {name: daily, namespace: velero}\n"
        "spec: {schedule: '0 2 * * *', template: {ttl: 168h0m0s}}\n")
    (repo / "docs/runbooks").mkdir(parents=True)
    (repo / "docs/runbooks/disaster-recovery.md").write_text("# Disaster recovery\n\nRestore with velero.\n")
    data = tmp_path / "data"
    data.mkdir()
    (data / paths.COLLECT_FILE).write_text("repos:\n  - {path: ../homelab, cluster: studio}\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(paths.DATA_ENV)
    assert paths.data_dir() == paths.DEFAULT_DATA  # a configured cluster makes ./data the data directory
    said: list[str] = []
    collect_configured(data, said.append)
    objects = store.objects(data)
    assert set(objects["source"].to_list()) == {"repo"}
    assert objects.filter((pl.col("kind") == "Schedule") & (pl.col("api_version") == "velero.io/v1")).height == 1
    assert objects.filter(pl.col("name") == "docs/runbooks/disaster-recovery.md").height == 1
    assert said and said[0].startswith("collecting: readiness collect --data")
