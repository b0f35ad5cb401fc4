"""Answer in the format a client asked for: GeoJSON, HTML or a GIS file.

``f=`` wins; without it a browser (``Accept: text/html``) gets HTML and
everyone else JSON. File formats are written to a temporary file by
:func:`geo.io.writers.export_frame` and streamed from disk, so memory stays
bounded however many features are exported.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
from fastapi import Request
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from starlette.background import BackgroundTask

from geo.errors import InputError
from geo.io.writers import EXPORT_FORMATS, export_frame, iter_features

__all__ = [
    "FEATURE_FORMATS",
    "GEOJSON",
    "PAGE_FORMATS",
    "export_response",
    "json_response",
    "pick_format",
    "stream_feature_collection",
]

GEOJSON = "application/geo+json"
PAGE_FORMATS = ("json", "html")
#: ``f=`` values for feature results: json, html and every export format.
FEATURE_FORMATS = ("json", "html", "csv", "gpkg", "shp", "kml", "fgb", "xlsx")
_EXPORT_OF = {"csv": "csv", "gpkg": "gpkg", "shp": "shp", "kml": "kml", "fgb": "fgb",
              "xlsx": "xlsx"}


def pick_format(request: Request, f: str | None, *, allowed: tuple[str, ...]) -> str:
    """Return the response format: ``f`` when given (checked), else from Accept."""
    if f is not None:
        if f not in allowed:
            raise InputError(f"unknown format f={f!r}; expected one of: {', '.join(allowed)}")
        return f
    accept = request.headers.get("accept", "")
    if "text/html" in accept and "json" not in accept and "html" in allowed:
        return "html"
    return "json"


def json_response(
    body: Any, *, media_type: str = "application/json", **headers: str
) -> JSONResponse:
    """Return ``body`` as JSON with the given media type and headers."""
    return JSONResponse(body, media_type=media_type, headers=headers or None)


def export_response(frame: pd.DataFrame, *, fmt: str, name: str) -> FileResponse:
    """Write ``frame`` in ``fmt`` to a temporary file and stream it as a download."""
    suffix, media_type = EXPORT_FORMATS[_EXPORT_OF[fmt]]
    handle, tmp = tempfile.mkstemp(prefix="zonewatch-", suffix=suffix)
    os.close(handle)
    path = Path(tmp)
    try:
        export_frame(frame, path, fmt=_EXPORT_OF[fmt], layer_name=name)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return FileResponse(
        path,
        media_type=media_type,
        filename=f"{name}{suffix}",
        background=BackgroundTask(path.unlink, missing_ok=True),
    )


_FEATURES_PER_CHUNK = 500


def stream_feature_collection(frame: pd.DataFrame, **members: Any) -> StreamingResponse:
    """Stream ``frame`` as a GeoJSON FeatureCollection, a few hundred features a chunk.

    Radius and priority answers have no page limit (up to the whole ledger);
    streaming keeps the encoded document out of memory.
    """
    head = json.dumps({"type": "FeatureCollection", **members}, ensure_ascii=False,
                      allow_nan=False)

    def chunks() -> Iterator[bytes]:
        yield (head[:-1] + ', "features": [').encode()
        batch: list[str] = []
        separator = ""
        for feature in iter_features(frame):
            batch.append(json.dumps(feature, ensure_ascii=False, allow_nan=False,
                                    separators=(",", ":")))
            if len(batch) == _FEATURES_PER_CHUNK:
                yield (separator + ",".join(batch)).encode()
                batch, separator = [], ","
        if batch:
            yield (separator + ",".join(batch)).encode()
        yield b"]}"

    return StreamingResponse(chunks(), media_type=GEOJSON)
