"""The readings HTTP API on both stores: file import, live feed, a station's hours and AQI."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from httpx import Response
from openpyxl import load_workbook

from tests._support import ledger as ledger_support
from tests._support.ledger import Ledger
from tests._support.stores import STORE_KINDS, make_store

PROBLEM = "application/problem+json"
GOOD = ("监测点,时间,PM2.5(μg/m³),PM10,CO(mg/m³),风向,风速\n"
        "M-1,2026-11-03 08:00,75,20,0.6,90,1.5\nM-1,2026-11-03 09:00,35,,,,\n")
BAD = "station_id,time,pm25\nM-1,2026-11-03 08:00,35\nM-1,2026-11-03 09:00,-1\n"


@pytest.fixture(params=STORE_KINDS)
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ledger]:
    """The small test ledger (station M-1) with tokens of every role."""
    for store in make_store(request.param, tmp_path):
        built = ledger_support.build(store)
        with built.client:
            yield built


def _upload(ledger: Ledger, text: str, role: str | None = "editor", query: str = "") -> Response:
    headers = ledger.auth(role) if role else {}
    files = {"file": ("readings.csv", text.encode(), "text/csv")}
    return ledger.client.post(f"/observations/import{query}", files=files, headers=headers)


@pytest.mark.parametrize(("role", "status"), [(None, 401), ("viewer", 403)],
                         ids=["anonymous", "viewer"])
def test_writes_need_an_editor(ledger: Ledger, role: str | None, status: int) -> None:
    assert _upload(ledger, GOOD, role).status_code == status
    headers = ledger.auth(role) if role else {}
    feed = ledger.client.post("/stations/M-1/observations", headers=headers,
                              json=[{"time": "2026-11-03 08:00", "pm25": 3}])
    assert feed.status_code == status
    assert ledger.store.observations.count() == 0


def test_import_then_read_the_hours_with_their_aqi(ledger: Ledger) -> None:
    answer = _upload(ledger, GOOD)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"rows": 2, "inserted": 2, "updated": 0,
                             "dry_run": False, "stations": ["M-1"], "ignored_columns": []}
    doc = ledger.client.get("/stations/M-1/observations?start=2026-11-03&end=2026-11-04").json()
    assert doc["count"] == 2
    first = doc["hours"][0]
    assert first["time"] == "2026-11-03T00:00:00Z" and first["pm25"] == 75
    assert (first["iaqi"]["pm25"], first["aqi"], first["primary"], first["category"]) == (
        100, 100, ["pm25"], "良")
    assert doc["hours"][1]["pm10"] is None and doc["hours"][1]["primary"] == []


def test_dry_run_and_rejected_files_write_nothing(ledger: Ledger) -> None:
    dry = _upload(ledger, GOOD, query="?dry_run=true")
    assert dry.json()["inserted"] == 2 and dry.json()["dry_run"] is True
    assert ledger.store.observations.count() == 0
    bad = _upload(ledger, BAD)
    assert bad.status_code == 422 and bad.headers["content-type"] == PROBLEM
    assert [r["row"] for r in bad.json()["rejected"]] == [3]
    assert "negative" in bad.json()["rejected"][0]["reason"]
    assert ledger.store.observations.count() == 0


def test_an_unreadable_upload_is_a_400(ledger: Ledger) -> None:
    answer = _upload(ledger, "just some words\n")
    assert answer.status_code == 400 and "header" in answer.json()["detail"]


def test_the_live_feed_upserts_and_refuses_bad_readings(ledger: Ledger) -> None:
    url, headers = "/stations/M-1/observations", ledger.auth("editor")
    first = ledger.client.post(url, headers=headers, json=[{"time": "2026-11-03 08:00",
                                                            "pm25": 3}])
    assert first.status_code == 200 and first.json()["inserted"] == 1
    again = ledger.client.post(url, headers=headers, json=[{"time": "2026-11-03T00:00:00Z",
                                                            "pm25": 4}])
    assert again.json()["updated"] == 1
    bad = ledger.client.post(url, headers=headers, json=[{"time": "2026-11-03 09:00",
                                                          "wd_deg": 400}])
    assert bad.status_code == 422 and "0–360" in bad.json()["rejected"][0]["reason"]
    assert ledger.client.post(url, headers=headers, json={"time": "x"}).status_code == 400
    assert ledger.client.post("/stations/M-404/observations", headers=headers,
                              json=[]).status_code == 404
    assert ledger.store.observations.count() == 1


def test_the_hours_as_csv_and_xlsx(ledger: Ledger) -> None:
    _upload(ledger, GOOD)
    csv = ledger.client.get("/stations/M-1/observations?f=csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("station_id,time,pm25") and len(lines) == 3
    xlsx = ledger.client.get("/stations/M-1/observations?f=xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][:3] == ("M-1", "2026-11-03T00:00:00Z", 75)


@pytest.mark.parametrize(("query", "status"), [
    ("/stations/M-404/observations", 404), ("/stations/M-1/observations?start=soon", 400),
    ("/stations/M-1/observations?f=pdf", 400), ("/stations/M-1/observations?when=now", 400),
], ids=["station", "start", "format", "param"])
def test_bad_reads(ledger: Ledger, query: str, status: int) -> None:
    answer = ledger.client.get(query)
    assert answer.status_code == status and answer.headers["content-type"] == PROBLEM
