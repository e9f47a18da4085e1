"""Schedules without a work pool: `interlinear serve NOTES --to ru,pt --out DIR --cron "0 3 * * *"`.

Registers a deployment of the vault flow on the Prefect server (PREFECT_API_URL, or a
temporary local one) with a cron schedule and the run's parameters, then runs each
scheduled or manually triggered run in a subprocess of this process until stopped
(Ctrl-C pauses the schedule). With a work pool, use `prefect.yaml` and `prefect deploy`.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from pipeline.errors import ConfigError
from pipeline.settings import parse_languages

DEPLOYMENT = "interlinear-scheduled"
HOME_ENV = "INTERLINEAR_HOME"
CHECKOUT = Path(__file__).resolve().parents[1]
OPTIONAL = ("offline", "refresh", "engine", "allow_missing_models", "reviewer")


def check_cron(expr: str) -> str:
    """The cron expression, or ConfigError when Prefect cannot schedule it."""
    from prefect.client.schemas.schedules import CronSchedule

    try:
        CronSchedule(cron=expr)
    except ValueError as exc:
        raise ConfigError(f"not a cron schedule: {expr!r} (e.g. \"0 3 * * *\")") from exc
    return expr


def deployment_parameters(args: argparse.Namespace) -> dict[str, Any]:
    """The vault flow's parameters from the command line; paths made absolute, so that runs
    do not depend on the folder the runner was started from."""
    notes = Path(args.notes)
    if not notes.is_dir():
        raise ConfigError(f"no such folder: {notes}")
    params: dict[str, Any] = {
        "vault": str(notes.resolve()),
        "languages": list(parse_languages(args.to)),
        "out": str(Path(args.out).resolve()),
    }
    if getattr(args, "transcripts", None):
        params["transcripts"] = str(Path(args.transcripts).resolve())
    for name in ("cache_dir", "glossary", "review_store"):
        if getattr(args, name, None):
            params[name] = str(Path(getattr(args, name)).resolve())
    if getattr(args, "transcript_lang", None):
        params["transcript_langs"] = args.transcript_lang
    if getattr(args, "original_lang", None):
        params["original_lang"] = args.original_lang
    for name in OPTIONAL:
        value = getattr(args, name, None)
        if value:
            params[name] = value
    if not params["languages"]:
        raise ConfigError("no target language: pass --to, e.g. --to ru,pt")
    return params


def serve(args: argparse.Namespace) -> None:
    """Serve the vault flow on `args.cron` with the run's parameters (blocks until stopped)."""
    cron = check_cron(args.cron)
    params = deployment_parameters(args)
    from .vault import vault_flow

    vault_flow.serve(
        name=getattr(args, "name", None) or DEPLOYMENT,
        cron=cron,
        parameters=params,
        tags=["interlinear"],
        description=f"Interlinear: {params['vault']} -> {params['out']} ({cron})",
        limit=1,  # runs on one output folder never overlap (they would wait for its lock)
    )


def checkout_directory(directory: str | None = None) -> dict[str, str]:
    """Pull step of `prefect.yaml`: run in `directory`, else $INTERLINEAR_HOME, else the
    checkout this package is installed from (where `flows/vault.py` and relative
    parameters like `examples/vault` are found)."""
    where = Path(directory or os.environ.get(HOME_ENV) or CHECKOUT).expanduser()
    if not (where / "flows" / "vault.py").is_file():
        raise ConfigError(f"{where} is not an Interlinear checkout (no flows/vault.py); "
                          f"set {HOME_ENV} to the folder of the checkout")
    os.chdir(where)
    return {"directory": str(where)}
