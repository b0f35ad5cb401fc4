"""Real-browser test settings: Debian Chromium's flags, the screenshot folder, a staff browser."""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["ARTIFACTS", "CHROMIUM_ARGS", "SIZES", "StaffBrowser"]

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
#: The two screens every workspace page is tried on.
SIZES = {"desktop": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}


class StaffBrowser:
    """One person's browser: its own cookies, every dialog, page error and request recorded.

    Parameters
    ----------
    chromium : playwright Browser
        The launched Chromium.
    base : str
        The live server's base URL.
    size : str
        A key of :data:`SIZES`.
    has_touch, is_mobile : bool, default False
        A phone's touch screen and mobile viewport (taps, ``<meta viewport>``).
    geolocation : dict, optional
        The position the browser reports (``longitude``, ``latitude``).
    permissions : list of str, optional
        Permissions granted to the pages, e.g. ``["geolocation"]``.
    """

    def __init__(self, chromium: Any, base: str, size: str, *, has_touch: bool = False,
                 is_mobile: bool = False, geolocation: dict[str, float] | None = None,
                 permissions: list[str] | None = None) -> None:
        self.context = chromium.new_context(viewport=SIZES[size], accept_downloads=True,
                                             locale="zh-CN", has_touch=has_touch,
                                             is_mobile=is_mobile, geolocation=geolocation,
                                             permissions=permissions)
        self.page = self.context.new_page()
        self.base, self.size = base, size
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("request", lambda req: self.requests.append(req.url))

    def go(self, path: str) -> Any:
        """Open a path of the server."""
        return self.page.goto(self.base + path)

    def sign_in(self, username: str, password: str) -> None:
        """Type the username and password into the sign-in page and submit it."""
        self.go("/login")
        self.page.fill("#username", username)
        self.page.fill("#password", password)
        self.page.click("form[action='/login'] button[type=submit]")
        self.page.wait_for_load_state()

    def shot(self, name: str) -> None:
        """Save a full-page screenshot as ``tests/artifacts/workspace-<name>-<size>.png``."""
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"workspace-{name}-{self.size}.png"),
                             full_page=True)

    def close(self) -> None:
        """Check that no payload ran, no script failed and nothing was fetched from outside."""
        assert not self.dialogs, self.dialogs
        assert not self.errors, self.errors
        assert all(url.startswith(self.base) or url.startswith(("data:", "blob:"))
                   for url in self.requests), "a page reached outside Zonewatch"
        self.context.close()
