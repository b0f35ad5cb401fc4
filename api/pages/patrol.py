"""The night patrol page: the sources around the officer's phone, one tap to record a find.

``GET /patrol`` without a position shows a large "locate me" button (a few
lines of inline script asking the phone's GPS, which fill the form and send
it) and the form to type or paste coordinates, which works without script.
With ``lon``/``lat`` (or pasted ``coords``) and ``crs`` (any coordinate
label; ``wgs84`` for a phone's GPS) it lists the nearest sources
(:func:`geo.patrol.sources_near`): distance in whole metres, category,
status, last inspection, open priority targets marked. Editors get one
large button per open source, ``POST /patrol/{id}/shut`` (an inspection
today, result ``closed_down``, which closes the source), and one for a new
open-air barbecue stall where they stand, ``POST /patrol/new-stall`` (the
source and its inspection in one transaction; a stall still trading also
opens a case in that transaction unless the officer unticks it), and one
to report a case at a source, ``POST /patrol/{id}/case``. All return to the same list
(303) with a confirmation line. The list is cut at ``limit`` (50 by default,
at most 200) with a "more" link, so the page stays small on a slow link.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.auth import Caller, require_role
from api.deps import get_store
from api.html import page_lang, render
from api.sessions import checked_form
from geo import writes
from geo.cases import case_at_source
from geo.errors import NotFoundError, ValidationError
from geo.forms import FormErrors, source_from_form
from geo.inspections.rounds import current_round
from geo.ledger import SOURCES, Feature, bureau_today
from geo.patrol import DEFAULT_LIMIT, MAX_LIMIT, Position, patrol_position, sources_near
from geo.store.base import Store
from geo.store.records import new_id

__all__ = ["DEFAULT_STALL_NAME", "WORDS", "router", "words"]

router = APIRouter(include_in_schema=False)

#: Coordinate labels the typed-position form offers (a phone's GPS first).
POSITION_LABELS = ("wgs84", "gcj02", "bd09", "cgcs2000")
#: What a new stall's officer may record: still trading, or shut on the spot.
STALL_RESULTS = ("violation", "closed_down")
#: The name a new stall gets when the officer types none (stored text: the bureau's language).
DEFAULT_STALL_NAME = "露天烧烤摊点（巡查发现）"
_DONE = ("shut", "new", "already", "case")
#: What the officer saw, as the case's description when they typed nothing.
_CASE_SEEN = {"stall": "巡查发现露天烧烤摊点仍在经营", "source": "巡查发现问题"}
_MORE_STEP = 50
LimitParam = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="how many to list")]

#: The words of the patrol page: lang -> key -> text (``{name}`` fields filled by the template).
WORDS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "夜间巡查", "locate": "定位我的位置", "relocate": "重新定位",
        "locating": "正在定位…", "locate_failed": "无法获取位置，请允许定位，或在下方输入坐标。",
        "type_position": "输入或粘贴坐标", "show": "查看附近污染源", "here": "当前位置：",
        "within": "{r} 米内共 {n} 个污染源，由近到远", "shown": "显示最近 {n} 个",
        "more": "更多", "none_near": "{r} 米内没有污染源。", "metres": "米",
        "last": "最近检查：", "never": "尚无检查记录", "priority": "重点",
        "priority_hint": "监测点半径内、未关停", "recheck": "已关停待复查",
        "shut": "现场取缔（已关停）", "new_stall": "此处发现新摊点",
        "stall_open": "仍在经营（登记违规）", "stall_closed": "已当场取缔",
        "stall_details": "填写名称、备注（可选）",
        "done_shut": "已登记：{name} 现场取缔，状态已改为已关停。",
        "done_new": "已登记新摊点：{name}，{result}。",
        "done_already": "{name} 已是关停状态，未重复登记。",
        "read_only": "当前账号只能查看；登记取缔或新摊点需要编辑权限。",
        "sign_in_to_record": "登录后可登记取缔或新摊点。",
        "stall_notes": "现场情况", "fix": "请修改标红的栏目。",
        "open_case": "仍在经营时同时上报案件（派遣处置）", "report_case": "上报案件",
        "done_case": "已上报案件 {case}：{name}。", "open_case_page": "查看案件",
    },
    "en": {
        "title": "Night patrol", "locate": "Locate me", "relocate": "Locate me again",
        "locating": "Locating…",
        "locate_failed": "Could not get the position: allow location, or type it below.",
        "type_position": "Type or paste coordinates", "show": "Show sources nearby",
        "here": "Position: ", "within": "{n} sources within {r} m, nearest first",
        "shown": "the nearest {n} shown", "more": "More", "none_near": "No source within {r} m.",
        "metres": "m", "last": "Last inspection: ", "never": "never inspected",
        "priority": "Priority", "priority_hint": "inside a station's radius, not closed",
        "recheck": "closed, to re-check", "shut": "Shut down on the spot (closed)",
        "new_stall": "New stall here", "stall_open": "still trading (violation)",
        "stall_closed": "shut down on the spot", "stall_details": "Name, notes (optional)",
        "done_shut": "Recorded: {name} shut down on the spot; its status is now closed.",
        "done_new": "New stall recorded: {name}, {result}.",
        "done_already": "{name} is already closed; nothing recorded again.",
        "read_only": "This account may only look; recording needs an editor.",
        "sign_in_to_record": "Sign in to record shut-downs and new stalls.",
        "stall_notes": "What was seen", "fix": "Fix the fields marked in red.",
        "open_case": "When still trading, also report a case (to be dispatched)",
        "report_case": "Report a case", "done_case": "Case {case} reported: {name}.",
        "open_case_page": "Open the case",
    },
}


def words(lang: str) -> dict[str, str]:
    """Return the patrol page's words in ``lang`` (Chinese unless ``en``).

    Examples
    --------
    >>> words("en")["new_stall"], words("zh")["new_stall"]
    ('New stall here', '此处发现新摊点')
    """
    return WORDS["en" if lang == "en" else "zh"]


def _patrol_href(position: Position | None, limit: int, **extra: str) -> str:
    """Return the link to the list at ``position`` (the typed values), with ``extra``."""
    query = {**(position.params() if position else {}),
             **({"limit": str(limit)} if limit != DEFAULT_LIMIT else {}), **extra}
    return "/patrol" + ("?" + urlencode(query) if query else "")


def _notice(store: Store, done: str | None, sid: str | None,
            case: str | None = None) -> dict[str, str] | None:
    """Return the confirmation line's kind, the source it names and a case opened with it."""
    if done not in _DONE or not sid:
        return None
    try:
        source = store.get("sources", sid)
        opened = store.get("cases", case).id if case else None
    except NotFoundError:
        return None
    name = str(source.properties.get("name") or sid)
    return {"kind": done, "id": sid, "name": name, "case": opened or "",
            "result": "closed_down" if source.properties.get("status") == "closed"
            else "violation"}


def _page(request: Request, position: Position | None, *, limit: int,
          values: Mapping[str, str], errors: Mapping[str, str] | None = None,
          notice: dict[str, str] | None = None, status_code: int = 200) -> Response:
    """Render the patrol page: the position form, and the list when there is a position."""
    store = get_store(request)
    nearby = sources_near(store, position.lon, position.lat, limit=limit) if position else None
    more = None
    if nearby is not None and nearby.total > len(nearby.sources) and limit < MAX_LIMIT:
        more = _patrol_href(position, min(limit + _MORE_STEP, MAX_LIMIT))
    return render(request, "patrol/index.html", status_code=status_code, active="patrol",
                  w=words(page_lang(request)), position=position, nearby=nearby, limit=limit,
                  more=more, values=dict(values), errors=dict(errors or {}), notice=notice,
                  labels=POSITION_LABELS, default_name=DEFAULT_STALL_NAME,
                  default_limit=DEFAULT_LIMIT)


def _position_values(fields: Mapping[str, Any]) -> dict[str, str]:
    return {k: str(fields.get(k) or "") for k in ("coords", "lon", "lat", "crs")}


@router.get("/patrol")
def patrol_page(request: Request, limit: LimitParam = DEFAULT_LIMIT,
                done: str | None = None, sid: str | None = None,
                case: str | None = None) -> Response:
    """Show the sources around a position, nearest first; without one, how to give it."""
    values = _position_values(request.query_params)
    try:
        position = patrol_position(values)
    except FormErrors as exc:
        return _page(request, None, limit=limit, values=values, errors=exc.errors,
                     status_code=422)
    return _page(request, position, limit=limit, values=values,
                 notice=_notice(get_store(request), done, sid, case))


def _limit_of(form: Mapping[str, Any]) -> int:
    text = str(form.get("limit") or "").strip()
    return int(text) if text.isdigit() and 1 <= int(text) <= MAX_LIMIT else DEFAULT_LIMIT


def _today_inspection(store: Store, caller: Caller, result: str) -> dict[str, object]:
    """Return an inspection recorded now: today (Beijing), the current round, by the caller."""
    return {"date": bureau_today().isoformat(), "result": result, "inspector": caller.name,
            "round": current_round(store.read("inspections"))}


async def _patrol_post(request: Request) -> tuple[Caller, Position | None, int]:
    """Return who posts one of the list's buttons (an editor, CSRF checked), where, how many."""
    form = await checked_form(request)
    caller = require_role(request, "editor")
    return caller, patrol_position(_position_values(form)), _limit_of(form)


@router.post("/patrol/{fid}/shut")
async def shut_source(request: Request, fid: str) -> Response:
    """Record that the source was found operating and shut down; back to the same list."""
    caller, position, limit = await _patrol_post(request)

    def shut() -> Response:
        store = get_store(request)
        source = store.get("sources", fid)
        if source.properties.get("status") == "closed":  # someone shut it in the meantime
            return RedirectResponse(_patrol_href(position, limit, done="already", sid=fid), 303)
        visit = {**_today_inspection(store, caller, "closed_down"), "source_id": fid}
        writes.record_inspection(store, Feature(None, visit), actor=caller.actor)
        return RedirectResponse(_patrol_href(position, limit, done="shut", sid=fid), 303)

    return await run_in_threadpool(shut)


@router.post("/patrol/new-stall")
async def new_stall(request: Request) -> Response:
    """Record an open-air barbecue stall where the officer stands, with its inspection."""
    form = await checked_form(request)
    caller = require_role(request, "editor")
    values = {**_position_values(form),
              **{k: str(form.get(k) or "").strip()
                 for k in ("name", "notes", "result", "open_case")}}
    return await run_in_threadpool(_record_stall, request, caller, values, _limit_of(form))


def _record_stall(request: Request, caller: Caller, values: dict[str, str],
                  limit: int) -> Response:
    store = get_store(request)
    try:
        position = patrol_position(values)
    except FormErrors as exc:
        return _page(request, None, limit=limit, values=values, errors=exc.errors,
                     status_code=422)
    try:
        stall = _stall_source(values, position)
        if values["result"] not in STALL_RESULTS:
            raise FormErrors({"result": f"result must be one of {', '.join(STALL_RESULTS)}"})
        case = _stall_case(store, caller, stall, values)
        stored = writes.create_with_inspection(
            store, stall, {**_today_inspection(store, caller, values["result"]),
                           "notes": values["notes"] or None}, actor=caller.actor,
            also=[("cases", case)] if case else ())
    except FormErrors as exc:
        return _page(request, position, limit=limit, values=values, errors=exc.errors,
                     status_code=422)
    except ValidationError as exc:
        field = exc.field if exc.field in ("name", "notes") else "name"
        return _page(request, position, limit=limit, values=values, status_code=422,
                     errors={field: str(exc)})
    extra = {"case": str(case.id)} if case else {}
    return RedirectResponse(_patrol_href(position, limit, done="new", sid=str(stored.id),
                                         **extra), 303)


def _stall_case(store: Store, caller: Caller, stall: Feature,
                values: Mapping[str, str]) -> Feature | None:
    """Return the case a stall still trading opens when the officer asked for one, else None.

    The stall has its id already (:func:`_stall_source`), so the case can
    name it: both are stored in one transaction with the stall's inspection.
    """
    if values["result"] != "violation" or not values.get("open_case"):
        return None
    return case_at_source(store, stall, actor=caller.actor, channel="patrol",
                          description=values.get("notes") or _CASE_SEEN["stall"])


@router.post("/patrol/{fid}/case")
async def report_source_case(request: Request, fid: str) -> Response:
    """Report a case at a source found with a problem; back to the same list, the case named."""
    caller, position, limit = await _patrol_post(request)

    def report() -> Response:
        store = get_store(request)
        source = store.get("sources", fid)
        case = case_at_source(store, source, actor=caller.actor, channel="patrol",
                              description=_CASE_SEEN["source"])
        stored = writes.create(store, "cases", case, actor=caller.actor)
        return RedirectResponse(_patrol_href(position, limit, done="case", sid=fid,
                                             case=str(stored.id)), 303)

    return await run_in_threadpool(report)


def _stall_source(values: Mapping[str, str], position: Position | None) -> Feature:
    """Return the new stall as a source at the position, as the ledger's forms make one."""
    if position is None:
        raise FormErrors({"coords": "type or paste the place's coordinates"})
    fields = {"name": values["name"] or DEFAULT_STALL_NAME, "category": "bbq",
              "status": "operating", **position.params()}
    properties, geometry = source_from_form(fields)
    return Feature(new_id(SOURCES), properties, geometry)  # an id now: a case may name it
