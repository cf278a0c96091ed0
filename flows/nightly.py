"""The nightly flow (02:00 Asia/Shanghai): the safety-net sweep, then the money."""

from __future__ import annotations

from prefect import flow

from tasks.prefect import answer_unanswered, list_pending, pay_and_settle, process_object, services


@flow(name="nightly")
def nightly(as_of: str | None = None) -> dict:
    """Process what the triggers missed, pay due advances, settle classes whose last session has passed."""
    as_of = as_of or services().now().date().isoformat()
    answer_unanswered()
    swept = [process_object(key)["status"] for key in list_pending()]
    money = pay_and_settle(as_of)
    return {"as_of": as_of, "swept": len(swept), **money}
