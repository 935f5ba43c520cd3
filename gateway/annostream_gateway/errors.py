"""HTTP error shape: {"error": CODE, "message": ..., "field": ..., "details": {...}} with a 4xx status."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.routing import compile_path
from starlette.types import Scope

from annostream_kernel.errors import IDEMPOTENCY_KEY_REUSED, REASON_KEY_REUSED, DomainError
from annostream_kernel.logs import get_logger

log = get_logger(__name__)

HTTP_STATUS = {
    "INVALID_ARGUMENT": 400,
    "UNAUTHENTICATED": 401,
    "NOT_FOUND": 404,
    "ALREADY_EXISTS": 409,
    "ABORTED": 409,
    "FAILED_PRECONDITION": 409,
    "PERMISSION_DENIED": 403,
    "UNAVAILABLE": 503,
}
HTTP_CODE = {400: "INVALID_ARGUMENT", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 413: "PAYLOAD_TOO_LARGE"}


def error_body(
    code: str, message: str, field: str | None = None, details: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The JSON body of every error response."""
    return {"error": code, "message": message, "field": field, "details": details or {}}


def allowed_methods(scope: Scope) -> list[str]:
    """Every method /openapi.json documents for the request's path."""
    state = scope["app"].state
    if (table := getattr(state, "allow_table", None)) is None:
        paths = scope["app"].openapi()["paths"]
        table = state.allow_table = [(compile_path(p)[0], {m.upper() for m in ops}) for p, ops in paths.items()]
    return sorted({m for regex, ms in table if regex.match(scope["path"]) for m in ms})


def install(app: FastAPI) -> None:
    """Register the handlers mapping domain and validation errors to HTTP responses."""

    @app.exception_handler(DomainError)
    async def _domain(_req: Request, err: DomainError) -> JSONResponse:
        if err.details.get("reason") == REASON_KEY_REUSED:  # as payment APIs answer a reused key
            return JSONResponse(error_body(err.code_name, IDEMPOTENCY_KEY_REUSED, err.field, err.details), 422)
        return JSONResponse(
            error_body(err.code_name, err.message, err.field, err.details),
            status_code=HTTP_STATUS.get(err.code_name, 400),
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_req: Request, err: RequestValidationError) -> JSONResponse:
        errors = err.errors()
        first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
        loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path", "header")]
        field = ".".join(loc) or None
        message = f"{field}: {first.get('msg')}" if field else str(first.get("msg"))
        if first.get("type") == "json_invalid":  # loc ("body", offset): the field is the body, not the offset
            ctx = first.get("ctx")
            why = ctx.get("error") if isinstance(ctx, dict) else None
            field, message = "body", f"body: not valid JSON at character {loc[-1] if loc else 0}"
            message += f" ({why})" if why else ""
        return JSONResponse(
            error_body(
                "INVALID_ARGUMENT",
                message,
                field,
                {"errors": [{"loc": list(e.get("loc", ())), "msg": e.get("msg")} for e in errors]},
            ),
            status_code=422,
        )

    @app.exception_handler(HTTPException)
    async def _http(req: Request, err: HTTPException) -> JSONResponse:  # the router's 404 / 405
        headers = dict(err.headers or {})
        if err.status_code == 405:
            if allowed := allowed_methods(req.scope):  # else a page of the gateway's own (/docs): Starlette's
                headers["Allow"] = ", ".join(allowed)
            elif req.url.path.startswith("/api/"):  # only the web UI's fallback matched
                return JSONResponse(error_body("NOT_FOUND", f"no such path: {req.url.path}", "path"), 404)
            msg = f"{req.method} is not allowed here; allowed: {headers.get('Allow', 'none')}"
            return JSONResponse(error_body(HTTP_CODE[405], msg, "method"), 405, headers=headers)
        code = HTTP_CODE.get(err.status_code, f"HTTP_{err.status_code}")
        return JSONResponse(error_body(code, str(err.detail)), err.status_code, headers=headers)

    @app.exception_handler(Exception)
    async def _unexpected(_req: Request, err: Exception) -> JSONResponse:  # never leak a traceback
        log.exception("http_unexpected_error", error=repr(err))
        return JSONResponse(error_body("INTERNAL", "internal error"), status_code=500)
