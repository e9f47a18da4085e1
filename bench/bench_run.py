"""The whole pipeline, cold and unchanged, at HEAD and (optionally) at a base checkout.

    .venv/bin/python bench/bench_run.py [--notes 30] [--corpus DIR]
        [--base CHECKOUT --base-python CHECKOUT/.venv/bin/python] [--keep DIR]

A vault of the first N 3blue1brown corpus notes whose video has an English transcript,
with those transcripts as local files named `VIDEO_ID.en.json` (YouTube's JSON: text,
start, duration; from `en/sentence_timings.json`), so that both versions translate the
transcript tracks. Each checkout runs `interlinear run VAULT --transcripts T --to pt
--offline` cold (a fresh cache folder and PREFECT_HOME), then unchanged, then the 3-note
demo cold and unchanged (`examples/`, `--to ru,pt --allow-missing-models`), in one bench
run. For the base checkout (`git worktree add /tmp/base c1bed28` and a venv of its own,
`make install` there), `--base` and `--base-python`.

Reports wall seconds, the CPU seconds of each run and of the children it waited for, and
the load average before and after each run; the ratios: base cold / HEAD cold (target
>= 3), HEAD unchanged / HEAD cold (target <= 3%), and the demo's unchanged re-run (target
<= 5 s). Writes bench/results/bench_run.json and .md and prints them.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
SHARED = Path(os.environ.get("INTERLINEAR_SHARED") or REPO.parent / "shared")


def build_vault(corpus: Path, n: int, dest: Path) -> tuple[Path, Path]:
    """N corpus notes with an English transcript, and those transcripts as VIDEO_ID.en.json."""
    vault, transcripts = dest / "vault", dest / "transcripts"
    shutil.rmtree(dest, ignore_errors=True)
    vault.mkdir(parents=True)
    transcripts.mkdir()
    taken = 0
    for note in sorted((corpus / "notes" / "3blue1brown").glob("*.md")):
        text = note.read_text(encoding="utf-8")
        vid = next((line.split(":", 1)[1].strip().strip("'\"") for line in text.splitlines()
                    if line.startswith("videoId:")), "")
        timings = corpus / "transcripts" / vid / "en" / "sentence_timings.json"
        if not vid or not timings.is_file():
            continue
        shutil.copyfile(note, vault / note.name)
        target = transcripts / f"{vid}.en.json"
        if not target.exists():
            rows = json.loads(timings.read_text(encoding="utf-8"))
            segments = [{"text": str(s), "start": float(a), "duration": float(b) - float(a)}
                        for s, a, b in rows]
            target.write_text(json.dumps(segments, ensure_ascii=False), encoding="utf-8")
        taken += 1
        if taken == n:
            break
    return vault, transcripts


def timed(cmd: list[str], cwd: Path, env: dict[str, str], log: Path) -> dict[str, Any]:
    load_before = [round(x, 2) for x in os.getloadavg()]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    with open(log, "wb") as fh:
        proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=fh, stderr=subprocess.STDOUT)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "exit": proc.returncode,
            "load_before": load_before, "load_after": [round(x, 2) for x in os.getloadavg()],
            "log": str(log)}


def bench_checkout(name: str, checkout: Path, python: str, vault: Path, transcripts: Path,
                   work: Path) -> dict[str, dict[str, Any]]:
    home = work / name
    shutil.rmtree(home, ignore_errors=True)  # cold: no cache, no server, no outputs
    home.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update({"PREFECT_HOME": str(home / "prefect"), "PYTHONPATH": str(checkout),
                "INTERLINEAR_CACHE": str(home / "cache"), "PREFECT_LOGGING_LEVEL": "WARNING"})
    base = [python, "-m", "flows.cli", "run"]
    corpus_run = [*base, str(vault), "--transcripts", str(transcripts), "--to", "pt",
                  "--offline", "--out", str(home / "out"), "--allow-missing-models"]
    demo = [*base, str(checkout / "examples" / "vault"), "--transcripts",
            str(checkout / "examples" / "transcripts"), "--to", "ru,pt", "--offline",
            "--out", str(home / "demo-out"), "--allow-missing-models",
            "--cache-dir", str(home / "demo-cache")]
    found = {}
    for label, cmd in (("cold", corpus_run), ("unchanged", corpus_run),
                       ("demo_cold", demo), ("demo_unchanged", demo)):
        found[label] = timed(cmd, checkout, env, home / f"{label}.log")
        print(f"{name} {label}: {found[label]}", flush=True)
    for state in (home / "prefect").glob("interlinear-server-*.json"):  # the kept server
        with contextlib.suppress(OSError, ValueError, KeyError):
            os.kill(int(json.loads(state.read_text())["keeper"]), signal.SIGTERM)
    return found


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--notes", type=int, default=30)
    ap.add_argument("--corpus", type=Path, default=SHARED / "corpus")
    ap.add_argument("--base", type=Path, help="a checkout of the base commit")
    ap.add_argument("--base-python", help="the base checkout's own Python (its venv)")
    ap.add_argument("--keep", type=Path, help="work here and keep it (default: a temp dir)")
    args = ap.parse_args()
    if not args.corpus.is_dir():
        print(f"no corpus at {args.corpus}", file=sys.stderr)
        return 2
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-run-"))
    work.mkdir(parents=True, exist_ok=True)
    vault, transcripts = build_vault(args.corpus, args.notes, work / "input")
    notes = len(list(vault.glob("*.md")))
    results: dict[str, object] = {"notes": notes, "cpu_count": os.cpu_count()}
    runs = {"head": bench_checkout("head", REPO, sys.executable, vault, transcripts, work)}
    if args.base and args.base_python:
        runs["base"] = bench_checkout("base", args.base.resolve(), args.base_python, vault,
                                      transcripts, work)
    results["runs"] = runs
    head = runs["head"]
    ratios: dict[str, object] = {
        "unchanged_share_of_cold": round(head["unchanged"]["wall_s"] / head["cold"]["wall_s"], 4),
        "demo_unchanged_s": head["demo_unchanged"]["wall_s"]}
    if "base" in runs:
        ratios["base_cold_over_head_cold"] = round(
            runs["base"]["cold"]["wall_s"] / head["cold"]["wall_s"], 2)
    results["ratios"] = ratios
    lines = ["# The whole pipeline, cold and unchanged", "",
             f"{notes} 3blue1brown corpus notes, `--to pt --offline`; the 3-note demo.", "",
             "| checkout | run | wall s | CPU s | exit | load before | load after |",
             "|---|---|---|---|---|---|---|"]
    for name, found in runs.items():
        for label, r in found.items():
            lines.append(f"| {name} | {label} | {r['wall_s']} | {r['cpu_s']} | {r['exit']} | "
                         f"{r['load_before']} | {r['load_after']} |")
    lines += ["", f"Ratios: {ratios}", ""]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "bench_run.json").write_text(json.dumps(results, indent=2))
    (RESULTS / "bench_run.md").write_text("\n".join(lines))
    print("\n".join(lines))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
