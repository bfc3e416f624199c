"""Runbooks inside larger documents: the procedures under a "Runbooks" heading.

A reader counts a plan's "## 7. Runbooks" with "### 7.1 PostgreSQL WAL corruption recovery" and
"### 7.2 API not responding" as two runbooks, though the plan is no runbook. The rule, by headings
and content only (never a file name):

- A *runbooks section* is a heading, of any level, that reads "Runbook(s)" or "Playbook(s)", numbered
  or not, optionally after one word saying whose (``_RUNBOOKS_HEADING``: "Operational runbooks",
  "Security playbooks"); "No operational runbooks" or "Create operations runbook" are not.
- Each of its direct subsections (the next heading level present under it) that *reads as a procedure*
  is one runbook. A subsection that is itself a runbooks section is counted on its own.
- When the direct subsections are the parts of one procedure ("### Symptoms", "### Response"), or when
  there are none, the section itself is one runbook if it reads as a procedure.
- Text reads as a procedure when it has steps (``is_procedure``): an ordered list of at least two
  items that are not bare links, a heading or bold label of action ("Response", "Mitigation",
  "Steps", ...; "Symptoms" alone describes, it does not act), or a fenced block of shell commands.
  A subsection of links to runbooks filed elsewhere, or of prose, is not a runbook here.

The alerts a section runbook answers are the alerts of the repository's rules (``declared``) that it
names, as a word anywhere in its text: a section has no front matter to list them, and a backticked
CamelCase word in a larger document is too loose a sign.
"""

from __future__ import annotations

import re
from typing import Any

_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$")
_FENCE = re.compile(r"^\s*(```|~~~)\s*([\w+-]*)")
_RUNBOOKS_HEADING = re.compile(r"^(?:(?:operational|operations|ops|incident|security|sre|emergency|recovery|"
                               r"alert|alerting|on-?call|service|platform|cluster)\s+)?(?:runbooks?|playbooks?)$")
# Labels of acting: a heading or a bold label that starts the steps of a procedure.
_ACTING = (r"response|respond|mitigation|mitigate|remediation|remediate|resolution|resolve|steps?|procedure|actions?|"
           r"immediate actions?|what to do|recovery|recover|fix|workaround|diagnos(?:is|e|tics?)|investigation|"
           r"investigate|triage|verification|verify|rollback|restore")
_ACTION = re.compile(rf"^(?:{_ACTING})\b")
# The parts of one procedure, when they are a runbooks section's direct subsections (the whole heading).
_PART = re.compile(rf"(?:symptoms?|signs?|impact|causes?|root cause|detection|alerts?|context|overview|summary|"
                   rf"prerequisites|escalation|{_ACTING})")
_BOLD_LABEL = re.compile(r"^\s*(?:[-*+]\s+)?\*\*([^*]+?)\*\*")
_ORDERED = re.compile(r"^\s{0,3}\d{1,3}[.)]\s+(\S.*)$")
_SHELL = {"bash", "sh", "shell", "console", "zsh", "fish", "powershell", "ps1", "pwsh", "cmd", "terminal"}
_COMMAND = re.compile(r"^\s*(?:\$\s|(?:sudo\s+)?(?:kubectl|helm|flux|velero|argocd|curl|docker|systemctl|psql|"
                      r"redis-cli|talosctl|terraform|aws|gcloud|az|vault|etcdctl|git|cmctl|linkerd|istioctl)(?:\s|$))")


def _norm(raw: str) -> str:
    """A heading's text as compared: no emphasis, emoji or numbering ("7.1 "), lowercase."""
    text = re.sub(r"[*_`]|[^\w\s/&:().,'?-]", "", raw).strip().lower()
    return re.sub(r"^\d+(?:\.\d+)*\.?\s+", "", text).strip(" :")


def _shown(raw: str) -> str:
    """A heading's text as a reader sees it: no emphasis marks, no emoji, numbering kept."""
    return re.sub(r"\s+", " ", re.sub(r"[*_`]|[^\w\s/&:().,'?#+-]", "", raw)).strip()


def heading_marks(lines: list[str]) -> list[tuple[int, int, str]]:
    """(line index, level, raw text) of every Markdown heading of ``lines`` outside code fences."""
    out = []
    fenced = False
    for i, line in enumerate(lines):
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced and (m := _HEADING.match(line)):
            out.append((i, len(m.group(1)), m.group(2)))
    return out


def is_procedure(lines: list[str]) -> bool:
    """Whether markdown ``lines`` read as a procedure: an ordered list of at least two items that do not
    start with a link (an index of runbooks elsewhere is no procedure), a heading or bold label of acting
    (``_ACTION``), or a fenced block tagged as a shell or whose lines start with a command (``_COMMAND``)."""
    steps = 0
    fenced, shell = False, False
    for line in lines:
        fence = _FENCE.match(line)
        if fence:
            if not fenced and fence.group(2).lower() in _SHELL:
                shell = True
            fenced = not fenced
            continue
        if fenced:
            if _COMMAND.match(line):
                shell = True
            continue
        if (m := _HEADING.match(line)) and _ACTION.match(_norm(m.group(2))):
            return True
        if (b := _BOLD_LABEL.match(line)) and _ACTION.match(_norm(b.group(1))):
            return True
        if (o := _ORDERED.match(line)) and not o.group(1).startswith("["):
            steps += 1
    return shell or steps >= 2


def _alerts(lines: list[str], declared: frozenset[str]) -> list[str]:
    """The declared alerts named as a word in ``lines``, in order of first mention."""
    words = re.findall(r"[A-Za-z][A-Za-z0-9_]*", "\n".join(lines))
    return list(dict.fromkeys(w for w in words if w in declared))


def section_runbooks(text: str, declared: frozenset[str] = frozenset(), first_line: int = 1) -> list[dict[str, Any]]:
    """The runbooks inside markdown ``text`` (see the module's rule), each ``{"heading": str (as written,
    numbering kept), "line": int (1-based, ``first_line`` being the number of ``text``'s first line),
    "answers_alerts": [alert of ``declared`` it names]}``, in document order; [] when it has no runbooks
    section or none of its subsections reads as a procedure."""
    lines = text.splitlines()
    marks = heading_marks(lines)
    out: list[dict[str, Any]] = []

    def add(i: int, end: int, raw: str) -> None:
        out.append({"heading": _shown(raw), "line": i + first_line,
                    "answers_alerts": _alerts(lines[i:end], declared)})

    for n, (i, level, raw) in enumerate(marks):
        if not _RUNBOOKS_HEADING.match(_norm(raw)):
            continue
        end = next((j for j, lv, _ in marks[n + 1:] if lv <= level), len(lines))
        inside = [(j, lv, r) for j, lv, r in marks[n + 1:] if j < end]
        top = min((lv for _, lv, _ in inside), default=0)
        direct = [(j, r) for j, lv, r in inside if lv == top]
        if not direct or any(_PART.fullmatch(_norm(r)) for _, r in direct):
            if is_procedure(lines[i + 1:end]):
                add(i, end, raw)
            continue
        bounds = [j for j, _ in direct[1:]] + [end]
        for (j, r), stop in zip(direct, bounds, strict=True):
            if not _RUNBOOKS_HEADING.match(_norm(r)) and is_procedure(lines[j + 1:stop]):
                add(j, stop, r)
    return sorted(out, key=lambda r: int(r["line"]))


def rule_alerts(doc: Any) -> list[str]:
    """The alert names a YAML document declares: a PrometheusRule's ``spec.groups[].rules[].alert``, or a
    Prometheus rule file's ``groups[].rules[].alert``; [] for anything else."""
    if not isinstance(doc, dict):
        return []
    spec = doc.get("spec") if doc.get("kind") == "PrometheusRule" else doc if "kind" not in doc else None
    groups = spec.get("groups") if isinstance(spec, dict) else None
    return [str(rule["alert"]) for group in (groups if isinstance(groups, list) else [])
            if isinstance(group, dict) and isinstance(group.get("rules"), list)
            for rule in group["rules"] if isinstance(rule, dict) and rule.get("alert")]
