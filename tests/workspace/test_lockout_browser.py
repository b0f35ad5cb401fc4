"""Ten failed sign-ins from a browser lock the account (own module: it locks the address)."""

from __future__ import annotations

from typing import Any

from tests._support.browser import StaffBrowser
from tests._support.workspace import PASSWORD


def test_ten_failures_lock_the_account(chromium: Any, workspace_url: str) -> None:
    officer = StaffBrowser(chromium, workspace_url, "desktop")
    for _ in range(10):
        officer.sign_in("editor1", "wrong password")
    assert "用户名或密码不正确" in officer.page.inner_text("main")
    officer.sign_in("editor1", PASSWORD)  # the right password, but locked now
    assert "锁定" in officer.page.inner_text("main")
    assert "zw_session" not in {c["name"] for c in officer.context.cookies()}
    officer.shot("locked")
    officer.close()
