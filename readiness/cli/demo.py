"""``readiness demo``: write the bundled demo fleet."""

from __future__ import annotations

import signal
from pathlib import Path
from types import FrameType

import click

from readiness.cli.options import DataLocation
from readiness.store import paths


def _stop(signum: int, frame: FrameType | None) -> None:
    # Turn SIGTERM into an exception so temporary files are removed on the way out.
    raise KeyboardInterrupt


@click.command()
@click.option("--data", type=DataLocation(), default=paths.DEMO_DATA,
              show_default=True, help="Directory to write the demo fleet into (never mixed with collected data).")
def demo(data: Path) -> None:
    """Write the demo fleet: five simulated clusters (air, pro, studio, pi, forge), weekly
    snapshots from 2025-11-07 to 2026-03-06, with the Phase 1 work landing week by week.

    Deterministic: running it twice gives identical tables.
    """
    from readiness.demo import timeline, write_demo

    signal.signal(signal.SIGTERM, _stop)
    shown = data
    data = paths.own_data_dir(data)  # a URL: its local mirror, each snapshot uploaded as it is written
    with click.progressbar(length=timeline.WEEKS, label=f"demo fleet -> {shown}", file=None) as bar:
        files = write_demo(data, progress=lambda done, total: bar.update(1))
    click.echo(f"wrote {timeline.WEEKS} weekly snapshots of {len(timeline.CLUSTERS)} clusters "
               f"({len(files)} Parquet files) to {shown}")
