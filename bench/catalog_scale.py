"""Catalog checks at scale: a large catalog loads fast and does not slow `submit` and `decide` down.

Two figures, each printed with the command's wall time through the real console script:
1. `onevisit catalog load` of a ~107 KB YAML catalog whose 830 matters share one list of 80
   materials (YAML anchors: 66,400 material entries once expanded); target under 2 s. The machine is
   shared, so the CPU time of the command (user + system) is printed beside its wall time.
2. `submit` and `decide` on a catalog of 10,000 materials against the built-in catalog, the same
   bundle (COMPANY_START) and the same application, rounds alternating between the two databases;
   target: medians within 10 %.

    python bench/catalog_scale.py --rounds 9
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from bench.cli_latency import application  # noqa: E402
from services.catalog import builtin_catalog_text  # noqa: E402

ONEVISIT = str(Path(sys.executable).parent / "onevisit")


def shared_list_catalog(matters: int = 830, materials: int = 80) -> str:
    """`matters` matters of one agency that all list one anchored list of `materials` materials, in one bundle."""
    lines = ["agencies:", "  - {code: SAMR, name: 市场监督管理局}", "matters:", "  - code: SHARED_0000",
             "    name: 共享清单事项0000", "    agency: SAMR", "    promised_days: 5", "    statutory_days: 20",
             "    materials: &shared"]
    lines += [f"      - {{code: SHARED_M{i:03d}, name: 共享材料{i:03d}, core: {str(i % 4 != 0).lower()}}}"
              for i in range(materials)]
    lines += [f"  - {{code: SHARED_{i:04d}, name: 共享清单事项{i:04d}, agency: SAMR, promised_days: 5, "
              f"statutory_days: 20, materials: *shared}}" for i in range(1, matters)]
    lines += ["bundles:", "  - code: SHARED", "    name: 共享清单一件事", "    promised_days: 5", "    matters:"]
    lines += [f"      - {{matter: SHARED_{i:04d}}}" for i in range(0, matters, 40)]
    return "\n".join(lines) + "\n"


def many_materials_catalog(materials: int = 10_000, per_matter: int = 20) -> str:
    """The built-in catalog plus matters of `per_matter` materials each, `materials` materials in all,
    in bundles of ten matters."""
    document = yaml.safe_load(builtin_catalog_text())
    count = materials // per_matter
    for i in range(count):
        document["matters"].append({
            "code": f"BULK_{i:04d}", "name": f"批量事项{i:04d}", "agency": "SAMR", "promised_days": 3,
            "statutory_days": 20, "depends_on": [] if i % 10 == 0 else [f"BULK_{i - i % 10:04d}"],
            "materials": [{"code": f"BULK_M{i:04d}_{j:02d}", "name": f"批量材料{i:04d}-{j:02d}", "core": j % 3 != 0}
                          for j in range(per_matter)],
        })
    for b in range(count // 10):
        document["bundles"].append({"code": f"BULK_B{b:03d}", "name": f"批量一件事{b:03d}", "promised_days": 5,
                                    "matters": [{"matter": f"BULK_{b * 10 + k:04d}"} for k in range(10)]})
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)


def load_in_process(url: str, text: str) -> float:
    from datetime import datetime, timezone

    from services.catalog import load_catalog, parse_catalog_text
    from services.db import UnitOfWork

    start = time.perf_counter()
    parsed = parse_catalog_text(text)
    with UnitOfWork(url) as uow:
        load_catalog(uow.session, source="bench", actor="admin", now=datetime.now(timezone.utc), parsed=parsed)
        uow.commit()
    return time.perf_counter() - start


def run(args: list[str], env: dict) -> tuple[float, str]:
    elapsed, _, out = run_timed(args, env)
    return elapsed, out


def run_timed(args: list[str], env: dict) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds of the child, its stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([ONEVISIT, *args], env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"onevisit {' '.join(args)} failed: {done.stderr.strip()}")
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), done.stdout


def database(folder: Path, name: str, catalog: Path | None) -> dict:
    env = {**os.environ, "ONEVISIT_DATABASE_URL": f"sqlite:///{folder / name}.db", "ONEVISIT_OPERATOR": "admin"}
    env.pop("ONEVISIT_NOW", None)
    run(["init"], env)
    if catalog is not None:
        run(["catalog", "load", str(catalog)], env)
    for args in (["bench-window", "--role", "window"], ["bench-samr", "--role", "reviewer", "--agency", "SAMR"]):
        run(["operator", "add", *args], env)
    return {**env, "ONEVISIT_OPERATOR": "bench-window"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--loads", type=int, default=3, help="loads of the shared-list catalog")
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="onevisit-bench-catalog-"))
    try:
        shared = folder / "shared.yaml"
        shared.write_text(shared_list_catalog(), "utf-8")
        large = folder / "large.yaml"
        large.write_text(many_materials_catalog(), "utf-8")

        loads, cpu = [], []
        for n in range(options.loads):
            env = {**os.environ, "ONEVISIT_DATABASE_URL": f"sqlite:///{folder / f'load{n}'}.db",
                   "ONEVISIT_OPERATOR": "admin"}
            run(["init", "--no-catalog"], env)
            wall, used, _ = run_timed(["catalog", "load", str(shared)], env)
            loads.append(wall)
            cpu.append(used)
        inside = []
        for n in range(options.loads):  # the same load in-process: parse, check, store (no CLI start-up)
            url = f"sqlite:///{folder / f'inside{n}'}.db"
            run(["init", "--no-catalog"], {**os.environ, "ONEVISIT_DATABASE_URL": url})
            inside.append(load_in_process(url, shared.read_text("utf-8")))
        print(f"catalog load in-process (parse, check, store) · median {statistics.median(inside):.2f} s")
        print(f"catalog load · {shared.stat().st_size / 1024:.0f} KB, 830 matters sharing one list of 80 "
              f"materials · {options.loads} loads · median {statistics.median(loads):.2f} s wall "
              f"(max {max(loads):.2f} s), {statistics.median(cpu):.2f} s CPU; target < 2 s; includes starting the CLI")

        envs = {"builtin": database(folder, "builtin", None), "10k": database(folder, "large", large)}
        samples = {(name, command, kind): [] for name in envs for command in ("submit", "decide")
                   for kind in ("wall", "cpu")}
        for seq in range(options.rounds):
            for name, env in envs.items():
                wall, used, out = run_timed(["submit", str(application(seq, folder)), "--json"], env)
                samples[(name, "submit", "wall")].append(wall)
                samples[(name, "submit", "cpu")].append(used)
                case_no = json.loads(out)["case_no"]
                show = json.loads(run(["show", case_no, "--json"], env)[1])
                task = next(r["task_id"] for r in show["reviews"] if r["status"] == "pending" and r["agency"] == "SAMR")
                wall, used, _ = run_timed(["decide", str(task), "approve", "--operator", "bench-samr"], env)
                samples[(name, "decide", "wall")].append(wall)
                samples[(name, "decide", "cpu")].append(used)
        print(f"submit and decide · built-in catalog against 10,000 materials ({large.stat().st_size / 1024:.0f} KB) · "
              f"{options.rounds} rounds, alternating · {os.cpu_count()} cores · medians")
        figures = {"load_shared_list_s": round(statistics.median(loads), 3),
                   "load_shared_list_in_process_s": round(statistics.median(inside), 3),
                   "load_shared_list_cpu_s": round(statistics.median(cpu), 3)}
        for command in ("submit", "decide"):
            figures[command] = {}
            for kind in ("wall", "cpu"):
                base = statistics.median(samples[("builtin", command, kind)])
                big = statistics.median(samples[("10k", command, kind)])
                figures[command] |= {f"builtin_{kind}_s": round(base, 3), f"10k_{kind}_s": round(big, 3),
                                     f"{kind}_ratio": round(big / base, 3)}
                print(f"{command:<7} {kind:<4} built-in {base:.3f} s · 10,000 materials {big:.3f} s · "
                      f"ratio {big / base:.2f} (target ≤ 1.10)")
        print(json.dumps(figures))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
