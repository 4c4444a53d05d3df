"""Processes onevisit starts die with the process that started them, however it ends (SIGTERM, SIGINT, SIGKILL).

Prefect's embedded API runs as a child process (`uvicorn`), stopped by an `atexit` hook: a parent killed by a
signal never runs it, and the child lived on under PID 1. `PR_SET_PDEATHSIG` would not do either: it fires when
the *thread* that started the child ends, and Prefect starts its server from whichever thread first needs it.
So such a child runs under this module (`python -m flows.lifeline MODULE ARGS...`): a thread watches whether
its parent is still the process that started it and, once it is not, ends the child as a SIGTERM would.
"""

from __future__ import annotations

import os
import runpy
import signal
import sys
import threading
import time

WATCH_SECONDS = 0.25


def command(module: str, *args: str) -> list[str]:
    """The command line that runs `python -m MODULE ARGS...` tied to this process."""
    return [sys.executable, "-m", "flows.lifeline", str(os.getpid()), module, *args]


def tie_prefect_server() -> None:
    """From now on, the Prefect server this process starts for itself (no PREFECT_API_URL) dies with it.

    Replaces the command of Prefect's `SubprocessASGIServer` (pinned Prefect 3.9: the same arguments and
    environment), adding only the lifeline in front of `uvicorn`."""
    import subprocess

    import prefect
    from prefect.server.api import server
    from prefect.settings import get_current_settings

    def run_uvicorn_tied(self) -> subprocess.Popen:
        args = ["--app-dir", str(prefect.__module_path__.parent), "--factory", "prefect.server.api.server:create_app",
                "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "error", "--lifespan", "on"]
        env = {**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1",
               **get_current_settings().to_environment_variables(exclude_unset=True)}
        return subprocess.Popen(command("uvicorn", *args), env=env)

    server.SubprocessASGIServer._run_uvicorn_command = run_uvicorn_tied


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(WATCH_SECONDS)
    os.kill(os.getpid(), signal.SIGTERM)  # the child's own shutdown (uvicorn's, Prefect's worker's)
    time.sleep(10)
    os._exit(1)  # it did not stop: end it anyway


def main() -> None:
    parent, module, *args = sys.argv[1:]
    if os.getppid() != int(parent):  # gone before we started
        sys.exit(1)
    threading.Thread(target=_watch, args=(int(parent),), name="lifeline", daemon=True).start()
    sys.argv = [module, *args]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
