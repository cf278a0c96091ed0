"""The console's institution pages and reports (issue 14 with issue 12): operators and auditors read an
institution's credit record, an auditor overrides its rating with a reason through the path of
`skillsub credit override` (others get 403), and every role opens the published reports from the bucket."""

from __future__ import annotations

import json
import re

from schemas.report_period import parse_period
from tasks import report_publish
from tests.integration.test_console import TestClient, audit, csrf, log_in
from tests.integration.world import A, C


def _override(client: TestClient, uscc: str, rating: str, reason: str):  # noqa: ANN202
    token = csrf(client, "/classes")
    return client.post(f"/institutions/{uscc}/override", data={"rating": rating, "reason": reason, "csrf": token})


def test_an_operator_opens_an_institutions_credit_record_from_the_uploads_page(client: TestClient) -> None:
    log_in(client, "operator1")
    assert f'href="/institutions/{A}"' in client.get("/uploads").text
    page = client.get(f"/institutions/{A}")
    assert page.status_code == 200 and "信用记录" in page.text and "Credit record" in page.text
    assert 'class="rating rA">A<' in page.text and "可先行拨付 may receive advances" in page.text
    assert "尚无评定" in page.text and 'action="/institutions/' not in page.text  # no override form for an operator
    barred = client.get(f"/institutions/{C}").text  # C is rated D in the registry
    assert "不得新备案、不予先行拨付" in barred and "不予先行拨付 no advance" in barred
    assert client.get("/institutions/000000000000000000").status_code == 404


def test_an_auditor_overrides_a_rating_with_a_reason_and_the_audit_log_names_them(client: TestClient, csvc) -> None:  # noqa: ANN001
    log_in(client, "auditor1")
    refused = _override(client, A, "C", "  ")
    assert "未记录 / not recorded" in client.get(refused.headers["location"]).text
    done = _override(client, A, "C", "现场核查：教室与备案不符")
    assert done.status_code == 303 and done.headers["location"] == f"/institutions/{A}"
    page = client.get(f"/institutions/{A}").text
    assert "A → C 已调整" in page and 'class="rating rC">C<' in page and "审计员调整 override" in page
    assert "现场核查：教室与备案不符" in page and "不予先行拨付 no advance" in page  # C gets no advance (信用支付)
    [entry] = [e for e in audit(csvc) if e["action"] == "credit.override"]
    assert (entry["actor"], entry["subject"]) == ("auditor1", f"institution:{A}")
    assert json.loads(entry["detail"])["reason_zh"] == "现场核查：教室与备案不符"


def test_an_operators_or_viewers_override_is_refused_with_403_and_the_rating_stands(client: TestClient, csvc) -> None:  # noqa: ANN001
    for name in ("operator1", "viewer1"):
        client.cookies.clear()
        log_in(client, name)
        refused = _override(client, A, "D", "no reason to trust them")
        assert refused.status_code == 403 and name.rstrip("1") in refused.text
    assert client.get(f"/institutions/{A}").status_code == 403  # a viewer reads reports and classes only
    assert [e for e in audit(csvc) if e["action"].startswith("credit.")] == []
    client.cookies.clear()
    log_in(client, "auditor1")
    assert client.post(f"/institutions/{A}/override", data={"rating": "D", "reason": "x"}).status_code == 403  # no CSRF
    assert 'class="rating rA">A<' in client.get(f"/institutions/{A}").text


def test_the_finding_page_links_to_the_institution(client: TestClient, story) -> None:  # noqa: ANN001
    log_in(client, "auditor1")
    page = client.get(f"/findings/{story['hold_id']}").text
    assert re.search(r'href="/institutions/\w{18}"', page)


def test_a_viewer_lists_reports_by_period_opens_the_latest_and_downloads_the_others(client: TestClient, csvc, story) -> None:  # noqa: ANN001
    period = parse_period("2026-11")
    report_publish.publish(csvc, period)
    report_publish.publish(csvc, period, ("html", "json"))
    report_publish.publish_disclosure(csvc, period)
    log_in(client, "auditor1")  # an auditor's confirmation publishes a special report at once
    client.post(f"/findings/{story['hold_id']}/decide", data={
        "decision": "confirm", "reason": "代签到", "csrf": csrf(client, f"/findings/{story['hold_id']}")})
    client.cookies.clear()
    log_in(client, "viewer1")
    page = client.get("/reports").text
    rows = re.findall(r'<tr class="(superseded)?"><td>2026-11</td><td>([^<]+)</td>\s*<td>第(\d)版', page)
    assert rows == [("", "月报 monthly", "2"), ("superseded", "月报 monthly", "1"), ("", "公开 disclosure", "1")]
    assert "已被第2版取代 superseded by v2" in page and f"fraud-finding-{story['hold_id']}" in page
    view = client.get("/reports/view/2026-11/monthly.v2.html")
    assert view.status_code == 200 and '<iframe class="report" src="/reports/file/2026-11/monthly.v2.html"' in view.text
    assert "/reports/file/2026-11/monthly.v2.json" in view.text
    html = client.get("/reports/file/2026-11/monthly.v2.html")
    assert html.headers["content-type"].startswith("text/html") and html.text.count("data:image/png;base64,") == 4
    assert "信用等级 Credit ratings" in html.text and html.headers["x-frame-options"] == "SAMEORIGIN"
    xlsx = client.get("/reports/file/2026-11/monthly.v1.xlsx")
    assert xlsx.content[:2] == b"PK" and "attachment" in xlsx.headers["content-disposition"]
    special = client.get(f"/reports/file/special/2026-11-26/fraud-finding-{story['hold_id']}.json")
    assert special.status_code == 200 and story["trainees"][0] not in special.text
    assert story["trainees"][0][:6] in special.text  # masked, not removed
    for bad in ("/reports/file/../inbox/x.csv", f"/reports/file/{A}/x.csv", "/reports/file/2026-11/monthly.v9.html",
                "/reports/view/2026-11/monthly.v1.xlsx"):
        assert client.get(bad).status_code == 404, bad
    client.cookies.clear()
    assert client.get("/reports/file/2026-11/monthly.v2.html").status_code == 303  # not without a login
