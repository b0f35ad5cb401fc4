"""GeoPackage files, through GDAL, with the guard against views."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

from geo.errors import InputError
from geo.io.readers.gdal import layer_names, read_with_gdal, table_from_frame
from geo.io.table import RawTable


def _read_gpkg(path: Path, layer: str | None) -> RawTable:
    names = layer_names(path, "GeoPackage")
    chosen = layer if layer in names else (names[0] if len(names) == 1 else None)
    if chosen is None:
        raise InputError(f"{path.name}: several layers ({', '.join(names)}); name one")
    refuse_gpkg_view(path, chosen)
    return table_from_frame(read_gpkg_rows(path, chosen))

def read_gpkg_rows(path: Path, layer: str) -> Any:
    """Read every row of the GeoPackage table ``layer``, as many as the table holds.

    GDAL reads as many features as ``gpkg_ogr_contents.feature_count`` says,
    a cache that other programs leave stale; the table's own ``COUNT(*)``
    decides instead, and a read that still comes back short is refused.

    Raises
    ------
    InputError
        When the file cannot be read or fewer rows come back than the table has.
    """
    quoted = '"' + layer.replace('"', '""') + '"'  # a table name refuse_gpkg_view checked
    counted = read_with_gdal(path, "GeoPackage", sql=f"SELECT COUNT(*) AS n FROM {quoted}",
                             read_geometry=False)
    rows = int(counted.iloc[0, 0])
    frame = read_with_gdal(path, "GeoPackage", layer, max_features=rows)
    if len(frame) != rows:
        raise InputError(f"{path.name}: layer {layer!r} holds {rows} rows but {len(frame)} "
                         f"could be read")
    return frame

def refuse_gpkg_view(path: Path, layer: str) -> None:
    """Refuse a GeoPackage layer that is a view, not a table.

    The file is opened read-only and immutable: nothing in it runs, no
    journal is created; only its catalogue is read.
    """
    uri = f"{path.resolve().as_uri()}?mode=ro&immutable=1"
    try:
        with closing(sqlite3.connect(uri, uri=True)) as conn:
            row = conn.execute(
                "SELECT type FROM sqlite_master WHERE name = ?", (layer,)
            ).fetchone()
    except sqlite3.Error as exc:
        raise InputError(f"{path.name}: not a readable GeoPackage ({exc})") from None
    if row is None or row[0] != "table":
        raise InputError(f"{path.name}: layer {layer!r} is not a table (views are not imported)")
