"""Attestations (facts a person vouches for), waivers (accepted exceptions) and cluster roles, from YAML."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from readiness.assess.checks.base import Attestation
from readiness.errors import ConfigError
from readiness.store.configfile import SourceFile

# The facts checks read by name (``attested(ev, FACT, ...)``); the rubric's thresholds may name more.
FACTS = frozenset({"github_audit_log", "oncall_rotation", "rto_rpo_declared"})
ATTESTATIONS_FILE = "attestations.yaml"
WAIVERS_FILE = "waivers.yaml"
FLEET_FILE = "fleet.yaml"


@dataclass(frozen=True)
class Waiver:
    """An accepted exception: ``check`` counts as passed on ``cluster`` ('*' for all) until ``expires``."""

    check: str
    cluster: str
    reason: str
    owner: str
    expires: date
    path: str = ""
    line: int | None = None

    def covers(self, check_id: str, cluster: str, day: date) -> bool:
        """Whether this entry applies to ``check_id`` on ``cluster`` (``*``: every cluster) on ``day``
        (until ``expires``, inclusive)."""
        return self.check == check_id and self.cluster in ("*", cluster) and day <= self.expires

    def error(self, problem: str, hint: str | None = None) -> ConfigError:
        """A ``ConfigError`` naming the file and line this entry was read from, for the caller to raise."""
        return ConfigError(self.path, problem, line=self.line, hint=hint)


def _entries(path: Path, key: str, what: str) -> tuple[SourceFile | None, list[Any]]:
    """The list under ``key`` (empty when the file does not exist)."""
    if not path.is_file():
        return None, []
    src = SourceFile(path, what)
    if src.doc is None:
        return src, []
    if not isinstance(src.doc, dict) or not isinstance(src.doc.get(key) or [], list):
        raise src.error((key,), f"expected a mapping with a '{key}:' list")
    entries = list(src.doc.get(key) or [])
    for i, e in enumerate(entries):
        if not isinstance(e, dict):
            raise src.error((key, i), f"{key}[{i}] must be a mapping")
    return src, entries


def _date(src: SourceFile, at: tuple[str | int, ...], entry: dict[str, Any], field: str,
          required: bool = True) -> date | None:
    value = entry.get(field)
    if value is None and not required:
        return None
    if isinstance(value, date):
        return value
    raise src.error((*at, field), f"field '{field}' must be a date (YYYY-MM-DD), got {value!r}")


def _text(src: SourceFile, at: tuple[str | int, ...], entry: dict[str, Any], field: str) -> str:
    value = entry.get(field)
    if not isinstance(value, str) or not value.strip():
        raise src.error((*at, field), f"field '{field}' is required (text)")
    return value


def known_facts(thresholds: Iterable[dict[str, Any]] = ()) -> set[str]:
    """Every fact an attestation may name: ``FACTS`` and each ``facts:`` list of the rubric's thresholds."""
    out = set(FACTS)
    for t in thresholds:
        facts = t.get("facts") if isinstance(t, dict) else None
        out |= {str(f) for f in facts or () if isinstance(facts, list | tuple)}
    return out


def load_attestations(data_dir: Path | str, known: set[str] | None = None) -> list[Attestation]:
    """The attestations of ``data_dir/attestations.yaml`` (none when the file is absent).

    With ``known`` (``known_facts``), an attestation of any other fact is a ``ConfigError`` at
    its line: a typo would otherwise attest nothing, silently.
    """
    src, entries = _entries(Path(data_dir) / ATTESTATIONS_FILE, "attestations", "attestations")
    out = []
    for i, e in enumerate(entries):
        assert src is not None
        at = ("attestations", i)
        if known is not None and _text(src, at, e, "fact") not in known:
            raise src.error((*at, "fact"), f"attestation of unknown fact '{e['fact']}'",
                            hint=f"facts the rubric reads: {', '.join(sorted(known))}")
        made = _date(src, at, e, "date")
        assert made is not None
        values = e.get("values") or {}
        if not isinstance(values, dict):
            raise src.error((*at, "values"), "field 'values' must be a mapping")
        out.append(Attestation(fact=_text(src, at, e, "fact"), statement=_text(src, at, e, "statement"),
                               by=_text(src, at, e, "by"), made=made,
                               expires=_date(src, at, e, "expires", required=False),
                               evidence=str(e.get("evidence") or ""), values=values))
    return out


def load_waivers(data_dir: Path | str) -> list[Waiver]:
    """The waivers of ``data_dir/waivers.yaml`` (none when the file is absent)."""
    src, entries = _entries(Path(data_dir) / WAIVERS_FILE, "waivers", "waivers")
    out = []
    for i, e in enumerate(entries):
        assert src is not None
        at = ("waivers", i)
        expires = _date(src, at, e, "expires")
        assert expires is not None
        out.append(Waiver(check=_text(src, at, e, "check"), cluster=str(e.get("cluster") or "*"),
                          reason=_text(src, at, e, "reason"), owner=_text(src, at, e, "owner"), expires=expires,
                          path=src.path, line=src.line(*at)))
    return out


def load_roles(data_dir: Path | str) -> dict[str, str]:
    """Cluster -> role from ``data_dir/fleet.yaml`` (empty when absent: checks for every role
    apply, and a failing check scoped to roles is ``unknown``, see ``readiness.assess.evaluate``)."""
    path = Path(data_dir) / FLEET_FILE
    if not path.is_file():
        return {}
    src = SourceFile(path, "fleet")
    clusters = (src.doc or {}).get("clusters") if isinstance(src.doc, dict) else None
    if not isinstance(clusters, dict):
        raise src.error(("clusters",), "expected 'clusters:' mapping cluster names to {role: ...}")
    roles = {}
    for name, entry in clusters.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("role", ""), str):
            raise src.error(("clusters", str(name)), f"cluster '{name}' must be a mapping like {{role: production}}")
        if entry.get("role"):
            roles[str(name)] = str(entry["role"])
    return roles
