"""The run's outputs before and after a change: produced at two commits, compared file by file.

    .venv/bin/python bench/compare_outputs.py produce --commit c1bed28 --dest /work/baseline/c1bed28
    .venv/bin/python bench/compare_outputs.py produce --checkout . --dest /tmp/after
    .venv/bin/python bench/compare_outputs.py compare /work/baseline/c1bed28 /tmp/after

`produce` runs a commit's own code (a detached `git worktree` of it in a temp folder, or
`--checkout PATH`) with this interpreter (the shared venv) and PYTHONPATH=<checkout>, twice,
each with a fresh cache, fresh XDG folders (argostranslate sees no installed model) and a
fresh Prefect home:
  demo/    `interlinear run examples/vault --transcripts examples/transcripts --to ru,pt
            --allow-missing-models` (what `make demo` runs);
  corpus/  the first 20 3blue1brown notes of the corpus (by file name) whose video has
            transcripts/VIDEO_ID/en/sentence_timings.json, in a temp vault, with a temp
            transcripts folder of VIDEO_ID/en links, `--to pt --offline`.
DEST/produce.json records the commit, exit statuses and times; DEST/logs/ the output.
`--only demo` (or corpus) runs one of the two.

`compare A B` compares every file of A/demo and A/corpus with B's, and what the command
printed after its progress bars, with its exit status: the same relative paths, the same
bytes once the provenance is set aside (version, signatures, hashes, start and end times,
the run lock's process id, the run's folders; see PROVENANCE below: the notes' other
provenance properties, such as engine, model and alignment, are compared).
Prints a table per kind of file and the first differing lines; exit status 1 on any
difference.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
CHANNEL = "3blue1brown"
N_NOTES = 20
RUNS = ("demo", "corpus")
VIDEO_ID = re.compile(r"^videoId:\s*['\"]?([A-Za-z0-9_-]{11})", re.MULTILINE)


# ---------------------------------------------------------------- produce

def corpus_notes(corpus: Path, n: int = N_NOTES) -> list[tuple[Path, str]]:
    """The first `n` notes of the channel by file name whose video has an English
    sentence_timings.json, with their video ids."""
    chosen: list[tuple[Path, str]] = []
    for note in sorted((corpus / "notes" / CHANNEL).glob("*.md")):
        m = VIDEO_ID.search(note.read_text(encoding="utf-8"))
        if m and (corpus / "transcripts" / m[1] / "en" / "sentence_timings.json").is_file():
            chosen.append((note, m[1]))
            if len(chosen) == n:
                break
    if len(chosen) < n:
        raise SystemExit(f"only {len(chosen)} notes with transcripts in {corpus}")
    return chosen


def environment(home: Path, checkout: Path) -> dict[str, str]:
    """A run's environment: nothing of the user's caches, models or Prefect server."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("INTERLINEAR_", "PREFECT_", "ARGOS_", "XDG_"))}
    for sub in ("cache", "xdg_data_home", "xdg_config_home", "xdg_cache_home", "prefect"):
        (home / sub).mkdir(parents=True)
    env.update({
        "PYTHONPATH": str(checkout),
        "INTERLINEAR_CACHE": str(home / "cache"),
        "XDG_DATA_HOME": str(home / "xdg_data_home"),
        "XDG_CONFIG_HOME": str(home / "xdg_config_home"),
        "XDG_CACHE_HOME": str(home / "xdg_cache_home"),
        "PREFECT_HOME": str(home / "prefect"),
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "600",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "NO_COLOR": "1", "COLUMNS": "200", "PYTHONUNBUFFERED": "1",
    })
    return env


@contextmanager
def checkout_of(commit: str | None, path: Path | None) -> Iterator[Path]:
    """`path` as it is, or a detached worktree of `commit`, removed afterwards."""
    if path is not None:
        yield path.resolve()
        return
    assert commit is not None
    tmp = Path(tempfile.mkdtemp(prefix="interlinear-compare-")) / "checkout"
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", "--quiet",
                    str(tmp), commit], check=True)
    try:
        yield tmp
    finally:
        subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(tmp)],
                       check=False)
        shutil.rmtree(tmp.parent, ignore_errors=True)


def run_cli(args: list[str], env: dict[str, str], cwd: Path, log: Path
            ) -> tuple[int, dict[str, object]]:
    """`interlinear ARGS` of the checkout `cwd` (on PYTHONPATH), its output into `log`."""
    cmd = [sys.executable, "-c", "import sys; from flows.cli import main; sys.exit(main())",
           *args]
    start = time.monotonic()
    with log.open("w", encoding="utf-8") as fh:
        fh.write("$ interlinear " + " ".join(args) + "\n")
        fh.flush()
        rc = subprocess.run(cmd, env=env, cwd=cwd, stdout=fh, stderr=subprocess.STDOUT,
                            check=False).returncode
    seconds = round(time.monotonic() - start, 1)
    print(f"  interlinear {args[0]} ... -> exit {rc} in {seconds} s (log {log})", flush=True)
    return rc, {"args": args, "exit": rc, "seconds": seconds}


def produce(commit: str | None, checkout: Path | None, dest: Path, only: list[str],
            corpus: Path = CORPUS) -> int:
    dest = dest.resolve()
    for run in only:
        if (dest / run).exists():
            raise SystemExit(f"{dest / run} exists: give an empty --dest")
    (dest / "logs").mkdir(parents=True, exist_ok=True)
    record: dict[str, object] = {}
    exits: list[int] = []
    with checkout_of(commit, checkout) as src:
        sha = subprocess.run(["git", "-C", str(src), "rev-parse", "HEAD"], check=True,
                             capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(src), "status", "--porcelain",
                                "--untracked-files=no"], check=True, capture_output=True,
                               text=True).stdout.strip()
        record.update({"commit": sha, "checkout": str(src), "dest": str(dest),
                       "dirty": bool(dirty), "python": sys.executable})
        print(f"produce {sha[:10]}{' (dirty)' if dirty else ''} from {src} into {dest}",
              flush=True)
        for run in only:
            with tempfile.TemporaryDirectory(prefix=f"interlinear-compare-{run}-") as t:
                tmp = Path(t)
                env = environment(tmp / "home", src)
                if run == "demo":
                    args = ["run", str(src / "examples" / "vault"),
                            "--transcripts", str(src / "examples" / "transcripts"),
                            "--to", "ru,pt", "--out", str(dest / "demo"),
                            "--allow-missing-models"]
                else:
                    vault, transcripts = tmp / "vault", tmp / "transcripts"
                    (vault / CHANNEL).mkdir(parents=True)
                    notes = corpus_notes(corpus)
                    for note, video in notes:
                        shutil.copyfile(note, vault / CHANNEL / note.name)
                        (transcripts / video).mkdir(parents=True, exist_ok=True)
                        link = transcripts / video / "en"
                        if not link.exists():
                            link.symlink_to(corpus / "transcripts" / video / "en")
                    record["corpus_notes"] = [note.name for note, _ in notes]
                    args = ["run", str(vault), "--transcripts", str(transcripts),
                            "--to", "pt", "--offline", "--out", str(dest / "corpus")]
                rc, record[run] = run_cli(args, env, src, dest / "logs" / f"{run}.log")
                exits.append(rc)
    (dest / "produce.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return 0 if all(rc in (0, 1) for rc in exits) else 1  # 1: some items failed, still a run


# ---------------------------------------------------------------- compare


# Set aside as provenance: the version, the run's signatures, hashes, start and end times
# (by key, wherever the output states them), the run lock's process id; and the folders of
# the run (the checkout, DEST, temp folders) are written as <checkout>, <dest>, <tmp>.
# (The transcript tracks' signature changes with the transcript file's absolute path.)
# Front matter: only the keys of its `interlinear:` block (or its flat `interlinear_KEY`
# properties, `glossary` included: the glossary's hash); JSON: string values only (the
# manifest's summary.glossary_terms are counts, compared); review pages: the footer's
# `key <code>value</code>`; VTT: the `NOTE Interlinear` line's `key=value`.
PROVENANCE = ("interlinear", "version", "python", "signature", "hash", "glossary_hash",
              "glossary_terms", "started_at", "finished_at")
FOOTER_KEYS = (*PROVENANCE, "glossary")  # the footer's `glossary` is the glossary's hash
SET_ASIDE = "<provenance>"
TMP = re.compile(re.escape(tempfile.gettempdir()) + r"/interlinear-compare-[^/\s\"'<>]+")
FRONT_KEY = re.compile(r"^(\s+)(\w+):.*$")
FLAT_KEY = re.compile(r"^interlinear_(\w+):.*$")  # the flat front matter's provenance
VTT_NOTE = re.compile(r"\b(" + "|".join(PROVENANCE) + r")=\S+")
FOOTER = re.compile(r"\b(" + "|".join(FOOTER_KEYS) + r") <code>[^<]*</code>")


def unpath(text: str, paths: list[tuple[str, str]]) -> str:
    """The run's folders written as <checkout>, <dest>, <tmp>."""
    for path, name in paths:
        text = text.replace(path, name)
    return TMP.sub("<tmp>", text)


def kind_of(rel: str) -> str:
    run, _, path = rel.partition("/")
    name = Path(path).name
    if path.startswith("notes/"):
        kind = "translated note"
    elif path.startswith("bilingual/"):
        kind = "bilingual note"
    elif path == "review/index.html":
        kind = "review index"
    elif path.startswith("review/"):
        kind = "review page"
    elif name.endswith((".vtt", ".srt")):
        kind = ("claims " if ".claims." in name else "transcript ") + name.rpartition(".")[2]
    elif path in ("manifest.json", "alignment.json", ".interlinear.lock"):
        kind = path
    else:
        kind = "other"
    return f"{run}: {kind}"


def json_aside(value: object) -> object:
    if isinstance(value, dict):
        return {k: SET_ASIDE if k in PROVENANCE and isinstance(v, str) else json_aside(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [json_aside(v) for v in value]
    return value


def front_matter_aside(lines: list[str]) -> list[str]:
    """The provenance keys of the first front matter set aside: those of its `interlinear:`
    block (before the front matter was flat), its `interlinear_KEY` properties (the
    version, signature, glossary hashes)."""
    if not lines or lines[0] != "---":
        return lines
    out, block = [lines[0]], False
    for i, line in enumerate(lines[1:], 1):
        if line == "---":
            return out + lines[i:]
        m = FRONT_KEY.match(line)
        flat = FLAT_KEY.match(line)
        if block and m and m[2] in PROVENANCE:
            line = f"{m[1]}{m[2]}: {SET_ASIDE}"
        elif flat and flat[1] in FOOTER_KEYS:
            line = f"interlinear_{flat[1]}: {SET_ASIDE}"
        elif not line.startswith((" ", "\t")):
            block = line.rstrip() == "interlinear:"
        out.append(line)
    return out


def normalised(rel: str, data: bytes, paths: list[tuple[str, str]]) -> list[str] | bytes:
    """The file's lines with its provenance set aside (bytes when it is not text)."""
    if rel.endswith("/.interlinear.lock"):
        return [SET_ASIDE]  # the holder's process id
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return data
    text = unpath(text, paths)
    if rel.endswith(".json"):
        try:
            value = json.loads(text)
        except ValueError:
            return text.split("\n")
        return json.dumps(json_aside(value), indent=1, ensure_ascii=False).split("\n")
    lines = text.split("\n")
    if rel.endswith(".md"):
        return front_matter_aside(lines)
    if rel.endswith(".vtt"):
        return [VTT_NOTE.sub(rf"\1={SET_ASIDE}", ln) if ln.startswith("NOTE Interlinear")
                else ln for ln in lines]
    if rel.endswith(".html"):
        return [FOOTER.sub(rf"\1 <code>{SET_ASIDE}</code>", ln) if ln.startswith("<footer>")
                else ln for ln in lines]
    return lines


def summary_lines(log: Path) -> list[str]:
    """What the command printed after its progress bars (their times vary)."""
    if not log.is_file():
        return []
    lines = log.read_text(encoding="utf-8", errors="replace").split("\n")
    start = next((i for i, ln in enumerate(lines) if ln.startswith("Interlinear run")), None)
    return lines[start:] if start is not None else lines[1:]


def outputs(root: Path, run: str) -> dict[str, Path]:
    """The files a run wrote, by their path from `root` (`demo/...`)."""
    return {p.relative_to(root).as_posix(): p
            for p in sorted((root / run).rglob("*")) if p.is_file()}


class Side:
    """One `produce` folder: its record and the folders its outputs name (its checkout,
    and DEST where it was written and where it is now)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.record = json.loads((root / "produce.json").read_text(encoding="utf-8"))
        dests = {str(root.resolve())}
        for run in self.runs:
            args = self.record[run]["args"]
            dests.add(str(Path(args[args.index("--out") + 1]).parent))
        self.paths = [(self.record["checkout"], "<checkout>"),
                      *((d, "<dest>") for d in sorted(dests))]

    @property
    def runs(self) -> list[str]:
        return [run for run in RUNS if run in self.record]

    def summary(self, run: str) -> list[str]:
        return [unpath(ln, self.paths) for ln in summary_lines(self.root / "logs" / f"{run}.log")]


COLUMNS = ("files", "identical", "differing", "only A", "only B")


def compare(a: Path, b: Path, show: int = 5, context: int = 12) -> int:
    sa, sb = Side(a), Side(b)
    table: dict[str, list[int]] = {}  # kind -> COLUMNS
    diffs: list[tuple[str, list[str]]] = []  # what differs, its first differing lines

    def count(kind: str, column: str) -> None:
        table.setdefault(kind, [0] * len(COLUMNS))[COLUMNS.index(column)] += 1

    def differ(kind: str, name: str, x: list[str] | bytes, y: list[str] | bytes) -> None:
        count(kind, "files")
        if x == y:
            count(kind, "identical")
            return
        count(kind, "differing")
        if isinstance(x, bytes) or isinstance(y, bytes):
            diffs.append((name, ["binary files differ"]))
        else:
            lines = difflib.unified_diff(x, y, f"A/{name}", f"B/{name}", n=1, lineterm="")
            diffs.append((name, list(lines)[:context]))

    for run in RUNS:
        if run not in sa.runs or run not in sb.runs:
            if run in sa.runs or run in sb.runs:
                diffs.append((run, [f"produced only in {a if run in sa.runs else b}"]))
            continue
        fa, fb = outputs(a, run), outputs(b, run)
        for rel in sorted(fa.keys() | fb.keys()):
            kind = kind_of(rel)
            if rel not in fa or rel not in fb:
                count(kind, "files")
                count(kind, "only A" if rel in fa else "only B")
                diffs.append((rel, [f"only in {a if rel in fa else b}"]))
                continue
            differ(kind, rel, normalised(rel, fa[rel].read_bytes(), sa.paths),
                   normalised(rel, fb[rel].read_bytes(), sb.paths))
        exits = [f"exit status {side.record[run]['exit']}" for side in (sa, sb)]
        differ(f"{run}: exit status + summary", f"logs/{run}.log",
               [exits[0], *sa.summary(run)], [exits[1], *sb.summary(run)])

    print(f"A = {a} ({sa.record['commit'][:10]})\nB = {b} ({sb.record['commit'][:10]})\n")
    width = max(4, *(len(k) for k in table)) if table else 4
    print(f"{'kind':<{width}}  " + "  ".join(f"{h:>9}" for h in COLUMNS))
    for kind, row in sorted(table.items()):
        print(f"{kind:<{width}}  " + "  ".join(f"{n:>9}" for n in row))
    totals = [sum(col) for col in zip(*table.values(), strict=True)] if table else [0] * 5
    print(f"{'total':<{width}}  " + "  ".join(f"{n:>9}" for n in totals))
    if not diffs:
        print("\nidentical (provenance aside)")
        return 0
    print(f"\n{len(diffs)} differences; the first {min(show, len(diffs))}:")
    for name, lines in diffs[:show]:
        print(f"\n== {name}")
        print("\n".join(lines))
    return 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="command", required=True)
    prod = sub.add_parser("produce", help="run the demo and the corpus run of one commit")
    which = prod.add_mutually_exclusive_group(required=True)
    which.add_argument("--commit", help="a commit, checked out in a temp worktree")
    which.add_argument("--checkout", type=Path, help="an existing checkout, used as it is")
    prod.add_argument("--dest", type=Path, required=True)
    prod.add_argument("--only", choices=RUNS, action="append",
                      help="one of the runs (default both)")
    prod.add_argument("--corpus", type=Path, default=CORPUS,
                      help="the evaluation corpus (default ../shared/corpus)")
    cmp = sub.add_parser("compare", help="compare the outputs of two `produce` folders")
    cmp.add_argument("a", type=Path)
    cmp.add_argument("b", type=Path)
    cmp.add_argument("--show", type=int, default=5, help="how many differences to print")
    cmp.add_argument("--lines", type=int, default=12, help="diff lines shown per difference")
    args = ap.parse_args(argv)
    if args.command == "produce":
        return produce(args.commit, args.checkout, args.dest, args.only or list(RUNS),
                       args.corpus.resolve())
    return compare(args.a, args.b, args.show, args.lines)


if __name__ == "__main__":
    sys.exit(main())
