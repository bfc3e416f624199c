"""Fixtures of the collector's tests: a Kubernetes API server on 127.0.0.1 and kubeconfigs pointing at it."""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # kubeapi.py and collect_helpers.py (the benchmark uses kubeapi too)

from kubeapi import KubeAPI, write_kubeconfig


@pytest.fixture
def kubeapi() -> Iterator[KubeAPI]:
    api = KubeAPI()
    api.start()
    yield api
    api.stop()


@pytest.fixture
def closed_port() -> int:
    """A local port nobody listens on: connecting to it is refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def kubeconfig(tmp_path: Path, kubeapi: KubeAPI) -> Path:
    return write_kubeconfig(tmp_path / "kubeconfig", {"alpha": kubeapi.url})
