"""Which clusters to collect: kubeconfig contexts (as ``kubectl`` finds them) or the pod's own cluster.

A cluster's name in the data is its context name, unless ``--cluster-name CONTEXT=NAME`` maps it.
Names become directory names (``cluster=NAME``), so characters other than letters, digits, ``.``,
``_`` and ``-`` in a context name are replaced by ``-`` (EKS contexts are ARNs).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from kubernetes import config

from readiness.errors import CollectError, ConfigError

IN_CLUSTER = "in-cluster"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_TOKEN = Path("/var/run/secrets/kubernetes.io/serviceaccount/token")


@dataclass(frozen=True)
class Target:
    """One cluster to collect: its ``cluster`` name in the data and how to reach it."""

    cluster: str
    context: str | None = None
    kubeconfig: str | None = None
    in_cluster: bool = False
    aliases: tuple[str, ...] = ()  # other contexts on the same cluster (same server and CA), not collected again

    @property
    def note(self) -> str | None:
        """One line saying which contexts were folded into this one, or None."""
        if not self.aliases:
            return None
        return (f"context(s) {', '.join(self.aliases)} point at the same cluster (same server and CA) "
                f"as '{self.context}': collected once")


def default_kubeconfig() -> str:
    """``$KUBECONFIG`` (a list of files, merged), else ``~/.kube/config``: where ``kubectl`` looks."""
    return os.environ.get("KUBECONFIG") or str(Path("~/.kube/config").expanduser())


def running_in_cluster() -> bool:
    """True inside a pod with a service account token (and no kubeconfig was asked for)."""
    return bool(os.environ.get("KUBERNETES_SERVICE_HOST")) and _TOKEN.is_file()


def cluster_name(context: str) -> str:
    """A context name made safe for a partition directory."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", context).strip("-.")
    return safe or "cluster"


def check_name(name: str) -> str:
    """``name`` when it can name a cluster in the data; else ``CollectError``."""
    if not _NAME.fullmatch(name):  # fullmatch: '$' would let a trailing newline through
        raise CollectError(name.encode("unicode_escape").decode(), "is not a usable cluster name",
                           hint="use letters, digits, '.', '_' and '-' only, starting with a letter or digit")
    return name


def parse_names(values: tuple[str, ...] | list[str]) -> tuple[dict[str, str], str | None]:
    """``--cluster-name`` values: ``CONTEXT=NAME`` pairs, and at most one bare ``NAME``."""
    mapping: dict[str, str] = {}
    bare: str | None = None
    for value in values:
        context, sep, name = value.rpartition("=")
        if not sep:
            if bare is not None:
                raise CollectError(value, "more than one --cluster-name without CONTEXT=",
                                   hint="map each context: --cluster-name CONTEXT=NAME")
            bare = name
        else:
            mapping[context] = name
    for name in [*mapping.values(), *([bare] if bare else [])]:
        check_name(name)
    return mapping, bare


def resolve(kubeconfig: str | None, contexts: tuple[str, ...] | list[str], all_contexts: bool,
            in_cluster: bool, names: tuple[str, ...] | list[str]) -> list[Target]:
    """The clusters to collect, in order; raises ``CollectError`` for unknown contexts or clashing names."""
    mapping, bare = parse_names(names)
    if in_cluster or (not kubeconfig and not contexts and not all_contexts and running_in_cluster()
                      and not Path(default_kubeconfig()).is_file()):
        if contexts or all_contexts:
            raise CollectError(IN_CLUSTER, "--in-cluster cannot be combined with --context/--all-contexts")
        return [Target(bare or mapping.get(IN_CLUSTER) or IN_CLUSTER, in_cluster=True)]
    path = kubeconfig or default_kubeconfig()
    try:
        known, current = config.list_kube_config_contexts(config_file=path)
    except (config.ConfigException, OSError, yaml.YAMLError, UnicodeDecodeError) as err:
        raise ConfigError(path, f"cannot read kubeconfig: {' '.join(str(err).split())}",
                          hint="pass --kubeconfig FILE, or --in-cluster inside a pod") from None
    names_known = [c["name"] for c in known or []]
    if all_contexts:
        chosen = names_known
    elif contexts:
        missing = [c for c in contexts if c not in names_known]
        if missing:
            raise CollectError(missing[0], f"no such context in {path}",
                               hint=f"known contexts: {', '.join(names_known) or 'none'}")
        chosen = list(dict.fromkeys(contexts))
    elif current:
        chosen = [current["name"]]
    else:
        raise ConfigError(path, "kubeconfig has no current context", hint="pass --context NAME or --all-contexts")
    unknown = [c for c in mapping if c not in chosen]
    if unknown:
        raise CollectError(unknown[0], "--cluster-name maps a context that is not being collected",
                           hint=f"collecting: {', '.join(chosen)}")
    if bare is not None and len(chosen) != 1:
        raise CollectError(bare, "a bare --cluster-name needs exactly one context",
                           hint="map each context: --cluster-name CONTEXT=NAME")
    chosen, aliases = _one_per_cluster(path, chosen, mapping)
    targets = [Target(bare or mapping.get(c) or cluster_name(c), context=c, kubeconfig=path,
                      aliases=tuple(aliases.get(c, ()))) for c in chosen]
    seen: dict[str, str] = {}
    for t in targets:
        if t.cluster in seen:
            raise CollectError(t.cluster, f"contexts '{seen[t.cluster]}' and '{t.context}' would share this name",
                               hint="give one of them another name: --cluster-name CONTEXT=NAME")
        seen[t.cluster] = str(t.context)
    return targets


def kubeconfig_documents(path: str) -> list[dict[str, Any]]:
    """The kubeconfig files of ``path`` (a ``KUBECONFIG``-style list), parsed; unreadable ones skipped."""
    docs = []
    for part in path.split(os.pathsep):
        try:
            doc = yaml.safe_load(Path(part).expanduser().read_text())
        except (OSError, yaml.YAMLError):
            continue
        if isinstance(doc, dict):
            docs.append(doc)
    return docs


def named(docs: list[dict[str, Any]], section: str, name: str | None, key: str) -> dict[str, Any]:
    """The ``key`` body of the entry ``name`` in ``section`` (``contexts``, ``clusters``, ``users``),
    first file first, as kubectl merges; ``{}`` when absent."""
    for doc in docs:
        for entry in doc.get(section) or []:
            if isinstance(entry, dict) and entry.get("name") == name and isinstance(body := entry.get(key), dict):
                return body
    return {}


def _cluster_identity(docs: list[dict[str, Any]], context: str) -> tuple[str, str] | None:
    """(server, CA) of a context's cluster, the CA as its data or the content of its file; None when unknown."""
    cluster = named(docs, "clusters", named(docs, "contexts", context, "context").get("cluster"), "cluster")
    server = str(cluster.get("server") or "").rstrip("/")
    if not server:
        return None
    ca = str(cluster.get("certificate-authority-data") or "")
    if not ca and cluster.get("certificate-authority"):
        try:
            ca = Path(str(cluster["certificate-authority"])).expanduser().read_text()
        except OSError:
            ca = str(cluster["certificate-authority"])
    return server, ca.strip()


def _one_per_cluster(path: str, chosen: list[str], mapping: dict[str, str]) -> tuple[list[str], dict[str, list[str]]]:
    """Contexts to collect, one per cluster (same server and CA), and the contexts folded into each.

    A context named by ``--cluster-name CONTEXT=NAME`` is always kept: the user asked for it by name.
    """
    if len(chosen) < 2:
        return chosen, {}
    docs = kubeconfig_documents(path)
    first: dict[tuple[str, str], str] = {}
    kept: list[str] = []
    aliases: dict[str, list[str]] = {}
    for c in chosen:
        ident = _cluster_identity(docs, c)
        if ident is not None and ident in first and c not in mapping:
            aliases.setdefault(first[ident], []).append(c)
            continue
        if ident is not None:
            first.setdefault(ident, c)
        kept.append(c)
    return kept, aliases
