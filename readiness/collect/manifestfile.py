"""Reading YAML from a repository the way Kubernetes tools do: fast, JSON-safe, lenient where Go YAML is
and strict where kubectl is.

- Lenient like Go's yaml.v3 (Flux, kubectl): ``=`` is a plain string (PyYAML's YAML 1.1 "value" tag is
  not), an anchor may be defined again (later aliases use the newest), unknown ``!tags`` (GitLab's
  ``!reference``) load as their plain value, timestamps stay strings.
- Strict like kubectl: a mapping with the same key twice is an error (``DuplicateKey``, with its line).
- Every mapping key becomes a string, so every document can be stored as JSON.

``read`` tells a usable file from a Helm (Go) template and from a broken one; ``manifests`` turns
documents into Kubernetes objects (a bare list of objects, ``kind: List`` and Sloth CLI specs
included); ``substitute`` applies Flux ``postBuild.substitute`` variables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:  # CSafeLoader has SafeLoader's interface; the stubs cannot say "one of the two" as a base class
    _Base = yaml.SafeLoader
else:
    _Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_VALUE_TAG = "tag:yaml.org,2002:value"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


class DuplicateKey(yaml.MarkedYAMLError):
    """A mapping holds the same key twice (kubectl and Flux reject such a file)."""


def _without(resolvers: dict[Any, list[Any]], tags: tuple[str, ...]) -> dict[Any, list[Any]]:
    return {first: [(tag, regexp) for tag, regexp in found if tag not in tags] for first, found in resolvers.items()}


def _construct_mapping(loader: Any, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: dict[Any, Any] = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else id(key_node)
        if key in seen:
            raise DuplicateKey("while reading a mapping", node.start_mark,
                               f"key '{key}' appears twice (first on line {seen[key].line + 1})",
                               key_node.start_mark)
        seen[key] = key_node.start_mark
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


def _unknown_tag(loader: Any, suffix: str, node: Any) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_mapping(node, deep=True)


def _setup(cls: Any) -> None:
    cls.yaml_implicit_resolvers = _without(cls.yaml_implicit_resolvers, (_TIMESTAMP_TAG, _VALUE_TAG))
    cls.construct_mapping = _construct_mapping
    cls.add_constructor(_VALUE_TAG, lambda loader, node: loader.construct_scalar(node))
    cls.add_multi_constructor("!", _unknown_tag)


class Loader(_Base):
    """SafeLoader (libyaml when present): no timestamp conversion, ``=`` a string, duplicate keys refused,
    any ``!tag`` accepted."""


class _RedefiningLoader(yaml.SafeLoader):
    """The pure-Python loader, which also accepts an anchor defined twice (Go YAML does)."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()  # type: ignore[no-untyped-call]  # types-PyYAML leaves Parser.peek_event unannotated
        if not isinstance(event, yaml.AliasEvent) and getattr(event, "anchor", None) is not None:
            self.anchors.pop(event.anchor, None)
        return super().compose_node(parent, index)


_setup(Loader)
_setup(_RedefiningLoader)


def jsonable(value: Any) -> Any:
    """``value`` with string keys only and anything JSON cannot hold turned into text."""
    if isinstance(value, dict):
        return {_key(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, bytes):
        return "<binary>"
    return str(value)


def _key(key: Any) -> str:
    if key is True:
        return "true"
    if key is False:
        return "false"
    return "null" if key is None else str(key)


def load_all(text: str) -> list[Any]:
    """Every document of ``text``, JSON-safe; raises ``yaml.YAMLError`` (``DuplicateKey`` among them)."""
    try:
        return [jsonable(d) for d in yaml.load_all(text, Loader=Loader)]
    except yaml.composer.ComposerError as err:
        if "duplicate anchor" not in str(err):
            raise
        return [jsonable(d) for d in yaml.load_all(text, Loader=_RedefiningLoader)]


def problem(err: yaml.YAMLError) -> str:
    """A one-line description of a YAML error, with its line."""
    mark = getattr(err, "problem_mark", None)
    what = getattr(err, "problem", None) or str(err).splitlines()[0]
    if isinstance(err, DuplicateKey):
        return f"duplicated key: {what} (line {mark.line + 1 if mark else '?'}); kubectl and Flux reject this file"
    return f"does not parse: {what}" + (f" (line {mark.line + 1})" if mark is not None else "")


_HELM = re.compile(r"\{\{-?\s*(?:\.Values|\.Release|\.Chart|\.Capabilities|\.Files|\.Template|include\s|toYaml|tpl\s)")
_ACTIONS = re.compile(r"\{\{.*?\}\}", re.DOTALL)
_ACTION_LINE = re.compile(r"^[ \t]*\{\{[^\n]*?\}\}[ \t]*$", re.MULTILINE)


def is_helm_template(text: str) -> bool:
    """True when ``text`` uses Helm's template objects (Prometheus' ``{{ $labels.x }}`` does not count).

    Only a hint: whether a file *is* a template is decided by ``read`` (it must fail to parse first).
    """
    return "{{" in text and _HELM.search(text) is not None


@dataclass(frozen=True)
class Read:
    """The outcome of reading one YAML file: its documents, or why it is skipped."""

    docs: list[Any] | None
    reason: str | None = None   # why docs is None
    template: bool = False      # a Go/Helm template (not broken, just not YAML until rendered)


def read(text: str, *, in_chart_templates: bool = False) -> Read:
    """Read ``text`` as a Kubernetes tool would.

    A file under a Helm chart's ``templates/`` is a template; so is a file that fails to parse as
    it is but parses once its ``{{ ... }}`` actions are taken out. A file that only mentions ``{{``
    in a comment or a string parses, and is read. Anything else that fails is broken, with the line.
    """
    if in_chart_templates:
        return Read(None, "Helm chart template (render it with helm template to collect it)", template=True)
    try:
        return Read(load_all(text))
    except yaml.YAMLError as err:
        reason = problem(err)
        if "{{" in text and not isinstance(err, DuplicateKey):
            stripped = _ACTIONS.sub("x", _ACTION_LINE.sub("", text))
            try:
                load_all(stripped)
            except yaml.YAMLError:
                return Read(None, reason)
            return Read(None, "Go template (parses only without its {{ }} actions; render it to collect it)",
                        template=True)
        return Read(None, reason)


SLOTH_API = "sloth.slok.dev/v1"
FORMAT_ANNOTATION = "readiness.dev/format"


def _sloth(doc: dict[str, Any]) -> dict[str, Any]:
    """A Sloth CLI spec (``version: prometheus/v1``) as the PrometheusServiceLevel object it stands for."""
    return {"apiVersion": SLOTH_API, "kind": "PrometheusServiceLevel",
            "metadata": {"name": str(doc["service"]), "annotations": {FORMAT_ANNOTATION: "sloth-cli"}},
            "spec": {"service": doc["service"], "slos": doc.get("slos") or []}}


def _is_object(doc: Any) -> bool:
    return isinstance(doc, dict) and isinstance(doc.get("apiVersion"), str) and isinstance(doc.get("kind"), str)


def manifests(docs: list[Any]) -> list[dict[str, Any]]:
    """The Kubernetes objects among YAML documents: objects, items of ``*List`` kinds and of bare lists of
    objects, and Sloth CLI specs (as ``sloth.slok.dev/v1`` PrometheusServiceLevel, see CONTRACTS item 3)."""
    out: list[dict[str, Any]] = []
    for doc in docs:
        if isinstance(doc, list):
            out += manifests([d for d in doc if _is_object(d)])
        elif isinstance(doc, dict) and str(doc.get("version", "")).startswith("prometheus/") and doc.get(
                "service") and isinstance(doc.get("slos"), list):
            out.append(_sloth(doc))
        elif _is_object(doc):
            items = doc.get("items")
            if doc["kind"].endswith("List") and isinstance(items, list):
                out += manifests(items)
            else:
                out.append(doc)
    return out


_VAR = re.compile(r"(\$)?\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[=-])([^}]*))?\}")
SUBSTITUTE_ANNOTATION = "kustomize.toolkit.fluxcd.io/substitute"


def substitute_text(text: str, variables: dict[str, str]) -> str:
    """``${VAR}``, ``${VAR:=default}``/``${VAR:-default}`` replaced as Flux's post-build does; ``$${VAR}`` is
    kept as ``${VAR}``; a variable neither given nor defaulted stays as written (it is visible as such)."""

    def one(m: re.Match[str]) -> str:
        if m.group(1):
            return m.group(0)[1:]
        name, op, default = m.group(2), m.group(3), m.group(4)
        if name in variables and (variables[name] != "" or not op or not op.startswith(":")):
            return variables[name]
        return default if op else m.group(0)

    return _VAR.sub(one, text) if "${" in text else text


def substitute(obj: Any, variables: dict[str, str]) -> Any:
    """``obj`` with every string substituted (``substitute_text``); objects annotated
    ``kustomize.toolkit.fluxcd.io/substitute: disabled`` are left alone, as Flux does."""
    if isinstance(obj, dict):
        ann = (obj.get("metadata") or {}).get("annotations") if isinstance(obj.get("metadata"), dict) else None
        if isinstance(ann, dict) and ann.get(SUBSTITUTE_ANNOTATION) == "disabled":
            return obj
        return {k: substitute(v, variables) for k, v in obj.items()}
    if isinstance(obj, list):
        return [substitute(v, variables) for v in obj]
    if isinstance(obj, str):
        text = substitute_text(obj, variables)
        if text != obj and _VAR.fullmatch(obj):  # Flux substitutes text: `replicas: ${N}` becomes a number
            try:
                value = yaml.load(text, Loader=Loader)
            except yaml.YAMLError:
                return text
            return value if isinstance(value, int | float | bool) else text
        return text
    return obj
