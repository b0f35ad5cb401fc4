"""What the map page of a signed-in editor carries to edit the ledger.

Only the page of a signed-in account whose role may write (``editor``,
``admin``) holds a :class:`MapEditing`: it loads the editing tools
(``assets/zonewatch-edit.js`` and Leaflet-Geoman) and carries the session's
CSRF token, which the script sends as ``X-CSRF-Token`` with every write to
the OGC API Part 4 routes (``/collections/sources/items``). Everyone else's
page has neither the tools nor a token.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MapEditing"]


@dataclass(frozen=True)
class MapEditing:
    """The editing part of one map page.

    Parameters
    ----------
    csrf_token : str
        The signed-in session's CSRF token (:func:`api.sessions.csrf_token`).
    user : str
        The signed-in account's name, shown on the edit bar.
    """

    csrf_token: str
    user: str

    def as_config(self) -> dict[str, str]:
        """Return the ``edit`` entry of the page's config JSON.

        Examples
        --------
        >>> MapEditing("t0k3n", "editor1").as_config()["csrfToken"]
        't0k3n'
        """
        return {"csrfToken": self.csrf_token, "user": self.user}
