"""The staff accounts page: add, role, disable/enable, password, self-lockout, CSRF, escaping."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response

from api.html import _route_paths
from api.pages import admin_users
from geo.accounts import add_account
from geo.store import Store
from geo.store.base import AccountRecord
from tests._support.signin import PASSWORD, client_for, csrf_of, sign_in
from tests._support.stores import STORE_KINDS, make_store

HTML = {"accept": "text/html"}
PAGE = "/admin/users"
NEW_PASSWORD = "new secret 2026"


@pytest.fixture(params=STORE_KINDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    for opened in make_store(request.param, tmp_path):
        add_account(opened, username="admin1", role="admin", password=PASSWORD)
        add_account(opened, username="editor1", role="editor", password=PASSWORD)
        yield opened


def page_client(store: Store) -> TestClient:
    """Return a client of the app, with the accounts page included if app.py does not yet."""
    client = client_for(store)
    app = cast(FastAPI, client.app)
    if PAGE not in set(_route_paths(app.router.routes)):
        app.include_router(admin_users.router)
    return client


def signed_in(store: Store, username: str = "admin1", password: str = PASSWORD) -> TestClient:
    client = page_client(store)
    assert sign_in(client, username, password).status_code == 303
    return client


def post(client: TestClient, action: str, **fields: str) -> Response:
    """Post a form to ``action`` with the CSRF token the accounts page carries."""
    token = csrf_of(client.get(PAGE, headers=HTML).text)
    return post_raw(client, action, {"csrf_token": token, **fields})


def post_raw(client: TestClient, action: str, data: dict[str, str]) -> Response:
    """Post exactly ``data`` (no token added) to ``action``."""
    return client.post(action, data=data, headers=HTML, follow_redirects=False)


def stored(store: Store, username: str) -> AccountRecord:
    account = store.accounts.find(username)
    assert account is not None, f"no account {username}"
    return account


def can_sign_in(store: Store, username: str, password: str = PASSWORD) -> bool:
    answer = sign_in(page_client(store), username, password)
    assert answer.status_code in (303, 401), answer.status_code
    return answer.status_code == 303


def row_of(page: str, username: str) -> str:
    match = re.search(rf'<tr data-username="{re.escape(username)}">(.*?)</tr>', page, re.S)
    assert match, f"no row for {username}"
    return match.group(1)


def test_the_list_shows_every_account_with_its_forms(store: Store) -> None:
    add_account(store, username="张三", role="viewer", password=PASSWORD)
    page = signed_in(store).get(PAGE, headers=HTML)
    assert page.status_code == 200
    assert [m for m in re.findall(r'<tr data-username="([^"]+)">', page.text)] == sorted(
        a.username for a in store.accounts.records())
    viewer = row_of(page.text, "张三")
    assert "查看" in viewer and re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", viewer)
    assert 'action="/admin/users/%E5%BC%A0%E4%B8%89/role"' in viewer
    assert 'action="/admin/users/%E5%BC%A0%E4%B8%89/disable"' in viewer
    assert viewer.count('name="csrf_token"') == 3
    me = row_of(page.text, "admin1")  # no form that could lock the admin out
    assert "/admin1/disable" not in me and "/admin1/role" not in me
    assert 'href="/admin/users"' in page.text  # the navigation links the page for an admin


def test_an_added_account_can_sign_in(store: Store) -> None:
    client = signed_in(store)
    res = post(client, PAGE, username=" 李四 ", role="editor", password=NEW_PASSWORD,
               password_repeat=NEW_PASSWORD)
    assert res.status_code == 303
    assert res.headers["location"] == "/admin/users?done=added&user=%E6%9D%8E%E5%9B%9B"
    added = stored(store, "李四")
    assert added.role == "editor" and added.disabled_at is None
    assert NEW_PASSWORD not in added.password_hash
    assert can_sign_in(store, "李四", NEW_PASSWORD)
    shown = client.get(res.headers["location"], headers=HTML).text
    assert "已开设账号 李四。" in shown and '<tr data-username="李四">' in shown


@pytest.mark.parametrize(("fields", "field"), [
    ({"username": "wang", "password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD + "x"},
     "password_repeat"),
    ({"username": "wang", "password": "short7!", "password_repeat": "short7!"}, "password"),
    ({"username": "<b>x</b>", "password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD},
     "username"),
    ({"username": "wang li", "password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD},
     "username"),
    ({"username": "", "password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD}, "username"),
    ({"username": "wang", "role": "root", "password": NEW_PASSWORD,
      "password_repeat": NEW_PASSWORD}, "role"),
], ids=["passwords-differ", "too-short", "markup-name", "space-in-name", "no-name",
        "unknown-role"])
def test_wrong_input_gets_422_beside_the_field_and_no_account(
        store: Store, fields: dict[str, str], field: str) -> None:
    before = [a.username for a in store.accounts.records()]
    res = post(signed_in(store), PAGE, **{"role": "viewer", **fields})
    assert res.status_code == 422
    assert re.search(rf'id="add-{field}" name="{field}"[^>]* aria-invalid="true" '
                     rf'aria-describedby="add-{field}-error"', res.text)
    assert f'id="add-{field}-error"' in res.text
    assert [a.username for a in store.accounts.records()] == before
    assert NEW_PASSWORD not in res.text  # a password is never sent back


def test_a_markup_username_is_refused_and_shown_as_text(store: Store) -> None:
    res = post(signed_in(store), PAGE, username="<b>x</b>", role="viewer",
               password=NEW_PASSWORD, password_repeat=NEW_PASSWORD)
    assert res.status_code == 422 and store.accounts.find("<b>x</b>") is None
    assert 'value="&lt;b&gt;x&lt;/b&gt;"' in res.text and "<b>x</b>" not in res.text


def test_a_taken_username_is_refused_and_the_account_kept(store: Store) -> None:
    old_hash = stored(store, "editor1").password_hash
    res = post(signed_in(store), PAGE, username="editor1", role="admin",
               password=NEW_PASSWORD, password_repeat=NEW_PASSWORD)
    assert res.status_code == 422
    assert "用户名 editor1 已被占用。" in res.text and 'id="add-username-error"' in res.text
    kept = store.accounts.find("editor1")
    assert kept is not None and kept.role == "editor" and kept.password_hash == old_hash
    assert can_sign_in(store, "editor1") and not can_sign_in(store, "editor1", NEW_PASSWORD)


def test_a_role_change_applies_to_the_next_request(store: Store) -> None:
    editor = signed_in(store, "editor1")
    assert editor.get("/ledger/new", headers=HTML).status_code == 200
    res = post(signed_in(store), f"{PAGE}/editor1/role", role="viewer")
    assert res.status_code == 303 and res.headers["location"].endswith("done=role&user=editor1")
    assert stored(store, "editor1").role == "viewer"
    assert editor.get("/ledger/new", headers=HTML).status_code == 403


def test_disable_ends_the_sessions_and_enable_lets_them_in_again(store: Store) -> None:
    editor, admin = signed_in(store, "editor1"), signed_in(store)
    res = post(admin, f"{PAGE}/editor1/disable")
    assert res.status_code == 303
    assert stored(store, "editor1").disabled_at is not None
    bounced = editor.get("/ledger/new", headers=HTML, follow_redirects=False)
    assert bounced.status_code == 303 and bounced.headers["location"].startswith("/login")
    assert not can_sign_in(store, "editor1")
    row = row_of(admin.get(PAGE, headers=HTML).text, "editor1")
    assert "已停用" in row and 'action="/admin/users/editor1/enable"' in row
    assert post(admin, f"{PAGE}/editor1/enable").status_code == 303
    assert stored(store, "editor1").disabled_at is None
    assert can_sign_in(store, "editor1")


def test_a_new_password_replaces_the_old_and_ends_the_sessions(store: Store) -> None:
    editor = signed_in(store, "editor1")
    res = post(signed_in(store), f"{PAGE}/editor1/password", password=NEW_PASSWORD,
               password_repeat=NEW_PASSWORD)
    assert res.status_code == 303
    assert not can_sign_in(store, "editor1", PASSWORD)
    assert can_sign_in(store, "editor1", NEW_PASSWORD)
    assert editor.get("/ledger/new", headers=HTML, follow_redirects=False).status_code == 303


def test_differing_new_passwords_change_nothing(store: Store) -> None:
    res = post(signed_in(store), f"{PAGE}/editor1/password", password=NEW_PASSWORD,
               password_repeat=PASSWORD)
    assert res.status_code == 422
    assert 'aria-describedby="password_repeat-2-error"' in row_of(res.text, "editor1")
    assert can_sign_in(store, "editor1") and not can_sign_in(store, "editor1", NEW_PASSWORD)


@pytest.mark.parametrize(("action", "fields", "message"), [
    ("disable", {}, "不能停用自己的账号。"),
    ("role", {"role": "editor"}, "不能取消自己的管理员角色。"),
], ids=["self-disable", "self-demote"])
def test_an_admin_cannot_lock_themself_out(
        store: Store, action: str, fields: dict[str, str], message: str) -> None:
    admin = signed_in(store)
    res = post(admin, f"{PAGE}/admin1/{action}", **fields)
    assert res.status_code == 422 and message in row_of(res.text, "admin1")
    kept = store.accounts.find("admin1")
    assert kept is not None and kept.role == "admin" and kept.disabled_at is None
    assert admin.get(PAGE, headers=HTML).status_code == 200


def test_an_admin_may_keep_their_own_role(store: Store) -> None:
    res = post(signed_in(store), f"{PAGE}/admin1/role", role="admin")
    assert res.status_code == 303
    assert stored(store, "admin1").role == "admin"


FORGED = [("", {"username": "mallory", "role": "admin", "password": NEW_PASSWORD,
                "password_repeat": NEW_PASSWORD}),
          ("/admin1/role", {"role": "viewer"}), ("/admin1/disable", {}),
          ("/admin1/password", {"password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD})]
FORGED_IDS = ["add", "role", "disable", "password"]


def assert_unchanged(store: Store) -> None:
    assert store.accounts.find("mallory") is None
    admin = store.accounts.find("admin1")
    assert admin is not None and admin.role == "admin" and admin.disabled_at is None
    assert can_sign_in(store, "admin1")


@pytest.mark.parametrize(("suffix", "fields"), FORGED, ids=FORGED_IDS)
def test_an_editor_is_refused_even_with_a_valid_token(
        store: Store, suffix: str, fields: dict[str, str]) -> None:
    editor = signed_in(store, "editor1")
    assert editor.get(PAGE, headers=HTML).status_code == 403
    token = csrf_of(editor.get("/", headers=HTML).text)  # the editor's own, valid token
    assert post_raw(editor, PAGE + suffix, {"csrf_token": token, **fields}).status_code == 403
    assert_unchanged(store)


@pytest.mark.parametrize(("suffix", "fields"), FORGED, ids=FORGED_IDS)
def test_a_post_without_the_csrf_token_changes_nothing(
        store: Store, suffix: str, fields: dict[str, str]) -> None:
    # the admin's cookie rides along, as on a forged cross-site form; the token does not
    admin = signed_in(store)
    assert post_raw(admin, PAGE + suffix, fields).status_code == 403
    wrong = post_raw(admin, PAGE + suffix, {"csrf_token": "x" * 43, **fields})
    assert wrong.status_code == 403
    assert_unchanged(store)


def test_a_browser_without_a_session_is_sent_to_sign_in(store: Store) -> None:
    res = page_client(store).get(PAGE, headers=HTML, follow_redirects=False)
    assert res.status_code == 303 and res.headers["location"] == "/login?next=/admin/users"
    refused = page_client(store).post(f"{PAGE}/admin1/disable", headers=HTML,
                                      follow_redirects=False)
    assert refused.status_code in (401, 403)
    assert_unchanged(store)


def test_a_flash_message_with_markup_is_shown_escaped(store: Store) -> None:
    admin = signed_in(store)
    res = admin.get(PAGE, params={"done": "added", "user": "<script>alert(1)</script>"},
                    headers=HTML)
    assert res.status_code == 200
    assert "已开设账号 &lt;script&gt;alert(1)&lt;/script&gt;。" in res.text
    assert "<script>alert(1)" not in res.text
    unknown = admin.get(PAGE, params={"done": "<i>pwned</i>", "user": "x"}, headers=HTML)
    assert 'class="flash"' not in unknown.text and "pwned" not in unknown.text.split(
        "<main>", 1)[1]


def test_english_words_when_asked(store: Store) -> None:
    res = signed_in(store).get(PAGE, params={"lang": "en", "done": "disabled",
                                             "user": "editor1"}, headers=HTML)
    assert "Staff accounts" in res.text and "editor1 disabled and signed out" in res.text
    assert "Add an account" in res.text


def test_an_account_whose_name_holds_marks_is_managed_by_its_quoted_path(
        store: Store) -> None:
    add_account(store, username="li.si@夜班", role="viewer", password=PASSWORD)
    admin = signed_in(store)
    quoted = "li.si%40%E5%A4%9C%E7%8F%AD"
    assert f'action="/admin/users/{quoted}/disable"' in row_of(
        admin.get(PAGE, headers=HTML).text, "li.si@夜班")
    assert post(admin, f"{PAGE}/{quoted}/disable").status_code == 303
    assert stored(store, "li.si@夜班").disabled_at is not None
    assert stored(store, "editor1").disabled_at is None


def test_an_unknown_account_is_404(store: Store) -> None:
    assert post(signed_in(store), f"{PAGE}/nobody/disable").status_code == 404
