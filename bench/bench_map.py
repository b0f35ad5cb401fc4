"""Map benchmark: ``GET /map`` with 1e5 sources against a naive Folium page.

Usage::

    python bench/bench_map.py [--sources 100000] [--runs 3] [--workdir /tmp/zonewatch-bench-map]
                              [--no-naive] [--pg postgresql:///test]

Builds (once, reused) a GeoPackage holding the Zhongyuan demo ledger with its
sources replaced by ``--sources`` synthetic ones spread over the district
(fixed seed; realistic name/address lengths, real communities and grids),
starts ``zonewatch serve`` on a loopback port and opens ``/map`` in headless
Chromium (Debian's ``/usr/bin/chromium`` via Playwright) ``--runs`` times,
each in a fresh context (cold browser cache). It reports the median time from
navigation until the map says it is drawn (``window.zonewatch.ready``: every
source added to its cluster group), the bytes transferred (encoded bodies plus
headers), and apart from the median the first run, which meets a server that
has built nothing yet — as the first visitor after a start or an edit does
(the server keeps ``/map/data.json`` until the ledger changes). The ``data s``
column is when the page had the data parsed; the rest of ``ready`` is drawing.
``cpu s`` is the CPU time of the page's main thread until ready: on a shared
machine the wall times follow the load, this column much less.

With ``--pg`` the same ledger is also copied into a throwaway schema of that
PostGIS database and its ``/map`` timed the same way.

The baseline in the same run is what one would write first with Folium: one
``folium.Marker`` with a popup per source, the same local Leaflet (no CDN),
written to a file and opened from disk: time to build the HTML in Python,
its size, and the time until the browser fires ``load`` (all markers added).

Timings are wall-clock medians on whatever machine runs it; the browser and
the server share the CPU. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo import writes  # noqa: E402
from geo.demo import build_demo, load_boundary  # noqa: E402
from geo.store.gpkg import GeoPackageStore  # noqa: E402

SEED = 20264
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
CATEGORY_SHARE = {"catering": 0.8, "bbq": 0.15, "night_market": 0.01, "other": 0.04}


def build_gpkg(path: Path, n: int) -> Path:
    """Write the demo ledger with ``n`` synthetic sources in the district (reused)."""
    if path.exists():
        return path
    demo = build_demo()
    grids = demo["grids"]
    boundary = load_boundary()
    rng = np.random.default_rng(SEED + n)
    minx, miny, maxx, maxy = boundary.bounds
    xy = np.column_stack([rng.uniform(minx, maxx, 3 * n), rng.uniform(miny, maxy, 3 * n)])
    xy = xy[shapely.contains_xy(boundary, xy[:, 0], xy[:, 1])][:n]
    cell = rng.integers(0, len(grids), n)
    sources = demo["sources"].iloc[:0].copy()
    sources = sources.reindex(range(n))
    sources["id"] = [f"B{i:07d}" for i in range(n)]
    sources["name"] = [f"基准测试餐饮店{i}号（演示）" for i in range(n)]
    sources["category"] = rng.choice(list(CATEGORY_SHARE), n, p=list(CATEGORY_SHARE.values()))
    sources["status"] = "operating"
    sources["address"] = [f"中原区基准路{i % 997}号（演示）" for i in range(n)]
    sources["community"] = grids["community"].to_numpy()[cell]
    sources["grid"] = grids["name"].to_numpy()[cell]
    sources["last_inspected"] = "2026-09-01"
    sources = sources.set_geometry(shapely.points(xy[:, 0], xy[:, 1]), crs="EPSG:4326")
    partial = path.with_suffix(".partial.gpkg")
    partial.unlink(missing_ok=True)
    store = GeoPackageStore(partial)
    store.init_schema()
    for layer in ("districts", "grids", "stations"):
        writes.write_frame(store, layer, demo[layer], mode="append", actor="bench")
    writes.write_frame(store, "sources", sources, mode="append", actor="bench")
    store.close()
    partial.rename(path)
    return path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def postgis_copy(gpkg: Path, url: str) -> Iterator[tuple[str, str]]:
    """Copy the bench ledger into a throwaway schema at ``url``; yield (url, schema)."""
    from geo.store.postgis import PostGISStore

    source = GeoPackageStore(gpkg)
    target = PostGISStore(url, schema=f"zw_bench_map_{uuid.uuid4().hex[:10]}")
    try:
        target.init_schema()
        for layer in ("districts", "grids", "stations", "sources"):
            writes.write_frame(target, layer, source.read(layer), mode="append", actor="bench")
        yield url, target.schema
    finally:
        source.close()
        target.drop_schema()
        target.close()


@contextlib.contextmanager
def serve(store: Path | str, log: Path, *, pg_schema: str = "zonewatch") -> Iterator[str]:
    """Run ``zonewatch serve`` on a loopback port; yield its base URL."""
    port = _free_port()
    exe = Path(sys.executable).with_name("zonewatch")
    env = {**os.environ, "ZONEWATCH_STORE": str(store), "ZONEWATCH_SEED_DEMO": "false",
           "ZONEWATCH_PG_SCHEMA": pg_schema}
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(exe), "serve", "--host", "127.0.0.1", "--port", str(port)],
                                stdout=out, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(base + "/healthz", timeout=5):
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"zonewatch serve did not start; see {log}")
            time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def time_zonewatch(browser, url: str) -> tuple[float, int, int, float, float]:
    """Seconds until drawn, bytes, sources drawn, seconds until data parsed, page CPU seconds."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    devtools = context.new_cdp_session(page)
    devtools.send("Performance.enable")
    sizes: list[int] = []

    def finished(request) -> None:
        s = request.sizes()
        sizes.append(s["responseBodySize"] + s["responseHeadersSize"])

    page.on("requestfinished", finished)
    start = time.perf_counter()
    page.goto(url)
    page.wait_for_function("window.zonewatch && (zonewatch.ready || zonewatch.error)",
                           timeout=120_000, polling=20)
    seconds = time.perf_counter() - start
    drawn = page.evaluate("zonewatch.error || zonewatch.rendered")
    data_s = page.evaluate("zonewatch.timings.data") / 1000  # ms since navigation start
    metrics = {m["name"]: m["value"] for m in devtools.send("Performance.getMetrics")["metrics"]}
    context.close()
    if isinstance(drawn, str):
        raise RuntimeError(drawn)
    # CPU time of the page's main thread: what the page costs, whatever else runs
    return seconds, sum(sizes), int(drawn), data_s, float(metrics["ThreadTime"])


def build_naive(store_path: Path, out: Path) -> float:
    """Write the one-Marker-per-source Folium page; return seconds spent in Python."""
    import folium

    from maps.assets import copy_assets

    start = time.perf_counter()
    store = GeoPackageStore(store_path)
    sources = store.read("sources")
    store.close()
    fmap = folium.Map(location=(34.75, 113.58), zoom_start=12, tiles=None)
    fmap.default_js = [("leaflet", "naive_files/leaflet/leaflet.js")]
    fmap.default_css = [("leaflet_css", "naive_files/leaflet/leaflet.css")]
    for name, geom in zip(sources["name"], sources.geometry, strict=True):
        folium.Marker((geom.y, geom.x), popup=folium.Popup(html.escape(name))).add_to(fmap)
    fmap.save(str(out))
    seconds = time.perf_counter() - start
    copy_assets(out.parent / "naive_files")
    return seconds


def time_naive(browser, path: Path) -> float:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    start = time.perf_counter()
    page.goto(path.as_uri(), wait_until="load", timeout=600_000)
    seconds = time.perf_counter() - start
    context.close()
    return seconds


def time_map(browser, base: str, runs: int, label: str) -> float:
    """Open ``/map`` ``runs`` times, print one table row; return the median seconds."""
    timed = [time_zonewatch(browser, base + "/map") for _ in range(runs)]
    secs = statistics.median(r[0] for r in timed)
    mb = statistics.median(r[1] for r in timed) / 1e6
    data_s = statistics.median(r[3] for r in timed)
    cpu_s = statistics.median(r[4] for r in timed)
    print(f"{label:<34}{timed[0][2]:>9}{secs:>10.2f}{data_s:>8.2f}{cpu_s:>8.2f}"
          f"{timed[0][0]:>9.2f}{mb:>8.2f}")
    return secs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/zonewatch-bench-map"))
    parser.add_argument("--no-naive", action="store_true", help="skip the Folium baseline")
    parser.add_argument("--pg", metavar="URL", help="also time /map over PostGIS at this URL")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    args.workdir.mkdir(parents=True, exist_ok=True)
    gpkg = build_gpkg(args.workdir / f"map-{args.sources}.gpkg", args.sources)
    log = args.workdir / "zonewatch.log"
    with sync_playwright() as pw:
        # Playwright gives every launch a fresh temporary profile (--user-data-dir)
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        print(f"{'page':<34}{'sources':>9}{'ready s':>10}{'data s':>8}{'cpu s':>8}"
              f"{'first s':>9}{'MB':>8}")
        with serve(gpkg, log) as base:
            secs = time_map(browser, base, args.runs, "zonewatch /map (GeoPackage)")
        if args.pg:
            with postgis_copy(gpkg, args.pg) as (url, schema), \
                    serve(url, log, pg_schema=schema) as base:
                time_map(browser, base, args.runs, "zonewatch /map (PostGIS)")
        if not args.no_naive:
            time_naive_page(browser, gpkg, args.workdir / "naive.html", args.sources, secs)
        browser.close()
    return 0


def time_naive_page(browser, gpkg: Path, out: Path, sources: int, zonewatch_s: float) -> None:
    """Build and open the naive page, print its row and the ratio to Zonewatch's."""
    build_s = build_naive(gpkg, out)
    load_s = time_naive(browser, out)
    naive_mb = out.stat().st_size / 1e6
    print(f"{'naive folium (1 Marker/source)':<34}{sources:>9}{load_s:>10.2f}{'':>16}{'':>9}"
          f"{naive_mb:>8.2f}   (+{build_s:.1f} s to build the HTML in Python)")
    print(f"ratio naive/zonewatch: time x{load_s / zonewatch_s:.1f}")


if __name__ == "__main__":
    raise SystemExit(main())
