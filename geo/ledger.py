"""The ledger (台账) model: layers, fields, vocabularies and validation.

A layer is a named table of features. Each :class:`Layer` lists its
:class:`Field` objects and the geometry types it accepts; stores build their
schemas from these definitions, and :func:`validate_record` is the single
gate every write passes through (imports, edits, the demo generator).

System fields (``version``, ``updated_at``) are set by the store, never by
the caller; derived fields (``priority``, ``distance_m`` ...) are computed by
:mod:`geo.radius` and never stored.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from geo.errors import NotFoundError, ValidationError

__all__ = [
    "CATEGORIES",
    "DEFAULT_RADIUS_M",
    "INSPECTION_RESULTS",
    "LAYERS",
    "PURIFIER_STATES",
    "STATION_LEVELS",
    "STATUSES",
    "SYSTEM_FIELDS",
    "Feature",
    "Field",
    "Layer",
    "get_layer",
    "now_utc",
    "validate_record",
]

DEFAULT_RADIUS_M = 3000.0

CATEGORIES = (
    "catering",
    "bbq",
    "night_market",
    "construction_site",
    "muck_route",
    "industrial",
    "other",
)
STATUSES = ("operating", "rectifying", "closed")
PURIFIER_STATES = ("none", "installed", "in_use")
STATION_LEVELS = ("national", "provincial", "city", "other")
INSPECTION_RESULTS = ("compliant", "violation", "closed_down", "not_found")

_POINT = frozenset({"Point"})
_AREA = frozenset({"Point", "Polygon", "MultiPolygon"})
_LINE = frozenset({"LineString", "MultiLineString"})
_ANY = _AREA | _LINE

#: Geometry types each source category may have.
CATEGORY_GEOMETRIES: dict[str, frozenset[str]] = {
    "catering": _POINT,
    "bbq": _POINT,
    "night_market": _AREA,
    "construction_site": _AREA,
    "muck_route": _LINE,
    "industrial": _AREA,
    "other": _ANY,
}

#: Fields the store maintains; values given by callers are ignored.
SYSTEM_FIELDS = ("version", "updated_at")


@dataclass(frozen=True)
class Field:
    """One attribute of a layer.

    ``kind`` is one of ``str``, ``int``, ``float``, ``bool``, ``date`` or
    ``datetime``; dates travel as ISO 8601 strings (``YYYY-MM-DD``).
    """

    name: str
    kind: str = "str"
    required: bool = False
    choices: tuple[str, ...] | None = None
    default: Any = None


@dataclass(frozen=True)
class Layer:
    """A named table of features with its fields and allowed geometry types."""

    name: str
    fields: tuple[Field, ...]
    geometry_types: frozenset[str] = frozenset()
    id_prefix: str = "F"

    @property
    def has_geometry(self) -> bool:
        """Whether features of this layer carry a geometry."""
        return bool(self.geometry_types)

    @property
    def field_names(self) -> tuple[str, ...]:
        """Names of all fields, ``id`` first."""
        return tuple(f.name for f in self.fields)

    def field(self, name: str) -> Field:
        """Return the field called ``name``; raise ValidationError if unknown."""
        for f in self.fields:
            if f.name == name:
                return f
        raise ValidationError(f"layer {self.name!r} has no field {name!r}", field=name)


_ID = Field("id", "str", required=True)
_VERSION = Field("version", "int")
_UPDATED = Field("updated_at", "datetime")
_DEMO = Field("demo", "bool", default=False)
_ORIGIN = (Field("orig_crs", "str"), Field("orig_wkt", "str"))
_PLACE = (Field("address"), Field("subdistrict"), Field("community"), Field("grid"))

SOURCES = Layer(
    "sources",
    (
        _ID,
        Field("name", required=True),
        Field("category", required=True, choices=CATEGORIES),
        Field("status", choices=STATUSES, default="operating"),
        Field("fume_purifier", choices=PURIFIER_STATES),
        *_PLACE,
        Field("last_inspected", "date"),
        Field("notes"),
        _DEMO,
        *_ORIGIN,
        _UPDATED,
        _VERSION,
    ),
    geometry_types=_ANY,
    id_prefix="S",
)
STATIONS = Layer(
    "stations",
    (
        _ID,
        Field("name", required=True),
        Field("level", choices=STATION_LEVELS, default="other"),
        Field("radius_m", "float", default=DEFAULT_RADIUS_M),
        Field("address"),
        _DEMO,
        *_ORIGIN,
        _UPDATED,
        _VERSION,
    ),
    geometry_types=_POINT,
    id_prefix="M",
)
INSPECTIONS = Layer(
    "inspections",
    (
        _ID,
        Field("source_id", required=True),
        Field("date", "date", required=True),
        Field("round", "int"),
        Field("inspector"),
        Field("result", required=True, choices=INSPECTION_RESULTS),
        Field("notes"),
        _DEMO,
        _UPDATED,
        _VERSION,
    ),
    id_prefix="I",
)
GRIDS = Layer(
    "grids",
    (_ID, Field("name", required=True), Field("subdistrict"), Field("community"), _DEMO,
     _UPDATED, _VERSION),
    geometry_types=frozenset({"Polygon", "MultiPolygon"}),
    id_prefix="G",
)
DISTRICTS = Layer(
    "districts",
    (_ID, Field("name", required=True), Field("provenance"), _UPDATED, _VERSION),
    geometry_types=frozenset({"Polygon", "MultiPolygon"}),
    id_prefix="D",
)

#: Every stored layer by name.
LAYERS: dict[str, Layer] = {
    layer.name: layer for layer in (SOURCES, STATIONS, INSPECTIONS, GRIDS, DISTRICTS)
}


def get_layer(name: str) -> Layer:
    """Return the layer called ``name``; raise NotFoundError if there is none."""
    try:
        return LAYERS[name]
    except KeyError:
        known = ", ".join(LAYERS)
        raise NotFoundError(f"unknown layer {name!r}; expected one of: {known}") from None


@dataclass
class Feature:
    """One record of a layer: ``id``, attribute ``properties`` and ``geometry``.

    ``properties`` holds every field but ``id``; geometry is lon/lat
    (EPSG:4326) or None for layers without geometry.
    """

    id: str | None
    properties: dict[str, Any] = field(default_factory=dict)
    geometry: BaseGeometry | None = None

    @property
    def version(self) -> int | None:
        """The stored version, or None for a feature not yet stored."""
        return self.properties.get("version")


def now_utc() -> str:
    """Return the current UTC time as ISO 8601 with milliseconds and ``Z``."""
    now = dt.datetime.now(dt.UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def validate_record(
    layer: Layer | str,
    properties: Mapping[str, Any],
    geometry: BaseGeometry | None,
    *,
    repair: bool = False,
) -> tuple[dict[str, Any], BaseGeometry | None, list[str]]:
    """Check and normalise one record against the ledger model.

    Parameters
    ----------
    layer : Layer or str
        The layer the record belongs to.
    properties : mapping
        Field values; unknown keys are refused, missing optional fields
        take their defaults, system fields are dropped.
    geometry : shapely geometry or None
        Lon/lat geometry; must be of a type the layer (and, for sources,
        the category) allows, and valid.
    repair : bool, default False
        Repair an invalid polygon with :func:`shapely.make_valid` instead of
        refusing it; the returned notes say so.

    Returns
    -------
    (properties, geometry, notes)
        Normalised values and a list of notes on what was changed.

    Raises
    ------
    ValidationError
        Naming the field and the expected values.

    Examples
    --------
    >>> from shapely import Point
    >>> props, geom, notes = validate_record(
    ...     "sources", {"name": "老王烧烤", "category": "bbq"}, Point(113.6, 34.75))
    >>> props["status"], notes
    ('operating', [])
    """
    layer = get_layer(layer) if isinstance(layer, str) else layer
    clean = _clean_properties(layer, properties)
    notes: list[str] = []
    if layer.has_geometry:
        geometry, notes = _check_geometry(layer, clean, geometry, repair=repair)
    elif geometry is not None:
        raise ValidationError(f"layer {layer.name!r} has no geometry", field="geometry")
    return clean, geometry, notes


def _clean_properties(layer: Layer, properties: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(properties) - set(layer.field_names) - set(SYSTEM_FIELDS)
    if unknown:
        names = ", ".join(sorted(map(str, unknown)))
        raise ValidationError(
            f"unknown field(s) for layer {layer.name!r}: {names}", field=sorted(unknown)[0]
        )
    clean: dict[str, Any] = {}
    for f in layer.fields:
        if f.name in SYSTEM_FIELDS or f.name == "id":
            continue
        clean[f.name] = _coerce(f, properties.get(f.name))
    return clean


def _is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _coerce(f: Field, value: Any) -> Any:
    if _is_blank(value):
        if f.required:
            raise ValidationError(f"field {f.name!r} is required", field=f.name)
        return f.default
    try:
        value = _CONVERTERS[f.kind](value)
    except (TypeError, ValueError) as exc:
        raise ValidationError(
            f"field {f.name!r}: {value!r} is not a valid {f.kind} ({exc})", field=f.name
        ) from None
    if f.choices is not None and value not in f.choices:
        raise ValidationError(
            f"field {f.name!r}: {value!r} is not one of {', '.join(f.choices)}", field=f.name
        )
    return value


def _to_str(value: Any) -> str:
    return str(value).strip()


def _to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("a boolean is not a number")
    number = float(value)
    if not number.is_integer():
        raise ValueError("not a whole number")
    return int(number)


def _to_float(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError("a boolean is not a number")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError("not a finite number")
    return number


_TRUE = {"1", "true", "yes", "y", "t", "是"}
_FALSE = {"0", "false", "no", "n", "f", "否"}


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError("expected true/false")


def _to_date(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()[:10].replace("/", "-")
    return dt.date.fromisoformat(text).isoformat()


def _to_datetime(value: Any) -> str:
    if isinstance(value, dt.datetime):
        stamp = value
    else:
        stamp = dt.datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.UTC)
    stamp = stamp.astimezone(dt.UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


_CONVERTERS = {
    "str": _to_str,
    "int": _to_int,
    "float": _to_float,
    "bool": _to_bool,
    "date": _to_date,
    "datetime": _to_datetime,
}


def _check_geometry(
    layer: Layer, props: dict[str, Any], geometry: BaseGeometry | None, *, repair: bool
) -> tuple[BaseGeometry, list[str]]:
    if geometry is None or geometry.is_empty:
        raise ValidationError("geometry is required", field="geometry")
    allowed = layer.geometry_types
    if layer.name == "sources":
        allowed = CATEGORY_GEOMETRIES[props["category"]]
    if geometry.geom_type not in allowed:
        raise ValidationError(
            f"geometry type {geometry.geom_type} is not allowed here; expected "
            f"{' or '.join(sorted(allowed))}",
            field="geometry",
        )
    _check_lonlat_bounds(geometry)
    if shapely.is_valid(geometry):
        return geometry, []
    reason = shapely.is_valid_reason(geometry)
    if not repair:
        raise ValidationError(f"invalid geometry: {reason}", field="geometry")
    fixed = _repair(geometry)
    return fixed, [f"geometry repaired ({reason})"]


def _repair(geometry: BaseGeometry) -> BaseGeometry:
    fixed = shapely.make_valid(geometry)
    if fixed.geom_type == "GeometryCollection":
        polys = [g for g in fixed.geoms if g.geom_type in ("Polygon", "MultiPolygon")]
        fixed = shapely.union_all(polys)
    if fixed.geom_type != geometry.geom_type and geometry.geom_type == "Polygon":
        if fixed.geom_type != "MultiPolygon":
            raise ValidationError("invalid polygon cannot be repaired", field="geometry")
    return fixed


def _check_lonlat_bounds(geometry: BaseGeometry) -> None:
    minx, miny, maxx, maxy = geometry.bounds
    if not all(math.isfinite(v) for v in (minx, miny, maxx, maxy)):
        raise ValidationError("geometry has a NaN or infinite coordinate", field="geometry")
    if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        raise ValidationError(
            f"geometry lies outside lon/lat range (bounds {minx}, {miny}, {maxx}, {maxy})",
            field="geometry",
        )
