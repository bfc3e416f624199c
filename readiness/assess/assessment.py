"""An assessment: findings, scores, blockers, criteria and the verdict, as of one date."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cached_property
from pathlib import Path
from typing import Any, cast

import polars as pl

from readiness import store
from readiness.assess import rubric as rubric_mod
from readiness.assess import score as sc
from readiness.assess.evaluate import evaluate, on_days
from readiness.assess.rubric import Rubric
from readiness.store import paths
from readiness.store.schema import FLEET, OVERALL


@dataclass(frozen=True)
class Assessment:
    """Everything the scorecard shows, as of ``as_of``; every number traces back to ``findings``."""

    as_of: date
    data_dir: Path
    rubric: Rubric
    demo: bool
    clusters: list[str] | None  # the clusters assessed (None: every cluster of ``data_dir``)
    findings: pl.DataFrame
    fleet_checks: pl.DataFrame
    scores: pl.DataFrame
    blockers: pl.DataFrame
    criteria: pl.DataFrame
    deciding: pl.DataFrame  # the snapshot rows that decided ``as_of`` (``store.snapshots_as_of``)

    @cached_property
    def snapshots(self) -> pl.DataFrame:
        """Every snapshot of the assessed clusters (``store.snapshots``), read on first use: assessing
        one day reads only the snapshots that decide it."""
        return store.snapshots(self.data_dir, self.clusters)

    def score(self, cluster: str = FLEET, category: str = OVERALL, *, waivers: bool = True) -> float:
        """One score (percent) from the scores table."""
        column = "score" if waivers else "score_without_waivers"
        row = self.scores.filter((pl.col("cluster") == cluster) & (pl.col("category") == category))
        return float(row[column][0]) if row.height else float("nan")

    @property
    def overall(self) -> float:
        """The fleet's overall score (percent, 0-100, waivers applied): the scores table's fleet row."""
        return self.score()

    @property
    def newest_snapshot(self) -> date:
        """The day of the newest snapshot the assessment used."""
        return cast(datetime, self.findings["collected_at"].max()).date()  # a Datetime column's max

    def stale_today(self, today: date | None = None) -> int | None:
        """How many days old the data directory's newest snapshot is today, when that is past the
        rubric's ``stale_after_days`` (None while collection is current)."""
        newest = cast(datetime, self.snapshots["collected_at"].max()).date()  # a Datetime column's max
        age = ((today or datetime.now(UTC).date()) - newest).days
        return age if age > self.rubric.stale_after_days else None

    def freshness(self) -> pl.DataFrame:
        """One row per cluster: the snapshot evaluated, its age and whether it is usable
        (``evaluate.freshness``)."""
        from readiness.assess.evaluate import freshness

        return freshness(self.snapshots, self.as_of, self.rubric.stale_after_days)

    def no_fresh_evidence(self) -> list[str]:
        """One line per cluster without fresh evidence as of ``as_of``: which, and since when."""
        lines = []
        for r in self.freshness().filter(~pl.col("usable")).sort("cluster").iter_rows(named=True):
            if not r["reached"]:
                lines.append(f"{r['cluster']}: no evidence: never reached (unreachable since "
                             f"{r['evidence_at']:%Y-%m-%d})")
                continue
            failed = f"; collections since {r['failed_since']:%Y-%m-%d} failed" if r["failed_since"] else ""
            lines.append(f"{r['cluster']}: no fresh evidence since {r['evidence_at']:%Y-%m-%d} ({r['age_days']} days "
                         f"old, stale after {self.rubric.stale_after_days}){failed}")
        return lines

    @cached_property
    def views(self) -> dict[str, str]:
        """cluster -> which evidence its findings read, as the report and ``explain`` say it: ``live`` (a
        cluster's API), ``demo`` (the simulated fleet), or for a repository snapshot ``repository, deployed
        view`` (what the cluster gets from its Flux Kustomizations / Argo CD Applications) or ``repository,
        files view`` (every manifest as written). Declared state is never what runs.

        Source: each finding's snapshot's ``source`` (``deciding``) and, for a repository snapshot, its
        ``View`` fact (``readiness.store.repofacts``)."""
        used = self.findings.select("cluster", "snapshot_id").unique()
        if used.is_empty():
            return {}
        rows = used.join(self.deciding.select("snapshot_id", "cluster", "source").unique(),
                         on=["cluster", "snapshot_id"], how="left")
        repo = rows.filter(pl.col("source") == "repo")
        kinds: dict[tuple[str, str], str] = {}
        if repo.height:
            from readiness.store.repofacts import REPO_API

            facts = (store.scan(self.data_dir, "objects", sorted(set(repo["cluster"].to_list())))
                     .filter(pl.col("snapshot_id").is_in(repo["snapshot_id"].to_list())
                             & (pl.col("api_version") == REPO_API) & (pl.col("kind") == "View"))
                     .select("cluster", "snapshot_id", "spec").collect())
            for r in facts.iter_rows(named=True):
                view = json.loads(r["spec"] or "{}").get("view")
                if isinstance(view, str):
                    kinds[(r["cluster"], r["snapshot_id"])] = view
        out = {}
        for r in rows.sort("cluster").iter_rows(named=True):
            source = str(r["source"] or "live")
            out[r["cluster"]] = (f"repository, {kinds.get((r['cluster'], r['snapshot_id']), 'files')} view"
                                 if source == "repo" else source)
        return out

    @property
    def target_overall(self) -> float:
        """The overall the category targets add up to with the rubric's category weights."""
        cats = [c for c in self.rubric.categories.values() if c.target is not None]
        return sum(c.weight * float(c.target or 0) for c in cats) / sum(c.weight for c in cats) if cats else 0.0

    @property
    def coverage(self) -> float:
        """The fleet's overall coverage: the share (0-1) of check weight whose status is known (not
        ``unknown``), from the scores table's fleet row; 0.0 when the table has none."""
        row = self.scores.filter((pl.col("cluster") == FLEET) & (pl.col("category") == OVERALL))
        return float(row["coverage"][0]) if row.height else 0.0

    @property
    def open_blockers(self) -> list[str]:
        """The ids of the rubric's blockers not resolved on ``as_of`` (``blockers`` table), sorted."""
        return sorted(set(self.blockers.filter(~pl.col("resolved"))["blocker"].to_list()))

    @property
    def verdict(self) -> str:
        """The rubric's verdict label (``READY`` / ``NOT READY`` by default) from the overall score and the
        open blockers (``score.verdict``)."""
        return sc.verdict(self.overall, len(self.open_blockers), self.rubric)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of ``readiness score --format json``."""
        fleet = self.scores.filter(pl.col("cluster") == FLEET)
        cats = []
        for cid, cat in self.rubric.categories.items():
            row = fleet.filter(pl.col("category") == cid)
            if row.height:
                known = row["coverage"][0] > 0  # no evaluated check: unknown, not 0%
                cats.append({"id": cid, "name": cat.name, "score": round(row["score"][0], 1) if known else None,
                             "score_without_waivers": round(row["score_without_waivers"][0], 1) if known else None,
                             "coverage": round(row["coverage"][0], 3), "weight": cat.weight, "target": cat.target})
        blockers = (self.blockers.group_by("blocker", "title", "impact", maintain_order=True)
                    .agg(pl.col("resolved").first(), pl.col("met").sum().alias("criteria_met"),
                         pl.len().alias("criteria")))
        clusters = self.scores.filter((pl.col("cluster") != FLEET) & (pl.col("category") == OVERALL))
        return {
            "as_of": self.as_of.isoformat(),
            "demo": self.demo,
            "rubric_version": self.rubric.version,
            "overall": round(self.overall, 1) if self.coverage > 0 else None,  # nothing evaluated: unknown
            "target": round(self.target_overall, 1),
            "overall_without_waivers": round(self.score(waivers=False), 1),
            "verdict": self.verdict,
            "coverage": round(self.coverage, 3),
            "categories": cats,
            "blockers": [{"id": b["blocker"], "title": b["title"], "impact": b["impact"], "resolved": b["resolved"],
                          "criteria_met": b["criteria_met"], "criteria": b["criteria"]}
                         for b in blockers.iter_rows(named=True)],
            "no_fresh_evidence": self.no_fresh_evidence(),
            "criteria": self.criteria.to_dicts(),
            "clusters": [{"name": r["cluster"], "overall": round(r["score"], 1), "coverage": round(r["coverage"], 3)}
                         for r in clusters.sort("cluster").iter_rows(named=True)],
        }


def _criteria(rubric: Rubric, fleet_checks: pl.DataFrame, overall: float, open_blockers: int) -> pl.DataFrame:
    """The production criteria, each met or not (columns ``id``, ``text``, ``met``, and ``open_checks``: the
    checks it names that do not hold). A criterion naming checks is met only when every one of them passes
    (or is waived) on every cluster it applies to: a check that is ``not_applicable`` everywhere (absent
    from ``fleet_checks``) or ``unknown`` never meets it."""
    holds = dict(zip(fleet_checks["check_id"].to_list(), fleet_checks["holds"].to_list(), strict=True))
    rows = []
    for c in rubric.criteria:
        if "overall_above" in c:
            met = overall > float(c["overall_above"])
        elif c.get("blockers_resolved"):
            met = open_blockers == 0
        else:
            ids = c.get("checks") or ()
            met = bool(ids) and all(holds.get(cid, False) for cid in ids)
        rows.append({"id": str(c.get("id")), "text": str(c.get("text")), "met": met,
                     "open_checks": [str(cid) for cid in c.get("checks") or () if not holds.get(cid, False)]})
    return pl.DataFrame(rows, schema={"id": pl.String, "text": pl.String, "met": pl.Boolean,
                                      "open_checks": pl.List(pl.String)})


def assess(
    data: Path | str | None = None,
    *,
    as_of: date | None = None,
    rubric: Rubric | Path | str | None = None,
    clusters: list[str] | None = None,
) -> Assessment:
    """Assess the fleet in ``data`` as of ``as_of`` (default: the newest snapshot's day).
    ``clusters``: those clusters only (of object storage, only their snapshots are downloaded)."""
    data_dir = paths.data_dir(data, clusters)
    rub = rubric if isinstance(rubric, Rubric) else rubric_mod.load(rubric, data=data_dir)
    snaps, day = store.snapshots_as_of(data_dir, as_of, clusters)  # the rows that decide that day only
    findings = evaluate(data_dir, rub, as_of=day, clusters=clusters, snapshots=snaps)
    fleet_checks = sc.fleet_checks(findings, on=day)
    scores = sc.scores(findings, rub, on=day)
    blockers = sc.blockers(findings, rub, on=day)
    fleet_overall = scores.filter((pl.col("cluster") == FLEET) & (pl.col("category") == OVERALL))["score"]
    overall = float(fleet_overall[0]) if fleet_overall.len() else 0.0
    open_blockers = blockers.filter(~pl.col("resolved"))["blocker"].n_unique()
    return Assessment(
        as_of=day, data_dir=data_dir, rubric=rub, demo=bool((snaps["source"] == "demo").any()),
        clusters=clusters, findings=findings, fleet_checks=fleet_checks, scores=scores, blockers=blockers,
        criteria=_criteria(rub, fleet_checks, overall, open_blockers), deciding=snaps,
    )


def history(
    data: Path | str | None = None,
    *,
    rubric: Rubric | Path | str | None = None,
    clusters: list[str] | None = None,
    until: date | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(findings, scores) of every stored snapshot up to ``until``: the trend, rescored with ``rubric``.

    ``findings`` has one evaluation per stored snapshot; ``scores`` has one row set per snapshot
    day, each scoring the fleet as it stood that day (every cluster's newest snapshot, stale ones
    unknown), so clusters collected on different days still make one fleet. Rescoring with
    another rubric version is this one call, so trends stay comparable.
    """
    data_dir = paths.data_dir(data, clusters)
    rub = rubric if isinstance(rubric, Rubric) else rubric_mod.load(rubric, data=data_dir)
    findings = evaluate(data_dir, rub, clusters=clusters, history=True, as_of=until)
    days = sorted(set(findings["collected_at"].dt.date().to_list()))
    return findings, sc.scores(on_days(findings, days, rub.stale_after_days), rub)
