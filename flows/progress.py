"""Progress of a run, reported by tasks and shown by the command line (one bar a stage)."""

from __future__ import annotations

import threading
from collections.abc import Callable

Listener = Callable[[str, str, int, "int | None"], None]
_listeners: list[Listener] = []
_lock = threading.Lock()


def listen(fn: Listener) -> Callable[[], None]:
    """Call `fn(stage, item, count, total)` on every report; returns a function that stops."""
    with _lock:
        _listeners.append(fn)

    def stop() -> None:
        with _lock:
            if fn in _listeners:
                _listeners.remove(fn)

    return stop


def report(stage: str, item: str, count: int = 1, total: int | None = None) -> None:
    with _lock:
        listeners = list(_listeners)
    for fn in listeners:
        fn(stage, item, count, total)
