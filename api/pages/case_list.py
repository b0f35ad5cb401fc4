"""The case list (案件) for staff: filters, the overdue view, sortable columns, paging.

``GET /cases`` shows the cases a :class:`CaseSelection` picks: by status,
event type, channel, community, grid, unit, free text, and
``overdue=true`` (open cases past their deadline; the 超期 tab). Each row
names the type and status in words, the place, the unit, when it was
reported (Beijing time) and its deadline with the time left or past. The
list pages as the ledger does (:mod:`api.pages.paging`).

The selection is plain pandas over ``store.read("cases")``: no web in it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any
from urllib.parse import urlencode

import numpy as np
import pandas as pd
from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import get_store
from api.html import page_lang, render
from api.pages.case_words import beijing, parse_time, time_left, words
from api.pages.paging import PER_PAGE, PageNo, PerPage, page_of, per_page_param
from api.sessions import signed_in
from geo.cases import STATES, EventType, stored_types
from geo.cases.frames import case_times, overdue_mask
from geo.cases.machine import OPEN_STATES
from geo.errors import ValidationError
from geo.ledger import CASE_CHANNELS
from geo.table_query import check_choice, matches, parse_flag, sorted_by, text_or_none
from geo.tokens import role_allows

__all__ = ["SORT_COLUMNS", "CaseSelection", "router", "select_cases"]

router = APIRouter(include_in_schema=False)

_TEXT_FILTERS = ("status", "event_type", "channel", "community", "grid", "unit", "q")
#: Columns the list may be sorted by (event types by name, statuses in the loop's order).
SORT_COLUMNS = ("id", "event_type", "status", "community", "unit", "reported_at", "deadline",
                "rework")
_SEARCHED = ("id", "description", "address", "unit", "source_id", "reported_by", "community",
             "grid")
#: The sort column each list column sorts by (computed columns of select_cases).
_SORT_BY = {"event_type": "type_name", "status": "status_rank", "reported_at": "reported_t",
            "deadline": "deadline_t"}


@dataclass(frozen=True)
class CaseSelection:
    """Which cases the list shows, and in what order.

    Every filter is optional (None or blank: no filter); ``q`` is a
    case-insensitive substring of the id, description, address, unit,
    source, reporter, community or grid. Unless ``sort`` is given the list
    is newest report first, or, for the overdue view, longest overdue first.

    Raises
    ------
    ValidationError
        A status, channel or sort column that is not one of its list.

    Examples
    --------
    >>> CaseSelection(overdue=True).sort, CaseSelection().descending
    ('deadline', True)
    >>> CaseSelection(status="open")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    geo.errors.ValidationError: status must be one of: reported, ...; got 'open'
    """

    status: str | None = None
    event_type: str | None = None
    channel: str | None = None
    community: str | None = None
    grid: str | None = None
    unit: str | None = None
    q: str | None = None
    overdue: bool | None = None
    sort: str | None = None
    descending: bool | None = None

    def __post_init__(self) -> None:
        for name in _TEXT_FILTERS:
            object.__setattr__(self, name, text_or_none(name, getattr(self, name)))
        check_choice("status", self.status, STATES)
        check_choice("channel", self.channel, CASE_CHANNELS)
        sort = text_or_none("sort", self.sort) or self.default_sort
        check_choice("sort", sort, SORT_COLUMNS)
        object.__setattr__(self, "sort", sort)
        if self.descending is None:
            object.__setattr__(self, "descending", sort == "reported_at")
        elif not isinstance(self.descending, bool):
            raise ValidationError("descending must be true or false", field="descending")

    @property
    def default_sort(self) -> str:
        """The order without ``sort``: deadline for the overdue view, else the report time."""
        return "deadline" if self.overdue else "reported_at"

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> CaseSelection:
        """Build a selection from query parameters (others, such as ``page``, are ignored)."""
        values: dict[str, Any] = {name: params.get(name) for name in (*_TEXT_FILTERS, "sort")}
        values["overdue"] = parse_flag("overdue", params.get("overdue")) or None
        values["descending"] = parse_flag("descending", params.get("descending"))
        return cls(**values)

    def to_params(self) -> dict[str, str]:
        """Return the parameters that rebuild this selection: only those that are set.

        Examples
        --------
        >>> CaseSelection(status="filed", sort="rework").to_params()
        {'status': 'filed', 'sort': 'rework'}
        """
        out: dict[str, str] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None or (f.name == "sort" and value == self.default_sort):
                continue
            if f.name == "descending":
                if value != (self.sort == "reported_at"):
                    out[f.name] = "true" if value else "false"
            elif f.name == "overdue":
                out[f.name] = "true"
            else:
                out[f.name] = str(value)
        return out


def _times(frame: pd.DataFrame, column: str) -> pd.Series:
    return case_times(frame[column])


def _overdue(frame: pd.DataFrame, now: dt.datetime) -> np.ndarray:
    """Which rows are open cases past their deadline at ``now``."""
    return overdue_mask(frame, now).to_numpy(dtype=bool)


def select_cases(frame: pd.DataFrame, selection: CaseSelection, *, now: dt.datetime,
                 types: Mapping[str, EventType]) -> pd.DataFrame:
    """Return the cases of ``frame`` that ``selection`` picks, in its order.

    Adds ``type_name`` (the Chinese name), ``is_overdue`` and the sort
    helpers ``status_rank``, ``reported_t``, ``deadline_t``.
    """
    if not len(frame):
        return frame.assign(type_name=[], is_overdue=[])
    rows = frame.assign(
        type_name=[types[c].name_zh if c in types else str(c) for c in frame["event_type"]],
        status_rank=[STATES.index(s) if s in STATES else len(STATES) for s in frame["status"]],
        reported_t=_times(frame, "reported_at"), deadline_t=_times(frame, "deadline"),
        is_overdue=_overdue(frame, now))
    keep = np.ones(len(rows), dtype=bool)
    for name in ("status", "event_type", "channel", "community", "grid", "unit"):
        value = getattr(selection, name)
        if value is not None:
            keep &= (rows[name] == value).to_numpy(dtype=bool)
    if selection.q:
        keep &= matches(rows, selection.q, _SEARCHED)
    if selection.overdue:
        keep &= rows["is_overdue"].to_numpy(dtype=bool)
    column = _SORT_BY.get(str(selection.sort), str(selection.sort))
    return sorted_by(rows[keep], column, descending=bool(selection.descending))


def _text(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and value != value) else str(value)


def _row(case: Mapping[str, Any], now: dt.datetime, types: Mapping[str, EventType],
         lang: str) -> dict[str, Any]:
    """One case as the list shows it: words, Beijing times, the time left."""
    w, code = words(lang), str(case["event_type"])
    kind = types.get(code)
    left, late = ("", False)
    if case["status"] in OPEN_STATES:
        left, late = time_left(case.get("deadline"), now, lang)
        left = left or w["no_deadline"]
    elif case["status"] == "closed" and parse_time(case.get("deadline")):
        closed, deadline = parse_time(case.get("closed_at")), parse_time(case.get("deadline"))
        late = bool(closed and deadline and closed > deadline)
        left = w["late" if late else "on_time"]
    return {
        "id": str(case["id"]), "type": (kind.name_en if lang == "en" else kind.name_zh)
        if kind else code, "status": str(case["status"]),
        "status_text": w.get(f"status_{case['status']}", str(case["status"])),
        "place": " / ".join(v for v in (_text(case.get("community")), _text(case.get("grid")))
                            if v),
        "unit": _text(case.get("unit")), "reported": beijing(case.get("reported_at")),
        "deadline": beijing(case.get("deadline")), "left": left, "late": late,
        "overdue": bool(case.get("is_overdue")), "rework": int(case.get("rework") or 0)}


def _links(selection: CaseSelection, per_page: int) -> dict[str, Any]:
    """Return the hrefs the list needs: pages, sort headers, the tabs."""
    base = selection.to_params()

    def href(**extra: Any) -> str:
        merged = {k: v for k, v in {**base, **extra}.items() if v is not None}
        return "/cases" + ("?" + urlencode(merged) if merged else "")

    sorts = {}
    for column in SORT_COLUMNS:
        again = selection.sort == column and not selection.descending
        sorts[column] = href(sort=column, descending="true" if again else "false",
                             page=None)
    return {"href": href, "sorts": sorts, "per_page_param": per_page_param(per_page)}


def _choices(frame: pd.DataFrame, names: Sequence[str]) -> dict[str, list[str]]:
    """Return the distinct stored values of ``names``, sorted, for the filter's drop-downs."""
    return {name: sorted({v for v in frame[name] if isinstance(v, str) and v.strip()})
            if len(frame) else [] for name in names}


@router.get("/cases")
def case_list(request: Request, page: PageNo = 1, per_page: PerPage = PER_PAGE) -> Response:
    """Show the cases the query's filters pick, 50 a page; ``overdue=true``: the overdue ones."""
    store, lang = get_store(request), page_lang(request)
    selection = CaseSelection.from_params(request.query_params)
    types, now = stored_types(store), dt.datetime.now(dt.UTC)
    stored = store.read("cases")
    picked = select_cases(stored, selection, now=now, types=types)
    rows, page, pages = page_of(picked, page, per_page)
    found = signed_in(request)
    may_report = found is not None and role_allows(found[0].role, "editor")
    return render(
        request, "case_list.html", active="cases", w=words(lang), selection=selection,
        filters=selection.to_params(), total=len(picked), page=page, pages=pages,
        rows=[_row(r, now, types, lang) for r in rows.to_dict("records")],
        links=_links(selection, per_page), types=types, statuses=STATES,
        channels=CASE_CHANNELS, options=_choices(stored, ("community", "grid", "unit")),
        overdue_count=int(_overdue(stored, now).sum()) if len(stored) else 0,
        may_report=may_report)
