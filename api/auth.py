"""Who is calling and whether their role may do it: bearer tokens and signed-in sessions.

Programs send a bearer token; people sign in (:mod:`api.sessions`) and a
session counts wherever a token of its account's role does. Writes need an
``editor`` or ``admin``. Reads are open unless ``Settings.read_requires_token``
is set, then they need ``viewer`` or higher (``/healthz``, ``/api``,
``/docs``, ``/assets/`` and the sign-in pages stay open: they hold no ledger
data). Without a valid token or session a program gets 401 with
``WWW-Authenticate: Bearer`` and a browser is sent to the sign-in page; a
caller whose role may not gets 403. A change made through a session also
needs the session's CSRF token.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from starlette.exceptions import HTTPException

from api.deps import get_settings, get_store
from api.responses import wants_html
from api.sessions import Caller, check_csrf_header, session_caller
from geo.tokens import role_allows, verify_token

__all__ = ["Caller", "EditorDep", "SignInRequired", "actor_of", "protect_reads", "require_role"]

# Probes, the API description, static assets and the sign-in pages reveal no ledger data.
_OPEN_PATHS = frozenset({"/healthz", "/api", "/docs", "/login", "/logout", "/lang"})
_OPEN_PREFIXES = ("/assets/",)
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="zonewatch"'}


class SignInRequired(Exception):
    """A browser asked for a page that needs a signed-in account: send it to ``/login``."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.location = "/login?next=" + quote(next_path, safe="/")


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def _token_caller(request: Request, token: str) -> Caller:
    record = verify_token(get_store(request), token)
    if record is None:
        raise HTTPException(401, "unknown or revoked token", headers=_CHALLENGE)
    return Caller(name=record.name, role=record.role, actor=f"{record.name}#{record.id}",
                  via="token")


def _next_path(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def require_role(request: Request, needed: str) -> Caller:
    """Return the caller; 401 (or, for a browser, the sign-in page) without one, 403 if too low."""
    token = _bearer(request)
    caller = _token_caller(request, token) if token else session_caller(request)
    if caller is None:
        if request.method == "GET" and wants_html(request):
            raise SignInRequired(_next_path(request))
        raise HTTPException(401, "a valid bearer token or a signed-in session is required",
                            headers=_CHALLENGE)
    if not role_allows(caller.role, needed):
        raise HTTPException(403, f"role {caller.role!r} may not do this; it needs {needed!r}")
    if caller.via == "session":
        check_csrf_header(request)
    return caller


def _editor(request: Request) -> Caller:
    return require_role(request, "editor")


def _reads(request: Request) -> None:
    path = request.url.path
    if path in _OPEN_PATHS or path.startswith(_OPEN_PREFIXES):
        return
    if get_settings(request).read_requires_token:
        require_role(request, "viewer")


EditorDep = Annotated[Caller, Depends(_editor)]


def actor_of(caller: Caller) -> str:
    """Return how the history names ``caller`` (``name#id`` for a token, else the username)."""
    return caller.actor


def protect_reads(app: FastAPI) -> None:
    """Make every route included after this call check read access first."""
    app.router.dependencies.append(Depends(_reads))
