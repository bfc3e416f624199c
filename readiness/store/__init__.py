"""Storing evidence: the Parquet tables of a data directory, their schemas, and where things are.

Public modules: ``schema`` (each table's columns, declared once), ``findings`` (the stored
findings of each snapshot, keyed by the digest of what decides them), ``paths`` (the data directory,
shipped data files), ``configfile`` (the YAML reader of every configuration file, errors with file
and line), ``repofacts`` (the vocabulary of repository facts, shared by the collectors and checks).
The table functions (``read``, ``scan``, ``snapshots``, ``snapshots_as_of``, ``objects``, ``write_snapshot``,
``write_text_atomic``, ``cluster_lock``...) are this package's own names:

    >>> from readiness import store
    >>> store.snapshots("data/demo")   # one row per snapshot
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from readiness.store._asof import end_of, snapshots_as_of
    from readiness.store._tables import (
        FILE_MODE,
        LOCK_SUFFIX,
        TABLES,
        TMP_SUFFIX,
        atomic_path,
        check_files,
        cluster_lock,
        collect,
        commit,
        lock_path,
        objects,
        partition_path,
        read,
        refuse_mixing,
        remove_leftovers,
        remove_stale_temporaries,
        scan,
        set_mode,
        snapshots,
        temporaries,
        unreadable,
        write_snapshot,
        write_text_atomic,
    )

MODULES = ("configfile", "findings", "paths", "repofacts", "schema")  # the public modules (not imported here)

__all__ = [
    "FILE_MODE",
    "LOCK_SUFFIX",
    "TABLES",
    "TMP_SUFFIX",
    "atomic_path",
    "check_files",
    "cluster_lock",
    "collect",
    "commit",
    "end_of",
    "lock_path",
    "objects",
    "partition_path",
    "read",
    "refuse_mixing",
    "remove_leftovers",
    "remove_stale_temporaries",
    "scan",
    "set_mode",
    "snapshots",
    "snapshots_as_of",
    "temporaries",
    "unreadable",
    "write_snapshot",
    "write_text_atomic",
]

# readiness.doctor's own look at what the readers and writers do; not part of __all__.
_DOCTOR = ("_files", "_umask")


def __getattr__(name: str) -> Any:
    """The table functions, imported from ``_tables`` on first use: ``readiness.store.paths`` and
    the other small modules load without polars (the ``readiness`` command's start-up)."""
    if name in __all__ or name in _DOCTOR:
        home = "readiness.store._asof" if name in ("end_of", "snapshots_as_of") else "readiness.store._tables"
        value = getattr(importlib.import_module(home), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'readiness.store' has no attribute {name!r}")
