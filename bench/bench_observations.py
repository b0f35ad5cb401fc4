"""Benchmark of importing hourly readings: 100 stations x 30 days (72,000 rows), or a year.

Usage::

    python bench/bench_observations.py [--stations 100] [--days 30] [--full]
                                       [--pg postgresql:///test] [--no-gpkg]

``--full`` is a year (365 days: 876,000 rows for 100 stations). The readings
are synthetic (fixed seed) and written once as a UTF-8 CSV with Chinese
headers and naive Beijing times, as the national release exports them. Per
store the table gives the wall time of ``zonewatch observations import``'s
work (:func:`geo.air.observations.import_observations`: read the file, check
every row, upsert in one transaction) for a first import (all inserts) and
a second one of the same file (all updates), the rows per second, and the
time to read one station's hours back with their AQI. PostGIS runs on a
throwaway schema, dropped afterwards.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
from shapely.geometry import Point

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geo import writes  # noqa: E402
from geo.air.observations import hourly_observations, import_observations  # noqa: E402
from geo.ledger import Feature  # noqa: E402
from geo.store import Store  # noqa: E402

SEED = 2026
START = dt.datetime(2026, 1, 1, 1)  # Beijing time: the first hour's label (its end)


def write_csv(path: Path, *, stations: int, days: int) -> int:
    """Write the synthetic readings; return the number of rows."""
    rng = np.random.default_rng(SEED)
    hours = days * 24
    labels = [(START + dt.timedelta(hours=h)).strftime("%Y-%m-%d %H:%M") for h in range(hours)]
    with path.open("w", encoding="utf-8") as out:
        out.write("监测点,时间,PM2.5(μg/m³),PM10(μg/m³),SO2,NO2,O3,CO(mg/m³),风向,风速\n")
        for s in range(stations):
            pm25 = rng.gamma(2.0, 25.0, hours).round(0)
            table = np.column_stack([
                pm25, (pm25 * 1.6).round(0), rng.gamma(2.0, 5.0, hours).round(0),
                rng.gamma(3.0, 10.0, hours).round(0), rng.gamma(2.0, 40.0, hours).round(0),
                rng.gamma(2.0, 0.4, hours).round(2), rng.uniform(0, 360, hours).round(0),
                rng.gamma(2.0, 1.2, hours).round(1)])
            sid = f"M{s:03d}"
            out.writelines(f"{sid},{labels[h]},{','.join(f'{v:g}' for v in table[h])}\n"
                           for h in range(hours))
    return stations * hours


def add_stations(store: Store, count: int) -> None:
    """Create the stations the file names."""
    for s in range(count):
        writes.create(store, "stations", Feature(
            f"M{s:03d}", {"name": f"监测点{s:03d}", "radius_m": 3000.0},
            Point(113.3 + (s % 10) * 0.08, 34.5 + (s // 10) * 0.05)), actor="bench")


def run(store: Store, path: Path, rows: int, stations: int) -> dict[str, float]:
    """Time a first import, a second (all updates) and one station's read-back."""
    add_stations(store, stations)
    times: dict[str, float] = {}
    for label, updated in (("insert", 0), ("update", rows)):
        started = time.perf_counter()
        report = import_observations(store, path)
        times[label] = time.perf_counter() - started
        assert (report.rows, report.updated) == (rows, updated), report
    started = time.perf_counter()
    frame = hourly_observations(store, "M000")
    times["read"] = time.perf_counter() - started
    assert len(frame) == rows // stations
    return times


def _stores(args: argparse.Namespace, folder: Path) -> list[tuple[str, Store]]:
    stores: list[tuple[str, Store]] = []
    if not args.no_gpkg:
        from geo.store.gpkg import GeoPackageStore

        gpkg = GeoPackageStore(folder / "bench.gpkg")
        gpkg.init_schema()
        stores.append(("GeoPackage", gpkg))
    if args.pg:
        from geo.store.postgis import PostGISStore

        pg = PostGISStore(args.pg, schema=f"zw_bench_{uuid.uuid4().hex[:8]}")
        pg.init_schema()
        stores.append(("PostGIS", pg))
    return stores


def main() -> None:
    """Run the benchmark and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stations", type=int, default=100)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--full", action="store_true", help="a year: 365 days")
    parser.add_argument("--pg", help="PostgreSQL URL with PostGIS (a throwaway schema is used)")
    parser.add_argument("--no-gpkg", action="store_true")
    args = parser.parse_args()
    days = 365 if args.full else args.days
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / "readings.csv"
        rows = write_csv(path, stations=args.stations, days=days)
        size_mb = path.stat().st_size / 1e6
        print(f"{args.stations} stations x {days} days = {rows} rows ({size_mb:.1f} MB CSV)\n")
        print("| store | first import s | rows/s | re-import (updates) s "
              "| one station read+AQI s |")
        print("|---|---:|---:|---:|---:|")
        for name, store in _stores(args, folder):
            try:
                t = run(store, path, rows, args.stations)
            finally:
                if hasattr(store, "drop_schema"):
                    store.drop_schema()
                store.close()
            print(f"| {name} | {t['insert']:.2f} | {rows / t['insert']:,.0f} | "
                  f"{t['update']:.2f} | {t['read']:.3f} |")


if __name__ == "__main__":
    main()
