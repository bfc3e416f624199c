"""One-line errors for every class of fault: the file (and line), what is wrong, what to do; no traceback."""

from __future__ import annotations

import errno
import os
import subprocess
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from readiness.cli import main

from .conftest import cli, day, leftovers, one_line_error, tree, with_plan, write_snapshot


def first(data: Path, table: str, cluster: str = "alpha") -> Path:
    return sorted((data / table / f"cluster={cluster}").glob("date=*/*.parquet"))[-1]


def test_a_truncated_parquet_file_is_named(collected: Path) -> None:
    f = first(collected, "objects")
    f.write_bytes(f.read_bytes()[:-40])
    before = tree(collected)
    one_line_error(cli("score", "--data", collected), str(f), "not a readable Parquet file",
                   f"readiness doctor --data {collected} --repair")
    assert tree(collected) == before  # nothing was touched


def test_a_corrupt_page_inside_a_parquet_file_is_named(collected: Path) -> None:
    f = first(collected, "objects")
    raw = bytearray(f.read_bytes())
    for i in range(8, len(raw) // 2):  # the data pages; the footer (schema) stays intact
        raw[i] ^= 0x5A
    f.write_bytes(bytes(raw))
    one_line_error(cli("score", "--data", collected), str(f))


def test_a_corrupt_snapshots_file_stops_collect_with_its_name(collected: Path, tmp_path: Path) -> None:
    f = first(collected, "snapshots")
    f.write_bytes(b"PAR1 not really")
    kubeconfig = tmp_path / "kc"
    kubeconfig.write_text("apiVersion: v1\nkind: Config\nclusters: [{name: a, cluster: {server: 'http://127.0.0.1:9'}}]\n"
                          "users: [{name: u, user: {token: t}}]\ncontexts: [{name: alpha, context: {cluster: a, "
                          "user: u}}]\ncurrent-context: alpha\n")
    before = tree(collected)
    one_line_error(cli("collect", "--kubeconfig", kubeconfig, "--data", collected, "--retries", "0"), str(f))
    assert tree(collected) == before


@pytest.mark.parametrize("name", ["attestations.yaml", "waivers.yaml", "fleet.yaml", "plan.yaml"])
def test_non_utf8_yaml_names_the_file_and_line(collected: Path, name: str) -> None:
    (collected / name).write_bytes(b"# comment\n# caf\xe9\n")
    command = ["plan"] if name == "plan.yaml" else ["score"]
    one_line_error(cli(*command, "--data", collected), f"{collected / name}:2: not UTF-8 text",
                   "save the file as UTF-8")


def test_non_utf8_rubric_and_worklog(collected: Path, tmp_path: Path) -> None:
    rubric = tmp_path / "rubric.yaml"
    rubric.write_bytes(b"version: x\n\xff\n")
    one_line_error(cli("score", "--data", collected, "--rubric", rubric), f"{rubric}:2: not UTF-8 text")
    (collected / "worklog.csv").write_bytes(b"date,work_package,hours,note\n2025-11-18,WP1,1,caf\xe9\n")
    one_line_error(cli("burndown", "--data", collected), f"{collected / 'worklog.csv'}:2: not UTF-8 text")


def test_readiness_data_naming_a_file(tmp_path: Path) -> None:
    f = tmp_path / "file"
    f.write_text("x")
    for command in (["log", "WP1", "1"], ["score"], ["collect", "--in-cluster"]):
        one_line_error(cli(*command, env={"READINESS_DATA": str(f)}), f"{f}: $READINESS_DATA names a file")
    assert f.read_text() == "x"


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    f = tmp_path / "file"
    f.write_text("x")
    result = cli("--debug", "score", env={"READINESS_DATA": str(f)})
    assert result.returncode != 0 and "Traceback" in result.stderr


def _no_space(*args: object, **kwargs: object) -> None:
    raise OSError(errno.ENOSPC, "No space left on device", "injected.parquet")


def test_a_full_disk_at_the_write_boundary(collected: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """ENOSPC injected where every table is written: one line, the previous data intact, no temporary."""
    before = tree(collected)
    monkeypatch.setattr(pl.DataFrame, "write_parquet", _no_space)
    out = CliRunner().invoke(main, ["demo", "--data", str(collected.parent / "demo")])
    assert out.exit_code == 1 and out.stderr.startswith("error: injected.parquet: No space left on device")
    assert "the disk is full" in out.stderr and out.stderr.count("\n") == 1
    assert leftovers(collected.parent) == []
    monkeypatch.undo()
    assert tree(collected) == before


def test_a_full_tmpfs(tmpfs: Path) -> None:
    result = cli("demo", "--data", tmpfs / "demo")
    one_line_error(result, "No space left on device", "the disk is full")
    assert leftovers(tmpfs) == []


def test_a_read_only_data_directory(collected: Path, tmpfs: Path) -> None:
    data = tmpfs / "data"
    write_snapshot(data, "alpha", day("2026-03-08"))
    with_plan(data)
    (data / "worklog.csv").write_text("date,work_package,hours,note\n")
    before = tree(data)
    subprocess.run(["mount", "-o", "remount,ro", str(tmpfs)], check=True)
    one_line_error(cli("log", "WP1", "1", "--data", data), "worklog.csv", "Read-only file system")
    one_line_error(cli("collect", "--in-cluster", "--data", data), "Read-only file system")
    one_line_error(cli("demo", "--data", tmpfs / "demo"), "Read-only file system")
    one_line_error(cli("report", "--data", data, "--out", tmpfs / "reports", "--no-collect"), "Read-only file system")
    assert tree(data) == before


def test_a_directory_without_write_permission(collected: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes anywhere: the tmpfs test covers read-only directories")
    (collected / "worklog.csv").write_text("date,work_package,hours,note\n")
    before = tree(collected)
    collected.chmod(0o555)
    (collected / "worklog.csv").chmod(0o444)
    try:
        one_line_error(cli("log", "WP1", "1", "--data", collected), "Permission denied")
    finally:
        collected.chmod(0o755)
    assert tree(collected) == before


@pytest.mark.parametrize("content", [b"garbage: [\n", b"\xff\xfe\x00k"])
def test_a_kubeconfig_that_does_not_parse(tmp_path: Path, content: bytes) -> None:
    kc = tmp_path / "kubeconfig"
    kc.write_bytes(content)
    one_line_error(cli("collect", "--kubeconfig", kc, "--data", tmp_path / "data"),
                   f"{kc}: cannot read kubeconfig", "pass --kubeconfig FILE")
    assert not (tmp_path / "data").exists() or not list((tmp_path / "data").rglob("*.parquet"))


def test_a_disk_filling_up_during_collect(tmpfs: Path, tmp_path: Path) -> None:
    import secrets

    repo = tmp_path / "repo"
    repo.mkdir()
    docs = [f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app{i}\n  namespace: apps\n"
            f"  labels: {{blob: x{secrets.token_hex(500)}}}\n" for i in range(800)]  # ~800 KB, incompressible
    (repo / "apps.yaml").write_text("---\n".join(docs))
    result = cli("collect", "--repo", repo, "--cluster", "studio", "--data", tmpfs / "data")
    one_line_error(result, str(tmpfs / "data" / "objects" / "cluster=studio"), "No space left on device",
                   "the disk is full")
    assert [p for p in tmpfs.rglob("*") if p.is_file()] == []
