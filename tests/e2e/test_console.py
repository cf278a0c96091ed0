"""The department's console in a real browser (issue 14): an auditor confirms fraud on a trainee of a
class already paid and sees the recovery on the class page and in the ledger; a viewer cannot confirm;
a wrong password is refused. Screenshots of the main pages are saved as test output."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from infra import db
from infra.objectstore import MemoryStore
from infra.stack import free_ports
from tests.conftest import make_services
from tests.integration.console_world import PASSWORD, failed_upload, paid_class_with_a_late_hold
from tests.integration.test_money import entries
from tests.integration.world import A, people

pytestmark = pytest.mark.e2e


@pytest.fixture
def console(pg_engine, tmp_path) -> Iterator[dict]:  # noqa: ANN001
    """The sample story on PostgreSQL, and the console served by uvicorn on a free loopback port."""
    import uvicorn

    from flows.console import create_app

    svc = make_services(pg_engine, MemoryStore(), data_dir=tmp_path)
    story = paid_class_with_a_late_hold(svc)
    failed_upload(story["world"], A, "S-1", people(1, offset=500)[0])
    (port,) = free_ports(1)
    server = uvicorn.Server(uvicorn.Config(create_app(svc), host="127.0.0.1", port=port, access_log=False,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the console did not start"
        time.sleep(0.05)
    try:
        yield story | {"svc": svc, "url": f"http://127.0.0.1:{port}"}
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def log_in(page, url: str, name: str, password: str = PASSWORD) -> None:  # noqa: ANN001
    page.goto(f"{url}/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def test_an_auditor_confirms_fraud_after_payment_and_sees_the_recovery(console, page, screenshot) -> None:  # noqa: ANN001
    url, hold = console["url"], console["hold_id"]
    page.goto(url)
    assert page.url.endswith("/login")
    screenshot(page, "console-login")
    log_in(page, url, "auditor1")
    assert page.url.endswith("/findings")
    assert page.get_by_text("待审事项").first.is_visible()
    screenshot(page, "console-queue")

    page.click(f"a[href='/findings/{hold}'] >> nth=0")
    confirm = page.locator("form.decide.confirm")
    assert "确认将追回 ¥1,500.00" in confirm.inner_text()
    assert "confirming orders a recovery of ¥1,500.00" in confirm.inner_text()
    assert console["trainees"][0] not in page.content()  # masked
    screenshot(page, "console-finding")
    confirm.locator("input[name=reason]").fill("代人签到，现场核实 / proxy attendance confirmed on site")
    confirm.locator("button[type=submit]").click()
    assert "已确认 confirmed — auditor1" in page.locator(".flash").inner_text()

    page.click("text=立即重新结算本班")
    page.fill("input[name=reason]", "确认虚假培训后追回 / recover after confirmed fraud")
    page.click("button[value=preview]")
    assert "-¥1,500.00" in page.locator("section.card").last.inner_text()
    assert [e[2] for e in entries(console["world"])] == ["settlement"]  # the preview changed nothing
    screenshot(page, "console-rerun-preview")
    page.click("button[value=apply]")
    assert "已执行" in page.content()

    page.goto(f"{url}/findings/{hold}")
    page.click("dd a[href^='/classes/']")
    ledger = page.locator("table.ledger").inner_text()
    assert "追回 recovery" in ledger and "-¥1,500.00" in ledger and "¥3,000.00" in ledger
    assert "-¥1,500.00" not in page.locator("table.money").inner_text()  # recovered: nothing due any more
    screenshot(page, "console-class")
    assert [e[2:] for e in entries(console["world"])] == [("settlement", "3000.00"), ("recovery", "-1500.00")]

    page.goto(f"{url}/uploads")
    assert "OperationalError" in page.content()
    screenshot(page, "console-uploads")


def test_a_viewer_cannot_confirm_and_a_wrong_password_is_refused(console, page, screenshot) -> None:  # noqa: ANN001
    url, hold, svc = console["url"], console["hold_id"], console["svc"]
    log_in(page, url, "viewer1", "not the password")
    assert "用户名或密码错误 / wrong name or password" in page.locator(".refused").inner_text()
    assert page.url.endswith("/login")
    screenshot(page, "console-login-refused")

    log_in(page, url, "viewer1")
    assert page.url.endswith("/classes")
    screenshot(page, "console-classes")
    page.goto(f"{url}/findings/{hold}")
    assert page.locator("form.decide").count() == 0 and "只读" in page.content()
    # a forged POST with the viewer's own valid CSRF token: the server refuses the role
    status = page.evaluate("""async (hold) => {
        const token = document.querySelector('meta[name=csrf-token]').content;
        const body = new URLSearchParams({decision: 'confirm', reason: 'x', csrf: token});
        const r = await fetch(`/findings/${hold}/decide`, {method: 'POST', body});
        return r.status; }""", hold)
    assert status == 403
    with svc.engine.connect() as conn:
        assert conn.execute(select(db.findings.c.status).where(db.findings.c.id == hold)).scalar_one() == "open"
    page.goto(f"{url}/findings")
    assert "禁止访问 Forbidden" in page.locator("h1").inner_text()
    screenshot(page, "console-forbidden")
    page.goto(f"{url}/reports")
    assert "reports/2026-11-26/datadocs/upload-" in page.locator("table.other").text_content()  # the gates' Data Docs
    screenshot(page, "console-reports")


def test_a_published_monthly_report_and_an_institutions_credit_record_open_in_the_console(
        console, page, screenshot) -> None:  # noqa: ANN001
    """The month's ratings recomputed and its report published (what the monthly-report flow does); a viewer
    opens it with its charts inside the console; an auditor goes from a finding to the institution's credit
    record and overrides its rating with a reason."""
    from schemas.report_period import parse_period
    from tasks.credit import recompute
    from tasks.report_publish import publish

    url, svc = console["url"], console["svc"]
    recompute(svc, "2027-01")  # the month the story's class was settled in
    publish(svc, parse_period("2027-01"))
    log_in(page, url, "viewer1")
    page.goto(f"{url}/reports")
    assert "第1版 v1" in page.locator("table.reports").inner_text()
    page.click("a[href='/reports/view/2027-01/monthly.v1.html']")
    report = page.frame_locator("iframe.report")
    assert "职业技能培训补贴2027年1月月报" in report.locator("h1").inner_text()
    report.locator("#chart-institutions_by_rating").wait_for()
    charts = report.locator("img[id^=chart-]")
    assert charts.count() == 4
    assert all(charts.nth(n).evaluate("img => img.complete && img.naturalWidth > 0") for n in range(4))
    assert "信用等级 Credit ratings" in report.locator("#credit").inner_text()
    assert "下载 XLSX" in page.locator(".report-bar").inner_text()
    screenshot(page, "console-report")
    report.locator("#credit").scroll_into_view_if_needed()
    screenshot(page, "console-report-credit")

    page.context.clear_cookies()
    log_in(page, url, "auditor1")
    page.goto(f"{url}/findings/{console['hold_id']}")
    page.click("dd a[href^='/institutions/']")
    assert "信用记录" in page.locator("#credit").inner_text()
    page.select_option("select[name=rating]", "C")
    page.fill("input[name=reason]", "现场核查：教室与备案不符 / the filed venue has no classroom")
    page.click("form.decide button[type=submit]")
    assert "已调整" in page.locator(".flash").inner_text()
    history = page.locator("table.history").inner_text()
    assert "审计员调整 override" in history and "auditor1" in history and "月度评定 monthly" in history
    assert "不予先行拨付" in page.locator("#credit").inner_text()
    screenshot(page, "console-institution")
