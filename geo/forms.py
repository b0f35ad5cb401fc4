"""Records from what a person typed into a form: every field's problem at once, coordinates pasted.

A form sends text fields named after the ledger's fields (``name``,
``category``, ``address`` ...) and the place either as ``lon``/``lat`` or as
one pasted ``coords`` text (``113.6654,34.7580`` as Amap or Baidu copy it;
commas, full-width commas, semicolons or spaces between), labelled by
``crs`` (``wgs84``, ``gcj02``, ``bd09``, ``cgcs2000`` or an EPSG code). The
point is converted to stored lon/lat and the typed one kept in
``orig_crs``/``orig_wkt``, as for any other way in.

:func:`record_from_form` does this for any layer: it checks every field on
its own first, so the form can show each message next to its field, then
the whole record (:func:`geo.ledger.validate_record`: for a source, category
and geometry together). :func:`source_from_form`, :func:`station_from_form`
and :func:`inspection_from_form` are it for the three layers staff edit.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

import shapely
from shapely import Point
from shapely.geometry.base import BaseGeometry

from geo import crs as crs_mod
from geo.errors import CoordinateError, ValidationError
from geo.ledger import Feature, coerce_field, get_layer, validate_record

__all__ = ["FORM_FIELDS", "INSPECTION_FORM_FIELDS", "STATION_FORM_FIELDS", "FormErrors",
           "inspection_from_form", "parse_coords", "record_from_form", "source_from_form",
           "station_from_form"]

#: The source fields a form edits (the rest are kept or derived).
FORM_FIELDS = ("name", "category", "status", "fume_purifier", "address", "subdistrict",
               "community", "grid", "notes")
#: The monitoring-station fields a form edits (the place comes as for sources).
STATION_FORM_FIELDS = ("name", "level", "radius_m", "address")
#: The inspection fields a form records (``source_id`` comes from the page).
INSPECTION_FORM_FIELDS = ("round", "date", "result", "fume_purifier", "inspector", "notes")
_SEPARATORS = re.compile(r"[\s,，;；]+")
_STORED_DECIMALS = 7  # what the edit form shows: a point typed back unchanged is the same point


class FormErrors(ValidationError):
    """One message per field of a form that is not right.

    Parameters
    ----------
    errors : dict
        Field name -> message (``coords`` for the place).
    """

    def __init__(self, errors: dict[str, str]) -> None:
        first = next(iter(errors))
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()), field=first)
        self.errors = errors


@dataclass(frozen=True)
class TypedPoint:
    """A point as typed: its coordinates in ``crs``."""

    x: float
    y: float
    crs: str


def parse_coords(text: str) -> tuple[float, float]:
    """Return the two numbers of a pasted coordinate pair, in the order written.

    Raises
    ------
    CoordinateError
        When the text is not exactly two finite numbers.

    Examples
    --------
    >>> parse_coords("113.665412,34.757975"), parse_coords(" 113.6 ， 34.7 ")
    ((113.665412, 34.757975), (113.6, 34.7))
    """
    parts = [p for p in _SEPARATORS.split(str(text).strip()) if p]
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        numbers = []
    if len(numbers) != 2 or not all(math.isfinite(n) for n in numbers):
        raise CoordinateError(
            f"{text!r} is not a coordinate pair: write longitude and latitude, "
            "e.g. 113.6654,34.7580")
    return numbers[0], numbers[1]


def _typed_point(fields: Mapping[str, str], errors: dict[str, str]) -> TypedPoint | None:
    """Return the typed point (None when no place was typed); problems go into ``errors``."""
    coords = str(fields.get("coords") or "").strip()
    lon, lat = (str(fields.get(k) or "").strip() for k in ("lon", "lat"))
    if not coords and not lon and not lat:
        return None
    where = "coords" if coords else "lon"
    try:
        x, y = parse_coords(coords) if coords else parse_coords(f"{lon},{lat}")
    except CoordinateError as exc:
        errors[where] = str(exc)
        return None
    label = str(fields.get("crs") or "").strip()
    if not label:
        errors["crs"] = "choose where the coordinates come from (GPS, Amap, Baidu ...)"
        return None
    try:
        return TypedPoint(x, y, crs_mod.normalize_label(label))
    except CoordinateError as exc:
        errors["crs"] = str(exc)
        return None


def _stored_point(point: TypedPoint, errors: dict[str, str]) -> BaseGeometry | None:
    try:
        return crs_mod.geometry_to_lonlat(Point(point.x, point.y), crs=point.crs)
    except CoordinateError as exc:
        errors["coords"] = str(exc)
        return None


def _unchanged(point: TypedPoint, stored: BaseGeometry | None) -> bool:
    """Whether the edit form's lon/lat came back as shown for the stored point."""
    if point.crs != "wgs84" or stored is None or stored.geom_type != "Point":
        return False
    shown = (round(stored.x, _STORED_DECIMALS), round(stored.y, _STORED_DECIMALS))
    return (round(point.x, _STORED_DECIMALS), round(point.y, _STORED_DECIMALS)) == shown


def record_from_form(layer: str, fields: Mapping[str, str], names: tuple[str, ...], *,
                     stored: Feature | None = None,
                     point: bool = True) -> tuple[dict[str, object], BaseGeometry | None]:
    """Return the properties and lon/lat geometry a form of any layer asks for.

    Each of ``names`` is checked on its own first, so every message can
    stand beside its field; then the record as a whole (merged over
    ``stored`` when editing) goes through :func:`geo.ledger.validate_record`.

    Parameters
    ----------
    layer : str
        The layer the record belongs to (``sources``, ``stations``, ``inspections`` ...).
    fields : mapping of str to str
        The posted form: ``names``, and with ``point`` ``coords`` or ``lon``/``lat``, ``crs``.
    names : tuple of str
        The layer's fields the form edits; the others are kept (or derived).
    stored : Feature, optional
        The record being edited: its geometry stays when no new place is typed.
    point : bool, default True
        Whether the form carries a place; a new record of a layer with
        geometry then needs one.

    Returns
    -------
    (properties, geometry)
        The fields of ``names`` (empty text as None) plus ``orig_crs``/``orig_wkt``
        when a place was typed; the geometry is None when the stored one stays
        (or the layer has none).

    Raises
    ------
    FormErrors
        With a message for each field that is not right (``coords`` for the place).

    Examples
    --------
    >>> props, geom = record_from_form("stations", {"name": "监测点", "radius_m": "2500",
    ...     "coords": "113.6654,34.7580", "crs": "wgs84"}, ("name", "radius_m"))
    >>> props["radius_m"], geom.x
    ('2500', 113.6654)
    """
    errors: dict[str, str] = {}
    properties = _checked_fields(layer, fields, names, errors)
    geometry = _placed(fields, stored, properties, errors) if point else None
    if errors:
        raise FormErrors(errors)
    _check_whole(layer, names, properties, geometry if geometry is not None else
                 (stored.geometry if stored else None), stored)
    return properties, geometry


def _placed(fields: Mapping[str, str], stored: Feature | None, properties: dict[str, object],
            errors: dict[str, str]) -> BaseGeometry | None:
    """Return the new stored geometry the form types (None: none, or the stored one stays)."""
    point = _typed_point(fields, errors)
    geometry = None
    if point is not None and not _unchanged(point, stored.geometry if stored else None):
        geometry = _stored_point(point, errors)
        properties["orig_crs"] = point.crs
        properties["orig_wkt"] = shapely.to_wkt(Point(point.x, point.y), rounding_precision=-1)
    if stored is None and point is None and not {"coords", "lon", "crs"} & errors.keys():
        errors["coords"] = "type or paste the place's coordinates"
    return geometry


def source_from_form(fields: Mapping[str, str], *,
                     stored: Feature | None = None) -> tuple[dict[str, object],
                                                             BaseGeometry | None]:
    """Return the properties and lon/lat geometry a source form asks for.

    :func:`record_from_form` over :data:`FORM_FIELDS`: the category is
    checked against the geometry type too (a muck route needs a line).

    Raises
    ------
    FormErrors
        With a message for each field that is not right (``coords`` for the place).
    """
    return record_from_form("sources", fields, FORM_FIELDS, stored=stored)


def station_from_form(fields: Mapping[str, str], *,
                      stored: Feature | None = None) -> tuple[dict[str, object],
                                                              BaseGeometry | None]:
    """Return the properties and lon/lat point a monitoring-station form asks for.

    :func:`record_from_form` over :data:`STATION_FORM_FIELDS`; ``radius_m``
    must be above 0 and at most :data:`geo.ledger.MAX_RADIUS_M` (blank: the
    default 3000 m).

    Raises
    ------
    FormErrors
        With a message for each field that is not right (``coords`` for the place).

    Examples
    --------
    >>> station_from_form({"name": "站", "radius_m": "0", "coords": "113.6,34.7",
    ...                    "crs": "wgs84"})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    geo.forms.FormErrors: radius_m: field 'radius_m': 0.0 is out of range; ...
    """
    return record_from_form("stations", fields, STATION_FORM_FIELDS, stored=stored)


def _check_whole(layer: str, names: tuple[str, ...], properties: dict[str, object],
                 geometry: BaseGeometry | None, stored: Feature | None) -> None:
    """Check the record as a whole (category against geometry type) once each field is right."""
    merged = {**(stored.properties if stored else {}), **properties}
    merged = {k: v for k, v in merged.items()
              if k in get_layer(layer).field_names and k not in ("id",)}
    try:
        validate_record(layer, merged, geometry)
    except ValidationError as exc:
        field = exc.field if exc.field in (*names, "geometry") else "coords"
        raise FormErrors({"coords" if field == "geometry" else str(field): str(exc)}) from None


def _checked_fields(layer_name: str, fields: Mapping[str, str], names: tuple[str, ...],
                    errors: dict[str, str]) -> dict[str, object]:
    """Check each of ``names`` on its own; return the values as typed (blank as None)."""
    layer = get_layer(layer_name)
    values: dict[str, object] = {}
    for name in names:
        raw = str(fields.get(name) or "").strip() or None
        try:
            coerce_field(layer, name, raw)
        except ValidationError as exc:
            errors[name] = str(exc)
        values[name] = raw
    return values


def inspection_from_form(fields: Mapping[str, str], *, source_id: str,
                         stored: Feature | None = None) -> dict[str, object]:
    """Return the properties of an inspection of ``source_id`` a form asks for.

    Parameters
    ----------
    fields : mapping of str to str
        The posted form: :data:`INSPECTION_FORM_FIELDS`.
    source_id : str
        The source inspected (from the page, never typed).
    stored : Feature, optional
        The inspection being edited; the fields the form leaves out stay.

    Raises
    ------
    FormErrors
        With a message for each field that is not right (a future date, a
        round out of range, an unknown result ...).
    """
    values = {**fields, "source_id": source_id}
    properties, _ = record_from_form("inspections", values,
                                     (*INSPECTION_FORM_FIELDS, "source_id"), stored=stored,
                                     point=False)
    return properties
