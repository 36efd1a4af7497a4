"""Checks that run before a route's own code: body size, media type, API key."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.params import Form
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from models.settings import Settings
from service.errors import ApiError, error_response

JSON = "application/json"
MULTIPART = "multipart/form-data"
# Reads the Authorization header and documents the scheme in OpenAPI; the key check is ours.
BEARER = HTTPBearer(auto_error=False, description="the server's ARGSTANCE_API_KEY")


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` once a streamed body passes the limit; FastAPI re-raises HTTPExceptions
    met while reading a body, so it reaches the error handler as a 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than the limit of {limit} bytes")


class BodyLimitMiddleware:
    """Refuse bodies over ``max_bytes``: at once from Content-Length, else while they stream in.

    FastAPI's own ``max_body_size`` answers some of these paths in plain text; this one keeps
    the service's JSON error shape everywhere.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        await self.app(scope, limited, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = f"the request body is larger than the limit of {self.max_bytes} bytes"
        await error_response(413, "payload_too_large", message)(scope, receive, send)


class CheckedRoute(APIRoute):
    """An APIRoute that answers 401 without the API key and 415 for a body in a media type the route
    does not read, both before FastAPI parses the body (so a text/plain body is never read as JSON).
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if self.body_field is None:
            return handler
        expected = MULTIPART if isinstance(self.body_field.field_info, Form) else JSON
        key_checks = [d.dependency for d in self.dependencies if isinstance(d.dependency, ApiKeyCheck)]

        async def checked(request: Request) -> Response:
            for key_check in key_checks:
                key_check.verify_request(request)
            check_media_type(request, expected)
            try:
                return await handler(request)
            except HTTPException as exc:
                # FastAPI answers a body it cannot parse (bytes that are not UTF-8, broken multipart)
                # with a bare 400; for the client that is a malformed body, like malformed JSON.
                if exc.status_code != 400:
                    raise
                raise ApiError(422, "malformed_body", f"the request body is not valid {expected}") from exc

        return checked


def check_media_type(request: Request, expected: str) -> None:
    """Raise 415 when a non-empty body is not of the ``expected`` media type."""
    has_body = request.headers.get("content-length", "0") != "0" or "transfer-encoding" in request.headers
    if not has_body:
        return  # an absent body is a validation error ("field required"), not a media type one
    got = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if got == expected or (expected == JSON and got.startswith("application/") and got.endswith("+json")):
        return
    raise ApiError(
        415,
        "unsupported_media_type",
        f"expected a body of type {expected}, got {got or 'no Content-Type'}",
    )


class ApiKeyCheck:
    """The Bearer-key dependency of mutating routes. ``CheckedRoute`` also runs it before the body
    is read, so a client without the key cannot make the server parse an upload."""

    def __init__(self, key: str) -> None:
        self.key = key.encode()

    async def __call__(
        self, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)]
    ) -> None:
        self.verify(credentials.credentials if credentials else "")

    def verify_request(self, request: Request) -> None:
        """Check the Authorization header of a request whose body has not been read yet."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        self.verify(token if scheme.lower() == "bearer" else "")

    def verify(self, given: str) -> None:
        # Constant-time comparison: the time taken says nothing about how much of the key matched.
        if not hmac.compare_digest(given.encode(), self.key):
            raise ApiError(
                401,
                "unauthorized",
                "this endpoint needs the API key: send 'Authorization: Bearer <ARGSTANCE_API_KEY>'",
                headers={"WWW-Authenticate": "Bearer"},
            )


def auth_dependencies(settings: Settings) -> list[Any]:
    """Dependencies for mutating routes: a Bearer token check when an API key is set, else none."""
    if settings.api_key is None:
        return []
    return [Depends(ApiKeyCheck(settings.api_key.get_secret_value()))]
