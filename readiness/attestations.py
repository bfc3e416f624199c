"""Attestations (facts a person vouches for) and waivers (accepted exceptions), from YAML."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from readiness.checks.base import Attestation
from readiness.errors import ConfigError

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

    def covers(self, check_id: str, cluster: str, day: date) -> bool:
        return self.check == check_id and self.cluster in ("*", cluster) and day <= self.expires


def _load(path: Path, key: str) -> list[tuple[int, dict[str, Any]]]:
    """The entries under ``key`` with their line numbers; [] when the file does not exist."""
    if not path.is_file():
        return []
    try:
        node = yaml.compose(path.read_text(encoding="utf-8"))
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        raise ConfigError(str(path), f"not valid YAML: {getattr(err, 'problem', err)}",
                          line=mark.line + 1 if mark else None) from None
    if doc is None:
        return []
    if not isinstance(doc, dict) or not isinstance(doc.get(key, []), list):
        raise ConfigError(str(path), f"expected a mapping with a '{key}:' list", line=1)
    lines = []
    assert node is not None
    for k, v in node.value:
        if k.value == key:
            lines = [item.start_mark.line + 1 for item in v.value]
    return list(zip(lines, doc.get(key) or [], strict=False))


def _date(path: Path, line: int, entry: dict[str, Any], field: str, required: bool = True) -> date | None:
    value = entry.get(field)
    if value is None and not required:
        return None
    if isinstance(value, date):
        return value
    raise ConfigError(str(path), f"field '{field}' must be a date (YYYY-MM-DD), got {value!r}", line=line)


def _text(path: Path, line: int, entry: dict[str, Any], field: str) -> str:
    value = entry.get(field)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(str(path), f"field '{field}' is required (text)", line=line)
    return value


def load_attestations(data_dir: Path | str) -> list[Attestation]:
    """The attestations of ``data_dir/attestations.yaml`` (none when the file is absent)."""
    path = Path(data_dir) / ATTESTATIONS_FILE
    out = []
    for line, e in _load(path, "attestations"):
        made = _date(path, line, e, "date")
        assert made is not None
        out.append(Attestation(
            fact=_text(path, line, e, "fact"),
            statement=_text(path, line, e, "statement"),
            by=_text(path, line, e, "by"),
            made=made,
            expires=_date(path, line, e, "expires", required=False),
            evidence=str(e.get("evidence") or ""),
            values=e.get("values") or {},
        ))
    return out


def load_waivers(data_dir: Path | str) -> list[Waiver]:
    """The waivers of ``data_dir/waivers.yaml`` (none when the file is absent)."""
    path = Path(data_dir) / WAIVERS_FILE
    out = []
    for line, e in _load(path, "waivers"):
        expires = _date(path, line, e, "expires")
        assert expires is not None
        out.append(Waiver(
            check=_text(path, line, e, "check"),
            cluster=str(e.get("cluster") or "*"),
            reason=_text(path, line, e, "reason"),
            owner=_text(path, line, e, "owner"),
            expires=expires,
        ))
    return out


def load_roles(data_dir: Path | str) -> dict[str, str]:
    """Cluster -> role from ``data_dir/fleet.yaml`` (empty when absent: every check applies)."""
    path = Path(data_dir) / FLEET_FILE
    if not path.is_file():
        return {}
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        raise ConfigError(str(path), f"not valid YAML: {err}") from None
    clusters = doc.get("clusters") or {}
    if not isinstance(clusters, dict):
        raise ConfigError(str(path), "expected 'clusters:' mapping cluster names to {role: ...}")
    return {str(c): str((v or {}).get("role", "")) for c, v in clusters.items() if (v or {}).get("role")}
