"""The temporary Prefect server kept for the next runs (`flows.kept_server`): a second run
uses the first one's server, both are real flow runs with their task runs, a run stopped by
SIGTERM ends as before while the server stays for the next, and the server stops by
itself once no run has used it for INTERLINEAR_SERVER_IDLE_S seconds.

Real runs of `interlinear run` over the example vault (warm caches) in subprocesses, each
in its own session, with their own PREFECT_HOME.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.flows_support import EXAMPLES, PY, ROOT, copy_caches, prefect_env, warm_cache

IDLE_S = 6


def run_cli(home: Path, out: Path, cache: Path) -> subprocess.Popen[bytes]:
    env = {**prefect_env(home), "INTERLINEAR_SERVER_IDLE_S": str(IDLE_S)}
    cmd = [PY, "-m", "flows.cli", "run", str(EXAMPLES / "vault"), "--to", "ru,pt",
           "--out", str(out), "--transcripts", str(EXAMPLES / "transcripts"),
           "--allow-missing-models", "--offline", "--cache-dir", str(cache)]
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)


def state(home: Path) -> dict[str, object]:
    (found,) = home.glob("interlinear-server-*.json")
    return dict(json.loads(found.read_text()))


def api(url: str, path: str, body: dict[str, object] | None = None) -> object:
    req = urllib.request.Request(f"{url}{path}", method="POST" if body is not None else "GET",
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat[stat.rindex(")") + 2] != "Z"


def wait_gone(pid: int, within_s: float) -> None:
    deadline = time.monotonic() + within_s
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.3)
    assert not alive(pid), f"process {pid} still running"


@pytest.mark.slow
def test_runs_share_the_kept_server_which_stops_when_idle(
        tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    cache = copy_caches(warm_cache(tmp_path_factory.getbasetemp()), tmp_path / "cache")
    home = tmp_path / "prefect"
    first = run_cli(home, tmp_path / "out", cache)
    out1, _ = first.communicate(timeout=900)
    assert first.returncode in (0, 1), out1.decode()[-3000:]
    kept = state(home)
    keeper, url = int(str(kept["keeper"])), str(kept["url"])
    assert alive(keeper)  # the run ended, its server did not

    second = run_cli(home, tmp_path / "out", cache)  # within IDLE_S: the same server
    out2, _ = second.communicate(timeout=900)
    assert second.returncode in (0, 1), out2.decode()[-3000:]
    assert state(home) == kept
    flow_runs = api(url, "/flow_runs/filter", {})
    assert isinstance(flow_runs, list)
    assert sorted(r["state_type"] for r in flow_runs) == ["COMPLETED", "COMPLETED"]
    task_runs = api(url, "/task_runs/filter", {})
    assert isinstance(task_runs, list)
    assert {r["flow_run_id"] for r in task_runs} == {r["id"] for r in flow_runs}

    wait_gone(keeper, within_s=IDLE_S + 15)  # idle: the keeper stops the server and goes
    assert not list(home.glob("interlinear-server-*.json"))
    with pytest.raises(OSError):
        urllib.request.urlopen(f"{url}/health", timeout=2)


@pytest.mark.slow
def test_a_run_stopped_by_a_signal_leaves_the_server_for_the_next(
        tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    cache = copy_caches(warm_cache(tmp_path_factory.getbasetemp()), tmp_path / "cache")
    home = tmp_path / "prefect"
    run = run_cli(home, tmp_path / "out", cache)
    deadline = time.monotonic() + 300
    while not list(home.glob("interlinear-server-*.json")):  # the server answers
        assert run.poll() is None and time.monotonic() < deadline
        time.sleep(0.2)
    keeper = int(str(state(home)["keeper"]))
    os.killpg(run.pid, signal.SIGTERM)  # as `timeout` does: the run's group, not the server
    out, _ = run.communicate(timeout=10)
    assert run.returncode == 143, out.decode()[-3000:]
    assert "interrupted (SIGTERM): stopping" in out.decode()
    assert alive(keeper) and state(home)["keeper"] == keeper
    wait_gone(keeper, within_s=IDLE_S + 15)
