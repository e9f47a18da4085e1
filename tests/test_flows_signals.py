"""Stopping `interlinear run`: SIGTERM and SIGINT, sent to the process or to its process
group (as `timeout` and Ctrl-C send them), end it within 10 s with 143 / 130, leaving no
process behind (Prefect's temporary API server included), the output folder's lock free
and no partial or temporary file. Sent once the temporary server answers, and in the
middle of a native translation call (Bergamot, which cannot be interrupted); SIGKILL
leaves no server either (the watchdog stops it).

Real runs in subprocesses, each in its own session, offline, on a vault of one long
English note (its en->pt translation is one native call of tens of seconds), with
temporary caches, XDG folders and PREFECT_HOME.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import signal
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.flows_support import EXAMPLES, PY, ROOT, assert_outputs_whole, prefect_env

PARAGRAPHS = 300  # about 0.13 s each on one free core: the native call lasts 40 s or more
NATIVE_CPU_S = 2.0  # a thread other than the main one that used this much CPU: translating
WORKER_CPU_S = 15.0  # a Dask worker that used this much CPU: translating (it starts in ~5 s)


def long_vault(folder: Path) -> Path:
    lines = ["---", "title: A long note", "videoId: chIqmlJA2i0", "---", ""]
    for i in range(PARAGRAPHS):
        lines.append(f"Paragraph {i}: the leadership in region number {i} received a detailed "
                     f"offer whose outline had been agreed {i} days earlier, and the "
                     f"intermediary passed it on while the negotiators argued about item "
                     f"{i * 7}.\n")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "long.md").write_text("\n".join(lines), encoding="utf-8")
    return folder


@dataclass
class Run:
    """An `interlinear run` in its own session, and every process seen descending from it."""

    proc: subprocess.Popen[bytes]
    out: Path
    cache: Path
    log: Path
    seen: dict[int, str] = field(default_factory=dict)  # pid -> command line
    cpu_at_server: dict[Path, float] | None = None  # per thread, once the server answered

    def watch(self) -> dict[int, tuple[int, int, str, str]]:
        table = processes()
        frontier = {self.proc.pid}
        while frontier:
            frontier = {pid for pid, (ppid, *_) in table.items()
                        if ppid in frontier and pid not in self.seen}
            self.seen.update({pid: table[pid][3] for pid in frontier})
        return table

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def processes() -> dict[int, tuple[int, int, str, str]]:
    """pid -> (ppid, pgid, state, command line), from `ps`."""
    ps = subprocess.run(["ps", "-e", "-ww", "-o", "pid=,ppid=,pgid=,stat=,args="],
                        capture_output=True, text=True, check=True).stdout
    table = {}
    for line in ps.splitlines():
        pid, ppid, pgid, stat, *args = line.split(None, 4)
        table[int(pid)] = (int(ppid), int(pgid), stat, args[0] if args else "")
    return table


def start(runs: list[Run], tmp_path: Path, *extra: str, env: dict[str, str] | None = None
          ) -> Run:
    """A run over `tmp_path/vault` into `tmp_path/out` (the vault written if new)."""
    vault = long_vault(tmp_path / "vault")
    out, cache = tmp_path / "out", tmp_path / "cache"
    env = {**prefect_env(tmp_path / "prefect"), "INTERLINEAR_CACHE": str(cache),
           "XDG_CACHE_HOME": str(tmp_path / "xdg-cache"),
           "XDG_DATA_HOME": str(tmp_path / "xdg-data"), **(env or {})}
    log = tmp_path / "run.log"
    cmd = [PY, "-m", "flows.cli", "run", str(vault), "--to", "pt", "--out", str(out),
           "--offline", "--transcripts", str(EXAMPLES / "transcripts"),
           "--allow-missing-models", *extra]
    with open(log, "wb") as fh:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT,
                                start_new_session=True)
    runs.append(Run(proc, out, cache, log))
    return runs[-1]


def wait_for(run: Run, ready: Callable[[Run], bool], timeout_s: float = 600) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert run.proc.poll() is None, f"the run ended first:\n{run.text()[-3000:]}"
        run.watch()
        if ready(run):
            return
        time.sleep(0.3)
    raise TimeoutError(f"not ready after {timeout_s} s:\n{run.text()[-3000:]}")


def wait_end(run: Run, timeout_s: float = 900) -> None:
    """Until the run ends by itself, every process it starts seen."""
    deadline = time.monotonic() + timeout_s
    while run.proc.poll() is None:
        assert time.monotonic() < deadline, f"still running:\n{run.text()[-3000:]}"
        run.watch()
        time.sleep(0.3)


def server_answers(run: Run) -> bool:
    for cmd in run.seen.values():
        found = re.search(r"uvicorn .*prefect\.server\.api\.server.* --port (\d+)", cmd)
        if found:
            url = f"http://127.0.0.1:{found.group(1)}/api/health"
            with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as resp:
                return bool(resp.status == 200)
    return False


def translating(run: Run) -> bool:
    """Since the server answered, a thread other than the main one, or a Bergamot worker
    process, has used NATIVE_CPU_S of CPU: with no citation to align, that is the native
    thread inside the one long Bergamot call, or a worker translating the note's
    paragraphs. (Before the server answers, a thread of the command builds the aligner's
    model files: seconds of CPU, not a translation.)"""
    stats = [Path(f"/proc/{run.proc.pid}/task/{tid.name}/stat")
             for tid in _listing(Path(f"/proc/{run.proc.pid}/task"))
             if int(tid.name) != run.proc.pid]
    stats += _workers(run)
    if run.cpu_at_server is None:
        if not server_answers(run):
            return False
        run.cpu_at_server = {path: _cpu_s(path) for path in stats}
    return any(_cpu_s(path) - run.cpu_at_server.get(path, 0.0) >= NATIVE_CPU_S
               for path in stats)


def worker_translating(run: Run) -> bool:
    """A Dask worker has used WORKER_CPU_S of CPU: more than starting it costs, so it has
    run the fetch and align tasks and is inside the note's translation."""
    return any(_cpu_s(path) >= WORKER_CPU_S for path in _workers(run))


def _workers(run: Run) -> list[Path]:
    return [Path(f"/proc/{pid}/stat") for pid, cmd in run.seen.items() if "spawn_main" in cmd]


def _cpu_s(stat_path: Path) -> float:
    """User + system CPU seconds in a /proc stat file (0 when it is gone)."""
    with contextlib.suppress(OSError):
        stat = stat_path.read_text()
        fields = stat[stat.rindex(")") + 2:].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return 0.0


def _listing(folder: Path) -> list[Path]:
    with contextlib.suppress(OSError):
        return list(folder.iterdir())
    return []


def send(run: Run, sig: signal.Signals, to: str) -> float:
    run.watch()
    (os.killpg if to == "group" else os.kill)(run.proc.pid, sig)
    return time.monotonic()


def assert_nothing_left(run: Run, within_s: float = 5.0) -> None:
    """No process seen descending from the run, nor any in its process group, is alive
    (zombies waiting for init to reap them are dead)."""
    deadline = time.monotonic() + within_s
    while True:
        table = processes()
        alive = {pid: cmd for pid, (_, pgid, stat, cmd) in table.items()
                 if not stat.startswith("Z")
                 and (run.seen.get(pid) == cmd or pgid == run.proc.pid)}
        if not alive or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert not alive, alive
    assert any("uvicorn" in cmd for cmd in run.seen.values()), "no temporary server seen"


def assert_lock_free(out: Path) -> None:
    with open(out / ".interlinear.lock", "a+") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises when still held


def assert_stopped_cleanly(run: Run, sig: signal.Signals, sent: float) -> None:
    try:
        run.proc.wait(timeout=max(0.0, sent + 10 - time.monotonic()))
    except subprocess.TimeoutExpired:
        run.proc.kill()
        pytest.fail(f"still running 10 s after {sig.name}:\n{run.text()[-3000:]}")
    assert run.proc.returncode == 128 + sig, run.text()[-3000:]
    text = run.text()
    assert f"interrupted ({sig.name}): stopping" in text
    assert "Traceback" not in text and "internal error" not in text, text[-3000:]
    assert_nothing_left(run)
    assert_lock_free(run.out)
    assert_outputs_whole(run.out)
    assert not list(run.cache.rglob("*.tmp"))


@pytest.fixture
def runs() -> Iterator[list[Run]]:
    """The test's runs; whatever it asserts, their process groups end with it."""
    started: list[Run] = []
    yield started
    for run in started:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(run.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            run.proc.wait(10)


@pytest.mark.slow
@pytest.mark.parametrize(("sig", "to"), [(signal.SIGTERM, "process"),
                                         (signal.SIGINT, "group")])
def test_a_signal_once_the_server_answers(sig: signal.Signals, to: str, tmp_path: Path,
                                          runs: list[Run]) -> None:
    run = start(runs, tmp_path)
    wait_for(run, server_answers)
    sent = send(run, sig, to)
    assert_stopped_cleanly(run, sig, sent)


@pytest.mark.slow
@pytest.mark.parametrize(("sig", "to"), [(signal.SIGTERM, "process"),
                                         (signal.SIGTERM, "group"),
                                         (signal.SIGINT, "process"),
                                         (signal.SIGINT, "group")])
def test_a_signal_during_a_native_translation(sig: signal.Signals, to: str, tmp_path: Path,
                                              runs: list[Run]) -> None:
    run = start(runs, tmp_path)
    wait_for(run, translating)
    sent = send(run, sig, to)
    assert_stopped_cleanly(run, sig, sent)
    # it was stopped in the middle of the translation: the note was not translated
    assert not list(run.out.glob("notes/pt/**/*.md"))
    if (sig, to) == (signal.SIGTERM, "process"):  # and the next run does it all
        again = start(runs, tmp_path)
        wait_end(again)
        assert again.proc.returncode in (0, 1), again.text()[-3000:]
        assert len(list(run.out.glob("notes/pt/**/*.md"))) == 1
        assert_outputs_whole(run.out)
        assert_nothing_left(again)  # also a run that ends by itself


@pytest.mark.slow
def test_sigkill_leaves_no_server(tmp_path: Path, runs: list[Run]) -> None:
    """The last resort: a run killed outright, its temporary server stopped by the watchdog."""
    run = start(runs, tmp_path)
    wait_for(run, server_answers)
    send(run, signal.SIGKILL, "process")
    run.proc.wait(timeout=10)
    assert run.proc.returncode == -signal.SIGKILL
    assert_nothing_left(run, within_s=8)
    assert_lock_free(run.out)


@pytest.mark.slow
def test_dask_run_is_quiet_and_stops_cleanly(tmp_path: Path, runs: list[Run]) -> None:
    """`--task-runner dask`: no INFO lines from `distributed` (without -v); SIGTERM to the
    group ends the run, its local cluster's workers and the server within 10 s."""
    run = start(runs, tmp_path, "--task-runner", "dask", env={"INTERLINEAR_DASK_WORKERS": "1"})
    wait_for(run, worker_translating)
    sent = send(run, signal.SIGTERM, "group")
    assert_stopped_cleanly(run, signal.SIGTERM, sent)
    assert " INFO " not in run.text() and "distributed." not in run.text(), run.text()
    # the worker ran its tasks against the run's server, not a temporary server of its own
    servers = [cmd for cmd in run.seen.values() if "prefect.server.api.server" in cmd]
    assert len(servers) == 1, servers



WATCHED = """
import subprocess, sys, time
from flows import ephemeral
server = subprocess.Popen(["sleep", "300"])
ephemeral.watch(server.pid)
if sys.argv[1] == "release":
    ephemeral.release()
print(server.pid, flush=True)
time.sleep(300)
"""


@pytest.mark.parametrize("released", [False, True])
def test_the_watchdog_stops_the_server_of_a_killed_process(released: bool) -> None:
    """`flows.ephemeral.watch`: the watched process ends when its watcher is SIGKILLed,
    unless the watcher released it first (it had stopped the process itself)."""
    proc = subprocess.Popen([PY, "-c", WATCHED, "release" if released else "keep"], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert proc.stdout is not None
        server = int(proc.stdout.readline())
        time.sleep(0.5)  # the watchdog runs (or has exited)
        proc.kill()
        proc.wait(10)
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline:
            state = processes().get(server)
            if state is None or state[2].startswith("Z"):
                break
            time.sleep(0.2)
        assert (state is not None and not state[2].startswith("Z")) == released, state
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)


def test_the_server_is_watched_from_the_moment_its_process_exists(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """`flows.ephemeral.start`: the watchdog is running before Prefect starts waiting for
    the server to answer, so no run dies with an answering, unwatched server."""
    from prefect.server.api.server import SubprocessASGIServer

    from flows import ephemeral

    watched_at_launch: list[bool] = []

    def start(self: SubprocessASGIServer, timeout: int | None = None) -> None:
        self.server_process = self._run_uvicorn_command()  # as Prefect's own start does
        watched_at_launch.append(self.server_process.pid in ephemeral._watchdogs)

    monkeypatch.setattr(ephemeral, "needed", lambda: True)
    monkeypatch.setattr(SubprocessASGIServer, "start", start)
    monkeypatch.setattr(SubprocessASGIServer, "_run_uvicorn_command",
                        lambda self: subprocess.Popen(["sleep", "60"]))
    monkeypatch.setattr(SubprocessASGIServer, "_instances", {})
    pid = ephemeral.start()
    try:
        assert watched_at_launch == [True]
        assert pid in ephemeral._watchdogs
    finally:
        ephemeral.stop(grace_s=1)
    assert not ephemeral._watchdogs


def test_an_empty_target_language_is_a_one_line_usage_error(tmp_path: Path) -> None:
    vault = long_vault(tmp_path / "vault")
    for to in ("", ","):
        proc = subprocess.run([PY, "-m", "flows.cli", "run", str(vault), "--to", to, "--out",
                               str(tmp_path / "out")], cwd=ROOT, env=prefect_env(tmp_path / "p"),
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 2
        assert proc.stderr.strip().splitlines() == [
            "error: no target language: pass --to, e.g. --to ru,pt"], proc.stderr
        assert proc.stdout == ""
        assert not (tmp_path / "out").exists()  # before any work
