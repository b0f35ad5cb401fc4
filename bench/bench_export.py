"""Benchmark of exports through the HTTP app: time and peak memory for 1e5 sources.

Usage::

    python bench/bench_export.py [--sources 100000] [--formats json,csv,gpkg,fgb]
                                 [--pg postgresql:///test]

Builds a GeoPackage store holding the demo stations and ``--sources``
sources (the demo sources repeated with new ids and shifted by up to ~1 km),
then exports them through the app, each scenario in a fresh child process
so that its peak RSS (VmHWM) is its own:

* ``items``: ``/collections/sources/items?limit=10000`` page after page;
* ``priority``: ``/priority?radius_m=50000`` (every source is a priority
  target at 50 km, so the whole ledger is exported in one answer).

With ``--pg`` the store is PostGIS (a throwaway schema, dropped at the end)
instead of a GeoPackage: no in-memory snapshot, so the rows show what the
export itself holds.

The response body is streamed and counted, never held by the client, so the
memory is the server side's. Each row gives the wall time, the output size,
the peak RSS and its growth over a baseline child that only opens the store
and answers ``/healthz`` (the same process start-up cost). The "ratio"
column is peak-RSS growth divided by the output size: bounded exports stay
well under a few times the file.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from geo import writes

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PAGE = 10_000
MAX_RADIUS_M = 50_000


def build_store(path: Path | str, n_sources: int) -> None:
    """Write the demo stations and ``n_sources`` shifted copies of the demo sources."""
    import numpy as np
    import pandas as pd
    import shapely

    from geo.demo import load_demo
    from geo.store import open_store

    store = open_store(str(path), pg_schema=_pg_schema())
    load_demo(store)
    demo = store.read("sources")
    rng = np.random.default_rng(7)
    copies = -(-n_sources // len(demo))
    frame = pd.concat([demo] * copies, ignore_index=True).iloc[:n_sources].copy()
    shift = rng.uniform(-0.01, 0.01, size=(len(frame), 2))
    frame["geometry"] = [
        shapely.transform(geom, lambda xy, d=d: xy + d)
        for geom, d in zip(frame["geometry"], shift, strict=True)
    ]
    frame["id"] = [f"B{i:07d}" for i in range(len(frame))]
    writes.write_frame(store, "sources", frame, mode="replace", actor="bench")
    store.close()


def run_scenario(store_path: str, scenario: str, fmt: str) -> dict[str, float]:
    """Run one export in this process; return seconds, bytes and peak RSS (MiB)."""
    import warnings

    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.settings import Settings
    from geo.store import open_store

    warnings.simplefilter("ignore")
    store = open_store(store_path, pg_schema=_pg_schema())
    app = create_app(Settings(store=store_path, seed_demo=False), store=store)
    with TestClient(app) as client:
        client.get("/healthz")
        start_rss = _rss_mib()
        started = time.perf_counter()
        size = 0
        if scenario == "items":
            total = client.get("/collections/sources/items", params={"limit": 1}).json()[
                "numberMatched"]
            for offset in range(0, total, PAGE):
                size += _stream(client, "/collections/sources/items",
                                {"limit": PAGE, "offset": offset, "f": fmt})
        elif scenario == "priority":
            size += _stream(client, "/priority", {"radius_m": MAX_RADIUS_M, "f": fmt})
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "bytes": size, "start_mib": start_rss, "peak_mib": _rss_mib()}


def _stream(client, path: str, params: dict) -> int:
    size = 0
    with client.stream("GET", path, params=params) as res:
        if res.status_code != 200:
            raise RuntimeError(f"{path} {params}: {res.status_code} {res.read()[:200]!r}")
        for chunk in res.iter_bytes():
            size += len(chunk)
    return size


def _rss_mib() -> float:
    """Peak RSS of this process in MiB.

    VmHWM, not ``ru_maxrss``: Linux carries ``ru_maxrss`` over fork and exec,
    so a child would report the parent's peak (the store build).
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _pg_schema() -> str:
    """Return the PostGIS schema of this run (children inherit it through the environment)."""
    return os.environ.get("ZONEWATCH_PG_SCHEMA", "zonewatch")


def _child(store_path: str, scenario: str, fmt: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", store_path, scenario, fmt],
        check=True, capture_output=True, text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sources", type=int, default=100_000)
    parser.add_argument("--formats", default="json,csv,gpkg,fgb,shp,xlsx,kml")
    parser.add_argument("--scenarios", default="items,priority")
    parser.add_argument("--pg", metavar="URL", help="PostGIS database (throwaway schema)")
    parser.add_argument("--child", nargs=3, metavar=("STORE", "SCENARIO", "FORMAT"))
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_scenario(*args.child)))
        return
    if args.pg:
        os.environ["ZONEWATCH_PG_SCHEMA"] = f"zw_bench_export_{os.getpid()}"
    with tempfile.TemporaryDirectory(prefix="zonewatch-bench-") as tmp:
        store_path = args.pg or str(Path(tmp) / "bench.gpkg")
        try:
            _run_table(args, store_path)
        finally:
            if args.pg:
                from geo.store.postgis import PostGISStore

                PostGISStore(args.pg, schema=_pg_schema()).drop_schema()


def _run_table(args: argparse.Namespace, store_path: str) -> None:
    """Build the store, then print one row per scenario and format."""
    started = time.perf_counter()
    build_store(store_path, args.sources)
    print(f"store with {args.sources} sources built in {time.perf_counter() - started:.1f} s")
    base = _child(store_path, "baseline", "json")
    print(f"baseline child (app + store, /healthz): peak RSS {base['peak_mib']:.0f} MiB")
    print(f"{'scenario':<9} {'f':<5} {'seconds':>8} {'MiB out':>8} {'peak MiB':>9} "
          f"{'growth MiB':>10} {'ratio':>6}")
    for scenario in args.scenarios.split(","):
        for fmt in args.formats.split(","):
            row = _child(store_path, scenario, fmt)
            growth = row["peak_mib"] - base["peak_mib"]
            out_mib = row["bytes"] / 2**20
            print(f"{scenario:<9} {fmt:<5} {row['seconds']:>8.2f} {out_mib:>8.1f} "
                  f"{row['peak_mib']:>9.0f} {growth:>10.0f} {growth / out_mib:>6.2f}", flush=True)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    main()
