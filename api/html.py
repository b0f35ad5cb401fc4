"""HTML pages of the OGC API (conformance class html), rendered with Jinja.

Autoescaping is on for every template: ledger text is shown as text.
Ledger codes (``bbq``, ``operating``) are shown by their name in the page's
language with the code beside it, ``露天烧烤 (bbq)``, so a reader sees the
words and a script writer the value to filter by; booleans read 是/否.
The words come from :mod:`geo.vocabulary`, as on the map and in the
labelled exports, so every view names things alike.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, pass_context, select_autoescape
from jinja2.runtime import Context

from api.page_words import word
from api.sessions import csrf_token, remember_anonymous_csrf, signed_in
from geo import vocabulary
from geo.io.reasons import reason_zh
from geo.ledger_table import local_time
from geo.tokens import role_allows
from geo.vocabulary import CODE_LABELS
from maps.i18n import labels, normalize_lang

__all__ = ["LANG_COOKIE", "cell_text", "field_label", "local_time", "page_lang", "render"]

#: The cookie the language switch sets: a person's choice holds on every page.
LANG_COOKIE = "zw_lang"

def page_lang(request: Request) -> str:
    """Return the page language: ``?lang=`` when given, else the switch's cookie, else ``zh``.

    Raises
    ------
    InputError
        ``?lang=`` names another language (a cookie that does is ignored).
    """
    asked = request.query_params.get("lang")
    if asked is not None:
        return normalize_lang(asked)
    try:
        return normalize_lang(request.cookies.get(LANG_COOKIE, "zh"))
    except ValueError:
        return "zh"


def cell_text(value: Any, field: str, *, lang: str = "zh") -> str:
    """Return a ledger value as a table shows it: named codes, 是/否, lists joined.

    Examples
    --------
    >>> cell_text("bbq", "category")
    '露天烧烤 (bbq)'
    >>> cell_text(False, "priority"), cell_text("closed", "status", lang="en")
    ('否', 'closed')
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(labels(lang)["yes" if value else "no"])
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    names = CODE_LABELS["en" if lang == "en" else "zh"].get(field, {})
    name = names.get(value) if isinstance(value, str) else None
    # a name equal to its code (English statuses) says nothing twice
    return str(value) if name is None or name == value else f"{name} ({value})"


def field_label(field: str, *, lang: str = "zh") -> str:
    """Return the header of a field: its name in ``lang``, or the field itself.

    Examples
    --------
    >>> field_label("category"), field_label("unheard_of")
    ('类别', 'unheard_of')
    """
    return vocabulary.field_label(field, lang)


@pass_context
def _cell_filter(context: Context, value: Any, field: str) -> str:
    return cell_text(value, field, lang=context.get("lang") or "zh")


@pass_context
def _label_filter(context: Context, value: Any, field: str) -> str:
    # a code's label alone, for staff pages; booleans read 是/否
    lang = context.get("lang") or "zh"
    if isinstance(value, bool | np.bool_):
        return cell_text(bool(value), field, lang=lang)
    return vocabulary.code_label(field, value, lang)


@pass_context
def _reason_filter(context: Context, message: Any) -> str:
    # the domain explains in English; a Chinese page says it in Chinese where it can
    text = "" if message is None else str(message)
    return text if (context.get("lang") or "zh") == "en" else reason_zh(text)


@pass_context
def _field_filter(context: Context, field: str) -> str:
    return field_label(field, lang=context.get("lang") or "zh")


@pass_context
def _word(context: Context, key: str, **values: object) -> str:
    return word(key, context.get("lang") or "zh", **values)


@pass_context
def _has_route(context: Context, path: str) -> bool:
    # the navigation shows a page's link only once that page exists
    request = context.get("request")
    if request is None:
        return False
    paths = getattr(request.app.state, "route_paths", None)
    if paths is None:
        paths = request.app.state.route_paths = frozenset(_route_paths(request.app.router.routes))
    return path in paths


def _route_paths(routes: Iterable[Any]) -> Iterator[str]:
    """Yield the path templates of routes, inside included routers too."""
    for route in routes:
        if isinstance(getattr(route, "path", None), str):
            yield route.path
        inner = getattr(route, "original_router", None) or getattr(route, "router", None)
        if inner is not None and inner is not route:
            yield from _route_paths(getattr(inner, "routes", ()))


@functools.lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("api", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )
    env.filters["cell"] = _cell_filter
    env.filters["field_label"] = _field_filter
    env.filters["label"] = _label_filter
    env.filters["reason"] = _reason_filter
    env.filters["local_time"] = local_time
    env.globals["t"] = _word
    env.globals["has_route"] = _has_route
    # role checks in templates follow the same order as the routes' (a dispatcher edits too)
    env.globals["role_allows"] = role_allows
    return env


def render(
    request: Request, template: str, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """Render ``template`` with ``context`` as an HTML response.

    Every page also gets ``request``, ``lang`` (:func:`page_lang` unless
    given: it picks the words of ledger codes, field names and the page
    chrome), ``account`` (the signed-in account or None), ``csrf_token``
    (for its forms), ``here`` (path and query, for the language switch) and
    ``active`` (the navigation entry to mark). ``title`` overrides a list
    page's heading.
    """
    found = signed_in(request)
    query = request.url.query
    context.setdefault("lang", page_lang(request))
    context.setdefault("account", found[0] if found else None)
    context.setdefault("active", None)
    context.setdefault("here", request.url.path + (f"?{query}" if query else ""))
    context["csrf_token"] = csrf_token(request)
    page = _environment().get_template(template).render(request=request, **context)
    response = HTMLResponse(page, status_code=status_code)
    remember_anonymous_csrf(request, response)
    return response
