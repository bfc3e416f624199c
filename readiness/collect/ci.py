"""CI workflows as repository facts: what each job does, read from its steps (GitHub Actions, GitLab CI).

What a job does is detected from the text of its steps (``run``, ``uses``, ``with``, step names;
GitLab's ``script``s and ``image``), never from the job's id alone and never from a README.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from readiness.repofacts import ACTIVITIES

Job = dict[str, Any]

_RUNNERS = re.compile(
    r"\bpytest\b|\bgo test\b|\b(?:npm|yarn|pnpm|bun)(?: run)? test\b|\bcargo test\b|\bmvn\b[^\n]*\b(?:test|verify)\b"
    r"|\bgradlew?\b[^\n]*\btest\b|\bmake test\b|\btox\b|\bnox\b|\bjest\b|\bvitest\b|\brspec\b|\bphpunit\b"
    r"|\bdotnet test\b|\bmix test\b|\bctest\b")
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("build", re.compile(r"\bbuild\b")),
    ("integration-test", re.compile(r"integration")),
    ("e2e-test", re.compile(r"\bplaywright\b|\bcypress\b|\be2e\b|end-to-end")),
    ("load-test", re.compile(r"\bk6\b|\blocust\b|\bjmeter\b|\bgatling\b|\bvegeta\b")),
    ("smoke-test", re.compile(r"smoke")),
    ("coverage", re.compile(r"coverage|codecov|coveralls|--cov\b")),
    ("image-scan", re.compile(r"\btrivy\b|\bgrype\b|\bsnyk\b|trivy-action|anchore/scan-action")),
    ("sast", re.compile(r"codeql|semgrep|\bbandit\b|\bgosec\b")),
    ("deploy", re.compile(r"\bkubectl\b|\bhelm\b|\bflux\b|\bargocd\b|\bdeploy")),
    ("approval", re.compile(r"manual-approval|\bapproval\b")),
    ("rollback", re.compile(r"rollback|roll back|rollout undo")),
    ("preview", re.compile(r"preview")),
)
_PRODUCTION = re.compile(r"\bprod(?:uction)?\b", re.IGNORECASE)


def activities(text: str, environment: str | None = None, manual: bool = False) -> list[str]:
    """What a job whose steps read ``text`` does, in ``ACTIVITIES`` order."""
    text = text.lower()
    found = {name for name, pattern in _PATTERNS if pattern.search(text)}
    if _RUNNERS.search(text):
        found.add("test")
        if "unit" in text or not found & {"integration-test", "e2e-test", "smoke-test", "load-test"}:
            found.add("unit-test")
    if manual or (environment and _PRODUCTION.search(environment)):
        found.add("approval")
    return [a for a in ACTIVITIES if a in found]


def _text(value: Any) -> str:
    if isinstance(value, dict):
        return "\n".join(_text(v) for v in value.values())
    if isinstance(value, list):
        return "\n".join(_text(v) for v in value)
    return "" if value is None else str(value)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _environment(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("name")
    return str(value) if value not in (None, "") else None


def _names(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [str(i.get("job")) if isinstance(i, dict) else str(i) for i in items if i is not None]


def github_workflow(path: str, doc: Any) -> dict[str, Any] | None:
    """The Workflow spec of a GitHub Actions file, or None when ``doc`` is not a workflow."""
    if not isinstance(doc, dict) or not isinstance(doc.get("jobs"), dict):
        return None
    on = doc.get("on", doc.get("true"))  # YAML 1.1 reads the key `on` as true
    triggers = [on] if isinstance(on, str) else list(on) if isinstance(on, list | dict) else []
    jobs = []
    for job_id, job in doc["jobs"].items():
        if not isinstance(job, dict):
            continue
        steps = _list(job.get("steps"))
        parts = [_text(job.get("name")), _text(job.get("uses")), _text(job.get("with"))]
        for step in steps:
            if isinstance(step, dict):
                parts += [_text(step.get(k)) for k in ("name", "uses", "run", "with")]
        env = _environment(job.get("environment"))
        jobs.append({"name": str(job_id), "does": activities("\n".join(parts), env), "environment": env,
                     "needs": _names(job.get("needs"))})
    return {"system": "github-actions", "path": path, "triggers": [str(t) for t in triggers], "jobs": jobs}


GITLAB_RESERVED = frozenset({"stages", "variables", "include", "default", "workflow", "image", "services",
                             "before_script", "after_script", "cache", "spec"})
_SOURCE = re.compile(r"\$CI_PIPELINE_SOURCE\s*==\s*[\"']?(\w+)")
_ONLY = {"merge_requests": "merge_request", "schedules": "schedule", "tags": "tag", "branches": "push",
         "pushes": "push", "web": "web", "api": "api", "triggers": "trigger"}


def gitlab_includes(doc: Any) -> list[str]:
    """The local files a ``.gitlab-ci.yml`` includes (remote and project includes are not followed)."""
    inc = doc.get("include") if isinstance(doc, dict) else None
    out = []
    for item in inc if isinstance(inc, list) else [inc] if inc else []:
        if isinstance(item, str) and not item.startswith(("http://", "https://")):
            out.append(item.lstrip("/"))
        elif isinstance(item, dict) and isinstance(item.get("local"), str):
            out.append(item["local"].lstrip("/"))
    return out


def gitlab_pipeline(path: str, docs: list[Any]) -> dict[str, Any]:
    """The Workflow spec of a GitLab CI pipeline: ``docs`` are ``.gitlab-ci.yml`` and its local includes."""
    defs: dict[str, dict[str, Any]] = {}
    for doc in docs:
        if isinstance(doc, dict):
            defs.update({str(k): v for k, v in doc.items() if isinstance(v, dict) and k not in GITLAB_RESERVED})

    def resolved(name: str, seen: frozenset[str] = frozenset()) -> list[dict[str, Any]]:
        job = defs.get(name)
        if job is None or name in seen:
            return []
        chain = []
        for parent in _names(job.get("extends")):
            chain += resolved(parent, seen | {name})
        return [*chain, job]

    triggers: list[str] = []
    sources_text = "\n".join(_text(d.get("workflow")) for d in docs if isinstance(d, dict))
    jobs = []
    for name in defs:
        if name.startswith("."):
            continue
        chain = resolved(name)
        merged: dict[str, Any] = {}
        for part in chain:
            merged.update(part)
        text = "\n".join(_text(merged.get(k)) for k in ("before_script", "script", "after_script", "image",
                                                       "trigger", "services"))
        env = _environment(merged.get("environment"))
        manual = merged.get("when") == "manual" or any(
            isinstance(r, dict) and r.get("when") == "manual" for r in _list(merged.get("rules")))
        jobs.append({"name": name, "does": activities(text, env, manual), "environment": env,
                     "needs": _names(merged.get("needs"))})
        sources_text += "\n" + _text(merged.get("rules"))
        for item in _list(merged.get("only")):
            if str(item) in _ONLY:
                triggers.append(_ONLY[str(item)])
    for source in _SOURCE.findall(sources_text):
        triggers.append("merge_request" if source == "merge_request_event" else source)
    return {"system": "gitlab-ci", "path": path, "triggers": list(dict.fromkeys(triggers or ["push"])), "jobs": jobs}


def workflows(root: Path, files: list[str], load: Callable[[str], list[Any] | None]) -> list[dict[str, Any]]:
    """Workflow specs of every CI definition among ``files`` (repository-relative paths).

    ``load(path)`` returns a file's YAML documents, or None when it is unreadable (and recorded).
    """
    out = []
    for rel in files:
        if rel.startswith(".github/workflows/") and rel.endswith((".yml", ".yaml")) and rel.count("/") == 2:
            docs = load(rel)
            spec = github_workflow(rel, docs[0]) if docs else None
            if spec:
                out.append(spec)
    if ".gitlab-ci.yml" in files:
        docs = load(".gitlab-ci.yml")
        if docs:
            included = []
            for inc in gitlab_includes(docs[0]):
                if (root / inc).is_file():
                    included += load(inc) or []
            out.append(gitlab_pipeline(".gitlab-ci.yml", docs[:1] + included))
    return out
