"""Checks from installed packages: the entry-point group ``readiness.checks`` and a rubric's ``plugins:``.

A plugin is a module that registers checks with ``@check`` when imported. A package declares it
in its ``pyproject.toml``::

    [project.entry-points."readiness.checks"]
    example = "readiness_plugin_example.checks"

Every installed entry point of the group is imported the first time a rubric is loaded
(``readiness.assess.rubric.load``), so the CLI and the notebook kernels see the same checks. A rubric
may also name plugins (``plugins: [example, my_company.checks]``): an entry-point name of the
group, else a module importable on ``sys.path`` (for checks of one's own that are not packaged).

A plugin that fails to import, or registers an id another check already has, raises
``PluginError``: one line naming the plugin, the cause and what to do. Its checks registered
before the failure are removed again, so no half-loaded plugin stays behind.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from importlib.metadata import EntryPoint, entry_points

from readiness.assess.checks.base import REGISTRY, THRESHOLDS
from readiness.errors import DuplicateCheckError, PluginError

GROUP = "readiness.checks"
# What was loaded: plugin name (entry-point name or module) -> the module imported.
LOADED: dict[str, str] = {}
_installed_done = False


def installed() -> list[EntryPoint]:
    """The entry points of group ``readiness.checks`` of every installed distribution, by name."""
    return sorted(entry_points(group=GROUP), key=lambda ep: ep.name)


def _import(plugin: str, module: str, how: str) -> None:
    """Import ``module`` for ``plugin``; ``PluginError`` on failure, with the plugin's checks removed."""
    before = set(REGISTRY)
    try:
        importlib.import_module(module)
    except DuplicateCheckError as err:
        _forget(before)
        raise PluginError(plugin, f"registers check id '{err.check_id}', which {err.first} already registers",
                          hint=f"rename the check in {err.second}, or uninstall one of the two") from None
    except Exception as err:
        _forget(before)
        text = " ".join(str(err).split())[:160]
        hint = (f"fix or reinstall the package that provides '{module}', or pip uninstall it"
                if how == "entry point" else
                f"make '{module}' importable (pip install its package, or set PYTHONPATH), "
                f"or drop it from the rubric's plugins:; installed entry points of {GROUP}: "
                f"{', '.join(ep.name for ep in installed()) or 'none'}")
        raise PluginError(plugin, f"{how} '{module}' failed to import ({type(err).__name__}: {text})",
                          hint=hint) from None
    LOADED[plugin] = module


def _forget(before: set[str]) -> None:
    for check_id in set(REGISTRY) - before:
        del REGISTRY[check_id]
        THRESHOLDS.pop(check_id, None)


def load_installed() -> list[str]:
    """Import every installed entry point of group ``readiness.checks`` (once per process).

    Returns the plugin names loaded; ``PluginError`` for the first that fails."""
    global _installed_done
    if not _installed_done:
        for ep in installed():
            if ep.name not in LOADED:
                _import(ep.name, ep.module, "entry point")
        _installed_done = True
    return [ep.name for ep in installed()]


def load(names: Iterable[str]) -> list[str]:
    """Import the plugins ``names`` (a rubric's ``plugins:``): each an entry-point name of group
    ``readiness.assess.checks``, else a module name. Returns the modules imported; ``PluginError``
    for the first that fails."""
    by_name = {ep.name: ep for ep in installed()}
    out = []
    for name in names:
        ep = by_name.get(name)
        module = ep.module if ep is not None else name
        if name not in LOADED:
            _import(name, module, "entry point" if ep is not None else "module")
        out.append(module)
    return out
