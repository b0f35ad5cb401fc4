"""Shapefiles out: zipped or as a set of files, one per geometry family.

A Shapefile holds one kind of geometry. A layer of points only is written
as Point (never MultiPoint); a layer mixing points, lines and polygons
becomes one Shapefile per family (``<stem>_point``, ``<stem>_linestring``,
``<stem>_polygon``), and :func:`geo.io.readers.shapefile.read_zipped_shapefiles`
reads every Shapefile of a zip back into one layer. Single and multi geometries
of one family share a file (promoted to multi only when both occur).

Field names hold at most 10 bytes. Zonewatch cuts longer names itself
(``fume_purifier`` -> ``fume_purif``) instead of leaving GDAL to launder
them with a warning each; :mod:`geo.io.columns` maps the cut names of
ledger fields back on import.
"""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from geo.errors import InputError

# shapely type ids: 0 Point, 1 LineString, 3 Polygon, 4-6 their Multi forms.
_FAMILIES = {0: "point", 4: "point", 1: "linestring", 5: "linestring", 3: "polygon",
             6: "polygon"}

_FIELD_BYTES = 10

def _families(gdf: Any) -> pd.Series:
    """Each row's geometry family; rows without geometry join the first family."""
    # Plain frames (a store's read) and GeoDataFrames alike: ask shapely per geometry.
    kinds = shapely.get_type_id(np.asarray(gdf["geometry"].to_numpy(), dtype=object))
    families = pd.Series(kinds, index=gdf.index).map(_FAMILIES)
    present = families.dropna()
    return families.fillna(present.iloc[0] if len(present) else "point")

def shapefile_paths(gdf: Any, path: Path) -> list[Path]:
    """Return the ``.shp`` files that writing ``gdf`` as ``path`` (a .shp) makes.

    One file named ``path`` when the layer has one geometry family, else one
    per family beside it (``out_point.shp``, ``out_polygon.shp`` ...).
    """
    families = list(dict.fromkeys(_families(gdf)))
    if len(families) <= 1:
        return [path]
    return [path.with_name(f"{path.stem}_{family}.shp") for family in families]

def shapefile_field_names(columns: list[str]) -> dict[str, str]:
    """Return the Shapefile name of each column: at most 10 bytes, all distinct.

    Examples
    --------
    >>> shapefile_field_names(["name", "fume_purifier", "fume_purifier_2"])
    {'name': 'name', 'fume_purifier': 'fume_purif', 'fume_purifier_2': 'fume_pur_1'}
    """
    names: dict[str, str] = {}
    for column in columns:
        name, n = _cut(column, _FIELD_BYTES), 1
        while name.lower() in {v.lower() for v in names.values()}:
            suffix = f"_{n}"
            name, n = _cut(column, _FIELD_BYTES - len(suffix)) + suffix, n + 1
        names[column] = name
    return names

def _cut(text: str, size: int) -> str:
    data = text.encode("utf-8")[:size]
    return data.decode("utf-8", errors="ignore")  # never half a character

def write_shapefile(gdf: Any, path: Path, *, layer_name: str) -> int:
    """Write ``gdf`` as a zipped Shapefile set (``.zip``) or as files beside ``path`` (``.shp``).

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Features in EPSG:4326, list values already joined.
    path : Path
        ``x.zip`` for one archive (members named after ``layer_name``), or
        ``x.shp`` for ``x.shp``/``.shx``/``.dbf``/``.prj``/``.cpg`` (one set per
        geometry family when the layer mixes them, see :func:`shapefile_paths`).
    layer_name : str
        Stem of the files inside a zip.

    Returns
    -------
    int
        The number of features written.
    """
    check_shapefile_target(path)
    if path.suffix.lower() == ".shp":
        _write_sets(gdf, path)
    else:
        _write_zip(gdf, path, layer_name=layer_name)
    return len(gdf)

def check_shapefile_target(path: Path) -> None:
    """Refuse a Shapefile output that is neither ``.zip`` nor ``.shp``.

    Raises
    ------
    InputError
        Naming the two suffixes and what each writes.
    """
    if path.suffix.lower() not in (".zip", ".shp"):
        raise InputError(f"{path.name}: a Shapefile export is written to a .zip (the set "
                         f"zipped) or a .shp (the set of files beside it)")

def _write_sets(gdf: Any, path: Path) -> None:
    import pyogrio

    families = _families(gdf)
    frame = gdf.rename(columns=shapefile_field_names([c for c in gdf.columns
                                                       if c != gdf.geometry.name]))
    if not len(gdf):  # GDAL would guess LineString for an empty layer
        pyogrio.write_dataframe(frame, path, driver="ESRI Shapefile", encoding="UTF-8",
                                geometry_type="Point")
        return
    targets = dict(zip(dict.fromkeys(families), shapefile_paths(gdf, path), strict=True))
    for family, target in targets.items():
        part = frame[(families == family).to_numpy()]
        multi = part.geom_type.str.startswith("Multi")
        pyogrio.write_dataframe(part, target, driver="ESRI Shapefile", encoding="UTF-8",
                                promote_to_multi=bool(multi.any() and not multi.all()))

def _write_zip(gdf: Any, path: Path, *, layer_name: str) -> None:
    with tempfile.TemporaryDirectory(prefix="zonewatch-shp-") as tmp:
        _write_sets(gdf, Path(tmp) / f"{layer_name}.shp")
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for member in sorted(Path(tmp).iterdir()):
                archive.write(member, member.name)
