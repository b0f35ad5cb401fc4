"""Sign-in pages: sessions, cookie flags, CSRF, lockout, and a session counting as a token."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from shapely import Point

from api.app import create_app
from api.settings import Settings
from geo import writes
from geo.accounts import add_account
from geo.ledger import Feature
from geo.store import Store
from geo.tokens import issue_token
from tests._support.signin import PASSWORD, client_for, csrf_of, sign_in
from tests._support.stores import STORE_KINDS, make_store


@pytest.fixture(params=STORE_KINDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    for opened in make_store(request.param, tmp_path):
        add_account(opened, username="editor1", role="editor", password=PASSWORD)
        add_account(opened, username="viewer1", role="viewer", password=PASSWORD)
        yield opened


def _source(fid: str = "S1") -> Feature:
    return Feature(fid, {"name": "烧烤摊", "category": "bbq"}, Point(113.65, 34.75))


def test_sign_in_sets_a_hardened_cookie_and_returns_to_the_page(store: Store) -> None:
    client = client_for(store)
    res = sign_in(client, "editor1", next_path="/ledger?q=1")
    assert res.status_code == 303
    assert res.headers["location"] == "/ledger?q=1"
    cookie = [c for c in res.headers.get_list("set-cookie") if c.startswith("zw_session=")]
    assert len(cookie) == 1
    flags = cookie[0].lower()
    assert "httponly" in flags and "samesite=lax" in flags and "path=/" in flags
    assert "secure" not in flags  # plain http: a Secure cookie would never come back
    home = client.get("/", headers={"accept": "text/html"})
    assert "editor1" in home.text and 'action="/logout"' in home.text


def test_the_cookie_is_secure_over_https(store: Store) -> None:
    client = TestClient(create_app(Settings(store=store.url, seed_demo=False), store=store),
                        base_url="https://testserver")
    res = sign_in(client, "editor1")
    cookie = next(c for c in res.headers.get_list("set-cookie") if c.startswith("zw_session="))
    assert "secure" in cookie.lower()


def test_sign_in_rotates_the_session(store: Store) -> None:
    client = client_for(store)
    sign_in(client, "editor1")
    first = client.cookies["zw_session"]
    sign_in(client, "viewer1")  # the same browser signs in again
    second = client.cookies["zw_session"]
    assert first != second
    stale = client_for(store)
    stale.cookies.set("zw_session", first)
    assert "editor1" not in stale.get("/", headers={"accept": "text/html"}).text


def test_a_wrong_password_is_refused_without_telling_which_part(store: Store) -> None:
    client = client_for(store)
    wrong = sign_in(client, "editor1", "not the password")
    unknown = sign_in(client, "nobody", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert "zw_session" not in client.cookies
    message = re.search(r'role="alert">([^<]+)<', wrong.text).group(1)
    assert message == re.search(r'role="alert">([^<]+)<', unknown.text).group(1)


def test_a_post_without_the_csrf_token_is_403_and_signs_nobody_in(store: Store) -> None:
    client = client_for(store)
    client.get("/login")
    res = client.post("/login", data={"username": "editor1", "password": PASSWORD},
                      follow_redirects=False)
    assert res.status_code == 403
    forged = client.post("/login", data={"username": "editor1", "password": PASSWORD,
                                         "csrf_token": "x" * 43}, follow_redirects=False)
    assert forged.status_code == 403
    assert "zw_session" not in client.cookies


def test_ten_failures_lock_the_account_even_for_the_right_password(store: Store) -> None:
    client = client_for(store, signin_max_failures=10)
    for _ in range(9):
        assert sign_in(client, "editor1", "wrong password").status_code == 401
    assert sign_in(client, "editor1", "wrong password").status_code == 401  # the tenth
    locked = sign_in(client, "editor1")
    assert locked.status_code == 429
    assert int(locked.headers["retry-after"]) > 14 * 60
    assert "zw_session" not in client.cookies


def test_failures_from_one_address_lock_that_address(store: Store) -> None:
    client = client_for(store, signin_max_failures=3)
    for name in ("a1", "a2", "a3"):  # three unknown names from the same address
        assert sign_in(client, name, "guess one").status_code == 401
    assert sign_in(client, "viewer1").status_code == 429


def test_sign_out_ends_the_session(store: Store) -> None:
    client = client_for(store)
    sign_in(client, "editor1")
    cookie = client.cookies["zw_session"]
    page = client.get("/", headers={"accept": "text/html"}).text
    res = client.post("/logout", data={"csrf_token": csrf_of(page)}, follow_redirects=False)
    assert res.status_code == 303 and res.headers["location"] == "/login"
    replay = client_for(store)
    replay.cookies.set("zw_session", cookie)
    assert "editor1" not in replay.get("/", headers={"accept": "text/html"}).text


def test_a_session_counts_as_a_token_of_its_role(store: Store) -> None:
    client = client_for(store)
    sign_in(client, "editor1")
    body = {"type": "Feature", "id": "S9", "geometry": {"type": "Point",
            "coordinates": [113.65, 34.75]}, "properties": {"name": "夜市", "category": "bbq"}}
    refused = client.post("/collections/sources/items", json=body)
    assert refused.status_code == 403  # the session's CSRF token is missing
    token = csrf_of(client.get("/", headers={"accept": "text/html"}).text)
    made = client.post("/collections/sources/items", json=body, headers={"x-csrf-token": token})
    assert made.status_code == 201, made.text
    assert store.history("sources", "S9")[-1].actor == "editor1"


def test_a_viewer_session_may_read_but_not_write(store: Store) -> None:
    writes.create(store, "sources", _source(), actor="setup")
    client = client_for(store, read_requires_token=True)
    sign_in(client, "viewer1")
    assert client.get("/collections/sources/items/S1").status_code == 200
    token = csrf_of(client.get("/", headers={"accept": "text/html"}).text)
    res = client.delete("/collections/sources/items/S1",
                        headers={"x-csrf-token": token, "if-match": "*"})
    assert res.status_code == 403
    assert store.get("sources", "S1").id == "S1"


def test_read_requires_token_sends_a_browser_to_the_sign_in_page(store: Store) -> None:
    client = client_for(store, read_requires_token=True)
    page = client.get("/ledger?q=x", headers={"accept": "text/html"}, follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=/ledger%3Fq%3Dx"
    program = client.get("/collections/sources/items", headers={"accept": "application/json"})
    assert program.status_code == 401
    assert client.get("/login", headers={"accept": "text/html"}).status_code == 200
    assert sign_in(client, "viewer1", next_path="/ledger?q=x").headers["location"] == \
        "/ledger?q=x"
    assert client.get("/ledger?q=x", headers={"accept": "text/html"}).status_code == 200


def test_bearer_tokens_still_work_beside_sessions(store: Store) -> None:
    secret, _ = issue_token(store, name="etl", role="editor")
    client = client_for(store)
    body = {"type": "Feature", "id": "S2", "geometry": {"type": "Point",
            "coordinates": [113.65, 34.75]}, "properties": {"name": "工地", "category": "bbq"}}
    res = client.post("/collections/sources/items", json=body,
                      headers={"authorization": f"Bearer {secret}"})
    assert res.status_code == 201
    assert store.history("sources", "S2")[-1].actor.startswith("etl#")


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil"])
def test_next_never_leaves_the_site(store: Store, target: str) -> None:
    res = sign_in(client_for(store), "editor1", next_path=target)
    assert res.status_code == 303 and res.headers["location"] == "/"


def test_the_language_switch_is_remembered(store: Store) -> None:
    client = client_for(store)
    res = client.get("/lang", params={"to": "en", "next": "/login"}, follow_redirects=False)
    assert res.status_code == 303 and res.headers["location"] == "/login"
    page = client.get("/login", headers={"accept": "text/html"})
    assert "Sign in to Zonewatch" in page.text and 'lang="en"' in page.text
    assert client.get("/lang", params={"to": "fr"}).status_code == 400


def test_every_page_has_the_navigation(store: Store) -> None:
    client = client_for(store)
    sign_in(client, "editor1")
    for path in ("/", "/ledger", "/reports/summary?f=html", "/collections?f=html"):
        page = client.get(path, headers={"accept": "text/html"}).text
        for link in ('href="/map"', 'href="/ledger"', 'href="/reports/summary?f=html"',
                     'href="/?f=html"', 'href="/lang?to=en'):
            assert link in page, (path, link)
