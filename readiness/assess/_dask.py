"""Evaluation on Dask: the snapshots that need evaluating, in batches, as tasks of a Dask cluster.

Used only through ``readiness.assess.evaluate.engine("dask", scheduler)`` (``--engine dask``);
nothing else imports Dask. Each task is one call of ``evaluate.evaluate_batch`` on up to
``BATCH`` consecutive points (one cluster's snapshots in time order, mostly): the worker reads
those points' objects and coverage files from the data directory itself, stores their
``findings.STORED`` rows as a segment of its own (``findings.save``; uploaded too when the data
directory mirrors object storage) and returns only the segment's path. The client reads each
segment back as its task finishes (so no worker holds more than its own batches, and no
findings travel through Dask) and merges the segments once at the end (``findings.compact``).
A worker that cannot write the data directory returns its rows instead, and the client stores
them, as in-process evaluation does.

The inputs (rubric, roles, attestations, waivers, digest) go to every worker once
(``Client.scatter(broadcast=True)``). A worker first loads the installed check plugins and
those the rubric names, then compares its ``findings.code_version()`` with the client's: a
worker running other readiness code or other plugins would store findings under a digest that
does not describe them, so it raises ``ReadinessError`` instead.
"""

from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import polars as pl

from readiness.assess import evaluate as ev
from readiness.errors import ReadinessError
from readiness.store import findings as fs

BATCH = 64  # points per task at most: a task is a few hundred ms of work, far above Dask's ~1 ms per task
CONNECT_TIMEOUT = "20s"  # how long the client tries to reach --scheduler
_prepared: set[tuple[str, ...]] = set()  # on a worker: the rubric plugins already loaded


@dataclass(frozen=True)
class _Shipped:
    """What every task needs besides its points: sent to each worker once."""

    inputs: ev.Inputs
    code_version: str
    plugins: tuple[str, ...]


def _run_batch(data_dir: str, todo: list[ev.EvaluatedSnapshot], stamps: list[str],
               shipped: _Shipped) -> tuple[str | None, pl.DataFrame | None]:
    """One task, on a worker: ``evaluate_batch`` after checking the worker runs the client's code,
    its rows stored as a new segment. (segment path, None); (None, rows) when it was not stored."""
    from readiness.assess.checks import plugins

    try:
        if shipped.plugins not in _prepared:  # once per worker process: listing entry points is slow
            plugins.load_installed()
            plugins.load(shipped.plugins)
            _prepared.add(shipped.plugins)
        if fs.code_version() != shipped.code_version:
            raise ReadinessError(
                f"Dask worker pid {os.getpid()} runs other readiness code or check plugins than the client "
                f"(code {fs.code_version()[:12]} vs {shipped.code_version[:12]})",
                hint="install the same readiness version and plugins on the workers as where the command runs")
        rows = ev.evaluate_batch(Path(data_dir), todo, stamps, shipped.inputs)
        saved = fs.save(Path(data_dir), shipped.inputs.key, rows, merge=False)
        return (str(saved), None) if saved is not None else (None, rows)
    except ReadinessError as err:
        # Re-raised as the base class: its subclasses take other constructor arguments and would not
        # unpickle on the client; the one-line message stays the same.
        raise ReadinessError(str(err)) from None


def batches(n: int, workers: int) -> list[range]:
    """``range``s of consecutive indexes covering ``range(n)``: at least four per worker (so a slow
    batch does not leave the others idle at the end), at most ``BATCH`` points each."""
    if n <= 0:
        return []
    size = max(1, min(BATCH, math.ceil(n / max(1, 4 * workers))))
    return [range(i, min(n, i + size)) for i in range(0, n, size)]


class DaskEngine:
    """A context manager holding the Dask client (and the local cluster it started, if any).

    The client connects when the first snapshot needs evaluating, not before: a run whose
    findings are all stored never starts a cluster. ``scheduler``: an address, or None for a
    ``LocalCluster`` of one single-threaded worker process per core.
    """

    def __init__(self, scheduler: str | None) -> None:
        try:
            import distributed  # noqa: F401
        except ImportError:
            raise ReadinessError("--engine dask needs Dask, which is not installed",
                                 hint="pip install 'readiness[dask]'") from None
        self.scheduler = scheduler
        self._client: Any = None
        self._cluster: Any = None

    def __enter__(self) -> DaskEngine:
        return self

    def __exit__(self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Close the client and the local cluster this engine started (a remote one keeps running)."""
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def client(self) -> Any:
        """The ``distributed.Client``, connected (or its local cluster started) on first use."""
        if self._client is None:
            from distributed import Client, LocalCluster

            if self.scheduler:
                try:
                    self._client = Client(self.scheduler, timeout=CONNECT_TIMEOUT, set_as_default=False)
                except (OSError, TimeoutError, ValueError) as err:
                    raise ReadinessError(f"cannot reach the Dask scheduler at {self.scheduler} ({err})",
                                         hint="check --scheduler (tcp://HOST:8786) and that the scheduler "
                                              "runs") from None
            else:
                # The client reports a task's error as one line: the workers' own log stays quiet.
                self._cluster = LocalCluster(n_workers=os.cpu_count() or 1, threads_per_worker=1, processes=True,
                                             dashboard_address=":0", silence_logs=logging.CRITICAL)
                self._client = Client(self._cluster, set_as_default=False)
        return self._client

    def evaluate(self, data_dir: Path, todo: list[ev.EvaluatedSnapshot], stamps: list[str],
                 inputs: ev.Inputs) -> pl.DataFrame:
        """``evaluate_batch(data_dir, todo, stamps, inputs)``, computed as Dask tasks: the same rows
        in the same order, already stored (each task's own segment, or here when a worker could
        not write). ``ReadinessError`` when a worker's segment cannot be read here (the workers
        see the data directory at another path)."""
        from distributed import as_completed

        client = self.client()
        workers = max(1, len(client.scheduler_info()["workers"]))
        shipped = client.scatter(_Shipped(inputs, fs.code_version(), inputs.rubric.plugins), broadcast=True)
        where = str(Path(data_dir).resolve()) if "://" not in str(data_dir) else str(data_dir)
        parts = batches(len(todo), workers)
        futures = [client.submit(_run_batch, where, todo[r.start:r.stop], stamps[r.start:r.stop], shipped,
                                 pure=False) for r in parts]
        index = {f.key: i for i, f in enumerate(futures)}
        frames: list[pl.DataFrame | None] = [None] * len(futures)
        try:
            for future, (segment, rows) in as_completed(futures, with_results=True, loop=client.loop):
                at = index[future.key]
                future.release()  # the worker may drop it: memory stays at the batches in flight
                if segment is None:  # the worker could not write: stored here, as in-process evaluation does
                    fs.save(data_dir, inputs.key, rows, merge=False)
                else:
                    rows = fs.read_segment(Path(segment))
                    if rows is None:
                        raise ReadinessError(
                            f"the findings a Dask worker stored in {segment} cannot be read here",
                            hint="the workers must see the data directory at the same path as the command "
                                 "(a shared volume)")
                frames[at] = rows
        except BaseException:
            client.cancel(futures)  # a failed batch (or ^C) stops the others; the error is the task's own
            raise
        finally:
            futures.clear()
        done = [f for f in frames if f is not None]
        return pl.concat(done) if done else pl.DataFrame(schema=fs.STORED)
