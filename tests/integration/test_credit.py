"""Institution credit (issue 12.6) as the department and the institutions notice it: a confirmed fraud
downgrades at once, D bars new filings and advances, 信用支付 follows the policy, every change is audited."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from infra import db
from tasks import credit, exports
from tasks.credit import CreditRefused, current_ratings, override, recompute
from tasks.money import pay_and_settle
from tasks.review import review
from tests.integration.world import ASSESSOR, START, A, B, C, World, people

AFTER = START + timedelta(days=10)


@pytest.fixture
def w(svc) -> World:  # noqa: ANN001
    world = World(svc)
    world.registries()
    return world


def _rating(w: World, uscc: str) -> str:
    with w.svc.engine.connect() as conn:
        return current_ratings(conn)[uscc]


def _credit_audit(w: World) -> list[dict]:
    with w.svc.engine.connect() as conn:
        rows = conn.execute(select(db.audit_log).where(db.audit_log.c.action.like("credit.%"))
                            .order_by(db.audit_log.c.id)).mappings().all()
    return [dict(r) | {"detail": json.loads(r["detail"])} for r in rows]


def _advances(w: World) -> list[tuple[str, str, str]]:
    return [(e["payee"], e["class_id"], e["amount_yuan"]) for e in exports.ledger(w.svc, unmask=True)
            if e["kind"] == "advance"]


def _claim_advance(w: World, uscc: str, class_id: str, amount: str) -> tuple[str, set[str]]:
    out = w.upload(uscc, "claim", [{"class_id": class_id, "kind": "advance", "amount": amount}])
    return w.verdicts(out)[2]


def test_the_registry_rating_stands_until_something_changes_it(w: World) -> None:
    with w.svc.engine.connect() as conn:
        ratings, barred = current_ratings(conn), credit.blacklisted(conn)
    assert (ratings[A], ratings[B], ratings[C]) == ("A", "B", "D")
    assert C in barred and A not in barred and B not in barred


def test_a_confirmed_fraud_downgrades_at_once_once_per_class_and_the_audit_log_has_it(w: World) -> None:
    w.file_class("A-1", sessions=0)
    w.upload(A, "roster", [w.roster_row("A-1", x, "13912345678") for x in people(3)])
    holds = w.findings("ENR-SHARED-PHONE")
    review(w.svc, holds[0]["id"], "dismiss", "family phone", "审计员 王")
    assert _rating(w, A) == "A"  # a dismissal changes nothing
    done = review(w.svc, holds[1]["id"], "confirm", "forged roster", "审计员 王")
    assert _rating(w, A) == "B" and done["rating_change"] == {"previous": "A", "rating": "B"}
    review(w.svc, holds[2]["id"], "confirm", "forged roster", "审计员 王")
    assert _rating(w, A) == "B"  # the same class moves the rating once until the next publication
    [entry] = _credit_audit(w)
    assert (entry["actor"], entry["action"], entry["subject"]) == ("审计员 王", "credit.fraud", f"institution:{A}")
    assert entry["detail"]["previous"] == "A" and entry["detail"]["rating"] == "B"
    assert entry["detail"]["evidence"]["finding_id"] == holds[1]["id"]
    assert entry["detail"]["evidence"]["rule_code"] == "ENR-SHARED-PHONE"
    assert "ENR-SHARED-PHONE" in entry["detail"]["reason_zh"] and "downgraded from A to B" in entry["detail"]["reason_en"]


def test_a_confirmed_fake_training_blacklists_and_the_next_filing_is_refused(w: World) -> None:
    p = people(5)
    w.file_class("A-1")
    w.enrol("A-1", p)
    # five check-ins on one device in the same second: ATT-BURST (批量伪造签到, 虚假培训)
    w.upload(A, "attendance", [w.check("A-1", x) for x in p])
    burst = w.findings("ATT-BURST")[0]
    review(w.svc, burst["id"], "confirm", "check-ins forged in bulk, verified on site", "审计员 李")
    assert _rating(w, A) == "D"
    assert "ATT-BURST" in _credit_audit(w)[0]["detail"]["reason_zh"]
    refused = w.upload(A, "filing", [w.class_row("A-2", A)])
    assert w.verdicts(refused)[2] == ("rejected", {"FIL-INST-BLACKLISTED"})


def test_a_d_or_c_rated_institutions_advance_waits_while_a_b_rated_ones_is_paid(w: World) -> None:
    w.file_class("A-1", sessions=0)
    w.file_class("B-1", B, sessions=0)
    w.upload(A, "roster", [w.roster_row("A-1", x, f"1380000000{i}", payer="free") for i, x in enumerate(people(2))])
    w.upload(B, "roster", [w.roster_row("B-1", x, f"1390000000{i}", payer="free")
                           for i, x in enumerate(people(2, offset=300))])
    override(w.svc, A, "D", "site visit: no classroom at the filed venue", "审计员 赵")
    assert w.verdicts(w.upload(A, "filing", [w.class_row("A-9", A)]))[2] == ("rejected", {"FIL-INST-BLACKLISTED"})
    assert _claim_advance(w, A, "A-1", "1000") == ("accepted_flagged", {"ADV-CREDIT"})
    assert _claim_advance(w, B, "B-1", "1000") == ("accepted", set())
    pay_and_settle(w.svc, AFTER, "nightly-credit")
    assert _advances(w) == [(B, "B-1", "1000.00")]
    [waiting] = [f for f in w.findings("ADV-CREDIT") if f["status"] == "open"]
    assert waiting["uscc"] == A
    override(w.svc, A, "C", "venue found; still under watch", "审计员 赵")  # C files again but gets no advance
    assert w.verdicts(w.upload(A, "filing", [w.class_row("A-8", A)]))[2][0] != "rejected"
    pay_and_settle(w.svc, AFTER, "nightly-credit")
    assert _advances(w) == [(B, "B-1", "1000.00")]
    override(w.svc, A, "B", "a year without findings", "审计员 赵")
    pay_and_settle(w.svc, AFTER, "nightly-credit")
    assert sorted(_advances(w)) == [(A, "A-1", "1000.00"), (B, "B-1", "1000.00")]
    assert [f["status"] for f in w.findings("ADV-CREDIT")] == ["resolved"]


def test_an_override_needs_a_reason_and_is_audited_with_it(w: World) -> None:
    with pytest.raises(CreditRefused, match="reason"):
        override(w.svc, B, "A", "  ", "审计员 赵")
    with pytest.raises(CreditRefused, match="rating"):
        override(w.svc, B, "E", "typo", "审计员 赵")
    assert _rating(w, B) == "B" and _credit_audit(w) == []
    override(w.svc, B, "a", "two years of clean audits", "审计员 赵")
    [entry] = _credit_audit(w)
    assert (entry["actor"], entry["action"], entry["subject"]) == ("审计员 赵", "credit.override", f"institution:{B}")
    assert entry["detail"]["reason_zh"] == "two years of clean audits" and entry["detail"]["previous"] == "B"
    assert _rating(w, B) == "A"
    with pytest.raises(Exception):  # noqa: B017, PT011 - the history is append-only in the database
        with w.svc.engine.begin() as conn:
            conn.execute(db.credit_ratings.update().values(rating="D"))


def test_the_monthly_publication_rates_from_the_record_once_and_audits_only_changes(w: World) -> None:
    w.file_class("A-1", start_date=(START - timedelta(days=40)).isoformat(), sessions=0)  # filed late: FIL-LATE
    w.file_class("A-2", sessions=0)
    changes = recompute(w.svc, "2026-11")
    assert [(c.uscc, c.previous, c.rating) for c in changes] == [(A, "A", "B")]  # 90 − 20 × ½ = 80
    assert _rating(w, A) == "B" and _rating(w, B) == "B"
    [entry] = _credit_audit(w)
    assert entry["action"] == "credit.monthly" and entry["detail"]["evidence"]["classes"] == {"filed": 2, "late": 1}
    assert "开班后补备案比例 50.0%（1/2）" in entry["detail"]["reason_zh"]
    assert recompute(w.svc, "2026-11") == [] and len(_credit_audit(w)) == 1
    [history] = credit.show(w.svc, A)
    assert (history["source"], history["rating"], history["previous"]) == ("monthly", "B", "A")


def test_an_assessor_rated_d_no_longer_assesses_for_a_subsidy(w: World) -> None:
    p = people(2)
    w.file_class("A-1")
    w.enrol("A-1", p)
    assert "ASM-ASSESSOR" not in w.codes(w.upload(A, "assessment", [w.exam("A-1", p[0])]))
    override(w.svc, ASSESSOR, "D", "评价机构违规出具证书 (苏州 (十九) 退出机制)", "审计员 赵")
    flagged = w.verdicts(w.upload(A, "assessment", [w.exam("A-1", p[1])]))[2]
    assert flagged[0] == "accepted_flagged" and "ASM-ASSESSOR" in flagged[1]


def test_the_monthly_record_counts_exams_certificates_and_rejected_rows(w: World) -> None:
    from tests.integration.test_money import run_class

    run_class(w, "B-1", [w.roster_row("B-1", x, f"1390000000{i}", payer="free")
                         for i, x in enumerate(people(2, offset=300))], uscc=B)
    bad = w.upload(B, "roster", [w.roster_row("B-1", "110105199001011234", "13900000009")])  # check digit wrong
    assert w.verdicts(bad)[2][0] == "rejected"
    assert recompute(w.svc, "2027-01") == []  # B stays B: 75 + 2 (all passed) + 4 (all certified) − 20 × 1/23 ≈ 80
    [row] = credit.show(w.svc, B)
    with w.svc.engine.connect() as conn:
        evidence = json.loads(conn.execute(select(db.credit_ratings.c.evidence).where(
            db.credit_ratings.c.uscc == B)).scalar_one())
    assert evidence["assessed"] == {"assessed": 2, "passed": 2, "certified": 2}
    assert evidence["rows"]["rejected"] == 1 and evidence["rows"]["total"] == 23  # 1 filing + 5 sessions + 2 + 10 check-ins + 2 + 2 + 1
    assert "考核合格率 100.0%（目标 80.0%）" in row["reason_zh"] and "rejected rows 4.3% (1/23)" in row["reason_en"]


def test_an_advance_waiting_on_credit_cannot_be_confirmed_as_fraud_and_the_rating_stays(w: World) -> None:
    from tasks.review import ReviewRefused

    w.file_class("A-1", sessions=0)
    w.upload(A, "roster", [w.roster_row("A-1", x, f"1380000000{i}", payer="free") for i, x in enumerate(people(2))])
    override(w.svc, A, "C", "under watch", "审计员 赵")
    assert _claim_advance(w, A, "A-1", "1000") == ("accepted_flagged", {"ADV-CREDIT"})
    pay_and_settle(w.svc, AFTER, "nightly-credit")
    [waiting] = [f for f in w.findings("ADV-CREDIT") if f["status"] == "open"]
    with pytest.raises(ReviewRefused, match="payment waiting on its cause"):
        review(w.svc, waiting["id"], "confirm", "yes, the wait is right", "审计员 赵")
    assert _rating(w, A) == "C" and [f["status"] for f in w.findings("ADV-CREDIT")] == ["open"]
    with w.svc.engine.connect() as conn:
        assert conn.execute(select(db.special_reports)).first() is None  # no 重大情况专报 of a fraud nobody found
