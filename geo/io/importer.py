"""Import files into a layer: all rows or none, every rejection explained.

Rows are numbered as the file numbers them (the line of a CSV, the row of
a spreadsheet, else the feature from 1 in file order; see
:meth:`geo.io.table.RawTable.row_number`), so a message such as ``row 7:
field 'category': 'cafe' is not one of ...`` points at the record to fix.
A :class:`~geo.errors.RowError` carries the number; its reason does not
repeat it (callers print ``row 7: <reason>``).

Appending a row under the id of a deleted feature (whose history is kept) is
refused (:class:`~geo.errors.DeletedIdError`); ``upsert`` and ``replace``
bring such a feature back. Importing inspections recomputes the sources they
touch, in the same transaction (:func:`geo.writes.write_frame`).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geo import crs as crs_mod
from geo import writes
from geo.errors import ImportRejectedError, InputError, RowError
from geo.io.columns import CRS_COLUMNS, canonical_value
from geo.io.readers import read_raw
from geo.io.safety import MAX_UNZIPPED_BYTES
from geo.io.table import RawTable
from geo.ledger import (
    SYSTEM_FIELDS,
    Layer,
    get_layer,
    number_text,
    validate_id,
    validate_record,
)
from geo.store import new_id
from geo.store.base import Store, WriteMode, WriteSummary

__all__ = ["ImportReport", "import_file", "prepare_frame"]

Progress = Callable[[int, int], None]


@dataclass
class ImportReport:
    """What an import did (or, for a dry run, would do)."""

    accepted: int
    rejected: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    written: WriteSummary | None = None
    dry_run: bool = False


def import_file(
    store: Store,
    path: Path,
    *,
    layer: str,
    crs: str | None = None,
    mode: WriteMode = "append",
    dry_run: bool = False,
    repair: bool = False,
    actor: str,
    progress: Progress | None = None,
    max_unzipped_bytes: int = MAX_UNZIPPED_BYTES,
) -> ImportReport:
    """Read, check and write one file into ``layer`` in a single transaction.

    Parameters
    ----------
    store : Store
        Where the rows go.
    path : Path
        A CSV (lon/lat or WKT columns), GeoJSON, GeoPackage, zipped
        Shapefile, KML or XLSX file.
    layer : str
        Target layer, e.g. ``"sources"``.
    crs : str, optional
        Coordinate label of the file (``wgs84``, ``gcj02``, ``bd09``,
        ``cgcs2000``, ``EPSG:n``); a per-row ``crs``/``坐标系`` column wins.
        Defaults to what the file declares, else ``wgs84``.
    mode : {"append", "upsert", "replace"}
        How rows meet existing features (see :func:`geo.writes.write_frame`).
    dry_run : bool
        Check everything, write nothing; rejected rows are reported, not raised.
    repair : bool
        Repair invalid polygons instead of rejecting them (noted per row).
    actor : str
        Who is importing, for the history.
    progress : callable, optional
        Called as ``progress(done, total)`` while rows are checked.
    max_unzipped_bytes : int
        Largest total size a zipped upload (Shapefile, XLSX) may unpack to.

    Raises
    ------
    ImportRejectedError
        When any row is bad (unless ``dry_run``); nothing is written.
    DeletedIdError
        When ``mode`` is ``append`` and a row takes the id of a deleted
        feature; nothing is written.
    """
    target = get_layer(layer)
    raw = read_raw(path, layer=layer, max_unzipped_bytes=max_unzipped_bytes)
    label = crs or raw.crs_hint or "wgs84"
    frame, report = prepare_frame(target, raw, crs=label, repair=repair, progress=progress)
    report.dry_run = dry_run
    if report.rejected and not dry_run:
        raise ImportRejectedError(report.rejected, accepted=report.accepted)
    if not dry_run:
        report.written = writes.write_frame(store, target.name, frame, mode=mode, actor=actor)
    return report


def prepare_frame(
    layer: Layer,
    raw: RawTable,
    *,
    crs: str,
    repair: bool = False,
    progress: Progress | None = None,
) -> tuple[pd.DataFrame, ImportReport]:
    """Turn a RawTable into a validated frame in the store's format.

    Returns the frame of accepted rows and a report listing rejected rows.
    """
    default_label = crs_mod.normalize_label(crs)
    known = set(layer.field_names) | set(CRS_COLUMNS)
    ignored = [c for c in raw.attributes.columns if c not in known and c not in SYSTEM_FIELDS]
    records = raw.attributes.drop(columns=ignored).to_dict("records")
    report = ImportReport(accepted=0, ignored_columns=ignored)
    rows: list[dict[str, Any]] = []
    seen_ids: dict[str, int] = {}
    total = len(records)
    for pos, attrs in enumerate(records):
        try:
            row = _prepare_row(layer, attrs, raw, pos, default_label, repair, report)
            _check_unique_id(row, raw.row_number(pos), seen_ids)
            rows.append(row)
        except InputError as exc:
            report.rejected.append(raw.row_error(pos, str(exc)))
        if progress is not None and (pos % 500 == 0 or pos + 1 == total):
            progress(pos + 1, total)
    report.accepted = len(rows)
    return _to_frame(layer, rows), report


def _prepare_row(
    layer: Layer,
    attrs: dict[str, Any],
    raw: RawTable,
    pos: int,
    default_label: str,
    repair: bool,
    report: ImportReport,
) -> dict[str, Any]:
    label = _row_label(attrs, default_label)
    props = {k: canonical_value(k, v) for k, v in attrs.items() if k not in SYSTEM_FIELDS}
    if raw.numbers_as_text:
        _numbers_as_text(layer, props)
    fid = _row_id(props.pop("id", None))
    geometry = None
    if layer.has_geometry:
        geometry = _row_geometry(raw, pos, label, props, layer)
    clean, geometry, notes = validate_record(layer, props, geometry, repair=repair)
    report.notes.extend(f"row {raw.row_number(pos)}: {note}" for note in notes)
    return {"id": fid or new_id(layer), **clean, "geometry": geometry}


def _numbers_as_text(layer: Layer, props: dict[str, Any]) -> None:
    """Write number cells of text fields as the cell shows them (Excel makes grid 12 a number)."""
    for f in layer.fields:
        value = props.get(f.name)
        if (f.kind == "str" and isinstance(value, numbers.Real) and not isinstance(value, bool)
                and not math.isnan(float(value))):
            props[f.name] = number_text(value)


def _row_id(value: Any) -> str | None:
    """Return the row's id, checked (None: blank, make one); integer id columns are fine."""
    if value is None or (isinstance(value, numbers.Real) and math.isnan(float(value))):
        return None
    if isinstance(value, str) and value.strip() in ("", "nan"):
        return None
    return validate_id(value, numbers=True)


def _row_label(attrs: dict[str, Any], default_label: str) -> str:
    for column in CRS_COLUMNS:
        value = attrs.pop(column, None)
        if isinstance(value, str) and value.strip():
            return crs_mod.normalize_label(value)
    return default_label


def _row_geometry(
    raw: RawTable, pos: int, label: str, props: dict[str, Any], layer: Layer
) -> BaseGeometry:
    if pos in raw.geometry_errors:
        raise InputError(raw.geometry_errors[pos])
    original = raw.geometries[pos] if pos < len(raw.geometries) else None
    if original is None or original.is_empty:
        raise InputError("geometry is missing")
    # No ``record=``: the RowError carries the row number; its reason must not repeat it.
    geometry = crs_mod.geometry_to_lonlat(original, crs=label)
    if geometry.geom_type == "Point":
        crs_mod.check_lonlat(geometry.x, geometry.y)
    if "orig_crs" in layer.field_names:
        props["orig_crs"] = label
        props["orig_wkt"] = shapely.to_wkt(original, rounding_precision=-1)
    return geometry


def _check_unique_id(row: dict[str, Any], number: int, seen: dict[str, int]) -> None:
    fid = row["id"]
    if fid in seen:
        raise InputError(f"id {fid!r} already used in row {seen[fid]}")
    seen[fid] = number


def _to_frame(layer: Layer, rows: list[dict[str, Any]]) -> pd.DataFrame:
    columns = [n for n in layer.field_names if n not in SYSTEM_FIELDS]
    if not layer.has_geometry:
        return pd.DataFrame(rows, columns=columns)
    frame = pd.DataFrame(rows, columns=[*columns, "geometry"])
    return gpd.GeoDataFrame(frame, geometry="geometry", crs="EPSG:4326")
