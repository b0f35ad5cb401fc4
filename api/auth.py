"""Bearer-token access: who is calling and whether their role may do it.

Writes need an ``editor`` or ``admin`` token. Reads are open unless
``Settings.read_requires_token`` is set, then they need ``viewer`` or
higher (``/healthz``, ``/api``, ``/docs`` and ``/assets/`` stay open: they
hold no ledger data). No token or an unknown or
revoked one answers 401 with ``WWW-Authenticate: Bearer``; a valid token
whose role may not answers 403.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI, Request
from starlette.exceptions import HTTPException

from api.deps import get_settings, get_store
from geo.store.base import TokenRecord
from geo.tokens import role_allows, verify_token

__all__ = ["EditorDep", "actor_of", "protect_reads", "require_role"]

# Probes, the API description and static assets reveal no ledger data.
_OPEN_PATHS = frozenset({"/healthz", "/api", "/docs"})
_OPEN_PREFIXES = ("/assets/",)
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="zonewatch"'}


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def require_role(request: Request, needed: str) -> TokenRecord:
    """Return the caller's token record; 401 without a valid token, 403 if its role may not."""
    token = _bearer(request)
    record = verify_token(get_store(request), token) if token else None
    if record is None:
        detail = "a valid bearer token is required" if token is None else "unknown or revoked token"
        raise HTTPException(401, detail, headers=_CHALLENGE)
    if not role_allows(record.role, needed):
        raise HTTPException(403, f"role {record.role!r} may not do this; it needs {needed!r}")
    return record


def _editor(request: Request) -> TokenRecord:
    return require_role(request, "editor")


def _reads(request: Request) -> None:
    path = request.url.path
    if path in _OPEN_PATHS or path.startswith(_OPEN_PREFIXES):
        return
    if get_settings(request).read_requires_token:
        require_role(request, "viewer")


EditorDep = Annotated[TokenRecord, Depends(_editor)]


def actor_of(record: TokenRecord) -> str:
    """Return how the history names the holder of ``record`` (``name#id``)."""
    return f"{record.name}#{record.id}"


def protect_reads(app: FastAPI) -> None:
    """Make every route included after this call check read access first."""
    app.router.dependencies.append(Depends(_reads))
