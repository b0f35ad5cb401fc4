"""Sign-in, sign-out and the language switch: the pages a person meets first.

``POST /login`` checks the password with :func:`geo.accounts.sign_in`
(lockout after repeated failures, per account and per address), closes any
session the browser already had and opens a new one, so a session id known
before sign-in is worth nothing after it.
"""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.deps import get_settings, get_store
from api.html import LANG_COOKIE, page_lang, render
from api.page_words import word
from api.sessions import (
    SESSION_COOKIE,
    checked_form,
    forget_session_cookie,
    set_session_cookie,
    signed_in,
)
from geo.accounts import SignInPolicy, close_session, open_session, sign_in
from geo.errors import SignInRefusedError
from maps.i18n import normalize_lang

__all__ = ["router", "safe_next"]

router = APIRouter(include_in_schema=False)
_ONE_YEAR_S = 365 * 24 * 3600


def safe_next(target: str | None) -> str:
    """Return ``target`` when it is a path on this site, else ``/`` (no open redirect).

    Examples
    --------
    >>> safe_next("/ledger?q=1"), safe_next("//evil.example/"), safe_next("https://x")
    ('/ledger?q=1', '/', '/')
    """
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    if any(ord(ch) < 32 or ch == "\\" for ch in target):
        return "/"
    return target


@router.get("/login")
def login_form(request: Request, next: Annotated[str | None, Query()] = None) -> Response:
    """Show the sign-in form; a browser already signed in goes straight on."""
    if signed_in(request) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "signin.html", next=safe_next(next), error=None, username="")


def _refusal(request: Request, exc: SignInRefusedError, username: str, target: str) -> Response:
    lang = page_lang(request)
    if exc.reason == "locked":
        minutes = max(1, math.ceil((exc.retry_after_s or 60) / 60))
        message, status = word("sign_in_locked", lang, minutes=minutes), 429
    else:
        message, status = word("sign_in_failed", lang), 401
    response = render(request, "signin.html", status_code=status, next=target, error=message,
                      username=username)
    if exc.retry_after_s:
        response.headers["Retry-After"] = str(int(exc.retry_after_s))
    return response


@router.post("/login")
async def login(request: Request) -> Response:
    """Check the password; on success replace the browser's session and go on to ``next``."""
    form = await checked_form(request)
    username = str(form.get("username") or "").strip()
    password = str(form.get("password") or "")
    target = safe_next(str(form.get("next") or "/"))
    store, settings = get_store(request), get_settings(request)
    policy = SignInPolicy(max_failures=settings.signin_max_failures,
                          lock_minutes=settings.signin_lock_minutes)
    address = request.client.host if request.client else "unknown"
    try:  # argon2 takes tens of milliseconds: keep it off the event loop
        account = await run_in_threadpool(
            sign_in, store, username=username, password=password, address=address,
            policy=policy)
    except SignInRefusedError as exc:
        return await run_in_threadpool(_refusal, request, exc, username, target)
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        await run_in_threadpool(close_session, store, old)
    cookie, _ = await run_in_threadpool(open_session, store, account)
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(request, response, cookie)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    """End the browser's session and show the sign-in form."""
    await checked_form(request)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        await run_in_threadpool(close_session, get_store(request), cookie)
    response = RedirectResponse("/login", status_code=303)
    forget_session_cookie(request, response)
    return response


@router.get("/lang")
def switch_language(
    to: Annotated[str, Query(description="zh or en")],
    next: Annotated[str | None, Query()] = None,
) -> Response:
    """Remember the chosen language in a cookie and return to the page."""
    lang = normalize_lang(to)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(LANG_COOKIE, lang, max_age=_ONE_YEAR_S, samesite="lax", path="/")
    return response
