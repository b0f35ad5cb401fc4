"""Browser sessions: the session cookie, who is signed in, and the CSRF token of every form.

A signed-in browser holds one cookie, ``zw_session``: a random secret whose
SHA-256 the store keeps (:mod:`geo.accounts`). It is ``HttpOnly``,
``SameSite=Lax`` and ``Secure`` when the page came over HTTPS; it is
replaced at every sign-in, and the session ends after
``Settings.session_idle_minutes`` without a request.

Every form carries a ``csrf_token`` field. A signed-in session's token is
the one kept with the session; before sign-in (the sign-in form itself) it
is a random value also set as the ``zw_csrf`` cookie (``SameSite=Strict``),
which a page of another site can neither read nor send. A POST whose token
does not match gets 403 and changes nothing. Scripts that use the session
instead of a bearer token send the token as ``X-CSRF-Token``.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Literal

from fastapi import Request, Response
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException

from api.deps import get_settings, get_store
from geo.accounts import resume_session
from geo.store.base import AccountRecord, SessionRecord

__all__ = [
    "CSRF_COOKIE",
    "CSRF_FIELD",
    "CSRF_HEADER",
    "SESSION_COOKIE",
    "Caller",
    "check_csrf_header",
    "checked_form",
    "csrf_token",
    "forget_session_cookie",
    "remember_anonymous_csrf",
    "session_caller",
    "set_session_cookie",
    "signed_in",
]

SESSION_COOKIE = "zw_session"
CSRF_COOKIE = "zw_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
_UNSET = object()
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_CSRF_REFUSED = ("the form's security token is missing or out of date; reload the page and "
                 "try again / 表单安全令牌缺失或已过期，请刷新页面后重试")


@dataclass(frozen=True)
class Caller:
    """Who makes a request: a bearer token's holder or a signed-in staff member.

    ``actor`` is how the history names them: ``name#id`` for a token, the
    username for an account.
    """

    name: str
    role: str
    actor: str
    via: Literal["token", "session"]


def signed_in(request: Request) -> tuple[AccountRecord, SessionRecord] | None:
    """Return the account and session of the request's cookie, or None (looked up once)."""
    if getattr(request.state, "signed_in", _UNSET) is _UNSET:
        cookie = request.cookies.get(SESSION_COOKIE)
        found = None
        if cookie:
            idle = get_settings(request).session_idle_minutes
            found = resume_session(get_store(request), cookie, idle_minutes=idle)
        request.state.signed_in = found
    found_now: tuple[AccountRecord, SessionRecord] | None = request.state.signed_in
    return found_now


def session_caller(request: Request) -> Caller | None:
    """Return the signed-in staff member as a :class:`Caller`, or None."""
    found = signed_in(request)
    if found is None:
        return None
    account, _ = found
    return Caller(name=account.username, role=account.role, actor=account.username,
                  via="session")


def csrf_token(request: Request) -> str:
    """Return the CSRF token forms on this page carry.

    Before sign-in this is the ``zw_csrf`` cookie's value, or a new one that
    :func:`remember_anonymous_csrf` then sets on the response.
    """
    found = signed_in(request)
    if found is not None:
        return found[1].csrf
    token = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf", None)
    if not token:
        token = secrets.token_urlsafe(32)
        request.state.new_csrf = token
    return str(token)


def remember_anonymous_csrf(request: Request, response: Response) -> None:
    """Set the ``zw_csrf`` cookie when :func:`csrf_token` made a new one for this page."""
    token = getattr(request.state, "new_csrf", None)
    if token:
        response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict",
                            secure=_secure(request), path="/")


def _expected_csrf(request: Request) -> str | None:
    found = signed_in(request)
    if found is not None:
        return found[1].csrf
    return request.cookies.get(CSRF_COOKIE)


def _matches(expected: str | None, given: object) -> bool:
    if not expected or not isinstance(given, str) or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


async def checked_form(request: Request) -> FormData:
    """Return the posted form once its CSRF token is checked; 403 when it is not right.

    Raises
    ------
    HTTPException
        403 when the ``csrf_token`` field is missing or is not this browser's.
    """
    form = await request.form()
    if not _matches(_expected_csrf(request), form.get(CSRF_FIELD)):
        raise HTTPException(403, _CSRF_REFUSED)
    request.state.csrf_checked = True
    return form


def check_csrf_header(request: Request) -> None:
    """Refuse a session-authenticated change without the session's token (403).

    A form route checks the form field (:func:`checked_form`) before this
    runs; a script using the session sends ``X-CSRF-Token``.
    """
    if request.method in _SAFE_METHODS or getattr(request.state, "csrf_checked", False):
        return
    if not _matches(_expected_csrf(request), request.headers.get(CSRF_HEADER)):
        raise HTTPException(403, _CSRF_REFUSED)


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def set_session_cookie(request: Request, response: Response, cookie: str) -> None:
    """Give the browser its new session cookie (and drop the sign-in form's CSRF cookie)."""
    response.set_cookie(SESSION_COOKIE, cookie, httponly=True, samesite="lax",
                        secure=_secure(request), path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")


def forget_session_cookie(request: Request, response: Response) -> None:
    """Tell the browser to drop its session cookie."""
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax",
                           secure=_secure(request))
