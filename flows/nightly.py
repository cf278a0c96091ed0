"""The nightly flow (02:00 Asia/Shanghai): the safety-net sweep, then the money."""

from __future__ import annotations

from prefect import flow

from tasks.prefect import (
    answer_unanswered,
    daily_report,
    list_pending,
    pay_and_settle,
    process_objects,
    publish_special_reports,
    reevaluate_rules,
    services,
)


@flow(name="nightly")
def nightly(as_of: str | None = None) -> dict:
    """Sweep what the triggers missed, re-evaluate the cross-institution rules, pay due advances,
    settle classes whose last session has passed, publish the special reports still missing, and write
    the daily report."""
    as_of = as_of or services().now().date().isoformat()
    answer_unanswered()
    keys, size = list_pending(), services().settings.batch_max_uploads
    swept = [o["status"] for start in range(0, len(keys), size) for o in process_objects(keys[start:start + size])]
    reevaluation = reevaluate_rules()
    money = pay_and_settle(as_of)
    special = publish_special_reports()  # after the money: a recovery ordered tonight is reported tonight
    report = daily_report(as_of, reevaluation, money)
    return {"as_of": as_of, "swept": len(swept), "report": report, "reevaluation": reevaluation,
            "special_reports": special, **money}
