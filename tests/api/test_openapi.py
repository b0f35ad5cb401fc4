"""The OpenAPI document is declared by the routes themselves and says what they really do.

Every operation names its success body (no FastAPI placeholder), every
error it answers as problem+json, and the writes their request bodies, the
``If-Match`` header and the bearer token. The requests at the end check
the document against the answers of the write routes (schemathesis fuzzes
the reads, see test_schemathesis.py), on both stores.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi import FastAPI
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate

from api.app import create_app
from api.openapi import install_openapi, openapi_document
from api.routes import features
from api.settings import Settings
from geo.store import Store
from tests._support import ledger as ledger_support
from tests._support.ledger import Ledger

PROBLEM = "application/problem+json"
WRITES = ("post", "put", "patch", "delete")
OPEN_PATHS = {"/healthz"}  # api.auth: no ledger data, never a token
# Components clients and the OGC tests know by name; the document must keep them.
KNOWN_COMPONENTS = {"Link", "Problem", "Geometry", "Feature", "FeatureCollection", "LandingPage",
                    "ConfClasses", "Extent", "Collection", "Collections", "Health"}

ledger = ledger_support.ledger  # the fixture (one small ledger per store kind)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    # The document needs no store: the app is never started.
    path = tmp_path_factory.mktemp("openapi") / "unused.gpkg"
    return create_app(Settings(store=str(path), seed_demo=False))


@pytest.fixture(scope="module")
def spec(app: FastAPI) -> dict[str, Any]:
    return openapi_document(app)


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, op) for path, item in spec["paths"].items()
            for method, op in item.items()]


def api_routes(app: FastAPI) -> list[Any]:
    try:  # FastAPI >= 0.16x keeps included routers as branches
        from fastapi.routing import iter_route_contexts
    except ImportError:
        return [r for r in app.routes if hasattr(r, "responses")]
    return [c.route for c in iter_route_contexts(app.router.routes)]


def resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


# -- the document ---------------------------------------------------------------------


def test_document_is_valid_openapi_30(spec: dict[str, Any]) -> None:
    assert spec["openapi"] == "3.0.3"
    validate(spec)
    assert KNOWN_COMPONENTS <= set(spec["components"]["schemas"])


def test_every_route_declares_its_responses(app: FastAPI) -> None:
    documented = [r for r in api_routes(app) if getattr(r, "include_in_schema", False)]
    assert len(documented) >= 20
    for route in documented:
        statuses = {int(code) for code in route.responses}
        assert any(200 <= code < 300 for code in statuses), (route.path, route.methods)
        assert 400 in statuses, (route.path, route.methods)


def test_every_success_has_a_real_schema(spec: dict[str, Any]) -> None:
    for path, method, op in operations(spec):
        success = {k: v for k, v in op["responses"].items() if k.startswith("2")}
        assert len(success) == 1, (method, path)
        status, response = next(iter(success.items()))
        if status == "204":
            assert "content" not in response
            continue
        assert response.get("content"), (method, path)
        for media_type, body in response["content"].items():
            schema = body["schema"]
            if "json" in media_type:
                # FastAPI's placeholder is {}: a JSON answer names its component
                assert set(schema) == {"$ref"}, (method, path, media_type)
                assert resolve(spec, schema)["type"] == "object"
            else:
                assert schema["type"] == "string", (method, path, media_type)


def test_every_error_is_a_problem(spec: dict[str, Any]) -> None:
    for path, method, op in operations(spec):
        errors = {k: v for k, v in op["responses"].items() if int(k) >= 400}
        assert "400" in errors, (method, path)
        for status, response in errors.items():
            # problem+json for programs, the same answer as a page for browsers
            assert list(response["content"]) == [PROBLEM, "text/html"], (method, path, status)
            schema = resolve(spec, response["content"][PROBLEM]["schema"])
            assert {"type", "title", "status"} <= set(schema["required"]), (method, path)
            assert "HTTPValidationError" not in json.dumps(response)
    assert "HTTPValidationError" not in spec["components"]["schemas"]


def test_writes_declare_their_body_and_the_bearer_token(spec: dict[str, Any]) -> None:
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        **spec["components"]["securitySchemes"]["bearerAuth"], "type": "http", "scheme": "bearer"}
    writes = [(p, m, op) for p, m, op in operations(spec) if m in WRITES]
    assert len(writes) == 10  # with the case loop (2) and the observation imports and feed (2)
    for path, method, op in writes:
        assert op["security"] == [{"bearerAuth": []}], (method, path)
        assert {"401", "403"} <= set(op["responses"]), (method, path)
        if method == "delete":
            assert "requestBody" not in op
            continue
        body = op["requestBody"]
        assert body["required"] is True and body["content"], (method, path)
        for media in body["content"].values():
            assert media["schema"], (method, path)


@pytest.mark.parametrize(
    ("method", "path", "media_types", "component"),
    [("post", "/collections/{cid}/items", {"application/geo+json", "application/json"},
      "FeatureInput"),
     ("put", "/collections/{cid}/items/{fid}", {"application/geo+json", "application/json"},
      "FeatureInput"),
     ("patch", "/collections/{cid}/items/{fid}",
      {"application/merge-patch+json", "application/geo+json", "application/json"},
      "FeaturePatch"),
     ("post", "/import", {"multipart/form-data"}, None)],
    ids=["post", "put", "patch", "import"],
)
def test_request_bodies(
    spec: dict[str, Any], method: str, path: str, media_types: set[str], component: str | None
) -> None:
    content = spec["paths"][path][method]["requestBody"]["content"]
    assert set(content) == media_types
    if component is None:
        file = content["multipart/form-data"]["schema"]
        assert file["required"] == ["file"] and file["properties"]["file"]["format"] == "binary"
    else:
        assert all(c["schema"]["$ref"].endswith("/" + component) for c in content.values())


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_changes_declare_if_match_412_and_428(spec: dict[str, Any], method: str) -> None:
    op = spec["paths"]["/collections/{cid}/items/{fid}"][method]
    header = next(p for p in op["parameters"] if p["in"] == "header")
    assert header["name"].lower() == "if-match"
    assert {"412", "428"} <= set(op["responses"])


def test_reads_take_an_optional_token(spec: dict[str, Any]) -> None:
    for path, method, op in operations(spec):
        if method != "get":
            continue
        if path in OPEN_PATHS:
            assert "security" not in op and "401" not in op["responses"], path
            continue
        assert op["security"] == [{}, {"bearerAuth": []}], path
        assert {"401", "403"} <= set(op["responses"]), path


def test_a_route_keeps_its_documentation_under_another_path() -> None:
    # The documentation travels with the route: mounted elsewhere, nothing is lost.
    app = FastAPI(openapi_url="/api")
    app.include_router(features.router, prefix="/v2")
    install_openapi(app)
    spec = openapi_document(app)
    items = spec["paths"]["/v2/collections/{cid}/items"]["get"]["responses"]
    assert items["200"]["content"]["application/geo+json"]["schema"]["$ref"].endswith(
        "/FeatureCollection")
    assert "text/csv" in items["200"]["content"]
    assert items["404"]["content"][PROBLEM]["schema"]["$ref"].endswith("/Problem")
    validate(spec)


# -- the document against the answers of the writes ---------------------------------------


def operation_of(spec: dict[str, Any], method: str, url: str) -> dict[str, Any]:
    """The operation of the document that ``method url`` is a request of."""
    path = url.split("?")[0]
    for template, item in spec["paths"].items():
        pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
        if method in item and re.fullmatch(pattern, path):
            return item[method]
    raise AssertionError(f"{method} {path} is not in the document")


def check_documented(spec: dict[str, Any], method: str, url: str, res: Any) -> None:
    """``res`` has a status, media type and body the document declares for the operation."""
    op = operation_of(spec, method, url)
    status = str(res.status_code)
    assert status in op["responses"], (method, url, status, res.text)
    content = op["responses"][status].get("content")
    if content is None:
        assert not res.content
        return
    media_type = res.headers["content-type"].split(";")[0]
    assert media_type in content, (method, url, media_type)
    schema = {**content[media_type]["schema"], "components": spec["components"]}
    OAS30Validator(schema).validate(res.json())


def _feature(fid: str | None = None, **props: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"type": "Feature", "geometry": {
        "type": "Point", "coordinates": [113.666, 34.758]},
        "properties": {"name": "新店", "category": "catering", **props}}
    if fid:
        body["id"] = fid
    return body


def _write_requests(ledger: Ledger) -> list[tuple[str, str, dict[str, Any]]]:
    item = "/collections/sources/items/S-near"
    etag = ledger.client.get(item).headers["etag"]
    editor, viewer = ledger.auth(), ledger.auth("viewer")
    merge = {**editor, "Content-Type": "application/merge-patch+json"}
    return [
        ("post", "/collections/sources/items", {"json": _feature("S-1"), "headers": editor}),
        ("post", "/collections/sources/items", {"json": _feature("S-1"), "headers": editor}),
        ("post", "/collections/sources/items", {"json": _feature(category="x"),
                                                "headers": editor}),
        ("post", "/collections/sources/items", {"content": b"{", "headers": {
            **editor, "Content-Type": "application/geo+json"}}),
        ("post", "/collections/sources/items", {"content": b"{}", "headers": {
            **editor, "Content-Type": "text/plain"}}),
        ("post", "/collections/nope/items", {"json": _feature(), "headers": editor}),
        ("post", "/collections/sources/items", {"json": _feature()}),
        ("post", "/collections/sources/items", {"json": _feature(), "headers": viewer}),
        ("patch", item, {"content": b'{"properties": {"name": "x"}}', "headers": merge}),
        ("patch", item, {"content": b'{"properties": {"name": "x"}}',
                         "headers": {**merge, "If-Match": '"sources-S-near-v99"'}}),
        ("patch", item, {"content": '{"properties": {"name": "改名"}}'.encode(),
                         "headers": {**merge, "If-Match": etag}}),
        ("put", "/collections/sources/items/S-far", {"json": _feature(), "headers": editor}),
        ("put", "/collections/sources/items/S-none", {"json": _feature(), "headers": {
            **editor, "If-Match": '"sources-S-none-v1"'}}),
        ("delete", "/collections/sources/items/S-far", {"headers": editor}),
        ("post", "/collections/sources/items/S-far/inspections", {"json": {
            "date": "2024-01-01", "result": "maybe"}, "headers": editor}),
        ("post", "/collections/sources/items/S-far/inspections", {"json": {
            "date": "2024-01-01", "result": "compliant", "round": 1}, "headers": editor}),
        ("post", "/import?layer=sources", {"files": {"file": ("a.csv", b"name,lon,lat\n,1,x\n")},
                                           "headers": editor}),
        ("post", "/import?layer=sources", {"files": {"file": (
            "a.csv", "name,category,lon,lat\n甲,catering,113.6,34.7\n".encode())},
            "headers": editor}),
        ("post", "/import?layer=nope", {"files": {"file": ("a.csv", b"name\n")},
                                        "headers": editor}),
    ]


def test_writes_answer_as_documented(ledger: Ledger) -> None:
    spec = ledger.client.get("/api").json()
    seen = set()
    for method, url, kwargs in _write_requests(ledger):
        res = ledger.client.request(method.upper(), url, **kwargs)
        check_documented(spec, method, url, res)
        seen.add(res.status_code)
    assert {200, 201, 400, 401, 403, 404, 409, 412, 415, 422, 428} <= seen, seen


@pytest.mark.parametrize("media_type", ["application/geo+json", "application/json"])
def test_every_declared_body_type_is_accepted(ledger: Ledger, media_type: str) -> None:
    spec = ledger.client.get("/api").json()
    declared = spec["paths"]["/collections/{cid}/items"]["post"]["requestBody"]["content"]
    assert media_type in declared
    res = ledger.client.post("/collections/sources/items", content=json.dumps(_feature()),
                             headers=ledger.auth(**{"Content-Type": media_type}))
    assert res.status_code == 201, res.text


def test_protected_reads_answer_as_documented(store: Store) -> None:
    built = ledger_support.build(store, read_requires_token=True)
    with built.client:
        spec = built.client.get("/api").json()
        for url in ("/collections/sources/items", "/priority", "/reports/summary"):
            res = built.client.get(url)
            assert res.status_code == 401
            check_documented(spec, "get", url, res)
            assert "bearer" in res.headers["www-authenticate"].lower()
