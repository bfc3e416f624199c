"""A check's thresholds declared as a dataclass: names, types and defaults, validated at rubric load.

A check declares what it reads from the rubric's ``thresholds:`` mapping as a dataclass and
registers it with ``@check("my_check", thresholds=MyThresholds)``::

    @dataclass(frozen=True)
    class MyThresholds:
        min_replicas: int = 2                       # a whole number
        namespaces: tuple[str, ...] = ("default",)  # a list of names in the rubric

Every field needs a type annotation the rubric's YAML can give: ``int``, ``float`` (an integer
is accepted), ``bool``, ``str``, ``Regex`` (a string that compiles as a Python regular expression),
``tuple[str, ...]`` (a YAML list; immutable, so a plain default works), ``list[str]`` and
``X | None``. A field without
a default must be set by the rubric. The rubric loader (``readiness.assess.rubric``) rejects a name the
dataclass does not declare (a typo) and a value of the wrong type, naming the rubric file, line,
check id and the accepted names. Types are checked with pydantic in strict mode; the values are
kept as written (``1`` for a ``float`` field stays ``1``).
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any


def _compiles(value: str) -> str:
    try:
        re.compile(value)
    except re.error as err:
        raise ValueError(str(err)) from None
    return value


class _RegexMark:
    """Marks ``Regex`` (pydantic is imported only when a rubric is validated)."""


Regex = Annotated[str, _RegexMark()]
"""A threshold holding a regular expression (Python ``re`` syntax), validated at rubric load."""


@dataclass(frozen=True)
class NoThresholds:
    """The thresholds of a check that reads none: any name in the rubric is a typo."""


@dataclass(frozen=True)
class Problem:
    """Why a rubric's thresholds do not fit a check's dataclass.

    ``name`` is the threshold at fault (None when the whole mapping is), ``problem`` one line
    without the check id, ``accepted`` the names the dataclass declares (sorted).
    """

    name: str | None
    problem: str
    accepted: tuple[str, ...]

    @property
    def hint(self) -> str:
        """What to do: the threshold names the check accepts, or that it takes none."""
        return f"accepted names: {', '.join(self.accepted)}" if self.accepted else "this check takes no thresholds"


def accepted(cls: type) -> tuple[str, ...]:
    """The threshold names ``cls`` declares, sorted."""
    return tuple(sorted(f.name for f in dataclasses.fields(cls)))


def defaults(cls: type) -> dict[str, Any]:
    """Name -> default value of every field of ``cls`` that has one (a fresh list for list defaults)."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.default is not dataclasses.MISSING:
            out[f.name] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            out[f.name] = f.default_factory()
    return out


def _is_regex(annotation: Any) -> bool:
    return any(isinstance(m, _RegexMark) for m in getattr(annotation, "__metadata__", ()))


@cache
def _adapters(cls: type) -> dict[str, Any]:
    """Field name -> a strict pydantic ``TypeAdapter`` of its annotation (resolved from strings)."""
    from pydantic import AfterValidator, ConfigDict, TypeAdapter

    hints = typing.get_type_hints(cls, include_extras=True)
    strict = ConfigDict(strict=True)
    regex = Annotated[str, AfterValidator(_compiles)]
    return {f.name: TypeAdapter(regex if _is_regex(hints[f.name]) else hints[f.name], config=strict)
            for f in dataclasses.fields(cls)}


_NAMES = {int: "a whole number", float: "a number", bool: "true or false", str: "text"}


def _type_name(annotation: Any) -> str:
    """How an error names a field's type: ``a whole number``, ``a list of text``, ``a regular expression``."""
    if _is_regex(annotation):
        return "a regular expression"
    if annotation in _NAMES:
        return _NAMES[annotation]
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (list, tuple) and args:
        inner = _NAMES.get(args[0], str(args[0]))
        return f"a list of {'text' if inner == 'text' else inner.removeprefix('a ') + 's'}"
    if origin in (typing.Union, types.UnionType) and type(None) in args:
        rest = [a for a in args if a is not type(None)]
        return " or ".join(_type_name(a) for a in rest) + " (or null)"
    return str(annotation).replace("typing.", "")


def validate(cls: type, values: Any) -> Problem | None:
    """The first problem of ``values`` (the rubric's ``thresholds:`` of one check) against ``cls``:
    not a mapping, an unknown name, a value of the wrong type, a required name missing; None when
    they fit. Names are checked in the order written."""
    names = accepted(cls)
    if values is None:
        values = {}
    if not isinstance(values, Mapping):
        return Problem(None, f"thresholds must be a mapping of name: value, got {values!r}", names)
    for name in values:
        if name not in names:
            close = difflib.get_close_matches(str(name), names, n=1)
            guess = f" (did you mean '{close[0]}'?)" if close else ""
            return Problem(str(name), f"unknown threshold '{name}'{guess}", names)
    from pydantic import ValidationError

    adapters = _adapters(cls)
    hints = typing.get_type_hints(cls, include_extras=True)
    for name, value in values.items():
        given = tuple(value) if typing.get_origin(hints[name]) is tuple and isinstance(value, list) else value
        try:  # YAML has lists only: a tuple field takes one
            adapters[name].validate_python(given)
        except ValidationError as err:
            first = err.errors()[0]
            at = "".join(f"[{p}]" for p in first.get("loc", ()))
            detail = (f" ({name}{at}: {first['msg'].lower()})" if at
                      else f" ({first['msg'].removeprefix('Value error, ')})" if first.get("type") == "value_error"
                      else "")
            return Problem(str(name), f"threshold '{name}' must be {_type_name(hints[name])}, got {value!r}{detail}",
                           names)
    missing = [f.name for f in dataclasses.fields(cls) if f.name not in values
               and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    if missing:
        return Problem(None, f"threshold '{missing[0]}' has no default and the rubric does not set it", names)
    return None


def build(cls: type, values: Mapping[str, Any]) -> Any:
    """An instance of ``cls`` from ``values`` (names ``cls`` does not declare are left out)."""
    names = set(accepted(cls))
    return cls(**{k: v for k, v in values.items() if k in names})
