"""The multi-machine set-up on one machine: a Prefect server on loopback backed by PostgreSQL, process workers.

For the scale test and the latency bench (and to try the README's scale-out section locally). Every
process starts in a process group of its own and carries a marker in its environment, so `stop`
ends the groups and `leftovers` proves nothing it started (nor any flow-run process a worker spawned)
is still running.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

MARKER = "ONEVISIT_STACK_MARKER"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def create_database(admin_url: str, prefix: str, extensions: tuple[str, ...] = ()) -> tuple[str, str]:
    """A fresh PostgreSQL database next to ADMIN_URL's; returns (url, name)."""
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"{admin_url.rsplit('/', 1)[0]}/{name}"
    if extensions:
        with psycopg.connect(url, autocommit=True) as conn:
            for extension in extensions:
                conn.execute(f"CREATE EXTENSION IF NOT EXISTS {extension}")
    return url, name


def drop_database(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Stack:
    """What `start_server` and `start_worker` started, to stop in reverse order."""

    folder: Path
    admin_url: str
    marker: str = field(default_factory=lambda: uuid.uuid4().hex)
    api_url: str = ""
    prefect_database: str | None = None
    processes: list[tuple[str, subprocess.Popen]] = field(default_factory=list)

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of every process of this stack: the API, quiet logs, the marker."""
        env = {**os.environ, MARKER: self.marker, "PREFECT_HOME": str(self.folder / "prefect-home"),
               "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_LOGGING_LEVEL": "INFO", **extra}
        if self.api_url:
            env["PREFECT_API_URL"] = self.api_url
        return env

    def _spawn(self, label: str, args: list[str], env: dict[str, str], cwd: Path | None = None) -> subprocess.Popen:
        log = open(self.folder / f"{label}.log", "ab")
        process = subprocess.Popen(args, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        self.processes.append((label, process))
        return process

    def log(self, label: str) -> str:
        path = self.folder / f"{label}.log"
        return path.read_text("utf-8", errors="replace") if path.exists() else ""

    def start_server(self, *, timeout: float = 180.0, **settings: str) -> str:
        """`prefect server start` on a free loopback port, on a fresh PostgreSQL database (with pg_trgm)."""
        url, self.prefect_database = create_database(self.admin_url, "prefect_stack", ("pg_trgm",))
        port = free_port()
        env = self.env(PREFECT_SERVER_DATABASE_CONNECTION_URL=url.replace("postgresql://", "postgresql+asyncpg://"),
                       PREFECT_UI_ENABLED="false", PREFECT_SERVER_UI_ENABLED="false", **settings)
        env.pop("PREFECT_API_URL", None)
        self._spawn("server", [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
                               "--port", str(port), "--no-ui"], env)
        self.api_url = f"http://127.0.0.1:{port}/api"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.processes[-1][1].poll() is not None:
                raise RuntimeError(f"the Prefect server exited:\n{self.log('server')[-3000:]}")
            try:
                if httpx.get(f"{self.api_url}/health", timeout=2).status_code == 200:
                    return self.api_url
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"the Prefect server did not answer within {timeout:.0f} s:\n{self.log('server')[-3000:]}")

    def start_process(self, label: str, args: list[str], **env: str) -> subprocess.Popen:
        """Any other process of the stack (e.g. `onevisit serve`), with the stack's environment."""
        return self._spawn(label, args, self.env(**env))

    def start_worker(self, pool: str, name: str, *, cwd: Path, limit: int | None = None, **env: str) -> None:
        """`prefect worker start` on a process pool; its flow runs are processes in `cwd` (the project)."""
        args = [sys.executable, "-m", "prefect", "worker", "start", "--pool", pool, "--type", "process",
                "--name", name] + (["--limit", str(limit)] if limit else [])
        self._spawn(name, args, self.env(**env), cwd=cwd)

    def stop(self, grace: float = 15.0) -> None:
        """SIGTERM every process group (workers first, the server last), SIGKILL what is left, drop the database."""
        for _, process in reversed(self.processes):
            _signal_group(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for _, process in reversed(self.processes):
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            _signal_group(process.pid, signal.SIGKILL)
            process.wait()
        for pid in leftovers(self.marker):  # flow-run processes that left their worker's group
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.prefect_database:
            drop_database(self.admin_url, self.prefect_database)
            self.prefect_database = None


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def leftovers(marker: str) -> list[int]:
    """Live processes (zombies aside) whose environment carries this stack's marker."""
    found = []
    needle = f"{MARKER}={marker}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                if state != "Z":
                    found.append(int(entry.name))
        except OSError:
            continue
    return found
