"""Signing a TestClient in as a person would: the form, its CSRF token, the cookie."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from geo.store import Store

__all__ = ["PASSWORD", "client_for", "csrf_of", "sign_in"]

#: The password of every test account.
PASSWORD = "correct horse 42"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def client_for(store: Store, **settings: object) -> TestClient:
    """Return a TestClient over ``store`` (plain http), with extra settings."""
    app = create_app(Settings(store=store.url, seed_demo=False, **settings), store=store)
    return TestClient(app, base_url="http://testserver")


def csrf_of(page: str) -> str:
    """Return the CSRF token a page's forms carry (fails the test without one)."""
    match = _CSRF.search(page)
    assert match, "the page has no csrf_token field"
    return match.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD, *,
            next_path: str = "/") -> Any:
    """Open the sign-in form, post it with its token; return the answer (303 when right)."""
    form = client.get("/login", params={"next": next_path}, headers={"accept": "text/html"})
    return client.post("/login", data={"username": username, "password": password,
                                       "next": next_path, "csrf_token": csrf_of(form.text)},
                       follow_redirects=False)
