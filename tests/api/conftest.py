"""API fixtures: the demo ledger in each store kind, a TestClient and a live server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from geo.demo import load_demo
from geo.store import Store
from tests.conftest import STORE_KINDS, make_store


@pytest.fixture(scope="module", params=STORE_KINDS)
def demo_store(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[Store]:
    """The Zhongyuan demo ledger, once per store kind and test module."""
    for store in make_store(request.param, tmp_path_factory.mktemp("api")):
        load_demo(store)
        yield store


@pytest.fixture(scope="module")
def client(demo_store: Store) -> Iterator[TestClient]:
    app = create_app(Settings(store=demo_store.url, seed_demo=False), store=demo_store)
    with TestClient(app) as test_client:
        yield test_client


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(url: str, proc: subprocess.Popen, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as res:
                if res.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not become healthy")


@pytest.fixture(scope="module")
def live_url(demo_store: Store) -> Iterator[str]:
    """Base URL of ``zonewatch serve`` run as its own process on a loopback port.

    A separate process, not a thread: GDAL holds the GIL while it waits for
    the server, so an in-process server would never answer.
    """
    port = free_port()
    env = {
        **os.environ,
        "ZONEWATCH_STORE": demo_store.url,
        "ZONEWATCH_PG_SCHEMA": getattr(demo_store, "schema", "zonewatch"),
        "ZONEWATCH_SEED_DEMO": "false",
    }
    exe = os.path.join(os.path.dirname(sys.executable), "zonewatch")
    proc = subprocess.Popen(
        [exe, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)
