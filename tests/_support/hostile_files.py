"""Import files that broke Zonewatch (issue 10), built in code for the importer and upload tests.

Each builder makes the file the way the program that writes it in the wild
does (Google Earth's empty folders, Excel's GB18030 lines, QGIS leaving a
stale feature count), or patches a real file the way a hostile one differs.
"""

from __future__ import annotations

import io
import sqlite3
import struct
import zipfile
from pathlib import Path

import geopandas as gpd
import pyogrio
from shapely import Point

NAMES = ["老王烧烤", "金水餐馆", "夜市一"]
CATEGORIES = ["bbq", "catering", "other"]
SHEET = "xl/worksheets/sheet1.xml"

# Offsets in a zip's central directory entry (APPNOTE 4.3.12) and local header (4.3.7).
_CENTRAL = {"method": (10, "<H"), "crc": (16, "<I"), "file_size": (24, "<I")}
_LOCAL = {"method": (8, "<H"), "file_size": (22, "<I")}


def sources_frame(**columns: list) -> gpd.GeoDataFrame:
    """Three sources (:data:`NAMES`) as a GeoDataFrame, with extra ``columns``."""
    data = {"name": NAMES, "category": CATEGORIES, **columns}
    points = [Point(113.60 + i * 0.01, 34.75) for i in range(len(NAMES))]
    return gpd.GeoDataFrame(data, geometry=points, crs="EPSG:4326")


def nested(depth: int) -> str:
    """A JSON array nested ``depth`` deep."""
    return "[" * depth + "]" * depth


def patch_header(data: bytes, member: str, *, central: bool, field: str, value: int) -> bytes:
    """Return zip ``data`` with ``field`` of ``member``'s central or local header at ``value``."""
    signature, name_at, length_at = (b"PK\x01\x02", 46, 28) if central else (b"PK\x03\x04", 30, 26)
    offset, fmt = (_CENTRAL if central else _LOCAL)[field]
    patched, start = bytearray(data), 0
    while (start := data.find(signature, start)) >= 0:
        length = struct.unpack_from("<H", data, start + length_at)[0]
        if data[start + name_at:start + name_at + length] == member.encode():
            struct.pack_into(fmt, patched, start + offset, value)
            return bytes(patched)
        start += 4
    raise AssertionError(f"no member {member}")


def corrupt_data(data: bytes, member: str, *, near_end: bool = False) -> bytes:
    """Return zip ``data`` with 40 bytes of ``member``'s compressed data flipped."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo(member)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    at = start + (info.compress_size - 400 if near_end else 10)
    patched = bytearray(data)
    for k in range(at, at + 40):
        patched[k] ^= 0xFF
    return bytes(patched)


def shapefile_zip(folder: Path) -> bytes:
    """The three sources as a zipped Shapefile (``sources.shp`` ...), its parts in ``folder``."""
    parts = folder / "shp-parts"
    parts.mkdir()
    pyogrio.write_dataframe(sources_frame(), parts / "sources.shp", driver="ESRI Shapefile",
                            encoding="UTF-8")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for part in sorted(parts.iterdir()):
            archive.write(part, part.name)
    return buffer.getvalue()


def xlsx_bytes(rows: int = 3) -> bytes:
    """A workbook of ``rows`` catering sources under a Chinese header row."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["名称", "类别", "经度", "纬度"])
    for i in range(rows):
        sheet.append([f"店{i}", "餐饮", 113.60 + i * 1e-6, 34.75])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _placemark(name: str, category: str, lon: float) -> str:
    return (f"<Placemark><name>{name}</name><ExtendedData><Data name=\"category\">"
            f"<value>{category}</value></Data></ExtendedData>"
            f"<Point><coordinates>{lon},34.75,0</coordinates></Point></Placemark>")


def google_earth_kml() -> str:
    """A KML as Google Earth saves "My Places": an empty new folder among folders of placemarks."""
    marks = [_placemark(n, c, 113.60 + i * 0.01)
             for i, (n, c) in enumerate(zip(NAMES, CATEGORIES, strict=True))]
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2" xmlns:gx="http://www.google.com/kml/ext/2.2">
<Document>
	<name>台账.kml</name>
	<Folder>
		<name>未命名文件夹</name>
		<open>1</open>
	</Folder>
	<Folder>
		<name>餐饮</name>
		{marks[0]}
		{marks[1]}
	</Folder>
	<Folder/>
	{marks[2]}
</Document>
</kml>"""


# Two-character words: their UTF-8 bytes also pair up as GB18030 (店一 reads as 搴椾竴),
# so the old reader decoded such a file as GB18030 and stored mojibake, rejecting nothing.
CSV_HEADER = "name,category,community,lon,lat\n"


def csv_row(i: int) -> str:
    """Line ``i`` (1 to 4) of a CSV of catering sources in community 金水."""
    return f"店{'一二三四'[i - 1]},catering,金水,{113.60 + i * 1e-4:.4f},34.75\n"


def mixed_csv() -> bytes:
    """A UTF-8 CSV whose line 4 was pasted in from a GB18030 file."""
    raw = (CSV_HEADER + csv_row(1) + csv_row(2)).encode("utf-8")
    return raw + csv_row(3).encode("gb18030") + csv_row(4).encode("utf-8")


def stale_gpkg(path: Path, *, cached: int) -> Path:
    """Write the three sources to a GeoPackage whose cached feature count says ``cached``."""
    pyogrio.write_dataframe(sources_frame(), path, driver="GPKG", layer="sources")
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE gpkg_ogr_contents SET feature_count = ?", (cached,))
    conn.close()
    return path
