"""What every benchmark that runs flows sets first: Prefect's embedded API in a throwaway home, quiet logs,
time to start on a busy machine. Import it before anything imports Prefect.

The home is made only when none is set (a bench's child processes share their parent's) and is removed
when the process that made it exits: registered before Prefect is imported, the removal runs after
Prefect's own exit handlers have stopped the embedded server."""

import atexit
import os
import shutil
import tempfile

if "PREFECT_HOME" not in os.environ:
    os.environ["PREFECT_HOME"] = _home = tempfile.mkdtemp(prefix="onevisit-bench-prefect-")
    atexit.register(shutil.rmtree, _home, ignore_errors=True)
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
