"""GDAL (pyogrio) frames: layer names, reads and their RawTable.

GDAL opens only files inside Zonewatch's own temporary folder or the path the
caller gave, never a URL or connection string.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from geo.errors import InputError
from geo.io.columns import canonical_frame, crs_labels_as_text
from geo.io.table import RawTable


def table_from_frame(frame: Any, crs_hint: str | None = None) -> RawTable:
    """Return the RawTable of a GeoDataFrame read by GDAL, with canonical columns.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        What pyogrio read.
    crs_hint : str, optional
        The coordinate label to assume; by default the frame's own EPSG code
        when it is not lon/lat.
    """
    if crs_hint is None and frame.crs is not None and frame.crs.to_epsg() not in (None, 4326):
        crs_hint = f"EPSG:{frame.crs.to_epsg()}"
    geometries = list(frame.geometry)
    attributes = pd.DataFrame(frame.drop(columns=frame.geometry.name)).astype(object)
    attributes = crs_labels_as_text(canonical_frame(attributes))
    return RawTable(attributes.reset_index(drop=True), geometries, {}, crs_hint=crs_hint)

def layer_names(path: Path, what: str) -> list[str]:
    """Return the layer names GDAL sees in ``path``; InputError naming ``what`` if unreadable."""
    import pyogrio

    try:
        return [str(n) for n in pyogrio.list_layers(path)[:, 0]]
    except Exception as exc:  # GDAL raises several error types for a broken file
        raise InputError(f"{path.name}: not a readable {what} ({exc})") from None

def read_with_gdal(path: Path, what: str, layer: str | None = None, **options: Any) -> Any:
    """Read one layer of ``path`` with GDAL; InputError naming ``what`` if it cannot.

    ``options`` go to :func:`pyogrio.read_dataframe` (``max_features``, ``sql`` ...).
    """
    import pyogrio

    try:
        return pyogrio.read_dataframe(path, layer=layer, on_invalid="ignore", **options)
    except Exception as exc:  # GDAL raises several error types for a broken file
        raise InputError(f"{path.name}: not a readable {what} ({exc})") from None
