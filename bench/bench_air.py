"""Benchmark of a station's rose and upwind attribution over a year of hourly readings.

Usage::

    .venv/bin/python bench/bench_air.py [--stations 10] [--days 365] [--repeat 5]

The store is a GeoPackage seeded with the demo ledger (2,396 sources), plus
``--stations`` stations spread over the district, each with a year of
synthetic hours (plume of a demo source under seeded winds, background and
noise). Per station it times what ``GET /stations/{sid}/attribution`` does:
read the station's hours from the store, the pollution rose with its CPF,
and the attribution of the sources within the radius; the table gives the
median over stations and repeats, and the split into read, rose and
attribution. The target of issue 15 is under 200 ms per station.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geo import writes  # noqa: E402
from geo.air.attribution import attribute  # noqa: E402
from geo.air.observations import read_observations  # noqa: E402
from geo.air.plume import random_winds, synthesise  # noqa: E402
from geo.air.rose import pollution_rose  # noqa: E402
from geo.demo import load_demo  # noqa: E402
from geo.ledger import Feature  # noqa: E402
from geo.store import Store  # noqa: E402
from geo.store.gpkg import GeoPackageStore  # noqa: E402

SEED = 2026


def seed_stations(store: Store, count: int) -> list[tuple[str, float, float]]:
    """Add ``count`` stations on a grid over the demo's sources; return (id, lon, lat)."""
    sources = store.read("sources")
    lon0, lat0, lon1, lat1 = sources.total_bounds
    side = int(np.ceil(np.sqrt(count)))
    made = []
    for k in range(count):
        lon = lon0 + (lon1 - lon0) * (0.5 + k % side) / side
        lat = lat0 + (lat1 - lat0) * (0.5 + k // side) / side
        sid = f"B{k:03d}"
        writes.create(store, "stations", Feature(sid, {"name": f"基准点{k}", "radius_m": 3000.0},
                                                 _point(lon, lat)), actor="bench")
        made.append((sid, lon, lat))
    return made


def _point(lon: float, lat: float) -> object:
    from shapely.geometry import Point

    return Point(lon, lat)


def seed_hours(store: Store, stations: list[tuple[str, float, float]], days: int) -> int:
    """Store a year (``days``) of synthetic hours at every station; return the rows."""
    winds = random_winds("2026-01-01T00:00:00Z", days * 24, seed=SEED)
    times = winds.index.strftime("%Y-%m-%dT%H:%M:%SZ")
    points = store.read("sources").geometry.representative_point()
    rows: list[tuple[object, ...]] = []
    for k, (sid, lon, lat) in enumerate(stations):
        # the nearest source emits: a plume worth finding (degrees suffice to pick it)
        near = int(np.hypot(points.x - lon, points.y - lat).to_numpy().argmin())
        emitter = pd.DataFrame({"lon": [points.iloc[near].x], "lat": [points.iloc[near].y],
                                "emission_gs": [2.0]})
        pm25 = synthesise(emitter, (lon, lat), winds, background_ugm3=35.0, noise_sd=8.0,
                          seed=SEED + k).clip(lower=0).round(1)
        rows += [(sid, t, float(c), None, None, None, None, None, float(d), float(w))
                 for t, c, d, w in zip(times, pm25, winds["wd_deg"], winds["ws_ms"],
                                       strict=True)]
    store.observations.upsert(rows)
    return len(rows)


def time_station(store: Store, sid: str, lon: float, lat: float) -> tuple[float, float, float]:
    """Return the seconds to read, to draw the rose and to attribute for one station."""
    t0 = time.perf_counter()
    hours = read_observations(store, sid)
    t1 = time.perf_counter()
    rose = pollution_rose(hours, pollutant="pm25")
    t2 = time.perf_counter()
    attribute(store.read("sources"), lon, lat, 3000.0, rose)
    t3 = time.perf_counter()
    return t1 - t0, t2 - t1, t3 - t2


def main() -> None:
    """Build the store, time every station ``--repeat`` times, print the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stations", type=int, default=10)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        store = GeoPackageStore(Path(folder) / "bench.gpkg")
        store.init_schema()
        load_demo(store)
        stations = seed_stations(store, args.stations)
        started = time.perf_counter()
        rows = seed_hours(store, stations, args.days)
        print(f"stored {rows:,} hours for {len(stations)} stations in "
              f"{time.perf_counter() - started:.1f} s")
        parts = [time_station(store, sid, lon, lat)
                 for _ in range(args.repeat) for sid, lon, lat in stations]
        store.close()
    totals = [sum(p) for p in parts]
    print(f"per station ({args.days} days, median of {len(parts)}): "
          f"total {1000 * statistics.median(totals):.1f} ms = read "
          f"{1000 * statistics.median(p[0] for p in parts):.1f} + rose "
          f"{1000 * statistics.median(p[1] for p in parts):.1f} + attribution "
          f"{1000 * statistics.median(p[2] for p in parts):.1f} ms (target < 200 ms)")


if __name__ == "__main__":
    main()
