"""/priority answers written page by page say what one page says, in every format."""

from __future__ import annotations

import csv
import io

import pyogrio
import pytest

import api.routes.radius as radius_routes

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def _answer(client, monkeypatch, page_size: int, fmt: str) -> bytes:
    monkeypatch.setattr(radius_routes, "PAGE_SIZE", page_size)
    res = client.get("/priority", params={"f": fmt})
    assert res.status_code == 200, res.text
    return res.content


def test_json_pages_stream_the_same_document(client, monkeypatch) -> None:
    whole = _answer(client, monkeypatch, 100_000, "json")
    paged = _answer(client, monkeypatch, 37, "json")
    assert paged == whole
    doc = client.get("/priority").json()
    assert doc["numberMatched"] == doc["numberReturned"] == len(doc["features"]) > 37
    distances = [f["properties"]["distance_m"] for f in doc["features"]]
    assert distances == sorted(distances)


def test_csv_pages_hold_the_same_rows(client, monkeypatch) -> None:
    whole = _answer(client, monkeypatch, 100_000, "csv").decode("utf-8-sig")
    paged = _answer(client, monkeypatch, 37, "csv").decode("utf-8-sig")
    assert paged == whole
    rows = list(csv.DictReader(io.StringIO(whole)))
    assert rows and {"priority", "nearest_station", "distance_m", "stations"} <= set(rows[0])


@pytest.mark.parametrize("fmt", ["gpkg", "fgb"])
def test_gis_files_in_pages_hold_the_same_features(client, monkeypatch, tmp_path, fmt) -> None:
    frames = []
    for page_size in (100_000, 37):
        path = tmp_path / f"p{page_size}.{fmt}"
        path.write_bytes(_answer(client, monkeypatch, page_size, fmt))
        frames.append(pyogrio.read_dataframe(path).sort_values("id").reset_index(drop=True))
    whole, paged = frames
    assert len(whole) > 37
    assert whole.drop(columns="geometry").equals(paged.drop(columns="geometry"))
    assert whole.geometry.geom_equals(paged.geometry).all()
