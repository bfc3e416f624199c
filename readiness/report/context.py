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

Errors: ``ConfigError`` naming the file, line and key (unknown key, a list item without a title,
a non-numeric score, a ``reference.path`` that is not a file).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from readiness.store.configfile import SourceFile

FILE = "report.yaml"
KEYS = {"assessed_by", "reference", "phase2", "related"}
REFERENCE_KEYS = {"title", "date", "overall", "target", "path"}


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


def load(data_dir: Path) -> ReportContext:
    """``data_dir/report.yaml`` as a ``ReportContext`` (empty when the file is absent)."""
    path = Path(data_dir) / FILE
    if not path.is_file():
        return ReportContext()
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
                         related=_items(src, doc.get("related"), "related", "url"), source=str(path))
