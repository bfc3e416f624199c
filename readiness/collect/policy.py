"""The sanitizer's allowlist (``policy.yaml``): per kind, which fields of a stored row are kept.

A stored row is ``{"annotations": {...}, "spec": ..., "status": ...}``. ``Policy.apply`` walks it and
keeps a value only where a ``keep`` path of the row's kind reaches it; a ``text`` path keeps a
string after ``scrub_text``; every other string becomes ``REDACTED`` (keys, numbers, booleans and
nulls stay, so a value's key and type survive). Annotation values are kept (scrubbed) only for the
keys of the policy's ``annotations`` list. Kinds the policy does not list get its ``default``.

Paths are dotted; lists are walked through without a segment of their own; ``*`` matches one key,
``**`` any number of keys. ``VERSION`` is recorded on every collected snapshot (Parquet key-value
metadata ``readiness.sanitizer`` of its objects file), so ``readiness scrub`` can tell older data.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from readiness.errors import ConfigError
from readiness.store import configfile
from readiness.store.schema import REDACTED

PACKAGED = Path(__file__).with_name("policy.yaml")
METADATA_KEY = b"readiness.sanitizer"

# --- free text ------------------------------------------------------------------------------
# A name that says its value is a secret.
SECRET_NAME = (r"(?:[\w.-]*(?:pass(?:word|wd)?|pwd|token|secret|credentials?|auth(?:orization)?|api[-_]?key|"
               r"access[-_]?key|private[-_]?key|client[-_]?key|signature|session|cookie|routing[-_]?key|"
               r"service[-_]?key|webhook)[\w.-]*)")
# In a URL the marker has no brackets or spaces, so the URL still parses (urlparse reads "[...]" as an IPv6 host).
URL_REDACTED = "redacted-by-readiness"
_R = re.escape(REDACTED)
_U = re.escape(URL_REDACTED)
# NAME=value, NAME: value, "name": "value", --name value-less forms (a marker is left alone: idempotent).
_ASSIGNED = re.compile(
    rf"(?i)({SECRET_NAME}[\"']?\s*(?:=|:)\s*)(?!{_R})(\"[^\"]*\"|'[^']*'|(?:(?:bearer|basic|token)\s+)?[^\s\"',;&|)]+)")
# The same, except a file name before the colon (``external-secret-foo.yaml: Helm chart template``): how the
# collector's coverage details name a file, not an assignment (``scrub_detail``).
_FILE_NAMED = (r"(?<!\.yaml)(?<!\.yml)(?<!\.json)(?<!\.jsonnet)(?<!\.libsonnet)(?<!\.md)(?<!\.tf)(?<!\.cue)(?<!\.xml)"
               r"(?<!\.toml)(?<!\.tpl)(?<!\.txt)")
_ASSIGNED_NOT_FILE = re.compile(
    rf"(?i)({SECRET_NAME}{_FILE_NAMED}[\"']?\s*(?:=|:)\s*)(?!{_R})"
    rf"(\"[^\"]*\"|'[^']*'|(?:(?:bearer|basic|token)\s+)?[^\s\"',;&|)]+)")
_SCHEME_TOKEN = re.compile(rf"(?i)\b(bearer|basic|token|apikey)(\s+)(?!{_R})([A-Za-z0-9._~+/=:-]{{4,}})")
_USERINFO = re.compile(rf"(?i)\b([a-z][a-z0-9+.-]*://)(?!{_U}@)([^/\s@\"']+)@")
# user:password@host without a scheme (a prober address, a DSN fragment).
_BARE_USERINFO = re.compile(rf"(?<![\w/:@.%-])([\w.%-]+:)(?!{_U}@)([^\s@/:\"']+)@(?=[\w-])")
_QUERY = re.compile(rf"((?:\b[a-z][a-z0-9+.-]*://|(?<![\w.-])/)[^\s\"'?#]*)[?#](?!{_U}(?:[\s\"']|$))[^\s\"']*",
                    re.IGNORECASE)
_WEBHOOK = re.compile(rf"(?i)\b(https?://(?:hooks\.slack\.com|discord(?:app)?\.com/api/webhooks|"
                      rf"[\w.-]*webhook\.office\.com|outlook\.office\.com/webhook|chat\.googleapis\.com)"
                      rf"[^/\s\"']*)/(?!{_U}(?:[\s\"']|$))[^\s\"']+")
_RANDOM = re.compile(r"(?<![\w/.-])(?=[A-Za-z0-9_+=-]*\d)(?=[A-Za-z0-9_+=-]*[A-Za-z])[A-Za-z0-9_+=-]{24,}(?![\w/.-])")
_CANDIDATE = re.compile(r"[:=@?#]|bearer|basic|token|apikey|[A-Za-z0-9_+=-]{24}", re.IGNORECASE)


def scrub_text(text: str, *, _assigned: re.Pattern[str] = _ASSIGNED) -> str:
    """``text`` without URL user info, query strings, secret webhook paths, bearer/basic tokens,
    secret-named ``key=value`` / ``key: value`` values and long random-looking words; idempotent."""
    if not _CANDIDATE.search(text):  # most messages hold nothing any pattern below could match
        return text
    text = _QUERY.sub(lambda m: f"{m.group(1)}?{URL_REDACTED}", text)
    text = _WEBHOOK.sub(lambda m: f"{m.group(1)}/{URL_REDACTED}", text)
    text = _USERINFO.sub(lambda m: f"{m.group(1)}{URL_REDACTED}@", text)
    text = _BARE_USERINFO.sub(lambda m: f"{m.group(1)}{URL_REDACTED}@", text)
    text = _assigned.sub(lambda m: m.group(1) + REDACTED, text)
    text = _SCHEME_TOKEN.sub(lambda m: m.group(1) + m.group(2) + REDACTED, text)
    return _RANDOM.sub(_random, text)


def _random(m: re.Match[str]) -> str:
    """A long word with digits and letters is redacted unless it is words joined by ``-``/``_`` (more than half
    of its parts plain words of 3 to 15 lower-case letters: ``flux2-kustomize-helm-example``), as names are and
    tokens and UUIDs are not."""
    parts = [p for p in re.split(r"[-_]", m.group(0)) if p]
    words = sum(1 for p in parts if 3 <= len(p) <= 15 and p.isalpha() and (p.islower() or p.istitle()))
    return m.group(0) if len(parts) >= 3 and words * 2 > len(parts) else REDACTED


def scrub_detail(text: str) -> str:
    """A coverage detail as the collector writes it (``<file>: <reason>``, ``<Kind ns/name> in <file>: not
    followed: <why>``): ``scrub_text``, except that a file name before a colon is no ``key: value``
    (``external-secret-foo.yaml: Helm chart template`` stays readable); a secret-named key that is no file
    name still has its value redacted (``password: hunter2`` in a quoted error); idempotent."""
    return scrub_text(text, _assigned=_ASSIGNED_NOT_FILE)


_KEY_SUSPECT = re.compile(r"[@?=:\s]")


@lru_cache(maxsize=8192)
def _key(key: str) -> str:
    """A mapping key, scrubbed when it could hold a credential (a URL with user info as a key)."""
    return scrub_text(key) if _KEY_SUSPECT.search(key) else key


# --- the allowlist as a trie of path segments -----------------------------------------------
KEEP, TEXT, ANNOTATIONS = 3, 2, 1


@dataclass
class Node:
    """One path segment: what is done at it (``flag``) and the segments below."""

    flag: int = 0
    children: dict[str, Node] = field(default_factory=dict)
    deep: bool = False  # a "**" segment

    def add(self, path: Sequence[str], flag: int) -> None:
        """Mark ``path`` (segments; ``*`` any key, ``**`` any depth) below this node with ``flag``
        (``KEEP``, ``TEXT`` or ``ANNOTATIONS``; the highest wins)."""
        node = self
        for seg in path:
            node = node.children.setdefault(seg, Node(deep=seg == "**"))
        node.flag = max(node.flag, flag)


def _step(nodes: tuple[Node, ...], key: str) -> tuple[Node, ...]:
    """The nodes active at ``key`` below ``nodes``."""
    out: list[Node] = []
    for n in nodes:
        for seg in (key, "*"):
            child = n.children.get(seg)
            if child is not None:
                out.append(child)
        if n.deep:  # a "**" consumes this key and stays active
            out.append(n)
        deep = n.children.get("**")
        if deep is not None:  # a "**" below: it consumes this key, or matches nothing and the next segment is key
            out.append(deep)
            nxt = deep.children.get(key)
            if nxt is not None:
                out.append(nxt)
    return tuple({id(n): n for n in out}.values()) if len(out) > 1 else tuple(out)


class State:
    """The nodes active at one place of a walk, with the step to each key computed once."""

    __slots__ = ("_next", "flag", "nodes")

    def __init__(self, nodes: tuple[Node, ...]) -> None:
        self.nodes = nodes
        self.flag = max((n.flag for n in nodes), default=0)
        self._next: dict[str, State] = {}

    def step(self, key: str) -> State:
        """The state after descending into ``key`` (cached, at most 4096 keys per state)."""
        nxt = self._next.get(key)
        if nxt is None:
            nxt = State(_step(self.nodes, key)) if self.nodes else self
            # Map keys (labels, values) are data: the cache stays bounded. A key the walk must scrub
            # is never cached, so a key found in the cache is stored as it is.
            if len(self._next) < 4096 and _key(key) == key:
                self._next[key] = nxt
        return nxt


@dataclass
class Stats:
    """How many string values one ``apply`` replaced (``redacted``) or changed by scrubbing (``scrubbed``)."""

    redacted: int = 0
    scrubbed: int = 0


_SCALARS = (int, float, bool, type(None))


def _copy(value: Any) -> Any:
    """A copy of the dicts and lists of ``value`` (scalars shared): what ``apply`` walks when not ``in_place``."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _rekeyed(value: dict[str, Any]) -> dict[str, Any]:
    return {_key(k): v for k, v in value.items()}


# The walkers below change dicts and lists in place and return the value to store in their place:
# the same container, or a new one when a key had to be scrubbed (a string or other scalar is returned as is).
# They are the hot loop of collection (every field of every object): exact type checks, the step cache
# read inline, and plain scalar leaves decided in the loop instead of one call each.
def _redact_all(value: Any, stats: Stats) -> Any:
    kind = type(value)
    if kind is str or (kind is not dict and kind is not list and isinstance(value, str)):
        if value != REDACTED:
            stats.redacted += 1
        return REDACTED
    is_dict = isinstance(value, dict)
    if not is_dict and not isinstance(value, list):
        return value
    rekey = False
    for k, v in value.items() if is_dict else enumerate(value):
        if is_dict and _key(k) != k:
            rekey = True
        kv = type(v)
        if kv is str:
            if v != REDACTED:
                stats.redacted += 1
            value[k] = REDACTED
        elif kv not in _SCALARS:
            out = _redact_all(v, stats)
            if out is not v:
                value[k] = out
    return _rekeyed(value) if rekey else value


def _scrub_all(value: Any, stats: Stats) -> Any:
    if isinstance(value, str):
        out = scrub_text(value)
        if out != value:
            stats.scrubbed += 1
        return out
    if isinstance(value, dict):
        rekey = False
        for k, v in value.items():
            if _key(k) != k:
                rekey = True
            out = _scrub_all(v, stats)
            if out is not v:
                value[k] = out
        return _rekeyed(value) if rekey else value
    if isinstance(value, list):
        for i, v in enumerate(value):
            out = _scrub_all(v, stats)
            if out is not v:
                value[i] = out
    return value


def _walk(value: Any, state: State, policy: Policy, stats: Stats) -> Any:
    if not state.nodes:
        return _redact_all(value, stats)
    flag = state.flag
    if flag == KEEP:
        return value
    if flag == TEXT:
        return _scrub_all(value, stats)
    kind = type(value)
    if kind is dict or (kind is not list and isinstance(value, dict)):
        if flag == ANNOTATIONS:
            return policy.annotations_of(value, stats)
        cache = state._next
        rekey = False
        for k, v in value.items():
            nxt = cache.get(k)
            if nxt is None:  # not cached: a new key, a key to scrub, or a state with many keys (a map of data)
                nxt = state.step(k)
                if _key(k) != k:
                    rekey = True
            f = nxt.flag  # non-zero only when nxt has nodes
            if f == KEEP:
                continue
            kv = type(v)
            if kv is str and f != TEXT:  # a string no path keeps
                if v != REDACTED:
                    stats.redacted += 1
                value[k] = REDACTED
            elif kv is int or kv is float or kv is bool or v is None:  # kept: the key and type survive
                continue
            else:
                out = _walk(v, nxt, policy, stats)
                if out is not v:
                    value[k] = out
        return _rekeyed(value) if rekey else value
    if kind is list or isinstance(value, list):
        for i, v in enumerate(value):
            kv = type(v)
            if kv is str:  # flag is 0 or ANNOTATIONS here: no string is kept as such
                if v != REDACTED:
                    stats.redacted += 1
                value[i] = REDACTED
            elif not (kv is int or kv is float or kv is bool or v is None):
                out = _walk(v, state, policy, stats)
                if out is not v:
                    value[i] = out
        return value
    if isinstance(value, str):
        if value != REDACTED:
            stats.redacted += 1
        return REDACTED
    return value


# --- loading ----------------------------------------------------------------------------------
def _flat(items: Any) -> list[str]:
    """A list of paths, YAML aliases of lists spliced in."""
    out: list[str] = []
    for item in items or []:
        out += _flat(item) if isinstance(item, list) else [str(item)]
    return out


def _split(path: str) -> list[str]:
    return [s for s in path.split(".") if s]


@dataclass(frozen=True)
class Rules:
    """The paths of one kind (or template): ``keep``, ``text``, ``annotations``, and templates it ``use``s."""

    keep: tuple[str, ...] = ()
    text: tuple[str, ...] = ()
    annotations: tuple[str, ...] = ()
    use: tuple[tuple[str, str], ...] = ()  # (mount path, template name)


def _rules(raw: Any, where: str, path: str) -> Rules:
    if not isinstance(raw, dict):
        raise ConfigError(path, f"{where} is not a mapping")
    unknown = set(raw) - {"group", "kind", "keep", "text", "annotations", "use"}
    if unknown:
        raise ConfigError(path, f"{where} has unknown field(s) {sorted(unknown)}",
                          hint="known: group, kind, keep, text, annotations, use")
    use = raw.get("use") or {}
    if not isinstance(use, dict):
        raise ConfigError(path, f"{where}: use must map a mount path to a template name")
    return Rules(tuple(_flat(raw.get("keep"))), tuple(_flat(raw.get("text"))), tuple(_flat(raw.get("annotations"))),
                 tuple((str(k), str(v)) for k, v in use.items()))


class Policy:
    """The loaded policy: ``version``, annotation keys kept, and the rules per (group, kind)."""

    def __init__(self, doc: dict[str, Any], path: str) -> None:
        version = doc.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise ConfigError(path, f"version {version!r} is not a positive integer")
        self.version = version
        keys = [str(k) for k in doc.get("annotations") or []]
        self.annotation_keys = frozenset(k for k in keys if not k.endswith("/"))
        self.annotation_prefixes = tuple(k for k in keys if k.endswith("/"))
        self.templates = {str(name): _rules(raw, f"templates.{name}", path)
                          for name, raw in (doc.get("templates") or {}).items()}
        self.default = _rules(doc.get("default") or {}, "default", path)
        self.kinds: dict[tuple[str, str], Rules] = {}
        for i, raw in enumerate(doc.get("kinds") or []):
            rules = _rules(raw, f"kinds[{i}]", path)
            self.kinds[(str(raw.get("group") or ""), str(raw.get("kind")))] = rules
        for name, r in [*self.templates.items(), *(("/".join(k), r) for k, r in self.kinds.items())]:
            for _, template in r.use:
                if template not in self.templates:
                    raise ConfigError(path, f"{name} uses template {template!r}, which is not defined",
                                      hint=f"templates: {', '.join(sorted(self.templates))}")
        self._tries: dict[tuple[str, str, tuple[str, ...], tuple[str, ...]], State] = {}

    def _mount(self, root: Node, rules: Rules, prefix: list[str], depth: int = 0) -> None:
        for flag, paths in ((KEEP, rules.keep), (TEXT, rules.text), (ANNOTATIONS, rules.annotations)):
            for p in paths:
                root.add(prefix + _split(p), flag)
        for mount, template in rules.use:
            if depth < 8:  # templates may use templates; a cycle stops here
                self._mount(root, self.templates[template], prefix + _split(mount), depth + 1)

    def trie(self, group: str, kind: str, keep: tuple[str, ...] = (), text: tuple[str, ...] = ()) -> State:
        """The compiled paths of a kind, with a catalogue entry's ``keep``/``text`` added (the walk's start)."""
        key = (group, kind, keep, text)
        if key not in self._tries:
            root = Node()
            self._mount(root, self.kinds.get((group, kind), self.default), [])
            self._mount(root, Rules(keep, text), [])
            root.children.pop("annotations", None)  # annotation values follow the key list only
            root.children["annotations"] = Node(ANNOTATIONS)
            self._tries[key] = State((root,))
        return self._tries[key]

    def keeps_annotation(self, key: str) -> bool:
        """Whether the allowlist keeps annotation ``key``'s value (the key listed, or under a listed prefix)."""
        return key in self.annotation_keys or key.startswith(self.annotation_prefixes)

    def annotations_of(self, annotations: dict[str, Any], stats: Stats) -> dict[str, Any]:
        """``annotations``, changed in place: the values of keys not in the list replaced, the others scrubbed."""
        for k, v in annotations.items():
            out = _scrub_all(v, stats) if self.keeps_annotation(k) else _redact_all(v, stats)
            if out is not v:
                annotations[k] = out
        return annotations

    def apply(self, group: str, kind: str, row: dict[str, Any], *, keep: tuple[str, ...] = (),
              text: tuple[str, ...] = (), stats: Stats | None = None, in_place: bool = False) -> dict[str, Any]:
        """``row`` (``annotations``, ``spec``, ``status``) as the policy stores it, as a new dict.

        With ``in_place`` the dicts and lists of ``row``'s values are changed where they stand (no
        copy: the collector's parsed pages are thrown away afterwards); else ``row`` is copied first
        and left as it was.
        """
        stats = stats if stats is not None else Stats()
        root = self.trie(group, kind, keep, text)
        return {k: _walk(v if in_place else _copy(v), root.step(k), self, stats) for k, v in row.items()}


def _read(path: Path) -> dict[str, Any]:
    doc, _ = configfile.load(path, "policy file")  # strict: UTF-8, no duplicated key; ConfigError with the line
    if not isinstance(doc, dict):
        raise ConfigError(str(path), "expected a mapping with version, annotations, default, templates, kinds")
    return doc


@lru_cache(maxsize=1)
def packaged() -> Policy:
    """The policy shipped with readiness."""
    return Policy(_read(PACKAGED), str(PACKAGED))


VERSION = packaged().version


def version_label(extensions: Iterable[tuple[str, str, tuple[str, ...], tuple[str, ...]]] = ()) -> str:
    """What a snapshot records: the packaged version (``"2"``), plus a digest of catalogue
    extensions (``"2+1a2b3c4d"``) when catalogue entries keep more."""
    ext = sorted(e for e in extensions if e[2] or e[3])
    if not ext:
        return str(VERSION)
    return f"{VERSION}+{hashlib.sha256(repr(ext).encode()).hexdigest()[:8]}"


def version_of(resources: Iterable[Any]) -> str:
    """``version_label`` of a catalogue (``catalogue.Resource`` items, whose ``keep``/``text`` extend the policy)."""
    return version_label((r.group, r.kind, tuple(r.keep), tuple(r.text)) for r in resources)


def recorded_version(label: str | None) -> int:
    """The packaged policy version of a recorded label; 0 for data recorded before there was one."""
    if not label:
        return 0
    m = re.match(r"(\d+)", label)
    return int(m.group(1)) if m else 0
