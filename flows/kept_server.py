"""Prefect's temporary server, kept for the next runs: an unchanged re-run in seconds.

Starting Prefect's temporary server (`python -m uvicorn ... create_app`: Prefect, its
server and its database, about 5 s of CPU) is most of an unchanged run. Unless
`INTERLINEAR_SERVER_IDLE_S` is 0, `interlinear run` without PREFECT_API_URL starts the
same server (no UI, the ephemeral services only, on 127.0.0.1) under a keeper process in a
session of its own, and the runs after it, with the same Prefect settings (PREFECT_*
variables; the state files live in PREFECT_HOME), use it: every run is still a real
Prefect flow run with its task runs. The keeper stops the server when no run has used it
for `INTERLINEAR_SERVER_IDLE_S` seconds (default 300), and exits when the server dies.

Signals stop a run as before (`flows.signals`); the server is not the run's and stays for
the next one (the keeper's session is not the run's process group, which a terminal or
`timeout` signal). A run holds a shared lock on the lease file while it lives (the OS
drops it however the run ends, SIGKILL included); the keeper counts idle time only while
it can take that lock exclusively, and removes the state file before it lets go, so no run
takes a server that is being stopped.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from pipeline.errors import ConfigError
from pipeline.fileio import atomic_write_text

IDLE_ENV = "INTERLINEAR_SERVER_IDLE_S"
DEFAULT_IDLE_S = 300.0
_LEASES: list[int] = []  # the lease's file descriptor, held until the process ends

# argv: idle seconds, lease file, state file, port, Prefect's app dir, log file
KEEPER = r"""# interlinear: keeps Prefect's temporary server for the next runs
import fcntl, os, signal, subprocess, sys, time
idle_s, lease, state, port, app_dir, log = sys.argv[1:7]
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGHUP, signal.SIG_IGN)
env = {**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1",
       "PREFECT__SERVER_FINAL": "1"}
with open(log, "ab") as out:
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--app-dir", app_dir, "--factory",
         "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port", port,
         "--log-level", "error", "--lifespan", "on"],
        env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out)

def forget():
    try:
        with open(state) as fh:
            mine = str(os.getpid()) in fh.read()
        if mine:
            os.unlink(state)
    except OSError:
        pass

def stop(*_):
    forget()
    server.terminate()
    try:
        server.wait(5)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
    sys.exit(0)

signal.signal(signal.SIGTERM, stop)
fd = os.open(lease, os.O_RDWR | os.O_CREAT, 0o600)
quiet_since = None
while server.poll() is None:
    time.sleep(1)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        quiet_since = None
        continue
    now = time.monotonic()
    quiet_since = now if quiet_since is None else quiet_since
    if now - quiet_since >= float(idle_s):
        stop()  # holding the lease: no run starts using the server meanwhile
    fcntl.flock(fd, fcntl.LOCK_UN)
forget()
"""


def idle_s() -> float:
    """How long a kept server waits for the next run (0: a server per run, `ephemeral`)."""
    raw = os.environ.get(IDLE_ENV, "").strip()
    if not raw:
        return DEFAULT_IDLE_S
    try:
        return max(0.0, float(raw))
    except ValueError:
        raise ConfigError(f"{IDLE_ENV} must be a number of seconds, not {raw!r}") from None


def files() -> dict[str, Path]:
    """The state, lease, start-lock and log files of the server for these settings."""
    home = Path(os.environ.get("PREFECT_HOME") or Path.home() / ".prefect").expanduser()
    settings = sorted((k, v) for k, v in os.environ.items()
                      if k.startswith("PREFECT_") and k != "PREFECT_API_URL")
    key = hashlib.sha256(json.dumps([_app_dir(), settings]).encode()).hexdigest()[:12]
    home.mkdir(parents=True, exist_ok=True)
    return {name: home / f"interlinear-server-{key}.{name}"
            for name in ("json", "lease", "start", "log")}


def use() -> str:
    """The API URL of the kept server, started when there is none (see the module); this
    process uses it until it ends, and tells Prefect so."""
    f = files()
    lease = os.open(f["lease"], os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(lease, fcntl.LOCK_SH)  # waits while a keeper is stopping its server
    _LEASES.append(lease)
    with open(f["start"], "a") as start_lock:
        fcntl.flock(start_lock.fileno(), fcntl.LOCK_EX)  # one run starts it, others wait
        url = _running(f["json"]) or _start(f, idle_s())
    os.environ["PREFECT_API_URL"] = url  # this process's Prefect and its children's
    import prefect.context

    prefect.context.refresh_global_settings_context()
    return url


def _running(state: Path) -> str | None:
    try:
        found = json.loads(state.read_text(encoding="utf-8"))
        os.kill(int(found["keeper"]), 0)
        url = str(found["url"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return url if _healthy(url) else None


def _healthy(url: str) -> bool:
    with contextlib.suppress(OSError), urllib.request.urlopen(f"{url}/health", timeout=2) as r:
        return bool(r.status == 200)
    return False


def _start(f: dict[str, Path], idle: float) -> str:
    app_dir = _app_dir()
    wait_s = float(os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS") or 60)
    for _ in range(3):  # another process may take the port first
        port = _free_port()
        keeper = subprocess.Popen(
            [sys.executable, "-c", KEEPER, str(idle), str(f["lease"]), str(f["json"]),
             str(port), app_dir, str(f["log"])],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True, cwd=f["json"].parent)
        url = f"http://127.0.0.1:{port}/api"
        deadline = time.monotonic() + wait_s
        while keeper.poll() is None and time.monotonic() < deadline:
            if _healthy(url):
                # whole or absent for a run reading it at the same time
                atomic_write_text(f["json"], json.dumps({"keeper": keeper.pid, "url": url}))
                return url
            time.sleep(0.1)
        if keeper.poll() is None:  # it did not answer in time
            keeper.terminate()
            break
    raise ConfigError(f"Prefect's server did not start (see {f['log']})")


def _app_dir() -> str:
    """Where Prefect is installed (its server's `--app-dir`, as Prefect passes it)."""
    spec = importlib.util.find_spec("prefect")
    assert spec is not None and spec.origin is not None
    return str(Path(spec.origin).parent.parent)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
