"""One map page in a real Chromium: what it asked for, what went wrong, its screenshots.

The browser map modules of ``tests/maps`` subclass :class:`MapVisit` with what is their
own (a screen size, answer statuses, dialogs); the ``chromium`` fixture that opens their
pages lives in ``tests/maps/conftest.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

from tests._support.browser import ARTIFACTS

__all__ = ["BLANK_PNG", "READY", "VIEWPORTS", "MapVisit", "origin", "screenshot", "wait_drawn"]

#: Width and height of the three screens the field map is tried on.
VIEWPORTS = {"desktop": (1440, 900), "laptop": (1024, 768), "phone": (390, 844)}
#: A 1×1 transparent PNG: the browser's answer to tile requests, so no server reaches upstream.
BLANK_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")
#: True once the map has drawn every source, or given up (``zonewatch.error``).
READY = "window.zonewatch && (zonewatch.ready || zonewatch.error)"


def origin(url: str) -> str:
    """Return ``scheme://host:port`` of a URL."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def wait_drawn(page: Any) -> None:
    """Wait until the map has drawn every source; fail if it gave up instead."""
    page.wait_for_function(READY, timeout=30_000)
    assert page.evaluate("zonewatch.error") is None


def screenshot(page: Any, name: str, *, settle_ms: int = 300) -> Path:
    """Save the page to ``tests/artifacts/<name>.png`` after ``settle_ms``; return the path."""
    ARTIFACTS.mkdir(exist_ok=True)
    if settle_ms:
        page.wait_for_timeout(settle_ms)  # let the canvas and the last tiles settle
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


@dataclass
class MapVisit:
    """One map page, with every request and error it made.

    Parameters
    ----------
    page : playwright Page
        The open page.
    base : str
        The server's base URL; requests to any other host are :meth:`foreign`.
    """

    page: Any
    base: str
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    #: Screenshots are ``tests/artifacts/<prefix>-<name>.png``.
    prefix: ClassVar[str] = "map"
    #: How long a screenshot waits for the page to settle, in milliseconds.
    settle_ms: ClassVar[int] = 300

    def listen(self) -> None:
        """Record from now on every request, page error and console error of the page."""
        self.page.on("request", lambda req: self.requests.append(req.url))
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("console",
                     lambda msg: self.errors.append(msg.text) if msg.type == "error" else None)

    def foreign(self) -> list[str]:
        """Return the requests that went to any host but the server."""
        host = urlsplit(self.base).netloc
        return [u for u in self.requests if urlsplit(u).scheme not in ("data", "blob")
                and urlsplit(u).netloc != host]

    def shot(self, name: str) -> Path:
        """Save the page to ``tests/artifacts/<prefix>-<name>.png``; return the path."""
        return screenshot(self.page, f"{self.prefix}-{name}", settle_ms=self.settle_ms)
