"""Read-only pages for every role: classes (funnel, hours per trainee, holds, money, ledger) and the
list of reports in the bucket."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from flows.console.sessions import guarded
from tasks import console_classes as qc
from tasks import console_uploads as qu
from tasks.console_users import User

ALL = ("auditor", "operator", "viewer")


@guarded(ALL)
async def classes(request: Request, user: User) -> Response:
    console = request.app.state.console
    return console.render(request, "classes.html", {"rows": qc.classes_list(console.svc)})


@guarded(ALL)
async def class_page(request: Request, user: User) -> Response:
    console = request.app.state.console
    page = qc.class_page(console.svc, request.path_params["class_pk"])
    if page is None:
        return console.render(request, "error.html", {"message": "没有这个班级 / no such class", "status": 404}, 404)
    return console.render(request, "class.html", page)


@guarded(ALL)
async def reports(request: Request, user: User) -> Response:
    console = request.app.state.console
    try:
        rows, error = qu.reports(console.svc), None
    except Exception as exc:  # the store is down: say so on the page, the rest of the console works
        rows, error = [], f"{type(exc).__name__}"
    return console.render(request, "reports.html", {"rows": rows, "error": error})


def routes() -> list[Route]:
    return [Route("/classes", classes), Route("/classes/{class_pk:int}", class_page), Route("/reports", reports)]
