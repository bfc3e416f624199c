"""Repository files, listed and read once: YAML documents or the reason a file is skipped.

``Files`` remembers every file it could not use (``skipped``: path -> reason) and which files it
read (``touched``), so that a snapshot lists, as coverage rows, the skipped files among those it
depends on ("every file counts").
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from pathlib import Path, PurePosixPath
from typing import Any

from readiness.collect.manifestfile import Read, read

SKIP_DIRS = frozenset({".git", "node_modules", ".venv", "venv", "__pycache__", ".terraform", "vendor", ".tox",
                       ".mypy_cache", ".pytest_cache", ".ruff_cache"})
SHOWN_HIDDEN = frozenset({".github", ".gitlab", ".woodpecker"})
MAX_BYTES = 10 * 1024 * 1024
YAML = (".yaml", ".yml")


def walk(root: Path) -> list[str]:
    """Repository-relative POSIX paths of its files, without VCS, dependency and cache directories."""
    return _walk(root)[0]


def _walk(root: Path) -> tuple[list[str], dict[str, str]]:
    """``walk``'s files, and the YAML symbolic links not read with the reason (path -> reason): one
    whose target does not exist or lies outside the repository. Symbolic links are not followed
    (they could point outside the repository); one to a file of the repository is read there."""
    out, links = [], {}
    for here, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and (not d.startswith(".") or d in SHOWN_HIDDEN))
        rel = Path(here).relative_to(root)
        for f in files:
            path = Path(here) / f
            if not path.is_symlink():
                if path.is_file():
                    out.append((rel / f).as_posix())
                continue
            if f.endswith(YAML):
                target = path.resolve()
                if not target.exists():
                    links[(rel / f).as_posix()] = f"a symbolic link to {os.readlink(path)}, which does not exist"
                elif not target.is_relative_to(root.resolve()):
                    links[(rel / f).as_posix()] = (f"a symbolic link to {target}, outside the repository "
                                                   "(not followed)")
    return sorted(out), dict(sorted(links.items()))


class Files:
    """Reads repository files once, recording the ones that cannot be used.

    ``skipped`` maps a path to (reason, raw text): the text lets coverage name the kinds it held.
    A YAML symbolic link that is broken or points outside the repository is skipped from the start.
    """

    def __init__(self, root: Path, files: list[str] | None = None) -> None:
        self.root = root
        links: dict[str, str] = {}
        if files is None:
            files, links = _walk(root)
        self.files = files
        self.links = set(links)  # the symbolic links skipped from the start
        self.skipped: dict[str, tuple[str, str]] = {rel: (why, "") for rel, why in links.items()}
        self.touched: set[str] = set()
        self._yaml: dict[str, list[Any] | None] = {}
        self._charts = {str(PurePosixPath(f).parent) for f in self.files if PurePosixPath(f).name == "Chart.yaml"}

    def text(self, rel: str) -> str | None:
        """The UTF-8 text of the repository-relative file ``rel``; None, with the reason in ``skipped``,
        when it is larger than ``MAX_BYTES``, not UTF-8 or unreadable."""
        self.touched.add(rel)
        path = self.root / rel
        try:
            if path.stat().st_size > MAX_BYTES:
                self.skipped[rel] = (f"larger than {MAX_BYTES // 2**20} MiB", "")
                return None
            return path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            self.skipped[rel] = ("not UTF-8 text", "")
        except OSError as err:
            self.skipped[rel] = (f"unreadable: {err.strerror}", "")
        return None

    def in_chart_templates(self, rel: str) -> bool:
        """Whether ``rel`` lies under a ``templates/`` directory of a Helm chart (a directory with a
        ``Chart.yaml``): a Go template, not a manifest."""
        parts = PurePosixPath(rel).parts
        return any(parts[i] == "templates" and "/".join(parts[:i] or ".") in self._charts
                   for i in range(len(parts) - 1))

    def yaml(self, rel: str) -> list[Any] | None:
        """The documents of YAML file ``rel``, or None when it is skipped (and recorded as such)."""
        self.touched.add(rel)
        if rel not in self._yaml:
            text = self.text(rel)
            if text is None:
                self._yaml[rel] = None
            else:
                got: Read = read(text, in_chart_templates=self.in_chart_templates(rel))
                if got.docs is None:
                    self.skipped[rel] = (got.reason or "unreadable", text)
                self._yaml[rel] = got.docs
        return self._yaml[rel]


def _declared_names(root: Path) -> set[str]:
    found: set[str] = set()
    try:
        project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8")).get("project") or {}
        if isinstance(project.get("name"), str):
            found.add(project["name"].lower())
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        pass
    try:
        package = json.loads((root / "package.json").read_text(encoding="utf-8"))
        if isinstance(package, dict) and isinstance(package.get("name"), str):
            found.add(package["name"].rsplit("/", 1)[-1].lower())
    except (OSError, UnicodeDecodeError, ValueError):
        pass
    return found


def repo_names(root: Path) -> frozenset[str]:
    """The names this repository goes by: its directory, ``owner/name`` of its Git remotes, and the
    project name its ``pyproject.toml`` or ``package.json`` declares (a clone's directory may be named anything)."""
    names = {root.name.lower()} | _declared_names(root)
    for remote in remote_names(root):
        names |= {remote, remote.split("/")[-1]}
    return frozenset(names)


def remote_names(root: Path) -> frozenset[str]:
    """``owner/name`` (lower case) of every Git remote of the checkout at ``root`` (none when it has no
    ``.git/config``, as an exported copy has not)."""
    try:
        config = (root / ".git" / "config").read_text(encoding="utf-8")
    except OSError:
        return frozenset()
    names = set()
    for url in re.findall(r"^\s*url\s*=\s*(\S+)", config, re.MULTILINE):
        m = re.search(r"[:/]([^/:]+)/([^/]+?)(?:\.git)?/?$", url)
        if m:
            names.add(f"{m.group(1)}/{m.group(2)}".lower())
    return frozenset(names)
