"""The one place where a failure becomes one line on stderr (a traceback only with ``--debug``).

Every error a user can cause or meet (bad input, a corrupt or unwritable data directory, a full
disk) is said in one line naming the file and what to do; exit status 1. Anything else is an
internal error: still one line, pointing at ``--debug`` for the traceback.
"""

from __future__ import annotations

import errno
import os

from readiness.errors import ReadinessError

DEBUG_ENV = "READINESS_DEBUG"
EXIT_ERROR = 1
EXIT_INTERRUPTED = 130

_WRITE_HINTS = {
    errno.ENOSPC: "the disk is full: free some space and run again; nothing was replaced",
    errno.EDQUOT: "the disk quota is exhausted: free some space and run again; nothing was replaced",
    errno.EROFS: "the file system is read-only: pass a writable --data DIR (or --out DIR)",
    errno.EACCES: "fix the permissions, or pass a directory you can write (--data DIR, --out DIR)",
    errno.EPERM: "fix the permissions, or pass a directory you can write (--data DIR, --out DIR)",
    errno.ENOTDIR: "a path that should be a directory is a file: check --data and $READINESS_DATA",
    errno.EISDIR: "a path that should be a file is a directory",
}


def debug_wanted(flag: bool = False) -> bool:
    """Tracebacks are shown with ``--debug`` or ``READINESS_DEBUG=1``."""
    return flag or os.environ.get(DEBUG_ENV, "") not in ("", "0")


def one_line(err: BaseException) -> str:
    """The line to print for ``err`` (without the ``error: `` prefix)."""
    if isinstance(err, ReadinessError):
        return _flat(str(err))
    if isinstance(err, OSError):
        where = err.filename or ""
        what = err.strerror or str(err)
        hint = _WRITE_HINTS.get(err.errno or 0, "check the path and run again")
        return _flat(f"{where}: {what} ({hint})" if where else f"{what} ({hint})")
    if isinstance(err, UnicodeDecodeError):
        return _flat(f"an input file is not UTF-8 text ({err.reason} at byte {err.start}) "
                     "(save it as UTF-8; run again with --debug to see which file)")
    if isinstance(err, MemoryError):
        return "out of memory (use --cluster to assess fewer clusters at once)"
    return _flat(f"internal error: {type(err).__name__}: {err} "
                 "(run again with --debug for the traceback, and report it)")


def _flat(text: str) -> str:
    return " ".join(text.split())
