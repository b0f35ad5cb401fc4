"""Pages for browsers of three API answers: a feature's history, a source's inspections, a round.

``/collections/{cid}/items/{fid}/history``, ``/collections/sources/items/{fid}/inspections``
and ``/campaigns/{round_no}`` answer JSON to programs; a browser (``f=html``,
or ``Accept`` naming HTML and no JSON: :func:`answer_format`) gets the page
built here from the same figures. The route modules stay thin: they fetch
what the JSON holds and hand it to :func:`history_page`,
:func:`source_inspections_page` or :func:`campaign_page`.

A page links another page only when the application has a route for it
(:func:`page_exists`), so links appear as the pages they lead to are added.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Annotated, Any
from urllib.parse import quote

import pandas as pd
from fastapi import Query, Request
from fastapi.responses import HTMLResponse
from starlette.routing import compile_path

from api.html import page_lang, render
from api.pages import rounds
from api.params import refuse_unknown_params
from api.responses import PAGE_FORMATS, pick_format
from api.schemas import enum_of
from geo.inspections.rounds import current_round
from geo.ledger import Feature
from geo.store.base import HistoryEntry, Store
from geo.timeline import timeline

__all__ = [
    "WORDS",
    "PageFormat",
    "answer_format",
    "campaign_page",
    "history_page",
    "item_href",
    "page_exists",
    "source_inspections_page",
    "words",
]

PageFormat = Annotated[str | None, Query(description="Response format: json or html.",
                                         json_schema_extra=enum_of(PAGE_FORMATS))]

#: Where each stored layer's own page of one feature is (when the application has it).
_ITEM_PAGES = {"sources": "/ledger/", "stations": "/stations/", "inspections": "/inspections/"}

#: The words of these pages: lang -> key -> text (``{name}`` fields filled by the template).
WORDS: dict[str, dict[str, str]] = {
    "zh": {
        "history_of": "{layer} {id} 的变更记录", "open_item": "打开{layer}页面",
        "deleted_note": "该{layer}已删除，变更记录仍然保留。",
        "inspections_of": "{name} 的检查记录", "newest_first": "按日期从新到旧排列。",
        "inspection_list": "在检查记录列表中查看", "source_history": "该污染源的变更记录",
        "campaign_title": "第 {n} 轮检查进度", "round_sheet": "检查表",
        "sources_checked": "已检查（{n}）", "sources_unchecked": "未检查（{n}）",
        "rounds_page": "检查轮次页面", "by_community": "各社区情况",
    },
    "en": {
        "history_of": "History of {layer} {id}", "open_item": "Open the {layer}'s page",
        "deleted_note": "This {layer} was deleted; its history is kept.",
        "inspections_of": "Inspections of {name}", "newest_first": "Newest first.",
        "inspection_list": "See them in the inspections list",
        "source_history": "History of this source",
        "campaign_title": "Progress of round {n}", "round_sheet": "Round sheet",
        "sources_checked": "Checked ({n})", "sources_unchecked": "Not checked ({n})",
        "rounds_page": "Inspection rounds page", "by_community": "Community by community",
    },
}


def words(lang: str) -> dict[str, str]:
    """Return the words of these pages in ``lang``, with the round pages' words too.

    Examples
    --------
    >>> words("en")["round_sheet"], words("zh")["unchecked"]
    ('Round sheet', '未检查')
    """
    return {**rounds.words(lang), **WORDS["en" if lang == "en" else "zh"]}


def answer_format(request: Request, f: str | None) -> str:
    """Return ``json`` or ``html`` for a record route; refuse parameters it does not take.

    ``f=`` decides, else ``Accept`` (which then varies the answer). An HTML
    page also takes ``lang=``; JSON takes no parameter but ``f``.

    Raises
    ------
    InputError
        ``f`` is neither ``json`` nor ``html``, or an unknown parameter is given.
    """
    fmt = pick_format(request, f, allowed=PAGE_FORMATS)
    refuse_unknown_params(request, {"f", "lang"} if fmt == "html" else {"f"})
    return fmt


def page_exists(request: Request, path: str) -> bool:
    """Return whether some GET route of the application answers ``path`` (a concrete path).

    Unlike the templates' ``has_route`` (a path template), this takes the
    link itself, so it holds whatever a route names its parameters.
    """
    patterns = getattr(request.app.state, "page_patterns", None)
    if patterns is None:
        patterns = request.app.state.page_patterns = tuple(
            compile_path(template)[0] for template in set(_get_paths(request.app.router.routes)))
    return any(pattern.match(path) for pattern in patterns)


def _get_paths(routes: Iterable[Any]) -> Iterator[str]:
    """Yield the path templates of GET routes, inside included routers too."""
    for route in routes:
        path, methods = getattr(route, "path", None), getattr(route, "methods", None)
        if isinstance(path, str) and methods and "GET" in methods:
            yield path
        inner = getattr(route, "original_router", None) or getattr(route, "router", None)
        if inner is not None and inner is not route:
            yield from _get_paths(getattr(inner, "routes", ()))


def item_href(request: Request, layer: str, fid: str) -> str | None:
    """Return the link to a feature's own page, or None when the application has no such page."""
    prefix = _ITEM_PAGES.get(layer)
    if prefix is None:
        return None
    href = prefix + quote(fid, safe="")
    return href if page_exists(request, href) else None


def _last_properties(entries: list[HistoryEntry]) -> dict[str, Any]:
    """Return the properties as they last stood (before the delete, for a deleted feature)."""
    last = entries[-1]
    state = last.before if last.operation == "delete" else last.after
    props = (state or {}).get("properties")
    return dict(props) if isinstance(props, dict) else {}


def history_page(request: Request, *, collection_id: str, layer: str, fid: str,
                 entries: list[HistoryEntry]) -> HTMLResponse:
    """Render a feature's history (``entries``, oldest first, at least one) as a page.

    The steps are newest first; the feature's page is linked unless it was
    deleted or the application has no page for its layer.
    """
    deleted = entries[-1].operation == "delete"
    name = _last_properties(entries).get("name")
    return render(
        request, "history.html", active="ledger" if layer == "sources" else None,
        w=words(page_lang(request)), collection_id=collection_id, layer=layer, fid=fid,
        name=name if isinstance(name, str) and name else None, deleted=deleted,
        item_href=None if deleted else item_href(request, layer, fid),
        steps=timeline(entries))


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts with None for missing values (NaN, NaT, NA), whatever the store."""
    if not len(frame):
        return []
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    for row in rows:
        if row.get("date") is not None:
            row["date"] = str(row["date"])[:10]
        if isinstance(row.get("round"), float):
            row["round"] = int(row["round"])
    return rows


def source_inspections_page(request: Request, *, source: Feature,
                            inspections: pd.DataFrame) -> HTMLResponse:
    """Render a source's inspections, newest first (by date, then id), as a page."""
    ordered = inspections.astype({"date": str}).sort_values(["date", "id"], ascending=False) \
        if len(inspections) else inspections
    fid = str(source.id)
    return render(
        request, "inspections/of_source.html", active="ledger", w=words(page_lang(request)),
        source=source, source_href=item_href(request, "sources", fid),
        list_href="/inspections?source_id=" + quote(fid, safe=""),
        history_href=f"/collections/sources/items/{quote(fid, safe='')}/history",
        inspections=_records(ordered))


def _source_names(store: Store, progress: dict[str, Any]) -> dict[str, str]:
    ids = [fid for c in progress["communities"] for fid in (*c["checked"], *c["unchecked"])]
    if not ids:
        return {}
    frame = store.read("sources")
    return {str(k): str(v) for k, v in zip(frame["id"], frame["name"], strict=True)}


def _community_rows(request: Request, progress: dict[str, Any],
                    names: dict[str, str]) -> list[dict[str, Any]]:
    """Each community of the progress with its figures, sources and links."""
    sheets = page_exists(request, rounds.community_href("x", round_no=1))
    rows = []
    for c in progress["communities"]:
        rows.append({
            "community": c["community"],
            "due": len(c["checked"]) + len(c["unchecked"]),
            "checked": [(fid, names.get(fid, fid), item_href(request, "sources", fid))
                        for fid in c["checked"]],
            "unchecked": [(fid, names.get(fid, fid), item_href(request, "sources", fid))
                          for fid in c["unchecked"]],
            "sheet_href": rounds.community_href(c["community"], round_no=progress["round"])
            if sheets else None,
        })
    return rows


def campaign_page(request: Request, *, store: Store, progress: dict[str, Any]) -> HTMLResponse:
    """Render a round's progress (:func:`geo.inspections.campaign_progress`'s answer) as a page.

    Besides the figures, it links each source, each community's round sheet
    and the other rounds (1 up to the current one, or this one if later).
    """
    round_no = int(progress["round"])
    latest = max(current_round(store.read("inspections")), round_no)
    due = int(progress["checked"]) + int(progress["unchecked"])
    return render(
        request, "campaign.html", active="rounds", w=words(page_lang(request)),
        progress=progress, due=due, rounds=range(1, latest + 1),
        communities=_community_rows(request, progress, _source_names(store, progress)),
        rounds_href=f"/rounds?round={round_no}" if page_exists(request, "/rounds") else None)
