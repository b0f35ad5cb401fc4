"""Benchmark of priority flagging: the exact engine against a naive geopandas join.

Usage::

    python bench/bench_flag.py [--quick] [--runs 3] [--pg postgresql:///test]

Sources are spread uniformly over a ~100 x 80 km box around Zhengzhou (fixed
seed); 2 % of them are put within half a metre of some station's radius, so
that boundary mistakes show. For each size the table gives the median wall
time of ``geo.radius.flag_priority`` (from GeoDataFrames already in memory,
every index built inside the timed call), the median of a naive baseline run
in the same process (``to_crs(EPSG:4547)``, buffer each station by its
radius, ``gpd.sjoin(predicate="within")``), their ratio, and how many sources
the baseline flags wrongly compared with the exact answer (its circles are
polygons in a projected plane, so it miscounts near the boundary).

With ``--pg`` a second table times ``PostGISStore.flag_priority`` (the same
flagging inside the database) on a throwaway schema, and checks its answer
against the engine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
from pyproj import Geod

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geo import writes
from geo.radius import flag_priority  # noqa: E402

SEED = 20260
BOX = (113.10, 34.40, 114.20, 35.12)  # lon/lat: ~100 km x 80 km around Zhengzhou
RADIUS_M = 3000.0
ON_RING_SHARE = 0.02
FULL = [
    (10_000, 10),
    (10_000, 100),
    (100_000, 10),
    (100_000, 100),
    (1_000_000, 10),
    (1_000_000, 100),
    (1_000_000, 1000),
]
QUICK = [(10_000, 10), (100_000, 100), (1_000_000, 100)]
PG_SIZES = [(10_000, 100), (100_000, 100), (1_000_000, 100)]


def make_frames(n_sources: int, n_stations: int) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    rng = np.random.default_rng(SEED + n_sources + n_stations)
    st_lon = rng.uniform(BOX[0] + 0.05, BOX[2] - 0.05, n_stations)
    st_lat = rng.uniform(BOX[1] + 0.05, BOX[3] - 0.05, n_stations)
    lon = rng.uniform(BOX[0], BOX[2], n_sources)
    lat = rng.uniform(BOX[1], BOX[3], n_sources)
    k = int(n_sources * ON_RING_SHARE)
    pick = rng.integers(0, n_stations, k)
    lon[:k], lat[:k], _ = Geod(ellps="WGS84").fwd(
        st_lon[pick], st_lat[pick], rng.uniform(0, 360, k), RADIUS_M + rng.uniform(-0.5, 0.5, k)
    )
    sources = gpd.GeoDataFrame(
        {"id": [f"S{i:07d}" for i in range(n_sources)], "name": "bench", "category": "catering"},
        geometry=gpd.points_from_xy(lon, lat),
        crs=4326,
    )
    stations = gpd.GeoDataFrame(
        {"id": [f"M{j:04d}" for j in range(n_stations)], "name": "bench", "radius_m": RADIUS_M},
        geometry=gpd.points_from_xy(st_lon, st_lat),
        crs=4326,
    )
    return sources, stations


def naive_priority(sources: gpd.GeoDataFrame, stations: gpd.GeoDataFrame) -> np.ndarray:
    """Flag the usual shortcut way: project, buffer, spatial join; return a mask."""
    projected = sources[["id", "geometry"]].to_crs(4547)
    zones = stations[["id", "radius_m", "geometry"]].to_crs(4547)
    zones["geometry"] = zones.buffer(zones["radius_m"])
    joined = gpd.sjoin(projected, zones, predicate="within", how="inner")
    mask = np.zeros(len(sources), dtype=bool)
    mask[np.unique(joined.index.to_numpy())] = True  # index is 0..n-1 here
    return mask


def median_time(func: Callable[[], object], runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def print_table(title: str, header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print(f"\n{title}")
    print("  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True)))
    for row in rows:
        print("  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)), flush=True)


def bench_engine(sizes: list[tuple[int, int]], runs: int) -> None:
    header = [
        "sources",
        "stations",
        "priority",
        "engine_s",
        "naive_s",
        "speedup",
        "naive_wrong",
        "(false+/false-)",
    ]
    rows = []
    for n_src, n_st in sizes:
        sources, stations = make_frames(n_src, n_st)
        t_engine, exact = median_time(lambda s=sources, t=stations: flag_priority(s, t), runs)
        t_naive, naive = median_time(lambda s=sources, t=stations: naive_priority(s, t), runs)
        truth = exact.priority
        false_pos = int((naive & ~truth).sum())
        false_neg = int((~naive & truth).sum())
        rows.append(
            [
                f"{n_src:,}",
                f"{n_st}",
                f"{int(truth.sum()):,}",
                f"{t_engine:.3f}",
                f"{t_naive:.3f}",
                f"{t_naive / t_engine:.1f}x",
                f"{false_pos + false_neg}",
                f"{false_pos}/{false_neg}",
            ]
        )
        print(f"  done {n_src:,} x {n_st}", file=sys.stderr, flush=True)
        del sources, stations, exact, naive
    print_table(f"flag_priority vs naive geopandas (median of {runs} runs, seconds)", header, rows)


def bench_postgis(url: str, sizes: list[tuple[int, int]], runs: int) -> None:
    from geo.store.postgis import PostGISStore

    header = ["sources", "stations", "load_s", "postgis_s", "engine_s", "ratio", "mismatch"]
    rows = []
    for n_src, n_st in sizes:
        sources, stations = make_frames(n_src, n_st)
        store = PostGISStore(url, schema=f"zw_bench_{uuid.uuid4().hex[:10]}")
        try:
            store.init_schema()
            start = time.perf_counter()
            writes.write_frame(store, "stations", stations, mode="replace", actor="bench")
            writes.write_frame(store, "sources", sources, mode="replace", actor="bench")
            load = time.perf_counter() - start
            t_pg, flags = median_time(store.flag_priority, runs)
            t_engine, exact = median_time(lambda s=sources, t=stations: flag_priority(s, t), runs)
            mine = exact.to_frame().sort_values("id").reset_index(drop=True)
            theirs = flags.sort_values("id").reset_index(drop=True)
            mismatch = int((mine["priority"].to_numpy() != theirs["priority"].to_numpy()).sum())
        finally:
            store.drop_schema()
            store.close()
        rows.append(
            [
                f"{n_src:,}",
                f"{n_st}",
                f"{load:.1f}",
                f"{t_pg:.3f}",
                f"{t_engine:.3f}",
                f"{t_pg / t_engine:.1f}x",
                f"{mismatch}",
            ]
        )
        print(f"  done PostGIS {n_src:,} x {n_st}", file=sys.stderr, flush=True)
    print_table(
        f"PostGISStore.flag_priority in the database (median of {runs} runs, seconds)", header, rows
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer, smaller sizes")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per size (median)")
    parser.add_argument("--pg", metavar="URL", help="also time PostGISStore at this URL")
    parser.add_argument("--pg-only", action="store_true", help="skip the in-memory table")
    args = parser.parse_args(argv)
    if not args.pg_only:
        bench_engine(QUICK if args.quick else FULL, args.runs)
    if args.pg:
        bench_postgis(args.pg, PG_SIZES[:2] if args.quick else PG_SIZES, args.runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
