"""Failures on a real Dask local cluster (worker processes on 127.0.0.1, no dashboard).

A broken note and a video whose local transcript is broken fail in a worker process; the
errors arrive in the parent with their fields intact, whether raised (Dask sends the
exception) or returned (as a Prefect task's Failed state carries it). Then the same two
failures end to end: `interlinear run --task-runner dask` exits 1 and lists both, with
their reasons, in manifest.json. The cluster of the first tests is stopped with the module,
the run's own cluster with the run.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from flows.dask_runner import local_cluster_kwargs
from pipeline.errors import InterlinearError, NoteError, TranscriptError
from pipeline.notes import load_note
from pipeline.transcripts import LocalSource
from tests.flows_support import PY, ROOT, prefect_server

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

BROKEN_VID = "brokenVid01"
A = '<a class="yt-timestamp" data-t="{0}">[{0}]</a>'


def broken_vault(root: Path) -> tuple[Path, Path]:
    """A note whose front matter is not YAML (line 3), and a good note about a video whose
    only local transcript is not JSON."""
    vault, transcripts = root / "vault", root / "transcripts"
    (vault / "ch").mkdir(parents=True)
    transcripts.mkdir()
    (vault / "ch" / "broken_note.md").write_text(
        f"---\ntitle: [unclosed\nvideoId: {BROKEN_VID}\n---\n\nA claim.\n",
        encoding="utf-8")
    (vault / "ch" / "on_broken_video.md").write_text(
        f"---\ntitle: Peace terms\nvideoId: {BROKEN_VID}\nlang: en\n---\n\n"
        f"The offer asks Russia to leave all Ukrainian territory {A.format('00:00:09')}.\n",
        encoding="utf-8")
    (transcripts / f"{BROKEN_VID}.en.json").write_text("{not json", encoding="utf-8")
    return vault, transcripts


def outcome(fn: Callable[..., Any], *args: Any) -> Any:
    """`fn(*args)`, or the InterlinearError it raised, as a value (pickled as a result)."""
    try:
        return fn(*args)
    except InterlinearError as exc:
        return exc


def assert_same(got: object, err: InterlinearError) -> None:
    assert type(got) is type(err)
    assert vars(got) == vars(err) and got.args == err.args  # type: ignore[attr-defined]
    assert str(got) == str(err)


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    from distributed import Client, LocalCluster

    with LocalCluster(**local_cluster_kwargs(workers=1)) as cluster, Client(cluster) as client:
        yield client


def local_errors(vault: Path, transcripts: Path) -> dict[str, tuple[Callable[..., Any],
                                                                    tuple[Any, ...],
                                                                    InterlinearError]]:
    """Each failing call with what it raises here, in this process."""
    calls: dict[str, tuple[Callable[..., Any], tuple[Any, ...]]] = {
        "note": (load_note, (vault / "ch" / "broken_note.md", vault)),
        "video": (LocalSource(transcripts).fetch, (BROKEN_VID,)),
    }
    found = {}
    for name, (fn, args) in calls.items():
        with pytest.raises(InterlinearError) as err:
            fn(*args)
        found[name] = (fn, args, err.value)
    return found


def test_errors_from_a_worker_process_keep_their_fields(client: Any, tmp_path: Path) -> None:
    vault, transcripts = broken_vault(tmp_path)
    assert client.submit(os.getpid, pure=False).result(timeout=120) != os.getpid()
    expected = local_errors(vault, transcripts)
    for fn, args, err in expected.values():
        raised = client.submit(fn, *args, pure=False).exception(timeout=120)
        assert_same(raised, err)
        returned = client.submit(outcome, fn, *args, pure=False).result(timeout=120)
        assert_same(returned, err)
    note_err = expected["note"][2]
    video_err = expected["video"][2]
    assert isinstance(note_err, NoteError) and note_err.line == 3
    assert note_err.path == vault / "ch" / "broken_note.md"
    assert isinstance(video_err, TranscriptError) and video_err.video_id == BROKEN_VID
    assert not video_err.transient and "not valid JSON" in video_err.reason


def test_dask_run_lists_the_broken_note_and_video(tmp_path: Path) -> None:
    vault, transcripts = broken_vault(tmp_path)
    out = tmp_path / "out"
    cmd = [PY, "-m", "flows.cli", "run", str(vault), "--to", "pt", "--offline",
           "--transcripts", str(transcripts), "--out", str(out), "--task-runner", "dask"]
    # a server of its own, its URL passed on: without one, the run and then its Dask worker
    # would each start a temporary server (each migrating a new database: 30-45 s apiece)
    with prefect_server(tmp_path / "prefect") as (_, server_env):
        env = {k: v for k, v in server_env.items() if not k.startswith("INTERLINEAR_")}
        env.update({"INTERLINEAR_CACHE": str(tmp_path / "cache"),
                    "INTERLINEAR_DASK_WORKERS": "1", "PYTHONPATH": str(ROOT), "NO_COLOR": "1",
                    "COLUMNS": "200"})
        for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
            env[var] = str(tmp_path / "xdg" / var.lower())
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=600)
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-3000:]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    failures = {f["stage"]: f for f in manifest["failures"]}
    assert len(manifest["failures"]) == 2 and set(failures) == {"notes", "fetch"}, failures
    note_path = vault / "ch" / "broken_note.md"
    assert failures["notes"]["item"] == str(note_path)
    assert f"{note_path}:3: front matter is not valid YAML" in failures["notes"]["reason"]
    assert failures["fetch"]["item"] == BROKEN_VID
    reason = failures["fetch"]["reason"]
    assert f"{BROKEN_VID}.en.json: not valid JSON" in reason, reason
    assert manifest["summary"]["exit_status"] == 1
    for item in (str(note_path), BROKEN_VID):
        assert item in proc.stdout  # the summary lists both
    # the rest of the batch went on: the note about the broken video is still translated
    assert (out / "notes" / "pt" / "ch" / "on_broken_video.md").is_file()
