"""Institution pages for operators and auditors (issue 14 "the institution's credit record"; issue 12.6):
the current rating, its history with reasons and evidence, barred or not, 信用支付 or not. An auditor
overrides a rating with a reason through tasks/credit.override, the path of `skillsub credit override`:
one audit log, with the user's name."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from flows.console.sessions import guarded
from tasks import console_credit as qcr
from tasks.console_users import User
from tasks.credit import CreditRefused, override

READERS = ("operator", "auditor")
USCC = "{uscc:str}"


@guarded(READERS)
def institutions(request: Request, user: User) -> Response:
    console = request.app.state.console
    return console.render(request, "institutions.html", {"rows": qcr.institutions(console.svc)})


@guarded(READERS)
def institution(request: Request, user: User) -> Response:
    console = request.app.state.console
    page = qcr.institution_page(console.svc, request.path_params["uscc"])
    if page is None:
        return console.render(request, "error.html", {"message": "没有这个机构 / no such institution", "status": 404}, 404)
    return console.render(request, "institution.html", {"i": page, "may_override": user.role == "auditor"})


@guarded(("auditor",), post=True)
def override_rating(request: Request, user: User, form) -> Response:  # noqa: ANN001
    console = request.app.state.console
    uscc = request.path_params["uscc"]
    if qcr.institution_page(console.svc, uscc) is None:
        return console.render(request, "error.html", {"message": "没有这个机构 / no such institution", "status": 404}, 404)
    try:
        done = override(console.svc, uscc, str(form.get("rating", "")), str(form.get("reason", "")), user.name)
    except CreditRefused as exc:
        request.state.session["flash"] = f"未记录 / not recorded: {exc}"
    else:
        request.state.session["flash"] = f"信用等级 {done.previous} → {done.rating} 已调整 / rating overridden — {user.name}"
    return RedirectResponse(f"/institutions/{uscc}", status_code=303)


def routes() -> list[Route]:
    return [Route("/institutions", institutions), Route(f"/institutions/{USCC}", institution),
            Route(f"/institutions/{USCC}/override", override_rating, methods=["POST"])]
