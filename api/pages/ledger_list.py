"""The ledger table (台账): filters, sortable columns, paging, and export of the selection.

``GET /ledger`` shows the sources a :class:`geo.selection.LedgerSelection`
picks; the same query with ``f=xlsx``, ``f=csv`` or ``f=geojson``
downloads exactly that selection, every page of it: the spreadsheets as
:func:`geo.ledger_table.labelled_table` (labelled headers and codes, whole
metres, local time, no WKT), GeoJSON with the stored codes and geometry
for GIS tools.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import urlencode

import geopandas as gpd
import pandas as pd
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api.deps import get_store
from api.html import page_lang, render
from api.pages.paging import PER_PAGE, PageNo, PerPage, check_format, page_of, per_page_param
from api.responses import export_response, stream_feature_collection
from geo.ledger import BUREAU_TZ, CATEGORIES, PURIFIER_STATES, STATUSES
from geo.ledger_table import TABLE_COLUMNS, labelled_table
from geo.selection import LedgerSelection, choices, select_sources

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

_EXPORTS = ("xlsx", "csv", "geojson")
# query parameters that are not filters of the selection
_PAGE_PARAMS = frozenset({"page", "per_page", "f", "lang"})
#: Columns of the table on screen (the export carries all of TABLE_COLUMNS).
SHOWN_COLUMNS = ("id", "name", "category", "status", "fume_purifier", "community", "grid",
                 "nearest_station_name", "distance_m", "priority", "last_inspected",
                 "updated_at")
_SORT_KEYS = {"nearest_station_name": "nearest_station"}


def _selection(request: Request) -> LedgerSelection:
    params = {k: v for k, v in request.query_params.items() if k not in _PAGE_PARAMS}
    return LedgerSelection.from_params(params)


def _export(frame: pd.DataFrame, fmt: str, lang: str) -> Response:
    stamp = dt.datetime.now(BUREAU_TZ).strftime("%Y%m%d-%H%M")
    name = f"ledger-{stamp}"
    if fmt == "geojson":
        columns = [c for c in TABLE_COLUMNS if c in frame.columns and c not in ("lon", "lat")]
        features = gpd.GeoDataFrame(frame[[*columns, "geometry"]], geometry="geometry",
                                    crs="EPSG:4326")
        response = stream_feature_collection(features)
        response.headers["content-disposition"] = f'attachment; filename="{name}.geojson"'
        return response
    sheet = "台账" if lang != "en" else "ledger"
    return export_response(labelled_table(frame, lang), fmt=fmt, name=name, sheet=sheet)


def _links(selection: LedgerSelection, per_page: int) -> dict[str, Any]:
    """Return the hrefs the template needs: exports, pages and sort headers."""
    base = selection.to_params()

    def href(**extra: Any) -> str:
        merged = {k: v for k, v in {**base, **extra}.items() if v is not None}
        return "/ledger" + ("?" + urlencode(merged) if merged else "")

    exports = {fmt: href(f=fmt) for fmt in _EXPORTS}
    sorts = {}
    for column in SHOWN_COLUMNS:
        key = _SORT_KEYS.get(column, column)
        again = selection.sort == key and not selection.descending
        sorts[column] = href(sort=key, descending="true" if again else None)
    sizes = per_page_param(per_page)
    return {"exports": exports, "sorts": sorts, "href": href, "per_page_param": sizes}


@router.get("/ledger")
def ledger_page(
    request: Request,
    page: PageNo = 1,
    per_page: PerPage = PER_PAGE,
    f: Annotated[str | None, Query(description="xlsx, csv or geojson: download")] = None,
) -> Response:
    """Show the sources of the selection in the query, or download them all with ``f=``."""
    check_format(f, _EXPORTS)
    store, lang = get_store(request), page_lang(request)
    selection = _selection(request)
    frame = select_sources(store, selection)
    if f in _EXPORTS:
        return _export(frame, f, lang)
    rows, page, pages = page_of(frame, page, per_page)
    return render(
        request, "ledger/list.html", active="ledger", selection=selection,
        filters=selection.to_params(), rows=rows.to_dict("records"), total=len(frame),
        page=page, pages=pages, per_page=per_page, columns=SHOWN_COLUMNS,
        links=_links(selection, per_page), options=_options(store),
        sort_keys=_SORT_KEYS)


def _options(store: Any) -> dict[str, Any]:
    """Return the choices of the filter form's drop-downs."""
    present = choices(store)
    stations = store.read("stations")
    return {
        "category": CATEGORIES, "status": STATUSES, "fume_purifier": PURIFIER_STATES,
        "community": present.get("community", []), "grid": present.get("grid", []),
        "station": [(str(s.id), str(s.name)) for s in stations.itertuples()],
    }
