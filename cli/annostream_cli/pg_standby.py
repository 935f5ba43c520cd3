"""A PostgreSQL primary with a streaming standby on one machine, both embedded servers, and the multi-host URL the
services connect through (`target_session_attrs=read-write`: whichever of them is the primary now).

Synchronous replication (`synchronous_standby_names`): a commit is acknowledged once the standby has flushed it,
so promoting the standby after the primary dies loses no acknowledged write (CloudNativePG's synchronous
replicas do the same)."""

from __future__ import annotations

import contextlib
import os
import pwd
import signal
from pathlib import Path

from .embedded import PG_SYSTEM_USER, EmbeddedPostgres


def multi_host_dsn(*servers: EmbeddedPostgres) -> str:
    """One URL naming every server's socket; libpq and asyncpg try them in order for a read-write session."""
    hosts = ",".join(str(s.socket_dir) for s in servers)
    return f"postgresql://postgres@/postgres?host={hosts}&target_session_attrs=read-write"


class PrimaryWithStandby:
    """A primary (synchronous commit to its standby) and a standby cloned from it with pg_basebackup."""

    def __init__(self, data_dir: Path) -> None:
        self.primary = EmbeddedPostgres(data_dir / "primary")
        self.standby = EmbeddedPostgres(data_dir / "standby")

    @property
    def dsn(self) -> str:
        """The multi-host URL (primary first)."""
        return multi_host_dsn(self.primary, self.standby)

    def start(self) -> str:
        """Start the primary, clone and start the standby, then turn on synchronous commit; returns the URL."""
        self.primary.start()
        self._clone()
        self.standby.start()
        self.primary.sql("ALTER SYSTEM SET synchronous_standby_names = '*'", "SELECT pg_reload_conf()")
        return self.dsn

    def _clone(self) -> None:
        self.standby._prepare()
        with contextlib.suppress(FileNotFoundError):
            for child in self.standby.data_dir.iterdir():
                if child.is_file():
                    child.unlink()
        self.standby._user = self.primary._user
        self.standby._run(
            "pg_basebackup", "-D", str(self.standby.data_dir), "-h", str(self.primary.socket_dir), "-U", "postgres",
            "-X", "stream", "-R", timeout=120,
        )  # fmt: skip
        for lock in self.standby.data_dir.glob(".s.PGSQL.*"):  # the primary's socket lock, copied with its dir
            lock.unlink()
        if os.geteuid() == 0:
            self.standby.data_dir.chmod(0o700)
            pw = pwd.getpwnam(PG_SYSTEM_USER)
            os.chown(self.standby.data_dir, pw.pw_uid, pw.pw_gid)

    def kill_primary(self) -> None:
        """SIGKILL the primary's postmaster (a crashed host: nothing shut down cleanly)."""
        pid = self.primary._running_pid()
        if pid:
            os.kill(pid, signal.SIGKILL)

    def promote(self) -> None:
        """Promote the standby to primary and wait until it accepts writes."""
        self.standby._run("pg_ctl", "-D", str(self.standby.data_dir), "-w", "-t", "60", "promote", timeout=90)

    def stop(self) -> None:
        """Stop both servers (whatever is still running)."""
        for server in (self.standby, self.primary):
            with contextlib.suppress(Exception):
                server.stop()
