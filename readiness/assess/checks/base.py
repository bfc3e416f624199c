"""What a check sees (``Evidence``), what it returns (``Result``), and the registry of checks.

A check is a pure function ``(ev: Evidence, cfg: Config) -> Result`` registered under one id
with ``@check("backup_velero_installed")`` (and ``thresholds=SomeDataclass`` declaring the names,
types and defaults of what it reads from the rubric, see ``readiness.assess.checks.thresholds``). Its
title, category, weight, severity, blocker and threshold values live in the rubric (policy),
never in the function.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cached_property
from typing import Any

import polars as pl

from readiness.assess.checks import thresholds as _thresholds
from readiness.errors import DuplicateCheckError, MalformedFieldError, UnknownCheckError


@dataclass(frozen=True)
class Item:
    """One collected object, parsed."""

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
        """How evidence names this object: ``kind/namespace/name`` (or ``kind/name``)."""
        return f"{self.kind}/{self.namespace}/{self.name}" if self.namespace else f"{self.kind}/{self.name}"

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
        return self.made <= day and (self.expires is None or day <= self.expires)


_CONDITION_TYPE = re.compile(r"[A-Za-z0-9_./-]+")
# Coverage outcomes that leave a gap in the evidence, worst first.
GAPS = ("forbidden", "error", "partial")


def condition_status(item: Item, kind: str) -> str | None:
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


class Evidence:
    """Everything known about one cluster at one moment: its objects, coverage and attestations."""

    def __init__(
        self,
        cluster: str,
        collected_at: datetime,
        objects: pl.DataFrame,
        *,
        role: str | None = None,
        coverage: pl.DataFrame | None = None,
        attestations: Iterable[Attestation] = (),
    ) -> None:
        self.cluster = cluster
        self.role = role
        self.collected_at = collected_at
        self.objects = objects
        self.coverage = coverage
        self._attestations = tuple(attestations)

    @cached_property
    def _by_kind(self) -> dict[tuple[str, str], pl.DataFrame]:
        if self.objects.is_empty():
            return {}
        keyed = self.objects.with_columns(
            pl.col("api_version").str.replace(r"/?[^/]+$", "").alias("_group")
        )
        return {(str(g), str(k)): df for (g, k), df in keyed.partition_by("_group", "kind", as_dict=True).items()}

    @cached_property
    def _items(self) -> dict[tuple[str, str], list[Item]]:
        return {}

    def items(self, group: str, kind: str) -> list[Item]:
        """Objects of ``kind`` in API group ``group`` (``""`` for core), matched by both."""
        key = (group, kind)
        if key not in self._items:
            df = self._by_kind.get(key)
            rows = [] if df is None else df.select(
                "api_version", "kind", "namespace", "name", "labels", "annotations", "spec", "status", "source"
            ).iter_rows()
            self._items[key] = [
                Item(av, k, ns, n, json.loads(lb or "{}"), json.loads(an or "{}"),
                     json.loads(sp or "null"), json.loads(st or "null"), src or "live")
                for av, k, ns, n, lb, an, sp, st, src in rows
            ]
        return self._items[key]

    @cached_property
    def _coverage_by_type(self) -> dict[tuple[str, str], list[tuple[str, int | None, str | None]]]:
        """(group, kind) -> (outcome, count, detail) of each coverage row (live and repo snapshots)."""
        if self.coverage is None or self.coverage.is_empty():
            return {}
        cols = [c for c in ("api_version", "kind", "outcome", "count", "detail") if c in self.coverage.columns]
        out: dict[tuple[str, str], list[tuple[str, int | None, str | None]]] = {}
        for row in self.coverage.select(cols).iter_rows(named=True):
            key = (group_of(str(row["api_version"])), str(row["kind"]))
            out.setdefault(key, []).append((str(row["outcome"]), row.get("count"), row.get("detail")))
        return out

    def _coverage_rows(self, group: str, kind: str) -> list[tuple[str, int | None, str | None]]:
        return self._coverage_by_type.get((group, kind), [])

    def outcome(self, group: str, kind: str) -> str:
        """Coverage outcome of a resource type: ``ok``, ``absent``, ``partial``, ``forbidden`` or ``error``.

        The worst recorded outcome wins: a listing cut short (``partial``) or failed after some
        objects were read stays a gap even though objects of the type exist. A type the collector
        did not record is ``absent`` (no such API), unless objects of it exist (``ok``).
        """
        outcomes = [o for o, _, _ in self._coverage_rows(group, kind)]
        for worst in GAPS:
            if worst in outcomes:
                return worst
        if self._by_kind.get((group, kind)) is not None or "ok" in outcomes:
            return "ok"
        return outcomes[0] if outcomes else "absent"

    def unreadable(self, *types: tuple[str, str]) -> list[str]:
        """The resource types among ``types`` not read completely (forbidden, error, partial)."""
        return [f"{g or 'core'}/{k}" for g, k in types if self.outcome(g, k) in GAPS]

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
        return self.collected_at.date()


@dataclass(frozen=True)
class Result:
    """A check's verdict on one cluster: status, score in [0, 1], a one-line reason, evidence."""

    status: str
    score: float
    reason: str
    evidence: tuple[str, ...] = ()


def passed(reason: str, evidence: Iterable[str] = ()) -> Result:
    return Result("pass", 1.0, reason, tuple(evidence))


def failed(reason: str, evidence: Iterable[str] = ()) -> Result:
    return Result("fail", 0.0, reason, tuple(evidence))


def unknown(reason: str, evidence: Iterable[str] = ()) -> Result:
    return Result("unknown", 0.0, reason, tuple(evidence))


def not_applicable(reason: str) -> Result:
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
class Config:
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


CheckFn = Callable[[Evidence, Config], Result]
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
        fn.check_id = check_id  # type: ignore[attr-defined]
        fn.thresholds = thresholds  # type: ignore[attr-defined]
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


def whole(item: Item, path: str, value: Any, default: int) -> int:
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


def mapping(item: Item, path: str, value: Any) -> dict[str, Any]:
    """``value`` (read from ``item`` at dotted ``path``) as an object, ``{}`` when absent;
    ``MalformedFieldError`` for anything else."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    raise MalformedFieldError(item.ref, path, value, "an object")


def timestamp(item: Item, path: str, value: Any) -> datetime | None:
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


def _suspect(ev: Evidence) -> str:
    """``Deployment/web/api field spec.replicas``: the first object with a templated field, or ''."""
    if ev.objects.is_empty():
        return ""
    cols = ("kind", "namespace", "name", "spec", "status")
    for kind, ns, name, spec, status in ev.objects.select(cols).iter_rows():
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


def run(fn: CheckFn, ev: Evidence, cfg: Config) -> Result:
    """``fn(ev, cfg)``, turning any exception into ``unknown``: a check never stops an evaluation.

    ``MalformedFieldError`` names the object and field itself; for any other exception the
    reason names the error and the first templated (``${...}``) field of the evidence, if any.
    """
    try:
        return fn(ev, cfg)
    except MalformedFieldError as err:
        return unknown(err.message, [err.ref])
    except Exception as err:
        text = " ".join(str(err).split())[:120]
        suspect = _suspect(ev)
        where = f"; suspect {suspect}" if suspect else ""
        return unknown(f"could not read the evidence ({type(err).__name__}: {text}){where}")
