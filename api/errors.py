"""Problem details (RFC 9457) for every error the API answers.

Domain errors carry no HTTP; this module is the one table mapping each
:mod:`geo.errors` class to a status. Nothing from a traceback, SQL or a file
path reaches a client: unexpected errors answer a bare 500 problem and are
logged on the server, and a domain error raised from a database driver's
error (psycopg, sqlite3) answers a generic detail instead of the driver's
text (which quotes SQL, values and ``CONTEXT`` lines).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from api.auth import SignInRequired
from api.html import page_lang, render
from api.page_words import word
from api.responses import wants_html
from geo import errors as geo_errors

__all__ = [
    "PROBLEM_MEDIA_TYPE",
    "allowed_methods",
    "install_error_handlers",
    "problem_response",
]

PROBLEM_MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("zonewatch.api")

# Most specific first: the first matching class decides the status.
_STATUS: tuple[tuple[type[Exception], int, str], ...] = (
    (geo_errors.ImportRejectedError, 422, "Import rejected"),
    (geo_errors.ValidationError, 422, "Invalid record"),
    (geo_errors.CoordinateError, 400, "Invalid coordinates"),
    (geo_errors.InputError, 400, "Bad request"),
    (geo_errors.NotFoundError, 404, "Not found"),
    (geo_errors.NotPermittedError, 403, "Forbidden"),
    (geo_errors.VersionMismatchError, 412, "Precondition failed"),
    (geo_errors.DuplicateIdError, 409, "Conflict"),
    (geo_errors.ConflictError, 409, "Conflict"),
    (geo_errors.StoreError, 503, "Store unavailable"),
)


def problem_response(
    request: Request, status: int, title: str, detail: str | None = None, **extra: Any
) -> Response:
    """Return an ``application/problem+json`` response, or for a browser an HTML page of it."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "instance": str(request.url.path),
    }
    if detail:
        body["detail"] = detail
    body.update(extra)
    if wants_html(request):
        page = _problem_page(request, body)
        if page is not None:
            return page
    return JSONResponse(_encodable(body), status_code=status, media_type=PROBLEM_MEDIA_TYPE)


def _problem_page(request: Request, body: dict[str, Any]) -> Response | None:
    """Render a problem as a page for a person; None when the page itself cannot be built."""
    status = int(body["status"])
    try:
        lang = page_lang(request)
    except ValueError:  # the problem may be the lang parameter itself
        lang = "zh"
    try:
        return render(request, "error.html", status_code=status, lang=lang,
                      heading=word(f"status_{status}", lang) if status >= 400 else body["title"],
                      status=status, detail=_encodable(body.get("detail")),
                      rejected=_encodable(body.get("rejected")))
    except Exception:  # noqa: BLE001 - e.g. the store is down: the JSON problem still answers
        log.warning("could not render the error page for %s", request.url.path, exc_info=True)
        return None


def _encodable(value: Any) -> Any:
    """Return ``value`` with text that UTF-8 cannot encode (lone surrogates) spelt as escapes.

    A message may quote what a client sent; a lone surrogate in it would make
    the answer itself fail to encode.
    """
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {_encodable(k): _encodable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_encodable(v) for v in value]
    return value


async def _domain_error(request: Request, exc: Exception) -> Response:
    for cls, status, title in _STATUS:
        if isinstance(exc, cls):
            extra: dict[str, Any] = {}
            if isinstance(exc, geo_errors.ValidationError) and exc.field:
                extra["field"] = exc.field
            if isinstance(exc, geo_errors.ImportRejectedError):
                extra["rejected"] = [{"row": r.row, "reason": r.reason} for r in exc.rows]
            if isinstance(exc, geo_errors.StoreError):
                log.error("store error on %s: %s", request.url.path, exc)
                return problem_response(request, status, title, "the ledger store failed")
            if _from_database(exc):
                log.warning("database refused a value on %s: %s", request.url.path, exc)
                return problem_response(request, status, title, _generic_detail(exc), **extra)
            return problem_response(request, status, title, str(exc), **extra)
    return await _unexpected(request, exc)


def _from_database(exc: BaseException) -> bool:
    """Whether ``exc`` was raised from a database driver's error (its text is not for clients)."""
    seen: set[int] = set()
    cause = _cause_of(exc)
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        module = type(cause).__module__ or ""
        if isinstance(cause, sqlite3.Error) or module.split(".")[0] == "psycopg":
            return True
        cause = _cause_of(cause)
    return False


def _cause_of(exc: BaseException) -> BaseException | None:
    # As a traceback shows it: the explicit cause, else the context unless ``from None``.
    if exc.__cause__ is not None:
        return exc.__cause__
    return None if exc.__suppress_context__ else exc.__context__


def _generic_detail(exc: Exception) -> str:
    """Name what was refused (the field, when known), never in the database's words."""
    if isinstance(exc, geo_errors.DuplicateIdError):
        return "the id already exists"
    field = getattr(exc, "field", None)
    return "value refused by the database" + (f" (field {field!r})" if field else "")


async def _request_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
        problems.append(f"{where}: {error.get('msg', 'invalid')}")
    return problem_response(request, 400, "Invalid parameter", "; ".join(problems))


def allowed_methods(request: Request) -> list[str]:
    """Return the methods some route of the app answers at the request's path, sorted.

    Computed from the routes, so it cannot drift from them: Starlette's own
    405 names only the first route matching the path. HEAD is answered
    wherever GET is (:class:`api.head.HeadAsGet`).
    """
    methods: set[str] = set()
    for route in _routes(request.app):
        route_methods = getattr(route, "methods", None)
        if route_methods and route.matches(request.scope)[0] is not Match.NONE:
            methods |= set(route_methods)
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


def _routes(app: FastAPI) -> Iterable[Any]:
    """Every route of ``app``, each with ``methods`` and ``matches``."""
    try:  # FastAPI >= 0.16x keeps an included router as one branch of app.router.routes
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI copies the routes of included routers
        return list(app.router.routes)
    return list(iter_route_contexts(app.router.routes))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "Error")
    detail = exc.detail if isinstance(exc.detail, str) else None
    response = problem_response(request, exc.status_code, title, detail)
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    if exc.status_code == 405:
        response.headers["Allow"] = ", ".join(allowed_methods(request))
    return response


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s", request.url.path, exc_info=exc)
    return problem_response(request, 500, "Internal error", "the server could not answer")


def _sign_in_first(request: Request, exc: Exception) -> Response:
    # a browser asking for a page that needs an account goes to the sign-in form, then back
    location = exc.location if isinstance(exc, SignInRequired) else "/login"
    return RedirectResponse(location, status_code=303)


def install_error_handlers(app: FastAPI) -> None:
    """Register the problem+json handlers on ``app``."""
    app.add_exception_handler(SignInRequired, _sign_in_first)
    app.add_exception_handler(geo_errors.ZonewatchError, _domain_error)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
