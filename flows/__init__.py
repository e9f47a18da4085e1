"""Prefect flows and the command line: the thin shell around `pipeline`."""

import os

# A loaded 2-core machine can take more than Prefect's default 20 s to start the
# temporary local API server that a flow run without PREFECT_API_URL uses.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
# No telemetry: the machines this runs on often have no network, and it is not ours to send.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
