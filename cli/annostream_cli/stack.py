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
from .topology import NatsCluster, TopologySettings, process_names


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
        replicas: int | None = None,
        nats_cluster: int | None = None,
    ) -> None:
        """With `dsn` / `nats_url`, use those servers instead of starting (and later stopping) local ones.

        `replicas` processes of each gRPC service and a `nats_cluster` of nats-server nodes (streams replicated on
        up to 3 of them); unset, ANNOSTREAM_REPLICAS / ANNOSTREAM_NATS_CLUSTER (default 1 and 1)."""
        topology = TopologySettings()
        self.replicas = replicas or topology.replicas
        self.nats_cluster = 1 if nats_url else nats_cluster or topology.nats_cluster
        self.data_dir = data_dir.resolve()
        self.http_host, self.http_port = http_host, http_port  # 0: a free port, chosen when the stack starts
        self.extra_env = extra_env or {}
        self.log_dir = log_dir or self.data_dir / "logs"
        self.pg = None if dsn else EmbeddedPostgres(self.data_dir / "postgres")
        self.nats: NatsServer | NatsCluster | None = None
        if not nats_url:
            nats_dir = self.data_dir / "nats"
            self.nats = NatsServer(nats_dir) if self.nats_cluster == 1 else NatsCluster(nats_dir, self.nats_cluster)
        self.names = process_names(self.replicas)  # process name -> component
        self.dsn, self.nats_url = dsn or "", nats_url or ""
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.env: dict[str, str] = {}
        self.component_env: dict[str, dict[str, str]] = {}
        self.metrics_ports: dict[str, int] = {}
        self.grpc_ports: dict[str, int] = {}

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
            # Every port is chosen right before the processes start: free_port keeps it from other processes'
            # port 0 (and from this loop) for a minute, time enough for a component to bind it.
            self.http_port = self.http_port or free_port(self.http_host)
            ports = {name: free_port() for name, c in self.names.items() if c != "gateway"}
            addrs = {
                c: ",".join(f"127.0.0.1:{p}" for name, p in ports.items() if self.names[name] == c)
                for c in COMPONENTS
                if c != "gateway"
            }
            self.env = {
                **os.environ,
                "ANNOSTREAM_DATABASE_URL": self.dsn,
                "ANNOSTREAM_NATS_URL": self.nats_url,
                "ANNOSTREAM_HTTP_HOST": self.http_host,
                "ANNOSTREAM_HTTP_PORT": str(self.http_port),
                **{f"ANNOSTREAM_{c.upper()}_ADDR": a for c, a in addrs.items()},
                **({"ANNOSTREAM_STREAM_REPLICAS": str(min(3, self.nats_cluster))} if self.nats_cluster > 1 else {}),
                **self.extra_env,
            }
            self.grpc_ports = ports
            metered = ports if self.extra_env.get("ANNOSTREAM_METRICS_PORT") != "0" else {}  # "0": off (a bench)
            for name in metered:
                self.metrics_ports[name] = free_port()
            for name in self.names:
                env = dict(self.env)
                if name in ports:
                    env["ANNOSTREAM_GRPC_PORT"] = str(ports[name])
                    if name in self.metrics_ports:
                        env["ANNOSTREAM_METRICS_PORT"] = str(self.metrics_ports[name])
                self.spawn(name, env)
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
        doc = {
            "url": self.url,
            "database_url": self.dsn,
            "nats_url": self.nats_url,
            "metrics": self.metrics_urls(),
            "nats_monitors": self.nats.monitor_urls if isinstance(self.nats, NatsCluster) else [],
            "processes": {n: {"component": self.names[n], "pid": p.pid} for n, p in self.procs.items()},
        }
        self.stack_file.touch(mode=0o600)
        self.stack_file.write_text(json.dumps(doc))

    def spawn(self, name: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
        """Start one process of a component (`annotation`, `annotation-2`; logs to <log_dir>/<name>.log)."""
        self.component_env[name] = env
        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - owned by the child
        proc = subprocess.Popen(
            [sys.executable, "-m", "annostream_cli.main", "serve", self.names.get(name, name)],
            env=env,
            stdout=log,
            stderr=log,
            preexec_fn=_set_pdeathsig,
            start_new_session=True,  # Ctrl+C reaches only `up`, which stops everything in order
        )
        self.procs[name] = proc
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
        """Start an exited process again with the environment (and so the ports) it had."""
        self.spawn(component, self.component_env[component])
        if self.stack_file.exists():
            self._record()  # its new pid, for `annostream status`

    def processes_of(self, component: str) -> list[str]:
        """The process names of a component (`annotation`, `annotation-2`, ...)."""
        return [n for n, c in self.names.items() if c == component]

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
            self.stop_components([n for n, c in self.names.items() if c != "gateway"])
        if self.nats is not None:
            with contextlib.suppress(Exception):
                self.nats.stop()
        if self.pg is not None:
            with contextlib.suppress(Exception):
                self.pg.stop()
