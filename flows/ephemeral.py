"""Prefect's temporary API server, owned by the run: it never outlives the process.

(With INTERLINEAR_SERVER_IDLE_S=0; by default the run uses a server kept for the next
runs instead, `flows.kept_server`.)

A flow run without PREFECT_API_URL makes Prefect start a temporary server
(`prefect.server.api.server.SubprocessASGIServer`: `python -m uvicorn ... create_app` on a
free port of 127.0.0.1, about 225 MB), a child process in the run's process group, and stop
it at interpreter exit (atexit), which a process ended by a signal or SIGKILL never
reaches: the server was left running with PPID 1. Here the run starts it itself (`start`,
from the main thread, the same singleton Prefect would start lazily) in a session of its
own (a group signal stops the run, and the run stops the server, never the server in the
middle of a request), writing to PREFECT_HOME/interlinear-temporary-server.log rather than
the terminal, and watched from the moment its process exists (not once it answers, which
leaves a window). The run stops it on the signal path (`stop`), and a watchdog covers the
rest: a small `sh` process that reads a pipe only this process holds and, at end of file
without a `done` line (the run died, however), stops the server (SIGTERM, SIGKILL after
3 s). The watchdog ignores SIGINT, SIGTERM and SIGHUP, which a terminal or `timeout` send
to the whole process group.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Any

# $1: the server's pid. Stops the server unless told `done` (the run stopped it itself).
WATCHDOG = """trap '' INT TERM HUP
IFS= read -r line
[ "$line" = done ] && exit 0
kill -TERM "$1" 2>/dev/null || exit 0
i=0
while [ "$i" -lt 30 ] && kill -0 "$1" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
kill -KILL "$1" 2>/dev/null
exit 0
"""

# server pid -> its watchdog, and the write end of the watchdog's pipe
_watchdogs: dict[int, tuple[subprocess.Popen[bytes], IO[bytes]]] = {}
_lock = threading.Lock()


def needed() -> bool:
    """Whether a flow run here would use a temporary server (no PREFECT_API_URL)."""
    from prefect.settings import PREFECT_API_URL

    return not PREFECT_API_URL.value()


def server() -> bool:
    """The run's API: PREFECT_API_URL's when set; else the kept server
    (`flows.kept_server`), or with INTERLINEAR_SERVER_IDLE_S=0 a temporary server of the
    run's own (`start`). Whether the server is one of these two (interlinear's own)."""
    from . import kept_server, prefect_db

    if not needed():
        return False
    prefect_db.seed()  # a new home: a migrated database rather than ~14 s of migrations
    if kept_server.idle_s() > 0:
        kept_server.use()
    else:
        start()
    return True


def start() -> int | None:
    """Start Prefect's temporary server now, watched; its pid (None when not needed)."""
    if not needed():
        return None
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()
    launch = server._run_uvicorn_command
    module = sys.modules[SubprocessASGIServer.__module__]

    def launch_watched() -> subprocess.Popen[Any]:
        with open(log_path(), "ab") as log:  # the child holds its own copy
            module.subprocess = _OwnSession(log)  # type: ignore[attr-defined]
            try:
                proc = launch()
            finally:
                module.subprocess = subprocess  # type: ignore[attr-defined]
        watch(proc.pid)  # at once: the server answers only seconds later
        return proc

    # Prefect waits for the server to answer inside `start`: a watchdog started after it
    # returns leaves a window in which the run can die with its server answering and
    # unwatched. Each process Prefect launches (it relaunches on a taken port) is watched
    # from the moment it exists.
    setattr(server, "_run_uvicorn_command", launch_watched)  # noqa: B010
    server.start()
    proc = server.server_process
    assert proc is not None
    watch(proc.pid)  # a no-op when launched here; the pid of a server already running
    return int(proc.pid)


def log_path() -> Path:
    """Where the temporary server writes (PREFECT_HOME/interlinear-temporary-server.log)."""
    from prefect.settings import PREFECT_HOME

    home = Path(PREFECT_HOME.value())
    home.mkdir(parents=True, exist_ok=True)
    return home / "interlinear-temporary-server.log"


class _OwnSession:
    """`subprocess` for Prefect's launch of the server: its own session (a terminal's
    Ctrl-C or `kill -INT -PGID` reaches the run, which stops the server itself, not the
    server in the middle of a request), and its output in a log file, not the terminal
    (a server stopped mid-request logs the cancelled database call as a traceback)."""

    def __init__(self, log: IO[bytes]) -> None:
        self._log = log

    def __getattr__(self, name: str) -> Any:
        return getattr(subprocess, name)

    def Popen(self, *args: Any, **kwargs: Any) -> subprocess.Popen[Any]:  # noqa: N802
        kwargs.update(start_new_session=True, stdin=subprocess.DEVNULL, stdout=self._log,
                      stderr=self._log)
        return subprocess.Popen(*args, **kwargs)


def watch(pid: int) -> None:
    """Stop process `pid` when this process dies, unless `release` was called first."""
    with _lock:
        if pid in _watchdogs:
            return
    read, write = os.pipe()  # not inherited by other children (PEP 446)
    try:
        dog = subprocess.Popen(["/bin/sh", "-c", WATCHDOG, "interlinear-watchdog", str(pid)],
                               stdin=read, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except BaseException:
        os.close(write)
        raise
    finally:
        os.close(read)
    with _lock:
        _watchdogs[pid] = (dog, os.fdopen(write, "wb", buffering=0))


def release() -> None:
    """Tell the watchdogs that their servers were stopped here; they exit."""
    with _lock:
        dogs = list(_watchdogs.values())
        _watchdogs.clear()
    for _, pipe in dogs:
        with contextlib.suppress(OSError):
            pipe.write(b"done\n")
        with contextlib.suppress(OSError):
            pipe.close()
    for dog, _ in dogs:  # reaped here, not left to init
        with contextlib.suppress(subprocess.TimeoutExpired):
            dog.wait(1)


def stop(grace_s: float = 2.0) -> None:
    """Stop every temporary server of this process (SIGTERM, SIGKILL after `grace_s`),
    then release the watchdogs; from any thread, also while Prefect waits for it to answer."""
    module = sys.modules.get("prefect.server.api.server")
    if module is not None:
        for server in list(module.SubprocessASGIServer._instances.values()):
            proc: Any = server.server_process
            if proc is not None:
                _end(proc, grace_s)
    release()


def _end(proc: subprocess.Popen[Any], grace_s: float) -> None:
    with contextlib.suppress(OSError):
        proc.terminate()
    try:
        proc.wait(grace_s)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(OSError):
            proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(2)


atexit.register(release)  # before Prefect's own stop is registered: runs after it
