"""KML files, through GDAL, without the columns KML's own elements add."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

from geo.errors import InputError
from geo.io.readers.gdal import layer_names, read_with_gdal, table_from_frame
from geo.io.table import RawTable


def read_kml(path: Path, layer: str | None = None) -> RawTable:
    """Read every placemark of a KML file (all folders); KML is lon/lat WGS84.

    The record id is the placemark's ExtendedData ``id`` (where Zonewatch's
    export puts the ledger id, and which GDAL renames ``id2``), else the
    Placemark's own ``id`` attribute unless GDAL made it up (``layer.N``).
    """
    names = layer_names(path, "KML file")
    read = ((read_with_gdal(path, "KML file", name), name) for name in names)
    # Google Earth writes empty folders: a layer of no placemarks adds nothing.
    frames = [_kml_frame(frame, name) for frame, name in read if len(frame)]
    if not frames:
        raise InputError(f"{path.name}: no placemarks")
    import geopandas as gpd

    merged = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs="EPSG:4326")
    return table_from_frame(merged, crs_hint="wgs84")

# Columns GDAL's KML reader adds for KML's own elements; dropped when they say nothing.
_KML_DEFAULTS = {"description": (), "timestamp": (), "begin": (), "end": (),
                 "altitudeMode": (), "tessellate": (-1,), "extrude": (0,),
                 "visibility": (-1,), "drawOrder": (), "icon": ()}

def _kml_frame(frame: Any, layer: str) -> Any:
    generated = re.compile(rf"{re.escape(layer)}\.\d+")
    placemark = frame["id"] if "id" in frame else pd.Series(None, index=frame.index)
    placemark = placemark.map(lambda v: None if _blank(v) or generated.fullmatch(str(v)) else v)
    extended = frame["id2"] if "id2" in frame else pd.Series(None, index=frame.index)
    frame = frame.drop(columns=[c for c in ("id2",) if c in frame])
    frame["id"] = [p if _blank(e) else e for e, p in zip(extended, placemark, strict=True)]
    empty = [c for c, defaults in _KML_DEFAULTS.items()
             if c in frame and all(_blank(v) or v in defaults for v in frame[c])]
    return frame.drop(columns=empty)

def _blank(value: Any) -> bool:
    if isinstance(value, str):
        return not value.strip()
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # a list or array is a value
        return False
