"""`onevisit demo --remote` works: agencies' simulated systems over flaky HTTP, every case carried to its end."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_demo_remote_runs_to_the_end(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONEVISIT_")}
    env.update(PREFECT_HOME=str(tmp_path / "prefect"), ONEVISIT_HOME=str(tmp_path), TMPDIR=str(tmp_path))
    done = subprocess.run([sys.executable, "-c", "import cli; cli.main(['demo', '--remote'])"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    assert len(set(re.findall(r"OV\d{14}", out))) == 3
    statuses = re.findall(r"│ OV\d{14}\s*│ \w+\s*│ (\w+)", out)
    assert len(statuses) == 3 and set(statuses) <= {"issued", "partially_issued", "denied"}, out[-2000:]
    assert "one per idempotency key" in out and "notifications delivered once each" in out
