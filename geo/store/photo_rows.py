"""Inspection photos as both stores keep them: one row per photo, image and thumbnail inline.

The GeoPackage keeps them in ``zw_photos`` (BLOBs), PostGIS in ``photos``
(``bytea``): the photo stays with the ledger it documents, in its backups
and copies. The columns and their order are the same in both.
"""

from __future__ import annotations

from typing import Any

from geo.store.base import PhotoData, PhotoRecord

__all__ = ["PHOTO_COLUMNS", "RECORD_COLUMNS", "photo_record", "photo_row"]

#: The columns of a photo's record, as :class:`PhotoRecord` orders its fields.
RECORD_COLUMNS = ("id", "inspection_id", "media_type", "width", "height", "size_bytes",
                  "sha256", "created_at")
#: Every stored column: the record's, then the image and its thumbnail.
PHOTO_COLUMNS = (*RECORD_COLUMNS, "image", "thumbnail")


def photo_row(photo: PhotoData) -> tuple[Any, ...]:
    """Return the values of :data:`PHOTO_COLUMNS` for ``photo``."""
    r = photo.record
    return (r.id, r.inspection_id, r.media_type, r.width, r.height, r.size_bytes, r.sha256,
            r.created_at, photo.image, photo.thumbnail)


def photo_record(row: tuple[Any, ...]) -> PhotoRecord:
    """Return the record of a row read as :data:`RECORD_COLUMNS`."""
    fid, inspection_id, media_type, width, height, size, sha256, created_at = row
    return PhotoRecord(str(fid), str(inspection_id), str(media_type), int(width), int(height),
                       int(size), str(sha256), str(created_at))
