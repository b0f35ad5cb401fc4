"""The staff import page (``/ledger/import``): upload, preview every rejection, then confirm.

``GET /ledger/import`` shows the form (file, layer, coordinate label,
mode) and ``GET /ledger/import/template.xlsx`` a spreadsheet with the
Chinese headers the importer reads. ``POST /ledger/import`` stages the
upload (:func:`api.uploads.stage_upload`) and runs
:func:`geo.io.importer.import_file` as a dry run: the preview lists each
rejected row by the number the person finds it under (the sheet's row in
Excel, the line of a CSV, else the feature's place in the file) with its
reason in the page's language (:func:`geo.io.reasons.reason_zh`). Imports
are all or nothing, so only a file without rejected rows may be confirmed
(``POST /ledger/import/{token}/confirm``); the confirmation imports the
staged file only if its SHA-256 is still the one the preview checked.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from api.auth import require_role
from api.deps import get_settings, get_store
from api.html import page_lang, render
from api.sessions import Caller, checked_form, session_caller
from api.uploads import (
    StagedUpload,
    check_declared_size,
    claim_staged,
    file_sha256,
    find_staged,
    release_staged,
    remove_staged,
    stage_upload,
)
from geo.errors import InputError, ValidationError
from geo.io.importer import ImportReport, import_file
from geo.io.readers import detect_format
from geo.io.reasons import reason_zh
from geo.store.base import WriteMode
from geo.tokens import role_allows
from geo.vocabulary import CODE_LABELS

__all__ = ["router", "template_workbook"]

router = APIRouter(include_in_schema=False)

LAYERS = ("sources", "stations", "inspections")
#: Coordinate labels offered; "" is "as the file says" (else WGS84, like POST /import).
CRS_CHOICES = ("", "wgs84", "gcj02", "bd09", "cgcs2000")
MODES: tuple[WriteMode, ...] = ("append", "upsert")
#: The suffixes POST /import reads (what the file input offers).
ACCEPTED_SUFFIXES = (".csv", ".xlsx", ".geojson", ".json", ".gpkg", ".zip", ".kml")
#: How messages name the staged copy (api.uploads.save_upload), before ": " or "：".
_STAGED_NAME = re.compile(r"upload\.[a-z0-9]{1,8}(?=[:：])")
_XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

WORDS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "导入台账", "file": "文件", "layer": "导入到",
        "file_hint": "支持 Excel（.xlsx）、CSV、GeoJSON、GeoPackage、KML，"
                     "以及 Shapefile 压缩包（.zip）。",
        "crs": "坐标系", "crs_": "以文件为准（文件未注明时按 WGS84）", "crs_wgs84": "WGS84（GPS）",
        "crs_gcj02": "GCJ-02（高德、腾讯地图）", "crs_bd09": "BD-09（百度地图）",
        "crs_cgcs2000": "CGCS2000（国家 2000）", "mode": "方式",
        "mode_append": "追加为新记录", "mode_upsert": "按编号更新（没有的新增）",
        "check": "上传并检查", "template": "下载 Excel 模板",
        "template_hint": "模板的表头是可识别的中文列名，第 2 行是示例，"
                         "导入前请改成实际数据或删除。",
        "all_or_nothing": "导入是“全部或不导入”：只要有一行有问题，整个文件都不会导入。",
        "choose_file": "请选择要上传的文件。", "preview": "导入预览", "accepted": "可以导入",
        "rejected": "有问题", "rows_n": "{n} 条", "row_xlsx": "Excel 行号", "row_csv": "行号",
        "row_feature": "要素序号", "reason": "原因",
        "fix_and_retry": "整个文件都没有导入。请按上表修改文件后重新上传。",
        "upload_again": "重新上传", "ignored": "以下列无法识别，将被忽略：",
        "nothing": "文件里没有数据行，没有可导入的内容。", "confirm": "导入 {n} 条",
        "confirm_hint": "检查通过，尚未写入台账。确认后才会导入。", "cancel": "取消",
        "done": "导入完成", "done_counts": "已导入 {n} 条：新增 {inserted} 条，更新 {updated} 条。",
        "to_ledger": "查看台账", "changed": "文件已变动",
        "changed_text": "预览之后文件被改动过，没有导入任何数据。请重新上传并检查。",
        "file_refused": "无法导入这个文件：",
    },
    "en": {
        "title": "Import into the ledger", "file": "File", "layer": "Layer",
        "file_hint": "Excel (.xlsx), CSV, GeoJSON, GeoPackage, KML, or a zipped Shapefile (.zip).",
        "crs": "Coordinates", "crs_": "as the file says (WGS84 if it does not)",
        "crs_wgs84": "WGS84 (GPS)", "crs_gcj02": "GCJ-02 (Amap, Tencent)",
        "crs_bd09": "BD-09 (Baidu)", "crs_cgcs2000": "CGCS2000", "mode": "Mode",
        "mode_append": "append as new records", "mode_upsert": "update by ID (add the rest)",
        "check": "Upload and check", "template": "Download the Excel template",
        "template_hint": "The template's headers are the Chinese column names the importer "
                         "reads; row 2 is an example: change or delete it before importing.",
        "all_or_nothing": "Imports are all or nothing: one bad row and nothing is imported.",
        "choose_file": "Choose a file to upload.", "preview": "Import preview",
        "accepted": "Can be imported", "rejected": "Rejected", "rows_n": "{n}",
        "row_xlsx": "Excel row", "row_csv": "Line", "row_feature": "Feature", "reason": "Reason",
        "fix_and_retry": "Nothing was imported. Fix the rows above and upload the file again.",
        "upload_again": "Upload again", "ignored": "Columns not recognised (ignored): ",
        "nothing": "The file holds no data rows: nothing to import.", "confirm": "Import {n}",
        "confirm_hint": "Checked, not yet written: nothing is imported until you confirm.",
        "cancel": "Cancel", "done": "Imported",
        "done_counts": "Imported {n}: {inserted} added, {updated} updated.",
        "to_ledger": "Open the ledger", "changed": "The file changed",
        "changed_text": "The file changed since the preview; nothing was imported. Upload it "
                        "again to check it.",
        "file_refused": "This file cannot be imported: ",
    },
}


@dataclass(frozen=True)
class ImportChoice:
    """What the form asks besides the file: layer, coordinate label (None: the file's), mode."""

    layer: str = "sources"
    crs: str | None = None
    mode: WriteMode = "append"


def _words(lang: str) -> dict[str, str]:
    return WORDS["en" if lang == "en" else "zh"]


def _choice(form: FormData) -> ImportChoice:
    """Return the form's choices, each checked against what the page offers."""
    layer, crs = str(form.get("layer") or "sources"), str(form.get("crs") or "")
    mode = str(form.get("mode") or "append")
    for field, value, allowed in (("layer", layer, LAYERS), ("crs", crs, CRS_CHOICES),
                                  ("mode", mode, MODES)):
        if value not in allowed:
            listed = ", ".join(repr(a) for a in allowed)
            raise ValidationError(f"{field} must be one of {listed}; got {value!r}", field=field)
    return ImportChoice(layer=layer, crs=crs or None,
                        mode="upsert" if mode == "upsert" else "append")


async def _editor_form(request: Request) -> tuple[Caller, FormData]:
    """Return the editor and the CSRF-checked form; strangers and viewers are refused unread."""
    early = session_caller(request)
    if early is None or not role_allows(early.role, "editor"):
        require_role(request, "editor")  # 401 or 403 before the body is read
    form = await checked_form(request)
    return require_role(request, "editor"), form


def _form_page(
    request: Request, choice: ImportChoice, *, error: str | None = None, status_code: int = 200
) -> Response:
    lang = page_lang(request)
    return render(request, "ledger/import.html", status_code=status_code, active="import",
                  w=_words(lang), choice=choice, layers=LAYERS, crs_choices=CRS_CHOICES,
                  modes=MODES, accept=",".join(ACCEPTED_SUFFIXES), error=error)


@router.get("/ledger/import")
def import_form(request: Request) -> Response:
    """Show the upload form (editors and admins)."""
    require_role(request, "editor")
    return _form_page(request, ImportChoice())


# -- preview ------------------------------------------------------------------------------


def _in_lang(reason: str, filename: str, lang: str) -> str:
    """Return a reason in the page's language, naming the person's file, not the staged copy."""
    text = reason if lang == "en" else reason_zh(reason)
    staged = _STAGED_NAME.match(text)  # messages name the file as Zonewatch saved it
    return filename + text[staged.end():] if staged else text


def _row_heading(staged: StagedUpload) -> str:
    fmt = detect_format(staged.path)
    return {"xlsx": "row_xlsx", "csv": "row_csv"}.get(fmt, "row_feature")


async def _dry_run(request: Request, upload: UploadFile, choice: ImportChoice,
                   caller: Caller) -> tuple[StagedUpload, ImportReport]:
    """Stage ``upload`` and check it with a dry run; the staging goes if the file is refused."""
    settings, store = get_settings(request), get_store(request)
    staged = await run_in_threadpool(partial(
        stage_upload, upload, limit_bytes=settings.max_upload_bytes, layer=choice.layer,
        crs=choice.crs, mode=choice.mode, actor=caller.actor))
    try:
        report = await run_in_threadpool(partial(
            import_file, store, staged.path, layer=choice.layer, crs=choice.crs,
            mode=choice.mode, dry_run=True, actor=caller.actor,
            max_unzipped_bytes=settings.max_unzipped_bytes))
    except BaseException:
        remove_staged(staged)
        raise
    return staged, report


@router.post("/ledger/import")
async def preview_import(request: Request) -> Response:
    """Stage the upload, check every row without writing, and show what an import would do."""
    check_declared_size(request, get_settings(request).max_upload_bytes)
    caller, form = await _editor_form(request)
    choice, lang = _choice(form), page_lang(request)
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _form_page(request, choice, error=_words(lang)["choose_file"], status_code=400)
    try:
        staged, report = await _dry_run(request, upload, choice, caller)
    except InputError as exc:  # the whole file is unreadable: say why on the form itself
        shown = _in_lang(str(exc), upload.filename, lang)
        return _form_page(request, choice, error=_words(lang)["file_refused"] + shown,
                          status_code=400)
    if report.rejected or not report.accepted:
        remove_staged(staged)  # nothing to confirm: all or nothing
    rejected = [{"row": r.row, "reason": _in_lang(r.reason, staged.filename, lang)}
                for r in report.rejected]
    return render(request, "ledger/import_preview.html", active="import", w=_words(lang),
                  state="preview", staged=staged, report=report, rejected=rejected,
                  row_heading=_row_heading(staged))


# -- confirmation -------------------------------------------------------------------------


def _unchanged(staged: StagedUpload) -> bool:
    try:
        return file_sha256(staged.path) == staged.sha256
    except OSError:  # gone counts as changed
        return False


async def _import_claimed(request: Request, claimed: StagedUpload, caller: Caller) -> ImportReport:
    settings = get_settings(request)
    mode: WriteMode = "upsert" if claimed.mode == "upsert" else "append"
    return await run_in_threadpool(partial(
        import_file, get_store(request), claimed.path, layer=claimed.layer, crs=claimed.crs,
        mode=mode, actor=caller.actor, max_unzipped_bytes=settings.max_unzipped_bytes))


@router.post("/ledger/import/{token}/confirm")
async def confirm_import(request: Request, token: str) -> Response:
    """Import the previewed file for real, if it is unchanged; 404 for a token not the caller's."""
    caller, _ = await _editor_form(request)
    claimed = claim_staged(find_staged(token, actor=caller.actor))
    try:
        same = await run_in_threadpool(_unchanged, claimed)
        report = await _import_claimed(request, claimed, caller) if same else None
    except BaseException:
        release_staged(claimed)  # e.g. an id taken meanwhile: the person may try again
        raise
    remove_staged(claimed)
    words = _words(page_lang(request))
    if report is None:
        return render(request, "ledger/import_preview.html", status_code=409, active="import",
                      w=words, state="changed", staged=claimed)
    return render(request, "ledger/import_preview.html", active="import", w=words,
                  state="done", staged=claimed, report=report, rejected=[])


# -- template -----------------------------------------------------------------------------

#: Headers the importer reads (geo.io.columns) and the example row, per layer.
_TEMPLATES: dict[str, tuple[tuple[str, Any], ...]] = {
    "sources": (("编号", ""), ("名称", "老王烧烤（示例）"), ("类别", "餐饮"), ("状态", "营业"),
                ("油烟净化器", "正常使用"), ("地址", "中原路 1 号"), ("街道", "林山寨街道"),
                ("社区", "示例社区"), ("网格", "1"), ("最近检查日期", dt.date(2026, 1, 15)),
                ("备注", "示例行：导入前请改成实际数据或删除"), ("经度", 113.6285),
                ("纬度", 34.748)),
    "stations": (("编号", ""), ("名称", "示例监测点"), ("级别", "市控"), ("半径（米）", 3000),
                 ("地址", "中原路 1 号"), ("经度", 113.6285), ("纬度", 34.748)),
}
#: Columns offered as a drop-down of the Chinese labels (header -> field).
_LISTS = {"类别": "category", "状态": "status", "油烟净化器": "fume_purifier", "级别": "level"}


def template_workbook(layer: str = "sources") -> bytes:
    """Return an XLSX workbook to fill in: Chinese headers the importer reads, one example row.

    Coded columns (类别, 状态 ...) offer their Chinese labels in a drop-down.

    Raises
    ------
    ValidationError
        For a layer without a template.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    if layer not in _TEMPLATES:
        raise ValidationError(f"layer must be one of {', '.join(_TEMPLATES)}; got {layer!r}",
                              field="layer")
    book = Workbook()
    sheet = book.active
    sheet.title = layer
    columns = _TEMPLATES[layer]
    sheet.append([header for header, _ in columns])
    sheet.append([value for _, value in columns])
    for index, (header, value) in enumerate(columns, start=1):
        letter = get_column_letter(index)
        sheet[f"{letter}1"].font = Font(bold=True)
        sheet.column_dimensions[letter].width = max(10, 2 * len(header) + 4, len(str(value)) + 4)
        if isinstance(value, str):
            sheet[f"{letter}2"].number_format = "@"  # text: grid 01 stays 01
        if header in _LISTS:
            labels = ",".join(CODE_LABELS["zh"][_LISTS[header]].values())
            rule = DataValidation(type="list", formula1=f'"{labels}"', allow_blank=True)
            rule.add(f"{letter}2:{letter}5000")
            sheet.add_data_validation(rule)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@router.get("/ledger/import/template.xlsx")
def import_template(request: Request, layer: str = "sources") -> Response:
    """Download the Excel template of ``layer`` (sources or stations)."""
    require_role(request, "editor")
    body = template_workbook(layer)
    name = f"zonewatch-import-{layer}.xlsx"
    return Response(body, media_type=_XLSX_TYPE,
                    headers={"content-disposition": f'attachment; filename="{name}"'})
