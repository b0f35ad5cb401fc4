"""Edit benchmark: what a PATCH (token check, If-Match, history, answer) costs next to a GET.

Usage::

    python bench/bench_edits.py [--rounds 200] [--pg postgresql://...]

Builds the Zhongyuan demo ledger in a fresh GeoPackage (and, with ``--pg``,
in a fresh PostGIS schema that is dropped afterwards), then, in this process
through the ASGI app (no network), times ``rounds`` alternating requests on
one source: ``GET /collections/sources/items/{fid}`` (the baseline) and a
JSON merge ``PATCH`` of its ``notes`` with the current ETag. Prints medians
in milliseconds and the PATCH / GET ratio per store.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from geo.demo import load_demo
from geo.store import Store
from geo.store.gpkg import GeoPackageStore
from geo.tokens import issue_token


def _time_store(store: Store, rounds: int) -> tuple[float, float]:
    load_demo(store)
    token, _ = issue_token(store, name="bench", role="editor")
    client = TestClient(create_app(Settings(store=store.url, seed_demo=False), store=store))
    fid = str(store.read("sources").iloc[0]["id"])
    url = f"/collections/sources/items/{fid}"
    gets, patches = [], []
    for i in range(rounds):
        start = time.perf_counter()
        etag = client.get(url).headers["etag"]
        gets.append(time.perf_counter() - start)
        headers = {"Authorization": f"Bearer {token}", "If-Match": etag,
                   "Content-Type": "application/merge-patch+json"}
        body = json.dumps({"properties": {"notes": f"round {i}"}})
        start = time.perf_counter()
        status = client.patch(url, content=body, headers=headers).status_code
        patches.append(time.perf_counter() - start)
        assert status == 200, status
    return statistics.median(gets) * 1000, statistics.median(patches) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--pg", help="a PostGIS database URL (a temporary schema is used)")
    args = parser.parse_args()
    print(f"{'store':<10} {'GET ms':>8} {'PATCH ms':>9} {'ratio':>6}")
    with tempfile.TemporaryDirectory() as folder:
        gpkg = GeoPackageStore(Path(folder) / "bench.gpkg")
        gpkg.init_schema()
        try:
            get_ms, patch_ms = _time_store(gpkg, args.rounds)
        finally:
            gpkg.close()
        print(f"{'gpkg':<10} {get_ms:8.2f} {patch_ms:9.2f} {patch_ms / get_ms:6.2f}")
    if args.pg:
        from geo.store.postgis import PostGISStore

        pg = PostGISStore(args.pg, schema=f"zw_bench_{uuid.uuid4().hex[:8]}")
        pg.init_schema()
        try:
            get_ms, patch_ms = _time_store(pg, args.rounds)
        finally:
            pg.drop_schema()
            pg.close()
        print(f"{'postgis':<10} {get_ms:8.2f} {patch_ms:9.2f} {patch_ms / get_ms:6.2f}")


if __name__ == "__main__":
    main()
