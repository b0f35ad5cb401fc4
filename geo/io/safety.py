"""Checks that an import file is what its name says before anything parses it.

GDAL would open almost anything it is handed (a VRT pointing at other
files, an ``OAPIF:`` URL, a zip of a zip), so Zonewatch decides the format
from the file name, checks that the first bytes agree, and only then lets
the one reader for that format look at it. Zip archives are checked member
by member before anything is extracted: no absolute paths or ``..``, no
links, a bounded number of members, bounded total size and compression
ratio (zip bombs). A malformed archive (a header that lies about a size,
corrupt compressed data, a method Python cannot unpack) is an
:class:`~geo.errors.InputError` wherever it shows, never a crash
(:func:`unreadable_zip`).
"""

from __future__ import annotations

import stat
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from geo.errors import InputError

__all__ = [
    "MAX_UNZIPPED_BYTES",
    "ZIP_ERRORS",
    "check_content",
    "check_zip",
    "extract_zip",
    "unreadable_zip",
]

MAX_UNZIPPED_BYTES = 500 * 1024 * 1024
MAX_RATIO = 200
MAX_MEMBERS = 200
_SQLITE_MAGIC = b"SQLite format 3\x00"
_ZIP_MAGIC = b"PK\x03\x04"
_EMPTY_ZIP_MAGIC = b"PK\x05\x06"  # an archive of no members is only its end record
_EMPTY = "empty zip archive"
_SNIFF_BYTES = 4096
#: What :mod:`zipfile` raises for a malformed archive: a bad CRC when a header
#: lies about a size, zlib errors for corrupt data, NotImplementedError for a
#: compression method it lacks, EOFError for data that ends early.
ZIP_ERRORS: tuple[type[Exception], ...] = (
    zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, NotImplementedError, EOFError,
    UnicodeDecodeError,  # a member name flagged UTF-8 that is not
)
_LABELS = {
    "csv": "CSV file",
    "geojson": "GeoJSON file",
    "gpkg": "readable GeoPackage",
    "shp": "zipped Shapefile",
    "kml": "KML file",
    "xlsx": "XLSX workbook",
}


def check_content(path: Path, fmt: str) -> None:
    """Refuse ``path`` unless its first bytes fit ``fmt`` (csv, geojson, gpkg, shp, kml, xlsx).

    Raises
    ------
    InputError
        Naming the file, the format its name claims and why the content differs.
    """
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    reason = _mismatch(head, fmt)
    if reason == _EMPTY:
        raise InputError(f"{path.name}: {reason}, nothing to import")
    if reason:
        raise InputError(f"{path.name}: not a {_LABELS.get(fmt, fmt)} ({reason})")


def _mismatch(head: bytes, fmt: str) -> str | None:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if fmt in ("gpkg",):
        return None if head.startswith(_SQLITE_MAGIC) else "no SQLite header"
    if fmt in ("shp", "xlsx"):
        if head.startswith(_EMPTY_ZIP_MAGIC):
            return _EMPTY
        return None if head.startswith(_ZIP_MAGIC) else "not a zip archive"
    if head.startswith((_SQLITE_MAGIC, _ZIP_MAGIC)) or b"\x00" in head:
        return "binary content"
    lowered = text[:200].lower()
    if lowered.startswith(b"oapif:") or b"<ogrvrtdatasource" in head.lower():
        return "a GDAL connection string or VRT, which is never opened"
    if fmt == "geojson" and not text.startswith((b"{", b"[")):
        return "JSON must start with '{'"
    if fmt == "kml" and not (text.startswith(b"<") and b"<kml" in head.lower()):
        return "no <kml> element"
    return None


@contextmanager
def unreadable_zip(path: Path, what: str = "zip archive") -> Iterator[None]:
    """Turn the errors of a malformed archive read inside the block into an InputError.

    Parameters
    ----------
    path : Path
        The archive, named in the message.
    what : str
        How the message names it (``"zip archive"``, ``"XLSX workbook"``).
    """
    try:
        yield
    except ZIP_ERRORS as exc:
        reason = str(exc) or type(exc).__name__  # EOFError often says nothing
        raise InputError(f"{path.name}: not a readable {what} ({reason})") from None


def check_zip(path: Path, *, max_unzipped_bytes: int = MAX_UNZIPPED_BYTES) -> list[str]:
    """Return the member names of a zip after checking them all; InputError if any is unsafe."""
    with _opened(path) as archive:
        infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise InputError(f"{path.name}: {len(infos)} members, more than {MAX_MEMBERS}")
    total = 0
    for info in infos:
        _check_member(path, info)
        total += info.file_size
        if total > max_unzipped_bytes:
            raise InputError(
                f"{path.name}: unpacks to more than {max_unzipped_bytes} bytes (zip bomb?)"
            )
    return [info.filename for info in infos]


def _check_member(path: Path, info: zipfile.ZipInfo) -> None:
    name = info.filename
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if name.startswith(("/", "\\")) or ".." in parts or (parts and ":" in parts[0]):
        raise InputError(f"{path.name}: member {name!r} points outside the archive")
    if stat.S_ISLNK(info.external_attr >> 16):
        raise InputError(f"{path.name}: member {name!r} is a link")
    if info.flag_bits & 0x1:
        raise InputError(f"{path.name}: member {name!r} is encrypted; zip it without a password")
    if info.file_size > MAX_RATIO * max(info.compress_size, 1) and info.file_size > 1024 * 1024:
        raise InputError(
            f"{path.name}: member {name!r} compresses {info.file_size} bytes "
            f"more than {MAX_RATIO}:1 (zip bomb?)"
        )


def extract_zip(
    path: Path, dest: Path, *, suffixes: tuple[str, ...], max_unzipped_bytes: int
) -> list[Path]:
    """Check ``path`` and extract its members with ``suffixes`` flat into ``dest``.

    Directory parts of member names are dropped, so nothing lands outside
    ``dest``; two members of the same name in different folders are refused
    (one would silently replace the other); sizes are re-checked while
    writing (a header can lie).
    """
    check_zip(path, max_unzipped_bytes=max_unzipped_bytes)
    written: list[Path] = []
    total = 0
    with _opened(path) as archive:
        for info in archive.infolist():
            base = PurePosixPath(info.filename.replace("\\", "/")).name
            if info.is_dir() or not base.lower().endswith(suffixes) or base.startswith("."):
                continue
            target = dest / base
            if target in written:
                raise InputError(f"{path.name}: two members are named {base!r}; "
                                 f"zip one set of files per name")
            with target.open("wb") as out:
                for chunk in _member_chunks(path, archive, info):
                    total += len(chunk)
                    if total > max_unzipped_bytes:
                        raise InputError(f"{path.name}: unpacks to more than "
                                         f"{max_unzipped_bytes} bytes (zip bomb?)")
                    out.write(chunk)
            written.append(target)
    return written


@contextmanager
def _opened(path: Path) -> Iterator[zipfile.ZipFile]:
    """Open the archive; a malformed or unreadable one is an InputError."""
    try:
        with unreadable_zip(path):
            archive = zipfile.ZipFile(path)
    except OSError as exc:
        raise InputError(f"{path.name}: not a readable zip archive ({exc})") from None
    with archive:
        yield archive


def _member_chunks(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[bytes]:
    # Reading only: an OSError here is a corrupt offset in the archive (a seek
    # outside the file); errors writing the chunks out are the caller's own.
    try:
        with unreadable_zip(path), archive.open(info) as src:
            while chunk := src.read(1 << 20):
                yield chunk
    except OSError as exc:
        raise InputError(f"{path.name}: not a readable zip archive ({exc})") from None
