"""The vault flow against a real Prefect server on 127.0.0.1 (SQLite in a temporary folder):
a deployment from prefect.yaml run by a process worker, `interlinear serve` with a cron
schedule, the Dask task runner, and a run killed with SIGKILL then restarted.

The server is started once for the module and always stopped (with everything its
process group started) at the end, as are workers and served processes.
"""

from __future__ import annotations

import contextvars
import json
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import forget_prefect_services
from tests.flows_support import (
    EXAMPLES,
    PY,
    ROOT,
    assert_outputs_whole,
    comparable,
    copy_caches,
    copy_examples,
    example_params,
    kill_group,
    output_files,
    prefect_server,
    start_group,
    stop_group,
    tasks_by_status,
    warm_cache,
)

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}
EXAMPLE_VIDEOS = ("chIqmlJA2i0", "AWZr7BhFSyE")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    with prefect_server(tmp_path_factory.mktemp("prefect-server")) as (url, env):
        yield url, env


@pytest.fixture
def api(server: tuple[str, dict[str, str]], monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """This process (and the processes it starts) talks to the module's server."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    url, _ = server
    monkeypatch.setenv("PREFECT_API_URL", url)
    with temporary_settings({PREFECT_API_URL: url}):
        yield url
    forget_prefect_services()  # bound to the module's server, which stops


def prefect_cli(env: dict[str, str], *args: str, timeout: float = 240) -> str:
    proc = subprocess.run([PY, "-m", "prefect", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


def wait_final(flow_run_id: Any, timeout_s: float = 600) -> Any:
    from prefect import get_client

    deadline = time.monotonic() + timeout_s
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            run = client.read_flow_run(flow_run_id)
            if run.state is not None and run.state.type.value in FINAL:
                return run
            time.sleep(1)
    raise TimeoutError(f"flow run {flow_run_id} not finished after {timeout_s} s")


def wait_deployment(name: str, proc: subprocess.Popen[bytes], log: Path,
                    timeout_s: float = 240) -> Any:
    from prefect import get_client
    from prefect.exceptions import ObjectNotFound

    deadline = time.monotonic() + timeout_s
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
            try:
                return client.read_deployment_by_name(name)
            except ObjectNotFound:
                time.sleep(1)
    raise TimeoutError(f"deployment {name} not registered: {log.read_text()[-2000:]}")


def check_example_outputs(out: Path, langs: tuple[str, ...] = ("pt",)) -> dict[str, Any]:
    """All notes translated, all tracks written; the only failures allowed are the missing
    ru->pt model (the sample transcripts are Russian), for runs without
    `allow_missing_models`."""
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["summary"]["notes"] == 3 and manifest["summary"]["videos"] == 2
    for failure in manifest["failures"]:
        assert "no translation model for ru->pt" in failure["reason"], failure
    for lang in langs:
        assert len(list((out / "notes" / lang).rglob("*.md"))) == 3
        assert len(list((out / "bilingual" / lang).rglob("*.md"))) == 3
    assert len(list((out / "subtitles").rglob("*.claims.*.vtt"))) >= 4
    assert_outputs_whole(out)
    return manifest  # type: ignore[no-any-return]


def example_run(server: tuple[str, dict[str, str]], tmp_path: Path,
                factory: pytest.TempPathFactory) -> tuple[dict[str, str], Path, Path, Path]:
    """The server's environment, a copy of the warm caches, a copy of the example vault
    and an output folder, for one deployment run."""
    cache = copy_caches(warm_cache(factory.getbasetemp()), tmp_path / "cache")
    return server[1], cache, copy_examples(tmp_path / "vault"), tmp_path / "out"


def test_prefect_yaml_deployment_runs_on_a_process_worker(
        api: str, server: tuple[str, dict[str, str]], tmp_path: Path,
        tmp_path_factory: pytest.TempPathFactory) -> None:
    from prefect.deployments import run_deployment

    env, cache, vault, out = example_run(server, tmp_path, tmp_path_factory)
    prefect_cli(env, "work-pool", "create", "interlinear", "--type", "process")
    prefect_cli(env, "--no-prompt", "deploy", "--name", "nightly")
    from prefect import get_client

    with get_client(sync_client=True) as client:
        dep = client.read_deployment_by_name("interlinear-vault/nightly")
    assert dep.work_pool_name == "interlinear"
    assert [s.schedule.cron for s in dep.schedules] == ["0 3 * * *"]  # type: ignore[union-attr]
    assert dep.parameters["vault"] == "examples/vault"
    params = example_params(vault, out, cache, languages=["pt"])
    run = run_deployment("interlinear-vault/nightly", parameters=params, timeout=0)
    log = tmp_path / "worker.log"
    worker = start_group([PY, "-m", "prefect", "worker", "start", "--pool", "interlinear",
                          "--run-once"], env, log, cwd=tmp_path)
    try:
        final = wait_final(run.id)
        assert final.state.type.value == "COMPLETED", log.read_text(errors="replace")[-4000:]
        worker.wait(120)
    finally:
        stop_group(worker)
    check_example_outputs(out)


def test_interlinear_serve_runs_on_its_cron_deployment(
        api: str, server: tuple[str, dict[str, str]], tmp_path: Path,
        tmp_path_factory: pytest.TempPathFactory) -> None:
    from prefect.deployments import run_deployment

    env, cache, vault, out = example_run(server, tmp_path, tmp_path_factory)
    log = tmp_path / "serve.log"
    serve = start_group([PY, "-m", "flows.cli", "serve", str(vault), "--to", "pt", "--out",
                         str(out), "--cron", "0 3 * * *", "--transcripts",
                         str(EXAMPLES / "transcripts")],
                        {**env, "INTERLINEAR_CACHE": str(cache)}, log)
    try:
        dep = wait_deployment("interlinear-vault/interlinear-scheduled", serve, log)
        assert [s.schedule.cron for s in dep.schedules] == ["0 3 * * *"]  # type: ignore[union-attr]
        assert dep.parameters == {"vault": str(vault), "languages": ["pt"], "out": str(out),
                                  "transcripts": str(EXAMPLES / "transcripts")}
        run = run_deployment("interlinear-vault/interlinear-scheduled", timeout=0)
        final = wait_final(run.id)
        assert final.state.type.value == "COMPLETED", log.read_text(errors="replace")[-4000:]
    finally:
        stop_group(serve)
    check_example_outputs(out)


def test_dask_runner_gives_the_same_outputs(
        api: str, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    from flows.dask_runner import with_dask
    from flows.vault import vault_flow

    warm = warm_cache(tmp_path_factory.getbasetemp())
    vault = copy_examples(tmp_path / "vault")
    outs = {}
    for name, flow in (("thread", vault_flow), ("dask", with_dask(vault_flow, workers=2))):
        cache = copy_caches(warm, tmp_path / f"cache-{name}")
        outs[name] = tmp_path / f"out-{name}"
        manifest = flow(**example_params(vault, outs[name], cache))
        assert not tasks_by_status(manifest)["cached"]  # the Dask run did all the work
    thread, dask = (comparable(output_files(outs[n])) for n in ("thread", "dask"))
    assert sorted(thread) == sorted(dask)
    for name in thread:
        assert thread[name] == dask[name], name
    check_example_outputs(outs["dask"])


def big_vault(root: Path, copies: int) -> tuple[Path, Path]:
    """The example vault `copies` times over, each copy about videos of its own (the sample
    transcripts under new ids): 3 notes and 2 videos per copy."""
    vault, transcripts = root / "vault", root / "transcripts"
    transcripts.mkdir(parents=True)
    for i in range(copies):
        ids = {vid: f"{vid[:-2]}{i:02d}" for vid in EXAMPLE_VIDEOS}
        for vid, new in ids.items():
            shutil.copyfile(EXAMPLES / "transcripts" / f"{vid}.ru.json",
                            transcripts / f"{new}.ru.json")
        for note in sorted((EXAMPLES / "vault" / "bonus_professor").glob("*.md")):
            text = note.read_text(encoding="utf-8")
            for vid, new in ids.items():
                text = text.replace(f"videoId: {vid}", f"videoId: {new}")
            dest = vault / f"copy{i}" / note.name
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(text, encoding="utf-8")
    return vault, transcripts


def test_killed_run_restarts_and_reuses_its_work(
        server: tuple[str, dict[str, str]], tmp_path: Path,
        tmp_path_factory: pytest.TempPathFactory) -> None:
    """SIGKILL (to the run and every process it started) once some notes are rendered;
    the restarted run finishes, reuses everything stored before the kill, and no output
    is partial."""
    _, env = server
    copies = 5
    vault, transcripts = big_vault(tmp_path, copies)
    cache = copy_caches(warm_cache(tmp_path_factory.getbasetemp()), tmp_path / "cache")
    out = tmp_path / "out"
    cmd = [PY, "-m", "flows.cli", "run", str(vault), "--to", "pt", "--out", str(out),
           "--transcripts", str(transcripts), "--cache-dir", str(cache), "--offline"]
    first = start_group(cmd, env, tmp_path / "first.log")
    rendered = cache / "results" / "render"
    try:
        deadline = time.monotonic() + 600
        while not list(rendered.rglob("*.pkl")):
            assert first.poll() is None, (tmp_path / "first.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "the run made no progress"
            time.sleep(0.02)
    finally:
        kill_group(first)  # SIGKILL to the run and all it started
    assert first.returncode == -9
    stored = len(list(rendered.rglob("*.pkl")))
    assert not (out / "manifest.json").exists(), "the run had finished before the kill"
    second = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=900)
    assert second.returncode in (0, 1), second.stdout[-3000:] + second.stderr[-3000:]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["summary"]["notes"] == 3 * copies
    for failure in manifest["failures"]:
        assert "no translation model for ru->pt" in failure["reason"], failure
    status = tasks_by_status(manifest)
    renders = [x for x in status["ran"] | status["cached"] if x[0] == "render"]
    assert len(renders) == 3 * copies
    assert len([x for x in status["cached"] if x[0] == "render"]) >= stored >= 1
    assert len([x for x in status["cached"] if x[0] == "align"]) == 3 * copies
    assert_outputs_whole(out)
    for entry in manifest["outputs"]:
        assert (out / entry["path"]).is_file()
    assert len(list((out / "notes" / "pt").rglob("*.md"))) == 3 * copies


def test_youtube_fetch_slots_are_global(api: str, server: tuple[str, dict[str, str]]) -> None:
    """Without the limit on the server, fetching goes on; with `youtube-fetch` at 1, holders
    of a slot never overlap (the server counts the slots of every run and machine)."""
    from flows.vault import FETCH_LIMIT, youtube_slot

    _, env = server
    with youtube_slot():
        pass
    prefect_cli(env, "global-concurrency-limit", "create", FETCH_LIMIT, "--limit", "1")
    spans: list[tuple[float, float]] = []

    def hold() -> None:
        with youtube_slot():
            began = time.monotonic()
            time.sleep(0.4)
            spans.append((began, time.monotonic()))

    try:
        threads = [threading.Thread(target=contextvars.copy_context().run, args=(hold,))
                   for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    finally:
        prefect_cli(env, "global-concurrency-limit", "delete", FETCH_LIMIT)
    assert len(spans) == 3
    spans.sort()
    assert all(b[0] >= a[1] for a, b in zip(spans, spans[1:], strict=False)), spans
