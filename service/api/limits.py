"""Request size limits, checked before and while the body is read."""

from __future__ import annotations

from fastapi import HTTPException, status
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.api.errors import problem_response


class BodySizeLimit:
    """Refuse bodies larger than ``limit`` bytes (``upload_limit`` under ``upload_prefix``) with 413."""

    def __init__(self, app: ASGIApp, limit: int, upload_limit: int, upload_prefix: str):
        self.app = app
        self.limit = limit
        self.upload_limit = upload_limit
        self.upload_prefix = upload_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.upload_limit if scope["path"].startswith(self.upload_prefix) else self.limit
        message = f"the request body is larger than the limit of {limit} bytes"
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared < 0 or declared > limit:
                    detail = message if declared >= 0 else "the Content-Length header is not a number"
                    code = status.HTTP_413_CONTENT_TOO_LARGE if declared >= 0 else status.HTTP_400_BAD_REQUEST
                    await problem_response(Request(scope), code, detail)(scope, receive, send)
                    return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            item = await receive()
            if item["type"] == "http.request":
                received += len(item.get("body", b""))
                if received > limit:
                    raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, message)
            return item

        await self.app(scope, limited_receive, send)
