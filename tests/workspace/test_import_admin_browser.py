"""Importing a spreadsheet and managing accounts, end to end in a real Chromium.

An officer finds the import page from home, uploads an Excel ledger with a
mistake, reads which sheet row is wrong and why, fixes it and confirms; an
admin adds a colleague, who then signs in. Each test asserts on what the
store holds afterwards, on a desktop and on a phone.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from geo.store import Store
from tests._support.browser import SIZES, StaffBrowser
from tests._support.workspace import HOSTILE_NAME, PASSWORD

HEADER = ["名称", "类别", "状态", "地址", "社区", "网格", "经度", "纬度"]


@pytest.fixture(params=list(SIZES))
def size(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def officer(chromium: Any, workspace_url: str, size: str) -> Iterator[StaffBrowser]:
    person = StaffBrowser(chromium, workspace_url, size)
    yield person
    person.close()


def _ledger_xlsx(path: Path, rows: list[list[Any]]) -> Path:
    """Write a bureau-style sheet: a title row, a blank row, the header on row 3."""
    book = Workbook()
    for row in [["中原区餐饮油烟治理台账"], [], HEADER, *rows]:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    path.write_bytes(out.getvalue())
    return path


def _rows(tag: str) -> list[list[Any]]:
    return [[f"{tag}店{i}", "餐饮", "营业", f"中原路{i}号", "丙社区", "7", 113.62 + i * 1e-4, 34.75]
            for i in range(3)]


def _names(store: Store) -> set[str]:
    return set(store.read("sources")["name"])


def _upload(officer: StaffBrowser, path: Path) -> None:
    page = officer.page
    page.set_input_files("#file", str(path))
    page.select_option("#layer", "sources")
    page.click("form.upload button[type=submit]")
    page.wait_for_load_state()


def test_import_an_excel_with_a_bad_row_then_the_fixed_one(
        officer: StaffBrowser, workspace_store: Store, tmp_path: Path) -> None:
    officer.sign_in("editor1", PASSWORD)
    page = officer.page
    page.click("header.site nav.main a[href='/ledger/import']")  # one click from home
    page.wait_for_load_state()
    assert page.url.endswith("/ledger/import")
    officer.shot("import")
    tag = officer.size
    rows = _rows(tag)
    rows[1][1] = "火锅"  # the second data row: sheet row 5
    before = _names(workspace_store)
    _upload(officer, _ledger_xlsx(tmp_path / "台账.xlsx", rows))
    rejected = page.locator("table.rejected tbody tr")
    assert rejected.count() == 1
    assert rejected.locator("td.row").inner_text() == "5"
    assert "类别" in rejected.locator("td.reason").inner_text()
    assert "火锅" in rejected.locator("td.reason").inner_text()
    assert page.locator("form.confirm").count() == 0  # all or nothing: nothing to confirm
    officer.shot("import-rejected")
    assert _names(workspace_store) == before

    rows[1][1] = "餐饮"
    page.goto(officer.base + "/ledger/import")
    _upload(officer, _ledger_xlsx(tmp_path / "台账-改.xlsx", rows))
    assert page.locator("table.rejected").count() == 0
    officer.shot("import-preview")
    assert _names(workspace_store) == before  # the preview writes nothing
    page.click("form.confirm button[type=submit]")
    page.wait_for_load_state()
    assert _names(workspace_store) == before | {f"{tag}店{i}" for i in range(3)}
    stored = workspace_store.read("sources")
    added = stored[stored["name"] == f"{tag}店1"].iloc[0]
    assert (added["category"], added["community"], added["grid"]) == ("catering", "丙社区", "7")
    assert workspace_store.history("sources", added["id"])[0].actor == "editor1"
    officer.shot("import-done")


def test_an_admin_adds_a_colleague_who_then_signs_in(
        officer: StaffBrowser, workspace_store: Store, chromium: Any) -> None:
    officer.sign_in("admin1", PASSWORD)
    page = officer.page
    page.click("header.site nav.main a[href='/admin/users']")  # one click from home
    page.wait_for_load_state()
    officer.shot("admin")
    username = f"inspector.{officer.size}"
    page.fill("#add-username", username)
    page.select_option("#add-role", "editor")
    page.fill("#add-password", "晚班巡查-2026")
    page.fill("#add-password_repeat", "晚班巡查-2026")
    page.click("form.add button[type=submit]")
    page.wait_for_load_state()
    account = workspace_store.accounts.find(username)
    assert account is not None and account.role == "editor" and account.disabled_at is None
    assert page.locator(f"tr[data-username='{username}']").count() == 1
    colleague = StaffBrowser(chromium, officer.base, officer.size)
    try:
        colleague.sign_in(username, "晚班巡查-2026")
        assert colleague.page.locator("header.site").inner_text().count(username) == 1
    finally:
        colleague.close()


def test_viewers_and_editors_have_no_admin_page(officer: StaffBrowser) -> None:
    officer.sign_in("editor1", PASSWORD)
    assert officer.page.locator("header.site a[href='/admin/users']").count() == 0
    answer = officer.go("/admin/users")
    assert answer.status == 403
    assert "没有权限" in officer.page.inner_text("main")


def test_hostile_text_in_an_import_shows_as_text(
        officer: StaffBrowser, tmp_path: Path) -> None:
    officer.sign_in("editor1", PASSWORD)
    rows = _rows(officer.size)
    rows[0][0] = HOSTILE_NAME
    rows[2][1] = HOSTILE_NAME  # a rejected category quotes the value in the reason
    officer.go("/ledger/import")
    _upload(officer, _ledger_xlsx(tmp_path / "x.xlsx", rows))
    page = officer.page
    assert page.locator("img[src=x]").count() == 0
    # the reason quotes the value as text (codes are read with spaces as "_")
    assert 'onerror="alert(1)">' in page.locator("table.rejected td.reason").inner_text()
