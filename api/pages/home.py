"""The workspace's home page: what needs attention today, one click from each task.

``GET /`` answers a browser (``Accept: text/html`` without ``f=``) with
this page; programs and ``f=json`` keep the OGC landing page, and
``f=html`` its HTML form (the navigation's "API" link).
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from api.deps import get_store
from api.html import render
from geo.overview import overview

__all__ = ["home_page"]


def home_page(request: Request) -> HTMLResponse:
    """Render the home page: priority targets per station, the round, recent changes."""
    return render(request, "home.html", active="home", view=overview(get_store(request)))
