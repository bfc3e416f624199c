"""Nothing lost: unique snapshot ids, a second writer of a cluster waits, strict work log, no endless listing."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from kubeapi import KubeAPI, _token, write_kubeconfig

from readiness import store
from readiness.cli import main
from readiness.collect import Settings, collect_clusters, load_catalogue, resolve
from readiness.errors import ConfigError, ReadinessError
from readiness.plan import worklog as wl

from .conftest import cli, day, node, one_line_error, tree, with_plan, write_snapshot

FAST = Settings(timeout=2.0, retries=0, backoff=0.01, page_size=2)
AT = datetime(2026, 3, 1, 12, 0, 0, 250000, tzinfo=UTC)


@pytest.fixture
def kubeapi() -> KubeAPI:
    api = KubeAPI()
    api.start()
    yield api
    api.stop()


def test_two_collections_in_one_second_are_two_snapshots(kubeapi: KubeAPI, tmp_path: Path) -> None:
    kubeapi.add([node("n1"), node("n2")])
    targets = resolve(str(write_kubeconfig(tmp_path / "kc", {"alpha": kubeapi.url})), ["alpha"], False, False, [])
    data, catalogue = tmp_path / "data", load_catalogue()
    first = collect_clusters(targets, catalogue, data, FAST, now=AT)
    second = collect_clusters(targets, catalogue, data, FAST, now=AT.replace(microsecond=750000))
    assert first[0].snapshot_id != second[0].snapshot_id
    assert sorted(store.snapshots(data)["snapshot_id"].to_list()) == [first[0].snapshot_id, second[0].snapshot_id]
    assert store.objects(data).height == 4  # both kept, nothing overwritten
    with pytest.raises(ReadinessError, match="already exists; refusing to overwrite it"):
        collect_clusters(targets, catalogue, data, FAST, now=AT)  # the very same id: loud, not silent
    assert store.objects(data).height == 4


def test_a_second_writer_of_a_cluster_waits_for_the_first(tmp_path: Path) -> None:
    data = tmp_path / "data"
    write_snapshot(data, "alpha", day("2026-03-01"))
    done: list[str] = []
    with store.cluster_lock(data, "alpha"):  # the first writer, still writing
        other = threading.Thread(target=lambda: done.append(write_snapshot(data, "alpha", day("2026-03-02"))))
        other.start()
        time.sleep(0.5)
        assert done == [] and other.is_alive()
    other.join(10)
    assert done and len(store.snapshots(data)) == 2


GOOD = "date,work_package,hours,note\n2025-11-18,WP1,1,first\n"


def test_an_unclosed_quote_is_an_error_at_its_line(collected: Path) -> None:
    log = collected / "worklog.csv"
    log.write_text(GOOD + '2025-11-19,WP2,2,"velero\n2025-11-20,WP2,1,restore test\n')
    with pytest.raises(ConfigError) as err:
        wl.read(log)
    assert err.value.line == 3 and "quoted field is not closed" in err.value.problem
    result = cli("burndown", "--data", collected)
    one_line_error(result, f"{log}:3: a quoted field is not closed")


def test_log_refuses_to_append_after_an_unclosed_quote(tmp_path: Path) -> None:
    log = with_plan(tmp_path) / "worklog.csv"
    log.write_text(GOOD + '2025-11-19,WP2,2,"velero\n')
    before = log.read_bytes()
    out = CliRunner().invoke(main, ["log", "WP1", "1", "--data", str(tmp_path)])
    assert out.exit_code == 1 and f"{log}:3: a quoted field is not closed" in out.stderr and out.stderr.count("\n") == 1
    assert log.read_bytes() == before


def test_log_appends_without_parsing_the_whole_log(tmp_path: Path) -> None:
    # A bad row in the middle is found by every reader (with its line), but appending reads only
    # the header and the last row: that is what keeps 'readiness log' flat at a million rows.
    log = tmp_path / "worklog.csv"
    rows = [f"2025-11-{1 + i % 28:02d},WP1,1,row {i}\n" for i in range(5000)]
    rows[2000] = "not-a-date,WP1,1,x\n"
    log.write_text("date,work_package,hours,note\n" + "".join(rows))
    line = wl.append(log, "WP2", 2, day=datetime(2025, 12, 1).date(), note="appended")
    assert line == 5002 and log.read_text().splitlines()[line - 1] == "2025-12-01,WP2,2,appended"
    with pytest.raises(ConfigError) as err:
        wl.read(log)
    assert err.value.line == 2002


class LoopingAPI(KubeAPI):
    """A server whose third page of nodes points back at the second: the list never ends."""

    def _page(self, path: str, limit: int, start: int, meta_only: bool) -> bytes:
        body = json.loads(super()._page(path, limit, start, meta_only))
        if path == "/api/v1/nodes" and start >= 2 * limit:
            body["metadata"]["continue"] = _token(limit)  # back to the second page, again and again
        return json.dumps(body).encode()


def test_a_cycling_continue_token_stops_that_listing_with_an_error(tmp_path: Path) -> None:
    api = LoopingAPI()
    api.start()
    try:
        api.add([node(f"n{i}") for i in range(10)])
        kc = write_kubeconfig(tmp_path / "kc", {"alpha": api.url})
        data = tmp_path / "data"
        result = CliRunner().invoke(main, ["collect", "--kubeconfig", str(kc), "--data", str(data), "--page-size", "2",
                                           "--retries", "0", "--timeout", "5"])
    finally:
        api.stop()
    assert result.exit_code == 3, result.output  # partial: the snapshot is written, that type is an error
    assert "core/Node error" in result.stdout
    cov = store.read(data, "coverage").filter(pl.col("kind") == "Node").row(0, named=True)
    assert cov["outcome"] == "error" and "sent continue token" in cov["detail"] and "again" in cov["detail"]
    assert sum(1 for r in api.requests if r.startswith("/api/v1/nodes")) < 10  # it stopped, it did not loop


def test_a_bad_row_never_hides_the_next_one(tmp_path: Path) -> None:
    # The row after an unclosed quote is not swallowed into a note: 2 h are never counted instead of 3.
    log = tmp_path / "worklog.csv"
    log.write_text(GOOD + '2025-11-19,WP2,2,"velero\n2025-11-20,WP2,1,restore\n')
    before = tree(tmp_path)
    with pytest.raises(ConfigError):
        wl.read(log)
    assert tree(tmp_path) == before


def test_two_collect_commands_of_one_cluster_at_once_keep_both(kubeapi: KubeAPI, tmp_path: Path) -> None:
    import subprocess
    import sys

    kubeapi.add([node("n1"), node("n2"), node("n3")])
    kc = write_kubeconfig(tmp_path / "kc", {"alpha": kubeapi.url})
    data = tmp_path / "data"
    args = [sys.executable, "-m", "readiness", "collect", "--kubeconfig", str(kc), "--data", str(data),
            "--retries", "0", "--page-size", "1"]
    runs = [subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [r.communicate(timeout=120) for r in runs]
    assert [r.returncode for r in runs] == [0, 0], outs
    ids = sorted(line.split()[1] for out, _ in outs for line in out.splitlines() if line.startswith("snapshot "))
    assert len(set(ids)) == 2 and sorted(store.snapshots(data)["snapshot_id"].to_list()) == ids
    assert store.objects(data).height == 6  # neither run overwrote the other
    assert not list(data.glob(".*.lock"))
