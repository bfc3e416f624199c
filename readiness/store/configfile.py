"""The one reader of YAML input files (rubric, plan, risks, attestations, waivers, fleet,
collect.yaml, catalogues, the sanitizer policy, check fixtures, report front matter and cell options),
read strictly: UTF-8 only, one document, no duplicated key (the second one would silently win),
and the line of every key and list item kept for errors that say where."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from readiness.errors import ConfigError

# libyaml's parser where PyYAML was built with it (ten times faster: the rubric is read by every
# assessment), with PyYAML's own safe constructor either way; a text it refuses is parsed again by
# the pure-Python parser, whose error (wording and line) is the one reported.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_text(path: Path, what: str) -> str:
    """The UTF-8 text of ``path``; ``ConfigError`` (with the line of a bad byte) when it cannot be read."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(str(path), f"cannot read the {what}: {err.strerror}") from None
    except UnicodeDecodeError as err:
        line = Path(path).read_bytes()[: err.start].count(b"\n") + 1
        raise ConfigError(str(path), f"not UTF-8 text ({err.reason}: byte {err.object[err.start]:#04x})",
                          line=line, hint="save the file as UTF-8") from None


def check_duplicates(path: str, node: yaml.Node | None, first_line: int = 1) -> None:
    """``ConfigError`` at the line of a mapping key that appears twice anywhere in ``node`` (parsed
    from a part of ``path`` that starts at line ``first_line``)."""
    todo = [node]
    while todo:
        n = todo.pop()
        if isinstance(n, yaml.MappingNode):
            seen: set[str] = set()
            for k, v in n.value:
                key = str(k.value)
                if key in seen and key != "<<":
                    raise ConfigError(path, f"'{key}' appears twice in the same mapping (the second would "
                                            "silently replace the first)", line=k.start_mark.line + first_line,
                                      hint="remove or rename one of them")
                seen.add(key)
                todo.append(v)
        elif isinstance(n, yaml.SequenceNode):
            todo.extend(n.value)


def parse(text: str, path: Path | str, *, first_line: int = 1) -> tuple[Any, yaml.Node | None]:
    """(document, node tree) of YAML ``text`` read from ``path`` (the whole file, or a part of it
    starting at line ``first_line``: front matter, cell options), strictly: one document, no
    duplicated key; ``ConfigError`` naming the file and the file's line."""
    try:
        try:
            doc, node = _parsed(text, _Loader, str(path), first_line)
        except yaml.YAMLError:  # the error as the pure-Python parser words and places it
            doc, node = _parsed(text, yaml.SafeLoader, str(path), first_line)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        problem = " ".join(str(getattr(err, "problem", None) or err).split())
        raise ConfigError(str(path), f"not valid YAML: {problem}",
                          line=mark.line + first_line if mark else None) from None
    except ValueError as err:  # PyYAML parses 2026-02-30 as a date and fails
        raise ConfigError(str(path), f"invalid value: {err}", hint="dates are YYYY-MM-DD") from None
    return doc, node


def _parsed(text: str, loader_class: Any, path: str, first_line: int) -> tuple[Any, yaml.Node | None]:
    """(document, node tree) of ``text``, parsed once by ``loader_class``: the node tree is checked
    for duplicated keys (``check_duplicates``), then the document constructed from it."""
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        check_duplicates(path, node, first_line)
        return (None if node is None else loader.construct_document(node)), node
    finally:
        loader.dispose()


def load(path: Path, what: str) -> tuple[Any, yaml.Node | None]:
    """(document, node tree) of the YAML file ``path``, read strictly; ``ConfigError`` naming file and line."""
    return parse(read_text(path, what), path)


class SourceFile:
    """A YAML file with the line of every mapping key and list item, for errors that say where."""

    def __init__(self, path: Path, what: str) -> None:
        self.path = str(path)
        self.doc: Any
        self.doc, node = load(path, what)
        self.lines: dict[tuple[str | int, ...], int] = {}
        self._walk(node, ())

    def _walk(self, node: yaml.Node | None, at: tuple[str | int, ...]) -> None:
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for k, v in node.value:
                key = str(k.value)
                if key in seen:
                    raise ConfigError(self.path, f"'{key}' appears twice", line=k.start_mark.line + 1)
                seen.add(key)
                self.lines[(*at, key)] = k.start_mark.line + 1
                self._walk(v, (*at, key))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self.lines[(*at, i)] = item.start_mark.line + 1
                self._walk(item, (*at, i))

    def line(self, *at: str | int) -> int | None:
        """The 1-based line of the key or item at path ``at`` (keys and list indexes), else of its nearest
        parent found; 1 (the file's start) when none is."""
        for n in range(len(at), 0, -1):
            if at[:n] in self.lines:
                return self.lines[at[:n]]
        return 1

    def error(self, at: tuple[str | int, ...], problem: str, hint: str | None = None) -> ConfigError:
        """A ``ConfigError`` naming this file and the line of ``at`` (``line``), for the caller to raise."""
        return ConfigError(self.path, problem, line=self.line(*at), hint=hint)


def known_ids(
    src: SourceFile, raw: Any, at: tuple[str | int, ...], known: dict[str, Any], what: str
) -> tuple[str, ...]:
    """The list at ``at`` in ``src``: each must be a key of ``known`` (else an error at its line)."""
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise src.error(at, f"'{at[-1]}' must be a list of {what} ids")
    for i, x in enumerate(raw):
        if x not in known:
            shown = ", ".join(sorted(known)[:10]) + (" ..." if len(known) > 10 else "")
            raise src.error((*at, i), f"unknown {what} id '{x}'", hint=f"known {what} ids: {shown}")
    return tuple(raw)
