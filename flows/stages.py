"""One flow per lifecycle stage; each processes one object of its stage (uploads of later
stages gain their flows with their gates)."""

from __future__ import annotations

from prefect import flow

from tasks.prefect import process_object


@flow(name="reference")
def reference(key: str) -> dict:
    """Replace a reference registry from a department upload."""
    return process_object(key)


@flow(name="filing")
def filing(key: str) -> dict:
    """Gate a filing or schedule upload: the class may run, its dates, hours, teacher and venue are plausible."""
    return process_object(key)


@flow(name="enrollment")
def enrollment(key: str) -> dict:
    """Gate a roster upload: every person is real, eligible and in one class at a time."""
    return process_object(key)


STAGE_FLOWS = {"reference": reference, "filing": filing, "enrollment": enrollment}
