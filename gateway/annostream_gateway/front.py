"""The gateway's ASGI entry point: FastAPI, with the save (POST …/save, every change the editor makes) served from
the door, past FastAPI's and Starlette's layers: the native-telemetry check, the error, telemetry and body-limit
middlewares, the exception middleware, the router's walk and the request-response wrapper (py-spy: 12 to 15 % of the
gateway's Python per move; bench/README.md, "The cost of a save").

The lean save runs what those layers do for this one route and nothing else: the edge (edge.EdgeGuard: checks,
metrics), the route's checks and handler (routes/save_route.py), the app's exception handlers for what they raise
(errors.py), and for an unexpected error the app's 500 answer before the error reaches the server, as Starlette's
ServerErrorMiddleware does. It is off, and every request goes through FastAPI, when anything else would see a
request: tracing (ours or FastAPI's), a middleware other than the edge, a root path, a status-code handler.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any, cast

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import Receive, Scope, Send

from annostream_kernel.tracing import tracing_enabled

from .edge import STATUS, EdgeGuard
from .path_ids import escape_path
from .routes.save_route import SaveRoute

Handler = Callable[[Request, Exception], Awaitable[Response]]
MATCHED = "annostream.matched"  # scope key: the save route's match, applied once the edge let the request through


class Gateway(FastAPI):
    """The gateway's app: `lean` (set at startup, when allowed) serves the save ahead of FastAPI."""

    lean: LeanSave | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        lean = self.lean
        if lean is not None and scope["type"] == "http" and scope["method"] == "POST":
            escape_path(scope)  # what the edge does before routing: idempotent, the edge does it again otherwise
            match, child_scope = lean.route.matches(scope)
            if match is Match.FULL:
                scope[MATCHED] = child_scope
                await lean(scope, receive, send)
                return
        await super().__call__(scope, receive, send)

    def start_lean(self) -> None:
        """Serve the save ahead of FastAPI from now on if nothing else must see a request (the module docstring)."""
        self.lean = LeanSave.of(self)


class LeanSave:
    """The save route of `app` behind the edge, with the app's exception handlers."""

    def __init__(self, app: FastAPI, route: SaveRoute, edge: type[EdgeGuard], kwargs: dict[str, Any]) -> None:
        self.app, self.route = app, route
        self.edge = edge(self._answer, **kwargs)
        handlers = app.exception_handlers
        # Checked in `of`: every handler is async and keyed by an exception class.
        self.handlers: dict[Any, Handler] = {k: cast(Handler, v) for k, v in handlers.items() if k is not Exception}
        self.unexpected = cast(Handler, handlers[Exception])

    @classmethod
    def of(cls, app: FastAPI) -> LeanSave | None:
        """The lean save of `app`, or None when it has no save route or something else must see each request."""
        route = next((r for r in app.router.routes if isinstance(r, SaveRoute)), None)
        middleware = app.user_middleware
        handlers = app.exception_handlers
        telemetry = getattr(app, "_native_telemetry", None)  # FastAPI's OpenTelemetry (global providers)
        if (
            route is None
            or [cast(Any, m.cls) for m in middleware] != [EdgeGuard]
            or middleware[0].args
            or app.root_path
            or tracing_enabled()
            or (telemetry is not None and telemetry.enabled())
            or Exception not in handlers
            or any(not isinstance(k, type) for k in handlers)  # a handler by status code (500 included)
            or not all(inspect.iscoroutinefunction(h) for h in handlers.values())
        ):
            return None
        return cls(app, route, EdgeGuard, dict(middleware[0].kwargs))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve a request the save route matched (`scope[MATCHED]`)."""
        scope["app"] = self.app
        try:
            await self.edge.checked(scope, receive, send)
        except Exception as exc:
            if STATUS not in scope:  # as ServerErrorMiddleware: the app's 500 answer, then the server sees the error
                await (await self.unexpected(Request(scope), exc))(scope, receive, send)
            raise

    async def _answer(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The route's answer, or its error's from the app's handlers (as Starlette's exception handling); the route
        is named in `scope` only now, as routing does after the edge (a refusal of the edge counts as unmatched)."""
        scope.update(scope.pop(MATCHED))
        request = Request(scope, receive, send)
        try:
            response = await self.route.serve(request)
        except Exception as exc:
            handler = next((self.handlers[c] for c in type(exc).__mro__ if c in self.handlers), None)
            if handler is None:
                raise
            response = await handler(request, exc)
            exc.__traceback__ = None
        await response(scope, receive, send)
