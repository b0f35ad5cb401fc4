"""The staff import page: upload, preview by spreadsheet row in Chinese, confirm, refusals."""

from __future__ import annotations

import io
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook
from shapely import Point

from api.app import create_app
from api.pages import import_page
from api.settings import Settings
from api.uploads import STAGING_MAX_AGE_S, staging_root
from geo import crs, writes
from geo.accounts import add_account
from geo.errors import InputError
from geo.io.columns import KNOWN_COLUMNS, canonical_columns
from geo.io.reasons import reason_zh
from geo.ledger import Feature, validate_id, validate_record
from geo.store import Store
from tests._support.signin import PASSWORD, csrf_of, sign_in
from tests._support.stores import STORE_KINDS, make_store

HTML = {"accept": "text/html"}
HEADER = ["名称", "类别", "状态", "地址", "社区", "网格", "经度", "纬度"]
_CONFIRM = re.compile(r'action="/ledger/import/([^"/]+)/confirm"')
_REJECTED_ROW = re.compile(r'<td class="row">(\d+)</td><td class="reason">([^<]*)</td>')


@pytest.fixture(params=STORE_KINDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    for opened in make_store(request.param, tmp_path):
        for name, role in (("editor1", "editor"), ("editor2", "editor"), ("viewer1", "viewer")):
            add_account(opened, username=name, role=role, password=PASSWORD)
        writes.create(opened, "sources", Feature("S-old", {"name": "老店", "category": "catering"},
                                                 Point(113.62, 34.74)), actor="seed")
        yield opened


def _with_import_page(app: FastAPI) -> FastAPI:
    """Serve the page's routes first (until app.py includes them before /ledger/{fid})."""
    if not any(getattr(r, "path", None) == "/ledger/import" for r in app.router.routes):
        before = len(app.router.routes)
        app.include_router(import_page.router)
        added = app.router.routes[before:]
        del app.router.routes[before:]
        app.router.routes[0:0] = added
    return app


def client_for(store: Store, username: str | None = "editor1") -> TestClient:
    app = create_app(Settings(store=store.url, seed_demo=False), store=store)
    client = TestClient(_with_import_page(app), base_url="http://testserver")
    if username:
        assert sign_in(client, username).status_code == 303
    return client


def xlsx(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def good_rows(n: int, name: str = "店") -> list[list[Any]]:
    return [[f"{name}{i}", "餐饮", "营业", f"中原路{i}号", "甲社区", "12", 113.60 + i * 1e-4, 34.75]
            for i in range(n)]


def csrf(client: TestClient) -> str:
    return csrf_of(client.get("/ledger/import", headers=HTML).text)


def preview(client: TestClient, name: str, body: bytes, **fields: str) -> Any:
    data = {"csrf_token": csrf(client), "layer": "sources", "crs": "", "mode": "append", **fields}
    return client.post("/ledger/import", data=data, files={"file": (name, body)}, headers=HTML)


def confirm(client: TestClient, token: str, *, with_csrf: bool = True) -> Any:
    data = {"csrf_token": csrf(client)} if with_csrf else {}
    return client.post(f"/ledger/import/{token}/confirm", data=data, headers=HTML,
                       follow_redirects=False)


def token_of(page: str) -> str:
    match = _CONFIRM.search(page)
    assert match, "the preview offers no confirmation"
    return match.group(1)


def names(store: Store) -> set[str]:
    return set(store.read("sources")["name"])


# -- the form ------------------------------------------------------------------------------


def test_the_form_offers_the_formats_layers_labels_and_modes(store: Store) -> None:
    page = client_for(store).get("/ledger/import", headers=HTML)
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.text and 'name="csrf_token"' in page.text
    found = re.search(r'accept="([^"]+)"', page.text)
    assert found
    accept = found.group(1).split(",")
    assert set(accept) == {".csv", ".xlsx", ".geojson", ".json", ".gpkg", ".zip", ".kml"}
    options = set(re.findall(r'<option value="([^"]*)"', page.text))
    assert {"sources", "stations", "inspections", "wgs84", "gcj02", "bd09", "cgcs2000",
            ""} <= options
    assert re.search(r'<option value="sources" selected>', page.text)
    assert set(re.findall(r'name="mode" value="(\w+)"', page.text)) == {"append", "upsert"}
    assert 'href="/ledger/import/template.xlsx"' in page.text
    assert 'href="/ledger/import"' in page.text  # the navigation shows the page


def test_a_browser_without_a_session_is_sent_to_sign_in(store: Store) -> None:
    res = client_for(store, None).get("/ledger/import", headers=HTML, follow_redirects=False)
    assert res.status_code == 303
    assert res.headers["location"] == "/login?next=/ledger/import"


def test_viewers_may_not_use_the_page(store: Store) -> None:
    viewer = client_for(store, "viewer1")
    assert viewer.get("/ledger/import", headers=HTML).status_code == 403
    assert viewer.get("/ledger/import/template.xlsx").status_code == 403
    token = csrf_of(viewer.get("/", headers=HTML).text)
    res = viewer.post("/ledger/import", data={"csrf_token": token, "layer": "sources"},
                      files={"file": ("a.xlsx", xlsx([HEADER, *good_rows(1)]))}, headers=HTML)
    assert res.status_code == 403
    assert names(store) == {"老店"}


# -- preview -------------------------------------------------------------------------------


def test_a_bad_excel_row_is_named_by_its_sheet_row_with_a_chinese_reason(store: Store) -> None:
    client = client_for(store)
    rows = good_rows(3)
    rows[2][1] = "cafe"  # the third data row
    # a title row and a blank row above the header, as bureau ledgers have: header is row 3
    body = xlsx([["中原区餐饮油烟治理台账（2026年）"], [], HEADER, *rows])
    res = preview(client, "台账.xlsx", body)
    assert res.status_code == 200
    assert _REJECTED_ROW.findall(res.text) == [
        ("6", "「类别」的值 &#39;cafe&#39; 不在可选范围内；可填：餐饮、露天烧烤、夜市、建筑工地、"
              "渣土车路线、工业、其他")]
    assert load_workbook(io.BytesIO(body)).active.cell(6, 2).value == "cafe"  # row 6 indeed
    assert "Excel 行号" in res.text
    assert 'data-count="2"' in res.text  # the two good rows
    assert _CONFIRM.search(res.text) is None and 'href="/ledger/import"' in res.text
    assert names(store) == {"老店"}


def test_english_pages_show_the_importer_s_own_words(store: Store) -> None:
    client = client_for(store)
    client.cookies.set("zw_lang", "en")
    rows = good_rows(2)
    rows[0][6] = "abc"
    res = preview(client, "a.xlsx", xlsx([HEADER, *rows]))
    assert _REJECTED_ROW.findall(res.text) == [
        ("2", "lon/lat &#39;abc&#39;, &#39;34.75&#39; are not numbers")]
    assert "Excel row" in res.text


def test_csv_rows_are_numbered_by_their_line(store: Store) -> None:
    client = client_for(store)
    lines = [",".join(HEADER)] + [",".join(map(str, r)) for r in good_rows(3)]
    lines[2] = lines[2].replace("113.6001", "213.6001")  # line 3 of the file
    res = preview(client, "台账.csv", ("\n".join(lines) + "\n").encode("utf-8"))
    assert _REJECTED_ROW.findall(res.text) == [("3", "经度 213.6001 超出 -180 到 180 的范围")]
    assert names(store) == {"老店"}


def test_an_unreadable_file_is_explained_on_the_form_under_its_own_name(store: Store) -> None:
    res = preview(client_for(store), "我的台账.xlsx", b"this is not a workbook")
    assert res.status_code == 400
    said = "无法导入这个文件：我的台账.xlsx：不是 Excel 工作簿（XLSX）（不是 zip 压缩格式）"
    assert said in res.text
    assert "upload.xlsx" not in res.text
    assert 'action="/ledger/import"' in res.text  # the form again, to pick another file


def test_user_text_in_the_file_is_shown_as_text(store: Store) -> None:
    client = client_for(store)
    rows = good_rows(1, name="<script>alert(1)</script>")
    rows[0][1] = "<script>alert(2)</script>"
    res = preview(client, "<img src=x onerror=alert(3)>.xlsx", xlsx([HEADER, *rows]))
    assert res.status_code == 200
    assert "<script>alert" not in res.text and "<img src=x" not in res.text
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in res.text  # the reason quotes it
    assert "&lt;img src=x onerror=alert(3)&gt;.xlsx" in res.text


# -- confirmation --------------------------------------------------------------------------


def test_a_good_file_is_previewed_then_imported_by_the_editor(store: Store) -> None:
    client = client_for(store)
    res = preview(client, "台账.xlsx", xlsx([HEADER, *good_rows(3)]), mode="upsert")
    assert res.status_code == 200
    assert 'data-count="3"' in res.text and "导入 3 条" in res.text
    assert names(store) == {"老店"}  # a preview writes nothing
    token = token_of(res.text)
    assert (staging_root() / token).is_dir()
    done = confirm(client, token)
    assert done.status_code == 200
    assert "已导入 3 条：新增 3 条，更新 0 条。" in done.text and 'href="/ledger"' in done.text
    stored = store.read("sources")
    added = stored[stored["name"] == "店1"].iloc[0]
    assert (added["category"], added["status"], added["grid"]) == ("catering", "operating", "12")
    assert names(store) == {"老店", "店0", "店1", "店2"}
    assert store.history("sources", added["id"])[0].actor == "editor1"
    assert not (staging_root() / token).exists()
    assert confirm(client, token).status_code == 404  # a second click imports nothing more
    assert len(store.read("sources")) == 4


def test_a_file_changed_after_the_preview_is_refused(store: Store) -> None:
    client = client_for(store)
    token = token_of(preview(client, "台账.xlsx", xlsx([HEADER, *good_rows(2)])).text)
    staged = staging_root() / token / "upload.xlsx"
    staged.write_bytes(xlsx([HEADER, *good_rows(5, name="换")]))
    res = confirm(client, token)
    assert res.status_code == 409
    assert "预览之后文件被改动过，没有导入任何数据" in res.text
    assert names(store) == {"老店"}
    assert confirm(client, token).status_code == 404


def test_posts_without_the_csrf_token_are_refused(store: Store) -> None:
    client = client_for(store)
    body = xlsx([HEADER, *good_rows(2)])
    res = client.post("/ledger/import", data={"layer": "sources"}, files={"file": ("a.xlsx", body)},
                      headers=HTML)
    assert res.status_code == 403
    token = token_of(preview(client, "a.xlsx", body).text)
    assert confirm(client, token, with_csrf=False).status_code == 403
    assert names(store) == {"老店"}
    assert confirm(client, token).status_code == 200  # the same token, with the form's token
    assert names(store) == {"老店", "店0", "店1"}


def test_a_token_of_another_account_or_none_is_404(store: Store) -> None:
    client, other = client_for(store), client_for(store, "editor2")
    token = token_of(preview(client, "a.xlsx", xlsx([HEADER, *good_rows(1)])).text)
    assert confirm(other, token).status_code == 404
    assert confirm(other, "x" * 32).status_code == 404
    assert confirm(other, "..%2F..%2Fetc").status_code == 404
    assert names(store) == {"老店"}
    assert confirm(client, token).status_code == 200


def test_an_id_taken_since_the_preview_is_a_conflict_and_writes_nothing(store: Store) -> None:
    client = client_for(store)
    rows = [[f"S-new{i}", *r] for i, r in enumerate(good_rows(2))]
    token = token_of(preview(client, "a.xlsx", xlsx([["编号", *HEADER], *rows])).text)
    writes.create(store, "sources", Feature("S-new1", {"name": "抢先", "category": "bbq"},
                                            Point(113.61, 34.75)), actor="seed")
    assert confirm(client, token).status_code == 409
    assert names(store) == {"老店", "抢先"}


def test_staged_uploads_expire_after_an_hour(store: Store) -> None:
    client = client_for(store)
    body = xlsx([HEADER, *good_rows(1)])
    old = token_of(preview(client, "a.xlsx", body).text)
    folder = staging_root() / old
    long_ago = time.time() - STAGING_MAX_AGE_S - 60
    os.utime(folder, (long_ago, long_ago))
    assert confirm(client, old).status_code == 404
    fresh = token_of(preview(client, "b.xlsx", body).text)  # staging a new one sweeps
    assert not folder.exists() and (staging_root() / fresh).is_dir()
    assert oct(staging_root().stat().st_mode & 0o777) == "0o700"
    assert names(store) == {"老店"}


# -- the template --------------------------------------------------------------------------


def test_the_template_downloads_and_imports_once_filled(store: Store) -> None:
    client = client_for(store)
    res = client.get("/ledger/import/template.xlsx")
    assert res.status_code == 200
    assert res.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(res.content))
    sheet = book.active
    headers = [c.value for c in sheet[1]]
    assert set(canonical_columns(headers).values()) <= KNOWN_COLUMNS
    assert {"名称", "类别", "经度", "纬度"} <= set(headers)
    assert sheet.max_row == 2  # one example row
    col = {h: i + 1 for i, h in enumerate(headers)}
    sheet.cell(2, col["名称"]).value = "李记烩面"
    sheet.cell(3, col["名称"]).value = "张家夜市"
    sheet.cell(3, col["类别"]).value = "夜市"
    sheet.cell(3, col["经度"]).value = 113.63
    sheet.cell(3, col["纬度"]).value = 34.76
    out = io.BytesIO()
    book.save(out)
    token = token_of(preview(client, "模板.xlsx", out.getvalue()).text)
    assert confirm(client, token).status_code == 200
    stored = store.read("sources").set_index("name")
    assert stored.loc["李记烩面", "category"] == "catering"
    assert stored.loc["张家夜市", "category"] == "night_market"
    assert stored.loc["李记烩面", "fume_purifier"] == "in_use"


# -- reasons -------------------------------------------------------------------------------


def _message(call: object, *args: object, **kwargs: object) -> str:
    with pytest.raises(InputError) as info:
        call(*args, **kwargs)  # type: ignore[operator]
    return str(info.value)


@pytest.mark.parametrize(("make", "chinese"), [
    (lambda: _message(validate_record, "sources", {"category": "bbq"}, Point(113.6, 34.7)),
     "「名称」必填，不能为空"),
    (lambda: _message(validate_record, "stations", {"name": "m", "radius_m": -1},
                      Point(113.6, 34.7)),
     "「半径（米）」的值 -1.0 超出范围，应大于 0、不大于 50000"),
    (lambda: _message(validate_id, "a/b"), "「编号」的值 'a/b' 不是有效的编号"),
    (lambda: _message(crs.check_lonlat, 34.75, 113.65), "经纬度可能填反了"),
    (lambda: _message(crs.normalize_label, "mars"), "未知的坐标系 'mars'"),
    (lambda: _message(validate_record, "sources", {"name": "n", "category": "muck_route"},
                      Point(113.6, 34.7)),
     "几何类型点（Point）不适用于此处；应为线（LineString）或多线（MultiLineString）"),
], ids=["required", "range", "id", "swapped", "label", "geometry-type"])
def test_reasons_read_in_chinese(make: object, chinese: str) -> None:
    english = make()  # type: ignore[operator]
    assert chinese in reason_zh(english)
    assert not re.search(r"[a-z]{4,} [a-z]{4,}", reason_zh(english))  # no English phrase left


def test_an_unknown_reason_is_kept_as_written() -> None:
    assert reason_zh("the moon is made of cheese") == "the moon is made of cheese"
    assert reason_zh("a.csv: feature 2 is odd") == "a.csv：feature 2 is odd"
