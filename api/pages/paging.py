"""Paging and the download switch of the staff tables (the ledger, the inspections).

Both tables show 50 rows a page (at most 500 with ``per_page``), keep a page
number past the end on the last page, and download the whole selection with
``f=`` — one rule, so the two tables behave alike.
"""

from __future__ import annotations

import math
from typing import Annotated

import pandas as pd
from fastapi import Query

from geo.errors import ValidationError

__all__ = ["MAX_PER_PAGE", "PER_PAGE", "PageNo", "PerPage", "check_format", "page_of",
           "per_page_param"]

PER_PAGE = 50
MAX_PER_PAGE = 500
PageNo = Annotated[int, Query(ge=1, le=1_000_000)]
PerPage = Annotated[int, Query(ge=1, le=MAX_PER_PAGE)]


def check_format(f: str | None, exports: tuple[str, ...]) -> None:
    """Refuse an ``f`` that is neither ``html`` nor one of ``exports`` (None: the page)."""
    if f is not None and f not in (*exports, "html"):
        raise ValidationError(f"f must be one of html, {', '.join(exports)}; got {f!r}",
                              field="f")


def page_of(frame: pd.DataFrame, page: int, per_page: int) -> tuple[pd.DataFrame, int, int]:
    """Return the rows of page ``page`` (kept between 1 and the last), its number, the count.

    Examples
    --------
    >>> rows, page, pages = page_of(pd.DataFrame({"id": range(120)}), 9, 50)
    >>> len(rows), page, pages
    (20, 3, 3)
    """
    pages = max(1, math.ceil(len(frame) / per_page))
    page = min(max(1, page), pages)
    return frame.iloc[(page - 1) * per_page: page * per_page], page, pages


def per_page_param(per_page: int) -> int | None:
    """Return ``per_page`` for links, None when it is the default (links stay short)."""
    return None if per_page == PER_PAGE else per_page
