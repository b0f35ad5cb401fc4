"""Answer in the format a client asked for: GeoJSON, HTML or a GIS file.

``f=`` wins; without it a browser (``Accept: text/html``) gets HTML and
everyone else JSON. File formats are written to a temporary file by
:func:`geo.io.writers.export_frame` and streamed from disk, so memory stays
bounded however many features are exported.
"""

from __future__ import annotations

import io
import itertools
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pandas as pd
from fastapi import Request
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.background import BackgroundTask
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from geo.errors import InputError
from geo.io.writers import EXPORT_FORMATS, Frames, export_frame, iter_features, pages_of

__all__ = [
    "FEATURE_FORMATS",
    "GEOJSON",
    "PAGE_FORMATS",
    "XLSX",
    "VaryOnAccept",
    "export_response",
    "report_file_response",
    "json_response",
    "pick_format",
    "stream_feature_collection",
    "wants_html",
]

GEOJSON = "application/geo+json"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
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
    request.state.vary_accept = True  # VaryOnAccept tells caches: this answer depends on Accept
    accept = request.headers.get("accept", "")
    if "text/html" in accept and "json" not in accept and "html" in allowed:
        return "html"
    return "json"


def wants_html(request: Request) -> bool:
    """Return whether the caller is a browser: ``f=html``, or Accept names HTML and no JSON."""
    fmt = request.query_params.get("f")
    if fmt is not None:
        return fmt == "html"
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "json" not in accept


class VaryOnAccept:
    """ASGI middleware adding ``Vary: Accept`` to answers :func:`pick_format` chose by Accept.

    Without it a shared cache could keep a browser's HTML page of a URL and
    hand it to a program asking the same URL for JSON (RFC 9110, 12.5.5).
    An answer chosen by ``f=`` does not vary: the format is in the URL.

    Parameters
    ----------
    app : ASGIApp
        The application to wrap.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; add ``Accept`` to ``Vary`` when the route negotiated."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Request.state lives in this dict, shared by the copies of the scope made downstream
        state = scope.setdefault("state", {})

        async def send_varied(message: Message) -> None:
            if message["type"] == "http.response.start" and state.get("vary_accept"):
                MutableHeaders(scope=message).add_vary_header("Accept")
            await send(message)

        await self.app(scope, receive, send_varied)


def json_response(
    body: Any, *, media_type: str = "application/json", **headers: str
) -> JSONResponse:
    """Return ``body`` as JSON with the given media type and headers."""
    return JSONResponse(body, media_type=media_type, headers=headers or None)


def export_response(
    frame: Frames, *, fmt: str, name: str, sheet: str | None = None
) -> FileResponse:
    """Write ``frame`` (or its pages) in ``fmt`` to a temporary file; stream it as a download.

    ``name`` names the file; ``sheet`` the layer or sheet inside it (default: ``name``).
    """
    suffix, media_type = EXPORT_FORMATS[_EXPORT_OF[fmt]]
    handle, tmp = tempfile.mkstemp(prefix="zonewatch-", suffix=suffix)
    os.close(handle)
    path = Path(tmp)
    try:
        export_frame(frame, path, fmt=_EXPORT_OF[fmt], layer_name=sheet or name)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return FileResponse(
        path,
        media_type=media_type,
        filename=f"{name}{suffix}",
        background=BackgroundTask(path.unlink, missing_ok=True),
    )


_FEATURES_PER_CHUNK = 1000


def report_file_response(
    fmt: str, name: str, *, csv_text: Callable[[], str],
    write_xlsx: Callable[[io.BytesIO], None],
) -> Response:
    """Answer a report as a downloaded ``name.csv`` or ``name.xlsx`` (``fmt``).

    ``csv_text`` returns the CSV (with its BOM); ``write_xlsx`` writes the
    workbook into the buffer it is given.
    """
    disposition = {"Content-Disposition": f'attachment; filename="{name}.{fmt}"'}
    if fmt == "csv":
        return Response(csv_text().encode("utf-8"), media_type="text/csv; charset=utf-8",
                        headers=disposition)
    buffer = io.BytesIO()
    write_xlsx(buffer)
    return Response(buffer.getvalue(), media_type=XLSX, headers=disposition)


def _json_bytes(value: Any) -> bytes:
    """Encode ``value`` as compact UTF-8 JSON (orjson: ~7x the stdlib encoder here).

    Floats keep every digit (shortest round-trip form, as ``repr``);
    :func:`~geo.io.writers.iter_features` has already turned NaN into null.
    """
    return orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY)


def stream_feature_collection(frame: Frames, **members: Any) -> Response:
    """Answer ``frame`` (or its pages) as a GeoJSON FeatureCollection.

    Radius and priority answers have no page limit (up to the whole ledger):
    a large answer is streamed a thousand features a chunk, and pages are
    read as the stream reaches them, which keeps the ledger and the encoded
    document out of memory. One frame that fits in one chunk is sent whole,
    with a Content-Length: a stream costs a thread hand-off per chunk.
    """
    head = _json_bytes({"type": "FeatureCollection", **members})[:-1] + b',"features":['
    chunks = _feature_chunks(frame, head)
    if isinstance(frame, pd.DataFrame) and len(frame) <= _FEATURES_PER_CHUNK:
        return Response(b"".join(chunks), media_type=GEOJSON)
    return StreamingResponse(chunks, media_type=GEOJSON)


def _feature_chunks(frame: Frames, head: bytes) -> Iterator[bytes]:
    yield head
    features = itertools.chain.from_iterable(map(iter_features, pages_of(frame)))
    separator = b""
    while batch := list(itertools.islice(features, _FEATURES_PER_CHUNK)):
        # a list encodes as "[...]": drop the brackets, the caller's array holds them
        yield separator + _json_bytes(batch)[1:-1]
        separator = b","
    yield b"]}"
