"""One flow per lifecycle stage; each processes one object of its stage."""

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


@flow(name="attendance")
def attendance(key: str) -> dict:
    """Gate an attendance upload: enrolled people at scheduled sessions, in one place, not forged."""
    return process_object(key)


@flow(name="assessment")
def assessment(key: str) -> dict:
    """Gate an assessment upload: enrolled, attending trainees; sane scores."""
    return process_object(key)


@flow(name="certificate")
def certificate(key: str) -> dict:
    """Gate a certificate upload: follows a pass, matches the class, unique number."""
    return process_object(key)


STAGE_FLOWS = {"reference": reference, "filing": filing, "enrollment": enrollment, "attendance": attendance,
               "assessment": assessment, "certificate": certificate}
