"""Linters that analyse code for security, by the configuration the repository gives them.

A linter run is static application security testing when its configuration in the repository enables
a security analyser: golangci-lint with ``gosec`` (``linters.enable``, ``-E gosec``, or ``enable-all`` /
version 2's ``default: all`` without ``gosec`` disabled); ruff with the flake8-bandit rules (``select`` or
``extend-select`` holding ``S``, an ``S`` rule such as ``S608``, or ``ALL``, unless ``ignore`` holds ``S``).
The configuration is the file named on the command line (``--config``, ``-c``) relative to the run's
working directory, else the tool's default file in that directory or the nearest parent (both tools
search upwards). A run whose working directory or configuration cannot be resolved from the repository
(``${{ inputs.dir }}``, a file that is not here) is not counted: nothing says what it analyses.
"""

from __future__ import annotations

import json
import posixpath
import re
import shlex
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

Analyser = dict[str, str]  # {"tool", "analyser", "config"}

GOLANGCI_FILES = (".golangci.yml", ".golangci.yaml", ".golangci.toml", ".golangci.json")
RUFF_FILES = (".ruff.toml", "ruff.toml", "pyproject.toml")
_GOLANGCI_RUN = re.compile(r"\bgolangci-lint\s+run\b[^\n]*")
_RUFF_RUN = re.compile(r"\bruff\s+check\b[^\n]*")
_BANDIT_RULE = re.compile(r"^(?:S\d*|ALL)$")


def _args(line: str) -> list[str]:
    try:
        return shlex.split(line, comments=True)
    except ValueError:
        return line.split()


def _option(args: list[str], *names: str) -> list[str]:
    """Values of ``--name value``, ``--name=value`` and ``-n value`` in ``args``."""
    out = []
    for i, arg in enumerate(args):
        for name in names:
            if arg == name and i + 1 < len(args):
                out.append(args[i + 1])
            elif arg.startswith(name + "=") and name.startswith("--"):
                out.append(arg.split("=", 1)[1])
    return out


def _load(root: Path, rel: str) -> dict[str, Any] | None:
    path = root / rel
    try:
        text = path.read_text(encoding="utf-8")
        if rel.endswith(".toml"):
            doc: Any = tomllib.loads(text)
        elif rel.endswith(".json"):
            doc = json.loads(text)
        else:
            doc = yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError):
        return None
    return doc if isinstance(doc, dict) else None


def _config(root: Path, workdir: str, given: list[str], defaults: tuple[str, ...],
            wanted: Callable[[str, dict[str, Any]], bool] | None = None) -> tuple[str, dict[str, Any]] | None:
    """(repository path, content) of the configuration a run in ``workdir`` reads: the one ``given`` on the
    command line, else the first of ``defaults`` in ``workdir`` or its nearest parent (for which ``wanted``,
    when given, says the file configures the tool)."""
    if given:
        rel = posixpath.normpath(posixpath.join(workdir, given[-1]))
        if rel.startswith("../") or rel == ".." or "${{" in rel:
            return None
        doc = _load(root, rel)
        return (rel, doc) if doc is not None else None
    here = posixpath.normpath(workdir)
    while True:
        for name in defaults:
            rel = posixpath.normpath(posixpath.join(here, name))
            doc = _load(root, rel) if (root / rel).is_file() else None
            if doc is not None and (wanted is None or wanted(rel, doc)):
                return rel, doc
        if here in ("", "."):
            return None
        here = posixpath.dirname(here) or "."


def _names(value: Any) -> set[str]:
    return {str(v).lower() for v in value} if isinstance(value, list) else set()


def golangci(root: Path, workdir: str, args: list[str]) -> Analyser | None:
    """gosec, when the golangci-lint run in ``workdir`` with ``args`` enables it."""
    found = _config(root, workdir, _option(args, "--config", "-c"), GOLANGCI_FILES)
    linters = (found[1].get("linters") if found else None) or {}
    linters = linters if isinstance(linters, dict) else {}
    on_line = {n.lower() for v in _option(args, "--enable", "-E") for n in v.split(",")}
    disabled = _names(linters.get("disable")) | {n.lower() for v in _option(args, "--disable", "-D")
                                                  for n in v.split(",")}
    by_line = "gosec" in on_line or "--enable-all" in args
    by_file = "gosec" in _names(linters.get("enable")) or linters.get("enable-all") is True or linters.get(
        "default") == "all"
    if "gosec" in disabled or not (by_line or by_file):
        return None
    source = found[0] if found and not by_line else "command line"
    return {"tool": "golangci-lint", "analyser": "gosec", "config": source}


def _ruff_lint(rel: str, doc: dict[str, Any]) -> dict[str, Any]:
    """A ruff configuration's settings, ``[lint]`` (or ``[tool.ruff.lint]``) merged over the top level."""
    tool = (doc.get("tool") or {}).get("ruff") if rel.endswith("pyproject.toml") else doc
    if not isinstance(tool, dict):
        return {}
    lint = tool.get("lint")
    return {**tool, **(lint if isinstance(lint, dict) else {})}


def ruff(root: Path, workdir: str, args: list[str]) -> Analyser | None:
    """flake8-bandit (ruff's ``S`` rules), when the ruff run in ``workdir`` with ``args`` selects them."""
    def configures(rel: str, doc: dict[str, Any]) -> bool:  # ruff passes over a pyproject.toml without [tool.ruff]
        return not rel.endswith("pyproject.toml") or (isinstance(doc.get("tool"), dict) and "ruff" in doc["tool"])

    found = _config(root, workdir, _option(args, "--config"), RUFF_FILES, configures)
    lint = _ruff_lint(*found) if found else {}
    on_line = [r for v in _option(args, "--select", "--extend-select") for r in v.split(",")]
    rules = [str(r).upper() for r in [*(lint.get("select") or []), *(lint.get("extend-select") or []), *on_line]]
    ignored = {str(r).upper() for r in lint.get("ignore") or []} | {
        r.upper() for v in _option(args, "--ignore") for r in v.split(",")}
    if "S" in ignored or not any(_BANDIT_RULE.match(r) for r in rules):
        return None
    source = found[0] if found and not on_line else "command line"
    return {"tool": "ruff", "analyser": "flake8-bandit (S rules)", "config": source}


def in_run(root: Path, workdir: str | None, script: str) -> list[Analyser]:
    """Security analysers enabled by the linters a shell ``script`` runs in ``workdir`` (repository-relative;
    None when it cannot be resolved)."""
    if workdir is None:
        return []
    out = []
    for line in _GOLANGCI_RUN.findall(script):
        if (found := golangci(root, workdir, _args(line))) is not None:
            out.append(found)
    for line in _RUFF_RUN.findall(script):
        if (found := ruff(root, workdir, _args(line))) is not None:
            out.append(found)
    return out


def in_action(root: Path, uses: str, inputs: dict[str, Any], workdir: str | None) -> list[Analyser]:
    """Security analysers enabled by a linter's GitHub action (``uses``) with ``inputs`` (its ``with:``);
    ``workdir`` is its ``working-directory`` input resolved (None when it cannot be)."""
    if workdir is None:
        return []
    args = _args(str(inputs.get("args") or ""))
    found = None
    if uses.startswith("golangci/golangci-lint-action"):
        found = golangci(root, workdir, args)
    elif uses.startswith(("astral-sh/ruff-action", "chartboost/ruff-action")):
        found = ruff(root, workdir, args)
    return [found] if found else []


PRE_COMMIT_CONFIG = ".pre-commit-config.yaml"
_PRE_COMMIT_RUN = re.compile(r"pre-commit/action|\bpre-commit run\b|\bprek run\b|pre-commit-ci/")


def pre_commit_hooks(root: Path, text: str) -> str:
    """What a CI job that runs pre-commit (``pre-commit/action``, ``pre-commit run``) runs: the ``id`` and
    ``entry`` of each hook of the repository's ``.pre-commit-config.yaml``, a line each, for the job's
    activities to be read from (a hook ``kubeconform`` or ``checkov`` validates manifests); '' when the job
    does not run pre-commit or the configuration is missing or unreadable."""
    if not _PRE_COMMIT_RUN.search(text):
        return ""
    doc = _load(root, PRE_COMMIT_CONFIG)
    repos = doc.get("repos") if doc else None
    lines = []
    for repo in repos if isinstance(repos, list) else []:
        for hook in (repo.get("hooks") or []) if isinstance(repo, dict) else []:
            if isinstance(hook, dict):
                lines.append(" ".join(str(hook[k]) for k in ("id", "entry") if hook.get(k)))
    return "\n".join(lines)
