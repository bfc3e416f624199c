"""A data directory in object storage (``s3://bucket/prefix`` and the other fsspec URLs).

Layout under the URL (see docs/storage.md):

- ``TABLE/cluster=C/date=D/<snapshot_id>.<unique>.parquet``: a snapshot's files of the tables
  objects, coverage and snapshots, each uploaded under a name no other upload uses;
- ``manifests/cluster=C/date=D/<snapshot_id>.json``: one small object per committed snapshot,
  written after its files, naming them (``{"format": 1, "cluster", "snapshot_id", "collected_at",
  "files": {TABLE: KEY}}``). A snapshot without a manifest does not exist for readers: a
  collector killed mid-upload leaves unlisted files and nothing visible;
- ``findings/digest=K/<unique>.parquet``: stored findings, one segment per run (never merged);
- ``*.yaml``/``*.csv`` at the top (fleet.yaml, waivers.yaml, attestations.yaml, plan.yaml ...).

Commands work on a local mirror of the URL (``mirror``): each committed snapshot's files are
downloaded once (names are never reused, so a downloaded file never goes stale), a snapshot whose
manifest changed is downloaded again, one whose manifest is gone is removed (each file's
modification time derived from its key, so that the findings one machine stores are reused by
all: ``_same_stamp``); then every reader
sees the usual local layout (``full=False``, a writer's view, brings only the snapshots table;
``clusters=[...]``, a reader of some clusters such as ``metrics --cluster C``, brings only their
snapshots and no stored findings, and stores none: ``partial``).
Writes go to the mirror first, then up (``commit_snapshot``,
``upload``). Credentials come from the filesystem library's usual chain (for S3: AWS_* variables,
profiles, web identity, instance roles); none is ever written, to the bucket or the mirror (the
mirror's ``.remote`` file holds the URL only, without any user:password part).

fsspec and its S3 implementation (s3fs) are imported only here, only for a URL
(``pip install 'readiness[s3]'``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from readiness.errors import ReadinessError

MANIFESTS = "manifests"
FORMAT = 1
CACHE_ENV = "READINESS_CACHE"
REMOTE_FILE = ".remote"  # in a mirror: the URL it mirrors (never a credential)
_STATE = ".mirrored.json"  # in a mirror: manifest key -> its ETag/size and the local files it brought
_TABLES = ("objects", "coverage", "snapshots")
_TOP = re.compile(r"[^/]+\.(ya?ml|csv|md)$")
_FLEET = ".clusters.json"  # in a mirror: every cluster with a manifest, as last listed
_synced: set[tuple[str, Path, bool, tuple[str, ...] | None]] = set()  # (URL, mirror, full, clusters) synced here
_partial: set[Path] = set()  # mirrors this process synced for some clusters only (``partial``)


def is_url(value: str | os.PathLike[str] | None) -> bool:
    """True for ``scheme://...`` other than ``file://`` (a local path is never a URL)."""
    if value is None or isinstance(value, Path):
        return False
    text = str(value)
    return bool(re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", text)) and not text.startswith("file://")


def _clean(url: str) -> str:
    """``url`` without a trailing slash and without any ``user:password@`` part."""
    parts = urlsplit(url.rstrip("/"))
    if parts.username or parts.password:
        raise ReadinessError(f"{parts.scheme}://...@{parts.hostname}: credentials in the --data URL",
                             hint="give credentials through the environment (AWS_* variables or a profile), "
                                  "never in the URL")
    return url.rstrip("/")


def _filesystem(url: str) -> tuple[Any, str]:
    """(fsspec filesystem, root path without the scheme) of ``url``."""
    try:
        import fsspec
    except ImportError:
        raise ReadinessError(f"{url}: reading object storage needs fsspec",
                             hint="pip install 'readiness[s3]'") from None
    try:
        fs, root = fsspec.url_to_fs(url)
    except (ImportError, ValueError) as err:
        raise ReadinessError(f"{url}: no filesystem for this URL ({err})",
                             hint="pip install 'readiness[s3]' (s3://); other schemes need their own fsspec "
                                  "package") from None
    return fs, root.rstrip("/")


def _failure(url: str, err: Exception) -> ReadinessError:
    """A one-line error for a storage failure (no credentials, no bucket, refused)."""
    text = next((line.strip() for line in str(err).splitlines() if line.strip()), type(err).__name__)
    name = type(err).__name__
    if name == "NoCredentialsError" or "credentials" in text.lower():
        hint = "set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE (or run where an IAM role is attached)"
    elif isinstance(err, FileNotFoundError):
        hint = "check the bucket name and that it exists"
    elif isinstance(err, PermissionError):
        hint = "the credentials in the environment may not read or write this bucket"
    else:
        hint = "check the URL, the network and AWS_ENDPOINT_URL"
    return ReadinessError(f"{url}: object storage failed ({name}: {text[:160]})", hint=hint)


def cache_dir(url: str) -> Path:
    """The local mirror of ``url``: ``$READINESS_CACHE/<16 hex of the URL>``, else under ``~/.cache/readiness``."""
    base = Path(os.environ.get(CACHE_ENV) or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
                / "readiness" / "remote")
    return base / hashlib.sha256(url.encode()).hexdigest()[:16]


def remote_of(local: Path | str) -> str | None:
    """The URL the directory ``local`` mirrors, or None for an ordinary data directory."""
    marker = Path(local) / REMOTE_FILE
    try:
        return marker.read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def shown(data_dir: Path | str) -> str:
    """``data_dir`` as a user names it: the URL of a mirror, else the path."""
    return remote_of(data_dir) or str(data_dir)


def _same_stamp(path: Path, key: str) -> None:
    """Give the mirrored file ``path`` of the object ``key`` a modification time derived from the
    key alone, so that every mirror of the URL (the writer's included) gives a snapshot the same
    evidence stamp (``findings.stamp``: size and mtime) and reuses the findings any of them
    stored. Keys are never reused: a snapshot written again gets another key, another stamp."""
    seconds = int(hashlib.sha256(key.encode()).hexdigest()[:7], 16)  # < 2**28 s: a valid time anywhere
    os.utime(path, ns=(seconds * 1_000_000_000, seconds * 1_000_000_000))


def _write_local(path: Path, data: bytes) -> None:
    """Write a downloaded file into the mirror atomically (a temporary file, then a rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def mirror(url: str, *, full: bool = True, clusters: Iterable[str] | None = None) -> Path:
    """The local mirror of ``url``, brought up to date with the committed snapshots, the stored
    findings and the top-level input files (once per process and URL). ``full=False`` (a
    writer's view: what ``collect`` needs to refuse mixing and overwriting) brings only the
    snapshots table, not the objects, coverage and findings of the whole fleet. ``clusters``: a
    reader of those clusters only: only their manifests are listed and only their snapshots'
    files downloaded (every table), no stored findings (the mirror is then ``partial``: findings
    evaluated here are not stored, which would upload a segment per cluster and run); the
    fleet's cluster names are listed (``fleet_clusters``). ``ReadinessError`` with a one-line
    reason when the storage cannot be read."""
    url = _clean(url)
    local = cache_dir(url)
    wanted = tuple(sorted(set(clusters))) if clusters else None
    if (url, local, True, None) in _synced or (url, local, full, wanted) in _synced:
        return local
    local.mkdir(parents=True, exist_ok=True)
    if remote_of(local) != url:
        (local / REMOTE_FILE).write_text(url + "\n", encoding="utf-8")
    fs, root = _filesystem(url)
    try:
        _sync(fs, root, local, full, wanted)
    except ReadinessError:
        raise
    except Exception as err:  # the storage library's own errors (botocore, aiohttp, ...): one line
        raise _failure(url, err) from None
    _synced.add((url, local, full, wanted))
    if wanted is None and full:
        _partial.discard(local)
    elif not any(s[:2] == (url, local) and s[2] and s[3] is None for s in _synced):  # no whole mirror here
        _partial.add(local)
    return local


def partial(local: Path | str) -> bool:
    """True when this process brought the mirror ``local`` up to date for some clusters only
    (``mirror(clusters=...)``): findings evaluated on it are not stored."""
    return Path(local) in _partial


def fleet_clusters(local: Path | str) -> set[str]:
    """Every cluster with a committed snapshot, as the last ``mirror(clusters=...)`` of ``local``
    listed them (without downloading their snapshots); empty for an ordinary data directory."""
    try:
        return set(json.loads((Path(local) / _FLEET).read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return set()


def _listing(fs: Any, root: str, sub: str) -> dict[str, dict[str, Any]]:
    """Relative key -> info of every object under ``root/sub`` (empty when there is none)."""
    try:
        found = fs.find(f"{root}/{sub}" if sub else root, detail=True, maxdepth=None if sub else 1)
    except FileNotFoundError:
        return {}
    out = {}
    for key, info in found.items():
        rel = key[len(root) + 1:] if key.startswith(root + "/") else key
        if info.get("type", "file") == "file":
            out[rel] = info
    return out


def _tag(info: dict[str, Any]) -> str:
    return f"{info.get('ETag') or info.get('etag') or ''}:{info.get('size')}"


def _sync(fs: Any, root: str, local: Path, full: bool, clusters: tuple[str, ...] | None = None) -> None:
    fs.invalidate_cache()  # other processes write here: never trust a listing cached earlier
    state_path = local / _STATE
    try:
        state = json.loads(state_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        state = {}
    if clusters is None:
        manifests = {k: v for k, v in _listing(fs, root, MANIFESTS).items() if k.endswith(".json")}
        ours = set(state)
    else:  # only these clusters' manifests are listed, and only their snapshots may be gone
        prefixes = tuple(f"{MANIFESTS}/cluster={c}/" for c in clusters)
        manifests = {k: v for c in clusters for k, v in _listing(fs, root, f"{MANIFESTS}/cluster={c}").items()
                     if k.endswith(".json")}
        ours = {k for k in state if k.startswith(prefixes)}
        try:
            listed = fs.ls(f"{root}/{MANIFESTS}", detail=False)
        except FileNotFoundError:
            listed = []
        fleet = sorted(p.rstrip("/").rsplit("/", 1)[-1].removeprefix("cluster=") for p in listed
                       if p.rstrip("/").rsplit("/", 1)[-1].startswith("cluster="))
        _write_local(local / _FLEET, json.dumps(fleet).encode())
    if not manifests and not fs.exists(root.split("/")[0]):
        raise ReadinessError(f"{shown(local)}: the bucket {root.split('/')[0]} does not exist (or is not visible "
                             "with these credentials)", hint="create the bucket, or check the URL and AWS_PROFILE")
    changed = [k for k, info in manifests.items()
               if state.get(k, {}).get("tag") != _tag(info) or (full and not state[k].get("full"))]
    for gone in sorted(ours - set(manifests)):  # a snapshot removed from the storage
        for rel in state.pop(gone).get("files", []):
            (local / rel).unlink(missing_ok=True)
    if changed:
        docs = fs.cat([f"{root}/{k}" for k in changed])
        wanted: dict[str, str] = {}  # remote key -> local relative path
        per_manifest: dict[str, list[str]] = {}
        for k in changed:
            doc = json.loads(docs[f"{root}/{k}"])
            files = {}
            for table, key in doc["files"].items():
                files[key] = f"{table}/cluster={doc['cluster']}/{key.split('/')[-2]}/{doc['snapshot_id']}.parquet"
            wanted.update({key: rel for key, rel in files.items() if full or rel.startswith("snapshots/")})
            per_manifest[k] = list(files.values())
        blobs = fs.cat([f"{root}/{key}" for key in wanted])
        for key, rel in wanted.items():
            _write_local(local / rel, blobs[f"{root}/{key}"])
            _same_stamp(local / rel, key)
        for k in changed:
            state[k] = {"tag": _tag(manifests[k]), "files": per_manifest[k], "full": full}
    committed = {rel for entry in state.values() for rel in entry.get("files", [])}
    for table in _TABLES:  # what no manifest lists (a writer of this mirror killed before its manifest)
        for f in (local / table).glob("cluster=*/date=*/*.parquet"):
            if f.relative_to(local).as_posix() not in committed:
                f.unlink(missing_ok=True)
    if full and clusters is None:
        _sync_findings(fs, root, local)
    _sync_top(fs, root, local)
    _write_local(state_path, json.dumps(state, sort_keys=True).encode())


def _sync_findings(fs: Any, root: str, local: Path) -> None:
    remote = {k for k in _listing(fs, root, "findings") if k.endswith(".parquet")}
    here = {str(p.relative_to(local)) for p in (local / "findings").glob("digest=*/*.parquet")}
    for rel in sorted(here - remote):  # merged or removed up there
        (local / rel).unlink(missing_ok=True)
    missing = sorted(remote - here)
    if missing:
        blobs = fs.cat([f"{root}/{k}" for k in missing])
        for k in missing:
            _write_local(local / k, blobs[f"{root}/{k}"])


def _sync_top(fs: Any, root: str, local: Path) -> None:
    """The input files at the top of the URL (fleet.yaml, waivers.yaml ...): downloaded when changed."""
    top = {k: info for k, info in _listing(fs, root, "").items() if _TOP.fullmatch(k)}
    for k in top:
        data = fs.cat_file(f"{root}/{k}")
        if not (local / k).is_file() or (local / k).read_bytes() != data:
            _write_local(local / k, data)


def commit_snapshot(local: Path | str, files: Iterable[Path]) -> None:
    """Upload one snapshot's files (``files``: the local objects, coverage and snapshots files of
    one (cluster, snapshot) in the mirror ``local``) under unique names, then its manifest.
    Nothing for an ordinary data directory."""
    url = remote_of(local)
    if url is None:
        return
    local = Path(local)
    by_table = {Path(f).relative_to(local).parts[0]: Path(f) for f in files}
    snap = by_table["snapshots"]
    cluster_part, date_part, sid = snap.parent.parent.name, snap.parent.name, snap.stem
    fs, root = _filesystem(url)
    unique = uuid.uuid4().hex[:12]
    keys = {}
    try:
        for table in _TABLES:  # the files first, the manifest last: the manifest is the commit
            if table not in by_table:
                continue
            key = f"{table}/{cluster_part}/{date_part}/{sid}.{unique}.parquet"
            fs.pipe_file(f"{root}/{key}", by_table[table].read_bytes())
            keys[table] = key
            _same_stamp(by_table[table], key)
        import polars as pl

        row = pl.read_parquet(snap).row(0, named=True)
        doc = {"format": FORMAT, "cluster": row["cluster"], "snapshot_id": row["snapshot_id"],
               "collected_at": row["collected_at"].isoformat(), "files": keys}
        fs.pipe_file(f"{root}/{MANIFESTS}/{cluster_part}/{date_part}/{sid}.json",
                     json.dumps(doc, sort_keys=True).encode())
    except Exception as err:
        raise _failure(url, err) from None
    for synced in [s for s in _synced if s[:2] == (url, local)]:  # our own manifest: the next mirror() records it
        _synced.discard(synced)


def upload(local: Path | str, path: Path | str) -> None:
    """Upload one file written into the mirror ``local`` (a findings segment, an input file) to the
    same key under its URL; nothing for an ordinary data directory."""
    url = remote_of(local)
    if url is None:
        return
    rel = Path(path).relative_to(Path(local)).as_posix()
    fs, root = _filesystem(url)
    try:
        fs.pipe_file(f"{root}/{rel}", Path(path).read_bytes())
    except Exception as err:
        raise _failure(url, err) from None

