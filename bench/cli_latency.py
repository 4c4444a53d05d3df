"""How long a window clerk waits: `submit`, `decide` and `show` through the real console script.

Runs on a fresh SQLite file (the embedded default) unless --database-url is given, and prints
the median and the slowest run of each command; the last line is JSON.

    python bench/cli_latency.py --rounds 15
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from approvals.identifiers import resident_id_check_char, uscc_check_char  # noqa: E402

ONEVISIT = str(Path(sys.executable).parent / "onevisit")
TARGETS = {"show": 0.5, "submit": 1.0, "decide": 1.0}


def timed(args: list[str], env: dict) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run([ONEVISIT, *args], env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"onevisit {' '.join(args)} failed: {done.stderr.strip()}")
    return elapsed, done.stdout


def application(seq: int, folder: Path) -> Path:
    uscc_body = f"91350200MA{seq:07d}"
    id_body = f"35020319850101{seq % 1000:03d}"
    body = {
        "request_id": f"bench-{seq}-{time.time_ns()}",
        "bundle": "COMPANY_START",
        "applicant": {"name": f"基准测试企业{seq}", "uscc": uscc_body + uscc_check_char(uscc_body),
                      "legal_representative": {"name": "测试", "id_number": id_body + resident_id_check_char(id_body)}},
        "materials": ["ID_LEGAL_REP", "ARTICLES", "LEASE", "SHAREHOLDER_ID", "OFFICER_APPOINTMENT",
                      "SEAL_MANDATE", "FINANCE_OFFICER_ID", "INVOICE_SEAL_IMPRINT", "EMPLOYEE_ROSTER",
                      "BENEFICIAL_OWNER", "ACCOUNT_MANDATE"],
    }
    path = folder / f"app-{seq}.json"
    path.write_text(json.dumps(body, ensure_ascii=False), "utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--database-url", default=None)
    options = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="onevisit-bench-"))
    url = options.database_url or f"sqlite:///{folder / 'bench.db'}"
    env = {**os.environ, "ONEVISIT_DATABASE_URL": url}
    env.pop("ONEVISIT_NOW", None)
    subprocess.run([ONEVISIT, "init"], env=env, check=True, capture_output=True)
    for args in (["bench-window", "--role", "window"], ["bench-samr", "--role", "reviewer", "--agency", "SAMR"]):
        subprocess.run([ONEVISIT, "operator", "add", *args, "--operator", "admin"], env=env, capture_output=True)
    env["ONEVISIT_OPERATOR"] = "bench-window"  # submit and show; the decision names its reviewer

    samples: dict[str, list[float]] = {"submit": [], "decide": [], "show": []}
    for seq in range(options.rounds):
        elapsed, out = timed(["submit", str(application(seq, folder)), "--json"], env)
        samples["submit"].append(elapsed)
        case_no = json.loads(out)["case_no"]
        elapsed, out = timed(["show", case_no, "--json"], env)
        samples["show"].append(elapsed)
        task = next(r["task_id"] for r in json.loads(out)["reviews"] if r["status"] == "pending" and r["agency"] == "SAMR")
        elapsed, _ = timed(["decide", str(task), "approve", "--operator", "bench-samr"], env)
        samples["decide"].append(elapsed)

    backend = url.split(":", 1)[0].split("+")[0]
    print(f"onevisit CLI latency · {backend} · {options.rounds} rounds · {os.cpu_count()} cores")
    print(f"{'command':<8} {'median s':>9} {'max s':>7} {'target s':>9}  verdict")
    figures = {}
    for command, values in samples.items():
        median = statistics.median(values)
        figures[command] = {"median_s": round(median, 3), "max_s": round(max(values), 3)}
        verdict = "ok" if median < TARGETS[command] else "SLOW"
        print(f"{command:<8} {median:>9.3f} {max(values):>7.3f} {TARGETS[command]:>9.1f}  {verdict}")
    print(json.dumps({"backend": backend, "rounds": options.rounds, **figures}))


if __name__ == "__main__":
    main()
