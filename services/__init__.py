"""The service layer: settings, the database unit of work, use cases and read models.

Use cases take a unit of work, change one case, and commit once. Nothing here imports Prefect.
"""
