"""One end-to-end run of `interlinear run` over a hostile vault, and a second run started on
the same output folder while the first holds it.

The vault (built in a temporary folder) holds one good note, a second good note with the
same slug in another channel, notes in folders with names unsafe on Windows, every kind of
unusable note (test_hardening_input.py checks each at the library level), notes with odd
timestamps and anchors, notes citing videos whose transcripts are empty, not JSON, or full
of `-->` and blank lines, symlinks out of the vault, a pipe, and file names that are not
UTF-8 or hold terminal escape sequences. A proxy password is set in the environment.

Asserted: exit status 1; every bad file named in the manifest with its reason; the good
notes' outputs written and every track valid; nothing written outside OUT and the cache;
no traceback; the proxy password nowhere; the concurrent run refused with a clear message.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import webvtt

from .hostile.cases import (
    GOOD,
    MARKER,
    ODD,
    OTHER_VID,
    VID,
    bad_notes,
    build_vault,
    front,
    odd_note,
    transcript_json,
    write,
)

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

ROOT = Path(__file__).resolve().parents[1]
CLI = Path(sys.executable).parent / "interlinear"
SECRET = "s3cret"
EMPTY_VID, NOT_JSON_VID, ARROWS_VID = "emptyTran01", "notJson0001", "arrowsText1"


@dataclass
class Run:
    base: Path
    out: Path
    cache: Path
    prefect_home: Path
    returncode: int
    stdout: str
    stderr: str
    manifest: dict[str, object]
    expected_failures: dict[str, tuple[str, ...]]
    concurrent: subprocess.CompletedProcess[str]
    before: dict[str, str]
    after: dict[str, str]


def tree(root: Path, skip: tuple[Path, ...]) -> dict[str, str]:
    """Every file and folder under `root` (not following links) with a digest of files."""
    found: dict[str, str] = {}
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        dirs[:] = [d for d in dirs if here / d not in skip]
        for name in [*dirs, *files]:
            p = here / name
            if p in skip:
                continue
            if p.is_symlink():
                found[str(p)] = "link:" + os.readlink(p)
            elif p.is_file():
                found[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
            else:
                found[str(p)] = "dir" if p.is_dir() else "other"
    return found


def build(base: Path) -> tuple[Path, Path, dict[str, str]]:
    vault, transcripts = base / "vault", base / "transcripts"
    expected = build_vault(vault, bad_notes(base))
    # a second good note: same slug in another channel, same video (one fetch)
    write(vault / "two" / "good.md", GOOD.replace("Peace terms", "Other terms"))
    # channel and slug names Windows refuses
    write(vault / "CON" / "x?y.md", GOOD.replace("Peace terms", "Unsafe names"))
    write(vault / "a:b." / "trailing dot..md", GOOD.replace("Peace terms", "Trailing dot"))
    # odd timestamps and anchors: used, each a problem
    for i, case in enumerate(ODD[:6]):
        text, _ = odd_note(case)
        write(vault / "odd" / f"odd{i}.md", text)
    # transcripts: the example video's, an empty one, one not JSON, one of hostile text
    transcripts.mkdir()
    shutil.copy(ROOT / "examples" / "transcripts" / f"{VID}.ru.json", transcripts)
    write(transcripts / f"{EMPTY_VID}.ru.json", "")
    write(transcripts / f"{NOT_JSON_VID}.ru.json", "{not json")
    write(transcripts / f"{ARROWS_VID}.ru.json", transcript_json([
        (0.0, 3.0, "Первый --> второй"), (1.0, 3.0, "перекрытие\n\nпустая строка"),
        (5.0, 2.0, "<script>alert(1)</script> &amp;"), (7.0, 0.0, "\n\n"),
    ]))
    claim = "\nA claim " + '<a class="yt-timestamp" data-t="00:00:02">[00:00:02]</a>.\n'
    for vid in (EMPTY_VID, NOT_JSON_VID, ARROWS_VID):
        write(vault / "videos" / f"{vid}.md", front(f"Video {vid}", vid) + claim)
    # no transcript anywhere, offline: a fetch failure
    write(vault / "videos" / "offline.md", front("Offline", OTHER_VID) + claim)
    expected.update({EMPTY_VID: "empty file", NOT_JSON_VID: "not valid JSON",
                     OTHER_VID: "offline"})
    return vault, transcripts, expected


def command(vault: Path, transcripts: Path, out: Path, cache: Path) -> list[str]:
    return [str(CLI), "run", str(vault), "--to", "pt", "--offline", "--allow-missing-models",
            "--transcripts", str(transcripts), "--out", str(out), "--cache-dir", str(cache)]


def environment(base: Path, home: Path) -> dict[str, str]:
    """The run's environment: a proxy password, the default cache pointed into the watched
    tree (it must not be used: --cache-dir is given), Prefect's home and the libraries' own
    user cache (argostranslate makes a downloads folder there on import) outside it."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("INTERLINEAR_", "PREFECT_"))}
    (home / "prefect").mkdir(parents=True, exist_ok=True)  # Prefect makes no parents
    return {**env, "INTERLINEAR_PROXY_HTTPS": f"http://user:{SECRET}@127.0.0.1:9",
            "INTERLINEAR_CACHE": str(base / "default-cache-must-not-be-used"),
            "XDG_CACHE_HOME": str(home / "xdg-cache"), "PREFECT_HOME": str(home / "prefect"),
            "NO_COLOR": "1", "COLUMNS": "200", "PYTHONPATH": str(ROOT)}


@pytest.fixture(scope="module")
def run() -> Iterator[Run]:
    if not CLI.exists():
        pytest.skip(f"{CLI} not installed (pip install -e .)")
    # a folder of its own, not pytest's: other pytest sessions prune old pytest-N folders
    root = Path(tempfile.mkdtemp(prefix="interlinear-e2e-"))
    base = root / "up" / "run"  # a write that escaped OUT by `../..` would land in `root`
    base.mkdir(parents=True)
    vault, transcripts, expected = build(base)
    out, cache = base / "out", base / "cache"
    homes = root.with_name(root.name + "-homes")
    skip = (out, cache)
    before = tree(root, skip)
    cmd = command(vault, transcripts, out, cache)
    # two runs on one output folder at the same moment: one holds it, the other is refused
    procs = [subprocess.Popen(cmd, cwd=base, env=environment(base, homes / str(i)), text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for i in (1, 2)]
    try:
        done = [p.communicate(timeout=1200) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.communicate()
    holder = int((out / ".interlinear.lock").read_text().strip())
    (winner,) = [i for i, p in enumerate(procs) if p.pid == holder]
    first, (stdout, stderr) = procs[winner], done[winner]
    other, (o_out, o_err) = procs[1 - winner], done[1 - winner]
    concurrent = subprocess.CompletedProcess(other.args, other.returncode, o_out, o_err)
    after = tree(root, skip)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    yield Run(base, out, cache, homes, first.returncode, stdout, stderr, manifest, expected,
              concurrent, before, after)
    shutil.rmtree(homes, ignore_errors=True)
    shutil.rmtree(root, ignore_errors=True)


def test_exit_status_is_one_and_no_traceback(run: Run) -> None:
    assert run.returncode == 1, run.stderr[-3000:]
    assert "Traceback" not in run.stdout + run.stderr
    assert "\x1b[31mred" not in run.stdout + run.stderr  # a file name's escape sequence
    summary = run.manifest["summary"]
    assert isinstance(summary, dict) and summary["exit_status"] == 1


def test_every_bad_file_is_named_with_its_reason(run: Run) -> None:
    failures = run.manifest["failures"]
    assert isinstance(failures, list)
    reasons = {str(f["item"]): str(f["reason"]) for f in failures}
    for item, fragments in run.expected_failures.items():
        assert item in reasons, item
        assert any(f in reasons[item] for f in fragments), (item, reasons[item])
        assert "\n" not in reasons[item] and "\n" not in item
    for item in run.expected_failures:
        assert item in run.stdout.replace("\n  ", " ") or len(item) > 150  # listed
    problems = run.manifest["problems"]
    assert isinstance(problems, list)
    for i, case in enumerate(ODD[:6]):
        path = run.base / "vault" / "odd" / f"odd{i}.md"
        _, line = odd_note(case)
        assert any(p.startswith(f"{path}:{line}: ") and case.message in p for p in problems), (
            case.id, problems)
    assert not (run.base / MARKER).exists()


def test_good_notes_are_produced(run: Run) -> None:
    outputs = run.manifest["outputs"]
    assert isinstance(outputs, list)
    made = {str(o["path"]) for o in outputs}
    for rel in ("notes/pt/good/good.md", "bilingual/pt/good/good.md",
                "review/pt/good/good.html", "notes/pt/two/good.md", "bilingual/pt/two/good.md",
                f"subtitles/{VID}/{VID}.ru.vtt", f"subtitles/{VID}/{VID}.claims.pt.vtt",
                f"subtitles/{ARROWS_VID}/{ARROWS_VID}.ru.vtt", "alignment.json",
                "review/index.html"):
        assert rel in made, rel
        assert (run.out / rel).is_file(), rel
    assert any(p.startswith("notes/pt/_CON-") for p in made)
    assert any(p.startswith("notes/pt/a_b-") for p in made)
    videos = run.manifest["videos"]
    assert isinstance(videos, list)
    assert [v["video_id"] for v in videos].count(VID) == 1  # two notes, one fetch
    for path in run.out.rglob("*.vtt"):
        for cap in webvtt.read(str(path)).captions:
            assert "-->" not in cap.raw_text and "<script" not in cap.raw_text
    translated = (run.out / "notes/pt/good/good.md").read_text(encoding="utf-8")
    assert 'data-t="00:06:40"' in translated and "videoId: chIqmlJA2i0" in translated
    # a note whose videoId is missing or unusable is a failure, and still translated: its
    # citations said unchecked in its bilingual note
    for name in ("vid_missing", "vid_traversal", "vid_long"):
        assert f"notes/pt/bad/{name}.md" in made, name
        bilingual = (run.out / f"bilingual/pt/bad/{name}.md").read_text(encoding="utf-8")
        assert "the note names no usable videoId: not checked" in bilingual, name


def test_nothing_is_written_outside_out_and_the_cache(run: Run) -> None:
    added = sorted(set(run.after) - set(run.before))
    changed = sorted(k for k in run.before if run.after.get(k) != run.before[k])
    assert added == [] and changed == [], (added[:20], changed[:20])
    assert run.cache.is_dir()  # the caches went where --cache-dir said


def test_proxy_password_appears_nowhere(run: Run) -> None:
    assert SECRET not in run.stdout + run.stderr
    assert SECRET not in run.concurrent.stdout + run.concurrent.stderr
    for folder in (run.out, run.cache, run.prefect_home):
        for path in folder.rglob("*"):
            if path.is_file():
                assert SECRET.encode() not in path.read_bytes(), path


def test_concurrent_run_on_the_same_out_is_refused(run: Run) -> None:
    res = run.concurrent
    assert res.returncode == 1
    text = " ".join((res.stdout + res.stderr).split())
    assert f"failed: {run.out} is in use by another interlinear run" in text, text[-2000:]
    # the refused run wrote nothing: the manifest is the first run's own, complete
    assert run.manifest["out"] == str(run.out) and run.manifest["summary"]
    assert not list(run.out.rglob("*.tmp"))


def test_concurrent_run_is_refused_without_a_traceback(run: Run) -> None:
    assert "Traceback" not in run.concurrent.stdout + run.concurrent.stderr
