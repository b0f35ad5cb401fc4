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
import numbers
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from geo.errors import NotFoundError, ValidationError

__all__ = [
    "BUREAU_TZ",
    "CASE_CHANNELS",
    "CASE_STATUSES",
    "CATEGORIES",
    "CATEGORY_LABELS_ZH",
    "coerce_field",
    "DEFAULT_RADIUS_M",
    "INSPECTION_RESULTS",
    "LAYERS",
    "MAX_ID_LENGTH",
    "MAX_RADIUS_M",
    "MAX_ROUND",
    "PURIFIER_STATES",
    "STATION_LEVELS",
    "STATUSES",
    "SYSTEM_FIELDS",
    "Feature",
    "Field",
    "Layer",
    "get_layer",
    "bureau_today",
    "now_utc",
    "number_text",
    "validate_id",
    "validate_record",
]

DEFAULT_RADIUS_M = 3000.0
#: Largest station radius; the same as the API's default ``max_radius_m`` query limit.
MAX_RADIUS_M = 50_000.0
#: Highest inspection round: a few rounds a year for centuries, and far below any
#: integer limit of the stores.
MAX_ROUND = 1000
MAX_ID_LENGTH = 64
#: Ids go into URL paths unescaped by careless clients and into file names on
#: export: letters of any script (CJK too), digits, ``_``, ``-`` and ``.``, not
#: starting with ``-`` or ``.`` (no ``.``/``..`` path segments).
_ID_PATTERN = re.compile(rf"\w[\w.\-]{{0,{MAX_ID_LENGTH - 1}}}")
#: Default cap of a text field: a name or a place, never a document.
_TEXT_MAX = 200
#: China Standard Time (UTC+8, no daylight saving): the bureau's clock for dates and times shown.
BUREAU_TZ = dt.timezone(dt.timedelta(hours=8))

CATEGORIES = (
    "catering",
    "bbq",
    "night_market",
    "construction_site",
    "muck_route",
    "industrial",
    "other",
)
#: The bureau's Chinese name of each category, for every page, file and report.
CATEGORY_LABELS_ZH = {
    "catering": "餐饮",
    "bbq": "露天烧烤",
    "night_market": "夜市",
    "construction_site": "建筑工地",
    "muck_route": "渣土车路线",
    "industrial": "工业",
    "other": "其他",
}
STATUSES = ("operating", "rectifying", "closed")
PURIFIER_STATES = ("none", "installed", "in_use")
STATION_LEVELS = ("national", "provincial", "city", "other")
INSPECTION_RESULTS = ("compliant", "violation", "closed_down", "not_found")
#: Where a case stands (geo.cases.machine moves it) and how it came in (12319 is the hotline).
CASE_STATUSES = ("reported", "filed", "dispatched", "handled", "verified", "closed", "rejected")
CASE_CHANNELS = ("patrol", "inspection", "hotline", "public", "camera", "other")
#: Roles of accounts and API tokens, in order: each may do what the ones before it may
#: (a dispatcher also files, dispatches and closes cases; an admin also manages accounts).
ROLES = ("viewer", "editor", "dispatcher", "admin")

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
    ``datetime``; dates travel as ISO 8601 strings (``YYYY-MM-DD``). A value
    of the wrong type is refused, never stored as its ``repr``: text fields
    take strings only (readers of spreadsheets turn a number cell into the
    text it shows first), numbers take numbers or numeric text, dates take
    text or dates; no field takes an object or an array. Text must be valid
    Unicode: no NUL, no lone surrogate (which a JSON escape can spell).
    ``max_length`` caps text (None: no cap); ``minimum``/``maximum`` bound
    numbers (``exclusive_minimum``: the minimum itself is refused);
    ``not_future`` refuses dates after the bureau's today (UTC+8).
    """

    name: str
    kind: str = "str"
    required: bool = False
    choices: tuple[str, ...] | None = None
    default: Any = None
    max_length: int | None = _TEXT_MAX
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    not_future: bool = False


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


_ID = Field("id", "str", required=True, max_length=MAX_ID_LENGTH)  # see validate_id
_VERSION = Field("version", "int")
_UPDATED = Field("updated_at", "datetime")
_DEMO = Field("demo", "bool", default=False)
# orig_wkt is the client's geometry as given: its size is bounded by the body and
# upload limits, not by a text cap.
_ORIGIN = (Field("orig_crs", "str"), Field("orig_wkt", "str", max_length=None))
_ADDRESS = Field("address", max_length=500)
_NOTES = Field("notes", max_length=2000)
_PLACE = (_ADDRESS, Field("subdistrict"), Field("community"), Field("grid"))

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
        _NOTES,
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
        Field("radius_m", "float", default=DEFAULT_RADIUS_M, minimum=0.0,
              exclusive_minimum=True, maximum=MAX_RADIUS_M),
        _ADDRESS,
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
        Field("source_id", required=True, max_length=MAX_ID_LENGTH),
        Field("date", "date", required=True, not_future=True),
        Field("round", "int", minimum=1, maximum=MAX_ROUND),
        Field("inspector"),
        Field("result", required=True, choices=INSPECTION_RESULTS),
        # the oil-fume purifier as the inspector found it (a catering premise's key fact)
        Field("fume_purifier", choices=PURIFIER_STATES),
        _NOTES,
        _DEMO,
        _UPDATED,
        _VERSION,
    ),
    id_prefix="I",
)
CASES = Layer(
    "cases",
    (
        _ID,
        Field("event_type", required=True, max_length=40),
        Field("channel", choices=CASE_CHANNELS, default="other"),
        Field("status", choices=CASE_STATUSES, default="reported"),
        Field("description", max_length=2000),
        Field("source_id", max_length=MAX_ID_LENGTH),
        *_PLACE,
        Field("unit"),
        Field("reported_by"),
        Field("reported_at", "datetime"),
        Field("dispatched_at", "datetime"),
        Field("deadline", "datetime"),
        Field("closed_at", "datetime"),
        Field("rework", "int", default=0, minimum=0),
        # the last step of the loop; the whole timeline is the case's history
        Field("last_action", max_length=20),
        Field("last_actor"),
        Field("last_at", "datetime"),
        Field("last_notes", max_length=2000),
        Field("last_passed", "bool"),
        # the photos of the last step (JSON list of photo ids; the photos are in the store)
        Field("last_photos", max_length=2000),
        _DEMO,
        *_ORIGIN,
        _UPDATED,
        _VERSION,
    ),
    geometry_types=_POINT,
    id_prefix="C",
)
#: The district's own event types of cases (id = the type's code); empty: the defaults.
CASE_TYPES = Layer(
    "case_types",
    (_ID, Field("name_zh", required=True, max_length=40), Field("name_en", max_length=100),
     Field("limit_h", "float", required=True, minimum=0.0, exclusive_minimum=True,
           maximum=24.0 * 366), _UPDATED, _VERSION),
    id_prefix="T",
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
    (_ID, Field("name", required=True), Field("provenance", max_length=2000), _UPDATED,
     _VERSION),
    geometry_types=frozenset({"Polygon", "MultiPolygon"}),
    id_prefix="D",
)

#: Every stored layer by name.
LAYERS: dict[str, Layer] = {
    layer.name: layer
    for layer in (SOURCES, STATIONS, INSPECTIONS, CASES, CASE_TYPES, GRIDS, DISTRICTS)
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


def bureau_today() -> dt.date:
    """Return today's date for the bureau (China Standard Time, UTC+8)."""
    return dt.datetime.now(BUREAU_TZ).date()


def validate_id(value: Any, *, field: str = "id", numbers: bool = False) -> str:
    """Check one feature id and return it without surrounding blanks.

    Parameters
    ----------
    value : Any
        The id as given.
    field : str, default "id"
        The field named in the error.
    numbers : bool, default False
        Accept a whole number (from a file's integer id column) as its digits;
        otherwise only text is an id, so a JSON ``5`` is refused, not coerced.

    Raises
    ------
    ValidationError
        When the id is not 1 to 64 letters (any script), digits, ``_``, ``-``
        or ``.``, starting with a letter, digit or ``_``.

    Examples
    --------
    >>> validate_id(" 中原-S001.2 ")
    '中原-S001.2'
    >>> validate_id("a/b?c")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    geo.errors.ValidationError: field 'id': 'a/b?c' is not a valid id; ...
    """
    text = _id_text(value, field=field, numbers=numbers).strip()
    if _ID_PATTERN.fullmatch(text) is None:
        shown = text if len(text) <= 80 else text[:80] + "..."
        raise ValidationError(
            f"field {field!r}: {shown!r} is not a valid id; expected 1 to {MAX_ID_LENGTH} "
            "letters, digits, '_', '-' or '.', starting with a letter, digit or '_'",
            field=field,
        )
    return text


def _id_text(value: Any, *, field: str, numbers: bool) -> str:
    if isinstance(value, str):
        return value
    if numbers and not isinstance(value, bool):
        try:
            return str(_to_int(value))
        except (TypeError, ValueError, OverflowError):
            pass
    raise ValidationError(
        f"field {field!r}: {value!r} is not a valid id; ids are text", field=field
    )


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
        # Names as the client sent them, escaped where they are not valid Unicode.
        names = sorted(_printable(str(name)) for name in unknown)
        raise ValidationError(
            f"unknown field(s) for layer {layer.name!r}: {', '.join(names)}", field=names[0]
        )
    clean: dict[str, Any] = {}
    for f in layer.fields:
        if f.name in SYSTEM_FIELDS or f.name == "id":
            continue
        clean[f.name] = _coerce(f, properties.get(f.name))
    return clean


def coerce_field(layer: Layer | str, name: str, value: Any) -> Any:
    """Return ``value`` checked and converted as field ``name`` of ``layer`` takes it.

    The check :func:`validate_record` applies to each field, alone: a form
    uses it to put every field's message beside that field at once.

    Raises
    ------
    ValidationError
        Naming the field and the expected values.

    Examples
    --------
    >>> coerce_field("stations", "radius_m", "3000")
    3000.0
    """
    target = get_layer(layer) if isinstance(layer, str) else layer
    return _coerce(target.field(name), value)


def _is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, dt.date) and value != value:  # pandas' NaT: an empty date cell
        return True
    return isinstance(value, str) and not value.strip()


def _coerce(f: Field, value: Any) -> Any:
    if _is_blank(value):
        if f.required:
            raise ValidationError(f"field {f.name!r} is required", field=f.name)
        return f.default
    _check_type(f, value)
    try:
        value = _CONVERTERS[f.kind](value)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ValidationError(
            f"field {f.name!r}: {_shown(value)} is not a valid {f.kind} ({exc})", field=f.name
        ) from None
    if f.choices is not None and value not in f.choices:
        raise ValidationError(
            f"field {f.name!r}: {_shown(value)} is not one of {', '.join(f.choices)}",
            field=f.name,
        )
    _check_limits(f, value)
    return value


#: What each kind of field takes; conversions (``"3000"`` for a number) happen after.
_ACCEPTED: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (str, numbers.Real),
    "float": (str, numbers.Real),
    "bool": (str, numbers.Real),
    "date": (str, dt.date),
    "datetime": (str, dt.date),
}
_EXPECTED = {
    "str": "a string",
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "date": "a date as text (YYYY-MM-DD)",
    "datetime": "a date and time as text (ISO 8601)",
}


def _check_type(f: Field, value: Any) -> None:
    """Refuse a value of a type the field never takes (a JSON object, array, boolean ...)."""
    if isinstance(value, _ACCEPTED[f.kind]):
        return
    hint = ""
    if f.kind == "str" and isinstance(value, numbers.Real) and not isinstance(value, bool):
        hint = f' such as "{number_text(value)}"'
    raise ValidationError(
        f"field {f.name!r}: expected {_EXPECTED[f.kind]}{hint}, got {_described(value)}",
        field=f.name,
    )


def number_text(value: numbers.Real) -> str:
    """Return a number as a person reads it in a cell: whole numbers without ``.0``.

    Examples
    --------
    >>> number_text(12), number_text(12.0), number_text(12.5)
    ('12', '12', '12.5')
    """
    if isinstance(value, numbers.Integral):
        return str(int(value))  # exact: float() would round past 2**53
    number = float(value)
    return str(int(number)) if number.is_integer() and abs(number) < 1e15 else repr(number)


def _described(value: Any) -> str:
    # Never the repr of a container: it may be nested thousands deep.
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, numbers.Real):
        return f"the number {number_text(value)}"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple | set):
        return "an array"
    return f"a value of type {type(value).__name__}"


def _printable(text: str) -> str:
    """Return ``text`` with what UTF-8 cannot hold (lone surrogates) as backslash escapes."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _shown(value: Any) -> str:
    """Show a value in an error message, shortened: messages echo input, never pages of it."""
    text = repr(value)
    return text if len(text) <= 100 else text[:100] + "...'"


def _check_limits(f: Field, value: Any) -> None:
    """Refuse text with NUL or over its cap, numbers out of range, future dates."""
    problem = None
    if f.kind == "str":
        if "\x00" in value:
            problem = "contains a NUL character"
        elif _printable(value) != value:
            problem = (f"is not valid Unicode ({_shown(value)} holds a lone surrogate, "
                       "half of a UTF-16 pair)")
        elif f.max_length is not None and len(value) > f.max_length:
            problem = f"is {len(value)} characters long; at most {f.max_length} are allowed"
    elif f.kind in ("int", "float"):
        problem = _range_problem(f, value)
    elif f.not_future and value > bureau_today().isoformat():
        problem = f"{value} is in the future (today is {bureau_today().isoformat()}, UTC+8)"
    if problem is not None:
        raise ValidationError(f"field {f.name!r}: {problem}", field=f.name)


def _range_problem(f: Field, value: float) -> str | None:
    low, high = f.minimum, f.maximum
    too_low = low is not None and (value <= low if f.exclusive_minimum else value < low)
    if not too_low and (high is None or value <= high):
        return None
    above = "above" if f.exclusive_minimum else "at least"
    bounds = [] if low is None else [f"{above} {low:g}"]
    bounds += [] if high is None else [f"at most {high:g}"]
    return f"{value!r} is out of range; expected {' and '.join(bounds)}"


def _to_str(value: Any) -> str:
    return str(value).strip()


def _to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("a boolean is not a number")
    if isinstance(value, int):
        return value  # exact: float() would round integers past 2**53
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
