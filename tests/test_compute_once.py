"""Findings are computed once: each (snapshot, digest) is evaluated at most once and stored in DATA/findings/.

Evaluations are counted through ``READINESS_EVALUATION_LOG`` (one line per evaluated snapshot,
from any process: the report's notebook kernels included).
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import readiness
from readiness.assess import rubric as rubric_mod
from readiness.assess.assessment import assess, history
from readiness.assess.evaluate import digest, evaluate
from readiness.store.findings import DIR, FindingsNotStoredError, directory, expect


@pytest.fixture
def data(demo_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the demo fleet without stored findings, evaluations logged to tmp_path/evaluations."""
    copy = tmp_path / "data"
    shutil.copytree(demo_dir, copy, ignore=shutil.ignore_patterns(DIR))
    monkeypatch.setenv("READINESS_EVALUATION_LOG", str(tmp_path / "evaluations"))
    return copy


def evaluations(data: Path) -> Counter[tuple[str, ...]]:
    """(digest, cluster, snapshot_id) -> how many times it was evaluated."""
    log = data.parent / "evaluations"
    lines = log.read_text().splitlines() if log.exists() else []
    return Counter(tuple(line.split()) for line in lines)


def snapshot_ids(data: Path) -> set[tuple[str, str]]:
    snaps = pl.read_parquet(data / "snapshots" / "**" / "*.parquet")
    return set(snaps.select("cluster", "snapshot_id").iter_rows())


def test_the_public_findings_function_is_not_shadowed_by_the_store_module() -> None:
    assert callable(readiness.findings) and readiness.findings is readiness.api.findings


def test_a_second_evaluation_reads_what_the_first_stored(data: Path) -> None:
    first, first_scores = history(data)
    counted = evaluations(data)
    assert set(counted.values()) == {1}
    assert {(c, s) for _, c, s in counted} == snapshot_ids(data) and len(counted) == 90
    assert len(list(directory(data, next(iter(counted))[0]).glob("*.parquet"))) == 1
    again, again_scores = history(data)
    newest = assess(data)
    assert evaluations(data) == counted  # nothing evaluated again, not even the newest day's assessment
    assert_frame_equal(first, again)
    assert_frame_equal(first_scores, again_scores)
    assert newest.findings.height == 5 * len(rubric_mod.load(data=data).checks)


def test_a_changed_waiver_is_another_digest_and_evaluates_again(data: Path) -> None:
    rub = rubric_mod.load(data=data)
    before = digest(data, rub)
    evaluate(data, rub, history=True)
    waivers = data / "waivers.yaml"
    waivers.write_text(waivers.read_text().replace("2026-06-30", "2026-02-01"))
    after = digest(data, rub)
    assert after != before
    changed = evaluate(data, rub, history=True)
    counted = evaluations(data)
    assert sum(n for (d, _, _), n in counted.items() if d == after) == 90
    # The waiver now ends on 2026-02-01: pi's failing network-policy finding is waived up to that day only.
    pi = changed.filter((pl.col("cluster") == "pi") & (pl.col("check_id") == "sec_network_policies"))
    rows = pi.select(pl.col("collected_at").dt.date().alias("day"), "waived", "status").iter_rows()
    assert [(str(day), waived) for day, waived, _ in rows] == \
        [(str(day), str(day) <= "2026-02-01") for day in pi["collected_at"].dt.date().to_list()]
    assert set(pi["status"]) == {"waived", "partial"}
    # Back to the first waivers: the first digest's findings are still stored, nothing is evaluated.
    waivers.write_text(waivers.read_text().replace("2026-02-01", "2026-06-30"))
    evaluate(data, rub, history=True)
    assert evaluations(data) == counted


def test_rescoring_history_with_another_rubric_keeps_both(data: Path, tmp_path: Path) -> None:
    heavier = tmp_path / "heavier.yaml"
    heavier.write_text("checks:\n  backup_offsite:\n    weight: 9\n")
    base, _ = history(data)
    rescored, _ = history(data, rubric=heavier)
    counted = evaluations(data)
    assert len({d for d, _, _ in counted}) == 2 and set(counted.values()) == {1} and len(counted) == 180
    assert set(rescored.filter(pl.col("check_id") == "backup_offsite")["weight"].to_list()) == {9.0}
    assert set(base.filter(pl.col("check_id") == "backup_offsite")["weight"].to_list()) != {9.0}
    history(data)
    history(data, rubric=heavier)
    assert evaluations(data) == counted


def test_a_rewritten_snapshot_is_evaluated_again_alone(data: Path) -> None:
    history(data)
    target = sorted((data / "objects" / "cluster=pi").glob("date=*/*.parquet"))[3]
    os.utime(target, ns=(target.stat().st_atime_ns, target.stat().st_mtime_ns + 1_000_000_000))
    history(data)
    twice = [k for k, n in evaluations(data).items() if n == 2]
    assert [(c, s) for _, c, s in twice] == [("pi", target.stem)]


def test_an_unreadable_stored_file_is_ignored_with_a_warning(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first, _ = history(data)
    key = next(iter(evaluations(data)))[0]
    (segment,) = directory(data, key).glob("*.parquet")
    segment.write_bytes(b"PAR1 not a parquet file")
    again, _ = history(data)
    err = capsys.readouterr().err
    assert f"warning: {segment}: stored findings cannot be read" in err and "evaluated again" in err
    assert "Traceback" not in err
    assert set(evaluations(data).values()) == {2}
    assert not segment.exists()
    assert_frame_equal(first, again)


def test_a_kernel_told_the_digest_only_reads(data: Path) -> None:
    rub = rubric_mod.load(data=data)
    expect(data, digest(data, rub))
    try:
        with pytest.raises(FindingsNotStoredError, match="90 snapshot"):
            evaluate(data, rub, history=True)
        expect(data, None)
        evaluate(data, rub, history=True)
        expect(data, digest(data, rub))
        evaluate(data, rub, history=True)  # all stored: reads them
    finally:
        expect(data, None)
    assert len(evaluations(data)) == 90


@pytest.mark.slow
def test_one_report_evaluates_each_snapshot_once_and_a_second_none(data: Path, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from readiness.report import build

    monkeypatch.setenv("READINESS_NO_CHROMIUM", "1")  # figures stay interactive: this counts evaluations only
    out = tmp_path / "reports"
    build(data=data, out=out, pdf=False, renderer="pandoc")
    counted = evaluations(data)
    assert set(counted.values()) == {1}, [k for k, n in counted.items() if n > 1]
    assert {(c, s) for _, c, s in counted} == snapshot_ids(data)  # the demo's newest month: every snapshot
    assert (out / "2026-03" / "report.json").is_file() and (out / "2026-03" / "notebooks" / "trends.ipynb").is_file()
    build(data=data, out=out, pdf=False, renderer="pandoc")
    assert evaluations(data) == counted  # no new snapshot: nothing evaluated
