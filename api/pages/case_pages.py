"""One case's page: where it stands, its whole timeline, and the next step the role may take.

``GET /cases/{id}`` shows the case: type and time limit, status, place,
unit, deadline with the time left (or past), rework count, then every step
of its timeline (who, when in Beijing time, what, notes, unit, the
verification's outcome, the step's photos) and, for the signed-in role,
one form per action :func:`geo.cases.allowed_actions` allows. Viewers see
no forms.

Each form posts to ``POST /cases/{id}/act`` with the action, the case
version it was opened at and the CSRF token. A version that is no longer
the stored one answers 409 with who acted since and when, and nothing is
changed; an action the role may not take answers 403, one the case's
state does not allow 409, a missing reason, unit or outcome 422 with the
message beside that form. Success goes back to the case (303).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.auth import Caller, require_role
from api.deps import get_settings, get_store
from api.html import page_lang, render
from api.pages.case_report import read_photos
from api.pages.case_words import beijing, time_left, words
from api.pages.record_forms import parse_version
from api.pages.record_pages import page_exists
from api.sessions import checked_form, signed_in
from geo.cases import (
    ACTIONS,
    NotAllowedError,
    TransitionError,
    act_on_case,
    allowed_actions,
    case_state,
    stored_types,
    timeline,
)
from geo.cases.machine import Step
from geo.errors import InputError, ValidationError, VersionMismatchError
from geo.forms import FormErrors
from geo.ledger import Feature
from geo.photos import MAX_PHOTOS, CleanPhoto, clean_photo
from geo.store.base import Store
from geo.tokens import role_allows

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

#: What each action's form must carry (checked here so the message is the page's words).
_NEEDS = {"reject": ("notes", "need_reason"), "dispatch": ("unit", "need_unit"),
          "verify": ("passed", "need_passed")}
#: The actions whose form takes photos (the handled site, the re-check).
PHOTO_ACTIONS = ("handle", "verify")


def case_href(fid: str) -> str:
    """Return the path of case ``fid``'s page."""
    return "/cases/" + quote(fid, safe="")


def _role(request: Request) -> str | None:
    found = signed_in(request)
    return found[0].role if found else None


def _step_row(step: Step, lang: str) -> dict[str, Any]:
    """One timeline step as the page shows it."""
    w = words(lang)
    what = w.get(f"action_{step.action}", step.action)
    if step.action == "verify" and step.passed is not None:
        what = w["passed" if step.passed else "failed"]
    return {"action": step.action, "what": what, "who": step.actor, "when": beijing(step.at),
            "notes": step.notes, "unit": step.unit, "passed": step.passed,
            "status_code": step.status, "photos": step.photos}


def _details(store: Store, feature: Feature, now: dt.datetime, lang: str) -> dict[str, Any]:
    """Return the case's figures as the page shows them: type, limit, times, time left."""
    p, w = feature.properties, words(lang)
    types = stored_types(store)
    kind = types.get(str(p.get("event_type")))
    state = case_state(feature)
    left, late = ("", False)
    if state.is_open:
        left, late = time_left(p.get("deadline"), now, lang)
        left = left or w["no_deadline"]
    elif state.closed_on_time is not None:
        left, late = w["on_time" if state.closed_on_time else "late"], not state.closed_on_time
    return {"type": (kind.name_en if lang == "en" else kind.name_zh) if kind
            else str(p.get("event_type")), "limit_h": kind.limit_h if kind else None,
            "reported": beijing(p.get("reported_at")),
            "dispatched": beijing(p.get("dispatched_at")),
            "deadline": beijing(p.get("deadline")), "closed": beijing(p.get("closed_at")),
            "left": left, "late": late, "overdue": state.is_overdue(now), "state": state}


def _units(store: Store) -> list[str]:
    cases = store.read("cases")
    return sorted({u for u in cases["unit"] if isinstance(u, str) and u.strip()}) \
        if len(cases) else []


def case_page(request: Request, feature: Feature, *, status_code: int = 200,
              message: str | None = None, failed: str | None = None,
              values: Mapping[str, str] | None = None,
              conflict: list[dict[str, str]] | None = None, done: str | None = None) -> Response:
    """Render case ``feature``'s page, optionally with a refusal ``message`` or a conflict.

    ``failed`` names the action whose form the message belongs to (its
    typed ``values`` are shown again); ``conflict`` lists the steps taken
    since the version the person acted on.
    """
    store, lang = get_store(request), page_lang(request)
    fid, role = str(feature.id), _role(request)
    details = _details(store, feature, dt.datetime.now(dt.UTC), lang)
    steps = timeline(store, fid)
    keys = [s.photos for s in steps if s.photos]
    source_id = feature.properties.get("source_id")
    return render(
        request, "case_item.html", status_code=status_code, active="cases", w=words(lang),
        feature=feature, d=details, steps=[_step_row(s, lang) for s in steps],
        photos=store.photos.of_inspections(keys) if keys else {},
        actions=allowed_actions(details["state"], role)
        if role and role_allows(role, "editor") else [],
        role=role, units=_units(store), message=message, failed=failed,
        values=dict(values or {}), conflict=conflict, done=done, photo_actions=PHOTO_ACTIONS,
        max_photos=MAX_PHOTOS, source_href=page_exists(request, "/ledger/x") and source_id
        and "/ledger/" + quote(str(source_id), safe=""))


@router.get("/cases/{fid}")
def show_case(request: Request, fid: str, done: str | None = None) -> Response:
    """Show everything about one case and the actions the signed-in role may take."""
    feature = get_store(request).get("cases", fid)
    return case_page(request, feature, done=done if done in ACTIONS else None)


def _steps_since(store: Store, fid: str, version: int, lang: str) -> list[dict[str, str]]:
    """Return the steps stored after ``version``: who took which action, when (Beijing)."""
    w, steps = words(lang), []
    for entry in store.history("cases", fid):
        p = (entry.after or {}).get("properties") or {}
        if int(p.get("version") or 0) > version and p.get("last_action"):
            action = str(p["last_action"])
            steps.append({"who": str(p.get("last_actor") or entry.actor),
                          "when": beijing(p.get("last_at") or entry.at),
                          "action": w.get(f"action_{action}", action)})
    return steps


def _passed(text: str) -> bool | None:
    return {"true": True, "false": False}.get(text.strip().lower())


@router.post("/cases/{fid}/act")
async def act(request: Request, fid: str) -> Response:
    """Take the posted action on the case at the version posted; back to the case (303)."""
    form = await checked_form(request)
    caller = require_role(request, "editor")
    values = {k: str(form.get(k) or "") for k in ("action", "version", "unit", "notes",
                                                   "passed")}
    try:
        photos = await read_photos(form, get_settings(request).photo_max_bytes)
    except FormErrors as exc:
        message = exc.errors["photos"]
        feature = await run_in_threadpool(get_store(request).get, "cases", fid)
        return await run_in_threadpool(
            lambda: case_page(request, feature, status_code=422, failed=values["action"],
                              values=values, message=message))
    return await run_in_threadpool(_act, request, caller, fid, values, photos)


def _action_name(lang: str, action: str) -> str:
    """Return an action's name in ``lang`` (the code itself when unknown)."""
    return words(lang).get(f"action_{action}", action)


def _refusal(lang: str, action: str, role: str, exc: Exception,
             feature: Feature) -> tuple[int, str]:
    """Return the status and message of an action the machine refused."""
    w, name = words(lang), _action_name(lang, action)
    if isinstance(exc, NotAllowedError):
        return 403, w["not_allowed"].format(role=role, action=name)
    if isinstance(exc, TransitionError):
        status = str(feature.properties.get("status"))
        return 409, w["wrong_state"].format(status=w.get(f"status_{status}", status),
                                            action=name)
    return 422, str(exc)


def _act(request: Request, caller: Caller, fid: str, values: dict[str, str],
         photos: list[tuple[str, bytes]]) -> Response:
    store, lang = get_store(request), page_lang(request)
    feature, action = store.get("cases", fid), values["action"].strip()
    version = parse_version(values["version"])
    if version is None:
        return case_page(request, feature, status_code=422, failed=action, values=values,
                         message=words(lang)["need_version"])
    if version != feature.version:
        return _conflict(request, store, feature, version, action, values)
    need = _NEEDS.get(action)
    if need and not (_passed(values["passed"]) is not None if need[0] == "passed"
                     else values[need[0]].strip()):
        return case_page(request, feature, status_code=422, failed=action, values=values,
                         message=words(lang)[need[1]])
    try:
        limit = get_settings(request).photo_max_bytes
        cleaned: list[CleanPhoto] = [clean_photo(data, name=name, max_bytes=limit)
                                     for name, data in photos]
        act_on_case(store, fid, action, actor=caller.actor, role=caller.role,
                    expected_version=version, types=stored_types(store),
                    unit=values["unit"].strip() or None, passed=_passed(values["passed"]),
                    notes=values["notes"].strip() or None, photos=cleaned)
    except VersionMismatchError:
        return _conflict(request, store, store.get("cases", fid), version, action, values)
    except (NotAllowedError, TransitionError, InputError, ValidationError) as exc:
        status, message = _refusal(lang, action, caller.role, exc, feature)
        return case_page(request, feature, status_code=status, failed=action, values=values,
                         message=message)
    return RedirectResponse(f"{case_href(fid)}?done={quote(action)}#timeline", status_code=303)


def _conflict(request: Request, store: Store, feature: Feature, version: int, action: str,
              values: Mapping[str, str]) -> Response:
    """Answer 409: the case as it stands now, who acted since ``version``, nothing changed."""
    lang, p = page_lang(request), feature.properties
    since = _steps_since(store, str(feature.id), version, lang) or [
        {"who": str(p.get("last_actor") or ""), "when": beijing(p.get("last_at")),
         "action": _action_name(lang, str(p.get("last_action") or ""))}]
    return case_page(request, feature, status_code=409, failed=action, values=values,
                     conflict=since)
