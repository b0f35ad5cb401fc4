"""GeoPackage, FlatGeobuf, KML and Shapefile exports through GDAL (pyogrio)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from geo.errors import InputError
from geo.io.table import Frames, pages_of
from geo.io.writers.rows import _flat_frame
from geo.io.writers.shapefile import write_shapefile

_OGR_DRIVERS = {"gpkg": "GPKG", "fgb": "FlatGeobuf", "kml": "KML", "shp": "ESRI Shapefile"}

def _write_ogr(frame: Frames, path: Path, *, fmt: str, layer_name: str) -> int:
    import pyogrio

    if fmt == "shp":
        assert isinstance(frame, pd.DataFrame)  # joined by export_frame
        return write_shapefile(_ogr_frame(frame, layer_name), path, layer_name=layer_name)
    path.unlink(missing_ok=True)
    count = 0
    for number, page in enumerate(pages_of(frame)):
        gdf = _ogr_frame(page, layer_name)
        pyogrio.write_dataframe(
            gdf, path, layer=layer_name, driver=_OGR_DRIVERS[fmt], append=number > 0
        )
        count += len(gdf)
    return count

def _ogr_frame(frame: pd.DataFrame, layer_name: str) -> Any:
    import geopandas as gpd

    flat = _flat_frame(frame)
    if "geometry" not in flat:
        raise InputError(f"layer {layer_name!r} has no geometry; export it as csv or xlsx")
    return gpd.GeoDataFrame(flat, geometry="geometry", crs="EPSG:4326")
