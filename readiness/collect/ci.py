"""CI workflows as repository facts: what each job does, read from its steps (GitHub Actions, GitLab CI,
Woodpecker CI).

What a job does is detected from the text of its steps (``run``, ``uses``, ``with``, step names;
GitLab's ``script``s and ``image``; Woodpecker's ``commands`` and ``image``), never from the job's
id alone and never from a README. SAST is a tool that analyses code (CodeQL's analyze, Semgrep,
gosec, Bandit...), or a linter whose configuration in the repository enables a security analyser
(``readiness.collect.lintconfig``: golangci-lint with gosec, ruff with the bandit rules), never an upload
of someone else's SARIF. A job that creates a throwaway cluster
(kind, k3d, minikube) and installs into it is an end-to-end test, not a deploy. A job that writes a
new image tag into the manifests (``kustomize edit set image``, ``yq`` or ``sed`` on an image or
``newTag``) and pushes the commit is a deploy: Flux or Argo CD applies what it commits.

Jobs say what gates them in ``needs``: GitHub's ``needs``; GitLab's ``needs`` or, without one,
every job of the earlier stages (stage order gates later stages); Woodpecker's ``depends_on``, or
the steps before (steps run in order). A GitHub job that calls a reusable workflow of this
repository (``uses: ./.github/workflows/x.yml``) does what that workflow's jobs do
(``calls``). Only files directly in ``.github/workflows/`` are GitHub workflows: parked copies
elsewhere (``.github/vault/``) are not run by GitHub.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from readiness.collect import lintconfig
from readiness.store.repofacts import ACTIVITIES

Job = dict[str, Any]

_RUNNERS = re.compile(
    r"\bpytest\b|\bgo test\b|\b(?:npm|yarn|pnpm|bun)(?: run)? test\b|\bcargo test\b|\bmvn\b[^\n]*\b(?:test|verify)\b"
    r"|\bgradlew?\b[^\n]*\btest\b|\bmake test\b|\btox\b|\bnox\b|\bjest\b|\bvitest\b|\brspec\b|\bphpunit\b"
    r"|\bdotnet test\b|\bmix test\b|\bctest\b")
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # a build command, or a step named for building ("🔨 Build image"); not "if should build"
    ("build", re.compile(r"docker(?:/| )build|docker buildx|build-push-action|\bbuildah\b|\bkaniko\b|\bko build|"
                         r"\bgo build|\b(?:npm|yarn|pnpm|bun)(?: run)? build|\bmake build|\bmvn\b[^\n]*\bpackage|"
                         r"gradlew?\b[^\n]*\b(?:build|assemble)|cargo build|goreleaser|python -m build|"
                         # a step named for building, unless what it builds is manifests or docs (generated YAML)
                         # manifests generated from code (jsonnet: what BuildInputs counts as needing a build)
                         r"\bjb (?:install|update)\b|\bmake\b[^\n]*\bgenerate\b|"
                         r"\bpoetry build|\bnix build|(?m:^[^\w\n]*build(?:ing)?\b(?!:)"
                         r"(?![^\n]*\b(?:manifests?|docs|documentation)\b))")),
    ("integration-test", re.compile(r"integration")),
    ("e2e-test", re.compile(r"\bplaywright\b|\bcypress\b|\be2e\b|end-to-end")),
    ("load-test", re.compile(r"\bk6\b|\blocust\b|\bjmeter\b|\bgatling\b|\bvegeta\b")),
    ("smoke-test", re.compile(r"smoke")),
    # Kubernetes manifests checked before they merge: rendered (a kustomization or chart that does not
    # build fails the job), validated against the API schemas, or held to policies. What a repository of
    # manifests has for tests.
    ("validate", re.compile(r"\bkubeconform\b|\bkubeval\b|flux-schema|\bflux-local\b|\bconftest\b|"
                            r"\bkube-linter\b|\bkube-score\b|\bpolaris audit\b|\bdatree\b|\bpluto detect|"
                            r"\bcheckov\b|\bkubescape\b|\bkyverno (?:apply|test)\b|\bkustomize build\b|"
                            r"\bkubectl kustomize\b|\bhelm (?:lint|template)\b|\bmake\b[^\n]*\bvalidate\b|"
                            r"\bkubectl (?:apply|create)\b[^\n]*--dry-run")),
    ("coverage", re.compile(r"coverage|codecov|coveralls|--cov\b")),
    ("image-scan", re.compile(r"\btrivy\b|\bgrype\b|\bsnyk\b|trivy-action|anchore/scan-action")),
    ("sast", re.compile(r"codeql-action/analyze|codeql database analyze|\bsemgrep\b|\bbandit\b|\bgosec\b|"
                        r"sonar-?scanner|sonarcloud-github-action|sonarqube-scan|\bbrakeman\b|snyk code|\bnjsscan\b|"
                        r"\bhorusec\b|\bspotbugs\b|\bflawfinder\b|\bpsalm\b|\bcheckov\b|\btfsec\b|\bkics\b|"
                        r"\bkubescape\b")),
    ("deploy", re.compile(r"kubectl (?:apply|create|replace|rollout|set image|patch)|helm (?:upgrade|install|rollback)|"
                          r"helmfile (?:apply|sync)|flux (?:reconcile|bootstrap|create)|argocd app (?:sync|create|set)|"
                          r"skaffold (?:run|deploy)|\bkubectl\b[^\n]*-[fk] |"
                          # the word itself only where it names the step ("🚀 Deploy to pro", deploy.sh),
                          # not in a question ("Determine if should deploy")
                          r"(?m:^[^\w\n]*deploy(?:ing)?\b(?!:))|\bdeploy(?:s|ing)? (?:to|on|into)\b|\bdeploy\.sh\b")),
    ("approval", re.compile(r"manual-approval|\bapproval\b")),
    ("rollback", re.compile(r"rollback|roll back|rollout undo")),
    ("preview", re.compile(r"preview")),
)
_DRY_RUN = re.compile(r"[^\n]*--dry-run[^\n]*")  # a command line that changes nothing deploys nothing
_PRODUCTION = re.compile(r"\bprod(?:uction)?\b", re.IGNORECASE)
# A cluster created for the job and thrown away with it: what is installed there is tested, not deployed.
_THROWAWAY = re.compile(r"helm/kind-action|kind create cluster|engineerd/setup-kind|container-tools/kind-action|"
                        r"\bk3d cluster create\b|abatilo/actions-k3d|\bminikube start\b|medyagh/setup-minikube|"
                        r"nolar/setup-k3d-k3s|\bctlptl\b")

# A GitOps deploy: the job writes a new image tag into the manifests (kustomize edit set image, yq or sed on
# an image/newTag) and commits it back for Flux or Argo CD to apply.
_TAG_EDIT = re.compile(r"kustomize edit set image|\byq\b[^\n]*(?:\.image|\.tag\b|newtag|\bimages\b)|"
                       r"\bsed\b[^\n]*(?:newtag|\bimage\b|\btag:)")
_PUSH = re.compile(r"\bgit push\b|create-pull-request|git-auto-commit-action|add-and-commit|github-push-action|"
                   r"\bgh pr create\b")


def activities(text: str, environment: str | None = None, manual: bool = False) -> list[str]:
    """What a job whose steps read ``text`` does, in ``ACTIVITIES`` order."""
    text = text.lower()
    changing = _DRY_RUN.sub("", text)
    found = {name for name, pattern in _PATTERNS if pattern.search(changing if name == "deploy" else text)}
    if _RUNNERS.search(text):
        found.add("test")
        if "unit" in text or not found & {"integration-test", "e2e-test", "smoke-test", "load-test"}:
            found.add("unit-test")
    if _TAG_EDIT.search(text) and _PUSH.search(text):
        found.add("deploy")
    if _THROWAWAY.search(text) and not (environment and "deploy" in found):
        found.discard("deploy")
        found.add("e2e-test")
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


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _environment(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("name")
    return str(value) if value not in (None, "") else None


def _names(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [str(i.get("job")) if isinstance(i, dict) else str(i) for i in items if i is not None]


def _globs(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value] if value not in (None, "") else []
    return [str(v) for v in items if v is not None]


def _github_paths(on: Any) -> dict[str, list[str]]:
    """``paths`` / ``paths_ignore`` of a GitHub workflow's change triggers (push, pull_request,
    pull_request_target): set only when every change trigger it has is limited (one unfiltered trigger
    runs the workflow on every change); the globs of all of them together."""
    if not isinstance(on, dict):
        return {}
    changes = [v if isinstance(v, dict) else {} for k, v in on.items() if k in GITHUB_CHANGE_EVENTS]
    out: dict[str, list[str]] = {}
    if changes and all(c.get("paths") for c in changes):
        out["paths"] = list(dict.fromkeys(g for c in changes for g in _globs(c.get("paths"))))
    elif changes and all(c.get("paths-ignore") or c.get("paths") for c in changes):
        out["paths_ignore"] = list(dict.fromkeys(g for c in changes for g in _globs(c.get("paths-ignore"))))
    return out


GITHUB_CHANGE_EVENTS = ("push", "pull_request", "pull_request_target")
_STATUS_ANYWAY = re.compile(r"\balways\(\)|!\s*failure\(\)|!\s*cancelled\(\)")


def _job_lines(text: str | None) -> dict[str, dict[str, int]]:
    """1-based lines of each GitHub job's key and of its ``if:`` ({job: {"line": n, "if_line": m}})."""
    import yaml

    if not text:
        return {}
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    jobs = next((v for k, v in getattr(root, "value", []) if getattr(k, "value", None) == "jobs"), None)
    out: dict[str, dict[str, int]] = {}
    for key, node in jobs.value if isinstance(jobs, yaml.MappingNode) else []:
        lines = {"line": key.start_mark.line + 1}
        for k, _ in node.value if isinstance(node, yaml.MappingNode) else []:
            if k.value == "if":
                lines["if_line"] = k.start_mark.line + 1
        out[str(key.value)] = lines
    return out


def _condition(job: dict[str, Any], lines: dict[str, int]) -> dict[str, Any]:
    """What a GitHub job's ``if:`` says: ``skippable`` (a condition other than a bare status function can
    skip it), ``runs_anyway`` (``always()`` / ``!failure()`` / ``!cancelled()``: it runs when a job it
    needs was skipped or failed), and ``if_line``. Only these facts are stored, never the expression."""
    cond = job.get("if")
    if cond is None or (isinstance(cond, bool) and cond):
        return {}
    text = str(cond).strip().removeprefix("${{").removesuffix("}}").strip()
    bare = re.fullmatch(r"(?:always|success|failure|cancelled)\(\)|true", text) is not None
    out: dict[str, Any] = {"skippable": not bare, "runs_anyway": bool(_STATUS_ANYWAY.search(text))}
    if "if_line" in lines:
        out["if_line"] = lines["if_line"]
    return out


_ENV_REF = re.compile(r"\$\{\{\s*env\.(\w+)\s*\}\}")


def _resolved(value: Any, env: dict[str, Any]) -> str | None:
    """``value`` with its ``${{ env.X }}`` replaced from ``env``; None when another expression remains."""
    if value is None:
        return None
    out = _ENV_REF.sub(lambda m: str(env.get(m.group(1), m.group(0))), str(value))
    return None if "${{" in out else out


def _workdir(value: Any, env: dict[str, Any]) -> str | None:
    return "." if value in (None, "") else _resolved(value, env)


def _run_dir(doc: dict[str, Any]) -> Any:
    """A workflow's or job's ``defaults.run.working-directory``."""
    run = (doc.get("defaults") or {}).get("run") if isinstance(doc.get("defaults"), dict) else None
    return run.get("working-directory") if isinstance(run, dict) else None


def _linter_sast(root: Path, doc: dict[str, Any], job: dict[str, Any]) -> list[dict[str, Any]]:
    """The security analysers a GitHub job's linters run, by the configuration the repository gives them
    (``readiness.collect.lintconfig``), each with ``blocking``: False under ``continue-on-error: true``."""
    out = []
    for step in _list(job.get("steps")):
        if not isinstance(step, dict):
            continue
        env = {**_mapping(doc.get("env")), **_mapping(job.get("env")), **_mapping(step.get("env"))}
        inputs = _mapping(step.get("with"))
        if isinstance(step.get("uses"), str):
            found = lintconfig.in_action(root, step["uses"], inputs, _workdir(inputs.get("working-directory"), env))
        elif isinstance(step.get("run"), str):
            where = step.get("working-directory") or _run_dir(job) or _run_dir(doc)
            found = lintconfig.in_run(root, _workdir(where, env), step["run"])
        else:
            continue
        lenient = step.get("continue-on-error") is True or job.get("continue-on-error") is True
        out += [{**f, "blocking": not lenient} for f in found]
    return out


_NOOP = re.compile(r"(?:exit \d+|true|false|echo\b[^\n]*)(?:\s*\n\s*(?:exit \d+|true|false|echo\b[^\n]*))*")


def _result_gate(steps: list[Any]) -> bool:
    """Whether a job's steps only pass or fail on what other jobs did (``run: exit 0`` under an ``if:`` on
    ``needs.<job>.result``, a summary job for branch protection): it runs nothing itself, so its name
    ("End-to-End Test Results") says nothing of what it does."""
    runs = [s for s in steps if isinstance(s, dict)]
    noop = bool(runs) and all(isinstance(s.get("run"), str) and not s.get("uses") and _NOOP.fullmatch(s["run"].strip())
                              for s in runs)
    return noop and any("needs." in str(s.get("if") or "") for s in runs)


def github_workflow(path: str, doc: Any, text: str | None = None, root: Path | None = None) -> dict[str, Any] | None:
    """The Workflow spec of a GitHub Actions file, or None when ``doc`` is not a workflow.

    ``text`` (the file's text) gives the lines of the jobs' ``if:`` conditions; ``root`` (the repository)
    the linter configurations that make a lint job SAST (its ``sast``: [{"tool", "analyser", "config",
    "blocking"}])."""
    if not isinstance(doc, dict) or not isinstance(doc.get("jobs"), dict):
        return None
    on = doc.get("on", doc.get("true"))  # YAML 1.1 reads the key `on` as true
    triggers = [on] if isinstance(on, str) else list(on) if isinstance(on, list | dict) else []
    lines = _job_lines(text)
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
        uses = job.get("uses")
        calls = [uses.removeprefix("./").split("@")[0]] if isinstance(uses, str) and uses.startswith("./") else []
        linters = _linter_sast(root, doc, job) if root is not None else []
        if root is not None:
            parts.append(lintconfig.pre_commit_hooks(root, "\n".join(parts)))
        does = [] if _result_gate(steps) and not env else activities("\n".join(parts), env)
        if linters and "sast" not in does:
            does = [a for a in ACTIVITIES if a in {*does, "sast"}]
        jobs.append({"name": str(job_id), "does": does, "environment": env, **({"sast": linters} if linters else {}),
                     "needs": _names(job.get("needs")), **({"calls": calls} if calls else {}),
                     **_condition(job, lines.get(str(job_id), {})),
                     **_ignores_failure(job.get("continue-on-error") is True, "continue-on-error: true",
                                        _github_test_script(steps))})
    return {"system": "github-actions", "path": path, "triggers": [str(t) for t in triggers], "jobs": jobs,
            **_github_paths(on)}


def _inline_calls(specs: list[dict[str, Any]]) -> None:
    """A job calling a reusable workflow of this repository does what that workflow's jobs do (in place)."""
    by_path = {s["path"]: s for s in specs}

    def does(path: str, seen: frozenset[str]) -> set[str]:
        called = by_path.get(path)
        if called is None or path in seen:
            return set()
        out: set[str] = set()
        for job in called["jobs"]:
            out |= set(job["does"])
            for inner in job.get("calls", []):
                out |= does(inner, seen | {path})
        return out

    for spec in specs:
        for job in spec["jobs"]:
            extra = set()
            for path in job.get("calls", []):
                extra |= does(path, frozenset({spec["path"]}))
            if extra - set(job["does"]):
                job["does"] = [a for a in ACTIVITIES if a in extra | set(job["does"])]


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


def _gitlab_changes(value: Any) -> list[str]:
    return _globs(value.get("paths") if isinstance(value, dict) else value)


def _gitlab_paths(job: dict[str, Any]) -> dict[str, list[str]]:
    """``paths`` of a GitLab job that runs only when files change (every rule it runs under has
    ``changes:``, or ``only: changes:``); {} when some rule runs it on any change."""
    rules = [r for r in _list(job.get("rules")) if isinstance(r, dict) and r.get("when") != "never"]
    if rules and all(r.get("changes") for r in rules):
        return {"paths": list(dict.fromkeys(g for r in rules for g in _gitlab_changes(r["changes"])))}
    only = job.get("only")
    if not rules and isinstance(only, dict) and only.get("changes"):
        return {"paths": _gitlab_changes(only["changes"])}
    return {}


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
    stages = next((d["stages"] for d in docs if isinstance(d, dict) and isinstance(d.get("stages"), list)),
                  ["build", "test", "deploy"])
    order = {str(s): i for i, s in enumerate([".pre", *[str(x) for x in stages], ".post"])}
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
        manual_rules = [str(r.get("if", "always")) for r in _list(merged.get("rules"))
                        if isinstance(r, dict) and r.get("when") == "manual"]
        auto_rules = [str(r.get("if", "always")) for r in _list(merged.get("rules"))
                      if isinstance(r, dict) and r.get("when", "on_success") not in ("manual", "never")]
        manual = merged.get("when") == "manual" or bool(manual_rules)
        stage = str(merged.get("stage", "test"))
        jobs.append({"name": name, "does": activities(text, env, manual), "environment": env,
                     "needs": _names(merged.get("needs")) if "needs" in merged else None, "stage": stage,
                     "manual": manual, "manual_rules": manual_rules,
                     "auto_rules": [] if merged.get("when") == "manual" else auto_rules,
                     **_gitlab_paths(merged),
                     **_ignores_failure(bool(merged.get("allow_failure")), "allow_failure", text)})
        sources_text += "\n" + _text(merged.get("rules"))
        for item in _list(merged.get("only")):
            if str(item) in _ONLY:
                triggers.append(_ONLY[str(item)])
    for job in jobs:  # without needs:, a job waits for every job of the earlier stages
        if job["needs"] is None:
            mine = order.get(str(job["stage"]), len(order))
            job["needs"] = [j["name"] for j in jobs if order.get(str(j["stage"]), len(order)) < mine]
    for source in _SOURCE.findall(sources_text):
        triggers.append("merge_request" if source == "merge_request_event" else source)
    return {"system": "gitlab-ci", "path": path, "triggers": list(dict.fromkeys(triggers or ["push"])), "jobs": jobs}


WOODPECKER_EVENTS = {"push": "push", "pull_request": "pull_request", "tag": "tag", "cron": "schedule",
                     "manual": "manual", "deployment": "deployment", "release": "release"}


def _when_values(when: Any, key: str) -> list[str]:
    out: list[str] = []
    for item in when if isinstance(when, list) else [when]:
        if isinstance(item, dict):
            value = item.get(key)
            out += [str(v) for v in (value if isinstance(value, list) else [value]) if v is not None]
    return out


def _woodpecker_paths(when: Any) -> dict[str, list[str]]:
    """``paths`` / ``paths_ignore`` of a Woodpecker ``when:`` whose every condition has ``path:`` (a glob,
    a list, or ``{include, exclude}``); {} when one condition runs on any change."""
    items = [w for w in (when if isinstance(when, list) else [when]) if isinstance(w, dict)]
    if not items or not all(w.get("path") for w in items):
        return {}
    include: list[str] = []
    exclude: list[str] = []
    for w in items:
        value = w["path"]
        include += _globs(value.get("include")) if isinstance(value, dict) else _globs(value)
        exclude += _globs(value.get("exclude")) if isinstance(value, dict) else []
    if include:
        return {"paths": list(dict.fromkeys(include))}
    return {"paths_ignore": list(dict.fromkeys(exclude))} if exclude else {}


def _ignores_failure(ignored: bool, setting: str, script: str = "") -> dict[str, str]:
    """``{"ignores_failure": setting}`` for a job whose failure does not stop what waits for it (GitHub
    ``continue-on-error: true``, GitLab ``allow_failure``, Woodpecker ``failure: ignore``), or whose ``script``
    runs its tests so that they cannot fail it (``go test ./... || true``: ``_swallowed``), else ``{}``."""
    if ignored:
        return {"ignores_failure": setting}
    swallowed = _swallowed(script)
    return {"ignores_failure": swallowed} if swallowed else {}


_OR_TRUE = re.compile(r"\|\|\s*(?:true|:|exit\s+0)\s*(?:$|[;#)])", re.MULTILINE)


def _github_test_script(steps: list[Any]) -> str:
    """The ``run`` scripts of a GitHub job's steps, a step that runs tests under ``continue-on-error: true``
    written as swallowing them (``|| true``)."""
    out = []
    for step in steps:
        run = step.get("run") if isinstance(step, dict) else None
        if not isinstance(run, str):
            continue
        out.append(run)
        runner = _RUNNERS.search(run.lower())
        if runner and step.get("continue-on-error") is True:
            out.append(f"{runner.group(0)} || true  # continue-on-error: true on the step")
    return "\n".join(out)


def _swallowed(script: str) -> str | None:
    """``<runner> ... || true`` when a line of ``script`` runs tests (``_RUNNERS``) and ends in ``|| true``,
    ``|| :`` or ``|| exit 0``: whatever the tests find, the step succeeds; None otherwise."""
    for line in script.lower().splitlines():
        runner, tail = _RUNNERS.search(line), _OR_TRUE.search(line)
        if runner and tail:
            return f"{runner.group(0)} ... {tail.group(0).rstrip(';#) ').strip()}"
    return None


def woodpecker_pipeline(path: str, doc: Any) -> dict[str, Any] | None:
    """The Workflow spec of a Woodpecker CI file (``steps:`` as a list or a mapping, or the older ``pipeline:``)."""
    if not isinstance(doc, dict):
        return None
    steps = doc.get("steps", doc.get("pipeline"))
    if isinstance(steps, dict):
        steps = [{"name": k, **v} for k, v in steps.items() if isinstance(v, dict)]
    if not isinstance(steps, list):
        return None
    events = _when_values(doc.get("when"), "event")
    jobs = []
    previous: list[str] = []
    for i, step in enumerate(s for s in steps if isinstance(s, dict)):
        name = str(step.get("name") or f"step-{i + 1}")
        text = "\n".join(_text(step.get(k)) for k in ("name", "image", "commands", "settings", "environment"))
        step_events = _when_values(step.get("when"), "event")
        envs = _when_values(step.get("when"), "environment") or _when_values(doc.get("when"), "environment")
        env = envs[0] if envs else None
        manual = bool({"manual", "deployment", "promote"} & set(step_events or events))
        needs = _names(step.get("depends_on")) if "depends_on" in step else list(previous)
        branches = _when_values(step.get("when"), "branch")
        jobs.append({"name": name, "does": activities(text, env, manual), "environment": env, "needs": needs,
                     **({"branches": branches} if branches else {}), **_woodpecker_paths(step.get("when")),
                     **_ignores_failure(step.get("failure") == "ignore", "failure: ignore", text)})
        previous = [name]
        events += step_events
    triggers = list(dict.fromkeys(WOODPECKER_EVENTS.get(e, e) for e in events)) or ["push"]
    return {"system": "woodpecker", "path": path, "triggers": triggers, "jobs": jobs,
            **_woodpecker_paths(doc.get("when"))}


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def workflows(root: Path, files: list[str], load: Callable[[str], list[Any] | None]) -> list[dict[str, Any]]:
    """Workflow specs of every CI definition among ``files`` (repository-relative paths).

    ``load(path)`` returns a file's YAML documents, or None when it is unreadable (and recorded).
    """
    out = []
    for rel in files:
        if rel.startswith(".github/workflows/") and rel.endswith((".yml", ".yaml")) and rel.count("/") == 2:
            docs = load(rel)
            spec = github_workflow(rel, docs[0], _read(root / rel), root) if docs else None
            if spec:
                out.append(spec)
    _inline_calls(out)
    for rel in files:
        if rel in (".woodpecker.yml", ".woodpecker.yaml") or (
                rel.startswith(".woodpecker/") and rel.endswith((".yml", ".yaml")) and rel.count("/") == 1):
            docs = load(rel)
            spec = woodpecker_pipeline(rel, docs[0]) if docs else None
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
