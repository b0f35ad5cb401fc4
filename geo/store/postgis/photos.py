"""Inspection photos in the PostGIS store: the ``photos`` table (``bytea``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any

import psycopg
from psycopg import sql

from geo.errors import NotFoundError
from geo.store.base import PhotoData, PhotoRecord
from geo.store.photo_rows import PHOTO_COLUMNS, RECORD_COLUMNS, photo_record, photo_row
from geo.store.postgis.sql import PHOTOS, table

__all__ = ["PostGISPhotos", "insert_photos"]

Connect = Callable[[], AbstractContextManager[psycopg.Connection[Any]]]


def _columns(names: Sequence[str]) -> sql.Composed:
    return sql.SQL(", ").join(map(sql.Identifier, names))


def insert_photos(conn: psycopg.Connection[Any], schema: str,
                  photos: Sequence[PhotoData]) -> None:
    """Insert photos inside the caller's transaction (the store maps a taken id)."""
    statement = sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
        table(schema, PHOTOS), _columns(PHOTO_COLUMNS),
        sql.SQL(", ").join(sql.Placeholder() for _ in PHOTO_COLUMNS))
    conn.cursor().executemany(statement, [photo_row(p) for p in photos])


class PostGISPhotos:
    """The :class:`geo.store.base.PhotoBook` of a PostGIS store.

    Parameters
    ----------
    transaction : callable
        The store's ``_tx()``: one transaction per call, database errors mapped.
    schema : str
        The store's schema.
    """

    def __init__(self, transaction: Connect, schema: str) -> None:
        self._tx = transaction
        self._table = table(schema, PHOTOS)

    def of_inspections(self, inspection_ids: Sequence[str]) -> dict[str, list[PhotoRecord]]:
        """Return the photos of each of ``inspection_ids`` that has any, oldest first."""
        wanted = [str(i) for i in inspection_ids]
        if not wanted:
            return {}
        statement = sql.SQL("SELECT {} FROM {} WHERE inspection_id = ANY(%s::text[]) "
                            "ORDER BY created_at, id").format(_columns(RECORD_COLUMNS),
                                                              self._table)
        with self._tx() as conn:
            rows = conn.execute(statement, [wanted]).fetchall()
        found: dict[str, list[PhotoRecord]] = {}
        for row in rows:
            record = photo_record(row)
            found.setdefault(record.inspection_id, []).append(record)
        return found

    def content(self, photo_id: str, *, thumbnail: bool = False) -> tuple[PhotoRecord, bytes]:
        """Return a photo's record and its image (or thumbnail); NotFoundError if absent."""
        statement = sql.SQL("SELECT {}, {} FROM {} WHERE id = %s").format(
            _columns(RECORD_COLUMNS), sql.Identifier("thumbnail" if thumbnail else "image"),
            self._table)
        with self._tx() as conn:
            row = conn.execute(statement, [str(photo_id)]).fetchone()
        if row is None:
            raise NotFoundError(f"no photo {photo_id!r}")
        return photo_record(row[:-1]), bytes(row[-1])
