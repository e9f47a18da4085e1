"""Running the vault flow from the command line, with a progress bar per stage."""

from __future__ import annotations

import argparse
import logging
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from pipeline.fileio import exclusive_lock

from .progress import listen

STAGES = ("fetch", "align", "translate", "render")


def run_with_progress(args: argparse.Namespace) -> dict[str, Any]:
    from .vault import vault_flow

    if not getattr(args, "verbose", False):
        # a video or note that fails ends its task Failed; the summary lists it (once)
        logging.getLogger("prefect.task_runs").setLevel(logging.CRITICAL)
        logging.getLogger("distributed").setLevel(logging.WARNING)  # the local Dask cluster

    flow = vault_flow
    if args.task_runner == "dask":
        from .dask_runner import with_dask

        flow = with_dask(vault_flow, args.dask_address)
    params = dict(
        vault=str(args.notes), languages=args.to, out=str(args.out),
        transcripts=str(args.transcripts) if args.transcripts else None,
        transcript_langs=args.transcript_lang or None, offline=args.offline,
        refresh=args.refresh, engine=args.engine,
        allow_missing_models=args.allow_missing_models,
        cache_dir=str(args.cache_dir) if args.cache_dir else None,
        glossary=str(args.glossary) if args.glossary else None,
        original_lang=args.original_lang,
    )
    languages = [x for x in args.to.split(",") if x.strip()]
    # refused here, before the flow starts, when another run holds the output folder
    bars = Progress(TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), transient=False)
    with exclusive_lock(args.out), bars:
        ids = {s: bars.add_task(s, total=None) for s in STAGES}

        def on_report(stage: str, item: str, count: int, total: int | None) -> None:
            if stage == "start" and total is not None:
                for s in ("fetch", "align", "render"):
                    bars.update(ids[s], total=total)
                bars.update(ids["translate"], total=len(languages))
            elif stage in ids:
                bars.advance(ids[stage], 1)

        stop = listen(on_report)
        try:
            return flow(**params)
        finally:
            stop()
