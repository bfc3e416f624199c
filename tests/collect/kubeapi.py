"""A small Kubernetes-API-speaking HTTP server for tests and the collect benchmark.

It serves discovery (``/api``, ``/apis``, ``/api/v1``, ``/apis/GROUP/VERSION``) and cluster-wide
lists with ``limit``/``continue`` (``PartialObjectMetadataList`` too), checks the bearer token,
records every path requested, and can be told to fail a path (any status, a number of times,
``Retry-After``) or to answer it too slowly. ``freeze()`` pre-encodes every page so that a
benchmark measures the client, not this server.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

TOKEN = "test-token"
METADATA_LIST = "as=PartialObjectMetadataList"


@dataclass
class Fault:
    """Answer ``status`` (``times`` times, or always when None) or sleep ``delay`` seconds first."""

    status: int = 500
    times: int | None = None
    delay: float = 0.0
    retry_after: str | None = None
    only_continue: bool = False  # fail only requests that carry a continue token
    body: dict[str, Any] | None = None


def plural_of(kind: str) -> str:
    lower = kind.lower()
    if lower.endswith("chaos"):
        return lower
    if lower.endswith(("s", "x")):
        return lower + "es"
    if lower.endswith("y") and not lower.endswith(("ay", "ey")):
        return lower[:-1] + "ies"
    return lower + "s"


def _token(offset: int, rv: str = "4711") -> str:
    # Base64 with padding and '+'/'/' chances, so the client must URL-encode it.
    return base64.b64encode(json.dumps({"rv": rv, "start": offset, "pad": "?>"}).encode()).decode()


def _offset(token: str) -> int:
    return int(json.loads(base64.b64decode(token))["start"])


class KubeAPI:
    """The server's state: kinds served per group version, objects per list path, faults, requests seen."""

    def __init__(self, token: str | None = TOKEN) -> None:
        self.token = token  # None: no authentication (kubectl sends no bearer token over plain HTTP)
        self.kinds: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.objects: dict[str, list[dict[str, Any]]] = {}
        self.list_types: dict[str, tuple[str, str]] = {}  # list path -> (apiVersion, kind) of its list, PodList
        self.faults: dict[str, Fault] = {}
        self.requests: list[str] = []
        self.accepts: dict[str, str] = {}
        self.frozen: dict[tuple[str, int, int, bool], bytes] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- content -----------------------------------------------------------------------------
    def serve_kind(self, group: str, version: str, kind: str, plural: str | None = None,
                   namespaced: bool = True) -> str:
        """Make ``group/version`` serve ``kind``; return its list path."""
        plural = plural or plural_of(kind)
        entries = self.kinds.setdefault((group, version), [])
        if not any(e["kind"] == kind for e in entries):
            entries.append({"name": plural, "singularName": kind.lower(), "namespaced": namespaced, "kind": kind,
                            "verbs": ["get", "list", "watch"]})
            entries.append({"name": f"{plural}/status", "singularName": "", "namespaced": namespaced, "kind": kind,
                            "verbs": ["get", "patch", "update"]})
        path = f"/apis/{group}/{version}/{plural}" if group else f"/api/{version}/{plural}"
        self.objects.setdefault(path, [])
        self.list_types.setdefault(path, (f"{group}/{version}" if group else version, f"{kind}List"))
        return path

    def add(self, objects: Iterable[dict[str, Any]], plurals: dict[tuple[str, str], str] | None = None) -> None:
        """Serve ``objects`` (full Kubernetes JSON with apiVersion and kind)."""
        for obj in objects:
            group, _, version = obj["apiVersion"].rpartition("/")
            plural = (plurals or {}).get((group, obj["kind"]))
            namespaced = bool(obj.get("metadata", {}).get("namespace"))
            path = self.serve_kind(group, version, obj["kind"], plural, namespaced)
            self.objects[path].append(obj)

    def fail(self, path: str, status: int = 500, **kw: Any) -> None:
        self.faults[path] = Fault(status=status, **kw)

    def freeze(self, limit: int, metadata_only: bool = False) -> None:
        """Pre-encode every page of every list for ``limit`` (as full objects, or metadata only)."""
        for path in self.objects:
            for start in range(0, max(len(self.objects[path]), 1), limit):
                self.frozen[(path, limit, start, metadata_only)] = self._page(path, limit, start, metadata_only)

    # --- HTTP ----------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self, port: int = 0) -> str:
        api = self

        class Handler(_Handler):
            server_api = api

        self._server = _Server(("127.0.0.1", port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self.url

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)

    def paths(self) -> list[str]:
        """The paths requested so far, without query strings."""
        return [r.split("?")[0] for r in self.requests]

    # --- answers -------------------------------------------------------------------------------
    def _page(self, path: str, limit: int, start: int, meta_only: bool) -> bytes:
        items = self.objects[path]
        page = items[start:start + limit] if limit else items[start:]
        end = start + len(page)
        meta: dict[str, Any] = {"resourceVersion": "4711"}
        if limit and end < len(items):
            meta["continue"] = _token(end)
            meta["remainingItemCount"] = len(items) - end
        if meta_only:
            page = [{"apiVersion": "meta.k8s.io/v1", "kind": "PartialObjectMetadata", "metadata": o.get("metadata", {})}
                    for o in page]
            body = {"apiVersion": "meta.k8s.io/v1", "kind": "PartialObjectMetadataList", "metadata": meta,
                    "items": page}
        else:
            if _built_in(path):  # as kube-apiserver does (kubernetes#3030): built-in lists' items have no type
                page = [{k: v for k, v in o.items() if k not in ("apiVersion", "kind")} for o in page]
            api_version, list_kind = self.list_types.get(path, ("v1", "List"))
            body = {"apiVersion": api_version, "kind": list_kind, "metadata": meta, "items": page}
        return json.dumps(body).encode()

    def answer(self, path: str, query: dict[str, list[str]], accept: str) -> tuple[int, bytes, dict[str, str]]:
        if path == "/api":
            return 200, _json({"kind": "APIVersions", "versions": ["v1"]}), {}
        if path == "/apis":
            groups = []
            for group in sorted({g for g, _ in self.kinds if g}):
                versions = sorted(v for g, v in self.kinds if g == group)
                gvs = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
                groups.append({"name": group, "versions": gvs, "preferredVersion": gvs[-1]})
            return 200, _json({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}), {}
        parts = path.strip("/").split("/")
        gv: tuple[str, str] | None = None
        if len(parts) == 2 and parts[0] == "api":
            gv = ("", parts[1])
        elif len(parts) == 3 and parts[0] == "apis":
            gv = (parts[1], parts[2])
        if gv is not None:
            if gv not in self.kinds:
                return _status(404, "NotFound", f"the server could not find the requested resource ({path})")
            group_version = f"{gv[0]}/{gv[1]}" if gv[0] else gv[1]
            return 200, _json({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version,
                               "resources": self.kinds[gv]}), {}
        if path not in self.objects:
            return _status(404, "NotFound", f"the server could not find the requested resource ({path})")
        limit = int(query.get("limit", ["0"])[0] or 0)
        token = query.get("continue", [""])[0]
        try:
            start = _offset(token) if token else 0
        except ValueError:
            return _status(400, "BadRequest", "continue token is not valid")
        meta_only = METADATA_LIST in accept
        page = self.frozen.get((path, limit, start, meta_only)) or self._page(path, limit, start, meta_only)
        return 200, page, {}


def _built_in(path: str) -> bool:
    """Whether ``path`` lists a built-in type (core, or a group without a dot or under ``k8s.io``), whose
    list items kube-apiserver sends without ``apiVersion`` and ``kind``; custom resources keep theirs."""
    if path.startswith("/api/"):
        return True
    group = path.split("/")[2]
    return "." not in group or group.endswith(".k8s.io")


def _json(body: Any) -> bytes:
    return json.dumps(body).encode()


def _status(code: int, reason: str, message: str, extra: dict[str, Any] | None = None) -> tuple[int, bytes, dict]:
    body = {"kind": "Status", "apiVersion": "v1", "metadata": extra or {}, "status": "Failure", "message": message,
            "reason": reason, "code": code}
    return code, _json(body), {}


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:  # a client that timed out and left
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_api: KubeAPI

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)
        except OSError:  # the client gave up (a timeout test)
            self.close_connection = True

    def do_GET(self) -> None:
        api = self.server_api
        url = urlsplit(self.path)
        with api._lock:
            api.requests.append(self.path)
            api.accepts[url.path] = self.headers.get("Accept", "")
            fault = api.faults.get(url.path)
            query = parse_qs(url.query)
            if fault and fault.only_continue and "continue" not in query:
                fault = None
            if fault and fault.times is not None:
                if fault.times <= 0:
                    fault = None
                else:
                    fault.times -= 1
        if api.token is not None and self.headers.get("Authorization") != f"Bearer {api.token}":
            self._send(*_status(401, "Unauthorized", "Unauthorized"))
            return
        if fault:
            if fault.delay:
                api._stopping.wait(fault.delay)
                self.close_connection = True
            if fault.status:
                code, body, headers = _status(fault.status, "Injected", f"injected {fault.status} for {url.path}",
                                              (fault.body or {}).get("metadata"))
                if fault.retry_after is not None:
                    headers = {"Retry-After": fault.retry_after}
                self._send(code, body, headers)
                return
        self._send(*api.answer(url.path, query, self.headers.get("Accept", "")))


def write_kubeconfig(path: Path, servers: dict[str, str], token: str = TOKEN, current: str | None = None) -> Path:
    """A kubeconfig with one context per ``servers`` entry (context name -> server URL), bearer-token auth."""
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": n, "cluster": {"server": url}} for n, url in servers.items()],
        "users": [{"name": "reader", "user": {"token": token}}],
        "contexts": [{"name": n, "context": {"cluster": n, "user": "reader"}} for n in servers],
        "current-context": current or next(iter(servers)),
    }
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path
