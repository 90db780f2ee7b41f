"""One error shape for every service.

`{"detail": [{"loc": [...], "msg": "...", "type": "..."}]}`: the shape of FastAPI's own 422,
so a client parses validation errors, not-found and conflicts the same way and switches on
`type`.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

logger = logging.getLogger(__name__)


class DomainError(Exception):
    """An expected failure of a use case, mapped to an HTTP status by the handler."""

    status_code = 400
    error_type = "domain_error"

    def __init__(self, msg: str, *, loc: list[str | int] | None = None, error_type: str | None = None,
                 input: Any = None) -> None:
        super().__init__(msg)
        self.msg = msg
        self.loc = loc or []
        if error_type:
            self.error_type = error_type
        self.input = input

    def to_detail(self) -> dict[str, Any]:
        detail: dict[str, Any] = {"loc": self.loc, "msg": self.msg, "type": self.error_type}
        if self.input is not None:
            detail["input"] = self.input
        return detail

    def headers(self) -> dict[str, str] | None:
        """Response headers the error comes with (none unless a subclass says)."""
        return None


class NotFound(DomainError):
    status_code = 404
    error_type = "not_found"


class Conflict(DomainError):
    status_code = 409
    error_type = "conflict"


class Unauthenticated(DomainError):
    """No caller, or one this deployment cannot trust (see ``shared.callers``)."""

    status_code = 401
    error_type = "unauthenticated"


class Forbidden(DomainError):
    status_code = 403
    error_type = "forbidden"


class Invalid(DomainError):
    status_code = 422
    error_type = "value_error"


class ServiceUnavailable(DomainError):
    """A temporary state of the service (a rebuild in progress): the client retries after
    ``retry_after_s`` (sent as ``Retry-After``)."""

    status_code = 503
    error_type = "service_unavailable"
    retry_after_s = 30

    def headers(self) -> dict[str, str] | None:
        return {"Retry-After": str(self.retry_after_s)}


def error_body(*details: dict[str, Any]) -> dict[str, Any]:
    return {"detail": list(details)}


def domain_error_response(exc: DomainError) -> JSONResponse:
    return JSONResponse(error_body(exc.to_detail()), status_code=exc.status_code, headers=exc.headers())


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        return domain_error_response(exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if isinstance(exc.detail, list):
            body = {"detail": exc.detail}
        else:
            body = error_body({"loc": [], "msg": str(exc.detail), "type": f"http_{exc.status_code}"})
        return JSONResponse(body, status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = []
        for error in exc.errors():
            item = {"loc": list(error.get("loc", [])), "msg": error.get("msg", ""), "type": error.get("type", "")}
            if "input" in error and _jsonable(error["input"]):
                item["input"] = error["input"]
            details.append(item)
        return JSONResponse({"detail": details}, status_code=422)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error", exc_info=exc)
        return JSONResponse(error_body({"loc": [], "msg": "internal error", "type": "internal_error"}),
                            status_code=500)


def _jsonable(value: Any) -> bool:
    return isinstance(value, str | int | float | bool | type(None) | list | dict)
