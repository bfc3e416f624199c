"""What a check sees (``ClusterSnapshot``), what it returns (``Result``), and the registry of checks.

A check is a pure function ``(ev: ClusterSnapshot, cfg: CheckThresholds) -> Result`` registered under one id
with ``@check("backup_velero_installed")`` (and ``thresholds=SomeDataclass`` declaring the names,
types and defaults of what it reads from the rubric, see ``readiness.assess.checks.thresholds``). Its
title, category, weight, severity, blocker and threshold values live in the rubric (policy),
never in the function.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cached_property
from typing import Any

import orjson
import polars as pl

from readiness.assess.checks import thresholds as _thresholds
from readiness.errors import DuplicateCheckError, MalformedFieldError, UnknownCheckError


@dataclass(frozen=True)
class KubeObject:
    """One collected Kubernetes object (from a cluster or a repository), parsed."""

    api_version: str
    kind: str
    namespace: str | None
    name: str
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    spec: Any
    status: Any
    # Where the object was read: 'live' (a cluster), 'demo' (the simulator) or 'repo' (a GitOps
    # repository). A repo object is declared state and never has status; the others are observed.
    source: str = "live"

    @property
    def declared(self) -> bool:
        """Whether this object is declared state (read from a repository), not observed in a cluster."""
        return self.source == "repo"

    @property
    def ref(self) -> str:
        """How evidence names this object: ``kind/namespace/name`` (or ``kind/name``), worked out once."""
        found: str | None = self.__dict__.get("_ref")
        if found is None:
            found = self.__dict__["_ref"] = (f"{self.kind}/{self.namespace}/{self.name}" if self.namespace
                                             else f"{self.kind}/{self.name}")
        return found

    def derived(self, name: str, build: Callable[[KubeObject], Any]) -> Any:
        """``build(self)``, worked out once per object and kept under ``name`` (a helper's value that
        depends on the object alone, e.g. a workload's ready replicas); a ``build`` that raises keeps
        nothing. Not a field: equality and ``repr`` ignore it."""
        key = f"_derived_{name}"
        try:
            return self.__dict__[key]
        except KeyError:
            found = self.__dict__[key] = build(self)
            return found

    @property
    def facts(self) -> Mapping[str, Any]:
        """Facts derived from this object's configuration at collection time
        (``readiness.collect.configfacts``); ``{}`` when none were stored."""
        st = self.status if isinstance(self.status, dict) else {}
        found = st.get("readiness.dev/facts")
        return found if isinstance(found, dict) else {}

    def condition(self, kind: str) -> bool | None:
        """The status condition ``kind`` as a bool (``Unknown`` is not True), None when absent;
        ``MalformedFieldError`` when the conditions cannot be read (see ``condition_status``)."""
        value = condition_status(self, kind)
        return None if value is None else value == "True"


@dataclass(frozen=True)
class Attestation:
    """A fact a person vouches for (``attestations.yaml``)."""

    fact: str
    statement: str
    by: str
    made: date
    expires: date | None
    evidence: str
    values: Mapping[str, Any] = field(default_factory=dict)

    def valid_on(self, day: date) -> bool:
        """Whether the attestation holds on ``day``: made on or before it and not expired (``expires``
        inclusive; none: never)."""
        return self.made <= day and (self.expires is None or day <= self.expires)


_CONDITION_TYPE = re.compile(r"[A-Za-z0-9_./-]+")
# Coverage outcomes that leave a gap in the snapshot, worst first.
GAPS = ("forbidden", "error", "partial")


def condition_status(item: KubeObject, kind: str) -> str | None:
    """The status condition ``kind`` as Kubernetes states it: ``True``, ``False`` or ``Unknown``;
    None when the object has no such condition. ``MalformedFieldError`` when a condition cannot
    be read (not an object, a type that is not a name, a status other than those three): it
    might have been the one asked for."""
    conds = mapping(item, "status", item.status).get("conditions")
    if conds is not None and not isinstance(conds, list):
        raise MalformedFieldError(item.ref, "status.conditions", conds, "a list")
    for i, c in enumerate(conds or []):
        if not isinstance(c, dict) or not isinstance(c.get("type"), str) or not _CONDITION_TYPE.fullmatch(c["type"]):
            raise MalformedFieldError(item.ref, f"status.conditions[{i}]", c, "a condition with a type")
        if c["type"] == kind:
            value = str(c.get("status"))
            if value not in ("True", "False", "Unknown"):
                raise MalformedFieldError(item.ref, f"status.conditions[{kind}].status", c.get("status"),
                                          "True, False or Unknown")
            return value
    return None


def group_of(api_version: str) -> str:
    """``velero.io/v1`` -> ``velero.io``; ``v1`` -> ``""`` (the core group)."""
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""


# Where an API group ends in apiVersion ``group/version`` (the same pattern the frames used, so
# ``v1`` is the core group ``""`` and ``a/b/v1`` is ``a/b``).
# Annotations naming the file a declared object was read from: ours, then kustomize's.
FILE_ANNOTATIONS = ("readiness.dev/file", "readiness.dev/source-path", "config.kubernetes.io/path",
                    "internal.config.kubernetes.io/path")
_VERSION = re.compile(r"/?[^/]+\Z")
# The object columns an ``KubeObject`` is read from, in ``Objects`` row order.
OBJECT_COLUMNS = ("api_version", "kind", "namespace", "name", "labels", "annotations", "spec", "status", "source")
# The coverage columns ``Coverage`` reads (``count`` and ``detail`` may be missing).
COVERAGE_COLUMNS = ("api_version", "kind", "outcome", "count", "detail")


def _loads(text: str) -> Any:
    """``json.loads(text)``, by orjson (several times faster, the same values) where it can: what
    orjson refuses (integers beyond 64 bits, NaN, malformed text) goes to json, errors included."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def _parsed(rows: Iterable[Sequence[Any]], loads: Callable[[str], Any]) -> list[KubeObject]:
    """``KubeObject``s of rows of ``OBJECT_COLUMNS`` (empty labels and annotations: ``{}``, empty spec
    and status: None), each made as the dataclass makes it but without its nine frozen
    ``object.__setattr__`` calls (one object per object read)."""
    new = object.__new__
    out = []
    for av, k, ns, n, lb, an, sp, st, src in rows:
        obj = new(KubeObject)
        obj.__dict__.update({"api_version": av, "kind": k, "namespace": ns, "name": n,
                             "labels": loads(lb) if lb else {}, "annotations": loads(an) if an else {},
                             "spec": loads(sp) if sp else None, "status": loads(st) if st else None,
                             "source": src or "live"})
        out.append(obj)
    return out


class Objects:
    """One snapshot's objects, indexed once by (API group, kind) and parsed into ``KubeObject``s once.

    Built from rows of ``OBJECT_COLUMNS`` (strings as stored: labels, annotations, spec and
    status are JSON text). A kind's objects are parsed (``json.loads``) the first time a check
    asks for them and shared by every later check: ``items`` returns the same list each time,
    in stored row order.
    """

    __slots__ = ("_all", "_declared_only", "_groups", "_parsed", "_rows", "_unapplied")

    def __init__(self, rows: Iterable[Sequence[Any]]) -> None:
        self._all = list(rows)
        self._declared_only: bool | None = None
        self._unapplied: dict[str, str] | None = None
        self._groups: dict[str, str] = {}
        self._rows: dict[tuple[str, str], list[Sequence[Any]]] = {}
        self._parsed: dict[tuple[str, str], list[KubeObject]] = {}
        groups, index = self._groups, self._rows
        for row in self._all:
            av = row[0]
            group = groups.get(av)
            if group is None:
                group = groups[av] = _VERSION.sub("", str(av), count=1)
            index.setdefault((group, str(row[1])), []).append(row)

    @classmethod
    def of(cls, frame: pl.DataFrame) -> Objects:
        """The objects of ``frame`` (columns ``OBJECT_COLUMNS``, others ignored), read column by
        column (no query per snapshot)."""
        if frame.is_empty():
            return cls(())
        return cls(zip(*(frame.get_column(c).to_list() for c in OBJECT_COLUMNS), strict=True))

    def __len__(self) -> int:
        return len(self._all)

    def types(self) -> set[tuple[str, str]]:
        """The (API group, kind) pairs of the objects stored."""
        return set(self._rows)

    def has(self, group: str, kind: str) -> bool:
        """Whether any object of ``kind`` in API group ``group`` was stored."""
        return (group, kind) in self._rows

    def items(self, group: str, kind: str) -> list[KubeObject]:
        """Objects of ``kind`` in API group ``group`` (``""`` for core), parsed on the first call."""
        key = (group, kind)
        found = self._parsed.get(key)
        if found is None:
            rows = self._rows.get(key, ())
            try:
                found = _parsed(rows, orjson.loads)
            except orjson.JSONDecodeError:  # the kind again, each text as ``_loads`` reads it (errors included)
                found = _parsed(rows, _loads)
            self._parsed[key] = found
        return found

    @property
    def declared_only(self) -> bool:
        """Whether there are objects and every one with a source was read from a repository
        (worked out once)."""
        found = self._declared_only
        if found is None:
            found = self._declared_only = bool(self._all) and all(row[8] == "repo" for row in self._all
                                                                  if row[8] is not None)
        return found

    def unapplied(self) -> dict[str, str]:
        """What a repository's deployed view read from Kustomizations that do not build (annotation
        ``readiness.dev/build: failed``; Flux applies none of their objects), as evidence names it -> the
        Kustomization (``readiness.dev/applied-by``): each such object's ref, and its file (the first of
        ``FILE_ANNOTATIONS`` it carries) unless an object applied by a build that works was read from the
        same file. Worked out once; empty without such objects."""
        found = self._unapplied
        if found is None:
            found, applied = {}, set()
            for _, kind, ns, name, _, annotations, _, _, _ in self._all:
                if not annotations or "readiness.dev/" not in annotations:
                    continue
                try:
                    notes = _loads(annotations)
                except ValueError:
                    continue
                if not isinstance(notes, dict):
                    continue
                path = next((str(notes[k]) for k in FILE_ANNOTATIONS if notes.get(k)), None)
                if notes.get("readiness.dev/build") != "failed":
                    if path:
                        applied.add(path)
                    continue
                by = str(notes.get("readiness.dev/applied-by") or "a Kustomization that does not build")
                found[f"{kind}/{ns}/{name}" if ns else f"{kind}/{name}"] = by
                if path:
                    found.setdefault(path, by)
            for path in applied:
                found.pop(path, None)
            self._unapplied = found
        return found

    def suspect(self) -> str:
        """``Deployment/web/api field spec.replicas``: the first object (stored order) with a
        templated (``${...}``) spec or status field, or ''."""
        for _, kind, ns, name, _, _, spec, status, _ in self._all:
            for part, text in (("spec", spec), ("status", status)):
                if text and "${" in text:
                    try:
                        found = _templated(json.loads(text), part)
                    except ValueError:
                        found = part
                    if found:
                        ref = f"{kind}/{ns}/{name}" if ns else f"{kind}/{name}"
                        return f"{ref} field {found}"
        return ""

    def frame(self) -> pl.DataFrame:
        """The objects as a frame of ``OBJECT_COLUMNS`` (all strings)."""
        return pl.DataFrame(self._all, schema=dict.fromkeys(OBJECT_COLUMNS, pl.String), orient="row")


class Coverage:
    """One snapshot's coverage rows (what the collector could read of each resource type),
    indexed once by (API group, kind), with each type's outcome worked out once."""

    __slots__ = ("_by_type", "_gap_types", "_outcomes", "_rows")

    def __init__(self, rows: Iterable[Mapping[str, Any]]) -> None:
        self._index([(r.get("api_version"), r.get("kind"), r.get("outcome"), r.get("count"), r.get("detail"))
                     for r in rows])

    @classmethod
    def of_rows(cls, rows: Iterable[Sequence[Any]]) -> Coverage:
        """The coverage of ``rows``, each a sequence of ``COVERAGE_COLUMNS`` values, in that order."""
        out = cls.__new__(cls)
        out._index([tuple(r) for r in rows])
        return out

    def _index(self, rows: list[tuple[Any, ...]]) -> None:
        self._rows = rows
        self._by_type: dict[tuple[str, str], list[tuple[str, int | None, str | None]]] = {}
        groups: dict[Any, str] = {}
        for av, kind, outcome, count, detail in self._rows:
            group = groups.get(av)
            if group is None:
                group = groups[av] = group_of(str(av))
            self._by_type.setdefault((group, str(kind)), []).append((str(outcome), count, detail))
        self._gap_types = frozenset(key for key, found in self._by_type.items() if any(o in GAPS for o, _, _ in found))
        self._outcomes: dict[tuple[str, str], tuple[str, ...]] = {}

    @classmethod
    def of(cls, frame: pl.DataFrame | None) -> Coverage:
        """The coverage rows of ``frame`` (columns of ``COVERAGE_COLUMNS``; ``count`` and ``detail``
        may be missing); none for None."""
        if frame is None or frame.is_empty():
            return cls(())
        cols = {c: frame.get_column(c).to_list() for c in COVERAGE_COLUMNS if c in frame.columns}
        return cls(dict(zip(cols, values, strict=True)) for values in zip(*cols.values(), strict=True))

    def has_gap(self, group: str, kind: str) -> bool:
        """Whether any row of the type records a gap (``GAPS``): then its outcome is one."""
        return (group, kind) in self._gap_types

    def rows(self, group: str, kind: str) -> list[tuple[str, int | None, str | None]]:
        """(outcome, count, detail) of each row recorded for the type, in stored order."""
        return self._by_type.get((group, kind), [])

    def details(self, outcome: str, kinds: Iterable[str]) -> list[str]:
        """The non-empty details of rows with ``outcome`` whose kind is one of ``kinds`` (any group)."""
        wanted = set(kinds)
        return [str(d) for _, k, o, _, d in self._rows if o == outcome and k in wanted and d]

    def containing(self, outcome: str, text: str) -> list[str]:
        """The details of rows with ``outcome`` (any type) that contain ``text``."""
        return [str(d) for _, _, o, _, d in self._rows if o == outcome and d and text in str(d)]

    def frame(self) -> pl.DataFrame:
        """The rows as a frame of ``COVERAGE_COLUMNS``."""
        return pl.DataFrame(self._rows, orient="row", schema={"api_version": pl.String, "kind": pl.String,
                                                              "outcome": pl.String, "count": pl.Int64,
                                                              "detail": pl.String})


class ClusterSnapshot:
    """Everything known about one cluster at one moment: its objects, coverage and attestations.

    ``objects`` and ``coverage`` are frames (``schema.OBJECTS`` / ``schema.COVERAGE`` columns)
    or indexes already built (``Objects``, ``Coverage``); a frame is read once, into an index,
    the first time a check asks, and every check of the snapshot shares that index. ``observed``
    says a collection from the cluster itself is part of it (a repository snapshot merged into a
    live one), so it is never declared state only, even when the live collection found no object.
    """

    def __init__(
        self,
        cluster: str,
        collected_at: datetime,
        objects: pl.DataFrame | Objects,
        *,
        role: str | None = None,
        coverage: pl.DataFrame | Coverage | None = None,
        attestations: Iterable[Attestation] = (),
        observed: bool = False,
    ) -> None:
        self.cluster = cluster
        self.observed = observed
        self.role = role
        self.collected_at = collected_at
        self._objects = objects
        self._coverage = coverage
        self._attestations = tuple(attestations)
        self._outcomes: dict[tuple[str, str], str] = {}
        self._shared: dict[str, tuple[Any, frozenset[tuple[str, str]]]] = {}
        self._asked: set[tuple[str, str]] | None = None

    def shared(self, name: str, build: Callable[[ClusterSnapshot], Any]) -> Any:
        """``build(self)``, built once per snapshot under ``name`` and shared by every later caller:
        how the checks' helpers keep a structure derived from the objects (the workloads, their
        names) instead of working it out again in each check. The kinds ``build`` read are kept
        with it and noted as read by every caller while ``recording``, as if it had read them
        itself. A ``build`` that raises stores nothing (the next caller raises the same).
        Callers must not change what they get."""
        if name not in self._shared:
            outer, self._asked = self._asked, set()
            try:
                value = build(self)
            finally:
                kinds, self._asked = frozenset(self._asked), outer
            self._shared[name] = (value, kinds)
        value, kinds = self._shared[name]
        if self._asked is not None:
            self._asked |= kinds
        return value

    @cached_property
    def by_kind(self) -> Objects:
        """The objects indexed by (API group, kind), each kind parsed once (``Objects``)."""
        return self._objects if isinstance(self._objects, Objects) else Objects.of(self._objects)

    @cached_property
    def by_type(self) -> Coverage:
        """The coverage rows indexed by (API group, kind) (``Coverage``)."""
        return self._coverage if isinstance(self._coverage, Coverage) else Coverage.of(self._coverage)

    @cached_property
    def objects(self) -> pl.DataFrame:
        """The objects as a frame: the one given, else one of ``OBJECT_COLUMNS`` built from the index."""
        return self._objects.frame() if isinstance(self._objects, Objects) else self._objects

    @cached_property
    def coverage(self) -> pl.DataFrame | None:
        """The coverage rows as a frame: the one given (maybe None), else one built from the index."""
        return self._coverage.frame() if isinstance(self._coverage, Coverage) else self._coverage

    def items(self, group: str, kind: str) -> list[KubeObject]:
        """Objects of ``kind`` in API group ``group`` (``""`` for core), matched by both (and, while
        ``recording``, noted as read)."""
        if self._asked is not None:
            self._asked.add((group, kind))
        return self.by_kind.items(group, kind)

    def recording(self) -> set[tuple[str, str]]:
        """Start noting the (API group, kind) pairs ``items`` is asked for from now on: the set
        returned fills as a check reads (``run`` uses it to know which kinds a verdict rests on)."""
        self._asked = set()
        return self._asked

    @property
    def declared_only(self) -> bool:
        """Whether the snapshot is a repository's declared state only: not ``observed``, and every object
        read from a repository."""
        return not self.observed and self.by_kind.declared_only

    def _coverage_rows(self, group: str, kind: str) -> list[tuple[str, int | None, str | None]]:
        return self.by_type.rows(group, kind)

    def outcome(self, group: str, kind: str) -> str:
        """Coverage outcome of a resource type: ``ok``, ``absent``, ``partial``, ``forbidden`` or ``error``.

        The worst recorded outcome wins: a listing cut short (``partial``) or failed after some
        objects were read stays a gap even though objects of the type exist. A type the collector
        did not record is ``absent`` (no such API), unless objects of it exist (``ok``). Worked
        out once per type.
        """
        key = (group, kind)
        found = self._outcomes.get(key)
        if found is None:
            found = self._outcomes[key] = self._outcome(group, kind)
        return found

    def _outcome(self, group: str, kind: str) -> str:
        outcomes = [o for o, _, _ in self._coverage_rows(group, kind)]
        for worst in GAPS:
            if worst in outcomes:
                return worst
        if self.by_kind.has(group, kind) or "ok" in outcomes:
            return "ok"
        return outcomes[0] if outcomes else "absent"

    def unreadable(self, *types: tuple[str, str]) -> list[str]:
        """The resource types among ``types`` not read completely (forbidden, error, partial): those
        with a gap recorded (``outcome`` is then that gap)."""
        coverage = self.by_type
        return [f"{g or 'core'}/{k}" for g, k in types if coverage.has_gap(g, k)]

    def gaps(self, *types: tuple[str, str]) -> str:
        """``velero.io/Backup partial (HTTP 410: ... (5 objects read before))``: the unreadable
        types among ``types`` with their outcome and the collector's detail, for a reason line."""
        parts = []
        for g, k in types:
            outcome = self.outcome(g, k)
            if outcome not in GAPS:
                continue
            details = [d for o, _, d in self._coverage_rows(g, k) if o == outcome and d]
            detail = " ".join(str(details[0]).split())[:120] if details else ""
            parts.append(f"{g or 'core'}/{k} {outcome}" + (f" ({detail})" if detail else ""))
        return "; ".join(parts)

    def attestation(self, fact: str) -> Attestation | None:
        """The newest attestation of ``fact`` made on or before this snapshot (maybe expired)."""
        day = self.collected_at.date()
        made = [a for a in self._attestations if a.fact == fact and a.made <= day]
        return max(made, key=lambda a: a.made) if made else None

    @property
    def day(self) -> date:
        """The day the snapshot was collected (``collected_at``'s date)."""
        return self.collected_at.date()


@dataclass(frozen=True)
class Result:
    """A check's verdict on one cluster: status, score in [0, 1], a one-line reason, evidence."""

    status: str
    score: float
    reason: str
    evidence: tuple[str, ...] = ()


def passed(reason: str, evidence: Iterable[str] = ()) -> Result:
    """A ``pass`` (score 1.0) with its one-line reason and the objects or files it read."""
    return Result("pass", 1.0, reason, tuple(evidence))


def failed(reason: str, evidence: Iterable[str] = ()) -> Result:
    """A ``fail`` (score 0.0) with its one-line reason and the objects or files it read."""
    return Result("fail", 0.0, reason, tuple(evidence))


def unknown(reason: str, evidence: Iterable[str] = ()) -> Result:
    """An ``unknown`` (score 0.0, never a pass; it lowers the coverage) whose reason names the evidence
    that was missing, partial or unreadable."""
    return Result("unknown", 0.0, reason, tuple(evidence))


def not_applicable(reason: str) -> Result:
    """A ``not_applicable`` (no weight in any score) with the reason the check does not apply."""
    return Result("not_applicable", 0.0, reason)


def fraction(value: float, reason: str, evidence: Iterable[str] = ()) -> Result:
    """``pass`` at 1, ``fail`` at 0, ``partial`` with the fraction in between."""
    value = max(0.0, min(1.0, value))
    status = "pass" if value >= 1.0 else "fail" if value <= 0.0 else "partial"
    return Result(status, value, reason, tuple(evidence))


def share(good: int, total: int, unsure: int, reason: str, evidence: Iterable[str] = ()) -> Result:
    """``fraction(good / total)`` when every one of ``total`` was judged; with ``unsure`` ones not
    judged: ``unknown`` when none of the rest failed, else ``partial`` (score good / total, even 0):
    the failures are real but the whole is not known, so never a confident ``fail``."""
    if not unsure:
        return fraction(good / total if total else 1.0, reason, evidence)
    if good + unsure >= total:
        return unknown(reason, evidence)
    return Result("partial", max(0.0, min(1.0, good / total)), reason, tuple(evidence))


@dataclass(frozen=True)
class CheckThresholds:
    """A check's thresholds from the rubric (``cfg["min_rules"]``), with the defaults of the check's
    thresholds dataclass filled in for names the rubric does not set; ``cfg.values`` is the
    dataclass instance (``cfg.values.min_rules``)."""

    check_id: str
    thresholds: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        cls = THRESHOLDS.get(self.check_id)
        if cls is not None:
            object.__setattr__(self, "thresholds", {**_thresholds.defaults(cls), **self.thresholds})

    def __getitem__(self, key: str) -> Any:
        return self.thresholds[key]

    @cached_property
    def values(self) -> Any:
        """The thresholds as an instance of the check's thresholds dataclass (``NoThresholds`` when
        it declared none)."""
        return _thresholds.build(THRESHOLDS.get(self.check_id, _thresholds.NoThresholds), self.thresholds)


CheckFn = Callable[[ClusterSnapshot, CheckThresholds], Result]
REGISTRY: dict[str, CheckFn] = {}
# check id -> the dataclass declaring its thresholds (``readiness.assess.checks.thresholds``).
THRESHOLDS: dict[str, type] = {}


def check(check_id: str, *, thresholds: type = _thresholds.NoThresholds) -> Callable[[CheckFn], CheckFn]:
    """Register ``fn`` under ``check_id`` with the dataclass declaring its ``thresholds`` (none by
    default: the rubric may then set none). An id registered twice raises ``DuplicateCheckError``
    naming the module that registered it first."""
    if not dataclasses.is_dataclass(thresholds) or not isinstance(thresholds, type):
        raise TypeError(f"check '{check_id}': thresholds must be a dataclass, got {thresholds!r}")

    def add(fn: CheckFn) -> CheckFn:
        if check_id in REGISTRY:
            raise DuplicateCheckError(check_id, REGISTRY[check_id].__module__, fn.__module__)
        fn.check_id = check_id  # type: ignore[attr-defined]  # a function's own attributes are not typed
        fn.thresholds = thresholds  # type: ignore[attr-defined]  # (CheckFn is a plain Callable)
        REGISTRY[check_id] = fn
        THRESHOLDS[check_id] = thresholds
        return fn

    return add


def thresholds_of(check_id: str) -> type:
    """The dataclass declaring the thresholds of ``check_id``; ``UnknownCheckError`` when unregistered."""
    get(check_id)
    return THRESHOLDS[check_id]


def get(check_id: str) -> CheckFn:
    """The check registered under ``check_id``; ``UnknownCheckError`` lists the known ids."""
    try:
        return REGISTRY[check_id]
    except KeyError:
        raise UnknownCheckError(check_id, list(REGISTRY)) from None


def whole(item: KubeObject, path: str, value: Any, default: int) -> int:
    """``value`` (read from ``item`` at dotted ``path``) as a whole number, ``default`` when absent.

    Raises ``MalformedFieldError`` naming the object and field for anything else (``${VAR}``,
    ``"two"``, a list): the evaluation reports that as ``unknown``, never as a number guessed.
    """
    if value is None:
        return default
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise MalformedFieldError(item.ref, path, value, "a whole number")
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    raise MalformedFieldError(item.ref, path, value, "a whole number")


def mapping(item: KubeObject, path: str, value: Any) -> dict[str, Any]:
    """``value`` (read from ``item`` at dotted ``path``) as an object, ``{}`` when absent;
    ``MalformedFieldError`` for anything else."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    raise MalformedFieldError(item.ref, path, value, "an object")


def timestamp(item: KubeObject, path: str, value: Any) -> datetime | None:
    """An RFC 3339 time (``2026-01-10T12:00:00Z``) read from ``item`` at ``path``; None when absent
    or empty; ``MalformedFieldError`` for anything else. Times without a zone are taken as UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise MalformedFieldError(item.ref, path, value, "an RFC 3339 time")


def _templated(value: Any, path: str) -> str | None:
    """The dotted path of the first string holding a ``${...}`` template inside ``value``."""
    if isinstance(value, str):
        return path if "${" in value else None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, inner in items:
        found = _templated(inner, f"{path}.{key}" if isinstance(key, str) else f"{path}[{key}]")
        if found:
            return found
    return None


def _suspect(ev: ClusterSnapshot) -> str:
    """``Deployment/web/api field spec.replicas``: the first object with a templated field, or ''."""
    return ev.by_kind.suspect()


def run(fn: CheckFn, ev: ClusterSnapshot, cfg: CheckThresholds) -> Result:
    """``fn(ev, cfg)``, turning any exception into ``unknown``: a check never stops an evaluation.

    ``MalformedFieldError`` names the object and field itself; for any other exception the
    reason names the error and the first templated (``${...}``) field of the snapshot, if any.
    A ``fail`` or ``partial`` of a repository snapshot whose kinds read could hide in what the
    collector could not read (a Kustomization that does not build, a skipped file) becomes
    ``unknown`` or ``partial`` naming it (``common.unseen``).
    """
    read = ev.recording()
    try:
        result = fn(ev, cfg)
    except MalformedFieldError as err:
        return unknown(err.message, [err.ref])
    except Exception as err:
        text = " ".join(str(err).split())[:120]
        suspect = _suspect(ev)
        where = f"; suspect {suspect}" if suspect else ""
        return unknown(f"could not read the snapshot ({type(err).__name__}: {text}){where}")
    finally:
        ev._asked = None
    from readiness.assess.checks.common import unseen  # common imports this module

    return unseen(result, ev, read)
