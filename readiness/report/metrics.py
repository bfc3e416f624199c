"""The assessment as Prometheus metrics, for the dashboards and alerts operators already run.

``registry(assessment)`` fills a ``prometheus_client`` registry (never the global one) from an
``Assessment``; ``exposition`` renders it as text, ``write_textfile`` writes it atomically for
node_exporter's textfile collector, ``push`` sends it to a Pushgateway. Every value comes from
the assessment's tables, the same numbers ``readiness score --format json`` prints (there as
percentages rounded to 0.1, here as unrounded ratios):

=========================================================  =========================================================
metric (gauge)                                             one series per, value
=========================================================  =========================================================
``readiness_score_ratio{cluster,category}``                cluster (and ``fleet``) x category (and ``overall``);
                                                           the score in [0, 1] with waivers
``readiness_score_without_waivers_ratio{cluster,category}`` same, waived findings at their own score
``readiness_coverage_ratio{cluster,category}``             same, share of check weight evaluated (not unknown)
``readiness_target_ratio{category}``                       category (and ``overall``) with a target in the rubric
``readiness_blockers_open``                                the fleet: how many go-live blockers are open
``readiness_blocker_open{blocker}``                        blocker: 1 open, 0 resolved
``readiness_ready``                                        the fleet: 1 when the verdict is ready, else 0
``readiness_check_status{cluster,check,status}``           cluster x check x status of ``schema.STATUSES``: 1 for
                                                           the finding's status, 0 for the others (a state set)
``readiness_evidence_collected_timestamp_seconds{cluster}`` cluster: Unix time of its newest snapshot used
``readiness_evidence_age_seconds{cluster}``                cluster: seconds from that snapshot to ``now``
``readiness_info{rubric_version,demo,version}``            always 1; which rubric and data the numbers come from
=========================================================  =========================================================

Alerts should prefer ``time() - readiness_evidence_collected_timestamp_seconds`` to the age, which
is frozen when the file is written.
"""

from __future__ import annotations

import math
import urllib.error
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl
from prometheus_client import CollectorRegistry, Gauge, generate_latest, push_to_gateway, write_to_textfile

from readiness import __version__
from readiness.errors import ReadinessError
from readiness.store.schema import STATUSES

if TYPE_CHECKING:
    from readiness.assess.assessment import Assessment

NAMESPACE = "readiness"


def registry(a: Assessment, now: datetime | None = None) -> CollectorRegistry:
    """A new registry holding the metrics of the module docstring for assessment ``a``.

    ``now`` (default: the current UTC time) only sets ``readiness_evidence_age_seconds``. NaN
    scores (a category with no applicable check) are left out rather than exported as NaN.
    """
    now = now or datetime.now(UTC)
    reg = CollectorRegistry(auto_describe=True)

    def gauge(name: str, doc: str, labels: tuple[str, ...] = ()) -> Gauge:
        return Gauge(name, doc, labels, namespace=NAMESPACE, registry=reg)

    score = gauge("score_ratio", "Readiness score in [0, 1] (waived findings count as passing), per cluster "
                  "('fleet' for the whole fleet) and category ('overall' for the weighted overall).",
                  ("cluster", "category"))
    raw = gauge("score_without_waivers_ratio", "Readiness score in [0, 1] with waived findings at their own score.",
                ("cluster", "category"))
    coverage = gauge("coverage_ratio", "Share in [0, 1] of the check weight that could be evaluated (not unknown).",
                     ("cluster", "category"))
    for r in a.scores.iter_rows(named=True):
        for metric, column, scale in ((score, "score", 100), (raw, "score_without_waivers", 100),
                                      (coverage, "coverage", 1)):
            value = r[column]
            if value is not None and not math.isnan(value):
                metric.labels(r["cluster"], r["category"]).set(value / scale)

    target = gauge("target_ratio", "The rubric's target score in [0, 1] per category ('overall': the weighted "
                   "targets).", ("category",))
    for cid, cat in a.rubric.categories.items():
        if cat.target is not None:
            target.labels(cid).set(float(cat.target) / 100)
    target.labels("overall").set(a.target_overall / 100)

    open_now = set(a.open_blockers)
    gauge("blockers_open", "Go-live blockers still open on the fleet.").set(len(open_now))
    per_blocker = gauge("blocker_open", "1 while the go-live blocker is open, 0 once resolved.", ("blocker",))
    for blocker in a.blockers["blocker"].unique().sort().to_list():
        per_blocker.labels(blocker).set(1 if blocker in open_now else 0)
    gauge("ready", "1 when the verdict is ready for production, else 0.").set(
        1 if a.verdict == a.rubric.labels["ready"] else 0)

    status = gauge("check_status", "1 for the check's status on the cluster, 0 for the other statuses.",
                   ("cluster", "check", "status"))
    for r in a.findings.select("cluster", "check_id", "status").iter_rows(named=True):
        for s in STATUSES:
            status.labels(r["cluster"], r["check_id"], s).set(1 if s == r["status"] else 0)

    collected = gauge("evidence_collected_timestamp_seconds", "Unix time of the cluster's newest snapshot the "
                      "assessment used.", ("cluster",))
    age = gauge("evidence_age_seconds", "Age in seconds of the cluster's newest snapshot when the metrics were "
                "written.", ("cluster",))
    newest = a.findings.group_by("cluster").agg(pl.col("collected_at").max()).sort("cluster")
    for r in newest.iter_rows(named=True):
        collected.labels(r["cluster"]).set(r["collected_at"].timestamp())
        age.labels(r["cluster"]).set(max(0.0, (now - r["collected_at"]).total_seconds()))

    gauge("info", "Always 1: the rubric version, whether the data is the demo fleet, the readiness version.",
          ("rubric_version", "demo", "version")).labels(a.rubric.version, str(a.demo).lower(), __version__).set(1)
    return reg


def exposition(reg: CollectorRegistry) -> str:
    """The registry in the Prometheus text format (version 0.0.4)."""
    return generate_latest(reg).decode("utf-8")


def write_textfile(reg: CollectorRegistry, path: Path | str) -> Path:
    """Write the registry to ``path`` for node_exporter's textfile collector (name it ``*.prom``).

    prometheus_client writes a temporary file beside ``path`` and renames it into place, so the
    collector never reads half a file. Raises ``ReadinessError`` when the directory is missing
    or not writable.
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise ReadinessError(f"{path}: directory {path.parent} does not exist",
                             hint="point --textfile into node_exporter's --collector.textfile.directory")
    try:
        write_to_textfile(str(path), reg)
    except OSError as exc:
        raise ReadinessError(f"{path}: cannot write the metrics: {exc.strerror or exc}") from None
    return path


def push(reg: CollectorRegistry, url: str, job: str = "readiness") -> None:
    """Replace the metrics of ``job`` on the Pushgateway at ``url`` (HTTP PUT).

    Raises ``ReadinessError`` naming the URL when the gateway cannot be reached or refuses.
    """
    try:
        push_to_gateway(url, job=job, registry=reg, timeout=30)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise ReadinessError(f"Pushgateway {url}: push failed: {reason}",
                             hint="check --push (e.g. http://pushgateway:9091) and that the gateway is up") from None
