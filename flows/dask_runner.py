"""Scale-out: the vault flow with its per-video and per-language tasks on a Dask cluster.

`with_dask(flow)` starts a local cluster of worker processes for the run (bound to
127.0.0.1, no dashboard); `with_dask(flow, "tcp://host:8786")` uses a running scheduler.
Every worker builds its own engines and models once (`pipeline.run.context`); the
caches they share (transcripts, translation memory, embeddings, stored results) live under
`INTERLINEAR_CACHE`, which must point at the same folder (a shared path) on every machine.

`vault_flow_dask` is the same flow with the runner chosen by the environment
(`INTERLINEAR_DASK_ADDRESS`, else a local cluster), for deployments (`prefect.yaml`).
"""

from __future__ import annotations

import os
from typing import Any, TypeVar

from prefect import Flow
from prefect_dask import DaskTaskRunner

F = TypeVar("F", bound=Flow[Any, Any])
ADDRESS_ENV = "INTERLINEAR_DASK_ADDRESS"
WORKERS_ENV = "INTERLINEAR_DASK_WORKERS"


def local_cluster_kwargs(workers: int | None = None) -> dict[str, Any]:
    """A local cluster: one single-threaded worker process per core (engines are not
    re-entrant, and each process holds its own models), on 127.0.0.1 only."""
    n = workers or int(os.environ.get(WORKERS_ENV) or 0) or min(os.cpu_count() or 1, 4)
    return {"n_workers": max(1, n), "threads_per_worker": 1, "processes": True,
            "host": "127.0.0.1", "dashboard_address": None}


def dask_runner(address: str | None = None, workers: int | None = None) -> DaskTaskRunner:
    if address:
        return DaskTaskRunner(address=address)
    return DaskTaskRunner(cluster_kwargs=local_cluster_kwargs(workers))


def with_dask(flow: F, address: str | None = None, workers: int | None = None) -> F:
    """`flow` running its tasks on Dask (a local cluster, or the scheduler at `address`)."""
    runner: Any = dask_runner(address, workers)  # a TaskRunner of PrefectDaskFutures
    return flow.with_options(task_runner=runner)  # type: ignore[return-value]


def _env_flow() -> Flow[Any, Any]:
    from .vault import vault_flow

    return with_dask(vault_flow, os.environ.get(ADDRESS_ENV) or None)


vault_flow_dask = _env_flow()
