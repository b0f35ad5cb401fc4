"""Parse and check query parameters the OGC way: a bad value is a 400 problem."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable

from fastapi import Request

from geo.errors import InputError

__all__ = ["parse_bbox", "parse_datetime", "refuse_nul_params", "refuse_unknown_params"]


def parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    """Parse ``bbox=minLon,minLat,maxLon,maxLat`` (WGS84); None when absent.

    Raises
    ------
    InputError
        Wrong count, non-numbers, out of range, or min above max.
    """
    if text is None:
        return None
    parts = [p.strip() for p in text.split(",")]
    if len(parts) == 6:
        parts = [parts[0], parts[1], parts[3], parts[4]]  # drop the heights of a 3D bbox
    if len(parts) != 4:
        raise InputError(f"bbox needs 4 numbers minLon,minLat,maxLon,maxLat; got {len(parts)}")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise InputError(f"bbox {text!r} holds a value that is not a number") from None
    min_lon, min_lat, max_lon, max_lat = values
    if not all(math.isfinite(v) for v in values):
        raise InputError(f"bbox {text!r} holds a value that is not finite")
    if not (-180 <= min_lon <= 180 and -180 <= max_lon <= 180):
        raise InputError(f"bbox longitudes must lie in -180..180; got {min_lon}, {max_lon}")
    if not (-90 <= min_lat <= 90 and -90 <= max_lat <= 90):
        raise InputError(f"bbox latitudes must lie in -90..90; got {min_lat}, {max_lat}")
    if min_lat > max_lat or min_lon > max_lon:
        raise InputError(
            f"bbox {text!r} is in the wrong order; expected minLon,minLat,maxLon,maxLat"
        )
    return min_lon, min_lat, max_lon, max_lat


def refuse_nul_params(request: Request) -> None:
    """Raise InputError naming any path or query parameter holding a NUL character.

    Installed for every route (:func:`api.app.create_app`): no ledger text or
    id holds a NUL (:func:`geo.ledger.validate_record` refuses it), and
    PostgreSQL cannot even compare against one while SQLite can, so without
    this one rule the two stores would answer such a request differently.
    """
    in_path = sorted(k for k, v in request.path_params.items() if "\x00" in str(v))
    if in_path:
        raise InputError(f"path parameter(s) {', '.join(in_path)!r} hold a NUL character")
    in_query = sorted({k for k, v in request.query_params.multi_items() if "\x00" in k + v})
    if in_query:
        raise InputError(f"query parameter(s) {', '.join(in_query)!r} hold a NUL character")


def refuse_unknown_params(request: Request, allowed: Iterable[str]) -> None:
    """Raise InputError naming any query parameter the endpoint does not define.

    Also refuses NUL characters in any value (:func:`refuse_nul_params`).
    """
    known = set(allowed)
    refuse_nul_params(request)
    unknown = sorted(k for k in request.query_params if k not in known)
    if unknown:
        raise InputError(
            f"unknown query parameter(s): {', '.join(unknown)}; "
            f"this endpoint takes: {', '.join(sorted(known))}"
        )


def parse_datetime(text: str | None) -> tuple[dt.datetime | None, dt.datetime | None] | None:
    """Parse the OGC ``datetime`` parameter: an RFC 3339 instant or an interval.

    An instant ``2024-05-01T08:00:00Z`` or date ``2024-05-01`` is an interval of
    itself; ``start/end`` with ``..`` (or nothing) for an open end.

    Returns
    -------
    tuple or None
        ``(start, end)`` in UTC (None for an open end); None when absent.

    Raises
    ------
    InputError
        Not an RFC 3339 date/date-time, or the interval ends before it starts.
    """
    if text is None:
        return None
    parts = text.split("/")
    if len(parts) > 2:
        raise InputError(f"datetime {text!r} has more than one '/'")
    if len(parts) == 1:
        instant = _instant(parts[0], text)
        if instant is None:
            raise InputError(f"datetime {text!r} is not an RFC 3339 date-time or interval")
        return instant, instant
    start, end = (_instant(part, text) for part in parts)
    if start is not None and end is not None and end < start:
        raise InputError(f"datetime interval {text!r} ends before it starts")
    return start, end


def _instant(part: str, text: str) -> dt.datetime | None:
    if part in ("", ".."):
        return None
    try:
        if _RFC3339_DATE.fullmatch(part):
            return dt.datetime.fromisoformat(part).replace(tzinfo=dt.UTC)
        if _RFC3339_DATETIME.fullmatch(part):
            value = dt.datetime.fromisoformat(part.replace("z", "Z").replace("Z", "+00:00"))
            return value.astimezone(dt.UTC)
    except ValueError:
        pass
    raise InputError(f"datetime {text!r}: {part!r} is not an RFC 3339 date or date-time")


_RFC3339_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_RFC3339_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})"
)
