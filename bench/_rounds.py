"""Rounds in processes of their own: clerks started at once, a round's JSON line, SpiffWorkflow's runs beside ours."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_clerks(script: str, url: str, share: int, clerks: int) -> tuple[float, list[dict]]:
    """`python SCRIPT --clerk URL --cases SHARE` in K processes that start acting at once (each prints
    "ready", waits for a line, acts, prints one JSON line); the seconds until the last was done, and what
    each printed."""
    processes = [subprocess.Popen([sys.executable, script, "--clerk", url, "--cases", str(share)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for _ in range(clerks)]
    for process in processes:
        if process.stdout.readline().strip() != "ready":
            raise SystemExit("bench: a clerk did not start")
    start = time.perf_counter()
    for process in processes:
        process.stdin.write("\n")
        process.stdin.flush()
    outputs = [json.loads(process.stdout.readline()) for process in processes]
    seconds = time.perf_counter() - start
    for process in processes:
        process.wait()
    return seconds, outputs

def spiff_peers(cases: int, wave: int, admin_url: str | None) -> dict[str, list[str]]:
    """The command lines of SpiffWorkflow's two runs of the same cases, for `child`: in memory, and durable on
    the same kind of database as ours (a fresh PostgreSQL database with ADMIN_URL, else a SQLite file)."""
    spiff = [str(ROOT / "bench" / "spiff_lifecycle.py"), "--cases", str(cases), "--wave", str(wave)]
    return {"memory": spiff, "durable": spiff + (["--postgres", admin_url] if admin_url else ["--durable"])}


def child(args: list[str]) -> dict:
    """A round in a process of its own, so peak memory is that round's."""
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])



def medians_beside_spiff(own: list[str], peers: dict[str, list[str]], rounds: int, *, quiet: bool) -> dict:
    """`rounds` rounds of the lifecycle bench (`own`, its command line) each in a process of its own, each
    followed by SpiffWorkflow's `peers` if any; each round printed unless `quiet`; the medians, and the ratios'."""
    rows = []
    for index in range(rounds):
        ours = child(own)
        theirs = {name: child(args) for name, args in peers.items()}
        ratios = {name: round(ours["cases_per_s"] / peer["cases_per_s"], 2) for name, peer in theirs.items()}
        rows.append((ours, theirs, ratios))
        if not quiet:
            memory = f"{ours['peak_rss_mb']} MB" + (f", serve {ours['serve_peak_rss_mb']} MB"
                                                    if "serve_peak_rss_mb" in ours else "")
            print(f"round {index + 1}: onevisit {ours['cases_per_s']} cases/s ({ours['seconds']} s, {memory}; "
                  f"{ours['phase_seconds']})" + "".join(
                      f"; spiffworkflow {peer['store']} {peer['cases_per_s']} cases/s, ratio {ratios[name]}"
                      for name, peer in theirs.items()), flush=True)
    result = {
        "cases": rows[0][0]["cases"],
        "seconds": statistics.median(r[0]["seconds"] for r in rows),
        "cases_per_s": statistics.median(r[0]["cases_per_s"] for r in rows),
        "peak_rss_mb": statistics.median(r[0]["peak_rss_mb"] for r in rows),
        "backend": rows[0][0]["backend"],
        "mode": rows[0][0]["mode"],
        "rounds": rounds,
    }
    if "serve_peak_rss_mb" in rows[0][0]:
        result["serve_peak_rss_mb"] = statistics.median(r[0]["serve_peak_rss_mb"] for r in rows)
    if peers:  # medians of each round's figure and ratio (the ratio of medians may differ)
        result["spiff_cases_per_s"] = statistics.median(r[1]["memory"]["cases_per_s"] for r in rows)
        result["ratio"] = statistics.median(r[2]["memory"] for r in rows)
        result["spiff_durable_cases_per_s"] = statistics.median(r[1]["durable"]["cases_per_s"] for r in rows)
        result["ratio_durable"] = statistics.median(r[2]["durable"] for r in rows)
        if not quiet:
            print(f"median of {rounds}: onevisit {result['cases_per_s']} cases/s; spiffworkflow in memory "
                  f"{result['spiff_cases_per_s']}, ratio {result['ratio']}; durable "
                  f"{rows[0][1]['durable']['store']} {result['spiff_durable_cases_per_s']}, "
                  f"ratio {result['ratio_durable']}", flush=True)
    return result
