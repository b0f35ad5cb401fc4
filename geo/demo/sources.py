"""Pollution sources of the demonstration ledger, built from the report's figures.

Each builder returns rows as dicts of the ``sources`` fields plus a
``geometry`` key; :mod:`geo.demo.build` numbers them and builds the frames.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely import affinity
from shapely.geometry.base import BaseGeometry

from geo.crs import from_lonlat, geometry_from_lonlat, geometry_to_lonlat, normalize_label
from geo.demo.names import NameBook, address, brand, catering_base
from geo.demo.zones import (
    METRIC_CRS,
    Cell,
    Zoning,
    check_inside,
    round_geometry,
    sample_points,
)
from geo.errors import ValidationError

Row = dict[str, Any]

#: Figures quoted in the bureau's report (shared/seed/zhongyuan-news.txt).
CATERING_COUNT = 2026
BBQ_COUNT = 347
NIGHT_MARKET_COUNT = 10
MARKET_AREA_M2 = (2_000.0, 15_000.0)
DEMO_NOTE = "演示数据"
# Muck routes stop this far inside the boundary so 1 cm rounding keeps them in.
ROUTE_EDGE_MARGIN_M = 15.0
ROUTE_MIN_LENGTH_M = 500.0


@dataclass(frozen=True)
class Project:
    """A construction project named in the report, as read from the projects file."""

    id: str
    name: str
    subdistrict: str
    kind: str
    stage: str
    status: str
    width_m: float | None
    crs: str
    wkt: str
    address: str
    note: str


def read_projects(path: Path) -> list[Project]:
    """Read the named projects (WKT in the labelled CRS, GCJ-02 as read off Amap)."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            Project(
                id=row["id"],
                name=row["name"],
                subdistrict=row["subdistrict"],
                kind=row["kind"],
                stage=row["stage"],
                status=row["status"],
                width_m=float(row["width_m"]) if row["width_m"] else None,
                crs=normalize_label(row["crs"]),
                wkt=row["wkt"],
                address=row["address"],
                note=row["note"],
            )
            for row in csv.DictReader(handle)
        ]


def project_geometry(project: Project) -> BaseGeometry:
    """Lon/lat footprint: the site polygon, or a road's centreline widened to ``width_m``."""
    lonlat = geometry_to_lonlat(shapely.from_wkt(project.wkt), crs=project.crs, record=project.id)
    if project.kind == "road":
        if not project.width_m:
            raise ValidationError(f"project {project.id}: a road needs width_m", field="width_m")
        metric = geometry_from_lonlat(lonlat, crs=METRIC_CRS)
        corridor = metric.buffer(project.width_m / 2.0, cap_style="flat")
        lonlat = geometry_to_lonlat(corridor, crs=METRIC_CRS)
    return round_geometry(lonlat)


def _place(cell: Cell) -> Row:
    return {"subdistrict": cell.subdistrict, "community": cell.community, "grid": cell.name}


def _synthetic_origin(geometry: BaseGeometry) -> Row:
    return {"orig_crs": "wgs84", "orig_wkt": shapely.to_wkt(geometry, rounding_precision=7)}


def _road(zoning: Zoning, cell: Cell, rng: np.random.Generator) -> str:
    roads = zoning.subdistricts[cell.subdistrict].roads
    return roads[int(rng.integers(len(roads)))]


def _cell_weights(zoning: Zoning, attr: str, rng: np.random.Generator) -> np.ndarray:
    weights = np.array(
        [getattr(zoning.subdistricts[c.subdistrict], attr) * c.area_km2 for c in zoning.cells]
    )
    # Lognormal jitter: neighbouring cells of one subdistrict differ, as streets do.
    weights = weights * rng.lognormal(0.0, 0.5, size=weights.size)
    return weights / weights.sum()


def point_sources(
    zoning: Zoning, rng: np.random.Generator, *, category: str, count: int
) -> list[Row]:
    """Catering premises (purifiers in use) or closed-down open-air bbq spots."""
    weight = "catering_weight" if category == "catering" else "bbq_weight"
    cell_index = rng.choice(len(zoning.cells), size=count, p=_cell_weights(zoning, weight, rng))
    xy = sample_points(zoning, cell_index, rng)
    book = NameBook()
    rows = []
    for ci, (lon, lat) in zip(cell_index, xy, strict=True):
        cell = zoning.cells[int(ci)]
        road = _road(zoning, cell, rng)
        point = shapely.Point(float(lon), float(lat))
        if category == "catering":
            name = book.unique(catering_base(rng), road)
            state = {
                "status": "operating",
                "fume_purifier": "in_use",
                "notes": f"{DEMO_NOTE}；三轮检查均已安装并正常使用油烟净化装置",
            }
        else:
            name = book.unique(f"{brand(rng)}烧烤（露天摊点）", road)
            state = {
                "status": "closed",
                "fume_purifier": "none",
                "notes": f"{DEMO_NOTE}；露天烧烤，已取缔",
            }
        rows.append(
            {
                "name": name,
                "category": category,
                **state,
                "address": address(road, rng),
                **_place(cell),
                "demo": True,
                **_synthetic_origin(point),
                "geometry": point,
            }
        )
    return rows


def night_markets(zoning: Zoning, rng: np.random.Generator, *, count: int) -> list[Row]:
    """Night markets on open ground or squares, all with purifiers in use."""
    usable = np.array([c.area_km2 >= 0.5 for c in zoning.cells])
    p = _cell_weights(zoning, "market_weight", rng) * usable
    chosen = rng.choice(len(zoning.cells), size=count, replace=False, p=p / p.sum())
    rows: list[Row] = []
    names: set[str] = set()
    for ci in chosen:
        cell = zoning.cells[int(ci)]
        footprint = _market_footprint(zoning, int(ci), rng)
        road = _road(zoning, cell, rng)
        name = f"{road}夜市" if f"{road}夜市" not in names else f"{road}美食广场夜市"
        names.add(name)
        ground = "广场" if rng.random() < 0.5 else "空地"
        rows.append(
            {
                "name": name,
                "category": "night_market",
                "status": "operating",
                "fume_purifier": "in_use",
                "address": address(road, rng, suffix=f"旁{ground}"),
                **_place(cell),
                "notes": f"{DEMO_NOTE}；利用{ground}开办的夜市排档，已安装并使用油烟净化装置",
                "demo": True,
                **_synthetic_origin(footprint),
                "geometry": footprint,
            }
        )
    return rows


def _market_footprint(zoning: Zoning, cell_no: int, rng: np.random.Generator) -> BaseGeometry:
    """Draw a rotated rectangle of 2,000-15,000 m² inside one cell (built in metres)."""
    cell = zoning.cells[cell_no]
    for _ in range(100):
        lon, lat = sample_points(zoning, np.array([cell_no]), rng)[0]
        x, y = from_lonlat(lon, lat, crs=METRIC_CRS)
        area_m2 = rng.uniform(*MARKET_AREA_M2)
        aspect = rng.uniform(1.2, 2.5)
        width_m = math.sqrt(area_m2 * aspect)
        height_m = area_m2 / width_m
        rect = shapely.box(x - width_m / 2, y - height_m / 2, x + width_m / 2, y + height_m / 2)
        rect = affinity.rotate(rect, rng.uniform(-30.0, 30.0), origin="center")
        footprint = round_geometry(geometry_to_lonlat(rect, crs=METRIC_CRS))
        if cell.geometry.contains(footprint) and zoning.boundary.contains(footprint):
            return footprint
    raise ValidationError(f"no room for a night market in grid cell {cell.name}")


def construction_sites(
    zoning: Zoning, projects: list[Project], footprints: list[BaseGeometry]
) -> list[Row]:
    """Build the report's named projects; positions are approximate (read off a GCJ-02 map)."""
    rows = []
    for project, footprint in zip(projects, footprints, strict=True):
        check_inside(zoning.boundary, footprint, f"project {project.id} {project.name}")
        rows.append(
            {
                "name": project.name,
                "category": "construction_site",
                "status": project.status,
                "fume_purifier": None,
                "address": f"{project.address}（位置为示意）",
                **_place(zoning.locate(footprint)),
                "notes": f"{DEMO_NOTE}；{project.stage}；{project.note}",
                "demo": True,
                "orig_crs": project.crs,
                "orig_wkt": project.wkt,
                "geometry": footprint,
            }
        )
    return rows


def muck_routes(zoning: Zoning, sites: list[Row], rng: np.random.Generator) -> list[Row]:
    """Draw a muck-truck route from each operating site, straight-ish, to the district edge."""
    inner = geometry_from_lonlat(zoning.boundary, crs=METRIC_CRS).buffer(-ROUTE_EDGE_MARGIN_M)
    rows = []
    for site in sites:
        if site["status"] != "operating":
            continue
        start = shapely.point_on_surface(site["geometry"])
        route = round_geometry(geometry_to_lonlat(_route_m(start, inner, rng), crs=METRIC_CRS))
        check_inside(zoning.boundary, route, f"muck route from {site['name']}")
        rows.append(
            {
                "name": f"{site['name']}渣土运输路线",
                "category": "muck_route",
                "status": "operating",
                "fume_purifier": None,
                "address": f"{site['name']}至区界（演示路线）",
                **_place(zoning.locate(start)),
                "notes": f"{DEMO_NOTE}；渣土车运输路线（示意），自{site['name']}工地至区界",
                "demo": True,
                **_synthetic_origin(route),
                "geometry": route,
            }
        )
    return rows


_HEADINGS = {"west": (-1.0, 0.0), "south": (0.0, -1.0), "north": (0.0, 1.0)}


def _route_m(start: BaseGeometry, inner: BaseGeometry, rng: np.random.Generator) -> BaseGeometry:
    """Metric route: a short side street, then a long run west/south/north to the edge."""
    x0, y0 = (float(v) for v in from_lonlat(start.x, start.y, crs=METRIC_CRS))
    order = rng.permutation(["west", "west", "south", "north"])
    for heading in dict.fromkeys(order):
        dx, dy = _HEADINGS[str(heading)]
        side = rng.uniform(300.0, 900.0) * (1 if rng.random() < 0.5 else -1)
        for sign in (1, -1):
            p1 = (x0 + sign * side * dy, y0 + sign * side * dx)
            if not inner.contains(shapely.Point(p1)):
                continue
            points = [(x0, y0), p1]
            for run_m in (2_500.0, 7_000.0, 30_000.0):
                wobble = rng.uniform(-120.0, 120.0)
                points.append((p1[0] + dx * run_m + dy * wobble, p1[1] + dy * run_m + dx * wobble))
            route = _first_part(shapely.LineString(points).intersection(inner), (x0, y0))
            if route is not None and route.length >= ROUTE_MIN_LENGTH_M:
                return route
    raise ValidationError(f"no muck route fits from {start.wkt} to the district edge")


def _first_part(clipped: BaseGeometry, start: tuple[float, float]) -> BaseGeometry | None:
    """Return the piece of a clipped route that begins at ``start``."""
    if clipped.geom_type == "MultiLineString":
        clipped = shapely.line_merge(clipped)
    origin = shapely.Point(start)
    for part in shapely.get_parts(clipped):
        if part.geom_type == "LineString" and part.distance(origin) < 1e-6:
            return part
    return None
