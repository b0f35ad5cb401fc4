"""HTML pages of the OGC API (conformance class html), rendered with Jinja.

Autoescaping is on for every template: ledger text is shown as text.
Ledger codes (``bbq``, ``operating``) are shown by their name in the page's
language with the code beside it, ``露天烧烤 (bbq)``, so a reader sees the
words and a script writer the value to filter by; booleans read 是/否.
The words come from the map's vocabulary (:mod:`maps.i18n`), so the map
and the tables name things alike.
"""

from __future__ import annotations

import functools
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, pass_context, select_autoescape
from jinja2.runtime import Context

from maps.i18n import labels

__all__ = ["cell_text", "field_label", "render"]

# field -> the maps.i18n group naming its coded values
_CODED = {"category": "categories", "status": "statuses", "fume_purifier": "purifier",
          "level": "levels"}
# what the map's vocabulary does not cover: inspection results and table-only fields
_RESULTS = {
    "zh": {"compliant": "合格", "violation": "违规", "closed_down": "取缔", "not_found": "未找到"},
    "en": {"compliant": "compliant", "violation": "violation", "closed_down": "closed down",
           "not_found": "not found"},
}
_FIELDS = {
    "zh": {"subdistrict": "街道", "notes": "备注", "demo": "演示数据", "orig_crs": "原坐标系",
           "orig_wkt": "原坐标（WKT）", "updated_at": "更新时间", "version": "版本",
           "stations": "覆盖的监测点", "level": "级别", "radius_m": "半径（米）",
           "source_id": "污染源编号", "date": "日期", "round": "轮次", "inspector": "检查人",
           "result": "检查结果", "station": "监测点"},
    "en": {"subdistrict": "Subdistrict", "notes": "Notes", "demo": "Demonstration data",
           "orig_crs": "Original CRS", "orig_wkt": "Original coordinates (WKT)",
           "updated_at": "Updated", "version": "Version", "stations": "Stations",
           "level": "Level", "radius_m": "Radius (m)", "source_id": "Source id", "date": "Date",
           "round": "Round", "inspector": "Inspector", "result": "Result",
           "station": "Station"},
}


def _names(field: str, lang: str) -> dict[str, Any]:
    """Return the names of the coded values of ``field`` in ``lang`` (empty: not coded)."""
    vocab = labels(lang)
    if field == "result":
        return _RESULTS[str(vocab["html_lang"])[:2]]
    group = vocab.get(_CODED.get(field, ""))
    return group if isinstance(group, dict) else {}


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
    name = _names(field, lang).get(value) if isinstance(value, str) else None
    # a name equal to its code (English statuses) says nothing twice
    return str(value) if name is None or name == value else f"{name} ({value})"


def field_label(field: str, *, lang: str = "zh") -> str:
    """Return the header of a field: its name in ``lang``, or the field itself.

    Examples
    --------
    >>> field_label("category"), field_label("unheard_of")
    ('类别', 'unheard_of')
    """
    vocab = labels(lang)
    fields = vocab.get("fields")
    known = {**(fields if isinstance(fields, dict) else {}),
             **_FIELDS[str(vocab["html_lang"])[:2]]}
    return str(known.get(field, field))


@pass_context
def _cell_filter(context: Context, value: Any, field: str) -> str:
    return cell_text(value, field, lang=context.get("lang") or "zh")


@pass_context
def _field_filter(context: Context, field: str) -> str:
    return field_label(field, lang=context.get("lang") or "zh")


@functools.lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("api", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )
    env.filters["cell"] = _cell_filter
    env.filters["field_label"] = _field_filter
    return env


def render(request: Request, template: str, **context: Any) -> HTMLResponse:
    """Render ``template`` with ``context`` (plus ``request``) as an HTML response.

    ``lang`` (``zh``, the default, or ``en``) picks the words of ledger codes
    and field names; ``title`` overrides a list page's heading.
    """
    page = _environment().get_template(template).render(request=request, **context)
    return HTMLResponse(page)
