"""The pure core of onevisit: catalog rules, intake, review states, deadlines, identifiers.

Nothing here imports a database, Prefect, httpx or the CLI; every rule is tested alone.
"""
