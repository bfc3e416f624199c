"""The work log: hours spent on the plan's work packages, one CSV row per entry.

``worklog.csv`` has the header ``date,work_package,hours,note``; every row is validated and a bad
one is reported with its line number. Appending takes an exclusive lock on the file and writes
the whole row with one ``write`` on a file opened for appending, so concurrent ``readiness log``
calls never interleave and a reader never sees half a line.
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import io
import math
import os
from collections.abc import Collection, Iterator
from datetime import date
from pathlib import Path
from typing import NamedTuple

import polars as pl

from readiness import paths
from readiness.errors import ConfigError

WORKLOG_FILE = "worklog.csv"
COLUMNS = ("date", "work_package", "hours", "note")
HEADER = ",".join(COLUMNS)
MAX_HOURS = 24.0
SCHEMA = pl.Schema({"date": pl.Date(), "work_package": pl.String(), "hours": pl.Float64(), "note": pl.String()})


def path_for(data_dir: Path | str | None = None) -> Path:
    """The work log of a data directory: its own ``worklog.csv``, else the project's ``data/``."""
    return paths.shipped(WORKLOG_FILE, paths.data_dir(data_dir))


def _hint(work_packages: Collection[str] | None) -> str:
    known = ", ".join(sorted(work_packages or (), key=_wp_order))
    return f"the plan's work packages: {known}" if known else "see 'readiness plan'"


def _wp_order(wp: str) -> tuple[int, str]:
    digits = "".join(ch for ch in wp if ch.isdigit())
    return (int(digits) if digits else 0, wp)


class Entry(NamedTuple):
    date: date
    work_package: str
    hours: float
    note: str


def entry(
    path: str, line: int | None, day: str | date, work_package: str, hours: str | float, note: str,
    work_packages: Collection[str] | None = None,
) -> Entry:
    """One validated row; ``ConfigError`` naming ``path:line`` when a field is wrong."""
    if isinstance(day, date):
        when = day
    else:
        try:
            when = date.fromisoformat(day.strip())
        except ValueError:
            raise ConfigError(path, f"date {day!r} is not a date", line=line, hint="write it as YYYY-MM-DD") from None
    wp = work_package.strip()
    if not wp or (work_packages is not None and wp not in work_packages):
        raise ConfigError(path, f"unknown work package {work_package!r}", line=line, hint=_hint(work_packages))
    try:
        value = float(hours)
    except (TypeError, ValueError):
        value = math.nan
    if not (0 < value <= MAX_HOURS):
        raise ConfigError(path, f"hours must be a number above 0 and at most {MAX_HOURS:g}, got {hours!r}",
                          line=line, hint="log longer work as one row per day")
    return Entry(when, wp, value, " ".join(note.split()))


def _rows(text: str, path: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text))
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            raise ConfigError(path, f"not valid CSV: {err}", line=start) from None
        yield start, row


def parse(text: str, path: str, work_packages: Collection[str] | None = None) -> pl.DataFrame:
    """The rows of a work log's text (``SCHEMA``), each validated."""
    records = []
    for line, row in _rows(text, path):
        if line == 1:
            if [c.strip() for c in row] != list(COLUMNS):
                raise ConfigError(path, f"the header must be '{HEADER}', got {','.join(row)!r}", line=1,
                                  hint="restore the header line")
            continue
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) not in (3, 4):
            raise ConfigError(path, f"expected {len(COLUMNS)} fields ({HEADER}), got {len(row)}", line=line,
                              hint="quote a note that contains commas")
        day, wp, hours, *rest = row
        records.append(entry(path, line, day, wp, hours, rest[0] if rest else "", work_packages)._asdict())
    return pl.DataFrame(records, schema=SCHEMA)


def read(path: Path | str, work_packages: Collection[str] | None = None) -> pl.DataFrame:
    """The work log at ``path`` (``SCHEMA``); empty when the file does not exist."""
    path = Path(path)
    if not path.is_file():
        return pl.DataFrame(schema=SCHEMA)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(str(path), f"cannot read the work log: {err}") from None
    return parse(text, str(path), work_packages)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[int]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield fd
    finally:
        os.close(fd)  # closing releases the lock


def _read_all(fd: int) -> bytes:
    chunks = []
    offset = 0
    while chunk := os.pread(fd, 1 << 16, offset):
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)


def append(
    path: Path | str,
    work_package: str,
    hours: float,
    *,
    day: date,
    note: str = "",
    work_packages: Collection[str] | None = None,
) -> int:
    """Append one validated row to the work log at ``path`` (created with its header when absent).

    The existing file is validated first (never append to a broken log). Returns the new row's
    line number.
    """
    path = Path(path)
    row = entry(str(path), None, day, work_package, hours, note, work_packages)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow([row.date.isoformat(), row.work_package, f"{row.hours:g}", row.note])
    with _locked(path) as fd:
        existing = _read_all(fd).decode("utf-8")
        parse(existing, str(path), work_packages)
        prefix = ""
        if not existing.strip():
            prefix = HEADER + "\n"
            existing = ""
            os.ftruncate(fd, 0)
        elif not existing.endswith("\n"):
            prefix = "\n"
        data = (prefix + buf.getvalue()).encode("utf-8")
        written = 0
        while written < len(data):
            written += os.write(fd, data[written:])
        os.fsync(fd)
    return (existing + prefix).count("\n") + 1
