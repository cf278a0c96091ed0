"""A world for the console's tests: class S-1 of institution A paid in full (2 × ¥1,500.00), then one
trainee found enrolled at B at the same hours and that warning escalated to a hold after payment;
users of every role."""

from __future__ import annotations

from typing import Any

from tasks.console_users import add_user
from tasks.review import review
from tests.integration.test_money import claim, nightly, run_class
from tests.integration.world import B, World, people

PASSWORD = "correct horse battery"


def paid_class_with_a_late_hold(svc: Any) -> dict[str, Any]:
    w = World(svc)
    w.registries()
    t = people(2)
    run_class(w, "S-1", [w.roster_row("S-1", x, f"1380000000{i}", payer="free") for i, x in enumerate(t)])
    claim(w, "S-1", "final", "3000")
    nightly(w)
    w.file_class("B-1", B, start_time="09:00", end_time="17:00")
    w.enrol("B-1", [t[0]], B)
    hold = next(f for f in w.findings("ENR-OVERLAP") if f["id_number"] == t[0] and f["effect"] == "warn")
    review(svc, hold["id"], "escalate", "the same person at B at the same hours", "审计员 王")
    for name, role in (("auditor1", "auditor"), ("operator1", "operator"), ("viewer1", "viewer")):
        add_user(svc, name, role, PASSWORD)
    return {"world": w, "trainees": t, "hold_id": hold["id"]}


def failed_upload(w: World, uscc: str, class_id: str, id_number: str) -> int:
    """A roster upload whose processing failed (the database went away mid-run, say): registered as
    failed with its reason, the object still in the inbox — what an operator processes again."""
    from sqlalchemy import insert

    from infra import db
    from infra.samples import csv_bytes

    row = w.roster_row(class_id, id_number, "13900000077", payer="free")
    key = f"inbox/{uscc}/roster/late-roster.csv"
    w.svc.store.put(key, csv_bytes(list(row), [list(row.values())]))
    info = w.svc.store.head(key)
    with w.svc.engine.begin() as conn:
        return conn.execute(insert(db.uploads).values(
            bucket=w.svc.store.bucket, key=key, etag=info.etag, size_bytes=info.size, area="inbox", uscc=uscc,
            kind="roster", name="late-roster", status="failed", reason="OperationalError: the server closed the connection",
            received_at=w.svc.now()).returning(db.uploads.c.id)).scalar_one()
