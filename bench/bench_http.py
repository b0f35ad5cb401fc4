"""HTTP benchmark on loopback: ``zonewatch serve`` against pygeoapi on the same GeoPackage.

Usage::

    python bench/bench_http.py [--quick] [--seconds 6] [--threads 4] [--no-pygeoapi]

Two GeoPackages are served by ``zonewatch serve`` (a subprocess on a fresh
127.0.0.1 port): the Zhongyuan demo ledger, and 1e5 synthetic point sources
spread over the ~100 x 80 km box around Zhengzhou of ``bench_flag.py`` (fixed
seed) plus the demo stations. A bounded load generator (httpx clients with
keep-alive; each row runs ``--seconds`` after a short warm-up; once with one
client for latency, once with ``--threads`` concurrent clients for
throughput) sends

* radius queries: ``/sources/within?lon=&lat=&radius_m=3000`` at random points
  inside the district boundary;
* pages of items: ``/collections/sources/items?bbox=...&limit=100`` with
  0.05 x 0.05 degree boxes (~4.6 x 5.5 km) centred on random district points.

The same 1e5 GeoPackage is served by pygeoapi (installed into its own virtual
environment under ``--workdir`` on first use, never a project dependency;
``SQLiteGPKG`` provider, its Starlette app under uvicorn, one process like
Zonewatch); both servers run at once and take turns in short slices on the
``items?bbox`` request, so drifting machine load hits both alike, and the
throughput ratio is printed.

A second table times the parts of those two requests inside this process on
the same file (median over the same points/boxes): the store's radius query
with the in-memory snapshot against the uncached R-tree read, and the parts
of an items page (read, count, derived priority fields, GeoJSON encoding).

Everything stays on 127.0.0.1; servers are stopped at the end. Timings are
wall-clock on whatever machine runs it (2 shared cores here): the load
generator competes with the server for the CPU.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import geopandas as gpd  # noqa: E402
import shapely  # noqa: E402

from geo import writes  # noqa: E402
from geo.demo import build_demo, load_boundary, load_demo  # noqa: E402
from geo.store import Query  # noqa: E402
from geo.store.gpkg import GeoPackageStore  # noqa: E402

SEED = 20263
N_BIG = 100_000
BOX = (113.10, 34.40, 114.20, 35.12)  # lon/lat box of bench_flag.py, ~100 km x 80 km
RADIUS_M = 3000.0
BBOX_DEG = 0.05
N_URLS = 200
SLICES = 3  # zonewatch and pygeoapi take turns this many times per row
PYGEOAPI_PACKAGES = ["pygeoapi", "uvicorn", "starlette"]


# --------------------------------------------------------------------------- data
def build_demo_gpkg(path: Path) -> Path:
    """Write the Zhongyuan demo ledger into a fresh GeoPackage (reused if present)."""
    if not path.exists():
        store = GeoPackageStore(path)
        store.init_schema()
        load_demo(store)
        store.close()
    return path


def build_big_gpkg(path: Path, n: int) -> Path:
    """``n`` synthetic point sources around Zhengzhou plus the demo stations (reused)."""
    if path.exists():
        return path
    partial = path.with_suffix(".partial.gpkg")
    partial.unlink(missing_ok=True)
    rng = np.random.default_rng(SEED + n)
    lon, lat = rng.uniform(BOX[0], BOX[2], n), rng.uniform(BOX[1], BOX[3], n)
    categories = rng.choice(["catering", "bbq", "other"], n)
    sources = gpd.GeoDataFrame(
        {
            "id": [f"S{i:07d}" for i in range(n)],
            "name": [f"基准餐饮{i}" for i in range(n)],
            "category": categories,
            "address": "郑州市",
        },
        geometry=shapely.points(lon, lat),
        crs="EPSG:4326",
    )
    store = GeoPackageStore(partial)
    store.init_schema()
    writes.write_frame(store, "stations", build_demo()["stations"], mode="append", actor="bench")
    writes.write_frame(store, "sources", sources, mode="append", actor="bench")
    store.close()
    partial.rename(path)
    return path


def district_points(n: int, seed: int) -> np.ndarray:
    """``n`` random (lon, lat) points inside the demo district boundary."""
    boundary = load_boundary()
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = boundary.bounds
    found: list[np.ndarray] = []
    while sum(len(f) for f in found) < n:
        xy = np.column_stack([rng.uniform(minx, maxx, 4 * n), rng.uniform(miny, maxy, 4 * n)])
        found.append(xy[shapely.contains_xy(boundary, xy[:, 0], xy[:, 1])])
    return np.concatenate(found)[:n]


def radius_urls(points: np.ndarray) -> list[str]:
    return [f"/sources/within?lon={x:.6f}&lat={y:.6f}&radius_m={RADIUS_M:g}" for x, y in points]


def bboxes(points: np.ndarray) -> list[tuple[float, float, float, float]]:
    h = BBOX_DEG / 2
    return [(x - h, y - h, x + h, y + h) for x, y in points]


def items_urls(boxes: Sequence[tuple[float, ...]]) -> list[str]:
    return [
        "/collections/sources/items?bbox=" + ",".join(f"{v:.6f}" for v in b) + "&limit=100"
        for b in boxes
    ]


# --------------------------------------------------------------------------- servers
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def server(cmd: list[str], port: int, log: Path, env: dict[str, str]) -> Iterator[str]:
    """Start a server subprocess and yield its base URL once it answers."""
    base = f"http://127.0.0.1:{port}"
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{cmd[0]} exited ({proc.returncode}); see {log}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(base + "/conformance", timeout=5).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{cmd[0]} did not answer within 120 s; see {log}")
            time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def zonewatch(store: Path, workdir: Path) -> contextlib.AbstractContextManager[str]:
    port = free_port()
    exe = Path(sys.executable).with_name("zonewatch")
    cmd = [str(exe), "serve", "--store", str(store), "--host", "127.0.0.1", "--port", str(port)]
    env = {**os.environ, "ZONEWATCH_SEED_DEMO": "false"}
    return server(cmd, port, workdir / f"zonewatch-{store.stem}.log", env)


_LOADS_EXTENSIONS = "import sqlite3; sqlite3.connect(':memory:').enable_load_extension(True)"


def loads_extensions(python: Path | str) -> bool:
    """Whether ``python``'s sqlite3 can load SQLite extensions (SQLiteGPKG needs spatialite)."""
    check = subprocess.run([str(python), "-c", _LOADS_EXTENSIONS], capture_output=True)
    return check.returncode == 0


def pygeoapi_venv(workdir: Path) -> Path:
    """Create the pygeoapi virtual environment on first use; return its bin dir.

    Its Python must load extensions (pyenv builds often cannot): Debian's
    ``/usr/bin/python3`` is preferred. The spatialite module comes from
    Debian's ``libsqlite3-mod-spatialite``.
    """
    venv = workdir / "pygeoapi-venv"
    bin_dir = venv / "bin"
    ready = (bin_dir / "pygeoapi").exists() and (bin_dir / "uvicorn").exists()
    if not ready or not loads_extensions(bin_dir / "python"):
        base = next((p for p in ("/usr/bin/python3", sys.executable) if loads_extensions(p)), None)
        if base is None:
            raise RuntimeError("no Python here whose sqlite3 loads extensions (for spatialite)")
        print(f"installing pygeoapi into {venv} ({base}) ...", flush=True)
        subprocess.run([base, "-m", "venv", "--clear", str(venv)], check=True)
        pip = [str(bin_dir / "python"), "-m", "pip", "install", "-q", *PYGEOAPI_PACKAGES]
        subprocess.run(pip, check=True, stdout=subprocess.DEVNULL)
    return bin_dir


def pygeoapi_config(gpkg: Path, port: int, bounds: Sequence[float]) -> str:
    """Return a minimal pygeoapi config: one collection ``sources`` from the GeoPackage."""
    return textwrap.dedent(
        f"""\
        server:
          bind: {{host: 127.0.0.1, port: {port}}}
          url: http://127.0.0.1:{port}
          mimetype: application/json; charset=UTF-8
          encoding: utf-8
          language: en-US
          cors: false
          pretty_print: false
          limits: {{default_items: 100, max_items: 10000}}
          map:
            url: http://127.0.0.1:{port}/none/{{z}}/{{x}}/{{y}}.png
            attribution: none
        logging:
          level: ERROR
        metadata:
          identification:
            title: Zonewatch benchmark
            description: pygeoapi baseline for bench/bench_http.py
            keywords: [benchmark]
            url: http://127.0.0.1:{port}
            terms_of_service: http://127.0.0.1:{port}/terms
          license: {{name: CC-BY 4.0, url: http://127.0.0.1:{port}/license}}
          provider: {{name: Zonewatch, url: http://127.0.0.1:{port}}}
          contact: {{name: Zonewatch, url: http://127.0.0.1:{port}, email: bench@127.0.0.1}}
        resources:
          sources:
            type: collection
            title: Sources
            description: Pollution sources
            keywords: [sources]
            extents:
              spatial:
                bbox: [{", ".join(f"{v:.6f}" for v in bounds)}]
                crs: http://www.opengis.net/def/crs/OGC/1.3/CRS84
            providers:
              - type: feature
                name: SQLiteGPKG
                data: {gpkg}
                id_field: id
                table: sources
        """
    )


def pygeoapi_copy(gpkg: Path, workdir: Path) -> Path:
    """Copy ``gpkg`` for pygeoapi, whose SQLiteGPKG provider adds spatialite tables to it."""
    served = workdir / f"pygeoapi-{gpkg.name}"
    for stale in (served, Path(f"{served}-wal"), Path(f"{served}-shm")):
        stale.unlink(missing_ok=True)
    shutil.copyfile(gpkg, served)
    return served


@contextlib.contextmanager
def pygeoapi(gpkg: Path, workdir: Path) -> Iterator[str]:
    """Serve ``gpkg`` with pygeoapi (its Starlette app under uvicorn); yield the base URL."""
    bin_dir = pygeoapi_venv(workdir)
    port = free_port()
    config, openapi = workdir / "pygeoapi-config.yml", workdir / "pygeoapi-openapi.yml"
    config.write_text(pygeoapi_config(gpkg, port, BOX), encoding="utf-8")
    env = {
        **os.environ,
        "PYGEOAPI_CONFIG": str(config),
        "PYGEOAPI_OPENAPI": str(openapi),
        "VIRTUAL_ENV": str(bin_dir.parent),
    }
    generate = [str(bin_dir / "pygeoapi"), "openapi", "generate", str(config)]
    generate += ["--output-file", str(openapi)]
    subprocess.run(generate, check=True, env=env, stdout=subprocess.DEVNULL)
    cmd = [str(bin_dir / "uvicorn"), "pygeoapi.starlette_app:APP", "--host", "127.0.0.1"]
    cmd += ["--port", str(port), "--log-level", "info"]  # as zonewatch serve logs
    with server(cmd, port, workdir / "pygeoapi.log", env) as base:
        yield base


# --------------------------------------------------------------------------- load
@dataclass
class Run:
    """One scenario's requests, wall time and per-request latencies."""

    label: str
    clients: int
    requests: int
    seconds: float
    latencies_s: list[float]
    features: float
    errors: int

    @property
    def rate(self) -> float:
        """Requests per second."""
        return self.requests / self.seconds

    def pct_ms(self, q: float) -> float:
        """Return the ``q``-th percentile latency in milliseconds."""
        return float(np.percentile(self.latencies_s, q)) * 1000.0


def features_per_response(base: str, urls: Sequence[str], sample: int = 20) -> float:
    """Mean number of features returned (also checks every sampled answer is a 200)."""
    counts = []
    with httpx.Client(base_url=base, timeout=60) as client:
        for url in urls[:sample]:
            response = client.get(url)
            response.raise_for_status()
            counts.append(len(response.json()["features"]))
    return float(np.mean(counts))


def drive(label: str, base: str, urls: Sequence[str], *, seconds: float, threads: int) -> Run:
    """Send ``urls`` round-robin from ``threads`` keep-alive clients for ``seconds``."""
    features = features_per_response(base, urls)  # also the warm-up
    latencies: list[list[float]] = [[] for _ in range(threads)]
    errors = [0] * threads
    stop = threading.Event()

    def worker(k: int) -> None:
        mine = urls[k::threads]
        with httpx.Client(base_url=base, timeout=60) as client:
            i = 0
            while not stop.is_set():
                started = time.perf_counter()
                try:
                    ok = client.get(mine[i % len(mine)]).status_code == 200
                except httpx.TransportError:  # a dropped connection counts as an error
                    ok = False
                latencies[k].append(time.perf_counter() - started)
                errors[k] += not ok
                i += 1

    pool = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
    started = time.perf_counter()
    for t in pool:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - started
    flat = [x for part in latencies for x in part]
    return Run(label, threads, len(flat), elapsed, flat, features, sum(errors))


def interleaved(
    servers: dict[str, str], data: str, urls: Sequence[str], *, seconds: float, threads: int
) -> list[Run]:
    """Drive each server in turn for ``SLICES`` short slices; one merged Run per server."""
    slices: dict[str, list[Run]] = {name: [] for name in servers}
    for _ in range(SLICES):
        for name, base in servers.items():
            label = f"{name:<9} {data:<13} items bbox"
            slices[name].append(drive(label, base, urls, seconds=seconds / SLICES, threads=threads))
    return [
        Run(
            parts[0].label,
            threads,
            sum(r.requests for r in parts),
            sum(r.seconds for r in parts),
            [x for r in parts for x in r.latencies_s],
            parts[0].features,
            sum(r.errors for r in parts),
        )
        for parts in slices.values()
    ]


def print_runs(runs: Sequence[Run]) -> None:
    """Print the HTTP table, one row per scenario and client count."""
    head = f"{'server / data / request':<42} {'clients':>7} {'requests':>8} {'req/s':>7} "
    print(head + f"{'p50 ms':>7} {'p99 ms':>7} {'features':>8} {'errors':>6}")
    for r in runs:
        print(
            f"{r.label:<42} {r.clients:>7} {r.requests:>8} {r.rate:>7.1f} {r.pct_ms(50):>7.2f} "
            f"{r.pct_ms(99):>7.2f} {r.features:>8.1f} {r.errors:>6}"
        )


def print_ratio(runs: Sequence[Run], data: str, clients: int) -> None:
    """Print zonewatch / pygeoapi throughput on ``items?bbox`` over ``data``."""

    def rate(server: str) -> float | None:
        for r in runs:
            if r.label.startswith(server) and data in r.label and r.label.endswith("items bbox"):
                if r.clients == clients:
                    return r.rate
        return None

    ours, theirs = rate("zonewatch"), rate("pygeoapi")
    if ours and theirs:
        print(
            f"\nitems?bbox throughput over {data}, {clients} clients, zonewatch / pygeoapi: "
            f"{ours / theirs:.2f}x (target >= 2x)"
        )


# --------------------------------------------------------------------------- in-process parts
def median_ms(func: Callable[[object], object], items: Sequence[object]) -> float:
    times = []
    for item in items:
        started = time.perf_counter()
        func(item)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000.0


def radius_parts(store: GeoPackageStore, points: np.ndarray) -> list[tuple[str, float]]:
    """Time the radius query with the snapshot and the uncached path it replaces."""
    from geo import radius
    from geo.geodesy import search_box
    from geo.ledger import get_layer

    layer = get_layer("sources")

    def uncached(p: tuple[float, float]) -> object:  # the R-tree read within() falls back on
        frame = store._read_box(layer, search_box(*p, RADIUS_M))
        return radius.within(frame, *p, radius_m=RADIUS_M)

    started = time.perf_counter()
    store.within("sources", *points[0], radius_m=RADIUS_M)
    cold_ms = (time.perf_counter() - started) * 1000.0
    pts = [(float(x), float(y)) for x, y in points[:50]]
    started = time.perf_counter()
    store.flag_priority()
    flags_ms = (time.perf_counter() - started) * 1000.0
    return [
        ("within: first call (builds the snapshot)", cold_ms),
        ("flag_priority: first call (engine over all)", flags_ms),
        (
            "flag_priority: again (kept result, copied)",
            median_ms(lambda _: store.flag_priority(), range(5)),
        ),
        (
            "within 3 km, snapshot (store.within)",
            median_ms(lambda p: store.within("sources", *p, radius_m=RADIUS_M), pts),
        ),
        ("within 3 km, uncached R-tree read + engine", median_ms(uncached, pts)),
        *encoding_parts(
            "within 3 km", [store.within("sources", *p, radius_m=RADIUS_M) for p in pts]
        ),
    ]


def encoding_parts(what: str, frames: Sequence[object]) -> list[tuple[str, float]]:
    """Time the GeoJSON answer of the radius route: feature dicts, then the whole body."""
    from api.responses import stream_feature_collection
    from geo.io.writers import iter_features

    return [
        (
            f"{what}: iter_features (geo/io/writers.py)",
            median_ms(lambda f: list(iter_features(f)), frames),
        ),  # type: ignore[arg-type]
        (
            f"{what}: whole body (api/responses.py)",
            median_ms(lambda f: stream_feature_collection(f).body, frames),  # type: ignore
        ),
    ]


def items_parts(
    store: GeoPackageStore, boxes: Sequence[tuple[float, ...]]
) -> list[tuple[str, float]]:
    """Time the pieces of one ``items?bbox&limit=100`` page (``page_frame``)."""
    from api.collections import with_derived
    from geo.io.writers import iter_features

    pages = [store.read("sources", query=Query(bbox=b, limit=100)) for b in boxes]
    derived = [with_derived(store, f) for f in pages]
    return [
        (
            "items: store.read(bbox, limit=100)",
            median_ms(lambda b: store.read("sources", query=Query(bbox=b, limit=100)), boxes),
        ),
        (
            "items: store.count(bbox)",
            median_ms(lambda b: store.count("sources", query=Query(bbox=b)), boxes),
        ),
        (
            "items: with_derived (the store's kept flags)",
            median_ms(lambda f: with_derived(store, f), pages),
        ),
        (
            "items: GeoJSON encoding of the page",
            median_ms(lambda f: json.dumps(list(iter_features(f)), ensure_ascii=False), derived),
        ),
    ]


def print_parts(gpkg: Path, points: np.ndarray, boxes: Sequence[tuple[float, ...]]) -> None:
    """Median times of the pieces behind the two requests, in this process."""
    store = GeoPackageStore(gpkg)
    try:
        rows = radius_parts(store, points) + items_parts(store, list(boxes[:50]))
    finally:
        store.close()
    print(f"\nParts in this process ({gpkg.name}; median over 50 points/boxes)")
    print(f"{'part':<48} {'ms':>9}")
    for name, value in rows:
        print(f"{name:<48} {value:>9.2f}")
    part = dict(rows)
    ratio = (
        part["within 3 km, uncached R-tree read + engine"]
        / part["within 3 km, snapshot (store.within)"]
    )
    print(f"{'radius query: uncached / snapshot':<48} {ratio:>8.1f}x")
    page = [v for name, v in rows if name.startswith("items:")]
    derived = part["items: with_derived (the store's kept flags)"]
    print(f"{'items page: with_derived share of the parts':<48} {derived / sum(page):>8.0%}")


# --------------------------------------------------------------------------- main
def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 s per scenario, 1e4 sources")
    parser.add_argument("--seconds", type=float, default=6.0, help="time per scenario")
    parser.add_argument("--threads", type=int, default=4, help="concurrent clients")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/zonewatch-bench"))
    parser.add_argument("--no-pygeoapi", action="store_true", help="skip the pygeoapi baseline")
    args = parser.parse_args(argv)
    seconds = 2.0 if args.quick else args.seconds
    n_big = 10_000 if args.quick else N_BIG
    args.workdir.mkdir(parents=True, exist_ok=True)

    demo = build_demo_gpkg(args.workdir / "demo.gpkg")
    big = build_big_gpkg(args.workdir / f"sources-{n_big}.gpkg", n_big)
    points = district_points(N_URLS, SEED)
    boxes = bboxes(district_points(N_URLS, SEED + 1))
    loads = sorted({1, args.threads})  # 1 client: latency; more: throughput
    radius, items = radius_urls(points), items_urls(boxes)
    runs: list[Run] = []
    with zonewatch(demo, args.workdir) as base:
        for what, urls in (("radius 3 km", radius), ("items bbox", items)):
            label = f"zonewatch {'demo':<13} {what}"
            runs += [drive(label, base, urls, seconds=seconds, threads=n) for n in loads]
    data = f"{n_big:.0e} sources"
    with contextlib.ExitStack() as stack:
        ours = stack.enter_context(zonewatch(big, args.workdir))
        label = f"zonewatch {data:<13} radius 3 km"
        runs += [drive(label, ours, radius, seconds=seconds, threads=n) for n in loads]
        servers = {"zonewatch": ours}
        if not args.no_pygeoapi:
            copy = pygeoapi_copy(big, args.workdir)
            servers["pygeoapi"] = stack.enter_context(pygeoapi(copy, args.workdir))
        for n in loads:  # alternate short slices so both see the same machine load
            runs += interleaved(servers, data, items, seconds=seconds, threads=n)
    print(f"\nHTTP on 127.0.0.1, {seconds:g} s per row; 'clients' concurrent keep-alive clients")
    print_runs(runs)
    print_ratio(runs, f"{n_big:.0e} sources", max(loads))
    print_parts(big, points, boxes)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
