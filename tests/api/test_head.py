"""HEAD answers like GET without a body (ETags and sizes without downloads)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


@pytest.mark.parametrize(
    "path",
    ["/", "/collections/sources/items/S00001", "/collections/sources/items?limit=5",
     "/priority?f=csv", "/map", "/reports/summary?f=json"],
)
def test_head_is_get_without_the_body(client: TestClient, path: str) -> None:
    got = client.get(path)
    head = client.head(path)
    assert got.status_code == 200, got.text
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    if "/items/" in path:  # an item's ETag names its version: the same for HEAD
        assert head.headers["etag"] == got.headers["etag"]


def test_head_of_a_missing_item_is_404_without_a_body(client: TestClient) -> None:
    head = client.head("/collections/sources/items/NOPE")
    assert head.status_code == 404
    assert head.content == b""


def test_head_is_not_a_write(client: TestClient) -> None:
    # HEAD on a write-only route still refuses: it runs as GET, which is not allowed there
    assert client.head("/import").status_code == 405
