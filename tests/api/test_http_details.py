"""HTTP details (issue 10, item 5): 405 with the right Allow, Vary: Accept on negotiated answers.

If-Match: * is covered with the other If-Match rules in tests/api/test_edits.py.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

PROBLEM = "application/problem+json"


def _tokens(header: str | None) -> list[str]:
    return [part.strip().lower() for part in (header or "").split(",") if part.strip()]


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("POST", "/collections/sources/items/S00001", "DELETE, GET, HEAD, PATCH, PUT"),
        ("PUT", "/collections/sources/items", "GET, HEAD, POST"),
        ("DELETE", "/collections/stations/items", "GET, HEAD, POST"),
        ("PUT", "/collections/sources/items/S00001/inspections", "GET, HEAD, POST"),
        ("POST", "/collections/sources/items/S00001/history", "GET, HEAD"),
        ("GET", "/import", "POST"),
        ("DELETE", "/", "GET, HEAD"),
        ("POST", "/priority", "GET, HEAD"),
        ("PATCH", "/sources/within", "GET, HEAD"),
        # the routes take writes, but the zones are derived: only reads
        ("DELETE", "/collections/zones/items/M001", "GET, HEAD"),
        ("PUT", "/collections/zones/items/M001", "GET, HEAD"),
        ("PATCH", "/collections/zones/items/M001", "GET, HEAD"),
        ("POST", "/collections/zones/items", "GET, HEAD"),
    ],
)
def test_405_lists_every_method_the_path_answers(
    client: TestClient, method: str, path: str, allow: str
) -> None:
    res = client.request(method, path, json={"type": "Feature"})
    assert res.status_code == 405, res.text
    assert res.headers["content-type"] == PROBLEM
    assert res.headers["allow"] == allow


@pytest.mark.parametrize(
    "path",
    ["/", "/collections/sources/items/S00001", "/collections/sources/items",
     "/collections/zones/items/M001", "/collections/sources/items/S00001/inspections",
     "/import", "/priority"],
)
def test_every_method_in_allow_is_answered(client: TestClient, path: str) -> None:
    res = client.request("OPTIONS", path)
    assert res.status_code == 405
    for method in _tokens(res.headers["allow"]):
        answer = client.request(method.upper(), path)
        assert answer.status_code != 405, (method, answer.text)


NEGOTIATED = ["/", "/conformance", "/collections", "/collections/sources",
              "/collections/sources/items?limit=2", "/collections/sources/items/S00001",
              "/sources/within?lon=113.66&lat=34.75&radius_m=300", "/stations/M001/sources",
              "/priority", "/reports/summary"]


@pytest.mark.parametrize("path", NEGOTIATED)
@pytest.mark.parametrize("accept", ["application/json", "text/html"])
def test_answers_chosen_by_accept_say_vary_accept(
    client: TestClient, path: str, accept: str
) -> None:
    for method in ("GET", "HEAD"):
        res = client.request(method, path, headers={"Accept": accept})
        assert res.status_code == 200, res.text
        assert "accept" in _tokens(res.headers.get("vary")), (method, res.headers)


@pytest.mark.parametrize("path", NEGOTIATED)
def test_answers_chosen_by_f_do_not_vary_on_accept(client: TestClient, path: str) -> None:
    url = f"{path}{'&' if '?' in path else '?'}f=json"
    res = client.get(url, headers={"Accept": "text/html"})
    assert res.status_code == 200, res.text
    assert res.headers["content-type"].startswith(("application/json", "application/geo+json"))
    assert "accept" not in _tokens(res.headers.get("vary"))


def test_vary_keeps_what_a_route_already_varies_on(client: TestClient) -> None:
    res = client.get("/map/data.json", headers={"Accept-Encoding": "gzip"})
    assert res.status_code == 200
    assert "accept-encoding" in _tokens(res.headers.get("vary"))
