"""`onevisit catalog import` of an implementation list the size of the seed's city: 1,372 matters, 99 bundles.

Generates the workbook (the built-in catalog's agencies, 1,372 matters of 2 to 8 materials drawn from a
pool shared across matters, some with a prerequisite, in 99 bundles of 5 to 25 matters), then imports it
through the real console script into a fresh SQLite file and prints the wall time and the command's CPU
time (the machine is shared: CPU time is the steadier figure). Target: under 30 s.

    python bench/catalog_import.py --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import random
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

from services.catalog import builtin_catalog_text, parse_catalog_text  # noqa: E402
from services.catalog_sheet.writing import write_workbook  # noqa: E402

ONEVISIT = str(Path(sys.executable).parent / "onevisit")


def city_document(matters: int = 1372, bundles: int = 99, seed: int = 2020) -> dict:
    """A generated catalog document of `matters` numeric-coded matters in `bundles` bundles."""
    rng = random.Random(seed)
    builtin, _ = parse_catalog_text(builtin_catalog_text())
    agencies = builtin["agencies"]
    pool = [{"code": f"M{i:04d}", "name": f"申请材料{i:04d}", "core": i % 3 != 0} for i in range(2400)]
    codes = [f"1133010{i:07d}" for i in range(matters)]
    document_matters = []
    for i, code in enumerate(codes):
        statutory = rng.choice([5, 10, 15, 20, 30])
        document_matters.append({
            "code": code, "name": f"行政许可事项{i:04d}", "agency": agencies[i % len(agencies)]["code"],
            "statutory_days": statutory, "promised_days": max(1, statutory // rng.choice([2, 3, 4])),
            "depends_on": [codes[i - 1]] if i % 7 == 1 else [],
            "notification_commitment": i % 5 == 0, "fee_yuan": "0" if i % 11 else "80",
            "materials": rng.sample(pool, rng.randint(2, 8)),
        })
    document_bundles, start = [], 0
    for b in range(bundles):
        size = 5 + b % 21
        chosen = [codes[(start + k) % matters] for k in range(size)]
        start += size
        chosen_set = set(chosen)
        entries = [{"matter": c, "optional": False} for c in chosen]
        for matter in document_matters:  # a prerequisite outside the bundle joins it
            if matter["code"] in chosen_set:
                for dep in matter["depends_on"]:
                    if dep not in chosen_set:
                        chosen_set.add(dep)
                        entries.insert(0, {"matter": dep, "optional": False})
        document_bundles.append({"code": f"YJS{b:03d}", "name": f"一件事{b:03d}", "promised_days": 30,
                                 "matters": entries})
    return {"agencies": agencies, "matters": document_matters, "bundles": document_bundles}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="onevisit-bench-import-"))
    try:
        workbook = folder / "city.xlsx"
        document = city_document()
        write_workbook(document, workbook)
        walls, cpus = [], []
        for n in range(options.rounds):
            env = {**os.environ, "ONEVISIT_DATABASE_URL": f"sqlite:///{folder / f'import{n}'}.db",
                   "ONEVISIT_OPERATOR": "admin"}
            env.pop("ONEVISIT_NOW", None)
            subprocess.run([ONEVISIT, "init", "--no-catalog"], env=env, check=True, capture_output=True)
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            done = subprocess.run([ONEVISIT, "catalog", "import", str(workbook)], env=env, capture_output=True, text=True)
            walls.append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
            if done.returncode != 0:
                raise SystemExit(f"import failed: {done.stderr.strip()[:2000]}")
        print(done.stdout.strip())
        print(f"catalog import · {workbook.stat().st_size / 1024:.0f} KB workbook, {len(document['matters'])} matters, "
              f"{len(document['bundles'])} bundles · {options.rounds} rounds · median {statistics.median(walls):.2f} s "
              f"wall (max {max(walls):.2f} s), {statistics.median(cpus):.2f} s CPU · target < 30 s · {os.cpu_count()} cores")
        print(json.dumps({"matters": len(document["matters"]), "bundles": len(document["bundles"]),
                          "wall_s": round(statistics.median(walls), 3), "cpu_s": round(statistics.median(cpus), 3)}))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
