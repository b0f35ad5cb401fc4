"""Single-feature edits from GeoJSON documents (OGC API – Features Part 4).

A client sends a GeoJSON Feature (create, replace) or a JSON merge patch
(RFC 7396) of one. Derived fields (``priority``, ``nearest_station``,
``distance_m``, ``stations``) and system fields (``version``,
``updated_at``) are computed by Zonewatch: values a client sends for them
are ignored, so a client may send back what it read. Geometry may come in
any coordinate label; it is stored as lon/lat and the original kept in
``orig_crs``/``orig_wkt``.

The edits are then written by :mod:`geo.writes` (``create``, ``update``,
``delete``), which checks every rule in one store transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from geo import crs as crs_mod
from geo.errors import CoordinateError, ValidationError
from geo.ledger import SYSTEM_FIELDS, Feature, Layer, get_layer, validate_id
from geo.priority import DERIVED_FIELDS

__all__ = [
    "IGNORED_FIELDS",
    "feature_from_geojson",
    "merge_patch",
    "patch_feature",
]

#: Fields a client may send but that are never taken from it.
IGNORED_FIELDS = (*DERIVED_FIELDS, *SYSTEM_FIELDS)


def feature_from_geojson(layer: str, doc: Any, *, crs: str = "wgs84") -> Feature:
    """Turn a GeoJSON Feature into a :class:`Feature` of ``layer`` (lon/lat geometry).

    Parameters
    ----------
    layer : str
        Target layer.
    doc : Any
        The parsed request body.
    crs : str, default "wgs84"
        Coordinate label of the geometry.

    Raises
    ------
    ValidationError
        Naming the field (``type``, ``properties``, ``geometry``, ``id``).

    Examples
    --------
    >>> f = feature_from_geojson("sources", {"type": "Feature", "properties": {
    ...     "name": "老王烧烤", "category": "bbq", "priority": True},
    ...     "geometry": {"type": "Point", "coordinates": [113.65, 34.75]}})
    >>> "priority" in f.properties, f.geometry.wkt
    (False, 'POINT (113.65 34.75)')
    """
    target = get_layer(layer)
    if not isinstance(doc, Mapping) or doc.get("type") != "Feature":
        raise ValidationError("the body must be a GeoJSON Feature", field="type")
    props = doc.get("properties")
    props = {} if props is None else props
    if not isinstance(props, Mapping):
        raise ValidationError("'properties' must be an object", field="properties")
    fid = _feature_id(doc, props)
    clean = {k: v for k, v in props.items() if k not in (*IGNORED_FIELDS, "id")}
    geometry = None
    if doc.get("geometry") is not None or target.has_geometry:
        geometry = _geometry(target, doc.get("geometry"), crs, clean)
    return Feature(fid, dict(clean), geometry)


def patch_feature(
    layer: str, current: Feature, patch: Any, *, crs: str = "wgs84"
) -> tuple[dict[str, Any], BaseGeometry | None]:
    """Apply a merge patch of a GeoJSON Feature to ``current``.

    Returns the full new properties and the new geometry (None: unchanged).
    """
    target = get_layer(layer)
    if not isinstance(patch, Mapping):
        raise ValidationError("a merge patch must be a JSON object", field="body")
    props_patch = patch.get("properties", {})
    if props_patch is not None and not isinstance(props_patch, Mapping):
        raise ValidationError("'properties' must be an object", field="properties")
    if patch.get("id") not in (None, current.id):
        raise ValidationError("ids never change", field="id")
    base = {k: v for k, v in current.properties.items() if k not in IGNORED_FIELDS}
    patch_props = {k: v for k, v in (props_patch or {}).items() if k not in IGNORED_FIELDS}
    merged = merge_patch(base, patch_props)
    if merged.get("id") not in (None, current.id):
        raise ValidationError("ids never change", field="id")
    merged.pop("id", None)
    geometry = None
    if "geometry" in patch:
        geometry = _geometry(target, patch["geometry"], crs, merged)
    return merged, geometry


def merge_patch(target: Any, patch: Any) -> Any:
    """Apply an RFC 7396 JSON merge patch to ``target`` and return the result.

    Nested objects are merged level by level without recursion, so a patch
    nested thousands deep is merged (and then refused by the ledger model),
    never a RecursionError.

    Examples
    --------
    >>> merge_patch({"a": 1, "b": {"c": 2}}, {"a": None, "b": {"d": 3}})
    {'b': {'c': 2, 'd': 3}}
    """
    if not isinstance(patch, Mapping):
        return patch
    root = dict(target) if isinstance(target, Mapping) else {}
    pending = [(root, patch)]
    while pending:
        result, changes = pending.pop()
        for key, value in changes.items():
            if value is None:
                result.pop(key, None)
            elif isinstance(value, Mapping):
                old = result.get(key)
                result[key] = dict(old) if isinstance(old, Mapping) else {}
                pending.append((result[key], value))
            else:
                result[key] = value
    return root


def _feature_id(doc: Mapping[str, Any], props: Mapping[str, Any]) -> str | None:
    # A blank id asks for a new one; anything else must be a valid id, never coerced.
    given = [
        validate_id(v) for v in (doc.get("id"), props.get("id"))
        if v is not None and not (isinstance(v, str) and not v.strip())
    ]
    if len(set(given)) > 1:
        raise ValidationError("the feature id and properties.id differ", field="id")
    return given[0] if given else None


def _geometry(layer: Layer, geojson: Any, crs: str, props: dict[str, Any]) -> BaseGeometry:
    if not layer.has_geometry:
        raise ValidationError(f"layer {layer.name!r} has no geometry", field="geometry")
    if geojson is None:
        raise ValidationError("geometry is required", field="geometry")
    try:
        original = shape(geojson)
        label = crs_mod.normalize_label(crs)
        geometry = crs_mod.geometry_to_lonlat(original, crs=label)
        if geometry.geom_type == "Point":
            crs_mod.check_lonlat(geometry.x, geometry.y)
    except CoordinateError as exc:
        raise ValidationError(str(exc), field="geometry") from None
    except (ValueError, TypeError, KeyError, AttributeError, IndexError, RecursionError,
            shapely.errors.ShapelyError) as exc:
        raise ValidationError(f"unreadable GeoJSON geometry ({exc})", field="geometry") from None
    if "orig_crs" in layer.field_names:
        props["orig_crs"] = label
        props["orig_wkt"] = shapely.to_wkt(original, rounding_precision=-1)
    return geometry
