"""Shared by the flow tests: the example vault in a temporary folder, warm caches, a real
Prefect server on 127.0.0.1, and checks that outputs are whole."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import webvtt

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
EXAMPLES = ROOT / "examples"
SHARED_CACHES = ("transcripts", "embeddings", "translation-memory.sqlite3")


def copy_examples(dest: Path) -> Path:
    """The example vault, copied (tests edit it)."""
    shutil.copytree(EXAMPLES / "vault", dest)
    return dest


def copy_caches(src: Path, dest: Path) -> Path:
    """The shared library caches of `src` (not its stored results): a run over `dest`
    aligns, translates and renders everything again, from warm models' caches."""
    dest.mkdir(parents=True, exist_ok=True)
    for path in src.iterdir():
        if not path.name.startswith(SHARED_CACHES):  # with the memory's -wal and -shm files
            continue
        if path.is_dir():
            shutil.copytree(path, dest / path.name, dirs_exist_ok=True)
        else:
            shutil.copyfile(path, dest / path.name)
    return dest


def example_params(vault: Path, out: Path, cache: Path, **extra: object) -> dict[str, object]:
    return {"vault": str(vault), "languages": ["ru", "pt"], "out": str(out),
            "transcripts": str(EXAMPLES / "transcripts"), "allow_missing_models": True,
            "offline": True, "cache_dir": str(cache), **extra}


@contextlib.contextmanager
def warm_cache_slot(base: Path) -> Iterator[tuple[Path, bool]]:
    """The session's warm caches (`base/warm-cache`) and whether the caller must fill them
    (by one cold run over the example vault); other callers wait until that is done."""
    cache = base / "warm-cache"
    done = base / "warm-cache.done"
    base.mkdir(parents=True, exist_ok=True)
    with open(base / "warm-cache.lock", "w") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        build = not done.exists()
        yield cache, build
        if build:
            done.write_text("ok\n")


def warm_cache(base: Path) -> Path:
    """Caches warmed by one cold run over the example vault, once per test session (here
    in a subprocess with its own temporary Prefect server, unless a test did it before)."""
    with warm_cache_slot(base) as (cache, build):
        if build:
            out = base / "warm-out"
            env = prefect_env(base / "warm-prefect")
            cmd = [PY, "-m", "flows.cli", "run", str(EXAMPLES / "vault"), "--to", "ru,pt",
                   "--out", str(out), "--transcripts", str(EXAMPLES / "transcripts"),
                   "--allow-missing-models", "--offline", "--cache-dir", str(cache)]
            proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                                  timeout=900)
            assert proc.returncode in (0, 1), proc.stdout[-2000:] + proc.stderr[-4000:]
    return cache


def prefect_env(home: Path, api_url: str | None = None) -> dict[str, str]:
    """Environment for a subprocess: its own PREFECT_HOME (SQLite inside), and the API of
    a running server, or a temporary one started by Prefect (generous start-up time)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    home.mkdir(parents=True, exist_ok=True)
    env.update({
        "PREFECT_HOME": str(home),
        "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{home}/prefect.db",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "240",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    })
    if api_url:
        env["PREFECT_API_URL"] = api_url
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout_s: float = 240) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"prefect server exited with {proc.returncode}")
        with contextlib.suppress(OSError), urllib.request.urlopen(f"{url}/health",
                                                                 timeout=2) as resp:
            if resp.status == 200:
                return
        time.sleep(0.5)
    raise TimeoutError(f"prefect server not healthy after {timeout_s} s")


def start_group(cmd: list[str], env: dict[str, str], log: Path, cwd: Path = ROOT
                ) -> subprocess.Popen[bytes]:
    """A subprocess in its own process group (so that all it starts can be stopped)."""
    fh = open(log, "wb")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(cmd, cwd=cwd, env=env, stdout=fh, stderr=subprocess.STDOUT,
                            start_new_session=True)


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL a process started by `start_group` and everything in its group, at once."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(30)


def stop_group(proc: subprocess.Popen[bytes], grace_s: float = 10) -> None:
    """Stop a process started by `start_group`, and everything in its group."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(grace_s)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # what is left of the group
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(5)


@contextlib.contextmanager
def prefect_server(home: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """`prefect server start --host 127.0.0.1` on a free port with SQLite in `home`;
    yields the API URL and an environment for clients; always stopped at the end."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/api"
    env = prefect_env(home)
    proc = start_group([PY, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
                        "--port", str(port)], env, home / "server.log")
    try:
        wait_healthy(url, proc)
        yield url, prefect_env(home, url)
    finally:
        stop_group(proc)


def output_files(out: Path) -> dict[str, bytes]:
    """Every output file (relative path -> bytes), not the lock or the run's timestamps."""
    found = {}
    for path in sorted(out.rglob("*")):
        if path.is_file() and path.name != ".interlinear.lock":
            found[path.relative_to(out).as_posix()] = path.read_bytes()
    return found


def comparable(files: dict[str, bytes]) -> dict[str, object]:
    """Output files with the manifest's times, paths and cache counters left out."""
    cmp: dict[str, object] = dict(files)
    if "manifest.json" in files:
        m = json.loads(files["manifest.json"])
        for key in ("started_at", "finished_at", "tasks", "out", "translation_memory"):
            m.pop(key, None)
        for key in ("translation_memory", "seconds", "stages"):  # times and reuse counters
            m.get("summary", {}).pop(key, None)
        m.get("settings", {}).pop("out", None)
        m.get("settings", {}).pop("cache_dir", None)
        cmp["manifest.json"] = m
    return cmp


def assert_outputs_whole(out: Path) -> None:
    """No partial file: every track parses, every note and page is complete, no temp file."""
    leftovers = [p for p in out.rglob("*.tmp")]
    assert not leftovers, leftovers
    for path in out.rglob("*"):
        if not path.is_file() or path.name == ".interlinear.lock":
            continue
        data = path.read_bytes()
        assert data, f"empty output {path}"
        text = data.decode("utf-8")
        if path.suffix == ".vtt":
            webvtt.read(str(path))
        elif path.suffix == ".json":
            json.loads(text)
        elif path.suffix == ".html":
            assert text.rstrip().endswith("</html>"), path
        elif path.suffix == ".md":  # front matter, then the body
            assert text.startswith("---\n") and "\n---\n" in text[3:], path


def tasks_by_status(manifest: dict[str, object]) -> dict[str, set[tuple[str, str]]]:
    """`manifest.tasks` as {status: {(task, item)}}."""
    found: dict[str, set[tuple[str, str]]] = {"ran": set(), "cached": set()}
    for t in manifest["tasks"]:  # type: ignore[attr-defined]
        found[t["status"]].add((t["task"], t["item"]))
    return found
