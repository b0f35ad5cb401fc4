"""A 100,000-row import killed with SIGKILL: before commit nothing, after commit all.

The import runs in a child process (``geo.io.importer.import_file``, the code
behind ``zonewatch import`` and ``POST /import``). It is killed once its
write transaction is under way (GeoPackage: the WAL has grown; PostGIS: the
child holds the bulk-write lock on ``sources``) or once it printed that it
committed. Runs against both stores.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from shapely import Point

from geo import writes
from geo.ledger import Feature
from geo.store import Store
from tests._support.stores import STORE_KINDS, make_store

REPO = Path(__file__).resolve().parents[3]
ROWS = 100_000

_CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from geo.io.importer import import_file
    from geo.store import open_store

    store = open_store(sys.argv[1], pg_schema=sys.argv[2])
    print("importing", flush=True)
    report = import_file(store, Path(sys.argv[3]), layer="sources", actor="crash")
    print("committed", report.written.inserted, flush=True)
    time.sleep(600)
    """
)


@pytest.fixture(params=STORE_KINDS)
def crash_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    yield from make_store(request.param, tmp_path)


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rng = np.random.default_rng(11)
    frame = pd.DataFrame({
        "名称": [f"店{i}" for i in range(ROWS)],
        "类别": "餐饮",
        "社区": "甲社区",
        "经度": np.round(rng.uniform(113.55, 113.75, ROWS), 6),
        "纬度": np.round(rng.uniform(34.70, 34.80, ROWS), 6),
    })
    path = tmp_path_factory.mktemp("crash") / "big.csv"
    frame.to_csv(path, index=False)
    return path


def _state(store: Store) -> tuple[Any, ...]:
    frame = store.read("sources")
    history = store.history_until("sources", "9999-12-31T23:59:59.999Z")
    return (frame.drop(columns="geometry").to_json(), frame.geometry.to_wkt().tolist(),
            [(e.fid, e.seq) for e in history])


@contextmanager
def _writing(store: Store) -> Iterator[Callable[[], bool]]:
    """Yield a probe: is another process inside its write transaction now?"""
    if hasattr(store, "path"):
        wal = Path(f"{store.path}-wal")
        yield lambda: wal.exists() and wal.stat().st_size > 2 * 1024 * 1024
        return
    import psycopg

    statement = (
        "SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s "
        "AND c.relname = 'sources' AND l.mode = 'ShareRowExclusiveLock' AND l.granted"
    )
    with psycopg.connect(store.url, autocommit=True) as conn:
        yield lambda: conn.execute(statement, [store.schema]).fetchone() is not None


def _start(store: Store, csv: Path) -> subprocess.Popen[str]:
    schema = getattr(store, "schema", "zonewatch")
    return subprocess.Popen(
        [sys.executable, "-c", _CHILD, store.url, schema, str(csv)],
        cwd=REPO, stdout=subprocess.PIPE, text=True,
    )


def _seed(store: Store) -> None:
    for i in range(3):
        writes.create(
            store,
            "sources",
            Feature(
                f"S-old{i}", {"name": f"老店{i}", "category": "bbq"}, Point(113.6 + i * 0.01, 34.75)
            ),
            actor="seed",
        )
    store.close()  # the child must not wait for a connection this process holds


def test_sigkill_in_the_middle_of_an_import_leaves_the_store_as_before(
    crash_store: Store, big_csv: Path
) -> None:
    _seed(crash_store)
    before = _state(crash_store)
    child = _start(crash_store, big_csv)
    with _writing(crash_store) as writing:
        _kill_while_writing(child, writing)
    assert _state(crash_store) == before
    assert crash_store.count("sources") == 3


def _kill_while_writing(child: subprocess.Popen[str], writing: Callable[[], bool]) -> None:
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "importing"
        deadline = time.monotonic() + 300
        while child.poll() is None and time.monotonic() < deadline and not writing():
            time.sleep(0.005)
        assert child.poll() is None, "the import finished before it could be interrupted"
        assert writing(), "the import never started writing"
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        assert "committed" not in child.stdout.read()
    finally:
        if child.poll() is None:
            child.kill()


def test_sigkill_after_the_commit_keeps_every_row(crash_store: Store, big_csv: Path) -> None:
    _seed(crash_store)
    child = _start(crash_store, big_csv)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "importing"
        assert child.stdout.readline().split() == ["committed", str(ROWS)]
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    assert crash_store.count("sources") == ROWS + 3
    assert len(crash_store.history_until("sources", "9999-12-31T23:59:59.999Z")) == ROWS + 3
