"""The work log: reading with line-numbered errors, and appending safely."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from readiness.errors import ConfigError
from readiness.plan import worklog as wl
from tests.plan.helpers import ROOT, write

WPS = {f"WP{i}" for i in range(1, 10)}
GOOD = "date,work_package,hours,note\n2025-11-11,WP1,3,ESO on forge\n\n2025-11-18,WP2,4.5,\"Velero, MinIO\"\n"


def test_read_validates_and_types(tmp_path: Path) -> None:
    df = wl.read(write(tmp_path, "worklog.csv", GOOD), WPS)
    assert df.schema == wl.SCHEMA
    assert df.rows() == [(date(2025, 11, 11), "WP1", 3.0, "ESO on forge"),
                         (date(2025, 11, 18), "WP2", 4.5, "Velero, MinIO")]


def test_a_missing_log_is_empty(tmp_path: Path) -> None:
    assert wl.read(tmp_path / "worklog.csv").is_empty()


@pytest.mark.parametrize(("row", "problem"), [
    ("2025-13-01,WP1,3,x", "not a date"),
    ("2025-11-12,WP10,3,x", "unknown work package 'WP10'"),
    ("2025-11-12,,3,x", "unknown work package ''"),
    ("2025-11-12,WP1,0,x", "hours must be a number above 0"),
    ("2025-11-12,WP1,-2,x", "hours must be a number above 0"),
    ("2025-11-12,WP1,25,x", "at most 24"),
    ("2025-11-12,WP1,three,x", "hours must be a number"),
    ("2025-11-12,WP1,nan,x", "hours must be a number"),
    ("2025-11-12,WP1", "expected 4 fields"),
    ("2025-11-12,WP1,3,a,b", "expected 4 fields"),
])
def test_a_bad_row_is_reported_with_its_line_number(tmp_path: Path, row: str, problem: str) -> None:
    path = write(tmp_path, "worklog.csv", GOOD + row + "\n2025-11-20,WP2,1,after\n")
    with pytest.raises(ConfigError) as err:
        wl.read(path, WPS)
    assert problem in err.value.problem
    assert err.value.line == 5  # header, two rows, a blank line, then the bad row
    assert f"{path}:5:" in str(err.value)


def test_a_bad_header_is_line_1(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        wl.read(write(tmp_path, "worklog.csv", "day,wp,hours\n2025-11-11,WP1,3\n"), WPS)
    assert err.value.line == 1 and "header" in err.value.problem


def test_unknown_work_packages_pass_without_a_plan(tmp_path: Path) -> None:
    assert wl.read(write(tmp_path, "worklog.csv", GOOD.replace("WP2", "WP42")))["work_package"][1] == "WP42"


def test_append_creates_the_log_with_its_header(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "worklog.csv"
    line = wl.append(path, "WP3", 2.5, day=date(2025, 11, 26), note="Alertmanager, first rules", work_packages=WPS)
    assert line == 2
    assert path.read_text() == "date,work_package,hours,note\n2025-11-26,WP3,2.5,\"Alertmanager, first rules\"\n"
    assert wl.read(path, WPS)["note"][0] == "Alertmanager, first rules"


def test_append_completes_a_last_line_without_newline(tmp_path: Path) -> None:
    path = write(tmp_path, "worklog.csv", GOOD.rstrip("\n"))
    line = wl.append(path, "WP1", 1, day=date(2025, 11, 30), note="multi\nline note")
    assert line == 5
    df = wl.read(path, WPS)
    assert df.height == 3 and df["note"][2] == "multi line note"


def test_append_validates_the_entry_and_refuses_a_broken_log(tmp_path: Path) -> None:
    path = write(tmp_path, "worklog.csv", GOOD)
    with pytest.raises(ConfigError, match="unknown work package 'WP0'"):
        wl.append(path, "WP0", 1, day=date(2025, 11, 30), work_packages=WPS)
    with pytest.raises(ConfigError, match="at most 24"):
        wl.append(path, "WP1", 30, day=date(2025, 11, 30), work_packages=WPS)
    assert path.read_text() == GOOD
    broken = write(tmp_path, "broken.csv", GOOD + "yesterday,WP1,1,x\n")
    with pytest.raises(ConfigError) as err:
        wl.append(broken, "WP1", 1, day=date(2025, 11, 30))
    assert err.value.line == 5
    assert broken.read_text() == GOOD + "yesterday,WP1,1,x\n"


def _append_many(path: Path, worker: int) -> None:
    for i in range(25):
        wl.append(path, "WP2", 1 + (i % 4) / 4, day=date(2025, 12, 1), note=f"worker {worker} entry {i} " + "x" * 200)


def test_concurrent_appends_never_lose_or_mix_lines(tmp_path: Path) -> None:
    path = tmp_path / "worklog.csv"
    # flock locks belong to open file descriptions, so threads that open the file contend like processes
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(_append_many, [path] * 4, range(4)))
    df = wl.read(path, WPS)
    assert df.height == 100
    assert path.read_text().count("date,work_package,hours,note") == 1
    counts = df.with_columns(pl.col("note").str.extract(r"worker (\d)").alias("w")).group_by("w").len()
    assert sorted(counts["len"].to_list()) == [25, 25, 25, 25]


def test_the_demo_work_log_is_valid_and_overruns_where_the_demo_is_late() -> None:
    df = wl.read(ROOT / "readiness" / "demo" / "worklog.csv", WPS)
    per_wp = dict(df.group_by("work_package").agg(pl.col("hours").sum()).iter_rows())
    assert set(per_wp) == WPS
    assert df["hours"].sum() != 204  # spent is self-reported; it need not match the plan
    for late, planned in (("WP2", 16), ("WP3", 16), ("WP7", 40)):  # the demo timeline's late packages
        assert per_wp[late] > planned
    assert df["date"].min() >= date(2025, 11, 10)


def test_path_for_prefers_the_data_directory(tmp_path: Path) -> None:
    # Another fleet's directory never reads the homelab's hours: its own (not yet written) log.
    assert wl.path_for(tmp_path) == tmp_path / "worklog.csv"
    assert wl.read(wl.path_for(tmp_path)).is_empty()
    write(tmp_path, "fleet.yaml", "rubric: homelab-phase1\n")  # the fleet the shipped log belongs to
    assert wl.path_for(tmp_path) == ROOT / "data" / "worklog.csv"
    write(tmp_path, "worklog.csv", GOOD)
    assert wl.path_for(tmp_path) == tmp_path / "worklog.csv"
