"""Storing evidence: the Parquet tables of a data directory, their schemas, and where things are.

Public modules: ``schema`` (each table's columns, declared once), ``findings`` (the stored
findings of each snapshot, keyed by the digest of what decides them), ``paths`` (the data directory,
shipped data files), ``configfile`` (the YAML reader of every configuration file, errors with file
and line), ``repofacts`` (the vocabulary of repository facts, shared by the collectors and checks).
The table functions (``read``, ``scan``, ``snapshots``, ``objects``, ``write_snapshot``,
``write_text_atomic``, ``cluster_lock``...) are this package's own names:

    >>> from readiness import store
    >>> store.snapshots("data/demo")   # one row per snapshot
"""

from __future__ import annotations

from readiness.store._tables import (
    FILE_MODE,
    LOCK_SUFFIX,
    TABLES,
    TMP_SUFFIX,
    _files,  # noqa: F401  (readiness.doctor checks the files the readers would read)
    _umask,  # noqa: F401  (readiness.doctor compares file modes with what the writers make)
    atomic_path,
    check_files,
    cluster_lock,
    collect,
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
    "temporaries",
    "unreadable",
    "write_snapshot",
    "write_text_atomic",
]
