"""A report that reads at hundreds of clusters: groups from fleet.yaml, the best and worst in the
tables, every cluster in the appendix and clusters.csv, heatmaps with one row per group.

The fleet is synthetic, in the shapes of ``benchmarks/score.py``'s ``write_fleet`` (cluster i
looks like demo cluster i mod 5), with 60 clusters and a low threshold (report.yaml ``fleet:``)
so the test is fast; the 500-cluster run is done by hand (``benchmarks/fleet_report.py``).
"""

from __future__ import annotations

import csv
import importlib.util
import json
import re
import shutil
from pathlib import Path
from types import ModuleType

import polars as pl
import pytest

import readiness
from readiness.errors import ConfigError
from readiness.report import context as render_context
from readiness.report import figures as charts
from readiness.report import sections, tables
from readiness.store.schema import FLEET

ROOT = Path(__file__).parent.parent
CLUSTERS, WEEKS, ABOVE, SHOWN = 60, 3, 20, 5


def _bench(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "benchmarks" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, tuple[str, str]]]:
    data = tmp_path_factory.mktemp("fleet") / "data"
    _bench("score").write_fleet(data, CLUSTERS, WEEKS)
    groups = _bench("fleet_report").write_groups(data, CLUSTERS)
    (data / "report.yaml").write_text(f"fleet:\n  aggregate_above: {ABOVE}\n  shown: {SHOWN}\n", encoding="utf-8")
    for own in ("plan.yaml", "risks.yaml"):  # the project's plan and risk register, as the fleet's own
        shutil.copyfile(Path(__file__).resolve().parents[1] / "data" / own, data / own)
    return data, groups


@pytest.fixture(scope="module")
def assessed(fleet: tuple[Path, dict[str, tuple[str, str]]]) -> tuple[object, render_context.Grouping]:
    data, _ = fleet
    a = readiness.assess(data)
    return a, render_context.load(data).grouping(a.snapshots["cluster"].unique().to_list())


def _table_rows(md: str) -> list[list[str]]:
    return [[c.strip() for c in line.strip().strip("|").split("|")] for line in md.splitlines()
            if line.startswith("|") and not line.startswith("|---")]


def test_groups_come_from_fleet_yaml(assessed: tuple, fleet: tuple) -> None:  # type: ignore[type-arg]
    _, grouping = assessed
    _, groups = fleet
    assert grouping.large and grouping.shown == SHOWN and grouping.layout.aggregate_above == ABOVE
    assert grouping.groups == {c: f"{env} / {team}" for c, (env, team) in groups.items()}
    assert len(set(grouping.groups.values())) == 18  # 3 environments x 6 teams


def test_tables_list_the_best_and_worst_and_a_summary_per_group(assessed: tuple) -> None:  # type: ignore[type-arg]
    a, grouping = assessed
    md = sections.clusters(a, grouping)
    names = set(grouping.groups)
    listed = [r[0] for r in _table_rows(md) if r[0] in names]
    assert len(listed) == 2 * SHOWN and len(set(listed)) == 2 * SHOWN  # the lowest and highest, no more
    scores = tables.cluster_scores(a, grouping)
    overall = dict(zip(scores["cluster"].to_list(), scores["overall"].to_list(), strict=True))
    lowest, highest = listed[:SHOWN], listed[SHOWN:]
    assert max(overall[c] for c in lowest) <= min(overall[c] for c in highest)
    rest = [v for c, v in overall.items() if c not in listed]
    assert max(overall[c] for c in lowest) <= min(rest) and max(rest) <= min(overall[c] for c in highest)
    summary = [r for r in _table_rows(md) if r[0] in set(grouping.groups.values())]
    assert len(summary) == 18 and sum(int(r[1]) for r in summary) == CLUSTERS
    prod = [c for c, g in grouping.groups.items() if g == "production / payments"]
    mean = sum(overall[c] for c in prod) / len(prod)
    row = next(r for r in summary if r[0] == "production / payments")
    assert row[2] == tables.pct(mean)
    appendix = sections.appendix(a, grouping)
    assert appendix.startswith("## Appendix: Every Cluster")
    assert sorted(r[0] for r in _table_rows(appendix) if r[0] in names) == sorted(names)


def test_heatmap_has_group_rows_not_cluster_rows(assessed: tuple) -> None:  # type: ignore[type-arg]
    a, grouping = assessed
    fig = charts.drift(a, grouping)
    rows = list(fig.data[0].y)
    assert len(rows) == 18 and not set(rows) & set(grouping.groups)
    assert "production / payments (4)" in rows
    z = dict(zip(rows, fig.data[0].z, strict=True))["production / payments (4)"]
    members = [c for c, g in grouping.groups.items() if g == "production / payments"]
    assert z[-1] == pytest.approx(sum(a.score(cluster=c) for c in members) / len(members))
    scores = readiness.history(a.data_dir)[1]
    trend = charts.clusters_trend(scores, grouping)
    lines = {t.name: t for t in trend.data}
    band = lines.pop("range of the 18 groups")  # 18 groups: a band over all, lines for the lowest and highest
    assert FLEET in lines and len(lines) == 1 + 2 * charts.TREND_SHOWN
    assert set(lines) - {FLEET} < set(grouping.groups.values())
    overall = (scores.filter((pl.col("category") == "overall") & (pl.col("cluster") != FLEET))
               .join(grouping.frame(), on="cluster").group_by("date", "group").agg(pl.col("score").mean()))
    newest = overall.filter(pl.col("date") == overall["date"].max()).sort("score", "group")["group"].to_list()
    assert set(lines) - {FLEET} == {*newest[:charts.TREND_SHOWN], *newest[-charts.TREND_SHOWN:]}
    first = overall.filter(pl.col("date") == overall["date"].min())["score"]
    assert band.y[0] == pytest.approx(first.max()) and band.y[-1] == pytest.approx(first.min())


def test_below_the_threshold_the_report_is_as_before(fleet: tuple, tmp_path: Path) -> None:  # type: ignore[type-arg]
    data, _ = fleet
    a = readiness.assess(data, clusters=[f"c{i:03d}" for i in range(5)])
    grouping = render_context.load(data).grouping(a.snapshots["cluster"].unique().to_list())
    assert not grouping.large
    assert sections.clusters(a, grouping) == tables.markdown(tables.clusters(a))
    assert sections.appendix(a, grouping) == ""
    assert list(charts.drift(a, grouping).data[0].y) == [f"c{i:03d}" for i in range(5)]
    assert sections.ready_and_missing(a, None, grouping) == sections.ready_and_missing(a)
    assert sections.freshness(a, grouping=grouping) .split("\nAges")[0] == sections.freshness(a).split("\nAges")[0]


def test_a_failing_check_counts_clusters_per_group(assessed: tuple) -> None:  # type: ignore[type-arg]
    a, grouping = assessed
    text = sections.ready_and_missing(a, None, grouping)
    failing = a.fleet_checks.filter(pl.col("failing_clusters").list.len() > SHOWN).row(0, named=True)
    line = next(x for x in text.splitlines() if f"(`{failing['check_id']}`)" in x)
    n = len(failing["failing_clusters"])
    expected = f"not on {n} of {CLUSTERS} clusters: " if n < CLUSTERS else f"not on any of the {CLUSTERS} clusters"
    assert expected in line
    everywhere = a.fleet_checks.filter(pl.col("failing_clusters").list.len() == CLUSTERS)["check_id"].to_list()
    somewhere = a.fleet_checks.filter(pl.col("failing_clusters").list.len().is_between(1, CLUSTERS - 1)).row(
        0, named=True)
    assert everywhere and f"(`{everywhere[0]}`)" in text
    line = next(x for x in text.splitlines() if f"(`{somewhere['check_id']}`)" in x)
    assert f"not on {len(somewhere['failing_clusters'])} of {CLUSTERS} clusters: " in line
    counts = [int(k) for k in re.findall(r"\((\d+)\)", line.split("clusters: ", 1)[1])]
    assert sum(counts) <= len(somewhere["failing_clusters"]) and len(counts) <= SHOWN
    assert not re.search(r"\bc\d{3}\b", line), "no cluster names listed one by one"


def test_the_layout_and_groups_are_checked(tmp_path: Path) -> None:
    (tmp_path / "report.yaml").write_text("fleet:\n  aggregate_above: many\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"report.yaml:2: fleet.aggregate_above must be a whole number"):
        render_context.load(tmp_path)
    (tmp_path / "report.yaml").write_text("fleet:\n  group_by: team\n", encoding="utf-8")
    assert render_context.load(tmp_path).fleet == render_context.FleetLayout(("team",), 25, 10)
    (tmp_path / "fleet.yaml").write_text("clusters:\n  a: {role: edge}\n  b: {team: [x, y]}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"fleet.yaml:3: cluster 'b': team must be a word"):
        render_context.load(tmp_path).grouping(["a", "b"])
    (tmp_path / "fleet.yaml").write_text("clusters:\n  a: {role: edge}\n  b: {team: x}\n", encoding="utf-8")
    assert render_context.load(tmp_path).grouping(["a", "b", "c"]).groups == {"a": "edge", "b": "x", "c": "ungrouped"}


@pytest.mark.slow
def test_the_report_of_a_large_fleet(fleet: tuple, tmp_path: Path) -> None:  # type: ignore[type-arg]
    from readiness.report import build

    data, groups = fleet
    result = build(data=data, out=tmp_path, pdf=False)
    md = (result.out_dir / "production-readiness.md").read_text()
    names = set(groups)
    body = md.split("## Appendix: Every Cluster")[0]
    cluster_by_cluster = body.split("## Cluster by Cluster")[1].split("\n## ")[0]
    assert "### By Group" in cluster_by_cluster
    assert len({r[0] for r in _table_rows(cluster_by_cluster) if r[0] in names}) == 2 * SHOWN
    assert all(len(set(re.findall(r"\bc\d{3}\b", line))) <= SHOWN for line in body.splitlines())
    with (result.out_dir / "clusters.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    a = readiness.assess(data)
    assert sorted(r["cluster"] for r in rows) == sorted(names)
    for r in rows:
        assert float(r["overall"]) == round(a.score(cluster=r["cluster"]), 1)
        assert r["group"] == " / ".join(groups[r["cluster"]])
    nb = json.loads((result.out_dir / "notebooks" / "scorecard.ipynb").read_text())
    drift = next(c for c in nb["cells"] if "#| label: fig-drift" in "".join(c["source"]))
    figure = next(o["data"]["application/vnd.plotly.v1+json"] for o in drift["outputs"]
                  if "application/vnd.plotly.v1+json" in o.get("data", {}))
    assert len(figure["data"][0]["y"]) == 18 and not set(figure["data"][0]["y"]) & names


def test_the_risk_register_counts_the_clusters_a_check_fails_on(assessed: tuple) -> None:  # type: ignore[type-arg]
    from readiness.plan import risks

    a, grouping = assessed
    register = risks.compute(a.data_dir)
    named = [r["reason"] for r in register.iter_rows(named=True)
             if re.search(r"\(does not hold on c\d{3}, ", r["reason"])]
    assert named, "the synthetic fleet has a mitigating check failing on some clusters only"
    long_list = next(re.search(r"\(does not hold on ([^()]*)\)", r) for r in named)
    assert long_list is not None
    n = len(long_list.group(1).split(", "))
    rows = tables.risk_register(register, grouping)
    why = " ".join(r["Why"] for r in rows)
    assert f"(does not hold on {n} of {CLUSTERS} clusters)" in why
    assert not re.search(r"\(does not hold on c\d{3}, ", why)
    assert [r["Why"] for r in tables.risk_register(register)] == register["reason"].to_list()
