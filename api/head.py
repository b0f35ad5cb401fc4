"""HEAD for every GET route: the GET answer's status and headers, no body.

FastAPI routes declared with ``GET`` do not answer ``HEAD`` (405), yet HTTP
clients and caches use it to read an item's ``ETag`` or an export's size
without the body (RFC 9110 §9.3.2).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["HeadAsGet"]


class HeadAsGet:
    """ASGI middleware answering ``HEAD`` as ``GET`` with the body left out.

    Parameters
    ----------
    app : ASGIApp
        The application to wrap.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass everything through; run a HEAD request as GET and drop its body."""
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] != "http.response.body":
                await send(message)
            elif not message.get("more_body", False):  # one empty end of body
                await send({"type": "http.response.body", "body": b"", "more_body": False})

        await self.app({**scope, "method": "GET"}, receive, headers_only)
