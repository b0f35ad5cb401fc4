"""The inspection list (检查记录) and one inspection's page, for staff; read-only.

``GET /inspections`` shows the inspections a
:class:`geo.inspection_selection.InspectionSelection` picks (filters as
query parameters, sortable headers, 50 a page); the same query with
``f=xlsx`` or ``f=csv`` downloads exactly that selection, every page of it,
as :func:`geo.ledger_table.labelled_inspections` (labelled headers and
codes, local time). ``GET /inspections/{iid}`` shows one inspection: its
fields, its source, its photos and its history.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import urlencode

import pandas as pd
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api.deps import get_store
from api.html import page_lang, render
from api.pages.paging import PER_PAGE, PageNo, PerPage, check_format, page_of, per_page_param
from api.responses import export_response
from geo.inspection_selection import (
    SORT_COLUMNS,
    InspectionSelection,
    inspection_choices,
    select_inspections,
)
from geo.ledger import BUREAU_TZ, INSPECTION_RESULTS
from geo.ledger_table import labelled_inspections
from geo.store.base import Query as StoreQuery
from geo.timeline import timeline

__all__ = ["WORDS", "router", "words"]

router = APIRouter(include_in_schema=False)

_EXPORTS = ("xlsx", "csv")
# query parameters that are not filters of the selection
_PAGE_PARAMS = frozenset({"page", "per_page", "f", "lang"})
#: Columns of the list on screen (the export carries every column of the selection).
SHOWN_COLUMNS = ("date", "round", "result", "source_name", "category", "community", "grid",
                 "inspector", "fume_purifier", "notes", "photos", "id")

#: The words of these pages: lang -> key -> text (``{name}`` fields filled by the template).
WORDS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "检查记录", "results": "共 {n} 条", "none": "没有符合条件的检查记录。",
        "date_from": "起始日期", "date_to": "截止日期", "source": "污染源",
        "search_hint": "污染源名称、编号、备注或检查人", "id": "检查编号",
        "source_name": "污染源名称", "photos": "照片", "purifier_seen": "净化器（现场）",
        "inspection_n": "检查记录 {id}", "no_photos": "无现场照片。",
        "source_gone": "该污染源已不在台账中（已删除）。", "all": "全部检查记录",
        "of_source": "该污染源的全部检查", "no_history": "暂无变更记录。",
    },
    "en": {
        "title": "Inspections", "results": "{n} inspections", "none": "No inspection matches.",
        "date_from": "From", "date_to": "To", "source": "Source",
        "search_hint": "source name or ID, notes, inspector", "id": "Inspection ID",
        "source_name": "Source", "photos": "Photos", "purifier_seen": "Purifier (as seen)",
        "inspection_n": "Inspection {id}", "no_photos": "No photos.",
        "source_gone": "This source is no longer in the ledger (deleted).",
        "all": "All inspections", "of_source": "All inspections of this source",
        "no_history": "No changes recorded yet.",
    },
}


def words(lang: str) -> dict[str, str]:
    """Return the words of these pages in ``lang`` (Chinese unless ``en``).

    Examples
    --------
    >>> words("en")["title"], words("zh")["title"]
    ('Inspections', '检查记录')
    """
    return WORDS["en" if lang == "en" else "zh"]


def _selection(request: Request) -> InspectionSelection:
    params = {k: v for k, v in request.query_params.items() if k not in _PAGE_PARAMS}
    return InspectionSelection.from_params(params)


def _export(frame: pd.DataFrame, fmt: str, lang: str) -> Response:
    stamp = dt.datetime.now(BUREAU_TZ).strftime("%Y%m%d-%H%M")
    sheet = "检查记录" if lang != "en" else "inspections"
    return export_response(labelled_inspections(frame, lang), fmt=fmt,
                           name=f"inspections-{stamp}", sheet=sheet)


def _links(selection: InspectionSelection, per_page: int) -> dict[str, Any]:
    """Return the hrefs the template needs: exports, pages and sort headers."""
    base = selection.to_params()

    def href(**extra: Any) -> str:
        merged = {k: v for k, v in {**base, **extra}.items() if v is not None}
        return "/inspections" + ("?" + urlencode(merged) if merged else "")

    sorts = {}
    for column in SORT_COLUMNS:
        # the sorted column turns round; another starts in its natural direction
        flip = "false" if selection.descending else "true"
        sorts[column] = href(sort=column, descending=flip if selection.sort == column else None)
    return {"exports": {fmt: href(f=fmt) for fmt in _EXPORTS}, "sorts": sorts, "href": href,
            "per_page_param": per_page_param(per_page)}


@router.get("/inspections")
def inspection_list(
    request: Request,
    page: PageNo = 1,
    per_page: PerPage = PER_PAGE,
    f: Annotated[str | None, Query(description="xlsx or csv: download")] = None,
) -> Response:
    """Show the inspections of the selection in the query, or download them all with ``f=``."""
    check_format(f, _EXPORTS)
    store, lang = get_store(request), page_lang(request)
    selection = _selection(request)
    frame = select_inspections(store, selection)
    if f in _EXPORTS:
        return _export(frame, f, lang)
    rows, page, pages = page_of(frame, page, per_page)
    return render(
        request, "inspections/list.html", active="ledger", w=words(lang), selection=selection,
        filters=selection.to_params(), rows=rows.to_dict("records"), total=len(frame),
        page=page, pages=pages, per_page=per_page, columns=SHOWN_COLUMNS,
        sortable=SORT_COLUMNS, links=_links(selection, per_page),
        options={**inspection_choices(store), "result": INSPECTION_RESULTS})


@router.get("/inspections/{iid}")
def inspection_page(request: Request, iid: str) -> Response:
    """Show one inspection: its fields, its source, its photos and its history."""
    store = get_store(request)
    inspection = store.get("inspections", iid)
    source_id = str(inspection.properties.get("source_id") or "")
    found = store.read("sources", query=StoreQuery(ids=(source_id,))) if source_id else None
    source = found.iloc[0].to_dict() if found is not None and len(found) else None
    photos = store.photos.of_inspections([iid]).get(iid, [])
    return render(
        request, "inspections/item.html", active="ledger", w=words(page_lang(request)),
        inspection=inspection, source=source, source_id=source_id, photos=photos,
        steps=timeline(store.history("inspections", iid)))
