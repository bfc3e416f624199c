"""Time `readiness report` on the demo fleet, its parts, what parallel notebooks save, and the floor.

    .venv/bin/python benchmarks/report.py [--runs 3]

Builds the report into temporary directories: once with one notebook at a time (the parts run
one after another) and ``--runs`` times with the default parallel workers (warm: the first,
untimed build stores the findings and warms imports, kernel specs and Chromium). Prints the parts
(notebook execution per notebook, figure export, rendering) and the ratio of the parallel whole
to the sequential sum (target below 0.7 on a 2-core machine).

The floor is what no report of these notebooks can go below, measured on the same machine in the
same run (``floor()``): starting one Jupyter kernel per notebook (as many at a time as the report
runs) and shutting it down, one Chromium session exporting the same figures to PNG, pandoc turning
the report's Markdown into HTML, and Chromium printing that HTML to PDF. The last line prints the
best whole report / the best floor (issue 13: at most 2).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from readiness.demo import write_demo
from readiness.report import NOTEBOOKS, build


def run(data: Path, workers: int | None, keep: Path | None = None) -> tuple[float, dict[str, float]]:
    """Seconds of one whole ``build`` and its part timings; ``keep``: copy the month's output there."""
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        result = build(data=data, out=out, workers=workers)
        took = time.perf_counter() - started
        if keep is not None:
            shutil.copytree(result.out_dir, keep, dirs_exist_ok=True)
        return took, result.timings


def _kernel_start_stop(_: int) -> float:
    """Start a python3 Jupyter kernel, wait until it answers, shut it down; seconds."""
    from jupyter_client.manager import start_new_kernel

    started = time.perf_counter()
    manager, client = start_new_kernel(kernel_name="python3")
    client.stop_channels()
    manager.shutdown_kernel(now=True)
    return time.perf_counter() - started


def floor(report: Path) -> dict[str, float]:
    """Seconds of each floor part, measured on ``report`` (a built month: notebooks/*.ipynb, the
    Markdown and HTML): kernel starts, figure export, pandoc, PDF print, and their sum (``floor``)."""
    import pypandoc

    from readiness.report._export import export_figures
    from readiness.report._pdf import print_pdf

    parts: dict[str, float] = {}
    workers = min(len(NOTEBOOKS), os.cpu_count() or 1)  # as many kernels at a time as the report runs
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        list(pool.map(_kernel_start_stop, range(len(NOTEBOOKS))))
    parts["kernels"] = time.perf_counter() - started
    parts["figures"] = export_figures(sorted((report / "notebooks").glob("*.ipynb"))).seconds
    markdown = next(report.glob("*.md"))
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        pypandoc.convert_file(str(markdown), "html", outputfile=str(Path(tmp) / "floor.html"),
                              extra_args=["--standalone", "--embed-resources", f"--resource-path={report}"])
        parts["pandoc"] = time.perf_counter() - started
        html = next(report.glob("*.html"))
        started = time.perf_counter()
        print_pdf(html, Path(tmp) / "floor.pdf")
        parts["pdf"] = time.perf_counter() - started
    parts["floor"] = sum(parts.values())
    return parts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3,
                        help="paired runs of the whole report and the floor (the best of each counts)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "demo"
        write_demo(data)
        run(data, None)  # warm-up: stored findings, imports, kernel specs, Chromium's first start
        sequential, parts = run(data, 1)
        wholes, floors = [], []
        for i in range(args.runs):
            built = Path(tmp) / f"built-{i}"
            parallel, timings = run(data, None, keep=built)
            floor_parts = floor(built)
            wholes.append(parallel)
            floors.append(floor_parts["floor"])
            f = floor_parts
            print(f"run {i + 1}: whole report {parallel:6.2f} s; floor {f['floor']:6.2f} s "
                  f"(kernels {f['kernels']:.2f}, figures {f['figures']:.2f}, pandoc {f['pandoc']:.2f}, "
                  f"PDF {f['pdf']:.2f}): "
                  f"ratio {parallel / f['floor']:.2f}", flush=True)
    notebooks = {k.split(":", 1)[1]: v for k, v in parts.items() if k.startswith("notebook:")}
    print(f"cores: {os.cpu_count()}")
    print("parts, one after another (workers=1):")
    for name, seconds in sorted(notebooks.items()):
        print(f"  {'notebook ' + name:<19} {seconds:6.2f} s")
    other = sequential - sum(parts.get(k, 0) for k in ("findings", "notebooks", "figures", "render", "pdf"))
    print(f"  findings, numbers   {parts['findings']:6.2f} s (stored findings read; report.json's numbers)")
    print(f"  notebooks total     {parts['notebooks']:6.2f} s")
    print(f"  figure export       {parts['figures']:6.2f} s (one Chromium session)")
    print(f"  rendering           {parts['render']:6.2f} s")
    print(f"  PDF                 {parts.get('pdf', 0):6.2f} s (Chromium printing the HTML)")
    print(f"  the rest            {other:6.2f} s (staging, index, moving into place)")
    print(f"sequential whole:     {sequential:6.2f} s")
    print(f"parallel whole:       {parallel:6.2f} s (notebooks {timings['notebooks']:.2f} s, "
          f"figures {timings['figures']:.2f} s, render {timings['render']:.2f} s)")
    print(f"ratio parallel / sequential: {parallel / sequential:.2f} (target < 0.7)")
    print(f"best of {args.runs}: whole report {min(wholes):.2f} s, floor {min(floors):.2f} s: "
          f"whole / floor = {min(wholes) / min(floors):.2f} (target <= 2)")


if __name__ == "__main__":
    main()
