"""``zonewatch map -o map.html``: a file that opens from disk with no server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests._support.map_ledger import HOSTILE

pytestmark = pytest.mark.slow


def _run_map(store, out: Path, *args: str) -> subprocess.CompletedProcess:
    exe = os.path.join(os.path.dirname(sys.executable), "zonewatch")
    env = {**os.environ, "ZONEWATCH_PG_SCHEMA": getattr(store, "schema", "zonewatch")}
    return subprocess.run([exe, "map", "--store", store.url, "-o", str(out), *args],
                          env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(("args", "expected"), [((), None), (("--category", "bbq"), 347)],
                         ids=["all", "bbq"])
def test_map_file_opens_from_disk(map_store, tmp_path, open_map, args, expected):
    out = tmp_path / "map.html"
    done = _run_map(map_store, out, *args)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "map_files" / "leaflet" / "leaflet.js").is_file()
    visit = open_map(out.as_uri())
    total = expected if expected is not None else map_store.count("sources")
    assert visit.page.evaluate("zonewatch.rendered") == total
    assert [u for u in visit.requests if urlsplit(u).scheme not in ("file", "data")] == []
    assert visit.errors == [] and visit.dialogs == []
    html = out.read_text(encoding="utf-8")
    for _, name in HOSTILE:
        assert name not in html


def test_map_file_refuses_bad_input(map_store, tmp_path):
    done = _run_map(map_store, tmp_path / "m.html", "--category", "farm")
    assert done.returncode == 1
    assert "category must be one of" in done.stderr
    assert not (tmp_path / "m.html").exists()
