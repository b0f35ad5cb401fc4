"""Whether a map page carries the editing tools: only for a signed-in editor.

The tools write through the session (cookie plus ``X-CSRF-Token``), so they
go to a signed-in account whose role may write; a bearer-token caller, a
viewer and an anonymous visitor get the plain map, with no CSRF token in it.
"""

from __future__ import annotations

from fastapi import Request

from api.sessions import csrf_token, session_caller
from geo.tokens import role_allows
from maps.edit_config import MapEditing

__all__ = ["editing_for"]


def editing_for(request: Request) -> MapEditing | None:
    """Return the editing part of the map page for this request's caller, or None."""
    caller = session_caller(request)
    if caller is None or not role_allows(caller.role, "editor"):
        return None
    return MapEditing(csrf_token=csrf_token(request), user=caller.name)
