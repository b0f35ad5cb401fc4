"""Benchmark of the report roll-ups on the demo ledger.

Usage::

    python bench/bench_reports.py [--runs 5] [--pg postgresql:///zonewatch_dev]

Loads the Zhongyuan demo ledger into a temporary GeoPackage (and, with
``--pg``, into a throwaway PostGIS schema) and prints wall-clock medians of:

* ``baseline``: the reads every report needs (``flagged_sources`` plus the
  stations and inspections layers), in the same process;
* ``report <by>``: :func:`geo.reports.build_report` for each breakdown;
* ``trend``: the monthly trend alone (13 month-end reads of the history);
* ``xlsx`` / ``csv``: writing the community report.

The ratio column divides each median by the baseline's: what the roll-ups
cost on top of reading the ledger.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def median_s(fn: Callable[[], object], runs: int) -> float:
    """Median wall time of ``fn`` over ``runs`` calls, after one warm-up call."""
    fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_store(label: str, store: object, runs: int) -> None:
    """Print one table of medians for an opened store holding the demo ledger."""
    from geo.priority import flagged_sources
    from geo.reports import BREAKDOWNS, build_report, monthly_trend, write_csv, write_xlsx

    def baseline() -> None:
        flagged_sources(store)  # type: ignore[arg-type]
        store.read("stations")  # type: ignore[attr-defined]
        store.read("inspections")  # type: ignore[attr-defined]

    cases: dict[str, Callable[[], object]] = {"baseline": baseline}
    for by in BREAKDOWNS:
        cases[f"report {by}"] = lambda by=by: build_report(store, by=by)  # type: ignore[misc]
    inspections = store.read("inspections")  # type: ignore[attr-defined]
    cases["trend"] = lambda: monthly_trend(store, inspections)  # type: ignore[arg-type]
    community = build_report(store, by="community")  # type: ignore[arg-type]
    cases["xlsx community"] = lambda: write_xlsx(community, io.BytesIO())
    cases["csv community"] = lambda: write_csv(community)
    medians = {name: median_s(fn, runs) for name, fn in cases.items()}
    print(f"\n{label}: median of {runs} runs")
    print(f"{'case':<20}{'median ms':>12}{'ratio':>8}")
    for name, seconds in medians.items():
        print(f"{name:<20}{seconds * 1000:>12.1f}{seconds / medians['baseline']:>8.2f}")


def main() -> None:
    """Run the benchmark on a GeoPackage and, with --pg, on PostGIS."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pg", help="PostgreSQL URL with PostGIS (a throwaway schema is used)")
    args = parser.parse_args()

    from geo.demo import load_demo
    from geo.store.gpkg import GeoPackageStore

    with tempfile.TemporaryDirectory() as tmp:
        gpkg = GeoPackageStore(Path(tmp) / "bench.gpkg")
        gpkg.init_schema()
        load_demo(gpkg)
        bench_store("GeoPackage", gpkg, args.runs)
        gpkg.close()
    if args.pg:
        from geo.store.postgis import PostGISStore

        pg = PostGISStore(args.pg, schema=f"zw_bench_{uuid.uuid4().hex[:8]}")
        pg.init_schema()
        try:
            load_demo(pg)
            bench_store("PostGIS", pg, args.runs)
        finally:
            pg.drop_schema()
            pg.close()


if __name__ == "__main__":
    main()
