"""Running the vault flow from the command line, with a progress bar per stage."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from pipeline.settings import RunSettings

from .progress import listen

STAGES = ("fetch", "align", "translate", "render")


def quiet(verbose: bool) -> None:
    """Without -v, what the summary says is not printed again by Prefect: a video or note
    that fails ends its task Failed (the summary lists it once), and a refused or failed
    run is one line. (The local Dask cluster is quieted by DASK_LOGGING__DISTRIBUTED.)"""
    if not verbose:
        for name in ("prefect.task_runs", "prefect.flow_runs"):
            logging.getLogger(name).setLevel(logging.CRITICAL)


@contextmanager
def progress_bars(settings: RunSettings) -> Iterator[None]:
    """One bar a stage, advanced by the tasks' reports while the flow runs."""
    bars = Progress(TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), transient=False)
    with bars:
        ids = {s: bars.add_task(s, total=None) for s in STAGES}

        def on_report(stage: str, item: str, count: int, total: int | None) -> None:
            if stage == "start" and total is not None:
                for s in ("fetch", "align", "render"):
                    bars.update(ids[s], total=total)
                bars.update(ids["translate"], total=len(settings.languages))
            elif stage in ids:
                bars.advance(ids[stage], 1)

        stop = listen(on_report)
        try:
            yield
        finally:
            stop()
