"""Zipped Shapefiles in: every Shapefile of a zip read back into one layer.

A zip of one Shapefile per geometry family (what :mod:`geo.io.writers.shapefile`
exports for a mixed layer) comes back as one layer; :mod:`geo.io.columns` maps
the cut field names of ledger fields back.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from geo.errors import InputError
from geo.io.readers.gdal import read_with_gdal, table_from_frame
from geo.io.safety import extract_zip
from geo.io.table import RawTable

SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")

_SHP_MAGIC = b"\x00\x00\x27\x0a"  # Shapefile file code 9994

def read_zipped_shapefiles(path: Path, *, max_unzipped_bytes: int) -> RawTable:
    """Read every Shapefile inside a zip into one table, all of them or none.

    A zip of one Shapefile per geometry family (what Zonewatch exports for a
    mixed layer) comes back as one layer; rows are numbered through the
    files in archive order and each rejection names the file and feature.

    Raises
    ------
    InputError
        No ``.shp`` in the zip, a member that is not a Shapefile, or files
        in different coordinate systems.
    """
    with tempfile.TemporaryDirectory(prefix="zonewatch-shp-") as folder:
        parts = extract_zip(path, Path(folder), suffixes=SHAPEFILE_PARTS,
                            max_unzipped_bytes=max_unzipped_bytes)
        shps = [p for p in parts if p.suffix.lower() == ".shp"]
        if not shps:
            raise InputError(f"{path.name}: no .shp file in the zip")
        frames = [_read_one(shp, path) for shp in shps]
    crs = _common_crs(frames, shps, path)
    import geopandas as gpd

    merged = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=crs)
    raw = table_from_frame(merged)
    if len(shps) > 1:
        raw.row_origins = [f"{shp.name} feature {k}" for shp, frame in zip(shps, frames,
                                                                            strict=True)
                           for k in range(1, len(frame) + 1)]
    return raw

def _read_one(shp: Path, archive: Path) -> Any:
    with shp.open("rb") as handle:
        if handle.read(4) != _SHP_MAGIC:
            raise InputError(f"{archive.name}: {shp.name} is not a Shapefile")
    return read_with_gdal(shp, f"Shapefile ({shp.name} in {archive.name})")

def _common_crs(frames: list[Any], shps: list[Path], archive: Path) -> Any:
    systems = {shp.name: frame.crs for shp, frame in zip(shps, frames, strict=True)}
    distinct = {str(crs) for crs in systems.values()}
    if len(distinct) > 1:
        listed = ", ".join(f"{name} ({crs})" for name, crs in systems.items())
        raise InputError(f"{archive.name}: the Shapefiles use different coordinate systems: "
                         f"{listed}; import them one by one")
    return frames[0].crs
