"""The rubric: categories, weights, severities, blockers, criteria and thresholds (policy as data).

The packaged ``rubrics/default.yaml`` is the base and holds what applies to any Kubernetes fleet.
A *profile* (``rubrics/<name>.yaml``, e.g. ``homelab-phase1``: one fleet's named services,
alerts, environments, plan work packages and blocker wording) is merged over it when the data
directory's ``fleet.yaml`` names it (``rubric: homelab-phase1``, or a path relative to the data
directory); a user file given with ``--rubric`` is merged over both (mappings merged key by key,
everything else replaced). Every problem is reported with the file and line it comes from.

Checks come from the registry: the built-in ones, every installed plugin (entry-point group
``readiness.checks``) and the modules or entry points a rubric names under ``plugins:`` (the
names of every layer count), all loaded here so the CLI and notebook kernels see the same
checks (``readiness.assess.checks.plugins``). Each check's ``thresholds:`` are validated against the
dataclass the check declares (``readiness.assess.checks.thresholds``): an unknown name or a value of
the wrong type is a ``ConfigError`` naming the file, line, check id and the accepted names;
names the rubric leaves out take the dataclass's defaults.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from readiness.errors import ConfigError
from readiness.store import configfile

PROFILES = Path(__file__).parent / "rubrics"
DEFAULT = PROFILES / "default.yaml"
FLEET_FILE = "fleet.yaml"
PROFILE_KEY = "rubric"
SEVERITIES = ("critical", "high", "medium", "low")
TOP_KEYS = {"version", "name", "stale_after_days", "verdict", "categories", "blockers", "criteria", "checks", "plugins"}
CHECK_KEYS = {"title", "category", "weight", "severity", "work_package", "applies_to", "thresholds", "remediation"}


@dataclass(frozen=True)
class Category:
    """A rubric category: ``weight`` (relative, in the overall score) and ``target`` (percent, 0-100;
    None: no target)."""

    id: str
    name: str
    weight: float
    target: float | None


@dataclass(frozen=True)
class Criterion:
    """One line of a blocker: its text and the checks that must all pass for it to hold."""

    text: str
    checks: tuple[str, ...]


@dataclass(frozen=True)
class Blocker:
    """A rubric blocker (``B1``...): resolved when every check of every criterion passes on every
    cluster it applies to; ``impact`` and ``resolution`` are the rubric's words."""

    id: str
    title: str
    impact: str
    resolution: str
    criteria: tuple[Criterion, ...]
    risk: str = ""
    """What could happen while the blocker is open (the assessment's "Risk:" line); "" when unset."""

    @property
    def checks(self) -> tuple[str, ...]:
        """The check ids of all the blocker's criteria, in order, each once."""
        return tuple(dict.fromkeys(c for crit in self.criteria for c in crit.checks))


@dataclass(frozen=True)
class CheckSpec:
    """One check's rubric entry: ``category``, ``weight`` (relative, within its category), ``severity``,
    the work package that fixes it, the fleet roles it applies to (None: all), its validated
    ``thresholds`` and the blockers that name it."""

    id: str
    title: str
    category: str
    weight: float
    severity: str
    work_package: str | None
    applies_to: tuple[str, ...] | None
    thresholds: dict[str, Any]
    remediation: str
    blockers: tuple[str, ...] = ()

    def applies(self, role: str | None) -> bool:
        """Whether the check may apply to a cluster of ``role`` (every role when ``applies_to`` is unset; an
        undeclared role, None, may be any: ``evaluate`` makes a role-scoped check failing there ``unknown``)."""
        return self.applies_to is None or role is None or role in self.applies_to


@dataclass(frozen=True)
class Rubric:
    """A loaded rubric (``load``): the default merged with a profile and ``--rubric`` files (``sources``,
    in order). ``ready_above`` is percent; ``bands`` are score floors (percent) for the category marks;
    ``criteria`` are the readiness criteria as written (mappings with ``id``, ``text`` and
    ``checks``/``overall_above``/``blockers_resolved``); ``checks`` is keyed by check id."""

    version: str
    name: str
    stale_after_days: int
    ready_above: float
    require_blockers_resolved: bool
    labels: dict[str, str]
    bands: dict[str, float]
    categories: dict[str, Category]
    blockers: dict[str, Blocker]
    criteria: tuple[dict[str, Any], ...]
    checks: dict[str, CheckSpec]
    sources: tuple[str, ...] = field(default=())
    plugins: tuple[str, ...] = field(default=())
    """The plugins the rubric's layers name (``plugins:``), in order; installed entry points are loaded too."""

    def band(self, score: float, target: float | None = None) -> str:
        """The status mark of a score: ✅ when it meets its target (else the 'good' band), ⚠️ at or
        above the 'fair' band, else ❌."""
        if score >= (target if target is not None else self.bands.get("good", 90)):
            return "✅"
        return "⚠️" if score >= self.bands.get("fair", 50) else "❌"


class _Origins:
    """Where each key path of the merged document was written: (file, line)."""

    def __init__(self) -> None:
        self.at: dict[tuple[str, ...], tuple[str, int]] = {}

    def add(self, src: configfile.SourceFile) -> None:
        """The lines of ``src``'s keys; a later layer's line replaces an earlier one's."""
        for key, line in src.lines.items():
            self.at[tuple(str(k) for k in key)] = (src.path, line)

    def error(self, keys: tuple[str, ...], problem: str, hint: str | None = None) -> ConfigError:
        for n in range(len(keys), 0, -1):
            if keys[:n] in self.at:
                file, line = self.at[keys[:n]]
                return ConfigError(file, problem, line=line, hint=hint)
        return ConfigError(str(DEFAULT), problem, hint=hint)


def _read(path: Path, origins: _Origins) -> dict[str, Any]:
    src = configfile.SourceFile(path, "rubric")  # strict: UTF-8, no duplicated key
    origins.add(src)
    doc = src.doc
    if not isinstance(doc, dict):
        raise ConfigError(str(path), "a rubric must be a YAML mapping", line=1)
    return doc


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def profiles() -> list[str]:
    """The names of the packaged profiles (``rubrics/*.yaml`` other than the default)."""
    return sorted(p.stem for p in PROFILES.glob("*.yaml") if p != DEFAULT)


def profile_path(name: str, base: Path | None = None, *, where: str = "--rubric") -> Path:
    """A rubric file: ``name`` as a path (relative to ``base`` when given), else the packaged
    profile of that name; ``ConfigError`` naming the packaged profiles when neither exists."""
    candidate = (base / name) if base is not None else Path(name)
    if candidate.is_file():
        return candidate
    if (PROFILES / f"{name}.yaml").is_file():
        return PROFILES / f"{name}.yaml"
    raise ConfigError(where, f"no rubric file or profile '{name}'",
                      hint=f"packaged profiles: {', '.join(profiles()) or 'none'}; or give a rubric file's path")


def data_profile(data: Path | str) -> Path | None:
    """The profile the data directory's ``fleet.yaml`` selects (``rubric: NAME``), None when it names none."""
    fleet = Path(data) / FLEET_FILE
    if not fleet.is_file():
        return None
    doc, _ = configfile.load(fleet, "fleet file")  # ConfigError naming the file and line
    name = doc.get(PROFILE_KEY) if isinstance(doc, dict) else None
    if name is None:
        return None
    if not isinstance(name, str) or not name:
        raise ConfigError(str(fleet), f"'{PROFILE_KEY}' must name a rubric profile or file, got {name!r}",
                          hint=f"packaged profiles: {', '.join(profiles())}")
    return profile_path(name, Path(data), where=str(fleet))


def load(path: Path | str | None = None, *, known_checks: set[str] | None = None,
         data: Path | str | None = None) -> Rubric:
    """The default rubric, with the profile ``data``'s fleet.yaml selects and then ``path`` merged over it.

    ``path`` is a rubric file or the name of a packaged profile. Installed check plugins and the
    ``plugins:`` each layer names are imported first (``PluginError``, or ``ConfigError`` naming
    the layer's file and line for a named plugin). ``known_checks`` (default: the registry,
    plugins included) are the ids a rubric may name; an unknown id is an error naming the file
    and line. Thresholds are validated against each registered check's dataclass.
    """
    from readiness.assess.checks import plugins

    plugins.load_installed()
    origins = _Origins()
    doc = _read(DEFAULT, origins)
    sources = [str(DEFAULT)]
    named = _plugins(doc, DEFAULT, origins)
    layers = [data_profile(data)] if data is not None else []
    if path is not None:
        layers.append(profile_path(str(path)))
    for layer in layers:
        if layer is not None and layer.resolve() != DEFAULT.resolve():
            over = _read(layer, origins)
            named += [n for n in _plugins(over, layer, origins) if n not in named]
            doc = _merge(doc, over)
            sources.append(str(layer))
    if known_checks is None:
        from readiness.assess.checks import REGISTRY

        known_checks = set(REGISTRY)
    return replace(_build(doc, origins, known_checks, tuple(sources)), plugins=tuple(named))


def _plugins(doc: dict[str, Any], path: Path, origins: _Origins) -> list[str]:
    """Import the plugins one layer names (``plugins: [name, ...]``); errors name ``path`` and the line."""
    from readiness.assess.checks import plugins
    from readiness.errors import PluginError

    names = doc.get("plugins")
    if names is None:
        return []
    line = origins.at.get(("plugins",), (str(path), None))[1]
    if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
        raise ConfigError(str(path), f"'plugins' must be a list of module or entry-point names, got {names!r}",
                          line=line, hint="write plugins: [my_package.checks]")
    try:
        plugins.load(names)
    except PluginError as err:
        raise ConfigError(str(path), err.message, line=line, hint=err.hint) from None
    return list(names)


def _thresholds(cid: str, raw: Any, where: tuple[str, ...], origins: _Origins) -> dict[str, Any]:
    """The rubric's thresholds of check ``cid`` validated against its dataclass, with its defaults
    for the names left out; ``ConfigError`` naming the file, line, check id and accepted names."""
    from readiness.assess.checks import thresholds as th
    from readiness.assess.checks.base import THRESHOLDS

    cls = THRESHOLDS.get(cid)
    if cls is None:  # an id allowed by known_checks but not registered: nothing to check against
        return dict(raw or {}) if isinstance(raw, dict) else {}
    problem = th.validate(cls, raw)
    if problem is not None:
        at = (*where, "thresholds", problem.name) if problem.name else (*where, "thresholds")
        raise origins.error(at, f"check '{cid}': {problem.problem}", hint=problem.hint)
    return {**th.defaults(cls), **(raw or {})}


def _num(doc: dict[str, Any], key: str, where: tuple[str, ...], origins: _Origins, minimum: float = 0) -> float:
    value = doc.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise origins.error((*where, key), f"'{key}' must be a number >= {minimum}, got {value!r}")
    return float(value)


def _build(doc: dict[str, Any], origins: _Origins, known: set[str], sources: tuple[str, ...]) -> Rubric:
    for key in doc:
        if key not in TOP_KEYS:
            raise origins.error((key,), f"unknown rubric key '{key}'",
                                hint=f"known keys: {', '.join(sorted(TOP_KEYS))}")
    categories = {}
    for cid, c in (doc.get("categories") or {}).items():
        if not isinstance(c, dict):
            raise origins.error(("categories", cid), f"category '{cid}' must be a mapping")
        categories[cid] = Category(cid, str(c.get("name", cid)), _num(c, "weight", ("categories", cid), origins),
                                   c.get("target"))
    raw_checks = doc.get("checks") or {}
    blockers: dict[str, Blocker] = {}
    member: dict[str, list[str]] = {}
    for bid, b in (doc.get("blockers") or {}).items():
        crits = []
        for i, crit in enumerate(b.get("criteria") or []):
            ids = tuple(crit.get("checks") or ())
            for cid in ids:
                if cid not in raw_checks:
                    raise origins.error(("blockers", bid, "criteria"),
                                        f"blocker {bid} criterion {i + 1} names unknown check '{cid}'")
                if bid not in member.setdefault(cid, []):
                    member[cid].append(bid)
            crits.append(Criterion(str(crit.get("text", "")), ids))
        blockers[bid] = Blocker(bid, str(b.get("title", bid)), str(b.get("impact", "")),
                                str(b.get("resolution", "")), tuple(crits), risk=str(b.get("risk") or ""))
    checks = {}
    for cid, c in raw_checks.items():
        where = ("checks", cid)
        if cid not in known:
            raise origins.error(where, f"unknown check id '{cid}'",
                                hint="the rubric may only name registered checks; 'readiness checks' lists them")
        if not isinstance(c, dict):
            raise origins.error(where, f"check '{cid}' must be a mapping")
        for key in c:
            if key not in CHECK_KEYS:
                raise origins.error((*where, key), f"check '{cid}': unknown key '{key}'",
                                    hint=f"known keys: {', '.join(sorted(CHECK_KEYS))}")
        if c.get("category") not in categories:
            raise origins.error((*where, "category"), f"check '{cid}': unknown category {c.get('category')!r}",
                                hint=f"categories: {', '.join(categories)}")
        if c.get("severity") not in SEVERITIES:
            raise origins.error((*where, "severity"), f"check '{cid}': severity must be one of {', '.join(SEVERITIES)}")
        applies = c.get("applies_to")
        checks[cid] = CheckSpec(
            id=cid,
            title=str(c.get("title") or cid),
            category=str(c["category"]),
            weight=_num(c, "weight", where, origins),
            severity=str(c["severity"]),
            work_package=c.get("work_package"),
            applies_to=tuple(applies) if applies else None,
            thresholds=_thresholds(cid, c.get("thresholds"), where, origins),
            remediation=str(c.get("remediation") or ""),
            blockers=tuple(member.get(cid, ())),
        )
    for i, crit in enumerate(doc.get("criteria") or []):
        for cid in crit.get("checks") or ():
            if cid not in checks:
                raise origins.error(("criteria",), f"production criterion {i + 1} names unknown check '{cid}'")
    verdict = doc.get("verdict") or {}
    return Rubric(
        version=str(doc.get("version") or "unversioned"),
        name=str(doc.get("name") or ""),
        stale_after_days=int(doc.get("stale_after_days") or 8),
        ready_above=_num(verdict, "ready_above", ("verdict",), origins),
        require_blockers_resolved=bool(verdict.get("blockers_resolved", True)),
        labels={"ready": str(verdict.get("ready", "READY")), "not_ready": str(verdict.get("not_ready", "NOT READY"))},
        bands={k: float(v) for k, v in (verdict.get("bands") or {"good": 90, "fair": 50}).items()},
        categories=categories,
        blockers=blockers,
        criteria=tuple(doc.get("criteria") or ()),
        checks=checks,
        sources=sources,
    )
