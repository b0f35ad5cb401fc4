"""The OpenAPI document at ``/api``: OpenAPI 3.0.3, as the routes declare it.

Each route states what it answers and accepts where it is declared
(:mod:`api.schemas`: ``responses=``, request bodies, security). FastAPI
emits OpenAPI 3.1, but the OGC conformance class oas30 asks for 3.0, and
clients such as QGIS read 3.0: :func:`to_openapi_30` rewrites the 3.1-only
constructs (``anyOf`` with ``null``, numeric exclusive bounds, ``examples``,
``const``, ``info.summary``). :func:`openapi_document` adds the component
schemas and the bearer scheme, and leaves out the 422 FastAPI adds to every
operation with parameters: request validation errors answer 400 problems.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse

from api.schemas import SECURITY_SCHEMES, component_schemas

__all__ = ["install_openapi", "openapi_document", "to_openapi_30"]

OPENAPI_VERSION = "3.0.3"
OPENAPI_MEDIA_TYPE = "application/vnd.oai.openapi+json;version=3.0"
# What FastAPI documents for request validation errors, which api.errors answers as 400.
_FASTAPI_VALIDATION = ("HTTPValidationError", "ValidationError")


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
        app.openapi_schema = to_openapi_30(_with_components(spec))
    return app.openapi_schema


def _with_components(spec: dict[str, Any]) -> dict[str, Any]:
    """Add what the routes refer to (schemas, the bearer scheme) to FastAPI's document."""
    components = spec.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for name in _FASTAPI_VALIDATION:
        schemas.pop(name, None)
    schemas.update(component_schemas())
    components["securitySchemes"] = copy.deepcopy(SECURITY_SCHEMES)
    for path_item in spec.get("paths", {}).values():
        for operation in path_item.values():
            _drop_fastapi_422(operation["responses"])
            for param in operation.get("parameters", []):
                _comma_separated(param)
    return spec


def _drop_fastapi_422(responses: dict[str, Any]) -> None:
    """Remove the 422 FastAPI adds by itself (a route's own 422 problem stays)."""
    schema = responses.get("422", {}).get("content", {}).get("application/json", {})
    if schema.get("schema", {}).get("$ref", "").endswith("/" + _FASTAPI_VALIDATION[0]):
        del responses["422"]


def _comma_separated(param: dict[str, Any]) -> None:
    # An array in a query is comma-separated (bbox=1,2,3,4), as OGC API – Features
    # defines it: style form without explode (OpenAPI's default would be bbox=1&bbox=2...).
    if param.get("in") == "query" and param.get("schema", {}).get("type") == "array":
        param.setdefault("style", "form")
        param.setdefault("explode", False)


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
