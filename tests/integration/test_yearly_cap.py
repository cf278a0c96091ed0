"""The yearly cap of 3 and the repeat rule, in the spec's order, through uploads and settlement."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import make_services
from tests.integration.test_money import claim, nightly
from tests.integration.world import ASSESSOR, EMP, START, A, World, people


def weekly_class(w: World, class_id: str, week: int, occupation: str, level: str, person: str, *, passes: bool = True) -> None:
    start = START + timedelta(days=10 + 7 * week)  # all in 2027, one week apart: no overlap
    w.upload(A, "filing", [w.class_row(class_id, A, occupation_code=occupation, level=level, training_type="pre_job",
                                       start_date=start.isoformat(), end_date=(start + timedelta(days=4)).isoformat())])
    w.upload(A, "schedule", [{"class_id": class_id, "session_date": (start + timedelta(days=d)).isoformat(),
                              "start_time": "08:00", "end_time": "16:00", "mode": "offline"} for d in range(5)])
    w.upload(A, "roster", [w.roster_row(class_id, person, category="employee", employer_uscc=EMP, payer="employer")])
    w.upload(A, "attendance", [{"class_id": class_id, "id_number": person, "method": "face", "device_id": "D",
                                "check_in": f"{start + timedelta(days=d)} 08:00:01",
                                "check_out": f"{start + timedelta(days=d)} 15:59:59"} for d in range(5)])
    w.upload(A, "assessment", [{"class_id": class_id, "id_number": person, "exam_date": (start + timedelta(days=5)).isoformat(),
                                "score": "80" if passes else "30", "passed": "是" if passes else "否", "assessor_uscc": ASSESSOR}])
    claim(w, class_id, "final", "300")


@pytest.mark.parametrize("batch", [1, 500], ids=["class by class", "all classes in one batch"])
def test_the_fourth_class_of_a_year_and_a_repeated_level_are_excluded_in_order(svc, batch: int) -> None:  # noqa: ANN001
    w = World(make_services(svc.engine, svc.store, money_batch_classes=batch))
    w.registries()
    x = people(1)[0]
    weekly_class(w, "K1", 0, "4-10-01-02", "5", x)
    weekly_class(w, "K2", 1, "4-10-01-02", "5", x)  # same occupation and level as K1: ENR-REPEAT-LEVEL
    weekly_class(w, "K3", 2, "6-18-01-01", "4", x, passes=False)  # failed: counts for nothing
    weekly_class(w, "K4", 3, "6-18-01-01", "3", x)
    weekly_class(w, "K5", 4, "2-02-01-01", "5", x)
    weekly_class(w, "K6", 5, "3-01-01-01", "5", x)  # the 4th subsidised class of 2027: ENR-ANNUAL-CAP
    nightly(w, START + timedelta(days=60))
    codes = {(f["class_id"], f["rule_code"]) for f in w.findings() if f["status"] == "open" and f["effect"] == "exclude"}
    assert ("K2", "ENR-REPEAT-LEVEL") in codes and ("K6", "ENR-ANNUAL-CAP") in codes
    assert not {c for c in codes if c[0] in ("K1", "K4", "K5")}
    from tasks.exports import ledger

    paid = sorted((e["class_id"], e["amount_yuan"]) for e in ledger(w.svc))
    assert paid == [("K1", "300.00"), ("K4", "300.00"), ("K5", "300.00")]


def test_suzhou_work_as_training_after_pre_job_with_the_same_employer_is_not_paid(svc) -> None:  # noqa: ANN001
    w = World(svc)
    w.registries()
    x = people(1)[0]
    w.put("reference/insured/v2.csv", [{"id_number": x, "employer_uscc": EMP}])
    weekly_class(w, "P1", 0, "4-10-01-02", "5", x)  # 岗前培训 with EMP
    start = START + timedelta(days=24)
    w.upload(A, "filing", [w.class_row("W1", A, occupation_code="6-18-01-01", training_type="work_as_training",
                                       start_date=start.isoformat(), end_date=(start + timedelta(days=4)).isoformat())])
    w.upload(A, "schedule", [{"class_id": "W1", "session_date": (start + timedelta(days=d)).isoformat(),
                              "start_time": "08:00", "end_time": "16:00", "mode": "offline"} for d in range(5)])
    w.upload(A, "roster", [w.roster_row("W1", x, category="hardship", employer_uscc=EMP, payer="employer")])
    w.upload(A, "attendance", [{"class_id": "W1", "id_number": x, "method": "face", "device_id": "D",
                                "check_in": f"{start + timedelta(days=d)} 08:00:01",
                                "check_out": f"{start + timedelta(days=d)} 15:59:59"} for d in range(5)])
    claim(w, "W1", "final", "500")
    nightly(w, START + timedelta(days=60))
    assert [(f["class_id"], f["status"]) for f in w.findings("ENR-EXCLUSIVE")] == [("W1", "open")]
    from tasks.exports import ledger

    assert sorted((e["class_id"], e["amount_yuan"]) for e in ledger(w.svc)) == [("P1", "300.00")]
