"""Talking to one cluster's API server: the official client for config, auth and transport; raw JSON pages.

Lists are read as JSON pages (``limit``/``continue``) and handed on item by item, never turned
into the client's generated models: deserializing models is many times slower and holds every
object at once. Pages are parsed once, by orjson (several times faster than ``json.loads`` on
API pages; the Kubernetes API's integers are int64, which orjson reads exactly). Every request
has a timeout; 429 and 5xx answers and connection failures are retried with exponential backoff
(``Retry-After`` is honoured).
"""

from __future__ import annotations

import json
import logging
import os
import random
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import urllib3
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from readiness.collect.catalogue import Resource, is_secret
from readiness.collect.targets import Target, kubeconfig_documents, named
from readiness.errors import CollectError

JSON = "application/json"
# ConfigMaps and other metadata-only kinds: ask for metadata alone, so their data never leaves the cluster.
METADATA_ONLY = "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER = 30.0
# ExecCredential versions kubectl accepts (v1alpha1 was removed in Kubernetes 1.24), oldest first.
EXEC_API_VERSIONS = ("client.authentication.k8s.io/v1beta1", "client.authentication.k8s.io/v1")
NO_CONNECTION = (urllib3.exceptions.NewConnectionError, urllib3.exceptions.ConnectTimeoutError, ConnectionRefusedError)


@dataclass(frozen=True)
class Settings:
    """How to talk to clusters: per-request ``timeout`` (s), ``retries`` after the first attempt,
    first ``backoff`` delay (s, doubled each retry), and items per list page."""

    timeout: float = 30.0
    retries: int = 3
    backoff: float = 0.5
    page_size: int = 500


class HTTPFailure(Exception):
    """The API server answered with a non-2xx status (after retries, for retryable ones)."""

    def __init__(self, status: int, message: str, body: dict[str, Any] | None = None) -> None:
        self.status, self.message, self.body = status, message, body or {}
        super().__init__(f"HTTP {status}: {message}")


class ConnectionFailure(Exception):
    """No answer (after retries). ``connect`` is True when no connection could be made at all
    (refused, DNS, TLS, connect timeout), False when an open request timed out or broke."""

    def __init__(self, message: str, connect: bool) -> None:
        self.connect = connect
        super().__init__(message)


class Cancelled(Exception):
    """The run was interrupted (Ctrl-C, SIGTERM): stop before the next request."""


@dataclass(frozen=True)
class Located:
    """Where a catalogue resource is listed on this server."""

    version: str
    plural: str


@dataclass(frozen=True)
class Unlisted:
    """Why a catalogue resource is not listed: coverage ``outcome`` (absent/forbidden/error/skipped) and detail."""

    outcome: str
    detail: str


def exec_problem(target: Target) -> str | None:
    """Why the context's exec credential plugin cannot work, before running it: an ``apiVersion``
    kubectl no longer accepts, or a command not found; None when there is no plugin or it looks fine."""
    if target.in_cluster or not target.kubeconfig:
        return None
    docs = kubeconfig_documents(target.kubeconfig)
    user_name = named(docs, "contexts", target.context, "context").get("user")
    plugin = named(docs, "users", user_name, "user").get("exec")
    if not isinstance(plugin, dict):
        return None
    version, command = str(plugin.get("apiVersion") or ""), str(plugin.get("command") or "")
    hint = " ".join(str(plugin.get("installHint") or "").split())[:160]
    if version not in EXEC_API_VERSIONS:
        return (f"exec credential plugin '{command}' of user '{user_name}' asks for apiVersion '{version or 'none'}', "
                f"which is no longer supported; use {EXEC_API_VERSIONS[-1]} (regenerate the kubeconfig entry)")
    base = Path(target.kubeconfig.split(os.pathsep)[0]).expanduser().parent
    found = shutil.which(command) if "/" not in command else (
        command if Path(base, command).is_file() else None)
    if not command or not found:
        return (f"exec credential plugin '{command}' of user '{user_name}' is not installed (not found on PATH)"
                + (f": {hint}" if hint else ""))
    return None


class _Errors(logging.Handler):
    """Collects this thread's error log records: the client logs a failing exec plugin instead of raising."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.thread = threading.get_ident()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.messages.append(record.getMessage())


def api_client(target: Target) -> client.ApiClient:
    """An ApiClient for ``target`` (kubeconfig context or in-cluster service account), without urllib3 retries.

    Raises ``CollectError`` naming the real cause when the context cannot authenticate: an exec
    credential plugin that is missing, asks for a retired apiVersion, or fails when run.
    """
    cfg = client.Configuration()
    where = "in-cluster config" if target.in_cluster else f"context '{target.context}' of {target.kubeconfig}"
    hint = "check the kubeconfig with 'kubectl --context NAME get ns'"
    problem = exec_problem(target)
    if problem:
        raise CollectError(target.cluster, f"cannot authenticate with {where}: {problem}", hint=hint)
    errors = _Errors()
    logging.getLogger().addHandler(errors)
    try:
        if target.in_cluster:
            config.load_incluster_config(client_configuration=cfg)
        else:
            config.load_kube_config(config_file=target.kubeconfig, context=target.context,
                                    client_configuration=cfg, persist_config=False)
    except (config.ConfigException, OSError, ValueError, KeyError, TypeError) as err:
        raise CollectError(target.cluster, f"cannot load {where}: {_one_line(err)}", hint=hint) from None
    finally:
        logging.getLogger().removeHandler(errors)
    if errors.messages:  # the client logged why its exec plugin failed, and would go on without credentials
        raise CollectError(target.cluster, f"cannot authenticate with {where}: exec credential plugin failed: "
                           f"{_one_line(errors.messages[0])}", hint=hint)
    cfg.retries = False  # retried here, with backoff, where it is safe
    return client.ApiClient(cfg)


def _one_line(err: object) -> str:
    text = " ".join(str(err).split())
    return text[:300] + ("..." if len(text) > 300 else "")


def _status_message(status: int, data: bytes) -> tuple[str, dict[str, Any]]:
    try:
        body = json.loads(data) if data else {}
    except ValueError:
        return _one_line(data[:300].decode("utf-8", "replace")) or f"HTTP {status}", {}
    if not isinstance(body, dict):
        return f"HTTP {status}", {}
    return _one_line(body.get("message") or body.get("reason") or f"HTTP {status}"), body


class Transport:
    """GETs JSON from one cluster with timeouts and retries."""

    def __init__(self, api: client.ApiClient, cluster: str, settings: Settings,
                 cancel: threading.Event | None = None) -> None:
        self.api, self.cluster, self.settings = api, cluster, settings
        self.cancel = cancel or threading.Event()
        self.requests = 0

    def _send(self, path: str, query: list[tuple[str, Any]], accept: str) -> tuple[int, bytes, str | None]:
        timeout = self.settings.timeout
        headers = {"Accept": accept}
        if hasattr(self.api, "param_serialize"):  # kubernetes >= 34: the OpenAPI generator's new client
            method, url, hdrs, _, _ = self.api.param_serialize(
                "GET", path, query_params=query, header_params=headers, auth_settings=["BearerToken"])
            resp = self.api.call_api(method, url, header_params=hdrs, _request_timeout=timeout)
            return resp.status, resp.read() or b"", resp.getheader("Retry-After")
        legacy: Any = self.api
        try:  # older clients: call_api(..., _preload_content=False) returns the urllib3 response
            raw = legacy.call_api(path, "GET", query_params=query, header_params=headers,
                                    auth_settings=["BearerToken"], _preload_content=False,
                                    _return_http_data_only=True, _request_timeout=timeout)
            return raw.status, raw.data, raw.headers.get("Retry-After")
        except ApiException as err:
            if not err.status:
                raise
            body = err.body if isinstance(err.body, bytes) else str(err.body or "").encode()
            return err.status, body, (err.headers or {}).get("Retry-After")

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        if retry_after:
            try:
                return min(max(float(retry_after), 0.0), MAX_RETRY_AFTER)
            except ValueError:
                pass
        base: float = self.settings.backoff * (2 ** attempt)  # int ** int is typed Any (a negative power is a float)
        return base * (0.5 + random.random() / 2)

    def get(self, path: str, query: list[tuple[str, Any]] | None = None, accept: str = JSON) -> dict[str, Any]:
        """The JSON object at ``path``; raises ``HTTPFailure`` or ``ConnectionFailure``."""
        query = query or []
        attempts = self.settings.retries + 1
        for attempt in range(attempts):
            if self.cancel.is_set():
                raise Cancelled(self.cluster)
            last = attempt == attempts - 1
            self.requests += 1
            try:
                status, data, retry_after = self._send(path, query, accept)
            except (urllib3.exceptions.HTTPError, OSError) as err:
                if last:
                    connect = isinstance(err, NO_CONNECTION)
                    raise ConnectionFailure(f"{path}: {_one_line(err)}", connect) from None
                time.sleep(self._delay(attempt, None))
                continue
            except ApiException as err:  # TLS failures: retrying will not help
                raise ConnectionFailure(f"{path}: {_one_line(err.reason)}", True) from None
            if 200 <= status < 300:
                try:
                    body = orjson.loads(data)
                except ValueError:  # orjson.JSONDecodeError is one
                    raise HTTPFailure(status, f"{path}: response is not JSON") from None
                if not isinstance(body, dict):
                    raise HTTPFailure(status, f"{path}: response is not a JSON object")
                return body
            if status in RETRY_STATUSES and not last:
                time.sleep(self._delay(attempt, retry_after))
                continue
            message, body = _status_message(status, data)
            raise HTTPFailure(status, message, body)
        raise AssertionError("unreachable")  # pragma: no cover


@dataclass
class Discovery:
    """What one API server serves: groups with their versions, and each fetched group version's kinds."""

    transport: Transport
    groups: dict[str, tuple[str, list[str]]] = field(default_factory=dict)  # group -> (preferred, all versions)
    _kinds: dict[str, dict[str, tuple[str, bool]] | HTTPFailure | ConnectionFailure] = field(default_factory=dict)

    @classmethod
    def fetch(cls, transport: Transport) -> Discovery:
        """Read ``/api`` and ``/apis``; raises ``HTTPFailure``/``ConnectionFailure`` when the server cannot be read."""
        disc = cls(transport)
        core = transport.get("/api").get("versions") or []
        if core:
            disc.groups[""] = ("v1" if "v1" in core else core[0], list(core))
        for g in transport.get("/apis").get("groups") or []:
            versions = [v.get("version") for v in g.get("versions") or [] if v.get("version")]
            preferred = (g.get("preferredVersion") or {}).get("version") or (versions[0] if versions else None)
            if g.get("name") and preferred:
                disc.groups[g["name"]] = (preferred, versions)
        return disc

    def kinds(self, group: str, version: str) -> dict[str, tuple[str, bool]] | HTTPFailure | ConnectionFailure:
        """kind -> (plural resource, namespaced) served at ``group/version``, or why that could not be read."""
        gv = f"{group}/{version}" if group else version
        if gv not in self._kinds:
            path = f"/apis/{gv}" if group else f"/api/{version}"
            try:
                listing = self.transport.get(path)
                found: dict[str, tuple[str, bool]] = {}
                for r in listing.get("resources") or []:
                    name, kind = r.get("name") or "", r.get("kind") or ""
                    if "/" not in name and kind and kind not in found:
                        found[kind] = (name, bool(r.get("namespaced")))
                self._kinds[gv] = found
            except (HTTPFailure, ConnectionFailure) as err:
                self._kinds[gv] = err
        return self._kinds[gv]

    def locate(self, res: Resource) -> Located | Unlisted:
        """Where to list ``res``: the catalogue's version when served, else the group's preferred one, else any."""
        if res.group not in self.groups:
            return Unlisted("absent", f"API group {res.group or 'core'} is not served")
        preferred, versions = self.groups[res.group]
        order = [res.version, preferred, *versions]
        failure: HTTPFailure | ConnectionFailure | None = None
        for version in dict.fromkeys(v for v in order if v in versions or v == preferred):
            kinds = self.kinds(res.group, version)
            if isinstance(kinds, HTTPFailure | ConnectionFailure):
                failure = failure or kinds
                continue
            if res.kind in kinds:
                plural = kinds[res.kind][0]
                if is_secret(res.group, res.kind, plural):
                    return Unlisted("skipped", "Secrets are never collected")
                return Located(version, plural)
        if isinstance(failure, HTTPFailure) and failure.status == 403:
            return Unlisted("forbidden", f"discovery: {failure.message}")
        if failure is not None and not (isinstance(failure, HTTPFailure) and failure.status == 404):
            return Unlisted("error", f"discovery: {failure}")
        return Unlisted("absent", f"{res.group or 'core'} serves no kind {res.kind}")


def list_path(group: str, version: str, plural: str) -> str:
    """The cluster-wide list path of a resource (all namespaces for namespaced kinds)."""
    return f"/apis/{group}/{version}/{plural}" if group else f"/api/{version}/{plural}"


def pages(transport: Transport, path: str, page_size: int, accept: str = JSON) -> Iterator[list[dict[str, Any]]]:
    """Each page's ``items`` of the list at ``path``, following ``continue`` tokens.

    An expired continue token (410) is followed by the token the server offers with it, so the
    list goes on (from a newer resource version) instead of starting over. A token the server
    already gave (a repeating or cycling server) would list for ever: the listing stops with
    ``HTTPFailure`` (coverage ``error``) naming the page.
    """
    token: str | None = None
    seen: set[str] = set()
    page = 0
    while True:
        if token in seen:
            raise HTTPFailure(200, f"{path}: the server sent continue token {_one_line(token)[:40]!r} again "
                                   f"after page {page}; listing stopped (a server bug: the list would never end)")
        if token:
            seen.add(token)
        query: list[tuple[str, Any]] = [("limit", page_size)]
        if token:
            query.append(("continue", token))
        try:
            body = transport.get(path, query, accept)
        except HTTPFailure as err:
            fresh = (err.body.get("metadata") or {}).get("continue") if err.status == 410 else None
            if not token or not fresh or fresh == token:
                raise
            token = fresh
            continue
        items = body.get("items") or []
        page += 1
        yield items
        token = (body.get("metadata") or {}).get("continue") or None
        if not token:
            return
