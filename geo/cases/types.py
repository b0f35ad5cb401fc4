"""Event types of cases: a code, a Chinese and an English name, a time limit in hours.

The limit runs from dispatch; a district sets its own table (``type_table``
reads one from rows such as a CSV's), else :data:`DEFAULT_TYPES` serves.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from geo.errors import InputError

__all__ = ["CATEGORY_EVENT_TYPES", "DEFAULT_TYPES", "EventType", "event_type_of", "type_table"]

_CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_MAX_LIMIT_H = 24.0 * 366  # a year and a day: longer is a typing slip, not a time limit


@dataclass(frozen=True)
class EventType:
    """One kind of case and the hours the responsible unit has to handle it."""

    code: str
    name_zh: str
    name_en: str
    limit_h: float


DEFAULT_TYPES: tuple[EventType, ...] = (
    EventType("open_air_bbq", "露天烧烤", "Open-air barbecue", 2.0),
    EventType("fume_direct", "油烟直排", "Cooking fumes discharged untreated", 24.0),
    EventType("muck_spill", "渣土撒漏", "Muck spilled from a truck", 4.0),
    EventType("site_dust", "工地扬尘", "Construction-site dust", 8.0),
    EventType("other", "其他", "Other", 48.0),
)


#: The event type a problem with a source of each category is, in the default table.
CATEGORY_EVENT_TYPES = {"bbq": "open_air_bbq", "catering": "fume_direct",
                        "night_market": "open_air_bbq", "construction_site": "site_dust",
                        "muck_route": "muck_spill"}


def event_type_of(category: str | None, table: Mapping[str, EventType]) -> str:
    """Return the event type of a problem at a source of ``category``, from ``table``.

    The category's usual type when the table has it, else ``other`` when it
    has that, else the table's first type.

    Examples
    --------
    >>> defaults = {t.code: t for t in DEFAULT_TYPES}
    >>> event_type_of("bbq", defaults), event_type_of("industrial", defaults)
    ('open_air_bbq', 'other')
    """
    usual = CATEGORY_EVENT_TYPES.get(str(category))
    if usual in table:
        return str(usual)
    return "other" if "other" in table else next(iter(table))


def type_table(rows: Iterable[Mapping[str, Any]]) -> dict[str, EventType]:
    """Return the event types of ``rows`` by code, each checked.

    Parameters
    ----------
    rows : iterable of mappings
        Each with ``code``, ``name_zh``, ``limit_h`` (hours, decimals
        allowed) and optionally ``name_en``.

    Raises
    ------
    InputError
        A row without a valid code, name or positive finite limit, or a code
        given twice; the message names the row (1-based).

    Examples
    --------
    >>> type_table([{"code": "bbq", "name_zh": "露天烧烤", "limit_h": "1.5"}])["bbq"].limit_h
    1.5
    """
    table: dict[str, EventType] = {}
    for number, row in enumerate(rows, start=1):
        kind = _event_type(row, number)
        if kind.code in table:
            raise InputError(f"row {number}: event type {kind.code!r} is given twice")
        table[kind.code] = kind
    if not table:
        raise InputError("the event type table is empty")
    return table


def _event_type(row: Mapping[str, Any], number: int) -> EventType:
    code = str(row.get("code") or "").strip()
    if not _CODE.match(code):
        raise InputError(f"row {number}: code must be lower-case letters, digits or _, "
                         f"starting with a letter; got {code!r}")
    name_zh = str(row.get("name_zh") or "").strip()
    if not name_zh:
        raise InputError(f"row {number}: name_zh (the Chinese name) is empty")
    try:
        limit_h = float(row.get("limit_h"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError(f"row {number}: limit_h must be a number of hours; "
                         f"got {row.get('limit_h')!r}") from None
    if not (math.isfinite(limit_h) and 0 < limit_h <= _MAX_LIMIT_H):
        raise InputError(f"row {number}: limit_h must be more than 0 and at most "
                         f"{_MAX_LIMIT_H:g} hours; got {limit_h:g}")
    name_en = str(row.get("name_en") or "").strip() or name_zh
    return EventType(code, name_zh, name_en, limit_h)
