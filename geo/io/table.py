"""Rows shared by readers and writers, importing neither of them.

:class:`RawTable` is a file as read, before validation; :data:`Frames` a frame
or its pages, as written.

May import: ``geo.errors`` and third-party libraries only; readers and writers import it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TypeAlias

import pandas as pd
from shapely.geometry.base import BaseGeometry

from geo.errors import RowError

__all__ = ["Frames", "RawTable", "pages_of"]


@dataclass
class RawTable:
    """Rows read from a file, before any validation.

    ``attributes`` has canonical column names (see :mod:`geo.io.columns`),
    one row per record, values as read. ``geometries`` holds each row's
    geometry in the file's coordinates (None when the file has none);
    ``geometry_errors`` maps a 0-based row position to why it could not be
    parsed. ``crs_hint`` is a coordinate label the file itself declares.
    ``row_numbers`` gives each row the number a person finds it by (the
    sheet's row, the CSV line; by default 1, 2, ... in file order) and
    ``row_origins`` the file inside an archive each row came from, if several.
    ``numbers_as_text``: whether a number in a text field is the text it shows
    (a spreadsheet cell or a GIS file's numeric column, where grid ``12`` is
    typed as a number); False for JSON, whose strings and numbers are distinct
    and a number for a text field is refused.
    """

    attributes: pd.DataFrame
    geometries: list[BaseGeometry | None]
    geometry_errors: dict[int, str] = field(default_factory=dict)
    crs_hint: str | None = None
    row_numbers: list[int] | None = None
    row_origins: list[str] | None = None
    numbers_as_text: bool = True

    def row_number(self, pos: int) -> int:
        """Return the number of the row at 0-based position ``pos`` as the file numbers it."""
        return self.row_numbers[pos] if self.row_numbers is not None else pos + 1

    def row_error(self, pos: int, reason: str) -> RowError:
        """Return the rejection of the row at ``pos``, naming its file inside an archive."""
        if self.row_origins is not None:
            reason = f"{self.row_origins[pos]}: {reason}"
        return RowError(self.row_number(pos), reason)

#: A frame, or the pages of one: frames with the same columns, written one after another.
Frames: TypeAlias = pd.DataFrame | Iterable[pd.DataFrame]

def pages_of(frames: Frames) -> Iterator[pd.DataFrame]:
    """Yield ``frames`` itself when it is one frame, else each of its pages in turn."""
    if isinstance(frames, pd.DataFrame):
        yield frames
    else:
        yield from frames
