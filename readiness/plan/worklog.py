"""The work log: hours spent on the plan's work packages, one CSV row per entry.

``worklog.csv`` has the header ``date,work_package,hours,note``; every row is validated and a bad
one is reported with its line number. Parsing is strict: a row is one line (an unclosed quote is
an error at its line, never a note that swallows the rows after it). Appending takes an
exclusive lock on the file and writes the whole row with one ``write`` on a file opened for
appending, so concurrent ``readiness log`` calls never interleave and a reader never sees half a
line; it parses only the header and the last row, never the whole log.
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

from readiness.errors import ConfigError
from readiness.store import paths

WORKLOG_FILE = "worklog.csv"
COLUMNS = ("date", "work_package", "hours", "note")
HEADER = ",".join(COLUMNS)
MAX_HOURS = 24.0
SCHEMA = pl.Schema({"date": pl.Date(), "work_package": pl.String(), "hours": pl.Float64(), "note": pl.String()})


def path_for(data_dir: Path | str | None = None) -> Path:
    """The work log of a data directory: its own ``worklog.csv``; else the project's shipped one when
    the directory is of the fleet it was written for (``plan.source``); else its own path (not there
    yet: an empty log)."""
    from readiness.plan._load import source

    return source(WORKLOG_FILE, data_dir) or paths.data_dir(data_dir) / WORKLOG_FILE


def _hint(work_packages: Collection[str] | None) -> str:
    known = ", ".join(sorted(work_packages or (), key=_wp_order))
    return f"the plan's work packages: {known}" if known else "see 'readiness plan'"


def _wp_order(wp: str) -> tuple[int, str]:
    digits = "".join(ch for ch in wp if ch.isdigit())
    return (int(digits) if digits else 0, wp)


class Entry(NamedTuple):
    """One validated row of ``worklog.csv``: the day, the work package, the hours spent (> 0) and a note."""

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


def _rows(text: str, path: str, first_line: int = 1) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text), strict=True)
    while True:
        start = reader.line_num + first_line
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            if "unexpected end of data" in str(err):
                raise ConfigError(path, "a quoted field is not closed (it runs on to the end of the file)",
                                  line=start, hint="close the quote; a note is one line") from None
            raise ConfigError(path, f"not valid CSV: {err}", line=start,
                              hint="close the quote, or double a quote inside a quoted note (\"\")") from None
        if reader.line_num + first_line - 1 > start:  # a quoted field ran over the end of its line
            raise ConfigError(path, f"a quoted field is not closed on its line (it runs on to line "
                              f"{reader.line_num + first_line - 1})", line=start,
                              hint="close the quote; a note is one line")
        yield start, row


def parse(text: str, path: str, work_packages: Collection[str] | None = None, first_line: int = 1) -> pl.DataFrame:
    """The rows of a work log's text (``SCHEMA``), each validated; ``text`` starts at ``first_line``
    (1: with the header).

    One row per entry: ``date``, ``work_package``, ``hours`` (spent, above 0) and ``note``; blank lines are
    skipped. Raises ``ConfigError`` naming ``path`` and the line of a bad header, row or field (a work package
    not in ``work_packages``, when given).
    """
    records = []
    for line, row in _rows(text, path, first_line):
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
    """The work log at ``path`` (``SCHEMA``: as ``parse``); empty when the file does not exist.

    Raises ``ConfigError`` naming ``path`` (and the line) when it cannot be read, is not UTF-8 or has a bad row.
    """
    path = Path(path)
    if not path.is_file():
        return pl.DataFrame(schema=SCHEMA)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(str(path), f"cannot read the work log: {err.strerror}") from None
    except UnicodeDecodeError as err:
        line = path.read_bytes()[: err.start].count(b"\n") + 1
        raise ConfigError(str(path), f"not UTF-8 text ({err.reason})", line=line, hint="save it as UTF-8") from None
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


TAIL = 1 << 16  # bytes read from the end of the log to find its last row


def _last_row(fd: int, size: int) -> tuple[bytes, bytes]:
    """(header line, last non-empty line) of the file, reading only its first and last bytes."""
    head = os.pread(fd, min(size, 4096), 0).split(b"\n", 1)[0]
    start = max(0, size - TAIL)
    tail = os.pread(fd, size - start, start)
    lines = [line for line in tail.split(b"\n") if line.strip()]
    if start > 0 and len(lines) <= 1 and b"\n" not in tail.rstrip(b"\n"):
        return head, b""  # one row longer than TAIL: the reader will judge it
    return head, lines[-1] if lines else b""


def _count_lines(fd: int, size: int) -> int:
    """Newlines in the file, counted a megabyte at a time (no parsing, bounded memory)."""
    n, offset = 0, 0
    while offset < size:
        chunk = os.pread(fd, 1 << 20, offset)
        if not chunk:
            break
        n += chunk.count(b"\n")
        offset += len(chunk)
    return n


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

    The header and the last row of the existing file are validated first (never append after a
    broken row or an unclosed quote); the rest is not read, so appending costs the same at a
    million rows. Returns the new row's line number. Raises ``ConfigError`` naming the line.
    """
    path = Path(path)
    row = entry(str(path), None, day, work_package, hours, note, work_packages)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow([row.date.isoformat(), row.work_package, f"{row.hours:g}", row.note])
    with _locked(path) as fd:
        size = os.fstat(fd).st_size
        head, last = _last_row(fd, size) if size else (b"", b"")
        lines = _count_lines(fd, size) if size else 0
        ends_with_newline = size > 0 and os.pread(fd, 1, size - 1) == b"\n"
        prefix = ""
        if not head.strip() and not last.strip():
            prefix = HEADER + "\n"
            lines = 0
            os.ftruncate(fd, 0)
        else:
            try:
                parse(head.decode("utf-8") + "\n", str(path), work_packages)
                if last != head:
                    last_line = lines + (0 if ends_with_newline else 1)
                    parse(last.decode("utf-8") + "\n", str(path), work_packages, first_line=last_line)
            except UnicodeDecodeError as err:
                raise ConfigError(str(path), f"not UTF-8 text ({err.reason})", hint="save it as UTF-8") from None
            if not ends_with_newline:
                prefix = "\n"
                lines += 1
        data = (prefix + buf.getvalue()).encode("utf-8")
        written = 0
        while written < len(data):
            written += os.write(fd, data[written:])
        os.fsync(fd)
    return lines + (1 if prefix == HEADER + "\n" else 0) + 1
