"""``readiness metrics``: parses with prometheus_client's parser and equals ``readiness score --format json``."""

from __future__ import annotations

import json
import math
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar

import polars as pl
import pytest
from click.testing import CliRunner
from prometheus_client.parser import text_string_to_metric_families

from readiness import store
from readiness.assess.assessment import assess
from readiness.cli import main
from readiness.store.schema import STATUSES


def _run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def _samples(text: str) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    """{metric name: {sorted labels: value}}; also checks every family has HELP and TYPE gauge."""
    out: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(text):
        assert family.documentation, f"{family.name} has no HELP"
        assert family.type == "gauge", f"{family.name} is a {family.type}"
        for s in family.samples:
            out.setdefault(s.name, {})[tuple(sorted(s.labels.items()))] = s.value
    return out


def _value(samples: dict, name: str, **labels: str) -> float:
    return samples[name][tuple(sorted(labels.items()))]


@pytest.mark.parametrize("as_of", [None, "2025-12-05"])
def test_metrics_equal_the_score_json(demo_dir: Path, as_of: str | None) -> None:
    extra = ["--as-of", as_of] if as_of else []
    score = json.loads(_run("score", "--data", str(demo_dir), "--format", "json", *extra))
    text = _run("metrics", "--data", str(demo_dir), *extra)
    m = _samples(text)
    assert round(100 * _value(m, "readiness_score_ratio", cluster="fleet", category="overall"), 1) == score["overall"]
    assert round(100 * _value(m, "readiness_score_without_waivers_ratio", cluster="fleet", category="overall"),
                 1) == score["overall_without_waivers"]
    assert round(_value(m, "readiness_coverage_ratio", cluster="fleet", category="overall"), 3) == score["coverage"]
    assert round(100 * _value(m, "readiness_target_ratio", category="overall"), 1) == score["target"]
    for cat in score["categories"]:
        assert round(100 * _value(m, "readiness_score_ratio", cluster="fleet", category=cat["id"]), 1) == cat["score"]
        assert round(_value(m, "readiness_coverage_ratio", cluster="fleet", category=cat["id"]), 3) == cat["coverage"]
    assert score["clusters"], "the demo fleet has clusters"
    for c in score["clusters"]:
        assert round(100 * _value(m, "readiness_score_ratio", cluster=c["name"], category="overall"), 1) == c["overall"]
    open_blockers = [b["id"] for b in score["blockers"] if not b["resolved"]]
    assert _value(m, "readiness_blockers_open") == len(open_blockers)
    assert {dict(k)["blocker"]: v for k, v in m["readiness_blocker_open"].items()} == {
        b["id"]: (0.0 if b["resolved"] else 1.0) for b in score["blockers"]}
    assert _value(m, "readiness_ready") == (1.0 if score["verdict"].lower().startswith("ready") else 0.0)
    info = dict(next(iter(m["readiness_info"])))
    assert info["rubric_version"] == score["rubric_version"] and info["demo"] == "true"


def test_check_status_is_a_state_set_of_the_findings(demo_dir: Path) -> None:
    m = _samples(_run("metrics", "--data", str(demo_dir)))
    findings = assess(demo_dir).findings
    statuses: dict[tuple[str, str], list[str]] = {}
    for labels, value in m["readiness_check_status"].items():
        d = dict(labels)
        assert d["status"] in STATUSES
        if value == 1:
            statuses.setdefault((d["cluster"], d["check"]), []).append(d["status"])
    expected = {(r["cluster"], r["check_id"]): [r["status"]] for r in findings.iter_rows(named=True)}
    assert statuses == expected
    assert len(m["readiness_check_status"]) == len(STATUSES) * findings.height
    assert {v[0] for v in statuses.values()} >= {"pass", "fail"}  # the demo has both


def test_evidence_age_follows_the_newest_snapshot(demo_dir: Path) -> None:
    before = time.time()
    m = _samples(_run("metrics", "--data", str(demo_dir)))
    snaps = store.snapshots(demo_dir)
    newest = {c: t.timestamp() for c, t in snaps.group_by("cluster").agg(pl.col("collected_at").max()).iter_rows()}
    collected = {dict(k)["cluster"]: v for k, v in m["readiness_evidence_collected_timestamp_seconds"].items()}
    assert collected == pytest.approx(newest)
    for cluster, t in newest.items():
        age = _value(m, "readiness_evidence_age_seconds", cluster=cluster)
        assert before - t - 5 <= age <= time.time() - t + 5


def test_textfile_is_written_atomically_and_parses(demo_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "readiness.prom"
    target.write_text("old\n")
    result = CliRunner().invoke(main, ["metrics", "--data", str(demo_dir), "--textfile", str(target)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""  # the metrics went to the file, not to stdout
    text = target.read_text()
    assert not text.startswith("old")
    m = _samples(text)
    assert "readiness_score_ratio" in m and "readiness_check_status" in m
    assert sorted(p.name for p in tmp_path.iterdir()) == ["readiness.prom"]  # no temporary left behind


def test_textfile_in_a_missing_directory_is_one_line_error(demo_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "no" / "x.prom"
    result = CliRunner().invoke(main, ["metrics", "--data", str(demo_dir), "--textfile", str(target)])
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and "does not exist" in result.stderr and "x.prom" in result.stderr


class _Gateway(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[str, str, bytes]]] = []

    def do_PUT(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append(("PUT", self.path, body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_push_sends_the_same_metrics_to_a_pushgateway(demo_dir: Path) -> None:
    _Gateway.received = []
    server = HTTPServer(("127.0.0.1", 0), _Gateway)
    thread = threading.Thread(target=server.handle_request, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        result = CliRunner().invoke(main, ["metrics", "--data", str(demo_dir), "--push", url, "--job", "nightly"])
        thread.join(10)
    finally:
        server.server_close()
    assert result.exit_code == 0, result.output
    [(method, path, body)] = _Gateway.received
    assert (method, path) == ("PUT", "/metrics/job/nightly")
    pushed = _samples(body.decode())
    printed = _samples(_run("metrics", "--data", str(demo_dir)))
    # approx: polars sums in parallel, so the last bit of a float may differ between two runs
    assert pushed["readiness_score_ratio"] == pytest.approx(printed["readiness_score_ratio"], rel=1e-12)
    assert not math.isnan(_value(pushed, "readiness_blockers_open"))


def test_push_to_nothing_is_one_line_error(demo_dir: Path) -> None:
    server = HTTPServer(("127.0.0.1", 0), _Gateway)  # bound, then closed: nobody listens on the port
    port = server.server_address[1]
    server.server_close()
    result = CliRunner().invoke(main, ["metrics", "--data", str(demo_dir), "--push", f"http://127.0.0.1:{port}"])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: Pushgateway http://127.0.0.1:") and result.stderr.count("\n") == 1
