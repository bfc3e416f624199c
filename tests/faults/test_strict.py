"""Strict names and inputs: full-match cluster names, lists are lists, no duplicated key, known facts, one mode."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from kubeapi import KubeAPI, write_kubeconfig

from readiness.assess import rubric

from .conftest import cli, day, node, one_line_error, tree, write_snapshot


def test_a_cluster_name_with_a_trailing_newline_is_refused(tmp_path: Path) -> None:
    kc = write_kubeconfig(tmp_path / "kc", {"a": "http://127.0.0.1:9"})
    data = tmp_path / "data"
    result = cli("collect", "--kubeconfig", kc, "--cluster-name", "a=b\n", "--data", data)
    one_line_error(result, "cluster 'b\\n': is not a usable cluster name")
    assert not data.exists() or not list(data.rglob("cluster=*"))
    one_line_error(cli("collect", "--repo", tmp_path, "--cluster", "studio\n", "--data", data),
                   "is not a usable cluster name")


def test_contexts_must_be_a_list_in_collect_yaml(collected: Path) -> None:
    (collected / "collect.yaml").write_text("kubeconfig: kc\ncontexts: alpha\n")
    one_line_error(cli("report", "--data", collected, "--out", collected.parent / "reports"),
                   f"{collected / 'collect.yaml'}:2: 'contexts' must be a list", "contexts: [alpha]")


@pytest.mark.parametrize(("name", "text", "line"), [
    ("attestations.yaml", "attestations:\n  - fact: oncall_rotation\n    fact: github_audit_log\n", 3),
    ("waivers.yaml", "waivers: []\nwaivers: []\n", 2),
    ("fleet.yaml", "clusters:\n  alpha: {role: production}\n  alpha: {role: lab}\n", 3),
    ("collect.yaml", "contexts: [alpha]\ncontexts: [beta]\n", 2),
])
def test_a_duplicated_key_is_an_error_in_every_yaml_input(collected: Path, name: str, text: str, line: int) -> None:
    (collected / name).write_text(text)
    command = ["report", "--out", str(collected.parent / "r")] if name == "collect.yaml" else ["score"]
    one_line_error(cli(*command, "--data", collected), f"{collected / name}:{line}: '", "appears twice")


def test_a_duplicated_key_in_the_rubric_and_the_catalogue(collected: Path, tmp_path: Path) -> None:
    r = tmp_path / "rubric.yaml"
    r.write_text("stale_after_days: 8\nstale_after_days: 30\n")
    one_line_error(cli("score", "--data", collected, "--rubric", r), f"{r}:2: 'stale_after_days' appears twice")
    with pytest.raises(Exception, match="appears twice"):
        rubric.load(r)
    c = tmp_path / "catalogue.yaml"
    c.write_text("version: 1\nresources: []\nresources: []\n")
    one_line_error(cli("collect", "--catalogue", c, "--print-rbac"), f"{c}:3: 'resources' appears twice")


def test_an_attestation_of_an_unknown_fact_is_an_error(collected: Path) -> None:
    (collected / "attestations.yaml").write_text(
        "attestations:\n  - fact: oncall_rotaton\n    statement: we page\n    by: ops\n    date: 2026-01-01\n")
    one_line_error(cli("score", "--data", collected), f"{collected / 'attestations.yaml'}:2:",
                   "unknown fact 'oncall_rotaton'", "oncall_rotation")


def test_the_facts_checks_read_are_known() -> None:
    import re

    from readiness.assess import attestations

    sources = "".join(p.read_text() for p in (Path(attestations.__file__).parent / "checks").glob("*.py"))
    named = set(re.findall(r"attest(?:ed|ation)\((?:ev, )?\"(\w+)\"", sources))
    assert named and named <= attestations.FACTS


def test_every_table_file_has_one_mode(tmp_path: Path) -> None:
    api = KubeAPI()
    api.start()
    try:
        api.add([node("n1")])
        kc = write_kubeconfig(tmp_path / "kc", {"alpha": api.url})
        data = tmp_path / "data"
        result = cli("collect", "--kubeconfig", kc, "--data", data, "--retries", "0")
        assert result.returncode == 0, result.stderr
    finally:
        api.stop()
    write_snapshot(data, "beta", day("2026-03-01"))
    modes = {str(f.relative_to(data)): stat.S_IMODE(f.stat().st_mode) for f in data.rglob("*.parquet")}
    mask = os.umask(0)
    os.umask(mask)
    assert len(modes) == 6 and set(modes.values()) == {0o666 & ~mask}, modes
    assert tree(data)  # written
