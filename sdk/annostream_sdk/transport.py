"""HTTP under the Client: identity headers, path building, retries of idempotent calls, typed errors."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

import httpx

from ._version import __version__
from .errors import TransportError, error_from
from .routes import ROUTES, Route

RETRY_STATUS = 503
# Failures where the request never reached the server: every call may repeat them.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def identity_headers(
    user: str | None, team: str | None, role: str | None, token: str | None, headers: Mapping[str, str] | None
) -> dict[str, str]:
    """Headers naming the caller: dev mode (user/team/role), a bearer token for an authenticating proxy, extras."""
    out = {"User-Agent": f"annostream-sdk/{__version__}"}
    if user:
        out["X-Annostream-User"] = user
    if team:
        out["X-Annostream-Team"] = team
    if role:
        out["X-Annostream-Role"] = role
    if token:
        out["Authorization"] = f"Bearer {token}"
    out.update(headers or {})
    return out


class Transport:
    """One httpx connection pool to the gateway; every request of the SDK goes through `send` or `stream`."""

    def __init__(
        self,
        url: str,
        headers: dict[str, str],
        cookies: Mapping[str, str] | None,
        timeout: float,
        retries: int,
        backoff: float,
        http: httpx.Client | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.retries, self.backoff = max(retries, 0), backoff
        self.http = http or httpx.Client(base_url=self.url, timeout=timeout)
        self.http.headers.update(headers)
        if cookies:
            self.http.cookies.update(dict(cookies))

    @staticmethod
    def path(route: Route, params: Mapping[str, str]) -> str:
        """The route's path with each parameter percent-encoded (ids may hold `/`, `?` or spaces)."""
        return route.path.format(**{k: quote(str(v), safe="") for k, v in params.items()})

    def _pause(self, attempt: int) -> None:
        time.sleep(self.backoff * (2**attempt) * (0.5 + random.random()))

    def _retry(self, route: Route, attempt: int, exc: Exception | None, resp: httpx.Response | None) -> bool:
        if attempt >= self.retries:
            return False
        if exc is not None:
            return route.idempotent or isinstance(exc, NOT_SENT)
        return route.idempotent and resp is not None and resp.status_code == RETRY_STATUS

    def send(
        self,
        name: str,
        path: Mapping[str, str] | None = None,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        accept: tuple[int, ...] = (),
    ) -> httpx.Response:
        """Call the route named `name` (see routes.ROUTES); a 2xx answer (or one of `accept`) is returned, anything
        else raised as a typed error."""
        route = ROUTES[name]
        url = self.path(route, path or {})
        query = {k: v for k, v in (params or {}).items() if v is not None}
        extra: dict[str, Any] = {} if timeout is None else {"timeout": timeout}
        attempt = 0
        while True:
            try:
                resp = self.http.request(
                    route.method, url, params=query, json=json, content=content, headers=headers, **extra
                )
            except httpx.TransportError as exc:
                if not self._retry(route, attempt, exc, None):
                    raise TransportError(f"{route.method} {self.url}{url}: {exc!r}") from exc
            else:
                if resp.is_success or resp.status_code in accept:
                    return resp
                if not self._retry(route, attempt, None, resp):
                    raise error_from(resp)
            self._pause(attempt)
            attempt += 1

    def json(self, name: str, path: Mapping[str, str] | None = None, **kw: Any) -> Any:
        """`send`, answering the decoded JSON body."""
        return self.send(name, path, **kw).json()

    @contextmanager
    def stream(
        self, name: str, path: Mapping[str, str] | None = None, *, params: Mapping[str, Any] | None = None
    ) -> Iterator[httpx.Response]:
        """A streamed 2xx answer (retried like `send` until its first byte; never once the body has started)."""
        route = ROUTES[name]
        url = self.path(route, path or {})
        query = {k: v for k, v in (params or {}).items() if v is not None}
        attempt = 0
        while True:
            req = self.http.build_request(route.method, url, params=query, timeout=httpx.Timeout(120, read=None))
            try:
                resp = self.http.send(req, stream=True)
            except httpx.TransportError as exc:
                if not self._retry(route, attempt, exc, None):
                    raise TransportError(f"{route.method} {self.url}{url}: {exc!r}") from exc
            else:
                if resp.is_success:
                    break
                try:
                    if not self._retry(route, attempt, None, resp):
                        raise error_from(resp)
                finally:
                    resp.close()
            self._pause(attempt)
            attempt += 1
        try:
            yield resp
        finally:
            resp.close()

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()
