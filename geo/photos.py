"""Inspection photos: checked, re-encoded without EXIF, shrunk, with a thumbnail.

A phone photo carries EXIF: the GPS position of whoever took it, the
device, the time. None of it is kept: the image is decoded and encoded
again (after turning it upright by its EXIF orientation), so the stored
file holds pixels only. Only JPEG and PNG are taken, up to a byte size
and a pixel count (a decompression bomb is refused before it is decoded),
and large photos are shrunk to :data:`MAX_SIDE_PX` on their longer side,
which is plenty to see a purifier's label.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from geo.errors import ValidationError
from geo.ledger import now_utc
from geo.store.base import PhotoData, PhotoRecord

__all__ = ["MAX_PHOTOS", "MAX_PIXELS", "MAX_SIDE_PX", "CleanPhoto", "clean_photo",
           "photo_data"]

#: Photos one inspection may carry.
MAX_PHOTOS = 5
#: Longest side of a stored photo, in pixels.
MAX_SIDE_PX = 2048
#: Longest side of a thumbnail, in pixels.
THUMB_SIDE_PX = 320
#: Largest image decoded (width x height): 60 megapixels, above any phone camera.
MAX_PIXELS = 60_000_000
_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png"}


@dataclass(frozen=True)
class CleanPhoto:
    """A photo ready to store: re-encoded image, its size, a JPEG thumbnail."""

    media_type: str
    image: bytes
    width: int
    height: int
    thumbnail: bytes


def _refuse(name: str, why: str) -> ValidationError:
    return ValidationError(f"photo {name!r}: {why}", field="photos")


def _opened(data: bytes, name: str, max_bytes: int) -> Image.Image:
    if len(data) > max_bytes:
        raise _refuse(name, f"{len(data) / 1e6:.1f} MB is more than the "
                            f"{max_bytes / 1e6:.0f} MB a photo may have")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, Image.DecompressionBombWarning,
            Image.DecompressionBombError, OSError) as exc:
        raise _refuse(name, f"not a readable JPEG or PNG image ({exc})") from None
    if image.format not in _FORMATS:
        raise _refuse(name, f"{image.format or 'this file'} is not a JPEG or PNG photo")
    if image.width * image.height > MAX_PIXELS:
        raise _refuse(name, f"{image.width}x{image.height} pixels is more than a photo has")
    try:
        image.load()
    except (OSError, ValueError, SyntaxError) as exc:  # truncated or corrupt data
        raise _refuse(name, f"the image is damaged ({exc})") from None
    return image


def _encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.info = {}  # nothing of the original's metadata (EXIF, ICC, text) is written
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def _rgb(image: Image.Image) -> Image.Image:
    if image.mode in ("RGB", "L"):
        return image
    flat = Image.new("RGB", image.size, "white")  # transparency shows as white
    rgba = image.convert("RGBA")
    flat.paste(rgba, mask=rgba.getchannel("A"))
    return flat


def clean_photo(data: bytes, *, name: str = "photo", max_bytes: int = 10_000_000) -> CleanPhoto:
    """Return ``data`` as a photo to store: upright, without metadata, shrunk, with a thumbnail.

    Parameters
    ----------
    data : bytes
        The uploaded file.
    name : str
        The file's name, for messages.
    max_bytes : int
        The largest upload taken.

    Raises
    ------
    ValidationError
        ``field="photos"``: too large, not JPEG/PNG, too many pixels or damaged.
    """
    original = _opened(data, name, max_bytes)
    fmt = str(original.format)
    upright = ImageOps.exif_transpose(original) or original
    upright.thumbnail((MAX_SIDE_PX, MAX_SIDE_PX), Image.Resampling.LANCZOS)
    if fmt == "JPEG":
        image = _encoded(_rgb(upright), "JPEG", quality=85, optimize=True)
    else:
        image = _encoded(upright.copy(), "PNG", optimize=True)
    thumb = _rgb(upright.copy())
    thumb.thumbnail((THUMB_SIDE_PX, THUMB_SIDE_PX), Image.Resampling.LANCZOS)
    return CleanPhoto(media_type=_FORMATS[fmt], image=image, width=upright.width,
                      height=upright.height, thumbnail=_encoded(thumb, "JPEG", quality=80))


def photo_data(inspection_id: str, photos: Sequence[CleanPhoto]) -> list[PhotoData]:
    """Return the rows that store ``photos`` with inspection ``inspection_id``.

    Raises
    ------
    ValidationError
        More than :data:`MAX_PHOTOS` photos.
    """
    if len(photos) > MAX_PHOTOS:
        raise ValidationError(f"an inspection has at most {MAX_PHOTOS} photos; got "
                              f"{len(photos)}", field="photos")
    at = now_utc()
    return [PhotoData(PhotoRecord(
        id=f"{inspection_id}-photo-{number}", inspection_id=inspection_id,
        media_type=p.media_type, width=p.width, height=p.height, size_bytes=len(p.image),
        sha256=hashlib.sha256(p.image).hexdigest(), created_at=at), p.image, p.thumbnail)
        for number, p in enumerate(photos, start=1)]
