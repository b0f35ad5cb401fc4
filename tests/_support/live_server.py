"""``zonewatch serve`` over a test store, in its own process on a loopback port.

A separate process, not a thread: GDAL holds the GIL while it waits for the
server, so an in-process server would never answer. Shared by the API, map
and workspace fixtures (``tests/{api,maps,workspace}/conftest.py``).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from geo.store import Store

__all__ = ["free_port", "serve_store"]


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve_store(store: Store, **settings: str) -> Iterator[str]:
    """Run ``zonewatch serve`` over ``store``; yield its base URL, stop it afterwards.

    Parameters
    ----------
    store : Store
        The store to serve (its ``url``; a PostGIS store's ``schema`` too).
    **settings : str
        Extra ``ZONEWATCH_*`` settings by lower-case name, e.g. ``tianditu_key="..."``.

    Raises
    ------
    RuntimeError
        The server exited or did not answer ``/healthz`` in time; the message
        ends with the tail of its log.
    """
    port = free_port()
    env = {
        **os.environ,
        "ZONEWATCH_STORE": store.url,
        "ZONEWATCH_PG_SCHEMA": getattr(store, "schema", "zonewatch"),
        "ZONEWATCH_SEED_DEMO": "false",
        **{f"ZONEWATCH_{name.upper()}": value for name, value in settings.items()},
    }
    exe = Path(sys.executable).with_name("zonewatch")
    # a file, not a pipe: nobody reads the log while tests run, and a full pipe blocks the server
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen([str(exe), "serve", "--host", "127.0.0.1", "--port", str(port)],
                                env=env, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_healthy(url, proc, log)
            yield url
        finally:
            proc.terminate()
            proc.wait(timeout=20)


def _wait_healthy(
    url: str, proc: subprocess.Popen, log: IO[bytes], timeout_s: float = 60
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}{_tail(log)}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as res:
                if res.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server did not become healthy in {timeout_s:.0f} s{_tail(log)}")


def _tail(log: IO[bytes], chars: int = 2000) -> str:
    log.seek(0)
    text = log.read().decode(errors="replace")[-chars:]
    return f"; its log ends:\n{text}" if text else ""
