"""Repository facts other than CI: dependency bots, infrastructure as code, documents, coverage reports.

Shapes are those of ``readiness.store.repofacts``. A document is what its headings show (``doc_type``;
a runbook may also be filed under a ``runbooks/`` directory), its title is its first ``# ``
heading, and the alerts it answers are listed in its front matter (``alerts:``) or named in
backticks (``NodeNotReady``); the procedures under a "Runbooks" heading of any document are runbooks of
their own (``readiness.collect.runbooks``). ``runbook_links`` says, per alert ``runbook_url``, whether it resolves
to a file of this repository and, if not, where it points.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from readiness.collect.manifestfile import Loader, jsonable
from readiness.collect.recovery import recovery_targets
from readiness.collect.runbooks import heading_marks, section_runbooks
from readiness.store.repofacts import RepoPaths, link_outcome

Fact = tuple[str, str, dict[str, Any]]  # (kind, name, spec)

RENOVATE = ("renovate.json", "renovate.json5", ".renovaterc", ".renovaterc.json", ".renovaterc.json5",
            ".github/renovate.json", ".github/renovate.json5", ".gitlab/renovate.json", ".gitlab/renovate.json5")
DEPENDABOT = (".github/dependabot.yml", ".github/dependabot.yaml")
COVERAGE_FILES = ("coverage.xml", "cobertura.xml", "cobertura-coverage.xml")
MARKDOWN = (".md", ".markdown")

# Document types by what a document's headings say (its title first), first match wins. A file name
# never decides: "grant-rbac-escalation.md" is about privilege escalation, not an escalation matrix.
_HEADING_TYPES = (
    ("runbook", re.compile(r"\brunbook\b|\bplaybook\b")),
    ("oncall", re.compile(r"\bon[- ]?call\b|\bpager(?:duty)? rotation\b")),
    ("escalation", re.compile(r"(?<!privilege )(?<!rbac )\bescalation (?:matrix|policy|policies|path|paths|procedure|"
                              r"procedures|levels?|contacts?|chain)\b|^escalation$")),
    ("troubleshooting", re.compile(r"troubleshoot")),
    ("topology", re.compile(r"\btopology\b")),
    ("network", re.compile(r"\bnetwork (?:design|architecture|layout|diagram|plan|topology|segmentation|addressing)\b|"
                           r"^network(?:ing)?$|\bcidr (?:allocation|plan|ranges?)\b")),
    ("architecture", re.compile(r"\barchitecture\b|\bsystem design\b|\bdesign (?:doc|document)\b|"
                                r"^adr[- ]?\d|architecture decision")),
    ("guide", re.compile(r"\bguide\b|\bhow[- ]to\b|\btutorial\b|getting started|quick ?start")),
)
# A runbook's sections: an operational document with at least two of these headings is a runbook.
_RUNBOOK_SECTIONS = re.compile(r"^(?:symptoms?|diagnos(?:is|e|tics?)|mitigation|remediation|resolution|"
                               r"investigation|triage|immediate actions?)\b")
# ADR sections (context + decision) make an architecture document whatever its title.
_ADR = ({"context"}, {"decision", "decision outcome"})
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_FENCE = re.compile(r"^\s*(```|~~~)")
_HTML_TAG = re.compile(r"<[^<>]*>")
# A diagram drawn as code (```mermaid, plantuml, d2, graphviz): with a section on the system's parts or how
# they work together, it documents the architecture whatever the headings call it.
_DIAGRAM = re.compile(r"^\s*(?:```|~~~)\s*\{?\s*(?:mermaid|plantuml|puml|d2|dot|graphviz)\b",
                      re.MULTILINE | re.IGNORECASE)
_ARCHITECTURE_SECTIONS = re.compile(r"^(?:core |main |key |platform |system )?components$|^how it works$|"
                                    r"^(?:system|platform|cluster|infrastructure|architecture) overview$")
_BACKTICKED = re.compile(r"`([A-Z][A-Za-z0-9]+)`")


def dependency_bots(files: set[str]) -> list[Fact]:
    """One ``DependencyBot`` fact per Renovate or Dependabot configuration file among ``files``
    (repository-relative paths), with the tool and the path."""
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


# What a repository builds from (``build_inputs``): container files, build configurations, and code a
# compiler reads. Scripts (shell, Python, JavaScript) alone run as they are and are not counted.
BUILD_FILES = ("Dockerfile", "Containerfile", "go.mod", "package.json", "pyproject.toml", "setup.py", "Cargo.toml",
               "pom.xml", "build.gradle", "build.gradle.kts", "CMakeLists.txt", "jsonnetfile.json")
BUILD_SUFFIXES = (".dockerfile", ".containerfile", ".go", ".rs", ".java", ".kt", ".scala", ".c", ".cc", ".cpp",
                  ".cs", ".csproj", ".swift", ".ts", ".tsx", ".jsonnet", ".libsonnet")
MAKEFILES = ("Makefile", "makefile", "GNUmakefile")
_BUILD_TARGET = re.compile(r"^(?:build|all|images?|docker|container|compile|release|dist|package|bin)\b[\w./-]*"
                           r"(?:\s+[\w./-]+)*\s*::?(?!=)", re.MULTILINE)
BUILD_LOOKED_FOR = ("Dockerfile or Containerfile", *BUILD_FILES[2:], "a Makefile with a build target",
                    "compiled source code (" + ", ".join(s for s in BUILD_SUFFIXES if s not in (
                        ".dockerfile", ".containerfile")) + ")")


def _build_input(root: Path, rel: str) -> bool:
    name = PurePosixPath(rel).name
    if name in BUILD_FILES or name.lower().endswith(BUILD_SUFFIXES) or name.startswith(("Dockerfile.",
                                                                                         "Containerfile.")):
        return True
    if name in MAKEFILES:
        try:
            return bool(_BUILD_TARGET.search((root / rel).read_text(encoding="utf-8", errors="replace")))
        except OSError:
            return True  # unreadable: it may well build something
    return False


def build_inputs(root: Path, files: list[str], limit: int = 20) -> Fact:
    """The ``BuildInputs`` fact: the files of the repository something is built from (``BUILD_LOOKED_FOR``),
    the first ``limit`` of them by path and their count; a repository of manifests only has none."""
    found = [f for f in files if _build_input(root, f)]
    return ("BuildInputs", "build-inputs", {"files": found[:limit], "count": len(found),
                                            "looked_for": list(BUILD_LOOKED_FOR)})


def headings(body: str) -> list[tuple[int, str]]:
    """(level, text) of every markdown heading outside code fences, text lowercased without emphasis/emoji
    (a question keeps its ``?``)."""
    out = []
    fenced = False
    for line in body.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced and (m := _HEADING.match(line)):
            text = _HTML_TAG.sub("", m.group(2))  # "## <img src=... alt=💡> Overview": the words, not the markup
            text = re.sub(r"[*_`]|[^\w\s/&:().,'?-]", "", text).strip().lower()
            out.append((len(m.group(1)), re.sub(r"^\d+(?:\.\d+)*\.?\s+", "", text)))
    return out


def doc_type(path: str, text: str = "") -> str:
    """The type of a markdown document: by the folder it is filed in (``runbooks/``, ``adr/``), else by its
    headings: the title (first level-1 heading, or front-matter ``title``) first, then the section
    headings (see ``_HEADING_TYPES``, ``_RUNBOOK_SECTIONS``); ``other`` when nothing says."""
    parent = PurePosixPath(path.lower()).parent.parts
    if any(part in ("runbooks", "runbook", "playbooks") for part in parent):
        return "runbook"
    if any(part in ("adr", "adrs", "decisions") for part in parent):
        return "architecture"
    meta, body = _front_matter(text)
    found = headings(body)
    title = next((t for level, t in found if level == 1), str(meta.get("title") or "").lower())
    for kind, pattern in _HEADING_TYPES:
        if title and pattern.search(title) and (kind != "escalation" or escalation_levels(body)):
            return kind
    sections = [t for level, t in found if level > 1]
    if sum(bool(_RUNBOOK_SECTIONS.match(t)) for t in sections) >= 2:
        return "runbook"
    names = set(sections)
    if all(names & want for want in _ADR):
        return "architecture"
    for kind, pattern in _HEADING_TYPES:
        if kind != "runbook" and sum(bool(pattern.search(t)) for t in sections[:3]) >= 1 and kind in (
                "oncall", "escalation", "topology") and (kind != "escalation" or escalation_levels(body)):
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


def document(path: str, text: str, not_alerts: frozenset[str] = frozenset(),
             declared_alerts: frozenset[str] = frozenset()) -> Fact:
    """The Document fact of a markdown file; ``not_alerts`` are CamelCase words that are not alerts (kinds).
    Its ``recovery_targets`` are the RTO/RPO targets it declares (``readiness.collect.recovery``), ``draft``
    (present only when true) whether it says it is a draft or a proposal ("**Status:** Draft"); its
    ``runbooks`` the procedures under a "Runbooks" heading (``readiness.collect.runbooks``), with the alerts
    of ``declared_alerts`` (the repository's rules) each names; those alerts join its ``answers_alerts``."""
    meta, body = _front_matter(text)
    inside = section_runbooks(body, declared_alerts, text[:len(text) - len(body)].count("\n") + 1)
    kind = doc_type(path, text)
    alerts: list[str] = []
    if kind == "runbook":
        listed = meta.get("alerts")
        if listed:
            alerts = [str(a) for a in (listed if isinstance(listed, list) else [listed])]
        else:
            alerts = [w for w in _BACKTICKED.findall(body) if _is_alert_name(w, not_alerts)]
    tested = meta.get("last_tested", meta.get("last-tested", meta.get("lastTested")))
    title = _title(body) or (str(meta["title"]) if meta.get("title") else PurePosixPath(path).stem)
    alerts += [a for r in inside for a in r["answers_alerts"]]
    return ("Document", path, {"path": path, "title": title, "type": kind, "covers": covers(body),
                               "answers_alerts": list(dict.fromkeys(alerts)), "last_tested": _tested(tested),
                               "recovery_targets": recovery_targets(body), "runbooks": inside,
                               **({"draft": True} if _draft(meta, body) else {})})


# "**Status:** Draft", "Status: Proposed", "| Status | WIP |" near the top, or front matter ``status: draft``.
_DRAFT = r"(?:draft|proposed|proposal|wip|work in progress|rfc|in review|under review)\b"
_STATUS_LINE = re.compile(r"^\W*status\W*[:|]\W*" + _DRAFT, re.I)


def _draft(meta: dict[str, Any], body: str) -> bool:
    """Whether a document says it is a draft (not adopted): its front matter's ``status``, or a status line
    among its first 15 lines."""
    if re.match(_DRAFT, str(meta.get("status") or ""), re.I):
        return True
    return any(_STATUS_LINE.match(line) for line in body.splitlines()[:15])


# Subjects a document can treat without being of a type of its own: what its title or a section says.
# Fail-over is high availability, not recovery; a product's "security response flow" is no incident.
_SUBJECTS = {
    "disaster_recovery": re.compile(
        r"\bdisaster[- ]recovery\b|\bdr (?:plan|procedures?|runbook|drills?|tests?)\b|"
        r"\brestor(?:e|ing|ation)\b.*\b(?:backups?|clusters?|databases?|data|velero|snapshots?|volumes?)\b|"
        r"\b(?:backups?|velero|snapshots?)\b.*\brestor(?:e|es|ing|ation)\b|\brecovery (?:plan|procedures?|steps)\b"),
    "incident_response": re.compile(r"\bincident (?:response|management|handling|process|procedures?|commander)\b|"
                                    r"\bpost-?mortems?\b"),
    "security_incident": re.compile(r"\bsecurity (?:incidents?|breach(?:es)?)\b|\bdata breach\b|\bcompromised? "
                                    r"(?:credentials?|secrets?|keys?|tokens?|accounts?|clusters?|nodes?)\b"
                                    r"|\b(?:credential|secret|key|token) (?:leak|compromise)s?\b"),
}
_NOT_PROCEDURES = re.compile(r"\b(?:questions?|interview|faq|quiz)\b")
_NARROW_ARCHITECTURE = re.compile(r"\b(?:ci/?cd|pipelines?|test(?:ing)?|code|folder|director(?:y|ies)|"
                                  r"repo(?:sitory)?|project|build)\s+architecture\b")
_SCHEDULE_ITEM = re.compile(r"^(?:week|phase|day|sprint|month|milestone|step)s?\s*\d")
# What a section of any document can answer on its own: a README's "## Cluster Topology" documents
# the topology, an operations guide's "## Escalation matrix" the escalation, a platform document's
# "## Restoring a cluster from backup" the disaster recovery, though none is a document of that type.
# The document types first (by the section headings), then the subjects (by the title or a section).
SECTION_TOPICS = ("architecture", "topology", "network", "runbook", "oncall", "escalation", "troubleshooting",
                  *_SUBJECTS)


# An escalation matrix has levels: who is called at each step (L1/L2, Tier 1/2, Level 1/2, SEV1/SEV2,
# P1/P2, primary/secondary, first/second line).
_LEVEL = re.compile(r"\b(?:level|tier|l|t|sev|severity|p)\s*-?\s*([0-5])\b|"
                    r"\b(primary|secondary|tertiary)\b|\b(first|second|third|1st|2nd|3rd)[- ](?:line|level|tier)\b",
                    re.IGNORECASE)
_ORDINAL = {"first": "1", "1st": "1", "primary": "1", "second": "2", "2nd": "2", "secondary": "2",
            "third": "3", "3rd": "3", "tertiary": "3"}


def escalation_levels(text: str) -> bool:
    """Whether ``text`` names at least two escalation levels (L1 and L2, Tier 1 and 2, primary and
    secondary...): a matrix of who is called when, not one channel to contact."""
    found = {m.group(1) or _ORDINAL[(m.group(2) or m.group(3)).lower()] for m in _LEVEL.finditer(text)}
    return len(found) >= 2


def _section_texts(body: str, pattern: re.Pattern[str]) -> list[str]:
    """The text under each heading (level 2 or deeper) matching ``pattern``, down to the next heading of
    its level or higher, outside code fences."""
    lines = body.splitlines()
    marks = [(i, level, found[0][1] if (found := headings(lines[i])) else "") for i, level, _ in heading_marks(lines)]
    out = []
    for n, (i, level, text) in enumerate(marks):
        if level > 1 and pattern.search(text):
            end = next((j for j, lv, _ in marks[n + 1:] if lv <= level), len(lines))
            out.append("\n".join(lines[i:end]))
    return out


def covers(body: str) -> list[str]:
    """The topics of ``SECTION_TOPICS`` that ``body``'s headings name: a document type's by a section
    heading (level 2 or deeper; the title already decides the type; architecture also by a section on the
    system's components or how it works beside a diagram drawn as code, mermaid or plantuml), a subject of ``_SUBJECTS``
    (disaster recovery, incident response, a security incident) by any heading, the title included.
    A question ("### How do you handle security incidents?") documents nothing, nor does a subject in
    interview questions or a FAQ; a schedule's item ("## Week 2-3: Backup & Disaster Recovery") plans
    work, it documents no procedure. An incident-response section of a document about security (its
    title) is a security incident's."""
    found = [(level, t) for level, t in headings(body) if not t.endswith("?")]
    title = next((t for level, t in found if level == 1), "")
    if _NOT_PROCEDURES.search(title):  # interview questions, a FAQ: its sections group questions
        return []
    # "CI/CD Architecture" is how a pipeline is built, not the system's architecture
    sections = [t for level, t in found if level > 1 and not _NARROW_ARCHITECTURE.search(t)]
    patterns = dict(_HEADING_TYPES)
    out = [topic for topic in SECTION_TOPICS if topic in patterns and any(patterns[topic].search(t) for t in sections)]
    if "architecture" not in out and _DIAGRAM.search(body) and any(_ARCHITECTURE_SECTIONS.match(t) for t in sections):
        out.insert(0, "architecture")  # "### Core Components" and a mermaid diagram of the flow
    if "escalation" in out and not any(escalation_levels(t) for t in _section_texts(body, patterns["escalation"])):
        out[out.index("escalation")] = "escalation_contact"  # how to escalate, one channel: no matrix
    subjects = [t for _, t in found if not _SCHEDULE_ITEM.match(t)]
    out += [topic for topic, pattern in _SUBJECTS.items() if any(pattern.search(t) for t in subjects)]
    if "incident_response" in out and "security_incident" not in out and re.search(r"\bsecurity\b", title):
        out.append("security_incident")
    return out


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


def charts(files: list[str], load: Any) -> list[Fact]:
    """One ``Chart`` fact per Helm chart (``Chart.yaml``): its name and the charts it depends on.

    ``load(path)`` returns a file's YAML documents or None. Dependencies keep name, version, alias and
    condition (the components the chart installs), never repository credentials.
    """
    out: list[Fact] = []
    for rel in files:
        if PurePosixPath(rel).name != "Chart.yaml":
            continue
        docs = load(rel) or []
        doc = docs[0] if docs and isinstance(docs[0], dict) else None
        if doc is None:
            continue
        deps = [{"name": str(d.get("name")), "version": str(d.get("version", "")) or None,
                 "alias": d.get("alias") if isinstance(d.get("alias"), str) else None,
                 "condition": d.get("condition") if isinstance(d.get("condition"), str) else None}
                for d in doc.get("dependencies") or [] if isinstance(d, dict) and d.get("name")]
        out.append(("Chart", str(PurePosixPath(rel).parent), {
            "path": str(PurePosixPath(rel).parent), "name": str(doc.get("name") or ""),
            "version": str(doc.get("version") or "") or None, "dependencies": deps}))
    return out


def runbook_links(rules: list[tuple[str, dict[str, Any]]], paths: RepoPaths,
                  repo_names: frozenset[str]) -> Fact:
    """The ``RunbookLinks`` fact of a snapshot: per alert of its PrometheusRules and of its installers' chart
    values (``rules``: (name, spec with ``groups``)), its ``runbook_url`` (or None) and where that points
    (``link_outcome``)."""
    links = []
    alerts = 0
    for rule_name, spec in rules:
        for group in spec.get("groups") or [] if isinstance(spec, dict) else []:
            for rule in group.get("rules") or [] if isinstance(group, dict) else []:
                if not isinstance(rule, dict) or not rule.get("alert"):
                    continue
                alerts += 1
                ann: dict[str, Any] = rule["annotations"] if isinstance(rule.get("annotations"), dict) else {}
                url = ann.get("runbook_url") or ann.get("runbook")
                if not isinstance(url, str) or not url.strip():
                    continue
                outcome, target = link_outcome(url, paths, repo_names)
                links.append({"rule": rule_name, "alert": str(rule["alert"]), "url": url.strip()[:300],
                              "outcome": outcome, "target": target})
    return ("RunbookLinks", "runbook_url", {"alerts": alerts, "links": links})
