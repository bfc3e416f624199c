"""Time `readiness report` on the demo fleet, its parts, and what parallel notebooks save.

    .venv/bin/python benchmarks/report.py

Builds the report twice into temporary directories: once with one notebook at a time (the
parts run one after another) and once with the default parallel workers. Prints the parts
(notebook execution per notebook, figure export, rendering) and the ratio of the parallel whole
to the sequential sum. Targets on a 2-core machine: whole report under 45 s (warm install),
ratio below 0.7.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from readiness.demo import write_demo
from readiness.report import build


def run(data: Path, workers: int | None) -> tuple[float, dict[str, float]]:
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        result = build(data=data, out=out, workers=workers)
        return time.perf_counter() - started, result.timings


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "demo"
        write_demo(data)
        run(data, None)  # warm-up: imports, kernel specs, Chromium's first start
        sequential, parts = run(data, 1)
        parallel, timings = run(data, None)
    notebooks = {k.split(":", 1)[1]: v for k, v in parts.items() if k.startswith("notebook:")}
    print(f"cores: {os.cpu_count()}")
    print("parts, one after another (workers=1):")
    for name, seconds in sorted(notebooks.items()):
        print(f"  {'notebook ' + name:<19} {seconds:6.2f} s")
    other = sequential - parts["findings"] - parts["notebooks"] - parts["figures"] - parts["render"]
    print(f"  findings, numbers   {parts['findings']:6.2f} s (stored findings read; report.json's numbers)")
    print(f"  notebooks total     {parts['notebooks']:6.2f} s")
    print(f"  figure export       {parts['figures']:6.2f} s (one Chromium session)")
    print(f"  rendering           {parts['render']:6.2f} s")
    print(f"  the rest            {other:6.2f} s (staging, index, moving into place)")
    print(f"sequential whole:     {sequential:6.2f} s")
    print(f"parallel whole:       {parallel:6.2f} s (notebooks {timings['notebooks']:.2f} s, "
          f"figures {timings['figures']:.2f} s, render {timings['render']:.2f} s)")
    print(f"ratio parallel / sequential: {parallel / sequential:.2f} (target < 0.7); "
          f"whole report {'under' if parallel < 45 else 'OVER'} 45 s")


if __name__ == "__main__":
    main()
