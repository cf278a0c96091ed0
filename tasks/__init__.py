"""Service layer: one use case per module; Prefect tasks wrap them in tasks/prefect_tasks.py."""
