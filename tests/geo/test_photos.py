"""Inspection photos: no metadata kept, upright, size-capped, stored with their inspection."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from shapely import Point

from geo import writes
from geo.errors import NotFoundError, ValidationError
from geo.ledger import Feature
from geo.photos import MAX_PHOTOS, MAX_SIDE_PX, clean_photo
from geo.store import Store
from tests._support.images import GPS_TAG, jpeg, png


def test_the_input_really_has_exif_and_the_stored_photo_has_none() -> None:
    raw = jpeg()
    assert GPS_TAG in Image.open(io.BytesIO(raw)).getexif()
    clean = clean_photo(raw)
    stored = Image.open(io.BytesIO(clean.image))
    assert stored.format == "JPEG" and not stored.getexif()
    assert b"PhoneMaker" not in clean.image and b"Exif" not in clean.image
    assert clean.media_type == "image/jpeg" and (clean.width, clean.height) == (400, 300)


def test_a_photo_is_turned_upright_by_its_orientation() -> None:
    clean = clean_photo(jpeg((400, 300), orientation=6))  # taken with the phone turned
    assert (clean.width, clean.height) == (300, 400)


def test_large_photos_are_shrunk_and_thumbnails_are_small_jpegs() -> None:
    clean = clean_photo(jpeg((4000, 3000), gps=False))
    assert max(clean.width, clean.height) == MAX_SIDE_PX
    thumb = Image.open(io.BytesIO(clean.thumbnail))
    assert thumb.format == "JPEG" and max(thumb.size) == 320


def test_a_png_stays_a_png() -> None:
    clean = clean_photo(png())
    assert clean.media_type == "image/png"
    assert Image.open(io.BytesIO(clean.image)).format == "PNG"


@pytest.mark.parametrize(("data", "words"), [
    (b"GIF89a" + b"\0" * 40, "not a readable"),
    (b"%PDF-1.4 not a photo", "not a readable"),
    (jpeg()[:300], "not a readable"),
    (jpeg()[:1000], "damaged"),
])
def test_what_is_not_a_jpeg_or_png_photo_is_refused(data: bytes, words: str) -> None:
    with pytest.raises(ValidationError, match=words) as caught:
        clean_photo(data, name="x.jpg")
    assert caught.value.field == "photos"


def test_gif_and_oversize_and_bombs_are_refused() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buffer, "GIF")
    with pytest.raises(ValidationError, match="not a JPEG or PNG"):
        clean_photo(buffer.getvalue())
    with pytest.raises(ValidationError, match="MB"):
        clean_photo(jpeg(), max_bytes=1000)
    bomb = io.BytesIO()
    Image.new("1", (8000, 8000)).save(bomb, "PNG")  # tiny file, 64 megapixels
    with pytest.raises(ValidationError, match="pixels"):
        clean_photo(bomb.getvalue())


def _ledger(store: Store) -> None:
    writes.create(store, "sources", Feature("S1", {"name": "店", "category": "catering"},
                                            Point(113.65, 34.75)), actor="t")


def _visit(fid: str = "I1", source: str = "S1") -> Feature:
    return Feature(fid, {"source_id": source, "date": "2026-11-20", "result": "compliant",
                         "fume_purifier": "in_use"})


def test_photos_are_stored_with_their_inspection(store: Store) -> None:
    _ledger(store)
    photos = [clean_photo(jpeg()), clean_photo(png())]
    writes.record_inspection(store, _visit(), actor="张三", photos=photos)
    found = store.photos.of_inspections(["I1", "I-none"])
    assert list(found) == ["I1"] and len(found["I1"]) == 2
    record, image = store.photos.content(found["I1"][0].id)
    assert image == photos[0].image and record.size_bytes == len(image)
    _, thumb = store.photos.content(found["I1"][1].id, thumbnail=True)
    assert thumb == photos[1].thumbnail
    assert store.get("sources", "S1").properties["fume_purifier"] == "in_use"
    with pytest.raises(NotFoundError):
        store.photos.content("P-nope")


def test_an_inspection_that_fails_stores_no_photo(store: Store) -> None:
    _ledger(store)
    with pytest.raises(NotFoundError):
        writes.record_inspection(store, _visit(source="S-missing"), actor="t",
                                 photos=[clean_photo(jpeg())])
    too_many = [clean_photo(png())] * (MAX_PHOTOS + 1)
    with pytest.raises(ValidationError, match="at most"):
        writes.record_inspection(store, _visit("I2"), actor="t", photos=too_many)
    assert store.count("inspections") == 0
    assert store.photos.of_inspections(["I1", "I2"]) == {}
