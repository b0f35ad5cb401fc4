"""Synthetic zoning of Zhongyuan District for the demonstration ledger.

Real subdistrict (街道) and community (社区) boundaries are not published in
a usable form, so the demo builds its own: a regular 1 km grid (网格) in the
local metric CRS (EPSG:4547, CGCS2000 Gauss-Krüger CM 114°E) clipped to the
real district boundary; each cell goes to the nearest subdistrict seed (a
discrete Voronoi diagram) and, inside its subdistrict, to the nearest of a
few spread-out community seeds. Everything here is demonstration data.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from geo.crs import from_lonlat, geometry_from_lonlat, geometry_to_lonlat, to_lonlat
from geo.errors import ValidationError

METRIC_CRS = "EPSG:4547"
GRID_CELL_M = 1000.0
# Clipped cells smaller than this join a neighbour: a 2 ha scrap is no grid.
SLIVER_M2 = 100_000.0
# Stored coordinates keep 7 decimals (about 1 cm), as GeoJSON output does.
PRECISION_DEG = 1e-7
DECIMALS = 7


@dataclass(frozen=True)
class Subdistrict:
    """A subdistrict with its approximate centre, density weights, roads, communities."""

    name: str
    lon: float
    lat: float
    catering_weight: float
    bbq_weight: float
    market_weight: float
    roads: tuple[str, ...]
    communities: tuple[str, ...]


@dataclass(frozen=True)
class Cell:
    """One grid cell (网格) with its synthetic subdistrict and community."""

    id: str
    name: str
    subdistrict: str
    community: str
    geometry: BaseGeometry
    area_km2: float


@dataclass(frozen=True)
class Zoning:
    """The district boundary, its grid cells and the subdistrict table."""

    boundary: BaseGeometry
    cells: tuple[Cell, ...]
    subdistricts: dict[str, Subdistrict]

    def locate(self, geometry: BaseGeometry) -> Cell:
        """Return the cell holding the geometry's representative point."""
        point = shapely.point_on_surface(geometry)
        geoms = [c.geometry for c in self.cells]
        hits = np.flatnonzero(shapely.intersects(geoms, point))
        if hits.size:
            return self.cells[int(hits[0])]
        # A point in a 1 cm rounding gap between cells takes the nearest one.
        return self.cells[int(np.argmin(shapely.distance(geoms, point)))]


def round_geometry(geometry: BaseGeometry) -> BaseGeometry:
    """Round every coordinate to 7 decimals, keeping polygons valid."""
    if geometry.geom_type in ("Polygon", "MultiPolygon"):
        geometry = shapely.set_precision(geometry, PRECISION_DEG)
    return shapely.transform(geometry, lambda xy: np.round(xy, DECIMALS))


def read_subdistricts(path: Path) -> dict[str, Subdistrict]:
    """Read the subdistrict table (centres converted to lon/lat on the way in)."""
    table: dict[str, Subdistrict] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            lon, lat = to_lonlat(float(row["lon"]), float(row["lat"]), crs=row["crs"])
            table[row["subdistrict"]] = Subdistrict(
                name=row["subdistrict"],
                lon=float(lon),
                lat=float(lat),
                catering_weight=float(row["catering_weight"]),
                bbq_weight=float(row["bbq_weight"]),
                market_weight=float(row["market_weight"]),
                roads=tuple(row["roads"].split(";")),
                communities=tuple(row["communities"].split(";")),
            )
    return table


def build_zoning(
    boundary: BaseGeometry,
    subdistricts: dict[str, Subdistrict],
    anchors: list[tuple[BaseGeometry, str]],
    rng: np.random.Generator,
) -> Zoning:
    """Grid the boundary and give every cell a subdistrict and a community.

    ``anchors`` are (lon/lat geometry, subdistrict) pairs known from the
    report (its named projects); each is an extra seed of its subdistrict,
    so the cell holding a named project belongs to the subdistrict the
    report names.
    """
    pieces = _grid_pieces(geometry_from_lonlat(boundary, crs=METRIC_CRS))
    anchor_points = [(shapely.point_on_surface(g), name) for g, name in anchors]
    seeds = [(shapely.Point(s.lon, s.lat), s.name) for s in subdistricts.values()]
    seeds += anchor_points
    owner = _nearest_seed(pieces, seeds)
    community = _communities(pieces, owner, subdistricts, rng)
    cells = []
    for i, piece in enumerate(pieces):
        geometry = round_geometry(geometry_to_lonlat(piece, crs=METRIC_CRS))
        number = f"{i + 1:03d}"
        cells.append(
            Cell(
                f"G{number}",
                f"中原-网格-{number}",
                owner[i],
                community[i],
                geometry,
                piece.area / 1e6,
            )
        )
    return Zoning(boundary, tuple(cells), subdistricts)


def _grid_pieces(boundary_m: BaseGeometry) -> list[BaseGeometry]:
    """Clip a regular grid to the boundary, north to south, west to east."""
    minx, miny, maxx, maxy = boundary_m.bounds
    x0 = math.floor(minx / GRID_CELL_M) * GRID_CELL_M
    y1 = math.ceil(maxy / GRID_CELL_M) * GRID_CELL_M
    nx = math.ceil((maxx - x0) / GRID_CELL_M)
    ny = math.ceil((y1 - miny) / GRID_CELL_M)
    squares = [
        shapely.box(
            x0 + i * GRID_CELL_M,
            y1 - (j + 1) * GRID_CELL_M,
            x0 + (i + 1) * GRID_CELL_M,
            y1 - j * GRID_CELL_M,
        )
        for j in range(ny)
        for i in range(nx)
    ]
    clipped = shapely.intersection(squares, boundary_m)
    pieces = [_polygonal(g) for g in clipped]
    return _merge_slivers([p for p in pieces if p is not None and p.area > 0])


def _polygonal(geometry: BaseGeometry) -> BaseGeometry | None:
    if geometry.is_empty:
        return None
    if geometry.geom_type == "GeometryCollection":
        parts = [g for g in geometry.geoms if g.geom_type in ("Polygon", "MultiPolygon")]
        return shapely.union_all(parts) if parts else None
    return geometry if geometry.geom_type in ("Polygon", "MultiPolygon") else None


def _merge_slivers(pieces: list[BaseGeometry]) -> list[BaseGeometry]:
    """Join each sliver to the neighbour it shares the longest edge with."""
    keep = [p.area >= SLIVER_M2 for p in pieces]
    merged = list(pieces)
    for i, piece in enumerate(pieces):
        if keep[i]:
            continue
        shared = [
            merged[j].boundary.intersection(piece.boundary).length if keep[j] else 0.0
            for j in range(len(pieces))
        ]
        best = int(np.argmax(shared))
        if shared[best] > 0:
            merged[best] = shapely.union(merged[best], piece)
        else:  # an island piece with no full-size neighbour stays a cell
            keep[i] = True
    return [g for g, k in zip(merged, keep, strict=True) if k]


def _metric_xy(points: list[BaseGeometry]) -> NDArray[np.float64]:
    lon = np.array([p.x for p in points])
    lat = np.array([p.y for p in points])
    x, y = from_lonlat(lon, lat, crs=METRIC_CRS)
    return np.column_stack([x, y])


def _nearest_seed(pieces: list[BaseGeometry], seeds: list[tuple[BaseGeometry, str]]) -> list[str]:
    """Subdistrict of each piece: the one whose seed is nearest its representative point."""
    reps = shapely.point_on_surface(pieces)
    rep_xy = np.column_stack([shapely.get_x(reps), shapely.get_y(reps)])
    seed_xy = _metric_xy([p for p, _ in seeds])
    d2 = ((rep_xy[:, None, :] - seed_xy[None, :, :]) ** 2).sum(axis=2)
    return [seeds[int(k)][1] for k in np.argmin(d2, axis=1)]


def _communities(
    pieces: list[BaseGeometry],
    owner: list[str],
    subdistricts: dict[str, Subdistrict],
    rng: np.random.Generator,
) -> list[str]:
    """Spread each subdistrict's community seeds over its cells (farthest-point picks)."""
    reps = shapely.point_on_surface(pieces)
    xy = np.column_stack([shapely.get_x(reps), shapely.get_y(reps)])
    result = [""] * len(pieces)
    for name, sub in subdistricts.items():
        idx = np.array([i for i, o in enumerate(owner) if o == name], dtype=int)
        if idx.size == 0:
            continue
        k = min(len(sub.communities), idx.size)
        chosen = [int(rng.integers(idx.size))]
        while len(chosen) < k:
            gap = np.min(((xy[idx, None] - xy[idx[chosen]][None]) ** 2).sum(axis=2), axis=1)
            chosen.append(int(np.argmax(gap)))
        d2 = ((xy[idx, None] - xy[idx[chosen]][None]) ** 2).sum(axis=2)
        for i, k_near in zip(idx, np.argmin(d2, axis=1), strict=True):
            result[int(i)] = sub.communities[int(k_near)]
    return result


def sample_points(
    zoning: Zoning, cell_index: NDArray[np.int_], rng: np.random.Generator
) -> NDArray[np.float64]:
    """Draw one uniform lon/lat point inside each listed cell (and the boundary).

    Returns an (n, 2) array rounded to 7 decimals, in the order of ``cell_index``.
    """
    out = np.empty((cell_index.size, 2))
    for cell_no in np.unique(cell_index):
        slots = np.flatnonzero(cell_index == cell_no)
        out[slots] = _points_in(
            zoning.cells[int(cell_no)].geometry, zoning.boundary, slots.size, rng
        )
    return out


def _points_in(
    cell: BaseGeometry, boundary: BaseGeometry, n: int, rng: np.random.Generator
) -> NDArray[np.float64]:
    minx, miny, maxx, maxy = cell.bounds
    fill = max(cell.area / ((maxx - minx) * (maxy - miny)), 0.05)
    found: list[NDArray[np.float64]] = []
    total = 0
    while total < n:
        size = int((n - total) / fill * 1.3) + 8
        xy = np.round(rng.uniform((minx, miny), (maxx, maxy), size=(size, 2)), DECIMALS)
        ok = shapely.contains_xy(cell, xy[:, 0], xy[:, 1])
        ok &= shapely.contains_xy(boundary, xy[:, 0], xy[:, 1])
        found.append(xy[ok])
        total += int(ok.sum())
    return np.concatenate(found)[:n]


def check_inside(boundary: BaseGeometry, geometry: BaseGeometry, what: str) -> None:
    """Raise ValidationError unless ``geometry`` lies inside the district boundary."""
    if not boundary.contains(geometry):
        raise ValidationError(
            f"{what}: {geometry.geom_type} at {shapely.point_on_surface(geometry).wkt} is not "
            "inside the Zhongyuan boundary; expected a position inside the district",
            field="geometry",
        )
