"""ETags of stored features (``"{cid}-{fid}-v{version}"``) and If-Match checks.

Header values are ASCII (Starlette writes them as Latin-1): an id with other
characters (ids may be Chinese) appears percent-encoded, as in a URL path.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.exceptions import HTTPException

from geo.errors import VersionMismatchError

__all__ = ["etag_for", "expected_version", "header_id"]


def header_id(fid: str) -> str:
    """Return ``fid`` as header-safe ASCII: unchanged for ASCII ids, else percent-encoded.

    Examples
    --------
    >>> header_id("S-00001"), header_id("中原1")
    ('S-00001', '%E4%B8%AD%E5%8E%9F1')
    """
    return quote(fid, safe="-_.~")


def etag_for(cid: str, fid: str, version: int | None) -> str:
    """Return the strong ETag of a feature at ``version`` (as GET answers it)."""
    return f'"{cid}-{header_id(fid)}-v{version}"'


def expected_version(
    if_match: str | None, *, cid: str, fid: str, allow_any: bool = False
) -> int | None:
    """Return the version an ``If-Match`` header asserts for the feature.

    A missing header is 428 (Precondition Required): changes must say which
    version they change. ``*`` matches any current version (RFC 9110,
    13.1.1), which is no protection against lost updates: it is 428 as well,
    unless ``allow_any`` (the ``allow_if_match_any`` setting), then None, no
    version check. An ETag of another feature, or unreadable, is stale:
    VersionMismatchError (412).
    """
    if if_match is None or not if_match.strip():
        raise HTTPException(428, "If-Match with the feature's ETag is required for changes")
    if if_match.strip() == "*":
        if not allow_any:
            raise HTTPException(
                428, "If-Match: * names no version; send the ETag of the version you change"
            )
        return None
    prefix = f"{cid}-{header_id(fid)}-v"
    for tag in if_match.split(","):
        value = tag.strip().removeprefix("W/").strip('"')
        rest = value.removeprefix(prefix)
        if value.startswith(prefix) and rest.isdigit():
            return int(rest)
    raise VersionMismatchError(f"If-Match {if_match.strip()} is not an ETag of {cid}/{fid}")
