"""A whole local system: embedded PostgreSQL + nats-server + the six components as child processes.

`annostream up` runs one in the foreground; the e2e tests start one per test session.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from annostream_sdk import AnnostreamError, Client

from .components import COMPONENTS
from .embedded import EmbeddedPostgres, NatsServer, _set_pdeathsig, free_port


class LocalStack:
    """Starts and stops every process of a local system; `stop()` is safe to call more than once."""

    def __init__(
        self,
        data_dir: Path,
        http_port: int = 8080,
        http_host: str = "127.0.0.1",
        extra_env: dict[str, str] | None = None,
        log_dir: Path | None = None,
        dsn: str | None = None,
        nats_url: str | None = None,
    ) -> None:
        """With `dsn` / `nats_url`, use those servers instead of starting (and later stopping) local ones."""
        self.data_dir = data_dir.resolve()
        self.http_host, self.http_port = http_host, http_port or free_port(http_host)
        self.extra_env = extra_env or {}
        self.log_dir = log_dir or self.data_dir / "logs"
        self.pg = None if dsn else EmbeddedPostgres(self.data_dir / "postgres")
        self.nats = None if nats_url else NatsServer(self.data_dir / "nats")
        self.dsn, self.nats_url = dsn or "", nats_url or ""
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.env: dict[str, str] = {}
        self.component_env: dict[str, dict[str, str]] = {}
        self.metrics_ports: dict[str, int] = {}

    @property
    def url(self) -> str:
        """Gateway base URL."""
        return f"http://{self.http_host}:{self.http_port}"

    def start(self, ready_timeout: float = 60.0) -> None:
        """Start servers and components, then wait for /readyz."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        try:
            if self.pg is not None:
                self.dsn = self.pg.start()
            if self.nats is not None:
                self.nats_url = self.nats.start()
            ports = {c: free_port() for c in COMPONENTS if c != "gateway"}
            self.env = {
                **os.environ,
                "ANNOSTREAM_DATABASE_URL": self.dsn,
                "ANNOSTREAM_NATS_URL": self.nats_url,
                "ANNOSTREAM_HTTP_HOST": self.http_host,
                "ANNOSTREAM_HTTP_PORT": str(self.http_port),
                **{f"ANNOSTREAM_{c.upper()}_ADDR": f"127.0.0.1:{p}" for c, p in ports.items()},
                **self.extra_env,
            }
            taken = {self.http_port, *ports.values()}  # free_port reserves nothing: never hand out one twice
            metered = ports if self.extra_env.get("ANNOSTREAM_METRICS_PORT") != "0" else {}  # "0": off (a bench)
            for c in metered:
                while (port := free_port()) in taken:
                    pass
                taken.add(port)
                self.metrics_ports[c] = port
            for component in COMPONENTS:
                env = dict(self.env)
                if component in ports:
                    env["ANNOSTREAM_GRPC_PORT"] = str(ports[component])
                    if component in self.metrics_ports:
                        env["ANNOSTREAM_METRICS_PORT"] = str(self.metrics_ports[component])
                self.spawn(component, env)
            self.wait_ready(ready_timeout)
            self._record()
        except BaseException:
            self.stop()
            raise

    @property
    def stack_file(self) -> Path:
        """Where this stack records its addresses for `annostream status` while it runs."""
        return self.data_dir / "stack.json"

    def metrics_urls(self) -> dict[str, str]:
        """Where each component serves its Prometheus metrics."""
        urls = {c: f"http://127.0.0.1:{p}/metrics" for c, p in self.metrics_ports.items()}
        return {**urls, "gateway": f"{self.url}/metrics"}

    def _record(self) -> None:
        doc = {"url": self.url, "database_url": self.dsn, "nats_url": self.nats_url, "metrics": self.metrics_urls()}
        self.stack_file.touch(mode=0o600)
        self.stack_file.write_text(json.dumps(doc))

    def spawn(self, component: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
        """Start one component process (logs to <log_dir>/<component>.log)."""
        self.component_env[component] = env
        log = open(self.log_dir / f"{component}.log", "ab")  # noqa: SIM115 - owned by the child
        proc = subprocess.Popen(
            [sys.executable, "-m", "annostream_cli.main", "serve", component],
            env=env,
            stdout=log,
            stderr=log,
            preexec_fn=_set_pdeathsig,
            start_new_session=True,  # Ctrl+C reaches only `up`, which stops everything in order
        )
        self.procs[component] = proc
        return proc

    def wait_ready(self, timeout: float) -> None:
        """Poll /readyz until 200; raise with the last answer otherwise."""
        deadline, last = time.monotonic() + timeout, "no answer"
        while time.monotonic() < deadline:
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited with {proc.returncode}; see {self.log_dir / name}.log")
            with contextlib.suppress(AnnostreamError), Client(self.url, timeout=2, retries=0) as client:
                ready = client.readiness()
                if ready.ready:
                    return
                last = ready.model_dump_json()
            time.sleep(0.2)
        raise RuntimeError(f"system not ready after {timeout}s: {last}")

    def failed(self) -> str | None:
        """Name of a component process that exited, if any."""
        return next((n for n, p in self.procs.items() if p.poll() is not None), None)

    def exited(self) -> dict[str, int]:
        """The components whose process has exited, with their exit codes."""
        return {n: code for n, p in self.procs.items() if (code := p.poll()) is not None}

    def restart(self, component: str) -> None:
        """Start an exited component again with the environment (and so the ports) it had."""
        self.spawn(component, self.component_env[component])

    def stop_components(self, components: list[str], timeout: float = 20.0) -> None:
        """SIGTERM the components at once and wait for all (SIGKILL whatever is left after `timeout`)."""
        procs = [p for c in components if (p := self.procs.get(c)) is not None and p.poll() is None]
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for proc in procs:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def stop(self) -> None:
        """Stop the gateway, then the services (they drain in parallel), then NATS, then PostgreSQL."""
        self.stack_file.unlink(missing_ok=True)
        with contextlib.suppress(Exception):
            self.stop_components(["gateway"])
        with contextlib.suppress(Exception):
            self.stop_components([c for c in COMPONENTS if c != "gateway"])
        if self.nats is not None:
            with contextlib.suppress(Exception):
                self.nats.stop()
        if self.pg is not None:
            with contextlib.suppress(Exception):
                self.pg.stop()
