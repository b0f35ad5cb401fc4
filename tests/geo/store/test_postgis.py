"""PostGIS-specific tests: schema, indexes, isolation, in-database exactness, bulk writes.

The behaviour both stores share lives in ``test_contract.py``; here we look
inside the database. Distances are checked against pyproj ``Geod`` on WGS84.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import pytest
import shapely
from psycopg import sql
from pyproj import Geod
from shapely import LineString, Point, Polygon

from geo import writes
from geo.errors import DuplicateIdError, StoreError, ValidationError
from geo.ledger import LAYERS, Feature
from geo.store import Query
from geo.store.postgis import PostGISStore
from geo.store.postgis import radius as pg_radius
from tests._support.stores import pg_url

pytestmark = pytest.mark.postgis

GEOD = Geod(ellps="WGS84")
STATION = (113.6650, 34.7570)  # near the Zhongyuan District bureau, Zhengzhou
GEO_LAYERS = [name for name, layer in LAYERS.items() if layer.has_geometry]


def _new_store(prefix: str = "zw_pgtest") -> PostGISStore:
    store = PostGISStore(pg_url(), schema=f"{prefix}_{uuid.uuid4().hex[:10]}")
    store.init_schema()
    return store


@pytest.fixture
def pg() -> Iterator[PostGISStore]:
    store = _new_store()
    try:
        yield store
    finally:
        store.drop_schema()
        store.close()


def _query(sql_text: sql.Composable | str, params: object = None) -> list[tuple]:
    with psycopg.connect(pg_url(), autocommit=True) as conn:
        return conn.execute(sql_text, params).fetchall()  # type: ignore[arg-type]


def _station(store: PostGISStore, lon: float, lat: float, fid: str = "M1", **props) -> None:
    writes.create(
        store, "stations", Feature(fid, {"name": f"站{fid}", **props}, Point(lon, lat)), actor="t"
    )


def _sources_frame(geoms: list, ids: list[str] | None = None) -> gpd.GeoDataFrame:
    ids = ids or [f"S{i:06d}" for i in range(len(geoms))]
    categories = [_category(g) for g in geoms]
    return gpd.GeoDataFrame(
        {"id": ids, "name": [f"源{i}" for i in ids], "category": categories},
        geometry=geoms,
        crs="EPSG:4326",
    )


def _category(geom) -> str:
    kind = geom.geom_type
    return {"Point": "catering", "LineString": "muck_route"}.get(kind, "construction_site")


# -- schema and indexes ----------------------------------------------------------------


@pytest.mark.parametrize("layer", GEO_LAYERS, ids=GEO_LAYERS)
def test_geometry_column_is_srid_4326_with_gist_indexes(pg, layer):
    rows = _query(
        "SELECT srid, type FROM geometry_columns "
        "WHERE f_table_schema = %s AND f_table_name = %s AND f_geometry_column = 'geom'",
        [pg.schema, layer],
    )
    assert rows == [(4326, "GEOMETRY")]
    indexes = _query(
        "SELECT indexdef FROM pg_indexes WHERE schemaname = %s AND tablename = %s",
        [pg.schema, layer],
    )
    gist = sorted(d for (d,) in indexes if "USING gist" in d)
    assert len(gist) == 2
    assert "(geog)" in gist[0] and "(geom)" in gist[1]


def test_tables_without_geometry_and_the_history_exist(pg):
    rows = _query(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", [pg.schema]
    )
    assert sorted(r[0] for r in rows) == sorted(
        [*LAYERS, "history", "tokens", "accounts", "signin_failures", "sessions", "photos",
         "observations"])
    columns = _query(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = %s AND table_name = 'inspections'",
        [pg.schema],
    )
    assert "geom" not in {c for (c,) in columns}


def test_history_is_append_only(pg):
    writes.create(
        pg, "sources", Feature("S1", {"name": "a", "category": "bbq"}, Point(*STATION)), actor="t"
    )
    target = sql.Identifier(pg.schema, "history")
    for statement in ("UPDATE {} SET actor = 'forger'", "DELETE FROM {}", "TRUNCATE {}"):
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            _query(sql.SQL(statement).format(target))
    assert [h.actor for h in pg.history("sources", "S1")] == ["t"]


def test_init_schema_twice_keeps_the_data(pg):
    _station(pg, *STATION)
    pg.init_schema()
    assert pg.count("stations") == 1


# -- isolation and connections ---------------------------------------------------------


def test_schemas_are_isolated_and_quoted():
    first = _new_store("zw_iso")
    mixed = PostGISStore(pg_url(), schema=f"Zw_Iso_{uuid.uuid4().hex[:8]}")
    mixed.init_schema()
    try:
        _station(first, *STATION)
        assert (first.count("stations"), mixed.count("stations")) == (1, 0)
        _station(mixed, *STATION, fid="M2")
        assert mixed.read("stations")["id"].tolist() == ["M2"]
        mixed.drop_schema()
        assert first.count("stations") == 1
    finally:
        for store in (first, mixed):
            store.drop_schema()
            store.close()


@pytest.mark.parametrize(
    "schema",
    ['x"; DROP SCHEMA public; --', "", "1abc", "a" * 64, "sp ace"],
    ids=["injection", "empty", "digit-first", "too-long", "space"],
)
def test_unsafe_schema_names_are_refused(schema):
    with pytest.raises(ValidationError, match="schema"):
        PostGISStore(pg_url(), schema=schema)


def test_unreachable_database_is_a_store_error_without_password():
    store = PostGISStore(
        "postgresql://postgres:sekret@/zw_no_such_db?host=/var/run/postgresql", schema="zw"
    )
    with pytest.raises(StoreError, match="cannot connect") as info:
        store.count("sources")
    assert "sekret" not in str(info.value)


def test_missing_schema_says_to_call_init_schema():
    store = PostGISStore(pg_url(), schema=f"zw_never_{uuid.uuid4().hex[:8]}")
    with pytest.raises(StoreError, match="init_schema"):
        store.read("sources")
    store.close()


def test_close_then_reuse_reconnects(pg):
    _station(pg, *STATION)
    pg.close()
    assert pg.count("stations") == 1


def test_one_store_shared_by_threads(pg):
    errors: list[BaseException] = []

    def work(k: int) -> None:
        try:
            for i in range(15):
                fid = f"T{k}-{i}"
                feature = Feature(
                    fid, {"name": fid, "category": "bbq"}, Point(113.6 + k / 100, 34.7)
                )
                writes.create(pg, "sources", feature, actor=f"thread{k}")
                writes.update(
                    pg, "sources", fid, {"status": "closed"}, expected_version=1, actor="t"
                )
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert pg.count("sources") == 90
    assert set(pg.read("sources")["version"]) == {2}


# -- the radius query uses the index ----------------------------------------------------


def _explain(store: PostGISStore, statement: sql.Composable, params: dict) -> str:
    with psycopg.connect(pg_url(), autocommit=True) as conn:
        rows = conn.execute(sql.SQL("EXPLAIN ") + statement, params).fetchall()
    return "\n".join(r[0] for r in rows)


def test_radius_query_uses_the_geography_index(pg):
    rng = np.random.default_rng(7)
    n = 20_000
    points = shapely.points(113.3 + rng.random(n) * 0.8, 34.5 + rng.random(n) * 0.6)
    writes.write_frame(pg, "sources", _sources_frame(list(points)), mode="append", actor="t")
    params = {"lon": STATION[0], "lat": STATION[1], "radius_m": 3000.0}
    params["wide_m"] = pg_radius.widened(3000.0)
    plan = _explain(pg, pg_radius.within_sql(pg.schema, LAYERS["sources"]), params)
    print(plan)
    assert "sources_geog_gist" in plan and "Seq Scan" not in plan


def test_priority_query_uses_the_station_index(pg):
    rng = np.random.default_rng(8)
    stations = shapely.points(113.3 + rng.random(3000) * 0.8, 34.5 + rng.random(3000) * 0.6)
    frame = gpd.GeoDataFrame(
        {"id": [f"M{i:05d}" for i in range(3000)], "name": "站"}, geometry=stations, crs=4326
    )
    writes.write_frame(pg, "stations", frame, mode="append", actor="t")
    writes.write_frame(pg, "sources", _sources_frame([Point(*STATION)]), mode="append", actor="t")
    params = {"radius_m": None, "wide_m": pg_radius.widened(3000.0), "ids": None}
    plan = _explain(pg, pg_radius.flag_sql(pg.schema), params)
    print(plan)
    assert plan.count("stations_geog_gist") == 2 and "Seq Scan on stations" not in plan


def test_priority_of_a_page_of_ids_reads_only_those_sources(pg):
    rng = np.random.default_rng(9)
    points = shapely.points(113.3 + rng.random(20_000) * 0.8, 34.5 + rng.random(20_000) * 0.6)
    writes.write_frame(pg, "sources", _sources_frame(list(points)), mode="append", actor="t")
    with psycopg.connect(pg_url(), autocommit=True) as conn:
        conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(pg.schema, "sources")))
    some = pg.read("sources", query=Query(limit=100, offset=500))["id"].tolist()
    params = {"radius_m": None, "wide_m": pg_radius.widened(3000.0), "ids": some}
    plan = _explain(pg, pg_radius.flag_sql(pg.schema), params)
    print(plan)
    assert "Index Cond: (id = ANY" in plan and "Seq Scan on sources" not in plan


# -- exactness at the boundary, in the database ----------------------------------------

BOUNDARY_LATS = [0.0, 34.757, -45.0, 66.0]


@pytest.mark.parametrize("lat", BOUNDARY_LATS, ids=[f"lat{v:g}" for v in BOUNDARY_LATS])
def test_points_at_the_3000_m_boundary_flag_exactly(pg, lat):
    lon = STATION[0]
    _station(pg, lon, lat)
    azimuths = np.arange(0.0, 360.0, 7.5)
    geoms, ids, expected = [], [], {}
    for k, az in enumerate(azimuths):
        for tag, dist_m in (("in", 2999.99), ("out", 3000.01)):
            x, y, _ = GEOD.fwd(lon, lat, az, dist_m)
            fid = f"{tag}{k:03d}"
            geoms.append(Point(x, y))
            ids.append(fid)
            expected[fid] = GEOD.inv(lon, lat, x, y)[2]
    writes.write_frame(pg, "sources", _sources_frame(geoms, ids), mode="append", actor="t")
    flags = pg.flag_priority().set_index("id")
    assert flags["priority"].to_dict() == {fid: fid.startswith("in") for fid in ids}
    error_m = np.abs(flags["distance_m"] - flags.index.map(expected).to_numpy(float))
    assert error_m.max() < 0.01
    hits = pg.within("sources", lon, lat, radius_m=3000)
    assert sorted(hits["id"]) == sorted(f for f in ids if f.startswith("in"))
    assert hits["distance_m"].is_monotonic_increasing


def test_within_orders_ties_by_id_and_counts_exactly_r(pg):
    lon, lat = STATION
    ring = [GEOD.fwd(lon, lat, az, 1000.0)[:2] for az in (0, 120, 240)]
    geoms = [Point(x, y) for x, y in ring]
    writes.write_frame(
        pg, "sources", _sources_frame(geoms, ["c", "a", "b"]), mode="append", actor="t"
    )
    hits = pg.within("sources", lon, lat, radius_m=1000.0 + 1e-6)
    assert hits["id"].tolist() == ["a", "b", "c"]
    assert np.allclose(hits["distance_m"], 1000.0, atol=0.01)


def test_per_station_radius_and_override(pg):
    lon, lat = STATION
    _station(pg, lon, lat, "M1", radius_m=500.0)
    x, y, _ = GEOD.fwd(lon, lat, 30.0, 800.0)
    _station(pg, x, y, "M2")  # default 3000 m
    writes.write_frame(pg, "sources", _sources_frame([Point(lon, lat)]), mode="append", actor="t")
    row = pg.flag_priority().iloc[0]
    assert (row["nearest_station"], row["stations"]) == ("M1", ["M1", "M2"])
    assert pg.flag_priority(radius_m=100.0).iloc[0]["stations"] == ["M1"]
    assert pg.flag_priority(radius_m=100.0).iloc[0]["priority"]


def test_nearest_station_is_nearest_on_the_spheroid(pg):
    # Two stations almost equidistant north and east of the source: the
    # sphere and the spheroid disagree about which is nearer, Geod decides.
    lon, lat = 113.0, 45.0
    north = GEOD.fwd(lon, lat, 0.0, 10_000.0)[:2]
    east = GEOD.fwd(lon, lat, 90.0, 10_000.2)[:2]
    _station(pg, *north, "MN")
    _station(pg, *east, "ME")
    writes.write_frame(pg, "sources", _sources_frame([Point(lon, lat)]), mode="append", actor="t")
    assert _sphere_m((lon, lat), east) < _sphere_m((lon, lat), north)  # the sphere: east...
    row = pg.flag_priority().iloc[0]
    assert row["nearest_station"] == "MN"  # ...the ellipsoid: north
    assert abs(row["distance_m"] - 10_000.0) < 0.01


def _sphere_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    statement = (
        "SELECT ST_Distance(ST_MakePoint(%s, %s)::geography, ST_MakePoint(%s, %s)::geography,"
        " false)"
    )
    return _query(statement, [*a, *b])[0][0]


def test_sphere_prefilter_never_drops_a_spheroid_hit():
    # The index filters run on PostGIS's sphere, widened by 1 %; that is safe
    # only if sphere and spheroid distances differ by less than 1 % everywhere.
    rows = _query(
        "SELECT min(r), max(r) FROM (SELECT ST_Distance(a, b, false) / ST_Distance(a, b, true)"
        " AS r FROM ("
        " SELECT ST_MakePoint(0, lat)::geography AS a,"
        "  ST_Project(ST_MakePoint(0, lat)::geography, d, radians(az)) AS b"
        " FROM generate_series(-89, 89, 1) AS lat, generate_series(0, 355, 5) AS az,"
        "  (VALUES (1.0), (3000.0), (50000.0)) AS dist(d)) AS pairs) AS ratios"
    )
    least, worst = rows[0]
    print(f"sphere/spheroid distance ratio: {least:.5f} .. {worst:.5f}")
    assert 0.99 < least < 1.0 < worst < 1.01  # both directions: nearest search widens too
    assert pg_radius.widened(3000.0) >= 3000.0 * worst + 0.5


def test_no_stations_means_no_priority(pg):
    writes.write_frame(pg, "sources", _sources_frame([Point(*STATION)]), mode="append", actor="t")
    row = pg.flag_priority().iloc[0]
    assert not row["priority"] and row["nearest_station"] is None
    assert np.isnan(row["distance_m"]) and row["stations"] == []


# -- lines and polygons -----------------------------------------------------------------


def _oracle_distance_m(lon: float, lat: float, geom) -> float:
    """Brute force: densify every lon/lat-straight edge to ~0.2 m, take the least Geod distance."""
    if geom.geom_type in ("Polygon", "MultiPolygon") and geom.covers(Point(lon, lat)):
        return 0.0
    parts = getattr(geom, "geoms", [geom])
    rings = []
    for part in parts:
        rings.extend([part.exterior, *part.interiors] if part.geom_type == "Polygon" else [part])
    best = np.inf
    for ring in rings:
        coords = np.asarray(ring.coords)
        for (x1, y1), (x2, y2) in zip(coords[:-1], coords[1:], strict=True):
            steps = max(int(GEOD.inv(x1, y1, x2, y2)[2] / 0.2), 1)
            t = np.linspace(0.0, 1.0, steps + 1)
            xs, ys = x1 + (x2 - x1) * t, y1 + (y2 - y1) * t
            _, _, d = GEOD.inv(np.full_like(xs, lon), np.full_like(ys, lat), xs, ys)
            best = min(best, float(d.min()))
    return best


def _offset(az: float, dist_m: float) -> tuple[float, float]:
    x, y, _ = GEOD.fwd(STATION[0], STATION[1], az, dist_m)
    return x, y


def _chord(az: float, dist_m: float, half_len_m: float) -> LineString:
    """A straight lon/lat segment whose middle lies dist_m from the station at azimuth az."""
    mx, my = _offset(az, dist_m)
    a = GEOD.fwd(mx, my, az + 90, half_len_m)[:2]
    b = GEOD.fwd(mx, my, az - 90, half_len_m)[:2]
    return LineString([a, b])


SHAPES = {
    "short-line": _chord(40.0, 2990.0, 150.0),
    "route-20km-east-west": _chord(0.0, 2800.0, 10_000.0),
    "route-20km-north-south": _chord(90.0, 2950.0, 10_000.0),
    "bent-route": LineString([_offset(200, 2500), _offset(230, 3100), _offset(260, 2600)]),
    "site-polygon": Polygon([_offset(a, d) for a, d in ((80, 2990), (100, 3300), (120, 3010))]),
    "polygon-around-station": Point(*STATION).buffer(0.01),
    "polygon-with-hole": Polygon(
        Point(*STATION).buffer(0.05).exterior.coords,
        [Point(*STATION).buffer(0.02).exterior.coords],
    ),
}


@pytest.mark.parametrize("name", list(SHAPES), ids=list(SHAPES))
def test_line_and_polygon_distances_match_the_oracle(pg, name):
    geom = SHAPES[name]
    _station(pg, *STATION)
    writes.write_frame(pg, "sources", _sources_frame([geom], ["X"]), mode="append", actor="t")
    expected = _oracle_distance_m(*STATION, geom)
    got = pg.flag_priority().iloc[0]["distance_m"]
    print(f"{name}: postgis {got:.4f} m, oracle {expected:.4f} m, diff {got - expected:+.4f} m")
    assert abs(got - expected) < 0.5
    assert pg.flag_priority().iloc[0]["priority"] == (expected <= 3000.0)
    hits = pg.within("sources", *STATION, radius_m=max(expected, 1.0) + 0.6)
    assert hits["id"].tolist() == ["X"]


def test_long_route_follows_lon_lat_lines_not_great_circles(pg):
    # A 20 km east-west route at 34.8 N: as a great circle it bows ~5 m north
    # of the lon/lat-straight line; the ledger means the straight line.
    geom = SHAPES["route-20km-east-west"]
    _station(pg, *STATION)
    writes.write_frame(pg, "sources", _sources_frame([geom], ["R"]), mode="append", actor="t")
    got = pg.flag_priority().iloc[0]["distance_m"]
    great_circle = _query(
        "SELECT ST_Distance(ST_GeomFromText(%s, 4326)::geography,"
        " ST_MakePoint(%s, %s)::geography, true)",
        [geom.wkt, *STATION],
    )[0][0]
    oracle = _oracle_distance_m(*STATION, geom)
    print(f"straight {got:.3f} m, great circle {great_circle:.3f} m, oracle {oracle:.3f} m")
    assert abs(got - oracle) < 0.5 and abs(great_circle - oracle) > 2.0


# -- bulk writes ------------------------------------------------------------------------


def _bulk_frame(n: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(3)
    frame = _sources_frame(
        list(shapely.points(113.5 + rng.random(n) * 0.3, 34.6 + rng.random(n) * 0.3)),
        [f"B{i:07d}" for i in range(n)],
    )
    frame["last_inspected"] = "2025-03-01"
    frame["demo"] = True
    return frame


def _history_rows(store: PostGISStore) -> int:
    table = sql.Identifier(store.schema, "history")
    return _query(sql.SQL("SELECT count(*) FROM {}").format(table))[0][0]


@pytest.mark.slow
def test_write_frame_100k_rows_is_all_or_nothing_and_timed(pg):
    n = 100_000
    frame = _bulk_frame(n)
    bad = frame.copy()
    bad.loc[n - 1, "category"] = "cafe"
    with pytest.raises(ValidationError, match=rf"row {n}: .*'cafe'"):
        writes.write_frame(pg, "sources", bad, mode="append", actor="bulk")
    assert (pg.count("sources"), _history_rows(pg)) == (0, 0)

    started = time.perf_counter()
    summary = writes.write_frame(pg, "sources", frame, mode="append", actor="bulk")
    elapsed = time.perf_counter() - started
    print(f"\nwrite_frame append {n} rows: {elapsed:.2f} s ({n / elapsed:,.0f} rows/s)")
    assert summary.inserted == n
    assert (pg.count("sources"), _history_rows(pg)) == (n, n)

    taken = frame.iloc[[0]].copy()  # a taken id aborts a second, database-side batch
    more = _bulk_frame(n).iloc[1:50_000].copy()
    more["id"] = [f"C{i:07d}" for i in range(len(more))]
    with pytest.raises(DuplicateIdError, match="B0000000"):
        writes.write_frame(pg, "sources", pd.concat([more, taken]), mode="append", actor="bulk")
    assert (pg.count("sources"), _history_rows(pg)) == (n, n)


def test_upsert_and_replace_write_history_for_every_row(pg):
    frame = _bulk_frame(1500)
    writes.write_frame(pg, "sources", frame, mode="append", actor="a")
    changed = frame.iloc[:1200].copy()
    changed["name"] = "改"
    extra = _bulk_frame(1600).iloc[1500:]
    summary = writes.write_frame(
        pg, "sources", pd.concat([changed, extra]), mode="upsert", actor="b"
    )
    assert (summary.inserted, summary.updated, summary.deleted) == (100, 1200, 0)
    history = pg.history("sources", "B0000007")
    assert [(h.operation, h.actor) for h in history] == [("create", "a"), ("update", "b")]
    assert history[1].before["properties"]["name"] != "改"
    assert history[1].after["properties"]["name"] == "改"
    assert history[1].after["properties"]["version"] == 2
    summary = writes.write_frame(pg, "sources", frame.iloc[:3], mode="replace", actor="c")
    assert (summary.inserted, summary.updated, summary.deleted) == (3, 0, 1600)
    assert _history_rows(pg) == 1500 + 1300 + 1600 + 3
    assert pg.history("sources", "B0001599")[-1].operation == "delete"


def test_concurrent_bulk_upserts_take_turns(pg):
    frame = _bulk_frame(500)
    writes.write_frame(pg, "sources", frame, mode="append", actor="a")
    other = PostGISStore(pg_url(), schema=pg.schema)  # a second connection, same schema
    errors: list[BaseException] = []

    def work(store: PostGISStore, actor: str) -> None:
        try:
            for _ in range(3):
                writes.write_frame(store, "sources", frame, mode="upsert", actor=actor)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(s, n)) for s, n in ((pg, "x"), (other, "y"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    other.close()
    assert errors == []
    assert set(pg.read("sources")["version"]) == {7}
    for fid in ("B0000000", "B0000042", "B0000499"):
        history = pg.history("sources", fid)
        after = [h.after["properties"]["version"] for h in history]
        before = [h.before["properties"]["version"] for h in history[1:]]
        assert (after, before) == (list(range(1, 8)), list(range(1, 7)))


def test_write_frame_reprojects_a_projected_frame(pg):
    frame = _sources_frame([Point(*STATION)]).to_crs("EPSG:4547")
    writes.write_frame(pg, "sources", frame, mode="append", actor="t")
    stored = pg.get("sources", "S000000").geometry
    assert GEOD.inv(*STATION, stored.x, stored.y)[2] < 0.001


# -- parity with the GeoPackage store ---------------------------------------------------


def _parity_ledger() -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(11)
    n = 400
    points = shapely.points(113.60 + rng.random(n) * 0.12, 34.70 + rng.random(n) * 0.10)
    geoms = [*points, SHAPES["bent-route"], SHAPES["site-polygon"], SHAPES["polygon-with-hole"]]
    sources = _sources_frame(geoms, [f"P{i:04d}" if i % 7 else f"p{i}" for i in range(len(geoms))])
    sources["community"] = [None if i % 3 else "建设路社区" for i in range(len(geoms))]
    sources["last_inspected"] = [None if i % 2 else "2025-06-30" for i in range(len(geoms))]
    sources["demo"] = [bool(i % 2) for i in range(len(geoms))]
    stations = gpd.GeoDataFrame(
        {
            "id": ["M-b", "M-a", "M-c"],
            "name": ["乙", "甲", "丙"],
            "radius_m": [3000.0, 1500.0, 5000.0],
        },
        geometry=[Point(*STATION), Point(113.63, 34.73), Point(113.70, 34.78)],
        crs="EPSG:4326",
    )
    inspections = pd.DataFrame(
        {
            "id": ["I2", "I1"],
            "source_id": ["P0001", "P0002"],
            "date": ["2025-01-02", "2025-01-03"],
            "round": [3, None],
            "result": ["compliant", "violation"],
        }
    )
    return {"sources": sources, "stations": stations, "inspections": inspections}


@pytest.fixture
def twins(pg, tmp_path):
    from geo.store.gpkg import GeoPackageStore

    gpkg = GeoPackageStore(tmp_path / "twin.gpkg")
    gpkg.init_schema()
    for layer, frame in _parity_ledger().items():
        for store in (gpkg, pg):
            writes.write_frame(store, layer, frame, mode="append", actor="twin")
    yield gpkg, pg
    gpkg.close()


@pytest.mark.parametrize("layer", ["sources", "stations", "inspections"])
def test_both_stores_read_identical_frames(twins, layer):
    gpkg, pg = twins
    expected, got = gpkg.read(layer), pg.read(layer)
    assert type(got) is type(expected)
    assert list(got.dtypes.astype(str)) == list(expected.dtypes.astype(str))
    stamps = got.pop("updated_at"), expected.pop("updated_at")
    assert all(s.str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z").all() for s in stamps)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)


def test_both_stores_flag_and_search_alike(twins):
    gpkg, pg = twins
    for radius_m in (None, 2000.0):
        expected, got = gpkg.flag_priority(radius_m=radius_m), pg.flag_priority(radius_m=radius_m)
        assert list(got.columns) == list(expected.columns)
        # Text columns may differ in dtype only: object here, pandas' str from geo.radius.
        numeric = ["priority", "distance_m", "stations"]
        assert got.dtypes[numeric].tolist() == expected.dtypes[numeric].tolist()
        for column in ("id", "priority", "nearest_station", "stations"):
            assert got[column].tolist() == expected[column].tolist()
        assert np.allclose(got["distance_m"], expected["distance_m"], rtol=0, atol=0.01)
    for lon, lat, radius_m in ((*STATION, 3000.0), (113.65, 34.72, 800.0)):
        expected, got = (
            gpkg.within("sources", lon, lat, radius_m=radius_m),
            pg.within("sources", lon, lat, radius_m=radius_m),
        )
        assert got["id"].tolist() == expected["id"].tolist()
        assert list(got.columns) == list(expected.columns)
        assert np.allclose(got["distance_m"], expected["distance_m"], rtol=0, atol=0.01)


def test_both_stores_keep_the_same_history(twins):
    gpkg, pg = twins
    for store in twins:
        version = store.get("sources", "P0001").version  # 2: its imported inspections moved it
        writes.update(
            store, "sources", "P0001", {"status": "closed"}, expected_version=version, actor="ed"
        )
    entries = [store.history("sources", "P0001") for store in (gpkg, pg)]
    assert [len(e) for e in entries] == [3, 3]
    for mine, theirs in zip(entries[1], entries[0], strict=True):
        assert (mine.operation, mine.actor) == (theirs.operation, theirs.actor)
        for side in ("before", "after"):
            a, b = getattr(mine, side), getattr(theirs, side)
            if a is None or b is None:
                assert a is b
                continue
            assert a["geometry"] == b["geometry"]
            strip = {k: v for k, v in a["properties"].items() if k != "updated_at"}
            assert strip == {k: v for k, v in b["properties"].items() if k != "updated_at"}
            assert list(a["properties"]) == list(b["properties"])
