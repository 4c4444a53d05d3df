"""Prefect flows: what is not a human click (fan-out to agencies, delivery, notices, sweeps).

Importing this package imports Prefect (about a second), so read-only commands never do.
"""

import os

# The embedded server has no network to report usage to; asking only logs an error.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
