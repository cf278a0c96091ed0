"""The auditor's pages: the findings queue, a finding (decide it, reveal the trainee's number), re-runs.

Decisions go through tasks/review.py and re-runs through tasks/rerun.py: one code path and one audit
log with `skillsub review` and `skillsub rerun`.
"""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from flows.console.sessions import guarded
from infra import db, logmask
from tasks import console_classes as qc
from tasks import console_queries as q
from tasks import console_uploads as qu
from tasks.console_users import User
from tasks.facts import DERIVED_HOLDS
from tasks.review import ReviewRefused, review

ROLE = ("auditor",)


def _int(value: str | None, default: int = 1) -> int:
    try:
        return max(int(value or default), 1)
    except ValueError:
        return default


@guarded(ROLE)
def queue(request: Request, user: User) -> Response:
    p = request.query_params
    flt = q.QueueFilter(rule=p.get("rule") or None, stage=p.get("stage") or None,
                        institution=p.get("institution") or None,
                        status=p.get("status", "open") or None)
    page = _int(p.get("page"))
    rows, total = q.findings_queue(request.app.state.console.svc, flt, page)
    keep = {k: v for k, v in (("rule", flt.rule), ("stage", flt.stage), ("institution", flt.institution),
                              ("status", flt.status or "")) if v is not None}
    pages = max((total + q.PAGE - 1) // q.PAGE, 1)
    return request.app.state.console.render(request, "findings.html", {
        "rows": rows, "total": total, "flt": flt, "page": page, "pages": pages,
        "choices": q.queue_choices(request.app.state.console.svc),
        "prev_url": f"/findings?{urlencode(keep | {'page': page - 1})}" if page > 1 else None,
        "next_url": f"/findings?{urlencode(keep | {'page': page + 1})}" if page < pages else None})


@guarded(("auditor", "viewer"))
def finding(request: Request, user: User) -> Response:
    console = request.app.state.console
    finding_id = request.path_params["finding_id"]
    page = q.finding_page(console.svc, finding_id)
    if page is None:
        return console.render(request, "error.html", {"message": "没有这条记录 / no such finding", "status": 404}, 404)
    waiting = page.finding["rule_code"] in DERIVED_HOLDS  # a payment waiting on its cause: nothing to decide here
    may_decide = (user.role == "auditor" and page.finding["status"] == "open" and page.finding["effect"] in q.HOLDS
                  and not waiting)
    may_escalate = user.role == "auditor" and page.finding["status"] == "none" and page.finding["effect"] == "warn"
    previews = {d: q.decision_preview(console.svc, finding_id, d) for d in ("confirm", "dismiss")} if may_decide else {}
    return console.render(request, "finding.html", {
        "p": page, "f": page.finding, "may_decide": may_decide, "may_escalate": may_escalate, "waiting": waiting,
        "previews": previews, "revealed": request.state.session.pop("revealed", None)})


@guarded(ROLE, post=True)
def decide(request: Request, user: User, form) -> Response:  # noqa: ANN001
    console = request.app.state.console
    finding_id = request.path_params["finding_id"]
    decision = str(form.get("decision", ""))
    try:
        done = review(console.svc, finding_id, decision, str(form.get("reason", "")), user.name)
    except ReviewRefused as exc:
        request.state.session["flash"] = f"未记录 / not recorded: {exc}"
    else:
        words = {"confirmed": "已确认 confirmed", "dismissed": "已驳回 dismissed", "open": "已升级为暂停 escalated to a hold"}
        request.state.session["flash"] = f"{words.get(done['status'], done['status'])} — {user.name}"
    return RedirectResponse(f"/findings/{finding_id}", status_code=303)


@guarded(ROLE, post=True)
def reveal(request: Request, user: User, form) -> Response:  # noqa: ANN001
    """One trainee's full ID number, shown once on the finding page; the reveal is audit-logged."""
    console = request.app.state.console
    finding_id = request.path_params["finding_id"]
    id_number = q.reveal_id(console.svc, finding_id, user.name)
    page = q.finding_page(console.svc, finding_id)
    if page is None:
        return console.render(request, "error.html", {"message": "没有这条记录 / no such finding", "status": 404}, 404)
    return console.render(request, "finding.html", {
        "p": page, "f": page.finding, "may_decide": False, "may_escalate": False, "previews": {},
        "revealed": id_number})


def _scope(console, form) -> dict:  # noqa: ANN001
    """The re-run's scope from the form: a class (by its opaque id), an institution or dates."""
    class_ref = None
    class_pk = form.get("class_pk")
    if class_pk:
        c = db.classes
        with console.svc.engine.connect() as conn:
            row = conn.execute(select(c.c.uscc, c.c.class_id).where(c.c.id == _int(class_pk, 0))).first()
        class_ref = f"{row.uscc}/{row.class_id}" if row else f"?/{class_pk}"
    return {"class_ref": class_ref, "institution": form.get("institution") or None,
            "date_from": form.get("date_from") or None, "date_to": form.get("date_to") or None}


@guarded(ROLE)
def rerun_form(request: Request, user: User) -> Response:
    from tasks.rerun import STAGES  # the re-run's modules load GX (seconds): only when the form is opened

    console = request.app.state.console
    p = request.query_params
    return console.render(request, "rerun.html", {
        "stages": STAGES, "classes": qc.classes_list(console.svc), "institutions": qu.upload_institutions(console.svc),
        "form": {"stage": p.get("stage", "settlement"), "class_pk": p.get("class_pk", ""), "institution": "",
                 "date_from": "", "date_to": "", "reason": ""}, "report": None, "applied": False, "error": None})


@guarded(ROLE, post=True)
def rerun_post(request: Request, user: User, form) -> Response:  # noqa: ANN001
    """action=preview: a dry run whose diff is shown with an apply button; action=apply: the re-run."""
    from tasks.rerun import STAGES, RerunRefused, check_request, rerun

    console = request.app.state.console
    apply = form.get("action") == "apply"
    stage, reason = str(form.get("stage", "")), str(form.get("reason", ""))
    scope = _scope(console, form)
    ctx = {"stages": STAGES, "classes": qc.classes_list(console.svc), "institutions": qu.upload_institutions(console.svc),
           "form": {k: form.get(k, "") for k in ("stage", "class_pk", "institution", "date_from", "date_to", "reason")},
           "report": None, "applied": apply, "error": None}
    try:
        check_request(console.svc, stage, scope["class_ref"], scope["institution"], scope["date_from"], scope["date_to"],
                      user.name, reason, known_scope=True)
        report = rerun(console.svc, stage, scope["class_ref"], scope["institution"], scope["date_from"], scope["date_to"],
                       dry_run=not apply, auditor=user.name, reason=reason, run_id=f"console-{uuid.uuid4()}")
    except RerunRefused as exc:
        ctx["error"] = str(exc)
        return console.render(request, "rerun.html", ctx, status=400)
    ctx["report"] = _report_view(report)
    return console.render(request, "rerun.html", ctx)


def _report_view(report) -> dict:  # noqa: ANN001
    from schemas.idcard import mask_id
    from tasks.regate import GATE_STAGES

    rows = [{"stage": r.stage, "upload_id": r.upload_id, "row_no": r.row_no, "uscc": r.uscc, "class_id": r.class_id,
             "trainee": mask_id(r.id_number) or "", "before": r.before, "after": r.after,
             "added": ", ".join(r.added), "removed": ", ".join(r.removed)} for r in report.rows]
    trainees = [{"uscc": c.uscc, "class_id": c.class_id, "trainee": mask_id(c.id_number), "before": q.yuan(c.before_fen),
                 "after": q.yuan(c.after_fen), "exclusions": ", ".join(c.exclusions_after)}
                for c in report.amounts if c.id_number]
    moves = [{"uscc": c.uscc, "class_id": c.class_id, "payee": logmask.mask_text(c.payee or ""), "kind": k, "amount": q.yuan(a)}
             for c in report.amounts if not c.id_number for k, a in c.entries]
    return {"rows": rows, "trainees": trainees, "moves": moves, "checked": report.rows_checked,
            "gate_stages": GATE_STAGES}


def routes() -> list[Route]:
    return [Route("/findings", queue), Route("/findings/{finding_id:int}", finding),
            Route("/findings/{finding_id:int}/decide", decide, methods=["POST"]),
            Route("/findings/{finding_id:int}/reveal", reveal, methods=["POST"]),
            Route("/rerun", rerun_form, methods=["GET"]), Route("/rerun", rerun_post, methods=["POST"])]
