"""Stopping a run: SIGTERM, SIGINT or SIGHUP end `interlinear run` within seconds.

Whatever the threads are doing when the signal comes (a native translation call cannot be
interrupted, and the main thread would wait for it), a watcher thread hears it: Python's
C-level handler writes the signal's number to the wakeup fd (`signal.set_wakeup_fd`), and
the run's Python handler (in the main thread, which it leaves alone: no KeyboardInterrupt)
writes it too. Prefect's own SIGTERM handler, which a flow run installs and which raises
`TerminationSignal` in the main thread wherever it is (a lock wait, a gc callback), is
replaced by the run's for as long as the run lasts. The watcher then

1. says so in one line, and silences logging and the reports of exceptions (the run's
   threads would report the server's end as connection errors),
2. marks the flow run Crashed, as Prefect does for a signal (at most 2 s),
3. stops Prefect's temporary API server (`flows.ephemeral`) and the worker processes the
   run started (a local Dask cluster's),
4. removes the temporary files of the writes under way (`pipeline.fileio.abandon_writes`:
   every output keeps its old content or has the whole new one) and any left in the
   output folder (the workers'),
5. ends the process at once with status 128 + the signal's number (143, 130, 129); the
   output folder's lock (an OS lock) goes with it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

from pipeline.fileio import abandon_writes, sweep_temporary_files

from . import ephemeral
from .progress import listen

SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
MARK_S = 2.0  # for marking the flow run Crashed
Handler = Callable[[int, FrameType | None], None]
_stopping = threading.Event()
_code: list[int] = []  # the exit status, once stopping
_flow_run: list[str] = []  # the id of the run's flow run, once known


@contextlib.contextmanager
def stop_on_signals(out: Path | None = None) -> Iterator[None]:
    """Within: SIGTERM, SIGINT and SIGHUP stop the run (writing into `out`, whose lock the
    caller holds) as above; in the main thread only."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _flow_run.clear()
    read, write = socket.socketpair()
    write.setblocking(False)
    handler = _handler(write)
    with contextlib.ExitStack() as stack:
        stack.callback(read.close)  # (callbacks run last first)
        stack.callback(write.close)  # the watcher reads the end, and returns
        previous_fd = signal.set_wakeup_fd(write.fileno(), warn_on_full_buffer=False)
        stack.callback(signal.set_wakeup_fd, previous_fd)
        for sig in SIGNALS:
            stack.callback(signal.signal, sig, signal.signal(sig, handler))
        stack.enter_context(_instead_of_prefects(handler))
        stack.callback(listen(lambda *_: _remember_flow_run()))
        watcher = threading.Thread(target=_watch, args=(read, out),
                                   name="interlinear-signals", daemon=True)
        watcher.start()
        try:
            yield
        finally:
            if _stopping.is_set():  # whatever the main thread ran into: the watcher ends it
                _wait_for_the_end()


def _handler(write: socket.socket) -> Handler:
    def on_signal(signum: int, frame: FrameType | None) -> None:
        """In the main thread: note the flow run, and wake the watcher (also should
        anything have replaced the wakeup fd)."""
        _remember_flow_run()
        with contextlib.suppress(OSError):
            write.send(bytes([signum]))

    return on_signal


@contextlib.contextmanager
def _instead_of_prefects(handler: Handler) -> Iterator[None]:
    """The handler Prefect installs for SIGTERM during a flow run is `handler`.

    (`prefect.utilities.engine.capture_sigterm` installs the module's
    `_prefect_sigterm_handler`, looked up when it runs; without that name, as in another
    Prefect version, Prefect's handler stays: SIGTERM still stops the run, as SIGINT does,
    but the main thread may report the exception it raises.)"""
    from prefect.utilities import engine

    previous = getattr(engine, "_prefect_sigterm_handler", None)
    if previous is None:
        yield
        return
    setattr(engine, "_prefect_sigterm_handler", handler)  # noqa: B010 - not its type
    try:
        yield
    finally:
        setattr(engine, "_prefect_sigterm_handler", previous)  # noqa: B010


def _remember_flow_run() -> None:
    if _flow_run or "prefect" not in sys.modules:
        return
    from prefect.runtime import flow_run

    run_id = flow_run.get_id()
    if run_id:
        _flow_run.append(run_id)


def _watch(read: socket.socket, out: Path | None) -> None:
    try:
        data = read.recv(64)
    except OSError:
        return
    if data:
        stop(data[0], out)


def stop(signum: int, out: Path | None = None) -> None:
    """Steps 1-5 above; never returns."""
    code = 128 + signum
    _code.append(code)
    _stopping.set()
    try:
        name = signal.Signals(signum).name
        _say(f"\ninterrupted ({name}): stopping; the outputs written so far are whole, "
             "run again to finish\n")
        _quiet()
        _mark_crashed(f"Stopped by {name}")
        ephemeral.stop()
        _end_workers()
        abandon_writes()
        if out is not None:
            sweep_temporary_files(out)
        _restore_terminal()
    finally:
        os._exit(code)


def _say(text: str) -> None:
    """Straight to the file descriptor: no lock another thread may hold."""
    with contextlib.suppress(OSError):
        os.write(2, text.encode("utf-8", "replace"))


def _quiet() -> None:
    logging.disable(logging.CRITICAL)

    def ignore(args: Any) -> None:
        return None

    threading.excepthook = ignore
    sys.unraisablehook = ignore


def _mark_crashed(message: str) -> None:
    """The flow run Crashed (what Prefect records for a signal), within `MARK_S` seconds."""
    if not _flow_run:
        return

    def mark() -> None:
        from prefect.client.orchestration import get_client
        from prefect.states import Crashed

        with contextlib.suppress(Exception), get_client(sync_client=True) as client:
            client.set_flow_run_state(_flow_run[0], Crashed(message=message), force=True)

    marker = threading.Thread(target=mark, name="interlinear-mark-crashed", daemon=True)
    marker.start()
    marker.join(MARK_S)


def _end_workers(grace_s: float = 2.0) -> None:
    """The worker processes started with `multiprocessing` (a local Dask cluster's)."""
    mp = sys.modules.get("multiprocessing")
    if mp is None:
        return
    children = mp.active_children()
    for child in children:
        with contextlib.suppress(OSError):
            child.kill()
    for child in children:
        child.join(grace_s)


def _restore_terminal() -> None:
    """The cursor, which a progress display on a terminal hides until it stops."""
    with contextlib.suppress(Exception):
        if sys.stdout.isatty():
            os.write(sys.stdout.fileno(), b"\x1b[?25h\n")


def _wait_for_the_end(limit_s: float = 30.0) -> None:
    """The watcher ends the process within seconds; should it not, end it here."""
    time.sleep(limit_s)
    os._exit(_code[0] if _code else 1)
