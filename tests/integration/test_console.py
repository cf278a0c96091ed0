"""The department's console behind its login (issue 14): passwords, throttling, CSRF, roles checked on
the server, decisions through the same code path and audit log as `skillsub review`, masking."""

from __future__ import annotations

import json
import re
import stat
import warnings

from sqlalchemy import select

with warnings.catch_warnings():  # Starlette 1.x would rather have httpx2; httpx is what Prefect brings
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from flows.console import create_app
from infra import db
from tasks.console_users import disable_user
from tests.conftest import make_services
from tests.integration.console_world import PASSWORD
from tests.integration.test_money import entries
from tests.integration.world import A, people


def csrf(client: TestClient, path: str = "/login") -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', client.get(path).text).group(1)


def log_in(client: TestClient, name: str, password: str = PASSWORD, address_csrf: str | None = None):  # noqa: ANN201
    return client.post("/login", data={"name": name, "password": password, "csrf": address_csrf or csrf(client)})


def audit(svc) -> list[dict]:  # noqa: ANN001
    with svc.engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(db.audit_log).order_by(db.audit_log.c.id)).mappings()]


def status_of(svc, finding_id: int) -> str:  # noqa: ANN001
    with svc.engine.connect() as conn:
        return conn.execute(select(db.findings.c.status).where(db.findings.c.id == finding_id)).scalar_one()


def test_a_wrong_password_is_refused_and_the_right_one_opens_the_auditors_queue(client: TestClient) -> None:
    assert client.get("/findings").headers["location"] == "/login"
    refused = log_in(client, "auditor1", "wrong password!")
    assert refused.status_code == 401 and "用户名或密码错误" in refused.text and "wrong name or password" in refused.text
    assert client.get("/findings").status_code == 303
    ok = log_in(client, "auditor1")
    assert ok.status_code == 303
    cookie = ok.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    queue = client.get("/findings")
    assert queue.status_code == 200 and queue.headers["cache-control"] == "no-store"
    assert queue.headers["x-frame-options"] == "DENY"


def test_failed_logins_are_throttled_per_user_even_with_the_right_password_then(client: TestClient, csvc) -> None:  # noqa: ANN001
    for _ in range(csvc.settings.console_login_max_failures):
        assert log_in(client, "auditor1", "guess guess guess").status_code == 401
    throttled = log_in(client, "auditor1")
    assert throttled.status_code == 429 and "too many failed logins" in throttled.text
    assert log_in(client, "viewer1").status_code == 429  # the same address, another name: the address is throttled too


def test_a_post_without_the_csrf_token_is_refused_and_decides_nothing(client: TestClient, csvc, story) -> None:  # noqa: ANN001
    log_in(client, "auditor1")
    hold = story["hold_id"]
    for data in ({"decision": "confirm", "reason": "fraud"}, {"decision": "confirm", "reason": "fraud", "csrf": "forged"}):
        refused = client.post(f"/findings/{hold}/decide", data=data)
        assert refused.status_code == 403 and "CSRF" in refused.text
    assert status_of(csvc, hold) == "open"
    assert log_in(client, "auditor1", address_csrf="stale").status_code == 403  # the login form is protected too


def test_a_viewers_post_to_a_review_is_refused_with_403_and_the_hold_stays_open(client: TestClient, csvc, story) -> None:  # noqa: ANN001
    log_in(client, "viewer1")
    hold = story["hold_id"]
    page = client.get(f"/findings/{hold}")
    assert page.status_code == 200 and "只读" in page.text and f'action="/findings/{hold}/decide"' not in page.text
    token = csrf(client, f"/findings/{hold}")
    refused = client.post(f"/findings/{hold}/decide", data={"decision": "confirm", "reason": "x", "csrf": token})
    assert refused.status_code == 403 and "viewer" in refused.text
    assert client.post(f"/findings/{hold}/reveal", data={"csrf": token}).status_code == 403
    assert client.get("/findings").status_code == 403 and client.get("/rerun").status_code == 403
    assert status_of(csvc, hold) == "open"
    assert [(e["actor"], e["action"]) for e in audit(csvc) if e["action"].startswith(("review.", "console."))] == [
        ("审计员 王", "review.escalate"), ("viewer1", "console.login")]  # the login only: nothing decided, nothing revealed


def test_an_operator_may_not_decide_and_an_auditor_may_not_process_uploads(client: TestClient, csvc, story) -> None:  # noqa: ANN001
    log_in(client, "operator1")
    token = csrf(client, "/uploads")
    assert client.post(f"/findings/{story['hold_id']}/decide",
                       data={"decision": "dismiss", "reason": "x", "csrf": token}).status_code == 403
    client.cookies.clear()
    log_in(client, "auditor1")
    assert client.post("/uploads/1/process", data={"csrf": csrf(client, "/uploads")}).status_code == 403


def test_the_finding_shows_the_recovery_a_confirmation_orders_before_it_is_made(client: TestClient, story) -> None:
    log_in(client, "auditor1")
    page = client.get(f"/findings/{story['hold_id']}").text
    assert "确认将追回 <b>¥1,500.00</b>" in page and "orders a recovery of <b>¥1,500.00</b>" in page
    assert "驳回将" not in page or "¥1,500.00" in page  # dismissing moves nothing: the trainee was paid


def test_confirming_in_the_console_is_the_reviews_decision_with_the_users_name(client: TestClient, csvc, story) -> None:  # noqa: ANN001
    log_in(client, "auditor1")
    hold = story["hold_id"]
    token = csrf(client, f"/findings/{hold}")
    done = client.post(f"/findings/{hold}/decide", data={"decision": "confirm", "reason": "代签到，现场核实", "csrf": token})
    assert done.status_code == 303
    assert status_of(csvc, hold) == "confirmed"
    entry = [e for e in audit(csvc) if e["action"] == "review.confirm"]
    assert [(e["actor"], e["subject"]) for e in entry] == [("auditor1", f"finding:{hold}")]
    assert json.loads(entry[0]["detail"])["reason"] == "代签到，现场核实"
    again = client.post(f"/findings/{hold}/decide", data={"decision": "dismiss", "reason": "changed", "csrf": token})
    assert "already confirmed" in client.get(again.headers["location"]).text  # final, as with `skillsub review`
    assert status_of(csvc, hold) == "confirmed"


def test_a_rerun_preview_changes_nothing_and_applying_it_writes_the_recovery(client: TestClient, csvc, story) -> None:  # noqa: ANN001
    w = story["world"]
    log_in(client, "auditor1")
    hold = story["hold_id"]
    token = csrf(client, f"/findings/{hold}")
    client.post(f"/findings/{hold}/decide", data={"decision": "confirm", "reason": "fraud", "csrf": token})
    with csvc.engine.connect() as conn:
        class_pk = conn.execute(select(db.classes.c.id).where(db.classes.c.class_id == "S-1")).scalar_one()
    form = {"stage": "settlement", "class_pk": str(class_pk), "reason": "confirmed fraud", "csrf": token}
    preview = client.post("/rerun", data=form | {"action": "preview"})
    assert preview.status_code == 200 and "-¥1,500.00" in preview.text and "dry run" in preview.text
    assert [e[2] for e in entries(w)] == ["settlement"]
    applied = client.post("/rerun", data=form | {"action": "apply"})
    assert applied.status_code == 200 and "-¥1,500.00" in applied.text
    assert [e[2:] for e in entries(w)] == [("settlement", "3000.00"), ("recovery", "-1500.00")]
    page = client.get(f"/classes/{class_pk}").text
    assert "-¥1,500.00" in page and "追回 recovery" in page
    assert [(e["actor"], e["action"]) for e in audit(csvc) if e["action"].startswith("rerun")] == [
        ("auditor1", "rerun.dry_run"), ("auditor1", "rerun")]


def test_pages_mask_ids_and_phones_and_a_reveal_is_audit_logged(client: TestClient, csvc, story) -> None:  # noqa: ANN001
    t0 = story["trainees"][0]
    log_in(client, "auditor1")
    hold = story["hold_id"]
    with csvc.engine.connect() as conn:
        class_pk = conn.execute(select(db.classes.c.id).where(db.classes.c.class_id == "S-1")).scalar_one()
    pages = [client.get(p).text for p in ("/findings", f"/findings/{hold}", f"/classes/{class_pk}", "/uploads", "/classes")]
    for text in pages:
        assert t0 not in text and "13800000000" not in text
    assert f"{t0[:6]}********{t0[14:]}" in pages[1] and "138****0000" in pages[2]
    assert "<td>学*</td>" in pages[1] and "<td>学员</td>" not in pages[1]  # the uploaded row's name column too
    revealed = client.post(f"/findings/{hold}/reveal", data={"csrf": csrf(client, f"/findings/{hold}")})
    assert revealed.status_code == 200 and t0 in revealed.text
    [entry] = [e for e in audit(csvc) if e["action"] == "console.reveal_id"]
    assert (entry["actor"], entry["subject"]) == ("auditor1", f"finding:{hold}") and t0 not in entry["detail"]
    assert t0 not in client.get(f"/findings/{hold}").text  # shown once, masked again afterwards


def test_a_disabled_user_is_out_at_the_next_request(client: TestClient, csvc) -> None:  # noqa: ANN001
    log_in(client, "viewer1")
    assert client.get("/classes").status_code == 200
    disable_user(csvc, "viewer1")
    assert client.get("/classes").headers["location"] == "/login"
    assert log_in(client, "viewer1").status_code == 401


def test_the_session_key_is_generated_private_under_the_data_dir(client: TestClient, csvc) -> None:  # noqa: ANN001
    key = csvc.settings.console_secret_file
    assert key.exists() and stat.S_IMODE(key.stat().st_mode) == 0o600


def test_the_queue_puts_the_most_money_at_stake_first_and_filters_by_rule(client: TestClient, csvc, story) -> None:  # noqa: ANN001
    w = story["world"]
    w.upload(A, "roster", [w.roster_row("A-404", people(1, offset=700)[0])])  # a row for no class: nothing at stake
    log_in(client, "auditor1")
    everything = client.get("/findings?status=").text
    stakes = [int(y.replace(",", "").replace(".", "")) for y in re.findall(r'<td class="num">¥([\d,]+\.\d\d)</td>', everything)]
    assert stakes == [150000, 150000, 0]
    only = client.get("/findings?status=&rule=ENR-OVERLAP").text
    assert set(re.findall(r"<code>([A-Z]+-[A-Z-]+)</code></a>", only)) == {"ENR-OVERLAP"}


def test_an_operator_processes_a_failed_upload_again_and_sees_its_answer(client: TestClient, csvc, story) -> None:  # noqa: ANN001
    from tests.integration.console_world import failed_upload

    w = story["world"]
    upload_id = failed_upload(w, A, "S-1", people(1, offset=500)[0])
    log_in(client, "operator1")
    listed = client.get("/uploads?status=attention").text
    assert "OperationalError" in listed and f'action="/uploads/{upload_id}/process"' in listed
    done = client.post(f"/uploads/{upload_id}/process", data={"csrf": csrf(client, "/uploads")})
    assert done.status_code == 303
    with csvc.engine.connect() as conn:
        assert conn.execute(select(db.uploads.c.status).where(db.uploads.c.id == upload_id)).scalar_one() == "done"
    page = client.get(f"/uploads?institution={A}").text
    assert "outbox/" in page and "late-roster.result.csv" in page and "processed again: done" in page
    assert [(e["actor"], e["subject"]) for e in audit(csvc) if e["action"] == "console.process"] == [
        ("operator1", f"upload:{upload_id}")]
    again = client.post(f"/uploads/{upload_id}/process", data={"csrf": csrf(client, "/uploads")})
    assert "neither failed nor stuck" in client.get(again.headers["location"]).text


def test_data_docs_are_served_behind_the_login_when_their_router_is_installed(csvc, story, monkeypatch) -> None:  # noqa: ANN001
    """flows/datadocs_web.py (another branch) provides router(services_factory); the console mounts it."""
    import sys
    import types

    from starlette.responses import HTMLResponse
    from starlette.routing import Route, Router

    async def page(request):  # noqa: ANN001, ANN202
        return HTMLResponse(f"<h1>Data Docs of upload {request.path_params['upload_id']}</h1>")

    fake = types.ModuleType("flows.datadocs_web")
    fake.router = lambda services_factory: Router([Route("/datadocs/upload/{upload_id:int}", page)])
    import flows

    monkeypatch.setitem(sys.modules, "flows.datadocs_web", fake)
    monkeypatch.setattr(flows, "datadocs_web", fake, raising=False)
    client = TestClient(create_app(csvc), follow_redirects=False)
    assert client.get("/datadocs/upload/9").headers["location"] == "/login"
    log_in(client, "viewer1")
    assert "Data Docs of upload 9" in client.get("/datadocs/upload/9").text
    assert client.get("/findings").status_code == 403  # the mount takes nothing of the console's own


def test_prefect_links_only_for_real_flow_run_ids() -> None:
    from tasks.console_queries import run_url

    ui = "http://127.0.0.1:4200"
    assert run_url(ui, "0f7b3a52-2c1e-4a8e-9d7f-3b1f2e4c5d6a") == f"{ui}/runs/flow-run/0f7b3a52-2c1e-4a8e-9d7f-3b1f2e4c5d6a"
    assert run_url(ui, "nightly-test") is None and run_url(None, "0f7b3a52-2c1e-4a8e-9d7f-3b1f2e4c5d6a") is None


def test_an_auditor_escalates_another_institutions_warning_to_a_hold(client: TestClient, csvc, story) -> None:  # noqa: ANN001
    from tests.integration.world import B

    w = story["world"]
    w.file_class("B-2", B, start_time="09:00", end_time="17:00")
    w.enrol("B-2", [story["trainees"][1]], B)  # the other trainee of A's paid class, now at B too
    warning = next(f for f in w.findings("ENR-OVERLAP") if f["id_number"] == story["trainees"][1] and f["uscc"] == A)
    log_in(client, "auditor1")
    page = client.get(f"/findings/{warning['id']}").text
    assert 'name="decision" value="escalate"' in page and 'value="confirm"' not in page
    client.post(f"/findings/{warning['id']}/decide",
                data={"decision": "escalate", "reason": "同一时段在两家机构", "csrf": csrf(client, f"/findings/{warning['id']}")})
    assert status_of(csvc, warning["id"]) == "open"
    assert [e["actor"] for e in audit(csvc) if e["action"] == "review.escalate"] == ["审计员 王", "auditor1"]
    assert "确认将追回 <b>¥1,500.00</b>" in client.get(f"/findings/{warning['id']}").text


def test_users_are_added_with_the_password_from_standard_input(engine, tmp_path) -> None:  # noqa: ANN001
    from infra.objectstore import MemoryStore
    from tasks.console_users import login
    from tests.cli import skillsub_here, skillsub_process

    env = {"SKILLSUB_DATA_DIR": str(tmp_path), "SKILLSUB_DATABASE_URL": engine.url.render_as_string(hide_password=False)}

    def cli(*args: str, stdin: str = ""):  # noqa: ANN202 — in this process (tests/cli.py)
        return skillsub_here(env, *args, stdin=stdin)

    # the first from a real process's standard input, the others in this process
    added = skillsub_process(env, "user", "add", "wang", "--role", "auditor", stdin="a long passphrase\n", timeout=120)
    assert added.returncode == 0, added.stderr
    short = cli("user", "add", "li", "--role", "viewer", stdin="short\n")
    assert short.returncode == 2 and "at least 10 characters" in short.stderr
    assert "already" in cli("user", "add", "wang", "--role", "viewer", stdin="another passphrase\n").stderr
    svc = make_services(engine, MemoryStore(), data_dir=tmp_path)
    assert login(svc, "wang", "a long passphrase", "127.0.0.1").role == "auditor"
    assert cli("user", "disable", "wang").returncode == 0
    assert login(svc, "wang", "a long passphrase", "127.0.0.1") is None
    with engine.connect() as conn:
        stored = conn.execute(select(db.console_users.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and "a long passphrase" not in stored


def test_a_session_ends_after_its_lifetime(engine, tmp_path, story, monkeypatch) -> None:  # noqa: ANN001
    import time

    from itsdangerous.timed import TimestampSigner

    from infra.objectstore import MemoryStore

    short = make_services(engine, MemoryStore(), data_dir=tmp_path, console_session_seconds=1)
    client = TestClient(create_app(short), follow_redirects=False)
    log_in(client, "viewer1")
    assert client.get("/classes").status_code == 200
    # 2 s later on the server's clock (the signer's), not the client's: the browser still sends the
    # cookie, so it is the server that must refuse it (a real sleep would let the client drop it first)
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) + 2)
    assert client.get("/classes").headers["location"] == "/login"


def test_behind_tls_the_session_cookie_is_secure_httponly_and_strict(csvc, story) -> None:  # noqa: ANN001
    from tests.integration.conftest import TestClient

    client = TestClient(create_app(csvc, secure_cookies=True), base_url="https://console.example", follow_redirects=False)
    cookie = log_in(client, "auditor1").headers["set-cookie"].lower()
    assert "secure" in cookie and "httponly" in cookie and "samesite=strict" in cookie
    plain = TestClient(create_app(csvc), follow_redirects=False)
    assert "secure" not in log_in(plain, "viewer1").headers["set-cookie"].lower()
