"""Photos made for tests: JPEGs carrying EXIF (a GPS position, a maker, an orientation), PNGs."""

from __future__ import annotations

import io

from PIL import Image

__all__ = ["GPS_TAG", "ORIENTATION_TAG", "jpeg", "png"]

GPS_TAG = 0x8825
ORIENTATION_TAG = 0x0112


def jpeg(size: tuple[int, int] = (400, 300), *, orientation: int | None = None,
         gps: bool = True) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    if orientation:
        exif[ORIENTATION_TAG] = orientation
    if gps:
        exif[GPS_TAG] = {1: "N", 2: (34.0, 45.0, 27.0), 3: "E", 4: (113.0, 39.0, 55.0)}
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def png(size: tuple[int, int] = (64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", size, (0, 0, 255, 128)).save(buffer, "PNG")
    return buffer.getvalue()
