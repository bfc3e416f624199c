"""Repository facts other than CI: dependency bots, infrastructure as code, documents, coverage reports.

Shapes are those of ``readiness.repofacts``. A document is what its path and contents show: a
runbook lives under a ``runbooks/`` directory, its title is its first ``# `` heading, and the alerts
it answers are listed in its front matter (``alerts:``) or named in backticks (``NodeNotReady``).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from readiness.collect.yamlfile import Loader, jsonable

Fact = tuple[str, str, dict[str, Any]]  # (kind, name, spec)

RENOVATE = ("renovate.json", "renovate.json5", ".renovaterc", ".renovaterc.json", ".renovaterc.json5",
            ".github/renovate.json", ".github/renovate.json5", ".gitlab/renovate.json", ".gitlab/renovate.json5")
DEPENDABOT = (".github/dependabot.yml", ".github/dependabot.yaml")
COVERAGE_FILES = ("coverage.xml", "cobertura.xml", "cobertura-coverage.xml")
MARKDOWN = (".md", ".markdown")

# Document types by the words of a file's name, then of its directories; first match wins.
_DOC_TYPES = (
    ("topology", re.compile(r"topology")),
    ("network", re.compile(r"network")),
    ("oncall", re.compile(r"on[-_ ]?call")),
    ("escalation", re.compile(r"escalation")),
    ("troubleshooting", re.compile(r"troubleshoot")),
    ("architecture", re.compile(r"architecture|\badr\b|design")),
    ("guide", re.compile(r"guide|how[-_]?to|tutorial")),
)
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_FENCE = re.compile(r"^\s*(```|~~~)")
_BACKTICKED = re.compile(r"`([A-Z][A-Za-z0-9]+)`")


def dependency_bots(files: set[str]) -> list[Fact]:
    out: list[Fact] = [("DependencyBot", p, {"tool": "renovate", "path": p}) for p in RENOVATE if p in files]
    out += [("DependencyBot", p, {"tool": "dependabot", "path": p}) for p in DEPENDABOT if p in files]
    return out


def _common_dir(paths: list[str]) -> str:
    parts = [PurePosixPath(p).parent.parts for p in paths]
    common: list[str] = []
    for level in zip(*parts, strict=False):
        if len(set(level)) != 1:
            break
        common.append(level[0])
    return "/".join(common) or "."


def infrastructure(files: list[str]) -> list[Fact]:
    """One IaC fact per tool: Pulumi projects (``Pulumi.yaml``) and Terraform (``*.tf``)."""
    out: list[Fact] = []
    projects = [p for p in files if PurePosixPath(p).name in ("Pulumi.yaml", "Pulumi.yml")]
    if projects:
        dirs = [str(PurePosixPath(p).parent) for p in projects]
        inside = [f for f in files if any(d == "." or f.startswith(d + "/") for d in dirs)]
        out.append(("IaC", "pulumi", {"tool": "pulumi", "path": _common_dir(projects), "files": len(inside)}))
    tf = [p for p in files if p.endswith(".tf")]
    if tf:
        out.append(("IaC", "terraform", {"tool": "terraform", "path": _common_dir(tf), "files": len(tf)}))
    return out


def doc_type(path: str) -> str:
    p = PurePosixPath(path.lower())
    if any(part in ("runbooks", "runbook") for part in p.parent.parts):
        return "runbook"
    for words in (p.stem, str(p.parent)):
        for kind, pattern in _DOC_TYPES:
            if pattern.search(words):
                return kind
    return "other"


def _front_matter(text: str) -> tuple[dict[str, Any], str]:
    m = _FRONT_MATTER.match(text)
    if not m:
        return {}, text
    try:
        meta = jsonable(yaml.load(m.group(1), Loader=Loader))
    except yaml.YAMLError:
        meta = None
    return (meta if isinstance(meta, dict) else {}), text[m.end():]


def _title(body: str) -> str | None:
    fenced = False
    for line in body.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced and line.startswith("# "):
            return line[2:].strip().rstrip("#").strip() or None
    return None


def _is_alert_name(word: str, not_alerts: frozenset[str]) -> bool:
    return sum(c.isupper() for c in word) >= 2 and any(c.islower() for c in word) and word not in not_alerts


def _tested(value: Any) -> str | None:
    try:
        return date.fromisoformat(str(value)[:10]).isoformat() if value else None
    except ValueError:
        return None


def document(path: str, text: str, not_alerts: frozenset[str] = frozenset()) -> Fact:
    """The Document fact of a markdown file; ``not_alerts`` are CamelCase words that are not alerts (kinds)."""
    meta, body = _front_matter(text)
    kind = doc_type(path)
    alerts: list[str] = []
    if kind == "runbook":
        listed = meta.get("alerts")
        if listed:
            alerts = [str(a) for a in (listed if isinstance(listed, list) else [listed])]
        else:
            alerts = [w for w in _BACKTICKED.findall(body) if _is_alert_name(w, not_alerts)]
    tested = meta.get("last_tested", meta.get("last-tested", meta.get("lastTested")))
    title = _title(body) or (str(meta["title"]) if meta.get("title") else PurePosixPath(path).stem)
    return ("Document", path, {"path": path, "title": title, "type": kind,
                               "answers_alerts": list(dict.fromkeys(alerts)), "last_tested": _tested(tested)})


def coverage_report(root: Path, path: str) -> Fact | str:
    """The CoverageReport of a Cobertura file, or why it could not be read."""
    try:
        for _, elem in ET.iterparse(root / path, events=("start",)):
            rate = elem.get("line-rate")
            if elem.tag != "coverage" or rate is None:
                return "not a Cobertura report (no <coverage line-rate=...>)"
            value = float(rate)
            if not 0 <= value <= 1:
                return f"line-rate {rate} is not in [0, 1]"
            return ("CoverageReport", path, {"path": path, "line_rate": value})
    except (ET.ParseError, ValueError, OSError) as err:
        return f"does not parse: {err}"
    return "empty file"
