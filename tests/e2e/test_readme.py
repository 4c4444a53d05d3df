"""The README's walkthrough works on copy-paste: its block is run verbatim in bash, in a fresh home."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MARKER = "<!-- walkthrough -->"


def walkthrough() -> str:
    readme = (ROOT / "README.md").read_text("utf-8")
    block = re.search(re.escape(MARKER) + r"\s*```bash\n(.*?)```", readme, re.S)
    assert block, f"README.md has no ```bash block after {MARKER}"
    return block.group(1)


def test_the_readme_walkthrough_runs_verbatim(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONEVISIT_")}  # as on a user's machine
    env.update(TMPDIR=str(tmp_path), PREFECT_HOME=str(tmp_path / "prefect"), HOME=str(tmp_path))
    done = subprocess.run(["bash", "-c", "set -eo pipefail\n" + walkthrough()], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    case_no = re.search(r"OV\d{14}", done.stdout).group(0)
    assert f"orchestrate {case_no}" in done.stdout  # `runs` lists the run that acted on it, named after it
    assert "task 3 FIRE_CHECK: supplement_requested" in done.stdout
    assert "timeline intact" in done.stdout
    assert list(tmp_path.glob("*/onevisit.db"))  # its own home, made with mktemp under TMPDIR
