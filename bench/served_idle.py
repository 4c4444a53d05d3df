"""Flow runs an idle `onevisit serve` makes on a Prefect server: how many runs, of which flows, in N minutes.

Starts a Prefect server on loopback (a fresh PostgreSQL database), onevisit on a fresh SQLite file (`init`),
and `onevisit serve` beside it with the default settings (or the environment's ONEVISIT_*), waits N minutes
with nothing to do, and counts the flow runs that started, through Prefect's API. Stops everything it started.
Last line is JSON.

    python bench/served_idle.py --minutes 10 [--postgres postgresql://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import collections
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres",
                        help="an administrator's URL: the Prefect server's database is made next to it")
    options = parser.parse_args()

    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterStartTime
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.local_stack import Stack

    with tempfile.TemporaryDirectory(prefix="onevisit-served-idle-") as folder:
        stack = Stack(folder=Path(folder), admin_url=options.postgres)
        database = {"ONEVISIT_DATABASE_URL": f"sqlite:///{folder}/onevisit.db", "ONEVISIT_HOME": folder}
        try:
            api = stack.start_server()
            subprocess.run([sys.executable, "-c", "import cli; cli.main(['init'])"], env=stack.env(**database),
                           check=True, stdout=subprocess.DEVNULL)
            stack.start_process("serve", [sys.executable, "-c", "import cli; cli.main(['serve'])"], **database)
            started = time.monotonic()
            time.sleep(options.minutes * 60)
            with temporary_settings({PREFECT_API_URL: api}), get_client(sync_client=True) as client:
                runs = client.read_flow_runs(
                    flow_run_filter=FlowRunFilter(start_time=FlowRunFilterStartTime(is_null_=False)), limit=200)
                flows = {f.id: f.name for f in client.read_flows(limit=100)}
            elapsed = time.monotonic() - started
        finally:
            stack.stop()
    by_flow = collections.Counter(flows.get(r.flow_id, "?") for r in runs)
    for run in sorted(runs, key=lambda r: r.start_time):
        print(f"{run.start_time:%H:%M:%S} {run.state_name:<10} {run.name}")
    print(json.dumps({"minutes": round(elapsed / 60, 1), "flow_runs": len(runs), "by_flow": dict(by_flow)}))


if __name__ == "__main__":
    main()
