"""How fast the ``readiness`` command answers ``--help`` and an argument error, against importing click.

    .venv/bin/python benchmarks/startup.py [--repeat 7]

Each measurement is a fresh interpreter (``python -m readiness ...`` with this checkout first on
``PYTHONPATH``); runs of the three commands are interleaved so machine noise hits them alike, and
the fastest of ``--repeat`` runs counts. Prints seconds and the ratios to ``python -c "import
click"`` (issue 15's target: ``--help`` <= 3x).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = {
    "import click": [sys.executable, "-c", "import click"],
    "readiness --help": [sys.executable, "-m", "readiness", "--help"],
    "readiness score --no-such-option": [sys.executable, "-m", "readiness", "score", "--no-such-option"],
}


def once(cmd: list[str]) -> float:
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    env = {**os.environ, "PYTHONPATH": path}
    start = time.perf_counter()
    subprocess.run(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=7, help="runs per command; the fastest counts")
    args = parser.parse_args()
    best = dict.fromkeys(COMMANDS, float("inf"))
    for _ in range(args.repeat):
        for name, cmd in COMMANDS.items():
            best[name] = min(best[name], once(cmd))
    floor = best["import click"]
    print(f"{'command':<36} {'best s':>7} {'/ import click':>15}")
    for name, seconds in best.items():
        print(f"{name:<36} {seconds:>7.3f} {seconds / floor:>15.2f}")
    ratio = best["readiness --help"] / floor
    print(f"readiness --help / import click = {ratio:.2f} (target <= 3.0: {'met' if ratio <= 3.0 else 'NOT met'})")


if __name__ == "__main__":
    main()
