"""`onevisit serve` beside a bench: started in a process group of its own, waited on, stopped."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def wait_until(condition, what: str, timeout: float = 600.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"bench: gave up waiting for {what} after {timeout:.0f} s")
        time.sleep(0.02)


def start_serving(folder: Path, loop_seconds: int) -> subprocess.Popen:
    """`onevisit serve` on the embedded default, in a process group of its own: one long flow run at a time
    looking for work 4 times a second (`loop_seconds` 0: a flow run whenever work is found, looking every
    second); returns once its first sweep (a flow run, which starts Prefect's embedded API) is done."""
    log_path = folder / "serve.log"
    log = open(log_path, "w")
    served = subprocess.Popen([sys.executable, "-c", "import cli; cli.main(['serve'])"], cwd=ROOT,
                              env={**os.environ, "ONEVISIT_ORCHESTRATE_EVERY_SECONDS": "1",
                                   "ONEVISIT_ORCHESTRATE_LOOP_SECONDS": str(loop_seconds)},
                              stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    log.close()
    deadline = time.monotonic() + 180
    while "sweep:" not in log_path.read_text(errors="replace"):
        if served.poll() is not None or time.monotonic() > deadline:
            stop_serving(served)
            raise SystemExit(f"onevisit serve did not start:\n{log_path.read_text(errors='replace')[-3000:]}")
        time.sleep(0.2)
    return served


def stop_serving(served: subprocess.Popen) -> None:
    """SIGTERM the whole group (serve and the embedded Prefect server it started); SIGKILL what is left."""
    import signal

    for sig, wait in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
        try:
            os.killpg(served.pid, sig)
        except ProcessLookupError:
            break
        try:
            served.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue

