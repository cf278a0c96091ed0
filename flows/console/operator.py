"""The operator's pages: uploads per institution with status and answers; a failed or stuck upload is
processed again by the service `skillsub process` runs for each object (tasks/ingest.process_object)."""

from __future__ import annotations

import uuid

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from flows.console.sessions import guarded
from tasks import console_queries as q
from tasks import console_uploads as qu
from tasks.console_users import User


@guarded(("operator", "auditor"))
def uploads(request: Request, user: User) -> Response:
    console = request.app.state.console
    p = request.query_params
    institution, status = p.get("institution") or None, p.get("status") or None
    return console.render(request, "uploads.html", {
        "rows": qu.uploads(console.svc, institution, status), "institutions": qu.upload_institutions(console.svc),
        "institution": institution or "", "status": status or "",
        "statuses": ["attention", "processing", "done", "rejected", "quarantined", "duplicate", "failed"]})


@guarded(("operator",), post=True)
def process_again(request: Request, user: User, form) -> Response:  # noqa: ANN001
    from tasks.ingest import process_object

    console = request.app.state.console
    upload_id = request.path_params["upload_id"]
    found = qu.upload_key(console.svc, upload_id)
    if found is None or not found[1]:
        request.state.session["flash"] = "该上传无需重新处理 / this upload is neither failed nor stuck"
        return RedirectResponse("/uploads", status_code=303)
    run_id = f"console-{uuid.uuid4()}"
    q.audit_entry(console.svc, user.name, "console.process", f"upload:{upload_id}", {"run_id": run_id})
    try:
        outcome = process_object(console.svc, found[0], run_id)
        request.state.session["flash"] = f"上传 {upload_id} 已重新处理 / processed again: {outcome.status}"
    except Exception as exc:  # the upload is marked failed again with the reason; the operator sees it
        request.state.session["flash"] = f"上传 {upload_id} 处理失败 / processing failed: {type(exc).__name__}"
    return RedirectResponse("/uploads?status=attention", status_code=303)


def routes() -> list[Route]:
    return [Route("/uploads", uploads), Route("/uploads/{upload_id:int}/process", process_again, methods=["POST"])]
