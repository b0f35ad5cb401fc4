"""The OpenAPI document at ``/api``: OpenAPI 3.0.3 with documented responses.

FastAPI emits OpenAPI 3.1, but the OGC conformance class oas30 asks for
3.0, and clients such as QGIS read 3.0. :func:`to_openapi_30` rewrites the
3.1-only constructs (``anyOf`` with ``null``, numeric exclusive bounds,
``examples``, ``const``, ``info.summary``). :func:`document_responses` then
replaces FastAPI's placeholder responses of the read endpoints with what they
really answer: GeoJSON, JSON documents, HTML, export files, and
problem+json for 400/404 (FastAPI's 422 never happens: validation errors are
answered as 400 problems).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse

from api.collections import COLLECTIONS
from api.errors import PROBLEM_MEDIA_TYPE
from api.responses import FEATURE_FORMATS, GEOJSON, PAGE_FORMATS
from geo.io.writers import EXPORT_FORMATS

__all__ = ["SCHEMAS", "document_responses", "install_openapi", "openapi_document", "to_openapi_30"]

OPENAPI_VERSION = "3.0.3"
OPENAPI_MEDIA_TYPE = "application/vnd.oai.openapi+json;version=3.0"
_REF = "#/components/schemas/"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": _REF + name}


_LINK = {
    "type": "object",
    "required": ["href", "rel"],
    "properties": {
        "href": {"type": "string"},
        "rel": {"type": "string"},
        "type": {"type": "string"},
        "title": {"type": "string"},
    },
}
_LINKS = {"type": "array", "items": _ref("Link")}
_POSITION = {"type": "array", "minItems": 2, "items": {"type": "number"}}

#: Component schemas of the responses (GeoJSON per RFC 7946, OGC documents, problems).
SCHEMAS: dict[str, dict[str, Any]] = {
    "Link": _LINK,
    "Problem": {
        "type": "object",
        "description": "Problem details (RFC 9457).",
        "required": ["type", "title", "status"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "detail": {"type": "string"},
            "instance": {"type": "string"},
        },
    },
    "Geometry": {
        "type": "object",
        "nullable": True,
        "description": "GeoJSON geometry in lon/lat (CRS84), or null.",
        "required": ["type"],
        "properties": {
            "type": {"type": "string", "enum": [
                "Point", "LineString", "Polygon", "MultiPoint", "MultiLineString",
                "MultiPolygon", "GeometryCollection"]},
            "coordinates": {"type": "array", "items": {}},
            "geometries": {"type": "array", "items": {"type": "object"}},
        },
    },
    "Feature": {
        "type": "object",
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
            "geometry": _ref("Geometry"),
            "properties": {"type": "object", "nullable": True},
            "links": _LINKS,
        },
    },
    "FeatureCollection": {
        "type": "object",
        "required": ["type", "features"],
        "properties": {
            "type": {"type": "string", "enum": ["FeatureCollection"]},
            "features": {"type": "array", "items": _ref("Feature")},
            "links": _LINKS,
            "timeStamp": {"type": "string", "format": "date-time"},
            "numberMatched": {"type": "integer", "minimum": 0},
            "numberReturned": {"type": "integer", "minimum": 0},
        },
    },
    "LandingPage": {
        "type": "object",
        "required": ["links"],
        "properties": {"title": {"type": "string"}, "description": {"type": "string"},
                       "links": _LINKS},
    },
    "ConfClasses": {
        "type": "object",
        "required": ["conformsTo"],
        "properties": {"conformsTo": {"type": "array", "items": {"type": "string"}}},
    },
    "Extent": {
        "type": "object",
        "properties": {
            "spatial": {
                "type": "object",
                "properties": {
                    "bbox": {"type": "array", "minItems": 1, "items": {
                        "type": "array", "minItems": 4, "maxItems": 6,
                        "items": {"type": "number"}}},
                    "crs": {"type": "string"},
                },
            },
        },
    },
    "Collection": {
        "type": "object",
        "required": ["id", "links"],
        "properties": {
            "id": {"type": "string"},
            "title": {"type": "string"},
            "description": {"type": "string"},
            "itemType": {"type": "string"},
            "crs": {"type": "array", "items": {"type": "string"}},
            "extent": _ref("Extent"),
            "links": _LINKS,
        },
    },
    "Collections": {
        "type": "object",
        "required": ["links", "collections"],
        "properties": {"links": _LINKS,
                       "collections": {"type": "array", "items": _ref("Collection")}},
    },
    "Health": {
        "type": "object",
        "required": ["status"],
        "properties": {"status": {"type": "string"}, "sources": {"type": "integer"}},
    },
}

_HTML = {"text/html": {"schema": {"type": "string"}}}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": _ref("Problem")}}}


def _ok(schema: str, media_type: str, *, html: bool, exports: bool) -> dict[str, Any]:
    content: dict[str, Any] = {media_type: {"schema": _ref(schema)}}
    if html:
        content.update(_HTML)
    if exports:
        for fmt in FEATURE_FORMATS:
            if fmt in PAGE_FORMATS:
                continue
            export_type = EXPORT_FORMATS[fmt][1].split(";")[0]
            content[export_type] = {"schema": {"type": "string", "format": "binary"}}
    return {"description": "Success", "content": content}


# path -> (200 schema, media type, html?, exports?, can be 404?)
_READ_ROUTES: dict[str, tuple[str, str, bool, bool, bool]] = {
    "/": ("LandingPage", "application/json", True, False, False),
    "/healthz": ("Health", "application/json", False, False, False),
    "/conformance": ("ConfClasses", "application/json", True, False, False),
    "/collections": ("Collections", "application/json", True, False, False),
    "/collections/{cid}": ("Collection", "application/json", True, False, True),
    "/collections/{cid}/items": ("FeatureCollection", GEOJSON, True, True, True),
    "/collections/{cid}/items/{fid}": ("Feature", GEOJSON, True, False, True),
    "/sources/within": ("FeatureCollection", GEOJSON, True, True, False),
    "/stations/{sid}/sources": ("FeatureCollection", GEOJSON, True, True, True),
    "/priority": ("FeatureCollection", GEOJSON, True, True, False),
}


def document_responses(spec: dict[str, Any]) -> dict[str, Any]:
    """Document the real responses and parameter values of the read endpoints (in place)."""
    spec.setdefault("components", {}).setdefault("schemas", {}).update(copy.deepcopy(SCHEMAS))
    for path, (schema, media_type, html, exports, missing) in _READ_ROUTES.items():
        operation = spec["paths"].get(path, {}).get("get")
        if operation is None:
            continue
        responses = {"200": _ok(schema, media_type, html=html, exports=exports),
                     "400": _problem("Bad request: a malformed or unknown parameter")}
        if missing:
            responses["404"] = _problem("Unknown collection or feature")
        operation["responses"] = responses
        _document_parameters(operation, exports=exports)
    for path, path_item in spec["paths"].items():
        for operation in path_item.values():
            if isinstance(operation, dict):
                _document_errors(path, operation)
    return spec


def _document_errors(path: str, operation: dict[str, Any]) -> None:
    """Errors every operation can answer: all are problem+json (api.errors)."""
    responses = operation.setdefault("responses", {})
    if "422" in responses:
        # FastAPI's request validation errors are answered as 400 problems;
        # a 422 left here is a domain error (e.g. a rejected record), also a problem.
        responses["422"] = _problem("Unprocessable: the record or file was rejected")
    responses.setdefault("400", _problem("Bad request: a malformed or unknown parameter"))
    if path not in _READ_ROUTES:
        # Any identifier in a path or query may name nothing.
        responses.setdefault("404", _problem("Unknown collection, feature or record"))


def _document_parameters(operation: dict[str, Any], *, exports: bool) -> None:
    for param in operation.get("parameters", []):
        schema = param.setdefault("schema", {})
        if param["name"] == "f":
            schema["enum"] = list(FEATURE_FORMATS if exports else PAGE_FORMATS)
        elif param["name"] == "cid":
            schema["enum"] = list(COLLECTIONS)
        elif param["name"] == "bbox":
            # The OGC definition: 4 (or 6) comma-separated numbers, i.e. form/no explode.
            param["schema"] = {"type": "array", "minItems": 4, "maxItems": 6,
                               "items": {"type": "number"}}
            param["style"] = "form"
            param["explode"] = False


def to_openapi_30(spec: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of a FastAPI (OpenAPI 3.1) document rewritten as OpenAPI 3.0.3."""
    out = copy.deepcopy(spec)
    out["openapi"] = OPENAPI_VERSION
    info = out.setdefault("info", {})
    summary = info.pop("summary", None)
    if summary and not info.get("description"):
        info["description"] = summary
    out.pop("webhooks", None)
    out.pop("jsonSchemaDialect", None)
    for path_item in out.get("paths", {}).values():
        for operation in path_item.values():
            for param in operation.get("parameters", []):
                # A query value is never JSON null: an absent parameter is the "None".
                param["schema"] = _drop_null(_walk(param.get("schema", {})))
    out["paths"] = _walk(out.get("paths", {}))
    if "components" in out:
        out["components"] = _walk(out["components"])
    return out


def _drop_null(schema: dict[str, Any]) -> dict[str, Any]:
    schema.pop("nullable", None)
    return schema


def _walk(node: Any) -> Any:
    """Rewrite every schema object below ``node`` from JSON Schema 2020-12 to OAS 3.0."""
    if isinstance(node, list):
        return [_walk(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _walk(value) for key, value in node.items()}
    for fix in _FIXES:
        node = fix(node)
    return node


def _fix_null_union(node: dict[str, Any]) -> dict[str, Any]:
    for key in ("anyOf", "oneOf"):
        options = node.get(key)
        if not isinstance(options, list):
            continue
        rest = [o for o in options if not (isinstance(o, dict) and o.get("type") == "null")]
        if len(rest) == len(options):
            continue
        node.pop(key)
        node["nullable"] = True
        if len(rest) == 1 and "$ref" not in rest[0]:
            node = {**rest[0], **node}
        elif rest:
            node[key] = rest
    return node


def _fix_type_list(node: dict[str, Any]) -> dict[str, Any]:
    kind = node.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"]
        if len(kinds) < len(kind):
            node["nullable"] = True
        if len(kinds) == 1:
            node["type"] = kinds[0]
        else:
            node.pop("type")
            node["anyOf"] = [{"type": k} for k in kinds]
    return node


def _fix_bounds(node: dict[str, Any]) -> dict[str, Any]:
    for bound, plain in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        value = node.get(bound)
        if isinstance(value, int | float) and not isinstance(value, bool):
            node[plain] = value
            node[bound] = True
    return node


def _fix_keywords(node: dict[str, Any]) -> dict[str, Any]:
    if "const" in node and "enum" not in node:
        node["enum"] = [node.pop("const")]
    examples = node.get("examples")
    if isinstance(examples, list) and "in" not in node and "content" not in node:
        node.pop("examples")
        if examples:
            node.setdefault("example", examples[0])
    for key in ("$schema", "$id", "contentMediaType", "contentEncoding", "prefixItems",
                "unevaluatedProperties", "$defs", "dependentRequired"):
        node.pop(key, None)
    return node


_FIXES: tuple[Callable[[dict[str, Any]], dict[str, Any]], ...] = (
    _fix_null_union, _fix_type_list, _fix_bounds, _fix_keywords)


def openapi_document(app: FastAPI) -> dict[str, Any]:
    """Return (and cache on the app) the OpenAPI 3.0.3 document of ``app``."""
    if app.openapi_schema is None:
        spec = get_openapi(
            title=app.title,
            version=app.version,
            summary=app.summary,
            description=app.description,
            routes=app.routes,
        )
        app.openapi_schema = to_openapi_30(document_responses(spec))
    return app.openapi_schema


def install_openapi(app: FastAPI) -> None:
    """Serve :func:`openapi_document` at the app's ``openapi_url`` as OpenAPI 3.0 JSON."""
    app.openapi = lambda: openapi_document(app)  # type: ignore[method-assign]
    url = app.openapi_url
    if url is None:
        return
    # Replace FastAPI's own route: it answers plain application/json, while the
    # landing page's service-desc link promises the OpenAPI 3.0 media type.
    app.router.routes = [r for r in app.router.routes if getattr(r, "path", None) != url]

    def api_definition() -> JSONResponse:
        return JSONResponse(openapi_document(app), media_type=OPENAPI_MEDIA_TYPE)

    app.add_api_route(url, api_definition, methods=["GET"], include_in_schema=False)
