"""Inspection photos in the GeoPackage store: the ``zw_photos`` table (BLOBs)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager

from geo.errors import DuplicateIdError, NotFoundError
from geo.store.base import PhotoData, PhotoRecord
from geo.store.photo_rows import PHOTO_COLUMNS, RECORD_COLUMNS, photo_record, photo_row

__all__ = ["GeoPackagePhotos", "insert_photos"]

Connect = Callable[..., AbstractContextManager[sqlite3.Connection]]
_SELECT = f"SELECT {', '.join(RECORD_COLUMNS)} FROM zw_photos"


def insert_photos(conn: sqlite3.Connection, photos: Sequence[PhotoData]) -> None:
    """Insert photos inside the caller's transaction (a taken id is a DuplicateIdError)."""
    marks = ", ".join("?" for _ in PHOTO_COLUMNS)
    try:
        conn.executemany(f"INSERT INTO zw_photos ({', '.join(PHOTO_COLUMNS)}) VALUES ({marks})",
                         [photo_row(p) for p in photos])
    except sqlite3.IntegrityError as exc:
        raise DuplicateIdError(f"photo id already exists ({exc})") from exc


class GeoPackagePhotos:
    """The :class:`geo.store.base.PhotoBook` of a GeoPackage store.

    Parameters
    ----------
    transaction : callable
        The store's ``_tx(write_lock=...)``: one SQLite transaction per call.
    """

    def __init__(self, transaction: Connect) -> None:
        self._tx = transaction

    def of_inspections(self, inspection_ids: Sequence[str]) -> dict[str, list[PhotoRecord]]:
        """Return the photos of each of ``inspection_ids`` that has any, oldest first."""
        wanted = [str(i) for i in inspection_ids]
        if not wanted:
            return {}
        marks = ", ".join("?" for _ in wanted)
        with self._tx(write_lock=False) as conn:
            rows = conn.execute(f"{_SELECT} WHERE inspection_id IN ({marks}) "
                                "ORDER BY created_at, id", wanted).fetchall()
        found: dict[str, list[PhotoRecord]] = {}
        for row in rows:
            record = photo_record(row)
            found.setdefault(record.inspection_id, []).append(record)
        return found

    def content(self, photo_id: str, *, thumbnail: bool = False) -> tuple[PhotoRecord, bytes]:
        """Return a photo's record and its image (or thumbnail); NotFoundError if absent."""
        column = "thumbnail" if thumbnail else "image"
        with self._tx(write_lock=False) as conn:
            row = conn.execute(f"SELECT {', '.join(RECORD_COLUMNS)}, {column} FROM zw_photos "
                               "WHERE id = ?", (str(photo_id),)).fetchone()
        if row is None:
            raise NotFoundError(f"no photo {photo_id!r}")
        return photo_record(row[:-1]), bytes(row[-1])
