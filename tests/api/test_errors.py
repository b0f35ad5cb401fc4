"""Every bad request gets a problem+json 4xx naming the problem; never a 500."""

import pytest

PROBLEM = "application/problem+json"


@pytest.mark.parametrize(
    ("url", "status", "match"),
    [
        ("/collections/sources/items?bbox=1,2,3", 400, "4 numbers"),
        ("/collections/sources/items?bbox=113.7,34.7,113.6,34.8", 400, "wrong order"),
        ("/collections/sources/items?bbox=113,34,200,35", 400, "-180..180"),
        ("/collections/sources/items?bbox=113,-95,114,35", 400, "-90..90"),
        ("/collections/sources/items?bbox=a,b,c,d", 400, "not a number"),
        ("/collections/sources/items?limit=0", 400, "limit"),
        ("/collections/sources/items?limit=10001", 400, "limit"),
        ("/collections/sources/items?offset=-1", 400, "offset"),
        ("/collections/sources/items?f=dxf", 400, "unknown format"),
        ("/collections/sources/items?colour=red", 400, "unknown query parameter"),
        ("/collections/stations/items?category=bbq", 400, "cannot be filtered"),
        ("/collections/nope/items", 404, "no collection"),
        ("/collections/sources/items/NOPE", 404, "no feature"),
        ("/sources/within?lon=abc&lat=34.75&radius_m=100", 400, "lon"),
        ("/sources/within?lon=113.6&lat=134.75&radius_m=100", 400, "lat|range|swap"),
        ("/sources/within?lat=34.75&radius_m=100", 400, "lon"),
        ("/sources/within?lon=113.6&lat=34.75&radius_m=0", 400, "greater than 0"),
        ("/sources/within?lon=113.6&lat=34.75&radius_m=-5", 400, "greater than 0"),
        ("/sources/within?lon=113.6&lat=34.75&radius_m=50001", 400, "maximum"),
        ("/priority?radius_m=1e9", 400,
         "radius_m 1000000000.0 is above the maximum of 50000 metres"),
        ("/sources/within?lon=113.6&lat=34.75&radius_m=nan", 400, "radius_m"),
        ("/sources/within?lon=113.6&lat=34.75&radius_m=100&crs=mars", 400, "mars"),
        ("/stations/NOPE/sources", 404, "no feature"),
        ("/priority?radius_m=0", 400, "greater than 0"),
        ("/priority?f=pdf", 400, "unknown format"),
        ("/no/such/path", 404, "Not Found"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_bad_requests_are_problems(client, url, status, match):
    import re

    res = client.get(url)
    assert res.status_code == status, res.text
    assert res.headers["content-type"] == PROBLEM
    body = res.json()
    assert body["status"] == status and body["title"]
    assert re.search(match, body.get("detail", ""), re.I), body
    text = res.text
    assert "Traceback" not in text and "/work/" not in text and "SELECT" not in text


DATABASE_WORDS = ("0x00", "bigint", "CONTEXT", "psycopg", "out of range for type", "UNIQUE",
                  "constraint", "Key (id)")


@pytest.mark.parametrize(
    "url",
    ["/collections/sources/items/%00", "/collections/sources/items/%00/history",
     "/collections/sources/items/%00/inspections",
     "/collections/inspections/items?round=99999999999999999999",
     "/collections/sources/items?offset=99999999999999999999",
     "/campaigns/99999999999999999999"],
    ids=["item-nul", "history-nul", "inspections-nul", "round-filter-huge", "offset-huge",
         "campaign-huge"],
)
def test_database_messages_never_reach_a_client(client, url):
    res = client.get(url)
    assert res.status_code < 500, res.text
    if res.status_code >= 400:
        detail = res.json().get("detail", "")
        assert not any(word in detail for word in DATABASE_WORDS), detail


@pytest.mark.parametrize(
    ("cause", "error", "detail"),
    [
        ("psycopg", "validation", "value refused by the database (field 'round')"),
        ("sqlite", "duplicate", "the id already exists"),
        ("sqlite", "validation", "value refused by the database (field 'round')"),
    ],
)
def test_errors_raised_from_a_database_error_answer_a_generic_detail(cause, error, detail):
    import sqlite3

    import psycopg
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from api.errors import install_error_handlers
    from geo.errors import DuplicateIdError, ValidationError

    raw = ('value "99999999999999999999" is out of range for type bigint\n'
           "CONTEXT:  unnamed portal parameter $1")
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/boom")
    def boom() -> None:
        db_error = psycopg.errors.NumericValueOutOfRange(raw) if cause == "psycopg" \
            else sqlite3.IntegrityError("UNIQUE constraint failed: sources.id")
        try:
            raise db_error
        except Exception as exc:
            if error == "duplicate":
                raise DuplicateIdError(f"id already exists ({exc})") from exc
            raise ValidationError(f"value refused by the database: {exc}", field="round") \
                from exc

    res = TestClient(app).get("/boom")
    assert res.status_code == (409 if error == "duplicate" else 422)
    assert res.json()["detail"] == detail


# -- both stores answer alike (issue 10, item 4) ------------------------------------------

INT64_MAX = 2**63 - 1
NUL_DETAIL = "path parameter(s) {} hold a NUL character"
PAGE_OF = "query.offset: Input should be less than or equal to 9223372036854775807"
ROUND_OF = "query.round: Input should be {} to {}"


@pytest.mark.parametrize(
    ("url", "status", "title", "detail"),
    [
        ("/collections/sources/items?offset=99999999999999999999", 400, "Invalid parameter",
         PAGE_OF),
        (f"/collections/sources/items?offset={INT64_MAX + 1}", 400, "Invalid parameter", PAGE_OF),
        (f"/collections/inspections/items?offset={INT64_MAX + 1}", 400, "Invalid parameter",
         PAGE_OF),
        ("/collections/inspections/items?round=99999999999999999999", 400, "Invalid parameter",
         ROUND_OF.format("less than or equal", 1000)),
        (f"/collections/inspections/items?round={INT64_MAX + 1}", 400, "Invalid parameter",
         ROUND_OF.format("less than or equal", 1000)),
        ("/collections/inspections/items?round=1001", 400, "Invalid parameter",
         ROUND_OF.format("less than or equal", 1000)),
        ("/collections/inspections/items?round=0", 400, "Invalid parameter",
         ROUND_OF.format("greater than or equal", 1)),
        ("/collections/sources/items/%00", 400, "Bad request", NUL_DETAIL.format("'fid'")),
        ("/collections/stations/items/M%00", 400, "Bad request", NUL_DETAIL.format("'fid'")),
        ("/collections/zones/items/%00", 400, "Bad request", NUL_DETAIL.format("'fid'")),
        ("/collections/sources/items/a%00b/history", 400, "Bad request",
         NUL_DETAIL.format("'fid'")),
        ("/collections/sources/items/%00/inspections", 400, "Bad request",
         NUL_DETAIL.format("'fid'")),
        ("/stations/%00/sources", 400, "Bad request", NUL_DETAIL.format("'sid'")),
        ("/collections/sources/items?community=a%00", 400, "Bad request",
         "query parameter(s) 'community' hold a NUL character"),
    ],
    ids=["offset-1e20", "offset-int64-plus-1", "inspections-offset-int64-plus-1", "round-1e20",
         "round-int64-plus-1", "round-1001", "round-0", "item-nul", "station-item-nul",
         "zone-nul", "history-nul", "inspections-nul", "station-sources-nul", "filter-nul"],
)
def test_both_stores_give_the_same_problem(client, url, status, title, detail):
    res = client.get(url)
    assert res.headers["content-type"] == PROBLEM, res.text
    body = res.json()
    assert (res.status_code, body["title"], body["detail"]) == (status, title, detail)


@pytest.mark.parametrize("cid", ["sources", "stations", "inspections", "zones"])
def test_an_offset_beyond_the_data_is_an_empty_page(client, cid):
    res = client.get(f"/collections/{cid}/items", params={"offset": INT64_MAX})
    assert res.status_code == 200, res.text
    doc = res.json()
    assert doc["numberReturned"] == 0 and doc["features"] == []
    assert "next" not in {link["rel"] for link in doc["links"]}


def test_a_message_quoting_a_lone_surrogate_is_still_a_problem():
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from api.errors import install_error_handlers
    from geo.errors import InputError

    app = FastAPI()
    install_error_handlers(app)

    @app.get("/echo")
    def echo() -> None:
        raise InputError("name 'a\ud800b' is not allowed")

    res = TestClient(app).get("/echo")
    assert res.status_code == 400
    assert res.headers["content-type"] == PROBLEM
    assert res.json()["detail"] == "name 'a\\ud800b' is not allowed"
