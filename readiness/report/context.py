"""What the report says that no cluster shows: ``report.yaml`` in the data directory.

Read only from the data directory itself (never from the project or the wheel), so a report
never borrows someone else's assessor. Every key is optional; what is absent is left out of the
report, not invented. The format (``data/report.yaml`` is a commented template)::

    assessed_by: SRE Team (Jane Doe)        # the "Assessed by" line under the conclusion
    reference:                              # an earlier assessment this one is read against
      title: Production readiness assessment (hand-written)
      date: 2025-11-07
      overall: 62                           # its overall score, percent
      target: 94                            # the target it set, percent
      path: production-readiness-assessment.md  # its Markdown: the report reads its claims against
                                            # the evidence (readiness.report.claims); relative to the data directory
    phase2:                                 # "Nice to have (Phase 2)": after the production criteria
      - {title: Rancher, why: multi-cluster management}
    related:                                # "Related documentation", at the end
      - {title: Operational Maturity Roadmap, url: ../implementation/operational-maturity-roadmap.md}
    fleet:                                  # how a large fleet is shown (defaults: templates/report.yaml)
      group_by: [environment, team]         # fleet.yaml keys clusters are grouped by (then role)
      aggregate_above: 25                   # more clusters than this: best and worst, groups in figures
      shown: 10                             # lowest and highest clusters shown each

Errors: ``ConfigError`` naming the file, line and key (unknown key, a list item without a title,
a non-numeric score, a ``reference.path`` that is not a file, a ``fleet`` value of the wrong type,
a fleet.yaml group value that is not a string).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from readiness.store.configfile import SourceFile
from readiness.store.schema import FLEET

FILE = "report.yaml"
KEYS = {"assessed_by", "reference", "phase2", "related", "fleet"}
REFERENCE_KEYS = {"title", "date", "overall", "target", "path"}
FLEET_KEYS = {"group_by", "aggregate_above", "shown"}
DEFAULTS = Path(__file__).parent / "templates" / FILE
FLEET_FILE = "fleet.yaml"
UNGROUPED = "ungrouped"


@dataclass(frozen=True)
class FleetLayout:
    """How the report shows a fleet (report.yaml ``fleet:``, defaults in ``templates/report.yaml``)."""

    group_by: tuple[str, ...]
    """fleet.yaml keys the clusters are grouped by, joined in this order ("prod / payments")."""
    aggregate_above: int
    """More clusters than this: tables show the ``shown`` lowest and highest and a summary per
    group, heatmaps one row per group."""
    shown: int
    """Lowest and highest overall scores shown each in a large fleet's tables."""


@dataclass(frozen=True)
class Grouping:
    """The clusters of one report and their groups (``ReportContext.grouping``)."""

    groups: dict[str, str]
    """cluster -> group label, for every cluster of the report."""
    layout: FleetLayout

    @property
    def large(self) -> bool:
        """More clusters than ``layout.aggregate_above``: show groups, the best and the worst."""
        return len(self.groups) > self.layout.aggregate_above

    @property
    def shown(self) -> int:
        """How many of the lowest, and of the highest, overall scores a large fleet's tables show."""
        return self.layout.shown

    def frame(self) -> pl.DataFrame:
        """One row per cluster: ``cluster``, ``group`` (str)."""
        return pl.DataFrame({"cluster": list(self.groups), "group": list(self.groups.values())},
                            schema={"cluster": pl.String, "group": pl.String})


@dataclass(frozen=True)
class Reference:
    """An earlier (e.g. hand-written) assessment: when, its overall and the target it set."""

    title: str
    day: date | None
    overall: float | None
    target: float | None
    path: Path | None = None
    """Its Markdown file, whose claims the report reads against the evidence (``readiness.report.claims``)."""


@dataclass(frozen=True)
class ReportContext:
    """The user's words around the numbers; empty fields are left out of the report."""

    assessed_by: str = ""
    reference: Reference | None = None
    phase2: tuple[tuple[str, str], ...] = ()
    """(title, why) per Phase 2 item."""
    related: tuple[tuple[str, str], ...] = ()
    """(title, url) per related document; url may be ""."""
    source: str = field(default="")
    fleet: FleetLayout | None = None
    """How a large fleet is shown; None: the defaults of ``templates/report.yaml``."""
    data_dir: Path | None = None
    """Where report.yaml (and fleet.yaml, for the groups) were read from."""

    def grouping(self, clusters: list[str]) -> Grouping:
        """The group of each of ``clusters`` from the data directory's fleet.yaml (``layout.group_by``
        values joined by " / ", else the role, else "ungrouped")."""
        layout = self.fleet or _defaults()
        keys = (*layout.group_by, "role")
        attrs = _fleet_attributes(self.data_dir, keys) if self.data_dir is not None else {}
        groups = {}
        for name in sorted(c for c in clusters if c != FLEET):
            entry = attrs.get(name, {})
            values = [entry[k] for k in layout.group_by if entry.get(k)]
            groups[name] = " / ".join(values) if values else entry.get("role") or UNGROUPED
        return Grouping(groups, layout)


def _items(src: SourceFile, raw: Any, key: str, second: str) -> tuple[tuple[str, str], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise src.error((key,), f"'{key}' must be a list of {{title, {second}}} items")
    out = []
    for i, item in enumerate(raw):
        if isinstance(item, str):
            item = {"title": item}
        if not isinstance(item, dict) or not str(item.get("title") or "").strip():
            raise src.error((key, i), f"{key} item {i + 1} has no 'title'")
        extra = set(item) - {"title", second}
        if extra:
            raise src.error((key, i), f"{key} item {i + 1}: unknown key(s) {', '.join(sorted(extra))}",
                            hint=f"an item has 'title' and '{second}'")
        out.append((str(item["title"]).strip(), str(item.get(second) or "").strip()))
    return tuple(out)


def _number(src: SourceFile, raw: dict[str, Any], key: str) -> float | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
        raise src.error(("reference", key), f"reference.{key} must be a percentage 0..100, got {value!r}")
    return float(value)


def _document(src: SourceFile, data_dir: Path, raw: Any) -> Path | None:
    """``reference.path``: an existing file, relative to the data directory unless absolute."""
    if raw is None:
        return None
    path = data_dir / str(raw).strip()  # an absolute path replaces data_dir
    if not str(raw).strip() or not path.is_file():
        raise src.error(("reference", "path"), f"reference.path: no file {path}",
                        hint="give the earlier assessment's Markdown file, relative to the data directory")
    return path


def _fleet(src: SourceFile, raw: Any, base: FleetLayout | None) -> FleetLayout:
    if not isinstance(raw, dict) or set(raw) - FLEET_KEYS:
        raise src.error(("fleet",), "fleet must be a mapping of " + ", ".join(sorted(FLEET_KEYS)))
    group_by = raw.get("group_by", base.group_by if base else None)
    if isinstance(group_by, str):
        group_by = [group_by]
    if not isinstance(group_by, list | tuple) or not all(isinstance(k, str) and k for k in group_by):
        raise src.error(("fleet", "group_by"), f"fleet.group_by must be a list of fleet.yaml keys, got {group_by!r}",
                        hint="e.g. group_by: [environment, team]")
    numbers = {}
    for key in ("aggregate_above", "shown"):
        value = raw.get(key, getattr(base, key) if base else None)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise src.error(("fleet", key), f"fleet.{key} must be a whole number of clusters >= 1, got {value!r}")
        numbers[key] = value
    return FleetLayout(tuple(group_by), numbers["aggregate_above"], numbers["shown"])


def _defaults() -> FleetLayout:
    src = SourceFile(DEFAULTS, "report defaults")
    return _fleet(src, (src.doc or {}).get("fleet"), None)


def _fleet_attributes(data_dir: Path, keys: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """cluster -> its ``keys`` values in ``data_dir/fleet.yaml`` (e.g. role, environment, team);
    empty when the file or its ``clusters:`` is absent (``load_roles`` reports a malformed one).
    ``ConfigError`` naming the file and line when one of them is not a word (a list, a mapping)."""
    path = Path(data_dir) / FLEET_FILE
    if not path.is_file():
        return {}
    src = SourceFile(path, "fleet")
    clusters = src.doc.get("clusters") if isinstance(src.doc, dict) else None
    out: dict[str, dict[str, str]] = {}
    for name, entry in clusters.items() if isinstance(clusters, dict) else ():
        if not isinstance(entry, dict):
            continue
        for key in keys:
            value = entry.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, str | int | float)):
                raise src.error(("clusters", str(name), key),
                                f"cluster '{name}': {key} must be a word (a group name), got {value!r}")
        out[str(name)] = {k: str(entry[k]).strip() for k in keys if entry.get(k) is not None}
    return out


def load(data_dir: Path) -> ReportContext:
    """``data_dir/report.yaml`` as a ``ReportContext`` (empty when the file is absent)."""
    path = Path(data_dir) / FILE
    if not path.is_file():
        return ReportContext(data_dir=Path(data_dir))
    src = SourceFile(path, "report context")
    doc = src.doc or {}
    if not isinstance(doc, dict):
        raise src.error((), "expected a mapping", hint=f"keys: {', '.join(sorted(KEYS))}")
    for key in doc:
        if key not in KEYS:
            raise src.error((key,), f"unknown key '{key}'", hint=f"known keys: {', '.join(sorted(KEYS))}")
    ref = doc.get("reference")
    reference = None
    if ref is not None:
        if not isinstance(ref, dict) or set(ref) - REFERENCE_KEYS:
            raise src.error(("reference",), "reference must be a mapping of " + ", ".join(sorted(REFERENCE_KEYS)))
        day = ref.get("date")
        if day is not None and not isinstance(day, date):
            raise src.error(("reference", "date"), f"reference.date must be a date YYYY-MM-DD, got {day!r}")
        reference = Reference(str(ref.get("title") or "the earlier assessment"), day,
                              _number(src, ref, "overall"), _number(src, ref, "target"),
                              _document(src, Path(data_dir), ref.get("path")))
    return ReportContext(assessed_by=str(doc.get("assessed_by") or "").strip(), reference=reference,
                         phase2=_items(src, doc.get("phase2"), "phase2", "why"),
                         related=_items(src, doc.get("related"), "related", "url"), source=str(path),
                         fleet=_fleet(src, doc["fleet"], _defaults()) if "fleet" in doc else None,
                         data_dir=Path(data_dir))


def grouping(data: Path | str | None = None, clusters: list[str] | None = None) -> Grouping:
    """The groups (``Grouping``) of ``clusters``, default every cluster with a snapshot in ``data``
    (default: the configured data directory), from its fleet.yaml and report.yaml."""
    from readiness import store
    from readiness.store import paths

    data_dir = paths.data_dir(data)
    names = clusters if clusters is not None else store.snapshots(data_dir)["cluster"].unique().to_list()
    return load(data_dir).grouping(names)
