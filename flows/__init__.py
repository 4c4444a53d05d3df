"""Prefect flows: what is not a human click (fan-out to agencies, delivery, notices, sweeps).

Importing this package imports Prefect (about a second), so read-only commands never do.
"""

import os

# The embedded server has no network to report usage to; asking only logs an error.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# Prefect gives its embedded server 20 s to start; a busy machine takes longer, and every command failed.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
