"""Exports written page by page hold exactly what one frame written at once holds."""

from __future__ import annotations

import io
import json
import zipfile

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest
import shapely
from shapely import LineString, Polygon

from geo.io.writers import STREAMED_FORMATS, export_frame, write_geojson


def frame(n: int = 23) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(5)
    geoms = list(shapely.points(113.6 + rng.random(n) * 0.1, 34.7 + rng.random(n) * 0.1))
    geoms[3] = LineString([(113.6, 34.7), (113.61, 34.71)])
    geoms[9] = Polygon([(113.6, 34.7), (113.61, 34.7), (113.6, 34.71)])
    return gpd.GeoDataFrame(
        {
            "id": [f"S{i:03d}" for i in range(n)],
            "name": [f"店{i}" for i in range(n)],
            "distance_m": rng.random(n) * 3000,
            "stations": [["M1", "M2"] if i % 3 else [] for i in range(n)],
        },
        geometry=geoms,
        crs="EPSG:4326",
    )


def pages(whole: pd.DataFrame, size: int) -> list[pd.DataFrame]:
    return [whole.iloc[k : k + size].reset_index(drop=True) for k in range(0, len(whole), size)]


def read_back(path, fmt: str) -> list[tuple]:
    """Every feature as (id, name, distance to 1 mm, geometry WKT to 1e-7), in file order."""
    if fmt == "csv":
        table = pd.read_csv(path, encoding="utf-8-sig", dtype={"distance_m": float})
        return [(r.id, r.name, round(r.distance_m, 3), r.wkt) for r in table.itertuples()]
    if fmt == "xlsx":
        rows = openpyxl.load_workbook(path, read_only=True).worksheets[0].iter_rows(
            values_only=True)
        header = list(next(rows))
        at = {c: header.index(c) for c in ("id", "name", "distance_m", "wkt")}
        return [(r[at["id"]], r[at["name"]], round(r[at["distance_m"]], 3), r[at["wkt"]])
                for r in rows]
    if fmt == "geojson":
        doc = json.loads(path.read_text(encoding="utf-8"))
        return [(f["id"], f["properties"]["name"], round(f["properties"]["distance_m"], 3),
                 shapely.geometry.shape(f["geometry"]).wkt) for f in doc["features"]]
    source = f"/vsizip/{path}" if fmt == "shp" else path
    out = []
    for layer, _ in pyogrio.list_layers(source):  # a Shapefile zip holds one per geometry family
        gdf = pyogrio.read_dataframe(source, layer=layer)
        gdf = gdf.rename(columns={"Name": "name"})  # KML keeps the name in <name>
        wkts = shapely.to_wkt(gdf.geometry.values, rounding_precision=7)
        out += [(r.id, r.name, round(float(r.distance_m), 3), w)
                for r, w in zip(gdf.itertuples(), wkts, strict=True)]
    return sorted(out)


FORMATS = ["geojson", "csv", "xlsx", "gpkg", "fgb", "kml", "shp"]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("fmt", FORMATS)
def test_pages_write_what_one_frame_writes(tmp_path, fmt: str) -> None:
    whole = frame()
    suffix = "zip" if fmt == "shp" else fmt
    one, paged = tmp_path / f"one.{suffix}", tmp_path / f"paged.{suffix}"
    assert export_frame(whole, one, fmt=fmt, layer_name="priority") == len(whole)
    count = export_frame(iter(pages(whole, 5)), paged, fmt=fmt, layer_name="priority")
    assert count == len(whole)
    expected = read_back(one, fmt)
    assert len(expected) == len(whole)
    assert read_back(paged, fmt) == expected
    if fmt == "shp":
        assert len(zipfile.ZipFile(paged).namelist()) == len(zipfile.ZipFile(one).namelist())


def test_streamed_pages_are_read_one_at_a_time(tmp_path) -> None:
    """A streamed format asks for the next page only after writing the last one."""
    whole = frame()
    seen: list[int] = []

    def lazy_pages():
        for page in pages(whole, 5):
            seen.append(len(page))
            yield page
            assert tmp_path.joinpath("out.gpkg").exists()  # the page before is on disk

    assert "gpkg" in STREAMED_FORMATS
    export_frame(lazy_pages(), tmp_path / "out.gpkg", fmt="gpkg", layer_name="p")
    assert seen == [5, 5, 5, 5, 3]


def test_geojson_progress_counts_across_pages() -> None:
    whole = frame(2500)
    calls: list[tuple[int, int]] = []
    buffer = io.StringIO()
    count = write_geojson(iter(pages(whole, 700)), buffer, total=2500,
                          progress=lambda done, total: calls.append((done, total)))
    assert count == 2500 and calls == [(1000, 2500), (2000, 2500), (2500, 2500)]
    assert len(json.loads(buffer.getvalue())["features"]) == 2500


def test_an_empty_first_page_still_writes_the_header(tmp_path) -> None:
    path = tmp_path / "out.csv"
    assert export_frame([frame().iloc[:0]], path, fmt="csv", layer_name="p") == 0
    assert path.read_text(encoding="utf-8-sig").splitlines()[0].startswith("id,name")
