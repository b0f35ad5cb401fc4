"""ETags of stored features (``"{cid}-{fid}-v{version}"``) and If-Match checks."""

from __future__ import annotations

from starlette.exceptions import HTTPException

from geo.errors import VersionMismatchError

__all__ = ["etag_for", "expected_version"]


def etag_for(cid: str, fid: str, version: int | None) -> str:
    """Return the strong ETag of a feature at ``version`` (as GET answers it)."""
    return f'"{cid}-{fid}-v{version}"'


def expected_version(if_match: str | None, *, cid: str, fid: str) -> int:
    """Return the version an ``If-Match`` header asserts for the feature.

    A missing header is 428 (Precondition Required): changes must say which
    version they change. An ETag of another feature, or unreadable, is
    stale: VersionMismatchError (412).
    """
    if if_match is None or not if_match.strip():
        raise HTTPException(428, "If-Match with the feature's ETag is required for changes")
    prefix = f"{cid}-{fid}-v"
    for tag in if_match.split(","):
        value = tag.strip().removeprefix("W/").strip('"')
        rest = value.removeprefix(prefix)
        if value.startswith(prefix) and rest.isdigit():
            return int(rest)
    raise VersionMismatchError(f"If-Match {if_match.strip()} is not an ETag of {cid}/{fid}")
