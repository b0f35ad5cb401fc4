"""The GeoPackage store's in-memory snapshot for radius and priority queries.

Every answer is compared with the uncached truth: :func:`geo.radius.within`
and :func:`geo.radius.flag_priority` on a fresh read of the file (with a new
store, so no snapshot is involved), and the rows as a fresh read of exactly
those ids returns them. Each kind of writer — this store, a second store on
the same file, GDAL in another process — must make the next answer new.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod
from shapely import LineString, Point

from geo import radius, writes
from geo.ledger import Feature
from geo.priority import split_closed
from geo.store import Query
from geo.store.gpkg import GeoPackageStore

STATION = (113.65, 34.75)
GEOD = Geod(ellps="WGS84")


def fwd(azimuth: float, dist_m: float) -> tuple[float, float]:
    lon, lat, _ = GEOD.fwd(*STATION, azimuth, dist_m)
    return float(lon), float(lat)


def sources(n: int, *, seed: int = 3, prefix: str = "S-") -> gpd.GeoDataFrame:
    """Points around STATION, a ring at 3000 m +- 1 cm, a line and a polygon."""
    rng = np.random.default_rng(seed)
    lon = rng.uniform(113.55, 113.75, n)
    lat = rng.uniform(34.69, 34.81, n)
    ring = [fwd(a, 3000.0 + d) for a, d in zip(range(0, 360, 30), [0.01, -0.01] * 6, strict=True)]
    lon[: len(ring)], lat[: len(ring)] = zip(*ring, strict=True)
    geoms = list(shapely.points(lon, lat))
    geoms[-2] = LineString([fwd(90, 2990.0), fwd(0, 6000.0)])
    geoms[-1] = shapely.box(*fwd(225, 2000.0), *fwd(45, 100.0))
    categories = ["catering"] * (n - 2) + ["muck_route", "construction_site"]
    frame = {
        "id": [f"{prefix}{i:05d}" for i in range(n)],
        "name": [f"店{i}" for i in range(n)],
        "category": categories,
    }
    return gpd.GeoDataFrame(frame, geometry=geoms, crs="EPSG:4326")


def stations() -> gpd.GeoDataFrame:
    frame = {"id": ["M-1", "M-2"], "name": ["市监测站", "区监测站"], "radius_m": [3000.0, 2000.0]}
    points = [Point(*STATION), Point(113.70, 34.78)]
    return gpd.GeoDataFrame(frame, geometry=points, crs="EPSG:4326")


@pytest.fixture
def gpkg(gpkg: GeoPackageStore) -> GeoPackageStore:
    """The fresh store of conftest.py holding 2000 sources and two stations."""
    writes.write_frame(gpkg, "sources", sources(2000), mode="append", actor="t")
    writes.write_frame(gpkg, "stations", stations(), mode="append", actor="t")
    return gpkg


def uncached(path: Path) -> GeoPackageStore:
    """A store on ``path`` whose reads always go to the file, never to a snapshot."""
    reader = GeoPackageStore(path)
    reader._read_cached = lambda layer, query: None  # type: ignore[method-assign]
    return reader


def fresh_read(path: Path, layer: str, query: Query | None = None) -> pd.DataFrame:
    reader = uncached(path)
    try:
        return reader.read(layer, query=query)
    finally:
        reader.close()


def fresh_within(path: Path, lon: float, lat: float, radius_m: float) -> pd.DataFrame:
    """The uncached truth: the engine on a fresh read, rows as a fresh read of their ids."""
    reader = uncached(path)
    try:
        ranked = radius.within(reader.read("sources"), lon, lat, radius_m=radius_m)
        ids = ranked["id"].tolist()
        rows = reader.read("sources", query=Query(ids=ids))
    finally:
        reader.close()
    order = pd.Index(rows["id"].tolist()).get_indexer(ids)
    rows = rows.iloc[order].reset_index(drop=True)[ranked.columns.drop("distance_m")]
    rows["distance_m"] = ranked["distance_m"].to_numpy()
    return rows


def fresh_flags(path: Path, radius_m: float | None = None) -> pd.DataFrame:
    reader = uncached(path)
    try:
        src, sta = reader.read("sources"), reader.read("stations")
    finally:
        reader.close()
    inside = radius.flag_priority(src, sta, radius_m=radius_m).to_frame()
    return split_closed(inside, src["status"])


def assert_same(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(
        pd.DataFrame(got), pd.DataFrame(expected), check_exact=True, check_like=False
    )


QUERIES = [
    pytest.param((*STATION, 3000.0), id="ring-at-3km"),
    pytest.param((*STATION, 2999.995), id="just-inside-ring"),
    pytest.param((113.60, 34.72, 1500.0), id="off-centre"),
    pytest.param((113.66, 34.76, 50.0), id="tiny"),
    pytest.param((120.0, 30.0, 3000.0), id="empty-far-away"),
    pytest.param((113.65, 34.75, 50_000.0), id="whole-ledger"),
]


@pytest.mark.parametrize("query", QUERIES)
def test_within_matches_the_uncached_engine(
    gpkg: GeoPackageStore, path: Path, query: tuple[float, float, float]
) -> None:
    lon, lat, radius_m = query
    first = gpkg.within("sources", lon, lat, radius_m=radius_m)  # builds the snapshot
    again = gpkg.within("sources", lon, lat, radius_m=radius_m)  # served from it
    expected = fresh_within(path, lon, lat, radius_m)
    assert_same(first, expected)
    assert_same(again, expected)


@pytest.mark.parametrize("radius_m", [None, 2500.0, 3000.0], ids=["own-radii", "2500", "3000"])
def test_flag_priority_matches_the_uncached_engine(
    gpkg: GeoPackageStore, path: Path, radius_m: float | None
) -> None:
    assert_same(gpkg.flag_priority(radius_m=radius_m), fresh_flags(path, radius_m))
    assert_same(gpkg.flag_priority(radius_m=radius_m), fresh_flags(path, radius_m))


READS = [
    pytest.param(None, id="whole-layer"),
    pytest.param(Query(ids=("S-00007", "S-01999", "S-nowhere", "S-00003", "S-00007")), id="ids"),
    pytest.param(Query(limit=50, offset=1990), id="last-page"),
    pytest.param(Query(limit=0), id="no-rows"),
    pytest.param(Query(ids=tuple(f"S-{i:05d}" for i in range(0, 2000, 7)), limit=40, offset=20),
                 id="a-page-of-ids"),
    pytest.param(Query(filters={"name": ["店7", "区监测站"]}), id="filter-reads-the-file"),
]


@pytest.mark.parametrize("query", READS)
def test_reads_match_the_file(gpkg: GeoPackageStore, path: Path, query: Query | None) -> None:
    gpkg.within("sources", *STATION, radius_m=3000.0)  # the snapshot exists
    for layer in ("sources", "stations"):
        assert_same(gpkg.read(layer, query=query), fresh_read(path, layer, query))


def test_a_page_keeps_fresh_read_dtypes(gpkg: GeoPackageStore, path: Path) -> None:
    append_with_gdal_in_a_subprocess(gpkg, path)  # one row with NULL demo: an object column
    assert gpkg.read("sources")["demo"].dtype == object
    page = gpkg.read("sources", query=Query(limit=10))
    assert page["demo"].dtype == np.bool_
    assert_same(page, fresh_read(path, "sources", Query(limit=10)))


def test_stations_are_served_from_the_snapshot_too(gpkg: GeoPackageStore) -> None:
    found = gpkg.within("stations", 113.70, 34.78, radius_m=10.0)
    assert found["id"].tolist() == ["M-2"] and found["distance_m"].iloc[0] == 0.0
    assert found["radius_m"].dtype == np.float64


# -- every writer invalidates -------------------------------------------------------------

INSIDE = fwd(10.0, 500.0)


def write_with_this_store(store: GeoPackageStore, path: Path) -> None:
    writes.create(
        store,
        "sources",
        Feature("S-new", {"name": "新店", "category": "bbq"}, Point(*INSIDE)),
        actor="t",
    )


def write_with_a_second_store(store: GeoPackageStore, path: Path) -> None:
    other = GeoPackageStore(path)
    try:
        writes.create(
            other,
            "sources",
            Feature("S-new", {"name": "新店", "category": "bbq"}, Point(*INSIDE)),
            actor="other",
        )
    finally:
        other.close()


def append_with_gdal_in_a_subprocess(store: GeoPackageStore, path: Path) -> None:
    # GDAL links its own SQLite: it must write from another process (POSIX locks).
    code = textwrap.dedent(
        f"""
        import geopandas as gpd, pyogrio
        from shapely import Point
        frame = gpd.GeoDataFrame({{"id": ["S-new"], "name": ["新店"], "category": ["bbq"]}},
                                 geometry=[Point{INSIDE!r}], crs="EPSG:4326")
        pyogrio.write_dataframe(frame, {str(path)!r}, layer="sources", driver="GPKG",
                                append=True)
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


WRITERS = [
    pytest.param(write_with_this_store, id="this-store"),
    pytest.param(write_with_a_second_store, id="second-store"),
    pytest.param(append_with_gdal_in_a_subprocess, id="gdal-subprocess"),
]


@pytest.mark.parametrize("writer", WRITERS)
def test_a_commit_by_any_writer_invalidates_the_snapshot(
    gpkg: GeoPackageStore, path: Path, writer
) -> None:
    before = gpkg.within("sources", *STATION, radius_m=3000.0)
    flags_before = gpkg.flag_priority()
    assert "S-new" not in set(before["id"])
    writer(gpkg, path)
    after = gpkg.within("sources", *STATION, radius_m=3000.0)
    assert set(after["id"]) == set(before["id"]) | {"S-new"}
    assert_same(after, fresh_within(path, *STATION, 3000.0))
    flags_after = gpkg.flag_priority()
    assert len(flags_after) == len(flags_before) + 1
    assert_same(flags_after, fresh_flags(path))
    assert gpkg.flag_priority(ids=["S-new"])["id"].tolist() == ["S-new"]
    assert_same(gpkg.read("sources"), fresh_read(path, "sources"))


def test_a_gdal_row_with_null_fields_keeps_fresh_read_dtypes(
    gpkg: GeoPackageStore, path: Path
) -> None:
    append_with_gdal_in_a_subprocess(gpkg, path)  # GDAL leaves demo NULL (no default)
    with_null = gpkg.within("sources", *INSIDE, radius_m=1.0)
    without = gpkg.within("sources", *STATION, radius_m=400.0)
    assert with_null["id"].tolist() == ["S-new"] and with_null["demo"].dtype == object
    assert "S-new" not in set(without["id"]) and without["demo"].dtype == np.bool_
    assert_same(with_null, fresh_within(path, *INSIDE, 1.0))
    assert_same(without, fresh_within(path, *STATION, 400.0))


@pytest.mark.parametrize("edit", ["update", "delete"])
def test_updates_and_deletes_invalidate(gpkg: GeoPackageStore, path: Path, edit: str) -> None:
    first = gpkg.within("sources", *STATION, radius_m=3000.0)
    victim = first["id"].iloc[0]
    if edit == "update":
        writes.update(
            gpkg, "sources", victim, {}, Point(120.0, 30.0), expected_version=1, actor="t"
        )
    else:
        writes.delete(gpkg, "sources", victim, expected_version=1, actor="t")
    after = gpkg.within("sources", *STATION, radius_m=3000.0)
    assert victim not in set(after["id"]) and len(after) == len(first) - 1
    assert_same(after, fresh_within(path, *STATION, 3000.0))


def test_a_station_edit_changes_the_flags(gpkg: GeoPackageStore, path: Path) -> None:
    covered = int(gpkg.flag_priority()["priority"].sum())
    writes.update(gpkg, "stations", "M-1", {"radius_m": 100.0}, expected_version=1, actor="t")
    flags = gpkg.flag_priority()
    assert int(flags["priority"].sum()) < covered
    assert_same(flags, fresh_flags(path))


# -- sharing, threads, memory ---------------------------------------------------------------


def test_callers_get_copies(gpkg: GeoPackageStore, path: Path) -> None:
    flags = gpkg.flag_priority()
    flags["priority"] = False
    again = gpkg.flag_priority()
    again.loc[:, "distance_m"] = -1.0
    again.iloc[0, again.columns.get_loc("nearest_station")] = "M-x"
    found = gpkg.within("sources", *STATION, radius_m=3000.0)
    found.loc[:, "name"] = "changed"
    whole = gpkg.read("sources")
    whole.loc[:, "name"] = "changed"
    whole.iloc[0, whole.columns.get_loc("category")] = "bbq"
    page = gpkg.read("sources", query=Query(limit=5))
    page.loc[:, "name"] = "changed"
    assert_same(gpkg.read("sources"), fresh_read(path, "sources"))
    assert_same(gpkg.flag_priority(), fresh_flags(path))
    assert_same(
        gpkg.within("sources", *STATION, radius_m=3000.0), fresh_within(path, *STATION, 3000.0)
    )


def test_answers_without_the_snapshot_while_another_thread_builds(
    gpkg: GeoPackageStore, path: Path
) -> None:
    gpkg.within("sources", *STATION, radius_m=3000.0)
    write_with_a_second_store(gpkg, path)  # the snapshot is now stale
    gpkg._cache._build_lock.acquire()  # as if another thread were rebuilding it
    try:
        found = gpkg.within("sources", *STATION, radius_m=3000.0)
    finally:
        gpkg._cache._build_lock.release()
    assert "S-new" in set(found["id"])
    assert_same(found, fresh_within(path, *STATION, 3000.0))


def test_concurrent_readers_never_see_a_torn_state(gpkg: GeoPackageStore, path: Path) -> None:
    base = set(gpkg.within("sources", *STATION, radius_m=3000.0)["id"])
    added = [f"S-add-{k}" for k in range(12)]
    seen: list[set[str]] = []
    done = threading.Event()

    def read_until_done() -> None:
        while not done.is_set():
            seen.append(set(gpkg.within("sources", *STATION, radius_m=3000.0)["id"]))

    with ThreadPoolExecutor(max_workers=3) as pool:
        readers = [pool.submit(read_until_done) for _ in range(3)]
        for k, fid in enumerate(added):
            feature = Feature(fid, {"name": "店", "category": "bbq"}, Point(*fwd(30 * k, 100.0)))
            writes.create(gpkg, "sources", feature, actor="t")
        done.set()
        for reader in readers:
            reader.result()
    states = [base | set(added[:k]) for k in range(len(added) + 1)]
    assert seen and all(state in states for state in seen)
    assert set(gpkg.within("sources", *STATION, radius_m=3000.0)["id"]) == states[-1]


def test_memory_holds_one_snapshot_per_layer(gpkg: GeoPackageStore) -> None:
    for radius_m in (1000.0, 2000.0, 3000.0, 4000.0, 5000.0, 6000.0):
        gpkg.flag_priority(radius_m=radius_m)
    generation = gpkg._cache._generation
    assert generation is not None and set(generation.layers) == {"sources", "stations"}
    assert len(generation.memos) <= 4
    write_with_this_store(gpkg, gpkg.path)
    gpkg.within("sources", *STATION, radius_m=3000.0)
    assert gpkg._cache._generation is not generation and not gpkg._cache._generation.memos


def test_close_drops_the_snapshot_and_reopens(gpkg: GeoPackageStore, path: Path) -> None:
    gpkg.within("sources", *STATION, radius_m=3000.0)
    gpkg.close()
    assert gpkg._cache._generation is None
    assert_same(
        gpkg.within("sources", *STATION, radius_m=3000.0), fresh_within(path, *STATION, 3000.0)
    )
