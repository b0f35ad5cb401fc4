"""What both stores do alike before any SQL: records, ids, frames to records, checks.

The GeoPackage store (:mod:`geo.store.gpkg`) and the PostGIS store
(:mod:`geo.store.postgis`) speak different SQL, but a frame arriving at
``write_frame`` is validated the same way for both (row by row with
:func:`geo.ledger.validate_record`, every bad row named, nothing written),
new ids look the same, and a bbox, an id change or a stale version is
refused with the same words.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geo.errors import DuplicateIdError, ValidationError, VersionMismatchError
from geo.ledger import SYSTEM_FIELDS, Feature, Layer, validate_record
from geo.store.base import MAX_STORE_INT, Query

__all__ = [
    "Record",
    "check_bbox",
    "check_paging",
    "check_version",
    "clean_id",
    "history_jsons",
    "merged_record",
    "new_id",
    "new_record",
    "prepare_records",
    "refuse_id_change",
    "typed_column",
    "whole_number",
]

_MAX_REPORTED = 5  # bad rows named in one message
#: Field kinds held in numpy columns when no value is missing.
NUMPY_DTYPES = {"int": "int64", "float": "float64", "bool": "bool"}


class Record(NamedTuple):
    """One validated feature ready to be written (system fields included once stamped)."""

    fid: str
    properties: dict[str, Any]
    geometry: BaseGeometry | None


def new_id(layer: Layer) -> str:
    """Return a fresh, unique id such as ``S-1a2b3c4d5e6f`` for ``layer``.

    Examples
    --------
    >>> from geo.ledger import get_layer
    >>> new_id(get_layer("sources"))[:2], len(new_id(get_layer("sources")))
    ('S-', 14)
    """
    return f"{layer.id_prefix}-{uuid.uuid4().hex[:12]}"


def clean_id(value: Any) -> str | None:
    """Return ``value`` as a stripped id, or None when it is blank or missing.

    Examples
    --------
    >>> clean_id("  S-1 "), clean_id(""), clean_id(float("nan"))
    ('S-1', None, None)
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def new_record(layer: Layer, feature: Feature) -> Record:
    """Validate a feature about to be created; it keeps its id or gets a new one."""
    fid = clean_id(feature.id) or new_id(layer)
    props, geometry, _ = validate_record(layer, feature.properties, feature.geometry)
    return Record(fid, props, geometry)


def merged_record(
    layer: Layer,
    stored: Feature | Record,
    fid: str,
    changes: Mapping[str, Any],
    geometry: BaseGeometry | None = None,
) -> Record:
    """Validate ``stored`` (the feature ``fid``) with ``changes`` and ``geometry`` applied.

    ``changes`` never change the id; a None ``geometry`` keeps the stored one.
    """
    merged = {**stored.properties, **{k: v for k, v in changes.items() if k != "id"}}
    shape = geometry if geometry is not None else stored.geometry
    props, shape, _ = validate_record(layer, merged, shape)
    return Record(fid, props, shape)


def typed_column(values: Sequence[Any], kind: str) -> pd.Series:
    """Return a frame column as stores give it: numpy when complete, else objects with None.

    ``int``, ``float`` and ``bool`` fields with no missing value become int64,
    float64 and bool columns; anything else (or any None) stays an object
    column holding None for missing values (not NaN, not pandas' str dtype).

    Examples
    --------
    >>> typed_column([1, 2], "int").dtype, typed_column([1, None], "int").tolist()
    (dtype('int64'), [1, None])
    """
    if kind in NUMPY_DTYPES and all(v is not None for v in values):
        return pd.Series(values, dtype=NUMPY_DTYPES[kind])
    return pd.Series(values, dtype=object)


def prepare_records(layer: Layer, frame: pd.DataFrame) -> list[Record]:
    """Validate every row of ``frame`` with :func:`geo.ledger.validate_record`.

    Rows without an id get a new one (:func:`new_id`); system fields in the
    frame are ignored; geometries in another CRS are brought to lon/lat.

    Raises
    ------
    ValidationError
        Naming up to five bad rows (1-based) and what is wrong; nothing is written.
    DuplicateIdError
        When the frame repeats an id.
    """
    attributes, geometries = _split_frame(frame)
    records: list[Record] = []
    problems: list[tuple[int, ValidationError]] = []
    for pos, (attrs, geometry) in enumerate(zip(attributes, geometries, strict=True)):
        try:
            fid = clean_id(attrs.pop("id", None)) or new_id(layer)
            clean, geometry, _ = validate_record(layer, attrs, geometry)
            records.append(Record(fid, clean, geometry))
        except ValidationError as exc:
            problems.append((pos + 1, exc))
    if problems:
        raise _rows_rejected(problems, len(frame))
    _refuse_repeats(records)
    return records


def _split_frame(frame: pd.DataFrame) -> tuple[list[dict[str, Any]], list[BaseGeometry | None]]:
    geometry_name = _geometry_column(frame)
    names = [c for c in frame.columns if c != geometry_name and c not in SYSTEM_FIELDS]
    attributes: list[dict[str, Any]] = [{} for _ in range(len(frame))]
    for name in names:
        series = frame[name]
        values = series.astype(object).where(series.notna(), None).tolist()
        for attrs, value in zip(attributes, values, strict=True):
            attrs[str(name)] = value
    if geometry_name is None:
        return attributes, [None] * len(frame)
    series = frame[geometry_name]
    if isinstance(series, gpd.GeoSeries) and series.crs is not None:
        # CGCS2000 (EPSG:4490) and WGS84 agree to centimetres: no transformation.
        if series.crs.to_epsg() not in (4326, 4490):
            series = series.to_crs("EPSG:4326")
    geometries = [g if isinstance(g, BaseGeometry) else None for g in series]
    return attributes, geometries


def _geometry_column(frame: pd.DataFrame) -> str | None:
    if isinstance(frame, gpd.GeoDataFrame) and frame._geometry_column_name in frame.columns:
        return str(frame._geometry_column_name)
    return "geometry" if "geometry" in frame.columns else None


def _rows_rejected(problems: list[tuple[int, ValidationError]], total: int) -> ValidationError:
    shown = "; ".join(f"row {row}: {exc}" for row, exc in problems[:_MAX_REPORTED])
    more = len(problems) - _MAX_REPORTED
    tail = f"; and {more} more" if more > 0 else ""
    message = f"{len(problems)} of {total} row(s) invalid, nothing written: {shown}{tail}"
    return ValidationError(message, field=problems[0][1].field)


def _refuse_repeats(records: Sequence[Record]) -> None:
    seen: set[str] = set()
    repeated: list[str] = []
    for record in records:
        if record.fid in seen:
            repeated.append(record.fid)
        seen.add(record.fid)
    if repeated:
        shown = ", ".join(map(repr, repeated[:_MAX_REPORTED]))
        raise DuplicateIdError(f"the frame repeats id(s) {shown}; each id may appear once")


def refuse_id_change(fid: str, properties: Mapping[str, Any]) -> None:
    """Raise ValidationError when ``properties`` carry an ``id`` other than ``fid``."""
    given = clean_id(properties.get("id"))
    if given is not None and given != fid:
        raise ValidationError(f"id {given!r} cannot replace {fid!r}: ids never change", field="id")


def check_version(layer: Layer, fid: str, version: int | None, expected: int | None) -> None:
    """Raise VersionMismatchError when ``expected`` is given and is not the stored ``version``."""
    if expected is None or expected == version:
        return
    raise VersionMismatchError(
        f"feature {fid!r} in layer {layer.name!r} is at version {version}, not {expected}",
        current_version=version,
    )


def check_bbox(bbox: Any) -> tuple[float, float, float, float]:
    """Return ``bbox`` as four finite floats (min_lon, min_lat, max_lon, max_lat).

    Raises
    ------
    ValidationError
        Not four finite numbers, or a minimum above its maximum.
    """
    try:
        values = tuple(float(v) for v in bbox)
    except (TypeError, ValueError):
        values = ()
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise ValidationError(
            f"bbox {bbox!r} is not four finite numbers (min_lon, min_lat, max_lon, max_lat)",
            field="bbox",
        )
    min_lon, min_lat, max_lon, max_lat = values
    if min_lon > max_lon or min_lat > max_lat:
        raise ValidationError(f"bbox {bbox!r} has a minimum greater than its maximum", field="bbox")
    return min_lon, min_lat, max_lon, max_lat


def check_paging(query: Query) -> tuple[int | None, int]:
    """Return ``(limit, offset)`` of ``query`` (limit None: no limit).

    Raises
    ------
    ValidationError
        A negative limit or offset.
    """
    limit, offset = query.limit, query.offset
    for name, value in (("limit", limit), ("offset", offset)):
        if name == "limit" and value is None:
            continue
        if value is None or not 0 <= value <= MAX_STORE_INT:
            raise ValidationError(
                f"{name} {value!r} must be a whole number from 0 to {MAX_STORE_INT}", field=name
            )
    return (None if limit is None else int(limit)), int(offset)


def whole_number(value: Any) -> int:
    """Return ``value`` as an int both stores keep; ValueError if it is not one.

    Examples
    --------
    >>> whole_number("3"), whole_number(4.0)
    (3, 4)
    """
    if isinstance(value, bool):
        raise ValueError("a boolean is not a number")
    if isinstance(value, int | np.integer):
        number = int(value)
    elif isinstance(value, str) and value.strip().lstrip("+-").isdigit():
        number = int(value)  # exact: through float, 2**63 - 1 would round up past the range
    else:
        real = float(value)
        if not math.isfinite(real) or not real.is_integer():
            raise ValueError("not a finite whole number")
        number = int(real)
    if not -MAX_STORE_INT <= number <= MAX_STORE_INT:
        raise ValueError(f"beyond the 64-bit integers a store keeps (+-{MAX_STORE_INT})")
    return number


_SNAPSHOT_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def history_jsons(layer: Layer, records: Sequence[Record]) -> list[str]:
    """Return the history JSON of stored states: ``{"properties", "geometry"}``.

    ``properties`` holds every field but ``id``; ``geometry`` is WKT at full
    precision (None for layers without geometry). Both stores keep this text.
    """
    names = [n for n in layer.field_names if n != "id"]
    wkts: Sequence[str | None] = [None] * len(records)
    if layer.has_geometry:
        geoms = np.array([r.geometry for r in records], dtype=object)
        wkts = shapely.to_wkt(geoms, rounding_precision=-1).tolist()
    return [
        _SNAPSHOT_JSON.encode({"properties": {n: r.properties.get(n) for n in names},
                               "geometry": wkt})
        for r, wkt in zip(records, wkts, strict=True)
    ]


def history_rows(
    layer: Layer,
    operation: str,
    *,
    actor: str,
    at: str,
    before: Sequence[Record] | None,
    after: Sequence[Record] | None,
) -> list[tuple[Any, ...]]:
    """Return history rows ``(layer, fid, operation, actor, at, before, after)``, one per record.

    ``before`` and ``after`` are aligned by position (either may be None: a
    create has no before, a delete no after); snapshots are :func:`history_jsons`.
    """
    side = before if before is not None else after
    if not side:
        return []
    empty: list[str | None] = [None] * len(side)
    befores = history_jsons(layer, before) if before is not None else empty
    afters = history_jsons(layer, after) if after is not None else empty
    return [(layer.name, r.fid, operation, str(actor), at, b, a)
            for r, b, a in zip(side, befores, afters, strict=True)]
