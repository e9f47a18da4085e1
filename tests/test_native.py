"""pipeline.native: every call runs on one thread, whoever asks."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from pipeline.native import on_native_thread


def test_calls_from_many_threads_run_on_one_thread_one_at_a_time() -> None:
    seen: set[int] = set()
    running = []

    def work(i: int) -> int:
        running.append(i)
        assert len(running) == 1  # never two at once
        seen.add(threading.get_ident())
        running.pop()
        return i * 2

    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda i: on_native_thread(lambda: work(i)), range(200)))
    assert got == [i * 2 for i in range(200)]
    assert len(seen) == 1 and threading.get_ident() not in seen


def test_errors_reach_the_caller_and_nesting_does_not_deadlock() -> None:
    def fail() -> None:
        raise ValueError("native failure")

    with pytest.raises(ValueError, match="native failure"):
        on_native_thread(fail)
    assert on_native_thread(lambda: on_native_thread(lambda: 7)) == 7
