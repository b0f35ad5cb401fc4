"""HTML pages of the OGC API (conformance class html), rendered with Jinja.

Autoescaping is on for every template: ledger text is shown as text.
"""

from __future__ import annotations

import functools
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

__all__ = ["render"]


@functools.lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("api", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )


def render(request: Request, template: str, **context: Any) -> HTMLResponse:
    """Render ``template`` with ``context`` (plus ``request``) as an HTML response."""
    page = _environment().get_template(template).render(request=request, **context)
    return HTMLResponse(page)
