"""Reading YAML from a repository: fast (libyaml when present), tolerant of custom tags, JSON-safe.

Timestamps stay strings (as written), unknown tags (GitLab's ``!reference``, CloudFormation's
``!Ref``) load as their plain value, and every mapping key becomes a string, so that every
document can be stored as JSON.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Loader(_Base):
    """SafeLoader without timestamp conversion and with any ``!tag`` accepted."""


Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _Base.yaml_implicit_resolvers.items()
}


def _unknown_tag(loader: Any, suffix: str, node: Any) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_mapping(node, deep=True)


Loader.add_multi_constructor("!", _unknown_tag)


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
    """Every document of ``text``, JSON-safe; raises ``yaml.YAMLError`` when it does not parse."""
    return [jsonable(d) for d in yaml.load_all(text, Loader=Loader)]


def problem(err: yaml.YAMLError) -> str:
    """A one-line description of a YAML error, with its line."""
    mark = getattr(err, "problem_mark", None)
    what = getattr(err, "problem", None) or str(err).splitlines()[0]
    return f"does not parse: {what}" + (f" (line {mark.line + 1})" if mark is not None else "")


_HELM = re.compile(r"\{\{-?\s*(?:\.Values|\.Release|\.Chart|\.Capabilities|\.Files|\.Template|include\s|toYaml|tpl\s)")


def is_helm_template(text: str) -> bool:
    """True when ``text`` uses Helm's template objects (Prometheus' ``{{ $labels.x }}`` does not count)."""
    return "{{" in text and _HELM.search(text) is not None
