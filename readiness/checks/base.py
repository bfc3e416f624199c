"""What a check sees (``Evidence``), what it returns (``Result``), and the registry of checks.

A check is a pure function ``(ev: Evidence, cfg: Config) -> Result`` registered under one id
with ``@check("backup_velero_installed")``. Its title, category, weight, severity, blocker and
thresholds live in the rubric (policy), never in the function.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import Any

import polars as pl

from readiness.errors import UnknownCheckError


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
        """The status condition ``kind`` as a bool, None when absent."""
        conds = (self.status or {}).get("conditions") or []
        for c in conds:
            if c.get("type") == kind:
                return str(c.get("status")) == "True"
        return None


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

    def outcome(self, group: str, kind: str) -> str:
        """Coverage outcome of a resource type: ``ok``, ``absent``, ``forbidden`` or ``error``.

        A type the collector did not record is ``absent`` (no such API), unless objects of it exist.
        """
        if self._by_kind.get((group, kind)) is not None:
            return "ok"
        if self.coverage is None or self.coverage.is_empty():
            return "absent"
        rows = self.coverage.filter(pl.col("kind") == kind)
        for av, outcome in rows.select("api_version", "outcome").iter_rows():
            if group_of(av) == group:
                return str(outcome)
        return "absent"

    def unreadable(self, *types: tuple[str, str]) -> list[str]:
        """The resource types among ``types`` that could not be read (forbidden or error)."""
        return [f"{g or 'core'}/{k}" for g, k in types if self.outcome(g, k) in ("forbidden", "error")]

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


@dataclass(frozen=True)
class Config:
    """A check's thresholds from the rubric (``cfg["min_rules"]``)."""

    check_id: str
    thresholds: Mapping[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self.thresholds[key]


CheckFn = Callable[[Evidence, Config], Result]
REGISTRY: dict[str, CheckFn] = {}


def check(check_id: str) -> Callable[[CheckFn], CheckFn]:
    """Register ``fn`` under ``check_id``; an id registered twice is a programming error."""

    def add(fn: CheckFn) -> CheckFn:
        if check_id in REGISTRY:
            raise ValueError(f"check id '{check_id}' registered twice")
        fn.check_id = check_id  # type: ignore[attr-defined]
        REGISTRY[check_id] = fn
        return fn

    return add


def get(check_id: str) -> CheckFn:
    """The check registered under ``check_id``; ``UnknownCheckError`` lists the known ids."""
    try:
        return REGISTRY[check_id]
    except KeyError:
        raise UnknownCheckError(check_id, list(REGISTRY)) from None
