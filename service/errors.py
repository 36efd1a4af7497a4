"""One error type for the service and the handlers that give every error one JSON shape.

Every error response is ``{"error": {"type": "...", "message": "..."}}`` (plus ``details``
where a list helps, e.g. the bad rows of an upload). A 500 never echoes exception text.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)

# Pydantic error types our schemas raise for size limits: these are 413, not 422.
TOO_LARGE_ERRORS = frozenset({"text_too_large", "batch_too_large"})
# Error type and message for the statuses Starlette raises itself.
HTTP_ERRORS = {
    404: ("not_found", "no such resource; see /docs for the API"),
    405: ("method_not_allowed", "method not allowed on this path; see /docs for the API"),
    413: ("payload_too_large", "the request body is too large"),
}


class ApiError(Exception):
    """A request the service refuses, with the HTTP status and a message saying expected / got / fix."""

    def __init__(
        self,
        status: int,
        type_: str,
        message: str,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.type = type_
        self.message = message
        self.details = details
        self.headers = headers


def error_response(
    status: int,
    type_: str,
    message: str,
    details: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """The one error body every handler returns."""
    error: dict[str, Any] = {"type": type_, "message": message}
    if details:
        error["details"] = details
    return JSONResponse({"error": error}, status_code=status, headers=headers)


async def handle_api_error(_: Request, exc: ApiError) -> JSONResponse:
    return error_response(exc.status, exc.type, exc.message, exc.details, exc.headers)


async def handle_http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
    """Starlette's own errors: unknown path (404), wrong method (405), body too large (413)."""
    phrase = HTTPStatus(exc.status_code).phrase
    type_, message = HTTP_ERRORS.get(exc.status_code, (phrase.lower().replace(" ", "_"), phrase))
    if isinstance(exc.detail, str) and exc.detail != phrase:
        message = exc.detail
    return error_response(exc.status_code, type_, message, headers=getattr(exc, "headers", None))


async def handle_validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
    """Body and parameter validation: 422 with one line per problem, or 413 for a size limit."""
    errors = list(exc.errors())
    details = [{"location": _location(e.get("loc", ())), "message": e.get("msg", "")} for e in errors]
    if any(e.get("type") in TOO_LARGE_ERRORS for e in errors):
        large = [d for e, d in zip(errors, details, strict=True) if e.get("type") in TOO_LARGE_ERRORS]
        return error_response(413, "payload_too_large", _summary(large), large)
    if any(e.get("type") == "json_invalid" for e in errors):
        return error_response(422, "malformed_json", "the request body is not valid JSON", details)
    return error_response(422, "validation_error", _summary(details), details)


async def handle_unexpected(request: Request, exc: Exception) -> JSONResponse:
    """Log the traceback for the operator; tell the client nothing about the internals."""
    log.error("internal error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal_error", "internal error")


def install_error_handlers(app: FastAPI) -> None:
    """Route every kind of failure through the one error shape."""
    app.add_exception_handler(ApiError, handle_api_error)
    app.add_exception_handler(StarletteHTTPException, handle_http_error)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.add_exception_handler(Exception, handle_unexpected)


def _location(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in loc)


def _summary(details: list[dict[str, str]]) -> str:
    return "; ".join(f"{d['location']}: {d['message']}" for d in details[:5])
