"""A large synthetic fleet, its report, and a screenshot of the report to look at.

    .venv/bin/python benchmarks/fleet_report.py [--clusters 500] [--weeks 3] [--out /tmp/fleet-report]

Writes ``--clusters`` clusters x ``--weeks`` weekly snapshots with ``benchmarks/score.py``'s
``write_fleet`` (cluster i looks like demo cluster i mod 5) into OUT/data, a ``fleet.yaml`` that
puts every cluster in an environment and a team (``write_groups``), then runs ``readiness
report`` into OUT/reports and takes a screenshot of the HTML with Chromium headless
(OUT/report.png, the page's top; OUT/heatmap.png and OUT/trend.png, the page from the group
heatmap and from the trend per group on).
Prints the time of each step and the sizes of the figures, so the result can be looked at by eye:
the acceptance is that the screenshot is legible (docs/report.md, "Large fleets").
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import time
from pathlib import Path

ENVIRONMENTS = ("production", "staging", "development")
TEAMS = ("payments", "search", "identity", "platform", "data", "mobile")


def _write_fleet():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bench_score", Path(__file__).parent / "score.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.write_fleet


def write_groups(data: Path, clusters: int, environments: tuple[str, ...] = ENVIRONMENTS,
                 teams: tuple[str, ...] = TEAMS) -> dict[str, tuple[str, str]]:
    """``data/fleet.yaml`` for ``write_fleet``'s clusters c000.. : cluster i in environment
    ``i mod len(environments)`` and team ``(i // len(environments)) mod len(teams)``. Returns
    cluster -> (environment, team)."""
    groups = {f"c{i:03d}": (environments[i % len(environments)], teams[(i // len(environments)) % len(teams)])
              for i in range(clusters)}
    lines = ["clusters:"] + [f"  {c}: {{role: {env}, environment: {env}, team: {team}}}"
                             for c, (env, team) in groups.items()]
    (data / "fleet.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return groups


SCROLL = """<script>window.addEventListener("load", () => {
  let n = document.getElementById("%s");  // the page from this element on: earlier siblings hidden
  for (; n && n.parentElement && n.parentElement !== document.body; n = n.parentElement) {
    for (let p = n.previousElementSibling; p; p = p.previousElementSibling) p.style.display = "none";
  }
  for (let p = n && n.previousElementSibling; p; p = p.previousElementSibling) p.style.display = "none";
  window.dispatchEvent(new Event("resize"));
});</script>"""


def screenshot(html: Path, png: Path, height: int, anchor: str = "") -> None:
    """A 1400 px wide screenshot of ``html`` with Chromium headless; with ``anchor`` (an element id)
    of the page from that element on (a copy of the page that hides what comes before it)."""
    from readiness.report._export import find_chromium

    chromium = find_chromium()
    if chromium is None:
        sys.exit("no Chromium found: set BROWSER_PATH")
    page = html
    if anchor:
        page = html.with_name(f".{anchor}.html")
        page.write_text(html.read_text(encoding="utf-8").replace("</body>", SCROLL % anchor + "</body>"),
                        encoding="utf-8")
    try:
        subprocess.run([str(chromium), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        f"--window-size=1400,{height}", "--virtual-time-budget=15000", f"--screenshot={png}",
                        page.resolve().as_uri()], check=True, capture_output=True, timeout=300)
    finally:
        if page != html:
            page.unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=500)
    parser.add_argument("--weeks", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("/tmp/fleet-report"))
    parser.add_argument("--screenshots-only", action="store_true", help="only the screenshots of the last report")
    args = parser.parse_args()
    data, reports = args.out / "data", args.out / "reports"
    if not args.screenshots_only:
        started = time.perf_counter()
        if not (data / "fleet.yaml").is_file():
            _write_fleet()(data, args.clusters, args.weeks)
            write_groups(data, args.clusters)
        print(f"fleet: {args.clusters} clusters x {args.weeks} weeks in {data} "
              f"({time.perf_counter() - started:.1f} s)")
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "readiness", "report", "--data", str(data), "--out", str(reports),
                        "--no-pdf"], check=True)
        print(f"report: {time.perf_counter() - started:.1f} s")
    html = max(reports.glob("*/production-readiness.html"))
    shots = {"report.png": (2400, ""), "heatmap.png": (1400, "fig-drift"), "trend.png": (1000, "fig-clusters-trend")}
    for name, (height, anchor) in shots.items():
        screenshot(html, args.out / name, height, anchor)
    print(f"screenshots in {args.out}: {', '.join(shots)} (look at them)")


if __name__ == "__main__":
    main()
