"""`Client(url, ...)`: the annostream HTTP API as typed Python calls."""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType

import httpx

from ._datasets import DatasetsApi
from ._exports import ExportsApi
from ._frames import FramesApi
from ._review import ReviewApi
from ._tasks import TasksApi
from ._webhooks import WebhooksApi
from .models import Health, Me, Readiness
from .transport import Transport, identity_headers


class Client(DatasetsApi, TasksApi, ReviewApi, FramesApi, ExportsApi, WebhooksApi):
    """A connection to an annostream gateway, acting as one caller.

    Identity: in dev mode `user`, `team` and `role` (X-Annostream-* headers); behind an authenticating proxy
    (oauth2-proxy) a `token` (sent as a bearer token) or the proxy's session `cookies`, and `team` to pick the team
    to act as; `headers` adds any others. Idempotent calls (reads, imports, saves with their idempotency key,
    heartbeats) are retried `retries` times on 503 and lost connections, with exponential backoff from `backoff`
    seconds; other calls only when the connection could not be opened. Errors are the typed exceptions of
    `annostream_sdk.errors`. Use it as a context manager, or `close()` it.
    """

    def __init__(
        self,
        url: str,
        *,
        user: str | None = None,
        team: str | None = None,
        role: str | None = None,
        token: str | None = None,
        cookies: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = 30.0,
        retries: int = 3,
        backoff: float = 0.2,
        http: httpx.Client | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self._t = Transport(
            self.url, identity_headers(user, team, role, token, headers), cookies, timeout, retries, backoff, http
        )

    def health(self) -> Health:
        """The gateway process is alive."""
        return Health.model_validate(self._t.json("health"))

    def readiness(self) -> Readiness:
        """Whether every service is SERVING (a 503 answer is returned as `ready=False`, not raised)."""
        return Readiness.model_validate(self._t.send("readiness", accept=(503,)).json())

    def me(self) -> Me:
        """Who the gateway takes the caller to be: user, acting team, roles, teams and permissions."""
        return Me.model_validate(self._t.json("me"))

    def close(self) -> None:
        """Close the connection pool."""
        self._t.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
